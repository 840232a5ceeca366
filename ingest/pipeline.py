"""Ingest files and folders into a knowledge base, incrementally, with progress and cancel.

Worker processes load and split files while the main process embeds and writes, so
parsing overlaps with the embedder (the bottleneck).  Per file the decision is:

* same size and mtime as the catalog, or same content hash → unchanged, skipped;
* a new path whose content matches a document whose file is gone → moved: the path is
  updated, nothing is re-embedded;
* otherwise → (re)indexed as a new generation, swapped in atomically (see
  ``ingest.store.writer`` for the crash rules);
* a file under an ingested folder that no longer exists → its document is removed.

Progress is reported through a plain callback so the CLI and the GUI share it; cancel is
a ``threading.Event`` checked between embedding batches (well under a second apart).

On a shared library, files another client is writing at the same moment, and servers
that restart mid-run, follow ``ingest.turns``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ingest.loaders import SUPPORTED_EXTENSIONS, cannot_read, kind_of, unsupported_type
from ingest.pdf import PdfOptions
from ingest import turns
from ingest.prepare import Cancelled, Prepared, file_hash, prepare, read_failed, worker_init
from ingest.store.catalog import DocumentRow, KnowledgeBase
from ingest.store.errors import DocumentBusy, ServerLost
from ingest.store.library import Library, LibraryError
from models import cpu_share
from models.reasons import Reason, joined

log = logging.getLogger(__name__)

# Outcome statuses shown to the user.
ADDED, UPDATED, UNCHANGED, MOVED, FAILED, SKIPPED, REMOVED, CANCELLED = (
    "added", "updated", "unchanged", "moved", "failed", "skipped", "removed", "cancelled")


@dataclass
class FileOutcome:
    path: str
    status: str
    reason: str = ""  # a models.reasons.Reason when the core wrote it
    chunks: int = 0
    pages: int = 0


@dataclass
class Progress:
    files_total: int
    files_done: int = 0
    chunks_done: int = 0
    current: str = ""
    stage: str = "scanning"  # scanning | indexing | done | cancelled
    elapsed: float = 0.0
    rate: float = 0.0  # chunks per second
    eta: float | None = None  # seconds
    outcome: FileOutcome | None = None  # set when a file has just finished
    file_chunks_done: int = 0  # chunks of ``current`` embedded so far
    file_chunks_total: int = 0  # chunks of ``current`` (0 while it is being parsed)
    ocr_file: str = ""  # the file whose scanned pages are being read by OCR
    ocr_done: int = 0  # its pages read so far
    ocr_total: int = 0  # its pages to read (0: no OCR under way)


@dataclass
class IngestReport:
    kb: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    cancelled: bool = False
    elapsed: float = 0.0

    @property
    def chunks(self) -> int:
        return sum(o.chunks for o in self.outcomes if o.status in (ADDED, UPDATED))

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


ProgressCallback = Callable[[Progress], None]


def collect_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[FileOutcome], list[Path]]:
    """Expand folders.  Returns (supported files, outcomes for unusable ones, folders)."""
    files: list[Path] = []
    rejected: list[FileOutcome] = []
    folders: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw).expanduser()
        try:
            p = p.resolve()
        except OSError:
            pass
        if p.is_dir():
            folders.append(p)
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if name.startswith("."):
                        continue
                    f = Path(root) / name
                    if f.suffix.lower() in SUPPORTED_EXTENSIONS:
                        if f not in seen:
                            seen.add(f)
                            files.append(f)
                    else:
                        rejected.append(FileOutcome(str(f), SKIPPED, Reason(
                            "skipped_type", "unsupported file type {suffix!r}",
                            suffix=f.suffix or "(none)")))
        elif p.exists():
            if kind_of(p) is None:
                rejected.append(FileOutcome(str(p), SKIPPED, unsupported_type(p)))
            elif p not in seen:
                seen.add(p)
                files.append(p)
        else:
            rejected.append(FileOutcome(str(p), FAILED, Reason("not_found", "not found")))
    return files, rejected, folders


class Ingestor:
    def __init__(self, library: Library, embedder, *, chunk_tokens: int = 200,
                 overlap: float = 0.15, max_file_mb: float = 200.0, parse_workers: int = 1,
                 embed_batch: int = 8, ocr: bool = True, ocr_max_pages: int = 300):
        self.library = library
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.overlap = overlap
        self.max_bytes = int(max_file_mb * 1_000_000)
        self.parse_workers = parse_workers
        self._parsers_busy = _never
        self.embed_batch = embed_batch
        self.pdf_options = PdfOptions(ocr=ocr, ocr_max_pages=ocr_max_pages)
        self._hashed: dict[str, tuple] = {}  # path -> (size, mtime) when it was hashed
        self._waiting: list[Prepared] = []  # files another client was writing (turns)

    @classmethod
    def from_settings(cls, library: Library, embedder, ingest_settings) -> "Ingestor":
        s = ingest_settings
        return cls(library, embedder, chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap,
                   max_file_mb=s.max_file_mb, parse_workers=s.parse_workers,
                   embed_batch=s.embed_batch, ocr=s.ocr, ocr_max_pages=s.ocr_max_pages)

    # --- the run -----------------------------------------------------------------

    def run(self, paths: Iterable[str | os.PathLike], kb_name: str | None = None,
            on_progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None, reembed: bool = False,
            force: bool = False) -> IngestReport:
        """Ingest files and folders.  ``reembed=True`` switches the knowledge base to this
        ingestor's embedder; documents embedded with another one are then redone.
        ``force=True`` re-reads and re-embeds files even when they have not changed (the
        user's "Re-index"); the old version stays searchable until the new one is in."""
        cancel = cancel or threading.Event()
        with self.library.ingest_lock(), self._abort_embedding_on(cancel):
            return self._run(paths, kb_name, on_progress, cancel, reembed, force)

    def reembed(self, kb_name: str | None = None, on_progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> IngestReport:
        """Re-embed every file-based document of a knowledge base with this embedder.

        Each document swaps to its new vectors atomically (the usual generation swap), so
        an interruption leaves every document searchable; running it again finishes."""
        kb = self.library.kb(kb_name)
        paths = [d.path for d in self.library.documents(kb) if Path(d.path).is_absolute()]
        return self.run(paths, kb.name, on_progress, cancel, reembed=True)

    def _run(self, paths, kb_name, on_progress, cancel: threading.Event,
             reembed: bool = False, force: bool = False) -> IngestReport:
        t0 = time.perf_counter()
        self._hashed.clear()
        self._waiting.clear()
        kb = self._open_kb(kb_name, reembed)
        report = IngestReport(kb=kb.name)
        files, rejected, folders = collect_files(paths)
        progress = Progress(files_total=len(files))
        emit = self._emitter(report, progress, on_progress, t0)
        for outcome in rejected:
            emit(outcome)

        # Documents under an ingested folder whose files are gone: removed (after the
        # move check below has had a chance to claim them).
        todo: list[tuple[Path, str | None, DocumentRow | None]] = []
        progress.stage = "scanning"
        for f in files:
            if cancel.is_set():
                break
            decision = self._decide(kb, f, force)
            if isinstance(decision, FileOutcome):
                progress.files_done += 1
                emit(decision, str(f))
            else:
                todo.append(decision)
        if not cancel.is_set():
            for outcome in self._remove_vanished(kb, folders):
                emit(outcome)

        progress.stage = "indexing"
        if todo and not cancel.is_set():
            self._index(kb, todo, progress, emit, cancel)
            self._after_others(kb, {str(f): row for f, _, row in todo}, progress, emit,
                               cancel)
        if cancel.is_set():
            report.cancelled = True
            progress.stage = "cancelled"
        else:
            progress.stage = "done"
        report.elapsed = time.perf_counter() - t0
        emit(None)
        return report

    def _embed_threads(self) -> int | None:
        """Fewer embedding threads while parser processes hold cores (None: all)."""
        if not self._parsers_busy():
            return None
        return max(1, int(getattr(self.embedder, "threads", 1)) - self.parse_workers)

    @contextlib.contextmanager
    def _abort_embedding_on(self, cancel: threading.Event):
        """Cancel must act within a second even in the middle of an embedding batch."""
        finished = threading.Event()

        def watch():
            while not finished.is_set():
                if cancel.wait(0.05):
                    self.embedder.abort()
                    return

        watcher = threading.Thread(target=watch, name="ingest-cancel-watch", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            finished.set()

    def _open_kb(self, kb_name: str | None, reembed: bool = False) -> KnowledgeBase:
        kb = self.library.kb(kb_name, create=True, embedder=self.embedder.name)
        if reembed and kb.embedder != self.embedder.name:
            self.library.catalog.set_kb_embedder(kb, self.embedder.name)
            kb = self.library.kb(kb.name)
        if kb.embedder and kb.embedder != self.embedder.name:
            raise LibraryError(
                f"knowledge base {kb.name!r} was built with the embedder {kb.embedder!r}, not "
                f"{self.embedder.name!r}; re-embed it (`wenji kb reembed`) or pick that embedder")
        if not kb.embedder:
            self.library.catalog.set_kb_embedder(kb, self.embedder.name)
        return kb

    @staticmethod
    def _emitter(report: IngestReport, progress: Progress,
                 on_progress: ProgressCallback | None, t0: float):
        def emit(outcome: FileOutcome | None = None, current: str = "") -> None:
            if outcome is not None:
                report.outcomes.append(outcome)
            if on_progress is None:
                return
            progress.elapsed = time.perf_counter() - t0
            progress.current = current
            progress.outcome = outcome
            done = progress.files_done
            if progress.chunks_done and progress.elapsed > 0:
                progress.rate = progress.chunks_done / progress.elapsed
            if done and progress.files_total > done:
                progress.eta = progress.elapsed / done * (progress.files_total - done)
            elif progress.files_total == done:
                progress.eta = 0.0
            try:
                on_progress(progress)
            except Exception:  # a broken progress display must not break ingest
                log.exception("progress callback failed")
        return emit

    def _decide(self, kb: KnowledgeBase, f: Path, force: bool = False):
        """Either a final FileOutcome (unchanged, moved, failed) or work to do."""
        catalog = self.library.catalog
        path = str(f)
        try:
            st = f.stat()
        except OSError as exc:
            return FileOutcome(path, FAILED, cannot_read(exc))
        if not stat.S_ISREG(st.st_mode):  # reading a pipe would wait for ever
            return FileOutcome(path, FAILED, Reason("not_regular_file", "not a regular file (a "
                                                    "pipe, socket or device)"))
        existing = catalog.document(kb.id, path)
        if (not force and existing and existing.status in ("ready", "failed") and existing.size == st.st_size
                and existing.mtime == st.st_mtime and existing.embedder in (None, self.embedder.name)
                and existing.code not in ("missing", "unreadable")):
            return FileOutcome(path, UNCHANGED if existing.status == "ready" else FAILED,
                               existing.reason or "", existing.chunks, existing.pages)
        if st.st_size > self.max_bytes or st.st_size == 0:
            return (f, None, existing)  # the loader gives the reason; no need to hash
        try:
            digest = file_hash(f)
        except OSError as exc:
            return FileOutcome(path, FAILED, cannot_read(exc))
        self._hashed[path] = (st.st_size, st.st_mtime)  # prepare() checks it is still so
        if not force and existing and existing.content_hash == digest and existing.status in ("ready", "failed") \
                and existing.code not in ("missing", "unreadable") \
                and existing.embedder in (None, self.embedder.name):
            catalog.touch_document(existing, st.st_mtime)
            return FileOutcome(path, UNCHANGED if existing.status == "ready" else FAILED,
                               existing.reason or "", existing.chunks, existing.pages)
        if existing is None:
            for twin in catalog.documents_with_hash(kb.id, digest):
                if twin.status == "ready" and not Path(twin.path).exists():
                    catalog.move_document(twin, path, st.st_mtime)
                    return FileOutcome(path, MOVED, Reason("moved_from", "moved from {path}",
                                                           path=twin.path),
                                       twin.chunks, twin.pages)
        return (f, digest, existing)

    def _remove_vanished(self, kb: KnowledgeBase, folders: list[Path]) -> list[FileOutcome]:
        out = []
        for folder in folders:
            prefix = str(folder).rstrip("/") + "/"
            for doc in self.library.catalog.documents(kb.id):
                if doc.path.startswith(prefix) and not Path(doc.path).exists():
                    self.library.writer.remove_document(kb, doc)
                    out.append(FileOutcome(doc.path, REMOVED, _gone()))
        return out

    # --- parsing in workers, embedding here -------------------------------------

    def _index(self, kb, todo, progress: Progress, emit, cancel: threading.Event) -> None:
        model_dir = str(self.embedder.ensure_folder())
        args = lambda f, digest: (str(f), digest, model_dir, self.chunk_tokens, self.overlap,
                                  self.max_bytes, self.pdf_options)
        hashed = lambda f: {"hashed_stat": self._hashed.get(str(f))}
        existing = {str(f): row for f, _, row in todo}
        group = _Group()
        if self.parse_workers <= 0:
            def on_ocr(path: str, done: int, total: int) -> None:
                if cancel.is_set():
                    raise Cancelled()
                self._ocr_progress(progress, emit, path, done, total)

            for f, digest, _ in todo:
                if cancel.is_set():
                    break
                try:
                    prepared = prepare(*args(f, digest), on_ocr=on_ocr, **hashed(f))
                except Cancelled:
                    break
                self._accept(kb, prepared, existing, group, progress, emit, cancel)
                self._flush(kb, group, existing, progress, emit, cancel)
            return

        ctx = mp.get_context("spawn")
        news = [None]  # the pool's queue of (path, done, total) from the workers' OCR

        def make_pool():
            # a new queue with each pool: a worker that died may have held the old one's lock
            news[0] = ctx.Queue()
            return cf.ProcessPoolExecutor(max_workers=self.parse_workers, mp_context=ctx,
                                          initializer=worker_init, initargs=(news[0],))

        pool = make_pool()
        try:
            queue = list(todo)
            in_flight: dict[cf.Future, tuple] = {}
            self._parsers_busy = lambda: any(not f.done() for f in in_flight)
            # Parsers run ahead of the embedder (which is slower) so they never wait for
            # the main thread to hand them the next file: parsing ends early and the
            # embedder has every core for the rest of the run.
            limit = max(4, self.parse_workers * 4)
            while (queue or in_flight) and not cancel.is_set():
                # while an answer is written, parsers get no new file (models.cpu_share)
                while queue and len(in_flight) < limit and not cpu_share.answering():
                    item = queue.pop(0)
                    in_flight[pool.submit(prepare, *args(item[0], item[1]),
                                          **hashed(item[0]))] = item
                if not in_flight:  # nothing handed out while an answer is written
                    cpu_share.wait_while_answering(cancel)
                    continue
                done, _ = cf.wait(list(in_flight), timeout=0.2,
                                  return_when=cf.FIRST_COMPLETED)
                self._drain_ocr_news(news[0], progress, emit)
                for fut in done:
                    if fut not in in_flight:
                        continue  # re-queued after a broken pool
                    item = in_flight.pop(fut)
                    path = str(item[0])
                    try:
                        prepared = fut.result()
                    except cf.process.BrokenProcessPool:
                        # A worker died (a parser crash, out of memory).  The pool is
                        # unusable: start a new one and retry the other files in flight.
                        prepared = Prepared(path=path, ok=False, code="error", reason=Reason(
                            "reader_crashed", "the file crashed the PDF reader"))
                        queue[:0] = list(in_flight.values())
                        in_flight.clear()
                        pool.shutdown(wait=False, cancel_futures=True)
                        pool = make_pool()
                    except Exception as exc:
                        prepared = Prepared(path=path, ok=False, code="error",
                                            reason=read_failed(exc))
                    self._accept(kb, prepared, existing, group, progress, emit, cancel)
                # Embed what is parsed while the workers parse the next files; wait for
                # more only to fill a batch of small documents.
                if group.chunks >= self.embed_batch or not done or not in_flight:
                    self._flush(kb, group, existing, progress, emit, cancel)
            self._flush(kb, group, existing, progress, emit, cancel)
        finally:
            self._parsers_busy = _never
            if cancel.is_set():
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.terminate()
            pool.shutdown(wait=not cancel.is_set(), cancel_futures=True)

    @staticmethod
    def _ocr_progress(progress: Progress, emit, path: str, done: int, total: int) -> None:
        progress.ocr_file, progress.ocr_done, progress.ocr_total = path, done, total
        emit(current=path)

    def _drain_ocr_news(self, news, progress: Progress, emit) -> None:
        """Show the workers' latest OCR page counts (only the newest per call)."""
        latest = None
        try:
            while True:
                latest = news.get_nowait()
        except (queue_mod.Empty, OSError, ValueError):
            pass
        if latest is not None:
            self._ocr_progress(progress, emit, *latest)

    def ingest_prepared(self, prepared: Iterable[Prepared], kb_name: str | None = None,
                        on_progress: ProgressCallback | None = None,
                        cancel: threading.Event | None = None, total: int = 0) -> IngestReport:
        """Index documents prepared elsewhere (e.g. records of a BEIR corpus, keyed by a
        pseudo-path) through the same batching, stores and crash rules as files."""
        cancel = cancel or threading.Event()
        with self.library.ingest_lock(), self._abort_embedding_on(cancel):
            return self._ingest_prepared(prepared, kb_name, on_progress, cancel, total)

    def _ingest_prepared(self, prepared, kb_name, on_progress, cancel, total) -> IngestReport:
        t0 = time.perf_counter()
        kb = self._open_kb(kb_name)
        report = IngestReport(kb=kb.name)
        progress = Progress(files_total=total, stage="indexing")
        emit = self._emitter(report, progress, on_progress, t0)
        group = _Group()
        existing: dict[str, DocumentRow | None] = {}
        self._waiting.clear()
        for item in prepared:
            if cancel.is_set():
                break
            existing[item.path] = self.library.catalog.document(kb.id, item.path)
            self._accept(kb, item, existing, group, progress, emit, cancel)
            if group.chunks >= self.embed_batch * 4:
                self._flush(kb, group, existing, progress, emit, cancel)
        self._flush(kb, group, existing, progress, emit, cancel)
        self._after_others(kb, existing, progress, emit, cancel)
        report.cancelled = cancel.is_set()
        progress.stage = "cancelled" if report.cancelled else "done"
        report.elapsed = time.perf_counter() - t0
        emit(None)
        return report

    def _accept(self, kb: KnowledgeBase, prepared: Prepared, existing: dict, group: "_Group",
                progress: Progress, emit, cancel: threading.Event) -> None:
        """A failed file is recorded at once; a good one joins the group to embed."""
        writer = self.library.writer
        path = prepared.path
        old = existing.get(path)
        if prepared.ok:
            group.items.append(prepared)
            group.chunks += len(prepared.chunks)
            return
        if prepared.code == "missing":
            if old is not None:
                writer.remove_document(kb, old)
                outcome = FileOutcome(path, REMOVED, _gone())
            else:
                outcome = FileOutcome(path, FAILED, prepared.reason or "")
        else:
            writer.record_failure(kb, prepared, old)
            outcome = FileOutcome(path, FAILED, prepared.reason or "")
        progress.files_done += 1
        emit(outcome, path)

    def _flush(self, kb: KnowledgeBase, group: "_Group", existing: dict, progress: Progress,
               emit, cancel: threading.Event) -> None:
        """Embed and write every document of the group; each becomes ready on its own.
        What a lost server kept from being written is written once more (``turns``)."""
        if not group.items:
            return
        items, group.items, group.chunks = group.items, [], 0
        written: set[str] = set()
        for attempt in (1, 2):
            try:
                self._write(kb, items, existing, progress, emit, cancel, written)
                return
            except ServerLost as lost:
                items = [p for p in items if p.path not in written
                         and not any(p is w for w in self._waiting)]
                if not items:
                    return
                if attempt == 2:
                    for p in items:
                        progress.files_done += 1
                        emit(FileOutcome(p.path, FAILED, turns.lost_reason(lost.server)),
                             p.path)
                    raise
                log.warning("%s; writing %d file(s) again", lost, len(items))

    def _after_others(self, kb: KnowledgeBase, existing: dict, progress: Progress, emit,
                      cancel: threading.Event) -> None:
        """The files another client was writing when this run came to them: theirs
        counts if it is of the same content, else they are written now (``turns``)."""
        catalog = self.library.catalog
        for _ in range(turns.ROUNDS):
            if not self._waiting or cancel.is_set():
                break
            waiting, self._waiting = self._waiting, []
            group, gave_up = _Group(), False
            for i, prepared in enumerate(waiting):
                if not turns.wait_turn(catalog, kb.id, prepared.path, cancel):
                    self._waiting.extend(waiting[i:])  # cancelled, or still theirs
                    gave_up = True
                    break
                row = catalog.document(kb.id, prepared.path)
                if turns.theirs_counts(row, prepared.content_hash, self.embedder.name):
                    progress.files_done += 1
                    emit(FileOutcome(prepared.path, UNCHANGED, row.reason or "", row.chunks,
                                     row.pages), prepared.path)
                else:
                    group.items.append(prepared)
                    group.chunks += len(prepared.chunks)
            self._flush(kb, group, existing, progress, emit, cancel)
            if gave_up:
                break
        for prepared in self._waiting:  # not written by this run
            progress.files_done += 1
            emit(FileOutcome(prepared.path, CANCELLED, Reason("cancelled", "cancelled"))
                 if cancel.is_set() else
                 FileOutcome(prepared.path, SKIPPED, turns.still_busy()), prepared.path)
        self._waiting.clear()

    def _write(self, kb: KnowledgeBase, items: list[Prepared], existing: dict,
               progress: Progress, emit, cancel: threading.Event, written: set[str]) -> None:
        """Begin, embed, add the vectors of and commit ``items``; the paths committed go
        into ``written``.  A file another client is writing waits (``self._waiting``)."""
        writer = self.library.writer
        docs: list[DocumentRow] = []
        try:
            begun = []
            for prepared in items:
                try:
                    docs.append(writer.begin(kb, prepared))
                    begun.append(prepared)
                except DocumentBusy:
                    self._waiting.append(prepared)
            items = begun
            flat = [(doc, prepared, c) for doc, prepared in zip(docs, items)
                    for c in prepared.chunks]
            # Batches of similar lengths: a batch is padded to its longest chunk, so in
            # document order the padding is embedded too (bench/RESULTS.md).
            flat.sort(key=lambda item: len(item[2].text))
            done_of: dict[str, int] = {}
            i = 0
            while i < len(flat):
                if cancel.is_set():
                    raise _Cancelled
                # an answer being written gets the cores (models.cpu_share)
                cpu_share.wait_while_answering(cancel)
                # two batches per embedding thread in each call: the ONNX embedder runs
                # them side by side, and a thread waits less for the other at the end
                threads = self._embed_threads()
                workers = threads or int(getattr(self.embedder, "threads", 1))
                step = 2 * self.embed_batch * max(1, workers)
                part, i = flat[i:i + step], i + step
                current = part[0][1]
                progress.file_chunks_done = done_of.get(current.path, 0)
                progress.file_chunks_total = len(current.chunks)
                emit(None, current.path)
                if cancel.is_set():
                    raise _Cancelled
                try:
                    vecs = self.embedder.encode([c.text for _, _, c in part],
                                                batch_size=self.embed_batch, threads=threads)
                except Exception:
                    if cancel.is_set():
                        raise _Cancelled
                    raise
                writer.add_vectors(kb, [(d, c) for d, _, c in part], vecs)
                progress.chunks_done += len(part)
                for _, prepared, _ in part:
                    done_of[prepared.path] = done_of.get(prepared.path, 0) + 1
            if cancel.is_set():
                raise _Cancelled
            for doc, prepared in zip(docs, items):
                reason = joined(prepared.notes)
                writer.commit(kb, doc, prepared, reason=reason, embedder=self.embedder.name)
                written.add(prepared.path)
                chunks = len(prepared.chunks)
                old = existing.get(prepared.path)
                status = UPDATED if old is not None and old.status == "ready" else ADDED
                progress.files_done += 1
                progress.file_chunks_done = progress.file_chunks_total = chunks
                emit(FileOutcome(prepared.path, status, reason or "", chunks, prepared.pages),
                     prepared.path)
            docs = []
        except BaseException as exc:
            for row in writer.abandon(kb, docs):
                if isinstance(exc, _Cancelled):
                    progress.files_done += 1
                    emit(FileOutcome(row.path, CANCELLED, Reason("cancelled", "cancelled")),
                         row.path)
            if not isinstance(exc, _Cancelled):
                raise


def _gone() -> Reason:
    return Reason("file_gone", "file no longer exists")


def _never() -> bool:
    return False


@dataclass
class _Group:
    items: list[Prepared] = field(default_factory=list)
    chunks: int = 0


class _Cancelled(Exception):
    pass
