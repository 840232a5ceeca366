"""One real library per test session: small slices of SciFact (English) and RGB (Chinese)
embedded with the default embedder into real Chroma, plus an empty knowledge base."""

from __future__ import annotations

import pytest

from retrieval_data import rgb_slice, scifact_slice


@pytest.fixture(scope="session")
def slices():
    return {"scifact": scifact_slice(), "rgb": rgb_slice()}


@pytest.fixture(scope="session")
def library(tmp_path_factory, embedder, slices):
    from ingest.store.library import Library
    from ingest.pipeline import Ingestor
    from ingest.prepare import prepare_text

    store = tmp_path_factory.mktemp("retrieval-store")
    lib = Library(store)
    ingestor = Ingestor(lib, embedder, chunk_tokens=200, overlap=0.15, embed_batch=64)
    for kb, sl, prefix in (("scifact", slices["scifact"], "scifact:"),
                           ("rgb", slices["rgb"], "rgb:")):
        records = [prepare_text(prefix + i, title, text, model_dir=str(embedder.ensure_folder()),
                                chunk_tokens=200, overlap=0.15) for i, title, text in sl.docs]
        report = ingestor.ingest_prepared(records, kb, total=len(records))
        assert report.count("added") == len(records)
    lib.create_kb("empty", embedder.name)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def retriever(library, embedder):
    from retrieval.retriever import Retriever

    return Retriever(library, embedder)
