"""Changes seen in watched folders, held until the files are quiet.

Why a queue with a quiet period: an editor saves a file in a burst (write, truncate,
rename over the original), a copy writes a large PDF over seconds, and a script may write
one file 200 times in a row.  Reading on the first event would index a half-written file
and then index it again and again.  So each path waits until no event has touched it for
``quiet`` seconds *and* its size and modification time are what they were at its last
event; a burst is then one update.  The last event decides what a path is (a file
deleted then written again is changed, not deleted), and a folder event asks for a scan
of the folder instead (a folder renamed or deleted moves or removes everything under it).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders import SUPPORTED_EXTENSIONS

CHANGED, DELETED, SCAN = "changed", "deleted", "scan"
# names editors and browsers give files they are still writing
_TEMPORARY = (".part", ".crdownload", ".tmp", ".swp", ".swx", "~")


def worth_watching(path: str | os.PathLike) -> bool:
    """Whether a file event concerns a document Wenji would read (not a hidden file, an
    editor's swap file or a download in progress)."""
    name = Path(path).name
    return (not name.startswith((".", "~$")) and not name.endswith(_TEMPORARY)
            and Path(name).suffix.lower() in SUPPORTED_EXTENSIONS)


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


@dataclass
class Due:
    """What is ready to be applied: files changed or created, files gone, folders to
    scan (each a path as the events named it)."""

    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.deleted or self.scans)

    def __len__(self) -> int:
        return len(self.changed) + len(self.deleted) + len(self.scans)


@dataclass
class _Entry:
    kind: str
    last: float
    stat: tuple[int, int] | None


class ChangeQueue:
    """Thread-safe: the observer threads add, one worker takes what is due."""

    def __init__(self, quiet: float = 1.0, clock=time.monotonic):
        self.quiet = quiet
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def changed(self, path: str) -> None:
        self._note(path, CHANGED, _stat(path))

    def deleted(self, path: str) -> None:
        self._note(path, DELETED, None)

    def scan(self, folder: str, now: bool = False) -> None:
        """Scan ``folder`` (at once with ``now``: start-up, a folder that came back)."""
        self._note(folder, SCAN, None, self.clock() - self.quiet if now else None)

    def _note(self, path: str, kind: str, stat, when: float | None = None) -> None:
        with self._lock:
            old = self._entries.get(path)
            if old is not None and old.kind == SCAN and kind != SCAN:
                kind = SCAN  # a folder event wins: its scan sees the file too
            self._entries[path] = _Entry(kind, self.clock() if when is None else when, stat)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def due(self) -> Due:
        """Take the paths quiet for ``quiet`` seconds whose files no longer change."""
        now = self.clock()
        out = Due()
        with self._lock:
            for path, e in list(self._entries.items()):
                if now - e.last < self.quiet:
                    continue
                if e.kind == CHANGED:
                    stat = _stat(path)
                    if stat is not None and stat != e.stat:  # still being written
                        e.stat, e.last = stat, now
                        continue
                    kind = CHANGED if stat is not None else DELETED
                elif e.kind == DELETED:
                    kind = CHANGED if os.path.exists(path) else DELETED  # saved anew
                else:
                    kind = SCAN
                del self._entries[path]
                {CHANGED: out.changed, DELETED: out.deleted, SCAN: out.scans}[kind].append(path)
        return out

    def drop_under(self, folder: str) -> None:
        """Forget what was queued under ``folder`` (a watch removed or paused)."""
        prefix = folder.rstrip(os.sep) + os.sep
        with self._lock:
            for path in [p for p in self._entries if p == folder or p.startswith(prefix)]:
                del self._entries[path]
