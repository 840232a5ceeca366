"""One real knowledge base and one real model for the answer tests.

Two SEC 10-Q PDFs (Apple 2022 Q3, NVIDIA 2023 Q1) and FastAPI's "First Steps" page in
English and Chinese, ingested once per session with the bundled embedder (default
backend) into real Chroma, on each store backend (``tests/backends.py``); the bundled gemma-3-270m loaded once with llama.cpp.  Prompts
are kept short (``max_context_tokens``) because every prompt token costs time on the test
machine.
"""

from __future__ import annotations

import pytest

from tests.backends import open_library
from tests.conftest import MD_DIR, SEC_DIR, require

AAPL = SEC_DIR / "2022 Q3 AAPL.pdf"
NVDA = SEC_DIR / "2023 Q1 NVDA.pdf"
MD_EN = MD_DIR / "en" / "docs" / "tutorial" / "first-steps.md"
MD_ZH = MD_DIR / "zh" / "docs" / "tutorial" / "first-steps.md"
DOCS = [AAPL, NVDA, MD_EN, MD_ZH]

# The answer is on one page of the Apple 10-Q (PDF page 17): "... MacBook Air and 13-inch
# MacBook Pro, both powered by the new Apple M2 chip".
M2_QUESTION = "Which chip did Apple announce for the new MacBook Air and MacBook Pro?"
M2_PAGE = 17


@pytest.fixture(scope="session")
def answer_library(request, store_backend, tmp_path_factory, embedder):
    from ingest.pipeline import Ingestor

    for p in DOCS:
        require(p)
    lib = open_library(request, store_backend, tmp_path_factory.mktemp("answer-store"),
                       "answer")
    report = Ingestor(lib, embedder).run(DOCS, kb_name="default")
    assert report.count("added") == len(DOCS), report
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def answer_retriever(answer_library, embedder):
    from retrieval.retriever import Retriever

    return Retriever(answer_library, embedder)


@pytest.fixture(scope="session")
def chat_manager(tmp_path_factory):
    from models.bundled import ensure_chat_model
    from models.model_manager import ModelManager

    # same folder as tests/models/conftest.py: assembled once per session
    path = ensure_chat_model(tmp_path_factory.getbasetemp() / "wenji-model-cache" / "models")
    mgr = ModelManager(threads=2)
    mgr.load(path, context_length=2048, seed=1234)
    yield mgr
    mgr.unload()


@pytest.fixture(scope="session")
def engine(answer_retriever, chat_manager):
    from answer.engine import AnswerEngine

    return AnswerEngine(answer_retriever, chat_manager, kb_name="default", top_k=4,
                        max_answer_tokens=40, max_context_tokens=450,
                        sampling={"temperature": 0.0})


@pytest.fixture(scope="session")
def m2_events(engine):
    """One real answer (all its events), shared by the pipeline and chat tests."""
    return list(engine.ask(M2_QUESTION))
