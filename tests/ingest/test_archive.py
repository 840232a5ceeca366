"""Export a knowledge base to one archive and import it into another library: real SEC
filings, real Chroma, the real bundled embedder.

The round trip must give the same search hits; every bad archive (truncated, changed,
from a newer Wenji, not an archive at all, another embedder's vectors), a taken name,
a cancel, a kill -9 and a full disk mid-import must leave the importing library's
knowledge bases exactly as they were, with no half-imported one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ingest.archive import (FORMAT_VERSION, ArchiveCancelled, ArchiveEmbedderMismatch,
                            ArchiveError, ArchiveNameTaken, export_kb, import_kb,
                            read_manifest)
from ingest.archive import importer
from ingest.pipeline import Ingestor
from ingest.store.library import Library, LibraryError
from retrieval.retriever import Retriever
from tests.backends import open_library
from tests.conftest import MD_DIR, REPO, SEC_DIR, require
from tests.ingest.helpers import assert_consistent, check_store_in_fresh_process

FILINGS = ["2022 Q3 AAPL.pdf", "2023 Q2 AAPL.pdf", "2023 Q3 AAPL.pdf"]
QUERIES = [
    "What were Apple's total net sales?",
    "iPhone net sales by quarter",
    "share repurchase program",
    "foreign currency exchange rate risk",
    "Greater China segment operating income",
    "legal proceedings Epic Games",
    "research and development expense",
    "dividends declared per share",
    "Apple 2023 Q2 10-Q gross margin",
]


# --- fixtures -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def source(tmp_path_factory, embedder):
    """A library whose knowledge base 'filings' holds three 10-Qs and a broken PDF (a
    failed document: its row and reason travel too)."""
    root = tmp_path_factory.mktemp("archive-source")
    docs = root / "docs"
    docs.mkdir()
    for name in FILINGS:
        shutil.copy(require(SEC_DIR / name), docs / name)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    library = Library(root / "store")
    report = Ingestor(library, embedder, parse_workers=0).run([docs], kb_name="filings")
    assert report.count("added") == len(FILINGS) and report.count("failed") == 1
    yield library
    library.close()


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory) -> Path:
    file = tmp_path_factory.mktemp("archives") / "filings.wenjikb"
    export_kb(source, "filings", file)
    return file


@pytest.fixture(scope="module")
def archive_with_files(source, tmp_path_factory) -> Path:
    file = tmp_path_factory.mktemp("archives") / "filings-files.wenjikb"
    report = export_kb(source, "filings", file, with_files=True)
    assert report.files == len(FILINGS) + 1 and not report.missing_files
    return file


@pytest.fixture
def target(tmp_path, embedder):
    """The importing library, with a knowledge base of its own that must stay as it is."""
    library = Library(tmp_path / "target" / "store")
    note = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    Ingestor(library, embedder, parse_workers=0).run([note], kb_name="notes")
    yield library
    library.close()


def files_dir(library: Library) -> Path:
    return library.store_dir.parent / "files"


def state(library: Library) -> dict:
    """Everything an import could leave behind, in both stores and on disk."""
    db = library.catalog.db
    staging = library.import_staging
    out = {
        "kbs": [tuple(r) for r in db.execute("SELECT id, name, status, embedder, tokenizer "
                                             "FROM kbs ORDER BY id")],
        "documents": [tuple(r) for r in db.execute(
            "SELECT id, kb_id, path, status, chunks, gen, pending_gen FROM documents "
            "ORDER BY id")],
        "chunks": [tuple(r) for r in db.execute("SELECT rowid, id, text FROM chunks "
                                                "ORDER BY rowid")],
        "collections": sorted(c.name for c in library.vectors.client.list_collections()),
        "vectors": {kb.name: sorted(library.vectors.ids(kb.collection))
                    for kb in library.kbs()},
        "staging": sorted(p.name for p in staging.iterdir()) if staging.exists() else [],
        "files": sorted(str(p) for p in files_dir(library).rglob("*"))
        if files_dir(library).exists() else [],
    }
    return json.loads(json.dumps(out))  # as plain as a child process reports it


def state_in_fresh_process(store: Path) -> dict:
    """``state`` as the next start of the app sees it (a new process: no cache of this
    one's Chroma client can hide or invent anything)."""
    code = ("import json\n"
            "from ingest.store.library import Library\n"
            "from tests.ingest.test_archive import state\n"
            f"print(json.dumps(state(Library({str(store)!r}))))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def hits(library: Library, embedder, kb: str) -> dict[str, list[tuple]]:
    retriever = Retriever(library, embedder)
    return {q: [(h.text, h.page, Path(h.path).name, h.score)
                for h in retriever.search(q, kb_name=kb, k=8)] for q in QUERIES}


def assert_same_hits(expected: dict, got: dict, tol: float = 1e-6) -> None:
    for q in QUERIES:
        a, b = expected[q], got[q]
        assert [x[:3] for x in a] == [x[:3] for x in b], f"different hits for {q!r}"
        worst = max((abs(x[3] - y[3]) for x, y in zip(a, b)), default=0.0)
        assert worst <= tol, f"{q!r}: scores differ by {worst}"
    assert sum(len(v) for v in got.values()) >= 5 * len(QUERIES)


def keyword_rows(library: Library, kb) -> list[tuple[str, str]]:
    """(chunk text, its keyword tokens) of every passage, sorted."""
    return sorted(tuple(r) for r in library.catalog.db.execute(
        f"SELECT c.text, f.tokens FROM chunks c JOIN {library.catalog.keyword_table(kb)} f "
        "ON f.rowid = c.rowid WHERE c.kb_id = ?", (kb.id,)))


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, embedder):
        self._embedder, self.embedded = embedder, 0

    def __getattr__(self, name):
        return getattr(self._embedder, name)

    def encode(self, texts, *args, **kwargs):
        self.embedded += len(texts)
        return self._embedder.encode(texts, *args, **kwargs)


def rewrite(src: Path, dst: Path, *, replace: dict[str, bytes | None] | None = None,
            manifest: dict | None = None, fix_checksums: bool = True,
            add: dict[str, bytes] | None = None) -> None:
    """A copy of an archive with members replaced (None: removed) or added, and manifest
    fields changed; with ``fix_checksums`` the manifest gets the new members' SHA-256,
    as someone making a deliberate archive would."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    man = json.loads(members.pop("manifest.json"))
    for name, data in (replace or {}).items():
        if data is None:
            members.pop(name)
        else:
            members[name] = data
    members.update(add or {})
    for key, value in (manifest or {}).items():
        if isinstance(value, dict):
            man[key].update(value)
        else:
            man[key] = value
    if fix_checksums:
        man["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                          for n, d in members.items()}
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr("manifest.json", json.dumps(man))


def read_vectors(file: Path) -> np.ndarray:
    with zipfile.ZipFile(file) as zf:
        return np.load(io.BytesIO(zf.read("vectors.npy")))


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array, dtype="<f4"))
    return buf.getvalue()


def refused(library: Library, file: Path, embedder, *words: str, **kwargs) -> ArchiveError:
    """Import ``file``, expect a refusal naming the file and saying ``words``, and check
    the library is exactly as it was."""
    before = state(library)
    with pytest.raises(ArchiveError) as info:
        import_kb(library, file, embedder=embedder, **kwargs)
    message = str(info.value)
    assert str(file) in message, message
    for word in words:
        assert word in message, message
    assert state(library) == before
    assert_consistent(library)
    return info.value


# --- the round trip -----------------------------------------------------------------

def test_round_trip_gives_the_same_hits_without_embedding(source, archive, embedder,
                                                          tmp_path, request, store_backend):
    """A new data folder, a separate library (or a team's shared one: ``wenji kb push``):
    the same queries give the same passages (texts, pages, files) in the same order with
    the same scores; nothing is embedded."""
    expected = hits(source, embedder, "filings")
    library = open_library(request, store_backend, tmp_path / "elsewhere" / "store",
                           "archive")
    spy = CountingEmbedder(embedder)
    seen = []
    report = import_kb(library, archive, embedder=spy,
                       progress=lambda d, t, w: seen.append((d, t, w)))
    src_kb = source.kb("filings")
    assert report.kb == "filings" and report.documents == len(FILINGS) + 1
    assert report.chunks == report.vectors == source.catalog.chunk_count(src_kb.id)
    assert not report.reembedded and not report.keyword_rebuilt
    assert spy.embedded == 0  # the archived vectors were used as they are
    assert_same_hits(expected, hits(library, embedder, "filings"))
    assert_consistent(library)

    kb = library.kb("filings")
    assert kb.embedder == src_kb.embedder == embedder.name
    # document rows as they were, paths included (they may not exist here)
    fields = ("path", "title", "kind", "status", "code", "reason", "pages", "chunks",
              "content_hash", "size", "mtime", "embedder")
    assert ([tuple(getattr(d, f) for f in fields) for d in library.documents(kb)]
            == [tuple(getattr(d, f) for f in fields) for d in source.documents(src_kb)])
    failed = [d for d in library.documents(kb) if d.status == "failed"]
    assert [Path(d.path).name for d in failed] == ["broken.pdf"] and failed[0].reason
    # the keyword index came over as it was, row for row
    assert keyword_rows(library, kb) == keyword_rows(source, src_kb)
    # progress: one monotone count that ends at its total
    done = [d for d, _, _ in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1] > 0
    assert {w for _, _, w in seen} >= {"checking the archive", "documents",
                                        "writing passages and vectors"}
    library.close()


def test_a_shared_knowledge_base_exports_what_was_pushed(source, archive, embedder,
                                                         tmp_path, make_shared_store):
    """Pushed to a team's servers, exported from there, imported into a new embedded
    library: the same hits, keyword rows and document rows as the source."""
    shared = Library(tmp_path / "team" / "store", shared=make_shared_store("archive"))
    import_kb(shared, archive, embedder=embedder)
    again = tmp_path / "from-the-team.wenjikb"
    report = export_kb(shared, "filings", again)
    src_kb = source.kb("filings")
    assert report.chunks == report.vectors == source.catalog.chunk_count(src_kb.id)
    shared.close()
    library = Library(tmp_path / "here" / "store")
    import_kb(library, again, embedder=embedder)
    kb = library.kb("filings")
    assert_same_hits(hits(source, embedder, "filings"), hits(library, embedder, "filings"))
    assert keyword_rows(library, kb) == keyword_rows(source, src_kb)
    assert ([(d.path, d.status, d.chunks) for d in library.documents(kb)]
            == [(d.path, d.status, d.chunks) for d in source.documents(src_kb)])
    assert_consistent(library)
    library.close()


def test_archive_holds_manifest_rows_keyword_index_and_binary_vectors(source, archive):
    kb = source.kb("filings")
    n = source.catalog.chunk_count(kb.id)
    m = read_manifest(archive)
    assert m.format == FORMAT_VERSION and m.kb_name == "filings" and m.app_version
    assert m.embedder == kb.embedder and m.dimension == 384 and m.tokenizer == kb.tokenizer
    assert (m.documents, m.chunks, m.vectors, m.files) == (len(FILINGS) + 1, n, n, 0)
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert names == {"manifest.json", "documents.jsonl", "chunks.jsonl", "keyword.jsonl",
                         "vectors.npy"}
        for name, entry in m.members.items():
            data = zf.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        chunks = [json.loads(line) for line in zf.read("chunks.jsonl").splitlines()]
        keywords = [json.loads(line) for line in zf.read("keyword.jsonl").splitlines()]
    assert [c["id"] for c in chunks] == [k["id"] for k in keywords]
    vectors = read_vectors(archive)
    assert vectors.dtype == np.float32 and vectors.shape == (n, 384)
    stored = source.vectors.embeddings(kb.collection, [c["id"] for c in chunks])
    assert np.array_equal(vectors, stored)  # row i is chunk i's vector, bit for bit
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_an_empty_knowledge_base_travels_too(embedder, tmp_path):
    """No documents, no vectors: a (0, 0) vector file, no dimension, any embedder."""
    library = Library(tmp_path / "here" / "store")
    library.create_kb("empty")
    file = tmp_path / "empty.wenjikb"
    report = export_kb(library, "empty", file)
    assert (report.documents, report.chunks, report.vectors) == (0, 0, 0)
    m = read_manifest(file)
    assert m.dimension is None and read_vectors(file).shape == (0, 0)
    other = Library(tmp_path / "there" / "store")
    imported = import_kb(other, file, embedder=embedder)
    assert imported.chunks == 0 and [kb.name for kb in other.kbs()] == ["empty"]
    assert_consistent(other)


def test_an_interrupted_export_leaves_no_archive_and_keeps_the_old_one(source, tmp_path,
                                                                      monkeypatch):
    """The archive is written beside the target and renamed when complete: stopped
    halfway through the vectors, the file of an earlier export is untouched and no
    partial file is left."""
    import threading

    from ingest.archive import export

    monkeypatch.setattr(export, "BATCH", 50)  # several batches of vectors
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "filings.wenjikb"
    target.write_bytes(b"an earlier export")
    cancel = threading.Event()
    stages = []

    def progress(done, total, what):
        stages.append(what)
        if what == "vectors":
            cancel.set()
            partial = [p for p in folder.iterdir() if p.name.endswith(".part")]
            assert len(partial) == 1 and partial[0].stat().st_size > 0

    with pytest.raises(ArchiveCancelled):
        export_kb(source, "filings", target, progress=progress, cancel=cancel)
    assert stages.count("vectors") == 1  # stopped at the next batch
    assert target.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in folder.iterdir()) == ["filings.wenjikb"]
    with pytest.raises(LibraryError, match="no knowledge base named 'nope'"):
        export_kb(source, "nope", tmp_path / "x.wenjikb")


# --- bad archives ---------------------------------------------------------------------

@pytest.mark.parametrize("keep", [0.5, 0.95, "all but 1 byte", "30 bytes"])
def test_a_truncated_archive_is_refused(target, archive, embedder, tmp_path, keep):
    data = archive.read_bytes()
    n = {"all but 1 byte": len(data) - 1, "30 bytes": 30}.get(keep) or int(len(data) * keep)
    cut = tmp_path / "cut.wenjikb"
    cut.write_bytes(data[:n])
    refused(target, cut, embedder, "truncated")


@pytest.mark.parametrize("member", ["documents.jsonl", "chunks.jsonl", "keyword.jsonl",
                                    "vectors.npy"])
def test_a_changed_member_is_refused(target, archive, embedder, tmp_path, member):
    """A member changed after export (the zip itself valid): its SHA-256 differs."""
    with zipfile.ZipFile(archive) as zf:
        data = bytearray(zf.read(member))
    if member == "vectors.npy":
        data[-4:] = np.float32(0.5).tobytes()  # one number of the last vector
    else:
        data[:] = data.replace(b"Apple", b"Appel", 1) if b"Apple" in data else data + b"\n"
    changed = tmp_path / "changed.wenjikb"
    rewrite(archive, changed, replace={member: bytes(data)}, fix_checksums=False)
    refused(target, changed, embedder, member, "does not match its checksum")


def test_damaged_bytes_missing_and_extra_members_are_refused(target, archive, embedder,
                                                             tmp_path):
    # a byte flipped in place inside the stored vectors (no rewrite of the zip)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        start = zf.getinfo("vectors.npy").header_offset
    name_len, extra_len = struct.unpack("<HH", bytes(data[start + 26:start + 30]))
    offset = start + 30 + name_len + extra_len + 1000  # in the first vector
    data[offset] ^= 0xFF
    flipped = tmp_path / "flipped.wenjikb"
    flipped.write_bytes(bytes(data))
    refused(target, flipped, embedder, "vectors.npy")

    missing = tmp_path / "missing.wenjikb"
    rewrite(archive, missing, replace={"keyword.jsonl": None}, fix_checksums=False)
    refused(target, missing, embedder, "keyword.jsonl")

    extra = tmp_path / "extra.wenjikb"
    rewrite(archive, extra, add={"files/evil.pdf": b"%PDF"}, fix_checksums=False)
    refused(target, extra, embedder, "files/evil.pdf", "not list")

    escape = tmp_path / "escape.wenjikb"
    rewrite(archive, escape, add={"files/../../outside.txt": b"x"})
    refused(target, escape, embedder, "outside its folder")


def test_an_archive_of_a_newer_format_is_refused(target, archive, embedder, tmp_path):
    newer = tmp_path / "newer.wenjikb"
    rewrite(archive, newer, manifest={"format": FORMAT_VERSION + 1, "app_version": "9.0"})
    refused(target, newer, embedder,
            f"made by a newer Wenji (format {FORMAT_VERSION + 1}",
            f"this version reads up to format {FORMAT_VERSION}")


@pytest.mark.parametrize("kind", ["pdf", "text", "empty", "zip without manifest",
                                  "another app's manifest", "missing"])
def test_a_file_that_is_not_an_archive_is_refused(target, embedder, tmp_path, kind):
    file = tmp_path / f"{kind}.wenjikb"
    if kind == "pdf":
        shutil.copy(require(SEC_DIR / FILINGS[0]), file)
    elif kind == "text":
        file.write_text("name,value\nfilings,1\n")
    elif kind == "empty":
        file.write_bytes(b"")
    elif kind in ("zip without manifest", "another app's manifest"):
        with zipfile.ZipFile(file, "w") as zf:
            zf.writestr("readme.txt", "hello")
            if kind == "another app's manifest":
                zf.writestr("manifest.json", json.dumps({"format": 1, "app": "other"}))
    words = {"missing": ["cannot read it"]}.get(kind, ["not a Wenji knowledge-base archive"])
    refused(target, file, embedder, *words)


# --- names and embedders ----------------------------------------------------------------

def test_a_taken_name_is_refused_and_as_name_imports_beside_it(source, target, archive,
                                                               embedder):
    expected = hits(source, embedder, "filings")
    import_kb(target, archive, embedder=embedder)
    error = refused(target, archive, embedder, "'filings' already exists", "--as NAME")
    assert isinstance(error, ArchiveNameTaken) and error.name == "filings"
    refused(target, archive, embedder, "notes", "already exists", as_name="notes")
    refused(target, archive, embedder, "invalid knowledge base name", as_name="a/b")

    report = import_kb(target, archive, embedder=embedder, as_name="filings (copy)")
    assert report.kb == "filings (copy)"
    assert sorted(kb.name for kb in target.kbs()) == ["filings", "filings (copy)", "notes"]
    assert_same_hits(expected, hits(target, embedder, "filings"))
    assert_same_hits(expected, hits(target, embedder, "filings (copy)"))
    assert_consistent(target)


def test_another_embedders_archive_is_refused_then_reembedded(source, target, archive,
                                                              embedder, tmp_path):
    """An archive whose vectors come from another model: refused with the offer to
    re-embed; with ``reembed`` the passages are embedded again (the archived vectors,
    zeros here, are not used) and the knowledge base records this embedder."""
    n = read_manifest(archive).chunks
    foreign = tmp_path / "foreign.wenjikb"
    rewrite(archive, foreign, replace={"vectors.npy": npy(np.zeros((n, 384)))},
            manifest={"embedder": {"name": "some-other-model", "dimension": 384}})
    error = refused(target, foreign, embedder, "'some-other-model'", repr(embedder.name),
                    "--reembed")
    assert isinstance(error, ArchiveEmbedderMismatch)

    wide = tmp_path / "wide.wenjikb"  # the same name, vectors of another dimension
    rewrite(archive, wide, replace={"vectors.npy": npy(np.zeros((n, 768)))},
            manifest={"embedder": {"name": embedder.name, "dimension": 768}})
    refused(target, wide, embedder, "768 dimensions", "384 dimensions", "--reembed")

    spy = CountingEmbedder(embedder)
    report = import_kb(target, foreign, embedder=embedder, reembed=spy)
    assert report.reembedded and spy.embedded == n
    kb = target.kb("filings")
    assert kb.embedder == embedder.name
    assert {d.embedder for d in target.documents(kb) if d.status == "ready"} == {embedder.name}
    # embedded again in other batches than at ingest: the same passages, scores within
    # what batch padding changes in the vectors
    assert_same_hits(hits(source, embedder, "filings"), hits(target, embedder, "filings"),
                     tol=1e-4)
    assert_consistent(target)


def test_a_tokenizer_change_rebuilds_the_keyword_index(source, archive, embedder, tmp_path):
    """An archive of another tokenizer version: its tokens are not used (they are
    nonsense here), the keyword index is made again from the texts, as the current
    tokenizer makes it at ingest."""
    with zipfile.ZipFile(archive) as zf:
        lines = [json.loads(line) for line in zf.read("keyword.jsonl").splitlines()]
    junk = "".join(json.dumps({"id": k["id"], "tokens": "zzjunk"}) + "\n" for k in lines)
    old = tmp_path / "old-tokenizer.wenjikb"
    rewrite(archive, old, replace={"keyword.jsonl": junk.encode()},
            manifest={"tokenizer": "0"})
    library = Library(tmp_path / "elsewhere" / "store")
    report = import_kb(library, old, embedder=embedder)
    assert report.keyword_rebuilt
    kb, src_kb = library.kb("filings"), source.kb("filings")
    assert keyword_rows(library, kb) == keyword_rows(source, src_kb)
    assert_same_hits(hits(source, embedder, "filings"), hits(library, embedder, "filings"))
    library.close()


# --- with the files -------------------------------------------------------------------

def test_an_archive_with_files_puts_them_in_the_data_folder(source, archive_with_files,
                                                            embedder, tmp_path):
    """The files land in <data folder>/files/<kb>/, the documents point there, and
    adding that folder again finds every file unchanged (nothing is embedded again)."""
    home = tmp_path / "elsewhere"
    library = Library(home / "store")
    report = import_kb(library, archive_with_files, embedder=embedder,
                       files_dir=home / "files")
    folder = home / "files" / "filings"
    assert report.files == len(FILINGS) + 1 and report.files_folder == folder
    kb = library.kb("filings")
    docs = library.documents(kb)
    originals = {Path(d.path).name: d for d in source.documents(source.kb("filings"))}
    assert sorted(Path(d.path).name for d in docs) == sorted(originals)
    for doc in docs:
        path = Path(doc.path)
        assert path.parent == folder and path.is_file()
        original = Path(originals[path.name].path)
        assert path.read_bytes() == original.read_bytes()
        assert path.stat().st_mtime == original.stat().st_mtime == doc.mtime
    assert_same_hits(hits(source, embedder, "filings"), hits(library, embedder, "filings"))

    spy = CountingEmbedder(embedder)
    again = Ingestor(library, spy, parse_workers=0).run([folder], kb_name="filings")
    assert again.count("unchanged") == len(FILINGS), [(o.path, o.status) for o in again.outcomes]
    assert again.count("failed") == 1 and spy.embedded == 0
    assert state(library)["staging"] == []
    assert_consistent(library)
    library.close()


def test_the_files_of_a_second_import_get_their_own_folder(archive_with_files, target,
                                                           embedder):
    first = import_kb(target, archive_with_files, embedder=embedder)
    second = import_kb(target, archive_with_files, embedder=embedder, as_name="filings 2")
    assert first.files_folder == files_dir(target) / "filings"
    assert second.files_folder == files_dir(target) / "filings 2"
    (files_dir(target) / "filings 3").mkdir()  # a folder left by someone else
    third = import_kb(target, archive_with_files, embedder=embedder, as_name="filings 3")
    assert third.files_folder == files_dir(target) / "filings 3 (2)"
    paths = {d.path for d in target.documents(target.kb("filings 3"))}
    assert all(p.startswith(str(third.files_folder) + os.sep) for p in paths)
    assert_consistent(target)


# --- interruptions ----------------------------------------------------------------------

def test_a_cancelled_import_leaves_nothing(target, archive_with_files, embedder,
                                           monkeypatch):
    import threading

    monkeypatch.setattr(importer, "BATCH", 50)
    cancel = threading.Event()
    writes = []

    def progress(done, total, what):
        if what.startswith("writing"):
            writes.append(done)
            cancel.set()  # after the first batch is in both stores

    before = state(target)
    with pytest.raises(ArchiveCancelled, match="nothing was imported"):
        import_kb(target, archive_with_files, embedder=embedder, progress=progress,
                  cancel=cancel)
    assert len(writes) == 1  # it was stopped with passages written, not before
    assert state(target) == before
    assert_consistent(target)


def child(mode: str, store: Path, archive: Path, arg: str = "") -> subprocess.CompletedProcess:
    cache = Path(os.environ["WENJI_HOME"]) / "models" / "embedders"
    return subprocess.run([sys.executable, "-m", "tests.ingest.archive_child", mode,
                           str(store), str(archive), str(cache), arg],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def test_kill_9_mid_import_leaves_the_library_as_it_was(target, archive_with_files):
    """SIGKILL after two batches of passages (and every file) were written: the next
    start drops the hidden knowledge base and the extracted files."""
    before = state(target)
    store = target.store_dir
    target.close()
    res = child("kill", store, archive_with_files)
    assert res.returncode == -9, res.stdout + res.stderr[-3000:]
    assert "WRITTEN 2" in res.stdout
    # what the kill left (looked at without opening the library, which cleans up): a
    # hidden knowledge base with passages, and the files in the staging folder
    db = sqlite3.connect(store / "catalog.sqlite3")
    [(kb_id,)] = db.execute("SELECT id FROM kbs WHERE status = 'importing'").fetchall()
    assert db.execute("SELECT COUNT(*) FROM chunks WHERE kb_id = ?", (kb_id,)).fetchone()[0] > 0
    db.close()
    assert any((store / "importing").iterdir())
    counts = check_store_in_fresh_process(store)
    assert list(counts) == ["notes"]
    assert state_in_fresh_process(store) == before


def test_a_full_disk_mid_import_is_rolled_back(target, archive, tmp_path):
    """The file system refuses to grow a file past a limit, as a full disk does: the
    kernel's per-process file size limit (RLIMIT_FSIZE), set in the importing process
    just above the size of the library's files, so the catalog or Chroma write that
    needs more fails with a real EFBIG from the kernel after a few batches.  (A full
    disk proper needs a small file system, which only root can mount: the next test
    does that where it can.)  Nothing in Chroma or SQLite is mocked."""
    before = state(target)
    store = target.store_dir
    target.close()
    biggest = max(p.stat().st_size for p in store.rglob("*") if p.is_file())
    res = child("fsize", store, archive, str(biggest + 150_000))
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]
    result = json.loads(res.stdout.strip().splitlines()[-1])
    assert result["written"] >= 1, res.stdout  # it failed mid-import, not before
    assert result["error"] and str(archive) in result["error"], result
    assert "the import failed" in result["error"], result
    assert "the other knowledge bases are as they were" in result["error"]
    counts = check_store_in_fresh_process(store)
    assert list(counts) == ["notes"]
    assert state_in_fresh_process(store) == before


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                         capture_output=True, text=True)
    return res.returncode == 0


def test_a_disk_that_fills_up_mid_import_on_a_small_file_system(archive, embedder,
                                                                tmp_path):
    """A real full disk: the library lives on a 64 MB tmpfs, and once the first batch of
    passages is written a filler file takes every free byte, so the import meets
    ENOSPC.  Mounting needs root: skipped elsewhere (the test above covers the rollback
    with the kernel's file size limit)."""
    mount = tmp_path / "small-disk"
    if not _mount_tmpfs(mount, "64m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        library = Library(mount / "home" / "store")
        note = tmp_path / "first-steps.md"
        shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
        Ingestor(library, embedder, parse_workers=0).run([note], kb_name="notes")
        before = state(library)
        library.close()
        filler = mount / "filler"
        res = child("fill", mount / "home" / "store", archive, str(filler))
        assert res.returncode == 0, res.stdout + res.stderr[-3000:]
        result = json.loads(res.stdout.strip().splitlines()[-1])
        assert result["written"] >= 1 and result["error"], result
        assert str(archive) in result["error"] and "the import failed" in result["error"]
        assert "the disk is full" in result["error"], result
        assert shutil.disk_usage(mount).free < 1_000_000  # the disk was full indeed
        filler.unlink()  # the user frees space; the next start cleans up
        counts = check_store_in_fresh_process(mount / "home" / "store")
        assert list(counts) == ["notes"]
        assert state_in_fresh_process(mount / "home" / "store") == before
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_not_enough_free_space_is_refused_before_writing(archive, embedder, tmp_path):
    """The free-space check up front, on a real file system too small for the import
    (a 4 MB tmpfs; root only, skipped elsewhere)."""
    mount = tmp_path / "tiny-disk"
    if not _mount_tmpfs(mount, "4m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        library = Library(mount / "store")
        refused(library, archive, embedder, "not enough free disk space", str(mount))
        library.close()
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_library_opened_elsewhere_during_an_import_leaves_it_alone(target, archive,
                                                                     embedder, monkeypatch):
    """Another Wenji starting mid-import (its start-up recovery runs) must not drop the
    hidden knowledge base of an import whose process is alive."""
    monkeypatch.setattr(importer, "BATCH", 50)
    opened = []

    def progress(done, total, what):
        if what.startswith("writing") and not opened:
            code = ("from ingest.store.library import Library\n"
                    f"lib = Library({str(target.store_dir)!r})\n"
                    "print(len(lib.catalog.kbs(include_deleting=True)))\n")
            res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                                 text=True, timeout=300)
            assert res.returncode == 0, res.stderr
            opened.append(int(res.stdout.strip().splitlines()[-1]))

    report = import_kb(target, archive, embedder=embedder, progress=progress)
    assert opened == [2]  # notes and the hidden import, which it left alone
    assert report.kb == "filings" and target.kb("filings")
    assert_consistent(target)
