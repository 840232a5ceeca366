"""Cross-language retrieval with the default embedder (the e5 + MiniLM pair) and with e5
alone: a Chinese question finds the English FastAPI page that answers it, and an English
question the Chinese page (the docs are parallel; each knowledge base holds one language
only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MD_DIR, require

PAGES = ["query-params.md", "response-status-code.md", "request-files.md", "cors.md",
         "background-tasks.md", "path-params.md", "body.md", "first-steps.md",
         "handling-errors.md", "static-files.md", "middleware.md", "cookie-params.md",
         "header-params.md", "request-forms.md", "testing.md", "debugging.md"]
ZH_QUESTIONS = [("如何声明查询参数？", "query-params.md"),
                ("怎样上传文件？", "request-files.md"),
                ("如何配置跨域资源共享？", "cors.md"),
                ("如何在返回响应后运行后台任务？", "background-tasks.md"),
                ("如何声明路径参数？", "path-params.md")]
EN_QUESTIONS = [("How do I declare query parameters?", "query-params.md"),
                ("How can I upload files?", "request-files.md"),
                ("How do I set up CORS?", "cors.md"),
                ("How do I run background tasks after returning a response?",
                 "background-tasks.md"),
                ("How do I declare path parameters?", "path-params.md")]


@pytest.fixture(scope="module", params=["pair", "multilingual"])
def parallel_docs(request, tmp_path_factory):
    """(library, embedder): the parallel pages embedded with the default pair, then with
    e5 alone."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    embedder = request.getfixturevalue(request.param)
    root = tmp_path_factory.mktemp("parallel")
    library = Library(root / "store")
    for lang in ("en", "zh"):
        files = [require(MD_DIR / lang / "docs" / "tutorial" / page) for page in PAGES]
        report = Ingestor(library, embedder).run(files, kb_name=lang)
        assert report.count("added") == len(PAGES)
    yield library, embedder
    library.close()


def found(library, embedder, kb: str, questions, k: int = 5) -> int:
    """How many questions have their page among the top ``k`` passages."""
    from retrieval.retriever import Retriever

    retriever = Retriever(library, embedder)
    hits = {q: retriever.search(q, kb_name=kb, k=k) for q, _ in questions}
    assert all(f"/{kb}/" in h.path for found_ in hits.values() for h in found_)
    return sum(page in [Path(h.path).name for h in hits[q]] for q, page in questions)


@pytest.mark.parametrize("kb, questions", [("en", ZH_QUESTIONS), ("zh", EN_QUESTIONS)])
def test_a_question_finds_the_page_written_in_the_other_language(parallel_docs, kb, questions):
    library, embedder = parallel_docs
    assert embedder.multilingual
    assert found(library, embedder, kb, questions) >= len(questions) - 1


def test_the_english_only_embedder_cannot_do_it(tmp_path, embedder):
    """The control: the same Chinese questions over the English pages with the default
    English-only MiniLM."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    minilm = embedder
    assert minilm.name == "all-MiniLM-L6-v2"
    library = Library(tmp_path / "store")
    try:
        Ingestor(library, minilm).run([MD_DIR / "en" / "docs" / "tutorial" / p for p in PAGES],
                                      kb_name="en")
        assert found(library, minilm, "en", ZH_QUESTIONS) <= 2
    finally:
        library.close()
