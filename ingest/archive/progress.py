"""The progress callback of an export or import, and the cancel check that rides on it.

``progress(done, total, what)`` (see :mod:`ingest.archive`) hears one monotone count of
steps over the whole run, so a window draws one bar and a terminal one line; the same
call is where a cancel request is noticed, between two batches, never mid-write.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable

from ingest.archive.errors import ArchiveCancelled

log = logging.getLogger(__name__)

ArchiveProgress = Callable[[int, int, str], None]


class Steps:
    """``steps(n, what)``: ``n`` more steps are done, ``what`` is under way."""

    def __init__(self, progress: ArchiveProgress | None, total: int,
                 cancel: threading.Event | None, file: Path):
        self.progress, self.total, self.done = progress, total, 0
        self.cancel, self.file = cancel, file

    def __call__(self, n: int, what: str) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise ArchiveCancelled(self.file, "cancelled; nothing was left behind")
        self.done = min(self.total, self.done + n)
        if self.progress is not None:
            try:
                self.progress(self.done, self.total, what)
            except Exception:  # a broken display must not break the work
                log.exception("archive progress callback failed")
