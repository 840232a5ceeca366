"""The two-store write protocol stopped at each step, as a crash would stop it: the next
start (a new ``Library`` on the same folder) leaves every ready document whole in both
stores and nothing else in either."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from ingest.prepare import Prepared
from ingest.splitter import Chunk
from ingest.store.library import Library
from tests.backends import open_library, reopen
from tests.ingest.helpers import assert_consistent


def _prepared(path: str, n: int, word: str = "alpha") -> Prepared:
    texts = [f"{word} passage {i}" for i in range(n)]
    return Prepared(path=path, ok=True, kind="markdown", content_hash=f"{word}-{n}", size=n,
                    mtime=1.0, title=path, tokens=texts,
                    chunks=[Chunk(text=t, index=i, page=None, heading=None, start=0, end=len(t))
                            for i, t in enumerate(texts)])


def _vectors(n: int) -> np.ndarray:
    v = np.random.default_rng(n).normal(size=(n, 8))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _write(lib: Library, kb, prepared: Prepared, commit: bool = True):
    doc = lib.writer.begin(kb, prepared)
    lib.writer.add_vectors(kb, [(doc, c) for c in prepared.chunks], _vectors(len(prepared.chunks)))
    if commit:
        lib.writer.commit(kb, doc, prepared, reason=None, embedder="test")
    return doc


@pytest.fixture
def store(request, store_backend, tmp_path) -> Library:
    """A new library on the test's store backend (closed by the test)."""
    return open_library(request, store_backend, tmp_path / "store", "writer")


def _notes(lib: Library):
    """The library and its new knowledge base "notes"."""
    return lib, lib.create_kb("notes")


_BROKEN = Prepared(path="/a.md", ok=False, code="corrupt", reason="damaged", kind="markdown")


def _restart(lib: Library) -> Library:
    """The next start: this process's library gone (as if killed), a new one opened."""
    lib.close()
    return reopen(lib)


def test_a_new_document_is_searchable_only_once_committed(store):
    lib, kb = _notes(store)
    _write(lib, kb, _prepared("/a.md", 3), commit=False)
    assert lib.vectors.count(kb.collection) == 3
    assert lib.catalog.chunk_count(kb.id) == 0  # vectors alone are not searchable
    lib = _restart(lib)
    assert_consistent(lib)
    assert lib.vectors.count(kb.collection) == 0
    assert [d.status for d in lib.documents(kb)] == ["pending"]

    _write(lib, kb, _prepared("/a.md", 3))
    assert [d.status for d in lib.documents(kb)] == ["ready"]
    assert lib.catalog.chunk_count(kb.id) == 3
    assert_consistent(lib)
    lib.close()


def test_an_interrupted_reindex_keeps_the_current_generation(store):
    lib, kb = _notes(store)
    _write(lib, kb, _prepared("/a.md", 3))
    current = lib.catalog.chunk_ids(kb.id)
    _write(lib, kb, _prepared("/a.md", 5, word="beta"), commit=False)
    lib = _restart(lib)
    assert_consistent(lib)
    assert lib.catalog.chunk_ids(kb.id) == current
    assert lib.vectors.ids(kb.collection) == current

    _write(lib, kb, _prepared("/a.md", 5, word="beta"))
    (doc,) = lib.documents(kb)
    # a newer generation than the first (a server never hands out the abandoned one again)
    assert doc.gen >= 2 and doc.chunks == 5
    assert lib.vectors.ids(kb.collection).isdisjoint(current)  # the old vectors are gone
    assert_consistent(lib)
    lib.close()


def test_abandon_undoes_only_what_was_not_committed(store):
    lib, kb = _notes(store)
    done = _write(lib, kb, _prepared("/done.md", 2))
    left = _write(lib, kb, _prepared("/left.md", 4), commit=False)
    assert [d.path for d in lib.writer.abandon(kb, [done, left])] == ["/left.md"]
    assert lib.vectors.count(kb.collection) == 2
    assert {d.path: d.status for d in lib.documents(kb)} == {"/done.md": "ready",
                                                             "/left.md": "pending"}
    assert_consistent(lib)
    lib.close()


def test_a_failure_drops_the_previous_chunks_from_both_stores(store):
    lib, kb = _notes(store)
    doc = _write(lib, kb, _prepared("/a.md", 3))
    previous = lib.catalog.document_by_id(doc.id)
    lib.writer.record_failure(kb, _BROKEN, previous)
    assert lib.vectors.count(kb.collection) == 0
    (row,) = lib.documents(kb)
    assert (row.status, row.reason, row.chunks) == ("failed", "damaged", 0)
    assert_consistent(lib)
    lib.close()


def test_removals_interrupted_after_their_mark_finish_at_the_next_start(store):
    lib = store
    kept, dropped = lib.create_kb("kept"), lib.create_kb("dropped")
    doc = _write(lib, kept, _prepared("/a.md", 3))
    _write(lib, kept, _prepared("/b.md", 2))
    _write(lib, dropped, _prepared("/c.md", 2))
    # the first step of each removal, then the crash
    lib.catalog.mark_removing(doc)
    lib.catalog.mark_kb_deleting(dropped)
    lib = _restart(lib)
    assert [kb.name for kb in lib.kbs()] == ["kept"]
    left = [c.name for c in lib.vectors.client.list_collections()]
    assert lib.vectors.prefix + dropped.collection not in left
    assert [d.path for d in lib.documents(kept)] == ["/b.md"]
    assert lib.vectors.count(kept.collection) == 2
    assert_consistent(lib)
    lib.close()


class _Crash(Exception):
    """Stands for the process dying at this point."""


@contextlib.contextmanager
def _dies_at_vector_delete(lib: Library, monkeypatch):
    """The block's process "dies" when it first deletes vectors (after the catalog
    changed), as a kill -9 would stop it there."""
    def crash(*args, **kwargs):
        raise _Crash

    with monkeypatch.context() as m, pytest.raises(_Crash):
        m.setattr(lib.vectors, "delete_document", crash)
        yield


@pytest.mark.parametrize("change, status, vectors_left", [("reindex", "ready", 4),
                                                       ("failure", "failed", 0)])
def test_a_crash_before_the_old_vectors_are_deleted_is_finished_at_the_next_start(
        store, monkeypatch, change, status, vectors_left):
    lib, kb = _notes(store)
    doc = _write(lib, kb, _prepared("/a.md", 3))
    old = lib.vectors.ids(kb.collection)
    with _dies_at_vector_delete(lib, monkeypatch):
        if change == "reindex":
            _write(lib, kb, _prepared("/a.md", 4, word="beta"))
        else:
            lib.writer.record_failure(kb, _BROKEN, lib.catalog.document_by_id(doc.id))
    (row,) = lib.documents(kb)
    assert row.status == status  # the catalog has the change ...
    assert old <= lib.vectors.ids(kb.collection)  # ... and the old vectors are still there
    lib = _restart(lib)
    assert lib.vectors.ids(kb.collection).isdisjoint(old)
    assert lib.vectors.count(kb.collection) == vectors_left
    (row,) = lib.documents(kb)
    assert row.status == status and row.pending_gen is None
    assert_consistent(lib)
    lib.close()
