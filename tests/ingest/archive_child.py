"""An import run in its own process, for the tests that must hurt it for real: killed
with SIGKILL mid-import, or writing to a disk that fills up.

    python -m tests.ingest.archive_child MODE STORE ARCHIVE EMBEDDER_CACHE [ARG]

MODE ``kill``: SIGKILL itself right after the second batch of passages was written.
MODE ``fsize``: the kernel refuses to grow any file past ARG bytes (RLIMIT_FSIZE, with
SIGXFSZ ignored so the write fails with EFBIG instead of killing the process).
MODE ``fill``: when the first batch of passages is written, a filler file takes every
free byte of the store's file system (ARG: the filler's path), so the rest of the
import meets a real ENOSPC.

Prints one JSON line: the error message (or null) and how many batches were written.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from pathlib import Path


def main() -> int:
    mode, store, archive, cache = sys.argv[1:5]
    arg = sys.argv[5] if len(sys.argv) > 5 else ""
    from app.settings import Settings
    from ingest.archive import importer
    from ingest.archive import ArchiveError, import_kb
    from ingest.store.library import Library
    from models.embedder import Embedder

    importer.BATCH = 20  # many small batches: the failure lands between two of them
    embedder = Embedder(backend=Settings().models.embedder_backend, cache_dir=cache)
    embedder.load()
    library = Library(Path(store))
    written = 0

    def progress(done: int, total: int, what: str) -> None:
        nonlocal written
        if not what.startswith("writing"):
            return
        written += 1
        print(f"WRITTEN {written}", flush=True)
        if mode == "kill" and written == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "fill" and written == 1:
            fill(Path(arg))

    if mode == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = int(arg)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    error = None
    try:
        import_kb(library, archive, embedder=embedder, progress=progress)
    except ArchiveError as exc:
        error = str(exc)
    print(json.dumps({"error": error, "written": written}), flush=True)
    return 0


def fill(path: Path) -> None:
    """Write zeros to ``path`` until the file system says it is full."""
    block = b"\0" * (1 << 20)
    with open(path, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(block)
        except OSError:
            pass
        try:  # the last few KB
            while True:
                fh.write(block[:4096])
        except OSError:
            pass


if __name__ == "__main__":
    sys.exit(main())
