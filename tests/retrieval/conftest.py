"""One real library per test session: small slices of SciFact (English) and RGB (Chinese)
embedded with the default embedder into real Chroma, plus an empty knowledge base."""

from __future__ import annotations

import pytest

from retrieval_data import fill_library, rgb_slice, scifact_slice


@pytest.fixture(scope="session")
def slices():
    return {"scifact": scifact_slice(), "rgb": rgb_slice()}


@pytest.fixture(scope="session")
def library(tmp_path_factory, embedder, slices):
    from ingest.store.library import Library

    lib = Library(tmp_path_factory.mktemp("retrieval-store"))
    fill_library(lib, embedder, slices)
    lib.create_kb("empty", embedder.name)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def retriever(library, embedder):
    from retrieval.retriever import Retriever

    return Retriever(library, embedder)
