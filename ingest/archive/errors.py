"""Why an export or import was refused, as messages for the user.

Every error names the archive file and says what is wrong with it; the classes let a
face offer the way out (another name, re-embedding) without parsing the message.  They
are :class:`~ingest.store.library.LibraryError`\\ s, so code that shows a library's
refusals shows these too.
"""

from __future__ import annotations

import errno
from pathlib import Path

from ingest.store.library import LibraryError


class ArchiveError(LibraryError):
    """An archive that cannot be written or read; the message names the file."""

    def __init__(self, file: str | Path, reason: str):
        self.file = Path(file)
        self.reason = reason
        super().__init__(f"{file}: {reason}")


class ArchiveNameTaken(ArchiveError):
    """The knowledge base's name is in use here: import it under another name."""

    def __init__(self, file: str | Path, name: str):
        self.name = name
        super().__init__(file, f"a knowledge base named {name!r} already exists; import it "
                               "under another name (wenji kb import FILE --as NAME)")


class ArchiveEmbedderMismatch(ArchiveError):
    """The archive's vectors come from another embedder than this library searches with:
    they would be meaningless here.  Importing with re-embedding fixes it."""

    def __init__(self, file: str | Path, archived: str, archived_dim: int | None,
                 current: str, current_dim: int | None):
        self.archived, self.archived_dim = archived, archived_dim
        self.current, self.current_dim = current, current_dim
        def dims(n):
            return f" ({n} dimensions)" if n else ""

        super().__init__(
            file, f"its vectors were made by the embedder {archived!r}{dims(archived_dim)}, "
                  f"but this Wenji searches with {current!r}{dims(current_dim)}; import it "
                  "with re-embedding (wenji kb import FILE --reembed: the passages are "
                  "embedded again, minutes for a large knowledge base), or set the embedder "
                  f"to {archived!r} first")


class ArchiveCancelled(ArchiveError):
    """The user stopped the export or import; nothing was left behind."""


def disk_full_hint(exc: BaseException) -> str:
    """" (the disk is full)" for an OSError that says so, else ""."""
    full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return " (the disk is full)" if full else ""
