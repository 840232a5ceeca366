"""Write one knowledge base to one archive file.

The catalog is read through one read transaction (``Catalog.snapshot``), so the archive
is one moment of the knowledge base even while files are being added to it; the vectors
of that moment's chunks are then read from Chroma by id, a batch at a time.  If one of
them is gone meanwhile (a document re-indexed during the export), the export stops and
says so rather than write an archive whose parts disagree.

The archive is written to a hidden file beside the target and renamed over it only when
complete and flushed to disk: an interrupted export (error, cancel, kill) never leaves a
partial archive under the final name, nor touches a file already there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ingest.archive import files as archive_files
from ingest.archive.errors import ArchiveError, disk_full_hint
from ingest.archive.layout import (CHUNKS, DOCUMENTS, KEYWORDS, MANIFEST, VECTOR_DTYPE,
                                   VECTORS, Manifest, npy_header)
from ingest.archive.progress import ArchiveProgress, Steps
from ingest.store.library import Library

log = logging.getLogger(__name__)

# Chunks per batch: the vectors of one batch (1,000 x 768 float32 = 3 MB) are all an
# export holds in memory at once.
BATCH = 1000

# Catalog columns of a document that an archive carries (``id`` becomes its key).
DOCUMENT_FIELDS = ("path", "title", "kind", "content_hash", "size", "mtime", "status", "code",
                   "reason", "pages", "empty_pages", "chunks", "embedder", "gen", "updated",
                   "ocr_pages")


@dataclass
class ExportReport:
    kb: str
    file: Path
    documents: int
    chunks: int
    vectors: int
    files: int
    bytes: int
    seconds: float
    # with_files: documents whose file could not be read (their index is still there)
    missing_files: list[str] = field(default_factory=list)


class _Member:
    """One archive member written as a stream, hashed on the way."""

    def __init__(self, zf: zipfile.ZipFile, name: str, compress: bool,
                 manifest: dict[str, dict]):
        info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self.name, self.manifest = name, manifest
        self.fh = zf.open(info, "w", force_zip64=True)  # members may pass 2 GB
        self.sha, self.size = hashlib.sha256(), 0
        self.buffer: list[bytes] = []
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.buffer.append(data)
        self.buffered += len(data)
        if self.buffered >= 1 << 20:
            self.flush()

    def line(self, obj) -> None:
        self.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")

    def flush(self) -> None:
        data = b"".join(self.buffer)
        self.buffer, self.buffered = [], 0
        self.sha.update(data)
        self.size += len(data)
        self.fh.write(data)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.flush()
        self.fh.close()
        if exc_type is None:
            self.manifest[self.name] = {"sha256": self.sha.hexdigest(), "size": self.size}
        return False


def app_version() -> str:
    """This Wenji's version, from the installed distribution (the core cannot import
    the app package, which sits above it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wenji")
    except PackageNotFoundError:
        return "unknown"


def export_kb(library: Library, kb_name: str, file: str | os.PathLike, *,
              with_files: bool = False, progress: ArchiveProgress | None = None,
              cancel: threading.Event | None = None) -> ExportReport:
    """Write the knowledge base ``kb_name`` to the archive ``file`` (replaced atomically
    if it exists).  ``with_files`` adds the source files.  ``progress(done, total,
    what)``: see :mod:`ingest.archive`."""
    t0 = time.perf_counter()
    target = Path(file).expanduser().absolute()
    kb = library.kb(kb_name)
    if not target.parent.is_dir():
        raise ArchiveError(target, f"the folder {target.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with library.catalog.snapshot() as db:
            report = _write(library, db, kb, tmp, target, with_files, progress, cancel)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _sync_folder(target.parent)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ArchiveError(target, f"cannot write the archive: {exc.strerror or exc}"
                               f"{disk_full_hint(exc)}") from exc
        raise
    report.bytes = target.stat().st_size
    report.seconds = time.perf_counter() - t0
    log.info("exported %r to %s: %d documents, %d chunks, %d files, %d bytes in %.1fs",
             kb.name, target, report.documents, report.chunks, report.files, report.bytes,
             report.seconds)
    return report


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; elsewhere a folder cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write(library, db, kb, tmp: Path, target: Path, with_files: bool, progress, cancel):
    docs = [dict(r) for r in db.execute(
        "SELECT * FROM documents WHERE kb_id = ? AND status != 'removing' ORDER BY id",
        (kb.id,))]
    n_chunks = db.execute("SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc_id "
                          "WHERE c.kb_id = ? AND d.status = 'ready'", (kb.id,)).fetchone()[0]
    sources: dict[str, str] = {}
    if with_files:
        paths = [d["path"] for d in docs if Path(d["path"]).is_absolute()]
        sources = archive_files.member_names(paths)
    steps = Steps(progress, len(docs) + 3 * n_chunks + len(sources), cancel, target)
    steps(0, "files" if sources else "documents")
    checksums: dict[str, dict] = {}
    report = ExportReport(kb=kb.name, file=target, documents=len(docs), chunks=n_chunks,
                          vectors=0, files=0, bytes=0, seconds=0.0)
    chunk_order = ("SELECT c.* FROM chunks c JOIN documents d ON d.id = c.doc_id "
                   "WHERE c.kb_id = ? AND d.status = 'ready' ORDER BY c.doc_id, c.idx")
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
        # the files first: which of them could be read goes into the document rows
        stored: dict[str, tuple[str, int]] = {}
        for path, member in sources.items():
            try:
                st = os.stat(path)
                with open(path, "rb") as src, _Member(zf, member, False, checksums) as out:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        out.write(block)
                stored[path] = (member, st.st_mtime_ns)
            except OSError as exc:
                if exc.filename != path:
                    raise  # writing the archive failed, not reading the file
                report.missing_files.append(path)
            steps(1, f"files: {Path(path).name}")
        report.files = len(stored)
        with _Member(zf, DOCUMENTS, True, checksums) as out:
            for d in docs:
                row = {"key": d["id"], **{k: d[k] for k in DOCUMENT_FIELDS}}
                member, mtime_ns = stored.get(d["path"], (None, None))
                row["file"], row["file_mtime_ns"] = member, mtime_ns
                out.line(row)
        steps(len(docs), "documents")
        with _Member(zf, CHUNKS, True, checksums) as out:
            cur = db.execute(chunk_order, (kb.id,))
            while rows := cur.fetchmany(BATCH):
                for r in rows:
                    out.line({"id": r["id"], "doc": r["doc_id"], "idx": r["idx"],
                              "page": r["page"], "heading": r["heading"], "start": r["start"],
                              "end": r["end"], "text": r["text"],
                              "page_label": r["page_label"], "ocr": bool(r["ocr"])})
                steps(len(rows), "passages")
        with _Member(zf, KEYWORDS, True, checksums) as out:
            cur = db.execute(
                f"SELECT c.id, f.tokens FROM chunks c JOIN documents d ON d.id = c.doc_id "
                f"JOIN {library.catalog.keyword_table(kb)} f ON f.rowid = c.rowid "
                "WHERE c.kb_id = ? "
                "AND d.status = 'ready' ORDER BY c.doc_id, c.idx", (kb.id,))
            n = 0
            while rows := cur.fetchmany(BATCH):
                for r in rows:
                    out.line({"id": r["id"], "tokens": r["tokens"]})
                n += len(rows)
                steps(len(rows), "keyword index")
            if n != n_chunks:
                raise ArchiveError(target, f"the keyword index of {kb.name!r} has {n} rows "
                                           f"for {n_chunks} passages; run `wenji doctor`")
        dim = _write_vectors(library, db, kb, zf, checksums, chunk_order, n_chunks, steps,
                             target)
        report.vectors = n_chunks
        manifest = Manifest(
            kb_name=kb.name, kb_created=kb.created, embedder=kb.embedder,
            dimension=dim, tokenizer=kb.tokenizer, documents=len(docs), chunks=n_chunks,
            vectors=n_chunks, files=len(stored), app_version=app_version(),
            created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            members=checksums)
        info = zipfile.ZipInfo(MANIFEST, date_time=time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, manifest.to_json())
        steps(0, "finishing")  # the last chance to cancel before the archive is in place
    return report


def _write_vectors(library, db, kb, zf, checksums, chunk_order, n_chunks, steps,
                   target) -> int | None:
    """vectors.npy, a batch of rows at a time; returns the dimension (None: no chunks)."""
    cur = db.execute(chunk_order.replace("SELECT c.*", "SELECT c.id"), (kb.id,))
    first = cur.fetchmany(BATCH)
    vecs = _vectors(library, kb, [r[0] for r in first], target) if first else None
    dim = int(vecs.shape[1]) if vecs is not None else 0
    with _Member(zf, VECTORS, False, checksums) as out:
        out.write(npy_header(n_chunks, dim))
        rows = first
        while rows:
            if vecs is None:
                vecs = _vectors(library, kb, [r[0] for r in rows], target)
            if vecs.shape[1] != dim:
                raise ArchiveError(target, f"the vectors of {kb.name!r} have different "
                                           f"dimensions ({dim}, {vecs.shape[1]}); re-embed it")
            out.write(vecs.astype(VECTOR_DTYPE, copy=False).tobytes())
            steps(len(rows), "vectors")
            rows, vecs = cur.fetchmany(BATCH), None
    return dim or None


def _vectors(library, kb, ids: list[str], target: Path):
    try:
        return library.vectors.embeddings(kb.collection, ids)
    except KeyError as exc:
        raise ArchiveError(target, f"the passage {exc.args[0]} of {kb.name!r} has no vector: "
                                   "the knowledge base changed during the export (a document "
                                   "was re-indexed?); export it again") from None
