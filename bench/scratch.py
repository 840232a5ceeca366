"""Scratch folders for benchmarks and tools that are removed when the process ends.

A benchmark's data folder holds a Chroma store, copied documents and embedder caches
(hundreds of MB each). Left behind by every run, they once filled the disk and made a
later test run fail with "No space left on device". `scratch_dir` removes its folder at
exit, also when the run is interrupted by Ctrl+C or a plain `kill` (SIGTERM).
"""
from __future__ import annotations

import atexit
import shutil
import signal
import tempfile
from pathlib import Path

_made: list[Path] = []


def _remove_all() -> None:
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)


def scratch_dir(prefix: str) -> Path:
    """A new empty folder in the temporary directory, deleted when this process exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if not _made:
        atexit.register(_remove_all)
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            try:
                signal.signal(signal.SIGTERM, _exit_on_sigterm)
            except ValueError:  # not the main thread: atexit still covers a normal end
                pass
    _made.append(path)
    return path
