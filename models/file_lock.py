"""An exclusive lock across processes on a file beside something made once in a shared
folder (the bundled multilingual embedder, an ONNX export): two processes starting at
once -- two ``wenji`` commands, the window and a watcher, two clients of a shared
library -- make it one after the other, and the second finds it made."""

from __future__ import annotations

import contextlib
from pathlib import Path


@contextlib.contextmanager
def exclusive(lock_file: Path):
    """Hold an exclusive lock on ``lock_file`` (made if missing) for the ``with`` block;
    the lock also goes when the process does.  POSIX only: elsewhere no lock, and the
    callers' renames still never leave a half-written file."""
    with open(lock_file, "a+") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:
            pass
        yield
