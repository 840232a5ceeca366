"""Ingest end to end with the real stores and the real embedder."""

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.store.library import Library, LibraryError
from ingest.pipeline import Ingestor
from tests.backends import open_library, reopen
from tests.conftest import MD_DIR, PDF_DIR, SEC_DIR, require
from tests.ingest.helpers import assert_consistent

MD_FILES = ["tutorial/first-steps.md", "tutorial/path-params.md", "tutorial/query-params.md"]


@pytest.fixture
def library(request, store_backend, tmp_path):
    lib = open_library(request, store_backend, tmp_path / "store", "ingest")
    yield lib
    lib.close()


@pytest.fixture
def docs(tmp_path) -> Path:
    """A folder a user might drop: Markdown notes and a real PDF."""
    folder = tmp_path / "docs"
    (folder / "notes").mkdir(parents=True)
    for name in MD_FILES:
        shutil.copy(require(MD_DIR / "en/docs" / name), folder / "notes" / Path(name).name)
    shutil.copy(require(PDF_DIR / "pymupdf_tests/2201.00069.pdf"), folder / "paper.pdf")
    return folder


def statuses(report):
    return {Path(o.path).name: o.status for o in report.outcomes}


def test_incremental_unchanged_changed_moved_deleted(library, embedder, docs):
    ing = Ingestor(library, embedder)
    first = ing.run([docs])
    assert set(statuses(first).values()) == {"added"} and len(first.outcomes) == 4
    assert_consistent(library)
    kb = library.kb(None)
    ids_before = library.catalog.chunk_ids(kb.id)

    again = ing.run([docs])
    assert set(statuses(again).values()) == {"unchanged"}
    assert again.chunks == 0
    assert library.catalog.chunk_ids(kb.id) == ids_before

    # touched but same content: still unchanged (hash decides, not mtime)
    os.utime(docs / "paper.pdf", (time.time() + 5, time.time() + 5))
    assert statuses(ing.run([docs]))["paper.pdf"] == "unchanged"

    # changed content: replaced, old chunks gone from both stores
    first_steps = docs / "notes" / "first-steps.md"
    first_steps.write_text(first_steps.read_text() + "\n\n## Zebra crossing\n\nQuokka facts.\n")
    changed = ing.run([docs])
    assert statuses(changed)["first-steps.md"] == "updated"
    doc = library.catalog.document(kb.id, str(first_steps.resolve()))
    assert doc.gen == 2
    texts = [c.text for c in library.catalog.chunks_by_ids(library.catalog.chunk_ids(kb.id)).values()
             if c.doc_id == doc.id]
    assert any("Quokka" in t for t in texts)
    assert_consistent(library)

    # moved/renamed with the same content: path updated, nothing re-embedded
    ids_before_move = library.catalog.chunk_ids(kb.id)
    (docs / "archive").mkdir()
    (docs / "notes" / "path-params.md").rename(docs / "archive" / "renamed.md")
    moved = ing.run([docs])
    assert statuses(moved)["renamed.md"] == "moved"
    assert moved.chunks == 0
    assert library.catalog.chunk_ids(kb.id) == ids_before_move
    paths = {d.path for d in library.documents(kb)}
    assert str((docs / "archive" / "renamed.md").resolve()) in paths
    assert str((docs / "notes" / "path-params.md").resolve()) not in paths

    # deleted: removed from every store
    (docs / "notes" / "query-params.md").unlink()
    deleted = ing.run([docs])
    assert statuses(deleted)["query-params.md"] == "removed"
    assert len(library.documents(kb)) == 3
    assert_consistent(library)


def test_one_broken_file_never_stops_the_batch(library, embedder, docs):
    (docs / "empty.md").write_bytes(b"")
    (docs / "binary.md").write_bytes(require(PDF_DIR / "pymupdf_tests/2201.00069.pdf").read_bytes()[:5000])
    data = require(PDF_DIR / "pymupdf_tests/2201.00069.pdf").read_bytes()
    (docs / "truncated.pdf").write_bytes(data[: len(data) // 4])
    shutil.copy(require(PDF_DIR / "pymupdf_tests/test_3863.pdf"), docs / "scanned.pdf")
    (docs / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really")
    report = Ingestor(library, embedder, ocr=False).run([docs])  # OCR: test_pdf_ocr.py
    st = statuses(report)
    assert st["paper.pdf"] == st["first-steps.md"] == "added"
    assert st["empty.md"] == st["binary.md"] == st["truncated.pdf"] == st["scanned.pdf"] == "failed"
    assert st["sheet.xlsx"] == "skipped"
    reasons = {Path(o.path).name: o.reason for o in report.outcomes}
    assert "empty" in reasons["empty.md"]
    assert "binary" in reasons["binary.md"]
    assert "OCR" in reasons["scanned.pdf"]
    assert "unsupported" in reasons["sheet.xlsx"]
    # failures are remembered with their reasons; `wenji docs` shows them
    kb = library.kb(None)
    failed = {Path(d.path).name: d.reason for d in library.documents(kb) if d.status == "failed"}
    assert set(failed) == {"empty.md", "binary.md", "truncated.pdf", "scanned.pdf"}
    assert_consistent(library)


def test_file_deleted_while_queued(library, embedder, docs):
    victim = docs / "notes" / "query-params.md"

    def on_progress(p):
        if p.outcome is not None and victim.exists():
            victim.unlink()

    ing = Ingestor(library, embedder, parse_workers=0)
    report = ing.run([docs], on_progress=on_progress)
    st = statuses(report)
    assert st["query-params.md"] == "failed"
    assert "not found" in {Path(o.path).name: o.reason for o in report.outcomes}["query-params.md"]
    assert list(st.values()).count("added") == 3
    assert_consistent(library)


def test_cancel_takes_effect_within_a_second_and_stays_consistent(library, embedder, tmp_path):
    folder = tmp_path / "sec"
    folder.mkdir()
    for name in ["2022 Q3 AAPL.pdf", "2023 Q1 AAPL.pdf", "2023 Q2 AAPL.pdf", "2023 Q3 AAPL.pdf"]:
        shutil.copy(require(SEC_DIR / name), folder / name)
    cancel = threading.Event()
    asked = {}

    def on_progress(p):
        if p.chunks_done >= 40 and not cancel.is_set():
            asked["at"] = time.perf_counter()
            cancel.set()

    ing = Ingestor(library, embedder)
    report = ing.run([folder], on_progress=on_progress, cancel=cancel)
    returned = time.perf_counter()
    assert report.cancelled
    assert returned - asked["at"] < 1.0, f"cancel took {returned - asked['at']:.2f}s"
    assert_consistent(library)
    # running again completes the rest
    rest = ing.run([folder])
    assert not rest.cancelled
    kb = library.kb(None)
    assert all(d.status == "ready" for d in library.documents(kb))
    assert len(library.documents(kb)) == 4
    assert_consistent(library)


def test_knowledge_bases_refuse_to_mix_embedders(library, embedder, docs):
    library.create_kb("multilingual", embedder="paraphrase-multilingual-MiniLM-L12-v2")
    with pytest.raises(LibraryError, match="built with the embedder"):
        Ingestor(library, embedder).run([docs], kb_name="multilingual")


def test_a_minilm_knowledge_base_is_refused_then_reembedded_on_request(library, embedder,
                                                                        docs, multilingual):
    """A knowledge base built with MiniLM (also 384 dimensions, so Chroma itself would
    not notice) is refused new files by the multilingual embedder -- its search keeps
    working, with MiniLM -- and `reembed` moves every document to it."""
    from retrieval.retriever import Retriever

    minilm = embedder
    Ingestor(library, minilm).run([docs / "notes"], kb_name="old")
    assert library.kb("old").embedder == "all-MiniLM-L6-v2"
    embedder = multilingual
    assert embedder.name == "multilingual-e5-small"
    searcher = Retriever(library, embedder)
    assert searcher.for_kb("old").embedder.name == "all-MiniLM-L6-v2"
    assert searcher.search("FastAPI", kb_name="old")  # MiniLM still searches it
    with pytest.raises(LibraryError, match="built with the embedder"):
        Ingestor(library, embedder).run([docs / "notes"], kb_name="old")
    seen = []
    report = Ingestor(library, embedder).reembed("old", on_progress=lambda p: seen.append(
        p.chunks_done))
    kb = library.kb("old")
    assert kb.embedder == "multilingual-e5-small"
    assert report.count("updated") == 3 and seen and max(seen) > 0
    assert {d.embedder for d in library.documents(kb)} == {"multilingual-e5-small"}
    assert library.vectors.count(kb.collection) == library.catalog.chunk_count(kb.id)
    hits = Retriever(library, embedder).search("如何运行 FastAPI 应用？", kb_name="old", k=3)
    assert hits and hits[0].dense_rank is not None
    assert_consistent(library)


def test_knowledge_base_management(library, embedder, docs):
    Ingestor(library, embedder).run([docs / "notes"], kb_name="notes")
    library.create_kb("empty")
    assert [kb.name for kb in library.kbs()] == ["empty", "notes"]
    with pytest.raises(LibraryError, match="already exists"):
        library.create_kb("notes")
    with pytest.raises(LibraryError, match="invalid"):
        library.create_kb("a/b")
    library.rename_kb("notes", "笔记")
    kb = library.kb("笔记")
    assert len(library.documents(kb)) == 3
    collection = kb.collection
    library.delete_kb("笔记")
    assert [k.name for k in library.kbs()] == ["empty"]
    left = [c.name for c in library.vectors.client.list_collections()]
    assert library.vectors.prefix + collection not in left
    assert library.catalog.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0] == 0


def test_chunks_respect_the_embedder_token_limit(library, embedder, docs):
    from ingest.splitter import TokenCounter

    Ingestor(library, embedder, chunk_tokens=10_000).run([docs])
    count = TokenCounter(embedder.model_dir)
    kb = library.kb(None)
    chunks = library.catalog.chunks_by_ids(library.catalog.chunk_ids(kb.id)).values()
    assert max(count(c.text) for c in chunks) <= 254  # 256 minus [CLS] and [SEP]
    # spans point at the text: page and character span are exact
    pdf = next(d for d in library.documents(kb) if d.kind == "pdf")
    from ingest.loaders import load

    pages = {s.page: s.text for s in load(Path(pdf.path)).sections}
    for c in chunks:
        if c.doc_id == pdf.id:
            assert pages[c.page][c.start:c.end] == c.text


def test_chinese_markdown_splits_at_sentence_ends(library, embedder, tmp_path):
    folder = tmp_path / "zh"
    folder.mkdir()
    shutil.copy(require(MD_DIR / "zh/docs/index.md"), folder / "index.md")
    Ingestor(library, embedder, chunk_tokens=64).run([folder])
    kb = library.kb(None)
    chunks = list(library.catalog.chunks_by_ids(library.catalog.chunk_ids(kb.id)).values())
    assert len(chunks) > 5
    prose = [c.text for c in chunks if "。" in c.text and "```" not in c.text]
    ends = sum(1 for t in prose if t.rstrip()[-1] in "。！？：；，.!?:;,)）」>`*")
    assert ends >= len(prose) * 0.7, [t[-20:] for t in prose]
    assert all(c.heading for c in chunks)


def test_reembedding_switches_a_knowledge_base_to_another_embedder(library, embedder, docs,
                                                                    tmp_path):
    from models.embedder import Embedder

    Ingestor(library, embedder).run([docs / "notes"], kb_name="notes")
    other_dir = tmp_path / "my-minilm-copy"
    shutil.copytree(embedder.model_dir, other_dir)
    other = Embedder(other_dir, backend="torch")
    assert other.name == "my-minilm-copy" != embedder.name
    with pytest.raises(LibraryError, match="wenji kb reembed"):
        Ingestor(library, other).run([docs / "notes"], kb_name="notes")
    report = Ingestor(library, other).reembed("notes")
    assert [o.status for o in report.outcomes] == ["updated"] * 3
    kb = library.kb("notes")
    assert kb.embedder == "my-minilm-copy"
    assert {d.embedder for d in library.documents(kb)} == {"my-minilm-copy"}
    assert all(d.gen == 2 for d in library.documents(kb))
    assert_consistent(library)
    # a second run has nothing left to do
    assert {o.status for o in Ingestor(library, other).reembed("notes").outcomes} == {"unchanged"}


def test_keyword_index_is_rebuilt_when_the_tokenizer_changes(library, embedder, docs):
    from ingest.analyzer import TOKENIZER_VERSION

    Ingestor(library, embedder).run([docs / "notes"], kb_name="notes")
    kb = library.kb("notes")
    assert kb.tokenizer == TOKENIZER_VERSION
    rowids = sorted(library.catalog.keyword_rowids(kb))
    before = library.catalog.keyword_tokens(kb, rowids)
    assert len(before) == len(rowids) > 0
    # an index written by an older tokenizer: other tokens, and the old version's mark
    with library.catalog.transaction():
        library.catalog._clear_keywords(kb)
        for rowid in rowids:
            library.catalog._insert_keywords(kb, rowid, "stale")
        library.catalog.db.execute("UPDATE kbs SET tokenizer = '1' WHERE id = ?", (kb.id,))
    assert set(library.catalog.keyword_tokens(kb, rowids).values()) == {"stale"}
    library.close()
    reopened = reopen(library)
    kb = reopened.kb("notes")
    assert kb.tokenizer == TOKENIZER_VERSION
    assert reopened.catalog.keyword_tokens(kb, rowids) == before
    reopened.close()


def test_force_reindexes_an_unchanged_file_with_per_file_progress(library, embedder, tmp_path):
    """The window's "Re-index": an unchanged file is read and embedded again, its chunks
    swapped in as a new generation; progress says how far into that file the run is."""
    note = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    ing = Ingestor(library, embedder, embed_batch=8)
    ing.run([note])
    kb = library.kb(None)
    before = library.catalog.chunk_ids(kb.id)
    assert statuses(ing.run([note]))[note.name] == "unchanged"
    seen = []
    report = ing.run([note], force=True,
                     on_progress=lambda p: seen.append((p.file_chunks_done, p.file_chunks_total)))
    assert statuses(report)[note.name] == "updated"
    after = library.catalog.chunk_ids(kb.id)
    assert len(after) == len(before) and after.isdisjoint(before)  # a new generation
    assert_consistent(library)
    totals = {t for _, t in seen if t}
    assert totals == {len(after)}, seen
    done = [d for d, t in seen if t]
    assert done == sorted(done) and done[0] == 0 and done[-1] == len(after), seen


class _RecordingEmbedder:
    """The real embedder, with the texts of every encode() call written down."""

    def __init__(self, embedder):
        self._embedder, self.calls = embedder, []

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def encode(self, texts, *args, **kwargs):
        self.calls.append(list(texts))
        return self._embedder.encode(texts, *args, **kwargs)


def test_chunks_are_embedded_in_batches_of_similar_length(library, embedder, tmp_path):
    """A batch is padded to its longest chunk, so a file's chunks go to the embedder
    shortest first, not in document order; every chunk still gets its own vector."""
    note = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    spy = _RecordingEmbedder(embedder)
    Ingestor(library, spy, embed_batch=4, parse_workers=0).run([note])
    batches = [[len(t) for t in call] for call in spy.calls]
    assert len(batches) >= 3, batches
    assert all(max(a) <= min(b) for a, b in zip(batches, batches[1:])), batches
    kb = library.kb(None)
    rows = library.catalog.chunks_by_ids(library.catalog.chunk_ids(kb.id))
    got = library.vectors.collection(kb.collection).get(ids=list(rows), include=["embeddings"])
    # a vector may depend a little on its batch (int8 activations are quantised per
    # batch; padding changes fp32 sums): each stored vector must be its own chunk's,
    # nearest of all the file's chunks
    fresh = embedder.encode([rows[cid].text for cid in got["ids"]])
    sims = np.asarray(got["embeddings"]) @ fresh.T
    assert (sims.argmax(1) == np.arange(len(got["ids"]))).all()
    assert sims.diagonal().min() > 0.97, sims.diagonal().min()
    assert_consistent(library)
