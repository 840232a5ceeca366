"""What the stores raise, in one module below them all: the catalogs, the vector store
and the writer raise these, and the library and the pipeline catch them, without
importing each other for it.

* :class:`LibraryError` and :class:`SharedLibraryError`: refusals for the user (also
  offered by ``ingest.store.library``, where they were first defined);
* :class:`ServerLost`: a shared library's server restarted or could not be reached in
  the middle of a change, so the change was not finished (and the stores still agree);
* :class:`DocumentBusy` and :class:`LeftBehind`: what ``begin_document`` found on the
  document -- another client writing it now, or a write nobody will finish.
"""

from __future__ import annotations

from models.reasons import Explained, Reason


class LibraryError(Exception):
    """A request the library cannot carry out; the message is for the user."""


class SharedLibraryError(Explained, LibraryError):
    """A shared library's refusal (a reader's change, a refused login, no server), with
    its reason as a code for the window (``.reason``)."""


class ServerLost(SharedLibraryError):
    """A server of a shared library restarted or stayed unreachable longer than the
    retries wait, in the middle of a change: that change was not finished (a
    transaction rolled back, or vectors of a generation that never became current), so
    the stores still agree and running it again finishes it."""

    def __init__(self, server: str, error: str = ""):
        self.server = server
        super().__init__(Reason("server_lost", "the server {server} restarted or could not "
                                "be reached ({error})", server=server,
                                error=error or "connection lost"))


class MarkLost(ServerLost):
    """This client's pending generation of a document was settled by another client
    while this one was disconnected (its lease had lapsed): the generation must not
    become current, and its vectors are this client's to delete."""

    def __init__(self, server: str, path: str):
        self.path = path
        super().__init__(server, f"another client tidied up {path} meanwhile")


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
