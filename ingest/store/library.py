"""A library of knowledge bases: the catalog and the vector store, opened together.

Every change to a document in both stores goes through its ``writer``
(``ingest.store.writer``); opening a library lets the writer recover whatever an
interrupted run left behind, so that after a crash (even ``kill -9``) every ready
document has all of its chunks in both stores and nothing else is in either.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import threading
from pathlib import Path

from ingest.store.catalog import Catalog, DocumentRow, KnowledgeBase
from ingest.store.errors import LibraryError, SharedLibraryError
from ingest.store.shared import SharedStore
from models.reasons import Reason
from ingest.store.vectors import VectorStore
from ingest.store.writer import StoreWriter

log = logging.getLogger(__name__)

DEFAULT_KB = "default"
_KB_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,64}$")


class Library:
    """Knowledge bases in this data folder (``store_dir``), or, with ``shared``, on a
    team's servers (``ingest.store.shared``): then ``store_dir`` keeps only this
    machine's lock file and import staging."""

    def __init__(self, store_dir: Path, shared: SharedStore | None = None):
        self.store_dir = Path(store_dir)
        self.shared = shared
        if shared is None:
            self.catalog = Catalog(self.store_dir / "catalog.sqlite3")
            self.vectors = VectorStore(self.store_dir / "chroma")
        else:
            from ingest.store.pg_catalog import PgCatalog

            self.store_dir.mkdir(parents=True, exist_ok=True)
            self.catalog = _connect(PgCatalog, shared)
            self.vectors = _connect_vectors(shared)
        self.writer = StoreWriter(self.catalog, self.vectors)
        self._ingest_lock = threading.RLock()
        self._ingest_depth = 0
        self._ingest_file = None
        self.writable = getattr(self.catalog, "writable", True)
        if self.writable:  # a reader of a shared library leaves both to its writers
            self.writer.recover()
            self._rebuild_stale_keyword_indexes()
        self._remove_stale_import_files()

    def require_writable(self) -> None:
        """LibraryError, in words, when this person may only read (a reader of a shared
        library): before anything is read, embedded or sent."""
        if not self.writable:
            raise SharedLibraryError(Reason(
                "read_only_library", "you may search the shared knowledge bases on {server} "
                "but not change them: your account is a reader (ask a writer or the "
                "server's administrator)", server=self.shared.describe() if self.shared else ""))

    @contextlib.contextmanager
    def ingest_lock(self):
        """One ingest at a time in this library: the person's files, a watched folder's
        changes and an import wait for each other, in this process (a lock) and across
        processes (``wenji watch`` beside the window: an advisory lock on a file)."""
        self.require_writable()
        with self._ingest_lock:
            if self._ingest_depth == 0:
                handle = open(self.store_dir / ".ingest.lock", "a+")
                try:
                    import fcntl

                    fcntl.flock(handle, fcntl.LOCK_EX)
                except ImportError:  # Windows: the lock above, in this process only
                    pass
                self._ingest_file = handle
            self._ingest_depth += 1
            try:
                yield
            finally:
                self._ingest_depth -= 1
                if self._ingest_depth == 0:
                    self._ingest_file.close()  # closing releases the advisory lock
                    self._ingest_file = None

    def close(self) -> None:
        self.catalog.close()

    @property
    def import_staging(self) -> Path:
        """Where an import extracts source files before they move to their folder."""
        return self.store_dir / "importing"

    def _remove_stale_import_files(self) -> None:
        """Files a killed import had extracted (its knowledge base was dropped by
        ``recover``): each import's folder here is named ``<process id>-<token>``."""
        from ingest.store.writer import process_alive

        if not self.import_staging.is_dir():
            return
        for entry in self.import_staging.iterdir():
            try:
                pid = int(entry.name.split("-", 1)[0])
            except ValueError:
                continue
            if entry.is_dir() and not process_alive(pid):
                shutil.rmtree(entry, ignore_errors=True)
                log.warning("removed the files of an interrupted import (%s)", entry.name)

    def _rebuild_stale_keyword_indexes(self) -> None:
        """Keyword indexes written by another tokenizer version would miss matches."""
        from ingest.analyzer import TOKENIZER_VERSION, tokenize

        for kb in self.catalog.kbs():
            if kb.tokenizer != TOKENIZER_VERSION:
                n = self.catalog.retokenize(kb, tokenize, TOKENIZER_VERSION)
                log.info("rebuilt the keyword index of %r (%d chunks) for tokenizer %s",
                         kb.name, n, TOKENIZER_VERSION)

    # --- knowledge bases ---------------------------------------------------------

    def kbs(self) -> list[KnowledgeBase]:
        return self.catalog.kbs()

    def kb(self, name: str | None, create: bool = False,
           embedder: str | None = None) -> KnowledgeBase:
        name = name or DEFAULT_KB
        kb = self.catalog.kb(name)
        if kb is None:
            if not create:
                known = ", ".join(k.name for k in self.kbs()) or "none yet"
                raise LibraryError(f"no knowledge base named {name!r} (known: {known})")
            kb = self._create_kb(name, embedder) or self.catalog.kb(name)
            if kb is None:  # taken by a knowledge base being imported or deleted
                raise LibraryError(f"the name {name!r} is in use; try again in a moment")
            self.vectors.collection(kb.collection)
        return kb

    def create_kb(self, name: str, embedder: str | None = None) -> KnowledgeBase:
        kb = self._create_kb(name, embedder)
        if kb is None:
            raise LibraryError(f"a knowledge base named {name!r} already exists")
        self.vectors.collection(kb.collection)
        return kb

    def _create_kb(self, name: str, embedder: str | None) -> KnowledgeBase | None:
        """None when the name is taken, also by another client at the same moment."""
        self.require_writable()
        self._check_name(name)
        if self.catalog.kb(name) is not None:
            return None
        return self.catalog.create_kb(name, embedder)

    def rename_kb(self, old: str, new: str) -> KnowledgeBase:
        self.require_writable()
        kb = self.kb(old)
        self._check_name(new)
        if self.catalog.kb(new) is not None:
            raise LibraryError(f"a knowledge base named {new!r} already exists")
        self.catalog.rename_kb(kb, new)
        return self.kb(new)

    def delete_kb(self, name: str) -> None:
        self.require_writable()
        self.writer.delete_kb(self.kb(name))

    @staticmethod
    def _check_name(name: str) -> None:
        if not _KB_NAME.match(name or "") or not name.strip():
            raise LibraryError(f"invalid knowledge base name {name!r}: use 1-64 characters, "
                               "no slashes or control characters")

    # --- documents ---------------------------------------------------------------

    def documents(self, kb: KnowledgeBase | None = None) -> list[DocumentRow]:
        return self.catalog.documents(kb.id if kb else None)

    def remove_path(self, kb: KnowledgeBase, path: Path) -> list[DocumentRow]:
        """Remove a file, or every document under a folder; returns what was removed."""
        self.require_writable()
        target = str(Path(path).expanduser().resolve())
        removed = []
        for doc in self.catalog.documents(kb.id):
            if doc.path == target or doc.path.startswith(target.rstrip("/") + "/"):
                self.writer.remove_document(kb, doc)
                removed.append(doc)
        return removed

    def consistency_report(self, kb: KnowledgeBase) -> dict[str, int]:
        """Counts that must agree after any run (used by tests and ``wenji doctor``)."""
        chroma = self.vectors.ids(kb.collection)
        sql = self.catalog.chunk_ids(kb.id, ready_only=False)
        ready = self.catalog.chunk_ids(kb.id, ready_only=True)
        keyword = len(self.catalog.keyword_rowids(kb))
        return {"chroma": len(chroma), "catalog": len(sql), "ready": len(ready),
                "keyword": keyword, "mismatch": len(chroma ^ ready)}


def _connect(catalog_class, shared: SharedStore):
    """The server catalog, or LibraryError saying which server refused and why (never
    the password)."""
    import psycopg

    try:
        return catalog_class(shared.postgres)
    except psycopg.OperationalError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        if "password authentication failed" in str(exc):
            raise SharedLibraryError(Reason(
                "server_login_refused", "the server {server} refused the login: wrong "
                "password, or no such account", server=shared.describe())) from None
        raise SharedLibraryError(Reason("server_unreachable", "cannot reach the server {server} "
                                  "({error})", server=shared.describe(), error=detail)) from None


def _connect_vectors(shared: SharedStore) -> VectorStore:
    """The Chroma server's store, or LibraryError: a token it refuses, or no server."""
    from chromadb.errors import ChromaAuthError

    try:
        return VectorStore.on_server(shared.chroma_url, shared.chroma_token,
                                     shared.collection_prefix)
    except ChromaAuthError:
        raise SharedLibraryError(Reason("vector_server_refused", "the vector server {url} refused "
                                  "the token: check it, or ask for a new one",
                                  url=shared.chroma_url)) from None
    except Exception as exc:  # connection refused, DNS, TLS: httpx's errors and others
        raise SharedLibraryError(Reason("server_unreachable", "cannot reach the server {server} "
                                  "({error})", server=shared.chroma_url,
                                  error=str(exc).splitlines()[0] if str(exc) else
                                  type(exc).__name__)) from None
