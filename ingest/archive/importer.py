"""Restore a knowledge base from an archive into a library, all or nothing.

Order of work, each step refusing before the next can change anything:

1. open and check the archive (``reader``): not an archive, truncated, newer format,
   changed or damaged members -- refused, nothing written;
2. the name must be free (else ``--as NAME``), the embedder must be the one this
   library searches with (same name and dimension; else refused with the offer to
   re-embed), and the disk must have room for the import (checked up front);
3. the knowledge base is built hidden (``StoreWriter.begin_import``): document rows,
   then chunks with keyword rows and vectors a batch at a time, then the source files
   into a hidden folder; the keyword tokens are copied when the archive's tokenizer is
   this one's, else made again from the texts;
4. the counts are checked against the manifest and both stores, the files' folder is
   renamed into place and the knowledge base published under its name in one catalog
   transaction -- the only moment it becomes visible.

Any failure (a full disk, cancel, Ctrl+C) drops the hidden knowledge base and its files
before the error is raised; a killed process leaves it to the next start of the library,
which drops imports whose process is gone (``StoreWriter.recover``).  The other
knowledge bases are never touched.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.analyzer import TOKENIZER_VERSION, tokenize
from ingest.archive import files as archive_files
from ingest.archive.errors import (ArchiveCancelled, ArchiveEmbedderMismatch, ArchiveError,
                                   ArchiveNameTaken, disk_full_hint)
from ingest.archive.layout import CHUNKS, KEYWORDS, VECTOR_DTYPE, VECTORS
from ingest.archive.progress import ArchiveProgress, Steps
from ingest.archive.reader import ArchiveReader
from ingest.index_text import chunk_context, keyword_text
from ingest.store.catalog import ChunkRow
from ingest.store.chunk_ids import chunk_id
from ingest.store.library import Library, LibraryError

log = logging.getLogger(__name__)

# Passages per batch: written to both stores together, and all an import holds in
# memory at once (1,000 x 768 float32 = 3 MB of vectors).
BATCH = 1000
# The generation imported chunks carry (their ids are d<document>g1c<index>).
IMPORTED_GEN = 1
# Passages per embedding call when re-embedding (sorted by length within it, as ingest
# does: a batch is padded to its longest passage).
EMBED_WINDOW = 256
# Disk an import needs per byte of vectors and of passage text in the archive.  Measured
# on the SEC filings: 1.4 bytes per archive byte once imported (bench/RESULTS.md); 3x
# leaves room for Chroma's log before it is compacted and for the catalog's WAL.
VECTOR_SPACE_FACTOR = 3.0
TEXT_SPACE_FACTOR = 3.0
SPACE_MARGIN = 20_000_000


@dataclass
class ImportReport:
    kb: str
    file: Path
    documents: int
    chunks: int
    vectors: int
    files: int
    reembedded: bool
    keyword_rebuilt: bool
    seconds: float
    files_folder: Path | None = None
    embedder: str | None = None


def import_kb(library: Library, file: str | os.PathLike, *, as_name: str | None = None,
              embedder=None, reembed=None, progress: ArchiveProgress | None = None,
              cancel: threading.Event | None = None,
              files_dir: str | os.PathLike | None = None) -> ImportReport:
    """Restore the archive ``file`` into ``library`` as ``as_name`` (default: the name it
    was exported under).  See :mod:`ingest.archive` for the parameters."""
    t0 = time.perf_counter()
    file = Path(file).expanduser().absolute()
    if embedder is None and reembed is None:
        raise TypeError("import_kb needs the embedder the library searches with "
                        "(embedder=...), or one to re-embed with (reembed=...)")
    with ArchiveReader.open(file) as reader:
        m = reader.manifest
        name = as_name or m.kb_name
        try:
            library._check_name(name)
        except LibraryError as exc:
            raise ArchiveError(file, str(exc)) from None
        if library.catalog.kb(name) is not None:
            raise ArchiveNameTaken(file, name)
        if reembed is None:
            _check_embedder(file, m, embedder)
        files_dir = Path(files_dir) if files_dir else library.store_dir.parent / "files"
        _check_space(file, reader, library, files_dir, reembed)
        with_vectors = reembed is None
        # checked, then written (+ embedded): passages; checked, then extracted: files
        total = m.documents + 2 * m.chunks + 2 * m.files + (0 if with_vectors else m.chunks)
        steps = Steps(progress, total, cancel, file)
        steps(0, "checking the archive")
        reader.verify(steps)
        if reembed is None and m.chunks and reader.dimension != m.dimension:
            raise ArchiveError(file, "its vectors do not have the manifest's dimension")
        with library.ingest_lock():  # not beside an ingest or a watched folder's update
            return _restore(library, reader, file, name, embedder, reembed, steps, files_dir,
                            t0)


def _check_embedder(file: Path, m, embedder) -> None:
    """The archive's vectors are usable only in the space of the embedder this library
    searches with: the same model (name) giving vectors of the same dimension."""
    if not m.chunks:
        return  # no vectors: any embedder will do
    name = getattr(embedder, "name", None)
    if m.embedder != name:  # refused without loading the model to learn its dimension
        raise ArchiveEmbedderMismatch(file, m.embedder or "?", m.dimension, name or "?", None)
    dim = _dimension(embedder)
    if dim is not None and dim != m.dimension:
        raise ArchiveEmbedderMismatch(file, m.embedder or "?", m.dimension, name, dim)


def _dimension(embedder) -> int | None:
    try:
        return int(embedder.dimension)  # loads the model (seconds) the first time
    except Exception as exc:
        log.warning("cannot tell the embedder's dimension: %s", exc)
        return None


def _check_space(file: Path, reader: ArchiveReader, library: Library, files_dir: Path,
                 reembed) -> None:
    """Refuse up front an import the disk cannot hold (a failure later is rolled back
    too, but only after minutes of work and with the disk full for a while)."""
    m = reader.manifest
    dim = m.dimension or 0
    if reembed is not None:
        dim = _dimension(reembed) or dim
    vectors = m.chunks * dim * VECTOR_DTYPE.itemsize
    text = m.members[CHUNKS]["size"] + m.members[KEYWORDS]["size"]
    need_store = int(vectors * VECTOR_SPACE_FACTOR + text * TEXT_SPACE_FACTOR) + SPACE_MARGIN
    need_files = sum(v["size"] for k, v in m.members.items()
                     if k not in (CHUNKS, KEYWORDS, VECTORS) and k.startswith("files/"))
    checks = [(library.store_dir, need_store)]
    if need_files:
        files_dir.mkdir(parents=True, exist_ok=True)
        if os.stat(files_dir).st_dev == os.stat(library.store_dir).st_dev:
            checks = [(library.store_dir, need_store + need_files)]
        else:
            checks.append((files_dir, need_files))
    for folder, need in checks:
        free = shutil.disk_usage(folder).free
        if free < need:
            raise ArchiveError(file, f"not enough free disk space in {folder}: the import "
                                     f"needs about {_mb(need)}, {_mb(free)} is free")


def _disk_full(library: Library) -> str:
    """" (the disk is full ...)" when the store's disk has (almost) no room left: the
    stores' own errors seldom say so in words a user knows."""
    try:
        free = shutil.disk_usage(library.store_dir).free
    except OSError:
        return ""
    return f" (the disk is full: {_mb(free)} free in {library.store_dir})" \
        if free < SPACE_MARGIN else ""


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _restore(library: Library, reader: ArchiveReader, file: Path, name: str, embedder,
             reembed, steps: Steps, files_dir: Path, t0: float) -> ImportReport:
    m = reader.manifest
    writer = library.writer
    model_name = reembed.name if reembed is not None else m.embedder
    rebuild_tokens = m.tokenizer != TOKENIZER_VERSION
    staging: Path | None = None
    final: Path | None = None
    moved = False  # the files are in their final folder (ours to remove on failure)
    kb = writer.begin_import(model_name)
    try:
        rows = reader.documents()
        if m.files:
            staging = archive_files.staging_folder(library.import_staging)
            final = archive_files.final_folder(files_dir, name)
        # document rows; source files into the hidden folder as we go
        doc_ids: dict[int, tuple[int, str, str | None]] = {}
        n_files = 0
        for row in rows:
            path = row["path"]
            if row.get("file") and staging is not None:
                rel = archive_files.safe_relative(row["file"])
                if rel is None or row["file"] not in m.members:
                    raise ArchiveError(file, f"{row['path']} names a file the archive does "
                                             f"not hold ({row['file']!r})")
                target = staging.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                reader.extract(row["file"], target)
                if row.get("file_mtime_ns"):
                    ns = int(row["file_mtime_ns"])
                    os.utime(target, ns=(ns, ns))
                path = str(final.joinpath(*rel.parts))
                n_files += 1
                steps(1, f"files: {rel.name}")
            fields = {k: row.get(k) for k in (
                "title", "kind", "content_hash", "size", "mtime", "status", "code", "reason",
                "pages", "empty_pages", "chunks", "embedder", "updated", "ocr_pages")}
            ready = row.get("status") == "ready"
            fields.update(path=path, gen=IMPORTED_GEN if ready else 0)
            if ready and reembed is not None:
                fields["embedder"] = reembed.name
            doc_ids[row["key"]] = (library.catalog.add_imported_document(kb, fields), path,
                                   row.get("title"))
        steps(len(rows), "documents")

        n_chunks = 0
        for batch in reader.chunk_batches(BATCH, with_vectors=reembed is None):
            chunk_rows = []
            for c in batch.chunks:
                try:
                    doc_id, path, title = doc_ids[c["doc"]]
                except KeyError:
                    raise ArchiveError(file, f"{CHUNKS} names a document the archive does "
                                             f"not hold ({c.get('doc')!r})") from None
                chunk_rows.append(ChunkRow(
                    id=chunk_id(doc_id, IMPORTED_GEN, int(c["idx"])), doc_id=doc_id,
                    kb_id=kb.id, index=int(c["idx"]), page=c.get("page"),
                    heading=c.get("heading"), start=int(c.get("start") or 0),
                    end=int(c.get("end") or 0), text=str(c["text"]),
                    page_label=c.get("page_label"), ocr=bool(c.get("ocr"))))
            tokens = batch.tokens
            if rebuild_tokens:
                tokens = [" ".join(tokenize(keyword_text(
                    r.text, r.heading or "", chunk_context(doc_ids[c["doc"]][1],
                                                           doc_ids[c["doc"]][2], r.index))))
                          for r, c in zip(chunk_rows, batch.chunks)]
            vectors = batch.vectors
            if vectors is None:
                vectors = _embed(reembed, [r.text for r in chunk_rows], steps)
            writer.import_chunks(kb, chunk_rows, tokens, vectors, IMPORTED_GEN)
            n_chunks += len(chunk_rows)
            steps(len(chunk_rows), "writing passages and vectors")

        _check_counts(library, kb, file, n_chunks, m)
        if staging is not None:
            if final.exists():  # taken while we worked: find another
                taken, final = final, archive_files.final_folder(files_dir, name)
                _repoint(library, kb, taken, final)
            archive_files.move_into_place(staging, final)
            staging, moved = None, True
        if not writer.publish_import(kb, name):
            if library.catalog.kb(name) is not None:
                raise ArchiveNameTaken(file, name)
            raise ArchiveError(file, "the import was dropped by another Wenji that started "
                                     "meanwhile; import it again")
    except BaseException as exc:
        undone = writer.abandon_import(kb)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if moved:
            shutil.rmtree(final, ignore_errors=True)
        if isinstance(exc, (ArchiveError, KeyboardInterrupt, SystemExit)):
            if isinstance(exc, ArchiveCancelled):
                raise ArchiveCancelled(file, "import cancelled; nothing was imported") from None
            raise
        hint = disk_full_hint(exc) or _disk_full(library)
        undo = ("was undone" if undone else
                "is undone at the next start of Wenji (it is hidden until then)")
        raise ArchiveError(file, f"the import failed ({type(exc).__name__}: {exc}){hint} and "
                                 f"{undo}; the other knowledge bases are as they were") from exc
    report = ImportReport(kb=name, file=file, documents=len(rows), chunks=n_chunks,
                          vectors=n_chunks, files=n_files, reembedded=reembed is not None,
                          keyword_rebuilt=rebuild_tokens and n_chunks > 0,
                          seconds=time.perf_counter() - t0,
                          files_folder=final if n_files else None, embedder=model_name)
    log.info("imported %s as %r: %d documents, %d chunks, %d files%s in %.1fs", file, name,
             report.documents, report.chunks, report.files,
             ", re-embedded" if report.reembedded else "", report.seconds)
    return report


def _embed(embedder, texts: list[str], steps: Steps) -> np.ndarray:
    """Vectors of ``texts`` with ``embedder``, a window at a time, shortest first within
    each window (less padding), in the texts' order."""
    out: list[np.ndarray | None] = [None] * len(texts)
    for start in range(0, len(texts), EMBED_WINDOW):
        window = list(range(start, min(len(texts), start + EMBED_WINDOW)))
        window.sort(key=lambda i: len(texts[i]))
        vecs = embedder.encode([texts[i] for i in window], batch_size=8)
        for i, v in zip(window, vecs):
            out[i] = v
        steps(len(window), "embedding passages")
    return np.asarray(out, dtype=np.float32)


def _check_counts(library: Library, kb, file: Path, n_chunks: int, m) -> None:
    """Both stores hold exactly what the manifest promised, before anyone can see it."""
    vectors = library.vectors.count(kb.collection)
    rows = library.catalog.db.execute("SELECT COUNT(*) FROM chunks WHERE kb_id = ?",
                                      (kb.id,)).fetchone()[0]
    keyword = library.catalog.keyword_count(kb)
    promised = sum(d.chunks for d in library.catalog.documents(kb.id) if d.status == "ready")
    if not (n_chunks == m.chunks == vectors == rows == keyword == promised):
        raise ArchiveError(file, f"the import does not add up (manifest {m.chunks} passages, "
                                 f"written {rows}, vectors {vectors}, keyword rows {keyword}, "
                                 f"documents say {promised}); nothing was imported")


def _repoint(library: Library, kb, old: Path, new: Path) -> None:
    """Point the imported documents from one files folder to another (before publishing)."""
    prefix = str(old) + os.sep
    with library.catalog.transaction():
        for doc in library.catalog.documents(kb.id):
            if doc.path.startswith(prefix):
                library.catalog.db.execute("UPDATE documents SET path = ? WHERE id = ?",
                                           (str(new) + os.sep + doc.path[len(prefix):], doc.id))
