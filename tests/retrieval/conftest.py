"""One real library per test session and store backend: small slices of SciFact (English)
and RGB (Chinese) embedded with the default embedder into real Chroma (on disk, or the
test Chroma server beside PostgreSQL), plus an empty knowledge base."""

from __future__ import annotations

import pytest

from retrieval_data import fill_library, rgb_slice, scifact_slice
from tests.backends import open_library


@pytest.fixture(scope="session")
def slices():
    return {"scifact": scifact_slice(), "rgb": rgb_slice()}


def _filled(request, backend, tmp_path_factory, embedder, slices):
    lib = open_library(request, backend, tmp_path_factory.mktemp("retrieval-store"),
                       "retrieval")
    fill_library(lib, embedder, slices)
    lib.create_kb("empty", embedder.name)
    return lib


@pytest.fixture(scope="session")
def embedded_library(request, tmp_path_factory, embedder, slices):
    lib = _filled(request, "embedded", tmp_path_factory, embedder, slices)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def server_library(request, tmp_path_factory, embedder, slices):
    lib = _filled(request, "server", tmp_path_factory, embedder, slices)
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def library(request, store_backend):
    """The library on the test's store backend (both are kept for the comparison)."""
    return request.getfixturevalue(f"{store_backend}_library")


@pytest.fixture(scope="session")
def retriever(library, embedder):
    from retrieval.retriever import Retriever

    return Retriever(library, embedder)
