"""What the stores raise, in one module below them all: the catalogs, the vector store
and the writer raise these, and the library and the pipeline catch them, without
importing each other for it.

* :class:`LibraryError` and :class:`SharedLibraryError`: refusals for the user (also
  offered by ``ingest.store.library``, where they were first defined);
* :class:`DocumentBusy` and :class:`LeftBehind`: what ``begin_document`` found on the
  document -- another client writing it now, or a write nobody will finish.
"""

from __future__ import annotations

from models.reasons import Explained


class LibraryError(Exception):
    """A request the library cannot carry out; the message is for the user."""


class SharedLibraryError(Explained, LibraryError):
    """A shared library's refusal (a reader's change, a refused login, no server), with
    its reason as a code for the window (``.reason``)."""


class DocumentBusy(Exception):
    """Another client, still connected, is writing this document right now."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"another client is writing {path}")


class LeftBehind(Exception):
    """The document carries a pending generation (or removal) that nobody will finish:
    its client is gone, or it is this client's own, left by a write that failed.  It
    must be settled (``StoreWriter``) before a new generation begins."""

    def __init__(self, doc):
        self.doc = doc
        super().__init__(f"{doc.path} was left half-written")
