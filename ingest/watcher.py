"""Watched folders: a library that follows the folders people keep their documents in.

Every folder a person adds is watched (:func:`register_folders`; a setting turns it off).
While the window or ``wenji watch`` runs, :class:`FolderWatcher` hears the operating
system's file events through ``watchdog`` (inotify, FSEvents, ReadDirectoryChangesW),
holds them until the files are quiet (:mod:`ingest.change_queue`), and applies them with
the same incremental ingest as a drop (content hashes, generations, crash safety): new
and changed files are indexed, a renamed file keeps its vectors (the ingest's move
check), deleted files are removed.  At start every watched folder is scanned, so what
changed while nothing ran is found.

Where events do not arrive -- network drives (NFS, SMB, sshfs) -- or the system's watch
limit is reached, the folder is polled every ``poll_seconds`` instead.  A folder that
disappears (deleted, renamed, a drive unplugged) is an error, not a deletion: its
documents stay until it is back, then it is scanned again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ingest.change_queue import ChangeQueue, Due, worth_watching
from ingest.pipeline import FAILED, REMOVED, FileOutcome, IngestReport, Progress
from models import cpu_share
from models.reasons import Reason, reason_of

log = logging.getLogger(__name__)

# file systems whose changes made elsewhere send no events here
REMOTE_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs",
                      "ceph", "glusterfs", "fuse.glusterfs", "davfs", "fuse.davfs2",
                      "fuse.rclone", "fuse.s3fs", "lustre"}
UP_TO_DATE, UPDATING, PAUSED, ERROR, SCANNING = (
    "up to date", "updating", "paused", "error", "scanning")
MISSING = Reason("folder_missing", "The folder is not there (deleted, renamed, or on a "
                 "drive that is not connected); its documents are kept, and it is scanned "
                 "again when it is back.")


def _deleted() -> Reason:
    return Reason("file_deleted", "file deleted")


def filesystem_type(path: str) -> str | None:
    """The file system type of the mount ``path`` is on (Linux: /proc/mounts), or None."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    target = os.path.realpath(path)
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and \
                len(point) > len(best):
            best, kind = point, parts[2]
    return kind


def folder_path(folder: str | os.PathLike) -> str:
    """How a watched folder is named in the catalog: absolute, links resolved."""
    return str(Path(folder).expanduser().resolve())


def needs_polling(path: str) -> bool:
    """Whether ``path`` is on a network file system, where events do not arrive."""
    return filesystem_type(path) in REMOTE_FILESYSTEMS


def register_folders(library, kb_name: str | None, paths: Iterable[str | os.PathLike]
                     ) -> list[str]:
    """Watch the folders among ``paths`` for knowledge base ``kb_name`` (the person just
    added them); a folder inside one already watched is covered by it, and folders inside
    a new one are folded into it.  A paused watch stays paused.  Returns the folders
    newly watched.

    None for a team's shared library: a folder is one computer's, and the shared catalog
    is every member's (another member's watcher would look for it on their disk).  Files
    added to a shared library are added once."""
    if getattr(library, "shared", None) is not None:
        return []
    kb = library.kb(kb_name)
    watched = {w.path for w in library.catalog.watched_folders(kb.id)}
    added = []
    for raw in paths:
        if not Path(raw).expanduser().is_dir():
            continue
        folder = folder_path(raw)
        if any(folder == w or folder.startswith(w.rstrip("/") + "/") for w in watched):
            continue
        for inner in [w for w in watched if w.startswith(folder.rstrip("/") + "/")]:
            library.catalog.unwatch_folder(kb.id, inner)
            watched.discard(inner)
        library.catalog.watch_folder(kb.id, folder, poll=needs_polling(folder))
        watched.add(folder)
        added.append(folder)
    return added


@dataclass
class WatchStatus:
    """One watched folder as the person sees it."""

    kb: str
    path: str
    enabled: bool
    poll: bool
    state: str = SCANNING
    detail: str = ""  # the error (a Reason), or "12 of 40 files" (English, for the terminal)
    done: int = 0  # files of the update under way done so far ...
    total: int = 0  # ... of this many
    missing: bool = False  # the folder is not there (state ERROR)
    failures: list[FileOutcome] = field(default_factory=list)  # files it could not read
    updated: float = 0.0  # when it was last up to date (time.time())


@dataclass
class _Watch:
    kb_id: int
    status: WatchStatus
    queue: ChangeQueue
    observed: object = None  # watchdog's ObservedWatch while scheduled
    missing: bool = False


class _Handler:
    """watchdog's callbacks for one watched folder, into its queue."""

    def __init__(self, watch: _Watch):
        self.watch = watch

    def dispatch(self, event) -> None:
        q = self.watch.queue
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        if event.is_directory:
            if kind in ("created", "deleted", "moved"):
                q.scan(self.watch.status.path)  # its scan sees everything under it
            return
        src = os.fsdecode(event.src_path)
        if kind == "moved":
            dest = os.fsdecode(event.dest_path)
            if worth_watching(src):
                q.deleted(src)
            if worth_watching(dest) and dest.startswith(self.watch.status.path):
                q.changed(dest)
        elif worth_watching(src):
            (q.deleted if kind == "deleted" else q.changed)(src)


class FolderWatcher:
    """Watches the library's watched folders (those of ``kb_name``, or all) and applies
    their changes; ``make_ingestor()`` returns an :class:`ingest.pipeline.Ingestor`.

    Callbacks (on the watcher's thread): ``on_status(list[WatchStatus])`` when a folder's
    state changes, ``on_progress(WatchStatus, Progress)`` during an update and
    ``on_report(WatchStatus, IngestReport)`` after each one."""

    def __init__(self, library, make_ingestor: Callable[[], object], *,
                 kb_name: str | None = None, quiet: float = 1.0, poll_seconds: float = 30.0,
                 batch_files: int = 200, check_seconds: float = 2.0,
                 on_status: Callable[[list[WatchStatus]], None] | None = None,
                 on_progress: Callable[[WatchStatus, Progress], None] | None = None,
                 on_report: Callable[[WatchStatus, IngestReport], None] | None = None):
        self.library = library
        self.make_ingestor = make_ingestor
        self.kb_name = kb_name
        self.quiet = quiet
        self.poll_seconds = poll_seconds
        self.batch_files = batch_files
        self.check_seconds = check_seconds
        self.on_status, self.on_progress, self.on_report = on_status, on_progress, on_report
        self._watches: dict[tuple[int, str], _Watch] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._cancel = threading.Event()
        self._busy = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = None
        self._poller = None

    # --- life -------------------------------------------------------------------

    def start(self) -> None:
        """Watch every enabled folder and scan each once (what changed while closed)."""
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        self._observer = Observer()
        self._poller = PollingObserver(timeout=self.poll_seconds)
        self._observer.start()
        self._poller.start()
        for kb_id, row in self._rows():
            self._track(kb_id, row.path, row.enabled, row.poll)
        self._thread = threading.Thread(target=self._loop, name="folder-watcher", daemon=True)
        self._thread.start()
        self._changed()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching; an update under way is cancelled (what it finished is kept)."""
        self._stop.set()
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for observer in (self._observer, self._poller):
            if observer is not None:
                observer.stop()
        for observer in (self._observer, self._poller):
            if observer is not None:
                observer.join(timeout)

    def _rows(self):
        catalog = self.library.catalog
        kb = self.library.kb(self.kb_name) if self.kb_name else None
        for row in catalog.watched_folders(kb.id if kb else None):
            yield row.kb_id, row

    # --- what the person does ----------------------------------------------------

    def statuses(self) -> list[WatchStatus]:
        with self._lock:
            return [w.status for w in self._watches.values()]

    def add(self, kb_name: str | None, folder: str, poll: bool | None = None) -> WatchStatus:
        """Watch ``folder`` for ``kb_name`` from now on (and scan it)."""
        kb, path = self.library.kb(kb_name), folder_path(folder)
        if not os.path.isdir(path):
            raise FileNotFoundError(Reason("folder_not_found", "{folder} is not a folder",
                                           folder=str(folder)))
        poll = needs_polling(path) if poll is None else poll
        self.library.catalog.watch_folder(kb.id, path, poll=poll)
        with self._lock:
            old = self._watches.pop((kb.id, path), None)
            if old is not None:
                self._unschedule(old)
        watch = self._track(kb.id, path, True, poll)
        self._changed()
        return watch.status

    def remove(self, kb_name: str | None, folder: str) -> bool:
        """Stop watching ``folder`` (its documents stay in the knowledge base)."""
        kb, path = self.library.kb(kb_name), folder_path(folder)
        found = self.library.catalog.unwatch_folder(kb.id, path)
        with self._lock:
            watch = self._watches.pop((kb.id, path), None)
            if watch is not None:
                self._unschedule(watch)
        self._changed()
        return found

    def pause(self, kb_name: str | None, folder: str) -> None:
        self._set_enabled(kb_name, folder, False)

    def resume(self, kb_name: str | None, folder: str) -> None:
        self._set_enabled(kb_name, folder, True)

    def scan_now(self, kb_name: str | None, folder: str) -> None:
        kb, path = self.library.kb(kb_name), folder_path(folder)
        with self._lock:
            watch = self._watches.get((kb.id, path))
        if watch is not None and watch.status.enabled:
            watch.queue.scan(path, now=True)

    def _set_enabled(self, kb_name, folder, enabled: bool) -> None:
        kb, path = self.library.kb(kb_name), folder_path(folder)
        if not self.library.catalog.set_watch_enabled(kb.id, path, enabled):
            raise KeyError(f"{folder} is not watched for {kb.name!r}")
        with self._lock:
            watch = self._watches.get((kb.id, path))
            if watch is None:
                return
            watch.status.enabled = enabled
            if enabled:
                self._schedule(watch)
                watch.queue.scan(path, now=True)
            else:
                self._unschedule(watch)
                watch.queue.drop_under(path)
                watch.status.state, watch.status.detail = PAUSED, ""
        self._changed()

    def wait_idle(self, timeout: float = 60.0, settle: float | None = None) -> bool:
        """Wait until nothing is queued or being applied (for tests and scripts); True
        if it got there.  ``settle``: how long events may still be arriving (default:
        the quiet period plus a little)."""
        end = time.monotonic() + timeout
        time.sleep(self.quiet + 0.3 if settle is None else settle)
        while time.monotonic() < end:
            with self._lock:
                queued = sum(len(w.queue) for w in self._watches.values())
            if not queued and not self._busy.is_set():
                return True
            time.sleep(0.1)
        return False

    # --- watching ------------------------------------------------------------------

    def _track(self, kb_id: int, path: str, enabled: bool, poll: bool) -> _Watch:
        kb = self.library.catalog.kb_by_id(kb_id)
        status = WatchStatus(kb.name if kb else "?", path, enabled, poll,
                             SCANNING if enabled else PAUSED)
        watch = _Watch(kb_id, status, ChangeQueue(self.quiet))
        with self._lock:
            self._watches[(kb_id, path)] = watch
            if enabled:
                if os.path.isdir(path):
                    self._schedule(watch)
                    watch.queue.scan(path, now=True)
                else:
                    self._mark_missing(watch)
        return watch

    def _schedule(self, watch: _Watch) -> None:
        if watch.observed is not None or self._observer is None:
            return
        handler = _Handler(watch)
        observer = self._poller if watch.status.poll else self._observer
        try:
            watch.observed = observer.schedule(handler, watch.status.path, recursive=True)
        except OSError as exc:  # the system's watch limit (inotify: ENOSPC), a bad mount
            log.warning("cannot watch %s (%s); polling it instead", watch.status.path, exc)
            watch.status.poll = True
            watch.status.detail = f"polled every {self.poll_seconds:g} s: {exc.strerror or exc}"
            watch.observed = self._poller.schedule(handler, watch.status.path, recursive=True)

    def _unschedule(self, watch: _Watch) -> None:
        if watch.observed is None:
            return
        for observer in (self._observer, self._poller):
            try:
                observer.unschedule(watch.observed)
                break
            except KeyError:
                continue
            except Exception:  # the folder vanished under the observer
                log.debug("unschedule %s", watch.status.path, exc_info=True)
                break
        watch.observed = None

    def _mark_missing(self, watch: _Watch) -> None:
        watch.missing = watch.status.missing = True
        self._unschedule(watch)
        watch.queue.drop_under(watch.status.path)
        watch.status.state, watch.status.detail = ERROR, MISSING

    def _check_folders(self) -> None:
        """A watched folder that went away is an error; one that came back is scanned."""
        changed = False
        with self._lock:
            for watch in self._watches.values():
                if not watch.status.enabled:
                    continue
                there = os.path.isdir(watch.status.path)
                if not there and not watch.missing:
                    self._mark_missing(watch)
                    changed = True
                elif there and watch.missing:
                    watch.missing = watch.status.missing = False
                    watch.status.state, watch.status.detail = SCANNING, ""
                    self._schedule(watch)
                    watch.queue.scan(watch.status.path, now=True)
                    changed = True
        if changed:
            self._changed()

    def _loop(self) -> None:
        cpu_share.run_in_background()
        last_check = 0.0
        while not self._stop.is_set():
            if time.monotonic() - last_check >= self.check_seconds:
                self._check_folders()
                last_check = time.monotonic()
            with self._lock:
                watches = list(self._watches.values())
            for watch in watches:
                if self._stop.is_set():
                    break
                if not watch.status.enabled or watch.missing:
                    continue
                due = watch.queue.due()
                if due:
                    self._busy.set()
                    try:
                        self._apply(watch, due)
                    finally:
                        self._busy.clear()
            self._stop.wait(0.2)

    # --- applying changes -----------------------------------------------------------

    def _apply(self, watch: _Watch, due: Due) -> None:
        status = watch.status
        if not os.path.isdir(status.path):  # gone before its changes were applied
            self._mark_missing(watch)
            self._changed()
            return
        kb = self.library.catalog.kb_by_id(watch.kb_id)
        if kb is None:  # the knowledge base was deleted
            with self._lock:
                self._watches.pop((watch.kb_id, status.path), None)
            self._unschedule(watch)
            self._changed()
            return
        status.kb = kb.name
        status.state, status.detail = (SCANNING if due.scans else UPDATING), ""
        status.done, status.total = 0, len(due.changed)
        self._changed()
        outcomes: list[FileOutcome] = []
        try:
            ingestor = self.make_ingestor()
            runs = [[folder] for folder in due.scans]
            files = [p for p in due.changed
                     if not any(p.startswith(s.rstrip("/") + "/") for s in due.scans)]
            runs += [files[i:i + self.batch_files] for i in range(0, len(files),
                                                                   self.batch_files)]
            for paths in runs:
                if self._stop.is_set():
                    break

                def progress(p: Progress):
                    status.done, status.total = p.files_done, p.files_total
                    status.detail = f"{p.files_done} of {p.files_total} files"
                    if self.on_progress:
                        self.on_progress(status, p)

                report = ingestor.run(paths, kb.name, on_progress=progress,
                                      cancel=self._cancel)
                outcomes += report.outcomes
                if self.on_report:
                    self.on_report(status, report)
            removed = IngestReport(kb=kb.name)
            with self.library.ingest_lock():
                for path in due.deleted:
                    if not os.path.exists(path) and os.path.isdir(status.path):
                        for doc in self.library.remove_path(kb, Path(path)):
                            removed.outcomes.append(FileOutcome(doc.path, REMOVED,
                                                                _deleted()))
            outcomes += removed.outcomes
            if removed.outcomes and self.on_report:
                self.on_report(status, removed)
        except Exception as exc:  # reported in the folder's state; the watch goes on
            log.exception("updating %s failed", status.path)
            status.state, status.detail = ERROR, reason_of(exc)
            self._changed()
            return
        known = {o.path: o for o in status.failures}  # until the file is fixed or gone
        for o in outcomes:
            if o.status == FAILED:
                known[o.path] = o
            else:
                known.pop(o.path, None)
        for path in due.deleted:
            known = {p: o for p, o in known.items()
                     if p != path and not p.startswith(path.rstrip("/") + "/")}
        status.failures = list(known.values())
        status.state = UP_TO_DATE if status.enabled else PAUSED  # paused meanwhile
        status.detail = (f"{len(status.failures)} file(s) could not be read"
                         if status.failures else "")
        status.updated = time.time()
        self._changed()

    def _changed(self) -> None:
        if self.on_status:
            try:
                self.on_status(self.statuses())
            except Exception:  # a broken display must not stop the watcher
                log.exception("watch status callback failed")
