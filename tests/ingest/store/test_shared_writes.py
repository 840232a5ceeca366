"""Several clients writing one shared library (real PostgreSQL and Chroma servers, each
client a ``Library`` of its own): one document is written by one client at a time, a
client waits its turn for a document another one is writing, and a client whose lease
lapsed while it was disconnected does not make its stale generation current."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ingest.pipeline import Ingestor
from ingest.prepare import Prepared, prepare_text
from ingest.splitter import Chunk
from ingest.store.errors import DocumentBusy, MarkLost
from ingest.store.library import Library
from tests.ingest.helpers import assert_consistent


def _prepared(path: str, n: int = 4, word: str = "alpha") -> Prepared:
    texts = [f"{word} passage {i} of {path}" for i in range(n)]
    return Prepared(path=path, ok=True, kind="markdown", content_hash=f"{word}-{path}-{n}",
                    size=n, mtime=1.0, title=path, tokens=texts,
                    chunks=[Chunk(text=t, index=i, page=None, heading=None, start=0, end=len(t))
                            for i, t in enumerate(texts)])


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 8))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _write(lib: Library, kb, prepared: Prepared, commit: bool = True):
    doc = lib.writer.begin(kb, prepared)
    lib.writer.add_vectors(kb, [(doc, c) for c in prepared.chunks],
                           _vectors(len(prepared.chunks), doc.pending_gen))
    if commit:
        lib.writer.commit(kb, doc, prepared, reason=None, embedder="test")
    return doc


@pytest.fixture
def clients(make_shared_store, tmp_path):
    """Open libraries on one new shared store: ``open(name)``; all closed at the end."""
    store = make_shared_store("writes")
    opened = []

    def open_client(name: str) -> Library:
        opened.append(Library(tmp_path / name, store))
        return opened[-1]

    yield open_client
    for lib in opened:
        lib.close()


def test_two_clients_writing_the_same_documents_at_once_stay_consistent(clients):
    """Both begin the same new document at the same moment, over and over.  Each used to
    delete the other's chunk rows but not its keyword rows (seen as keyword rows without
    chunks): now the later one finds the document busy."""
    one, two = clients("one"), clients("two")
    kb = one.kb("team", create=True, embedder="test")
    busy = []

    def write(lib, path, start):
        start.wait()
        try:
            _write(lib, kb, _prepared(path))
        except DocumentBusy:
            busy.append(path)

    for i in range(30):
        start = threading.Barrier(2)
        threads = [threading.Thread(target=write, args=(lib, f"/doc{i}.md", start))
                   for lib in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    checker = clients("checker")
    assert_consistent(checker)
    docs = checker.documents(checker.kb("team"))
    assert sorted(d.path for d in docs) == sorted(f"/doc{i}.md" for i in range(30))
    assert all(d.status == "ready" and d.chunks == 4 for d in docs)
    assert busy, "the two never met on a document"


def test_a_document_being_written_is_refused_until_it_is_done(clients):
    one, two = clients("one"), clients("two")
    kb = one.kb("team", create=True, embedder="test")
    first = _write(one, kb, _prepared("/a.md"), commit=False)
    with pytest.raises(DocumentBusy):
        two.writer.begin(kb, _prepared("/a.md"))
    one.writer.commit(kb, first, _prepared("/a.md"), reason=None, embedder="test")
    second = _write(two, kb, _prepared("/a.md", 6, "beta"))
    assert second.pending_gen > first.pending_gen
    (doc,) = two.documents(kb)
    assert (doc.status, doc.chunks, doc.gen) == ("ready", 6, second.pending_gen)
    assert_consistent(two)


def test_a_dead_clients_half_written_document_is_settled_by_the_next_writer(clients):
    one, two = clients("one"), clients("two")
    kb = one.kb("team", create=True, embedder="test")
    _write(one, kb, _prepared("/a.md"))
    left = _write(one, kb, _prepared("/a.md", 7, "beta"), commit=False)
    one.close()  # its lease goes, as when it is killed
    doc = _write(two, kb, _prepared("/a.md", 5, "gamma"))
    assert doc.pending_gen > left.pending_gen
    assert_consistent(two)  # the dead client's 7 vectors are gone
    assert two.vectors.count(kb.collection) == 5


def test_a_client_whose_lease_lapsed_does_not_commit_a_generation_settled_meanwhile(
        clients, pg_server):
    """Its connection dropped mid-document; another client opened the library meanwhile
    and settled the document as a dead client's.  The first reconnects (taking its lease
    again), but its commit is refused, and abandoning deletes its generation's vectors
    only -- not those of the client that wrote the document since."""
    one = clients("one")
    kb = one.kb("team", create=True, embedder="test")
    stale = _write(one, kb, _prepared("/a.md"), commit=False)
    with pg_server.connect(dbname=one.shared.database()) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                      "application_name = 'wenji' AND pid <> pg_backend_pid() AND "
                      "datname = current_database()")
    two = clients("two")  # its recovery settles the mark of the "dead" client
    assert two.catalog.document_by_id(stale.id).pending_gen is None
    fresh = _write(two, kb, _prepared("/a.md", 3, "beta"), commit=False)
    with pytest.raises(MarkLost):
        one.writer.commit(kb, stale, _prepared("/a.md"), reason=None, embedder="test")
    assert two.catalog.owner_alive(one.catalog.client_id)  # the lease was taken again
    assert one.writer.abandon(kb, [stale])
    two.writer.commit(kb, fresh, _prepared("/a.md", 3, "beta"), reason=None, embedder="test")
    assert_consistent(two)
    assert two.vectors.count(kb.collection) == 3


@pytest.mark.parametrize("theirs", ["same", "other"])
def test_a_run_meeting_a_document_another_client_writes_waits_its_turn(
        clients, embedder, theirs):
    """The run writes its other files first, then waits for the other client: the
    other's version counts if it is of the same content, else the run writes its own."""
    one, two = clients("one"), clients("two")
    kb = one.kb("team", create=True, embedder=embedder.name)
    model = str(embedder.ensure_folder())

    def record(key, text):
        return prepare_text(key, key, text, model_dir=model, chunk_tokens=200, overlap=0.15)

    mine = [record("note:a", "The office is closed on 1 May."),
            record("note:b", "Lunch is served at noon on the terrace.")]
    other = mine[0] if theirs == "same" else record("note:a", "The office opens at nine.")
    held = one.writer.begin(kb, other)  # the other client is in the middle of note:a
    outcomes = {}
    run = threading.Thread(target=lambda: outcomes.update(
        (o.path, o.status) for o in
        Ingestor(two, embedder).ingest_prepared(mine, kb.name, total=2).outcomes))
    run.start()
    deadline = time.monotonic() + 120
    while two.catalog.document(kb.id, "note:b") is None or \
            two.catalog.document(kb.id, "note:b").status != "ready":
        assert time.monotonic() < deadline and run.is_alive()
        time.sleep(0.05)
    time.sleep(0.5)
    assert run.is_alive()  # still waiting for note:a
    one.writer.add_vectors(kb, [(held, c) for c in other.chunks],
                           embedder.encode([c.text for c in other.chunks]))
    one.writer.commit(kb, held, other, reason=None, embedder=embedder.name)
    run.join(120)
    expected = "unchanged" if theirs == "same" else "added"
    assert outcomes == {"note:a": expected, "note:b": "added"}
    doc = two.catalog.document(kb.id, "note:a")
    assert (doc.gen == held.pending_gen) == (theirs == "same")
    assert doc.content_hash == mine[0].content_hash
    assert_consistent(two)


def test_a_run_waiting_for_a_client_that_dies_writes_the_document_itself(clients, embedder):
    one, two = clients("one"), clients("two")
    kb = one.kb("team", create=True, embedder=embedder.name)
    record = prepare_text("note:a", "a", "The office is closed on 1 May.",
                          model_dir=str(embedder.ensure_folder()), chunk_tokens=200,
                          overlap=0.15)
    held = one.writer.begin(kb, record)
    one.writer.add_vectors(kb, [(held, c) for c in record.chunks],
                           embedder.encode([c.text for c in record.chunks]))
    result = {}
    run = threading.Thread(target=lambda: result.update(report=Ingestor(
        two, embedder).ingest_prepared([record], kb.name, total=1)))
    run.start()
    time.sleep(1.0)
    assert run.is_alive()  # waiting for the other client
    one.close()  # dies with its document half-written
    run.join(120)
    assert [(o.path, o.status) for o in result["report"].outcomes] == [("note:a", "added")]
    assert two.catalog.document(kb.id, "note:a").gen > held.pending_gen
    assert_consistent(two)
