"""The SQLite catalog: knowledge bases, documents, chunk texts and the keyword index.

Chunk rows and the FTS5 keyword index live in the same SQLite file, so the two can never
disagree: they change together in one transaction.  Chroma is the other store; the
store writer puts a document's vectors there *before* the transaction that makes the
document ready, and a generation number on each chunk lets start-up remove vectors of
generations that never became current (see ``ingest.store.writer``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ingest.store.errors import LeftBehind
from models.reasons import Reason, restore, to_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS kbs (
    id INTEGER PRIMARY KEY,
    name TEXT UNIQUE NOT NULL,
    embedder TEXT,
    status TEXT NOT NULL DEFAULT 'ready',          -- ready | deleting | importing
    created REAL NOT NULL,
    tokenizer TEXT                                 -- keyword tokenizer version of fts_kbN
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    kb_id INTEGER NOT NULL REFERENCES kbs(id),
    path TEXT NOT NULL,
    title TEXT,
    kind TEXT,
    content_hash TEXT,
    size INTEGER,
    mtime REAL,
    status TEXT NOT NULL,        -- ready | failed | pending | removing
    code TEXT,                   -- short failure code (corrupt, encrypted, no_text, ...)
    reason TEXT,                 -- one line for the user
    pages INTEGER DEFAULT 0,
    empty_pages INTEGER DEFAULT 0,
    chunks INTEGER DEFAULT 0,
    embedder TEXT,
    gen INTEGER NOT NULL DEFAULT 0,      -- generation of the chunks that are current
    pending_gen INTEGER,                 -- generation being written, NULL when none
    updated REAL,
    ocr_pages INTEGER DEFAULT 0,         -- PDF pages read by OCR
    reason_data TEXT,            -- the reason's code and parameters (JSON), for the window
    UNIQUE (kb_id, path)
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(kb_id, content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    doc_id INTEGER NOT NULL,
    kb_id INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    page INTEGER,
    heading TEXT,
    start INTEGER,
    "end" INTEGER,
    text TEXT NOT NULL,
    page_label TEXT,             -- the page's label when it is not its number ("iv")
    ocr INTEGER DEFAULT 0        -- 1: read by OCR from the page's image
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS watched_folders (
    id INTEGER PRIMARY KEY,
    kb_id INTEGER NOT NULL REFERENCES kbs(id),
    path TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,  -- 0: paused by the person
    poll INTEGER NOT NULL DEFAULT 0,     -- 1: scan every so often (events do not arrive)
    added REAL NOT NULL,
    UNIQUE (kb_id, path)
);
CREATE INDEX IF NOT EXISTS chunks_place ON chunks(doc_id, idx);
"""

# Columns added since the first catalogs: (table, column, declaration).
_ADDED_COLUMNS = (("kbs", "tokenizer", "TEXT"),
                  ("documents", "ocr_pages", "INTEGER DEFAULT 0"),
                  ("documents", "reason_data", "TEXT"),
                  ("chunks", "page_label", "TEXT"),
                  ("chunks", "ocr", "INTEGER DEFAULT 0"))

# The name of a knowledge base being imported (hidden until ``publish_kb``): it starts
# with NUL, which a user's name cannot hold, and names the importing process.
IMPORTING_PREFIX = "\x00importing-"

TERMINAL_OK = "ready"
FAILED = "failed"
PENDING = "pending"
REMOVING = "removing"


@dataclass
class KnowledgeBase:
    id: int
    name: str
    embedder: str | None
    status: str
    created: float
    tokenizer: str | None = None

    @property
    def collection(self) -> str:
        """Chroma collection name: stable across renames."""
        return f"kb{self.id}"

    @property
    def fts_table(self) -> str:
        return f"fts_kb{self.id}"


@dataclass
class DocumentRow:
    id: int
    kb_id: int
    path: str
    title: str | None
    kind: str | None
    content_hash: str | None
    size: int | None
    mtime: float | None
    status: str
    code: str | None
    reason: str | None
    pages: int
    empty_pages: int
    chunks: int
    embedder: str | None
    gen: int
    pending_gen: int | None
    updated: float | None
    ocr_pages: int = 0
    reason_data: str | None = None  # JSON of ``reason``'s code and parameters
    owner: int | None = None  # a server catalog's client writing the pending generation

    def __post_init__(self):
        self.reason = restore(self.reason, self.reason_data)


@dataclass
class ChunkRow:
    id: str
    doc_id: int
    kb_id: int
    index: int
    page: int | None
    heading: str | None
    start: int
    end: int
    text: str
    page_label: str | None = None
    ocr: bool = False


_BEING_INDEXED = Reason("being_indexed", "being indexed")
_INTERRUPTED = Reason("interrupted", "interrupted before it was indexed; ingest again")


def _stored(reason: str | None) -> tuple[str | None, str | None]:
    """The reason column (its English) and the reason_data column (its code, if any)."""
    return (None if reason is None else str(reason)), to_json(reason)


class Catalog:
    """Thread-safe wrapper around one SQLite file (WAL mode, one writer at a time)."""

    # What starts a writing transaction (SQLite: take the write lock at once).
    BEGIN = "BEGIN IMMEDIATE"
    # First character of the names of hidden knowledge bases (being imported or deleted):
    # one a person's name cannot hold (``IMPORTING_PREFIX``).
    HIDDEN = "\x00"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30,
                                  isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._create_schema()

    def _create_schema(self) -> None:
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            for table, column, decl in _ADDED_COLUMNS:  # catalogs made before them
                columns = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    @property
    def location(self) -> str:
        """Where the catalog lives, for messages (a file here, a server elsewhere)."""
        return str(self.path)

    # --- transactions ----------------------------------------------------------

    def transaction(self):
        return _Transaction(self)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- knowledge bases -------------------------------------------------------

    def kbs(self, include_deleting: bool = False) -> list[KnowledgeBase]:
        rows = self.db.execute("SELECT * FROM kbs ORDER BY name").fetchall()
        kbs = [KnowledgeBase(**dict(r)) for r in rows]
        return kbs if include_deleting else [kb for kb in kbs if kb.status == "ready"]

    def kb(self, name: str) -> KnowledgeBase | None:
        row = self.db.execute("SELECT * FROM kbs WHERE name = ? AND status = 'ready'",
                              (name,)).fetchone()
        return KnowledgeBase(**dict(row)) if row else None

    def kb_by_id(self, kb_id: int) -> KnowledgeBase | None:
        row = self.db.execute("SELECT * FROM kbs WHERE id = ?", (kb_id,)).fetchone()
        return KnowledgeBase(**dict(row)) if row else None

    def create_kb(self, name: str, embedder: str | None, status: str = "ready"
                  ) -> KnowledgeBase | None:
        """The new knowledge base, or None when the name is taken: two clients of a
        shared library may ask for the same new name at once, and only one row wins."""
        from ingest.analyzer import TOKENIZER_VERSION

        with self.transaction():
            cur = self.db.execute("INSERT INTO kbs (name, embedder, status, created, tokenizer) "
                                  "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING "
                                  "RETURNING id",
                                  (name, embedder, status, time.time(), TOKENIZER_VERSION))
            row = cur.fetchone()
            if row is None:
                return None
            kb = self.kb_by_id(row[0])
            self._create_keyword_table(kb)
        return kb

    def retokenize(self, kb: KnowledgeBase, tokenize, version: str) -> int:
        """Rebuild a knowledge base's keyword index from its chunk texts (after the
        tokenizer changed); one transaction, so searches see the old or the new index."""
        from ingest.index_text import chunk_context, keyword_text

        with self.transaction():
            self._clear_keywords(kb)
            rows = self.db.execute(
                "SELECT c.rowid, c.idx, c.heading, c.text, d.path, d.title FROM chunks c "
                "JOIN documents d ON d.id = c.doc_id WHERE c.kb_id = ?", (kb.id,)).fetchall()
            for r in rows:
                text = keyword_text(r["text"], r["heading"] or "",
                                    chunk_context(r["path"], r["title"], r["idx"]))
                self._insert_keywords(kb, r["rowid"], " ".join(tokenize(text)))
            self.db.execute("UPDATE kbs SET tokenizer = ? WHERE id = ?", (version, kb.id))
        return len(rows)

    def rename_kb(self, kb: KnowledgeBase, new_name: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE kbs SET name = ? WHERE id = ?", (new_name, kb.id))

    def set_kb_embedder(self, kb: KnowledgeBase, embedder: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE kbs SET embedder = ? WHERE id = ?", (embedder, kb.id))

    def create_importing_kb(self, embedder: str | None) -> KnowledgeBase:
        """A hidden knowledge base for an import: status ``importing`` under a NUL-led
        name holding this process's id, so no list, search or name lookup sees it, and
        the next start drops it if this process died (``StoreWriter.recover``)."""
        name = f"{self.HIDDEN}{IMPORTING_PREFIX[1:]}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        return self.create_kb(name, embedder, status="importing")

    def publish_kb(self, kb: KnowledgeBase, name: str) -> bool:
        """Make an imported knowledge base visible under ``name``, in one transaction.
        False if the name was taken meanwhile or the import is no longer pending (a
        start that found its process gone dropped it)."""
        with self.transaction():
            if self.db.execute("SELECT 1 FROM kbs WHERE name = ?", (name,)).fetchone():
                return False
            cur = self.db.execute("UPDATE kbs SET name = ?, status = 'ready' "
                                  "WHERE id = ? AND status = 'importing'", (name, kb.id))
            return cur.rowcount == 1

    def add_imported_document(self, kb: KnowledgeBase, fields: dict) -> int:
        """A document row of an imported knowledge base, settled (no pending
        generation); returns its id.  ``fields`` are ``documents`` columns."""
        keys = [k for k in fields if k not in ("id", "kb_id", "pending_gen")]
        with self.transaction():
            cur = self.db.execute(
                f"INSERT INTO documents (kb_id, {', '.join(keys)}) "
                f"VALUES (?, {', '.join('?' * len(keys))}) RETURNING id",
                [kb.id, *(fields[k] for k in keys)])
            return cur.fetchone()[0]

    def add_imported_chunks(self, kb: KnowledgeBase, chunks: Sequence[ChunkRow],
                            tokens: Sequence[str]) -> None:
        """Chunk rows and their keyword rows of an imported knowledge base, together."""
        with self.transaction():
            self._insert_chunks(kb, [(chunk.doc_id, chunk, toks) for chunk, toks
                                     in zip(chunks, tokens, strict=True)])

    def _insert_chunks(self, kb: KnowledgeBase, rows: Sequence[tuple[int, object, str]]) -> None:
        """(document id, chunk, tokens) rows: chunk rows and their keyword rows (inside
        the caller's transaction)."""
        for doc_id, chunk, tokens in rows:
            self._insert_chunk(kb, doc_id, chunk, tokens)

    def _insert_chunk(self, kb: KnowledgeBase, doc_id: int, chunk, tokens: str) -> None:
        """One chunk row and its keyword row (inside the caller's transaction)."""
        cur = self.db.execute(
            'INSERT INTO chunks (id, doc_id, kb_id, idx, page, heading, start, "end", text,'
            " page_label, ocr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING rowid",
            (chunk.id, doc_id, kb.id, chunk.index, chunk.page, chunk.heading,
             chunk.start, chunk.end, chunk.text, chunk.page_label, int(chunk.ocr)))
        self._insert_keywords(kb, cur.fetchone()[0], tokens)

    # --- the keyword index (FTS5 here; a postings table on a server) ----------------

    def _create_keyword_table(self, kb: KnowledgeBase) -> None:
        self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {kb.fts_table} USING fts5("
                        "tokens, tokenize = 'unicode61 remove_diacritics 2')")

    def _insert_keywords(self, kb: KnowledgeBase, rowid: int, tokens: str) -> None:
        self.db.execute(f"INSERT INTO {kb.fts_table} (rowid, tokens) VALUES (?, ?)",
                        (rowid, tokens))

    def _clear_keywords(self, kb: KnowledgeBase) -> None:
        self.db.execute(f"DELETE FROM {kb.fts_table}")

    def _drop_keyword_table(self, kb: KnowledgeBase) -> None:
        self.db.execute(f"DROP TABLE IF EXISTS {kb.fts_table}")

    def _delete_keywords_of(self, kb: KnowledgeBase, doc_id: int) -> None:
        self.db.execute(f"DELETE FROM {kb.fts_table} WHERE rowid IN "
                        "(SELECT rowid FROM chunks WHERE doc_id = ?)", (doc_id,))

    def keyword_table(self, kb: KnowledgeBase) -> str:
        """The table of the knowledge base's keyword rows (``rowid``, ``tokens``)."""
        return kb.fts_table

    def keyword_tokens(self, kb: KnowledgeBase, rowids: Sequence[int]) -> dict[int, str]:
        """The indexed token string of each keyword row (chunk rowid)."""
        out: dict[int, str] = {}
        rowids = list(rowids)
        table = self.keyword_table(kb)
        with self._lock:
            for i in range(0, len(rowids), 500):
                part = rowids[i:i + 500]
                marks = ",".join("?" * len(part))
                out.update(self.db.execute(f"SELECT rowid, tokens FROM {table} "
                                           f"WHERE rowid IN ({marks})", part).fetchall())
        return out

    def keyword_count(self, kb: KnowledgeBase) -> int:
        return self.db.execute(f"SELECT COUNT(*) FROM {kb.fts_table}").fetchone()[0]

    @contextlib.contextmanager
    def snapshot(self):
        """A read-only connection inside one read transaction: what it reads is one
        moment of the catalog (WAL), while other connections go on writing -- an export
        reads a knowledge base through it without blocking ingest or searches."""
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30,
                             isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN")
            yield db
        finally:
            try:
                db.execute("ROLLBACK")
            finally:
                db.close()

    def mark_kb_deleting(self, kb: KnowledgeBase) -> None:
        with self.transaction():
            # Free the name at once so a new knowledge base may take it.
            self.db.execute("UPDATE kbs SET status = 'deleting', name = ? WHERE id = ?",
                            (f"{self.HIDDEN}deleting-{kb.id}", kb.id))

    def drop_kb_rows(self, kb: KnowledgeBase) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM chunks WHERE kb_id = ?", (kb.id,))
            self.db.execute("DELETE FROM documents WHERE kb_id = ?", (kb.id,))
            self.db.execute("DELETE FROM watched_folders WHERE kb_id = ?", (kb.id,))
            self._drop_keyword_table(kb)
            self.db.execute("DELETE FROM kbs WHERE id = ?", (kb.id,))

    # --- documents -------------------------------------------------------------

    def documents(self, kb_id: int | None = None, status: str | None = None) -> list[DocumentRow]:
        sql, args = "SELECT * FROM documents WHERE 1=1", []
        if kb_id is not None:
            sql += " AND kb_id = ?"
            args.append(kb_id)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        rows = self.db.execute(sql + " ORDER BY path", args).fetchall()
        return [_document_row(r) for r in rows]

    def document(self, kb_id: int, path: str) -> DocumentRow | None:
        row = self.db.execute("SELECT * FROM documents WHERE kb_id = ? AND path = ?",
                              (kb_id, path)).fetchone()
        return _document_row(row) if row else None

    def document_by_id(self, doc_id: int) -> DocumentRow | None:
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return _document_row(row) if row else None

    def documents_with_hash(self, kb_id: int, content_hash: str) -> list[DocumentRow]:
        rows = self.db.execute("SELECT * FROM documents WHERE kb_id = ? AND content_hash = ?",
                               (kb_id, content_hash)).fetchall()
        return [_document_row(r) for r in rows]

    def dirty_documents(self) -> list[DocumentRow]:
        """Documents an interrupted run left half-done."""
        rows = self.db.execute("SELECT * FROM documents WHERE pending_gen IS NOT NULL "
                               "OR status = 'removing'").fetchall()
        return [_document_row(r) for r in rows]

    def written_by_another(self, doc: DocumentRow) -> bool:
        """Whether another client is writing this document right now (only a shared
        library has other clients)."""
        return False

    @contextlib.contextmanager
    def settling(self, doc: DocumentRow):
        """The document as it is now if it is still half-done and nobody else is writing
        it (else None), for the writer to finish or undo; a server catalog keeps other
        clients off the document meanwhile."""
        row = self.document_by_id(doc.id)
        yield row if row is not None and marked(row) else None

    def begin_document(self, kb_id: int, path: str, content_hash: str, size: int,
                       mtime: float) -> DocumentRow:
        """Record that a new generation of ``path`` is about to be written.  A document
        still marked by an earlier write raises :class:`LeftBehind`: that write must be
        settled first, so that no vectors of it outlive the mark."""
        with self.transaction():
            existing = self.document(kb_id, path)
            if existing is not None and marked(existing):
                raise LeftBehind(existing)
            if existing is None:
                self.db.execute(
                    "INSERT INTO documents (kb_id, path, content_hash, size, mtime, status, "
                    "reason, reason_data, gen, pending_gen, updated) VALUES (?, ?, ?, ?, ?, "
                    "'pending', ?, ?, 0, 1, ?)",
                    (kb_id, path, content_hash, size, mtime, *_stored(_BEING_INDEXED),
                     time.time()))
            else:
                self.db.execute("UPDATE documents SET pending_gen = ? WHERE id = ?",
                                (existing.gen + 1, existing.id))
            return self.document(kb_id, path)

    def commit_document(self, doc: DocumentRow, kb: KnowledgeBase, *, title: str, kind: str,
                        content_hash: str, size: int, mtime: float, pages: int,
                        empty_pages: int, reason: str | None, embedder: str,
                        chunks: Sequence[ChunkRow], tokens: Sequence[str],
                        ocr_pages: int = 0) -> None:
        """Swap in the pending generation: chunks, keyword rows and status in one go.  If
        an older generation has vectors, ``pending_gen`` stays set (to the new generation)
        until the writer has deleted them, so a crash in between is cleaned up by
        ``recover``."""
        gen = doc.pending_gen
        with self.transaction():
            self._delete_chunk_rows(doc.id, kb)
            self._insert_chunks(kb, [(doc.id, chunk, toks) for chunk, toks in zip(chunks, tokens)])
            self.db.execute(
                "UPDATE documents SET title = ?, kind = ?, content_hash = ?, size = ?, mtime = ?,"
                " status = 'ready', code = NULL, reason = ?, reason_data = ?, pages = ?,"
                " empty_pages = ?, chunks = ?, embedder = ?, gen = ?, pending_gen = ?,"
                " updated = ?, ocr_pages = ? WHERE id = ?",
                (title, kind, content_hash, size, mtime, *_stored(reason), pages, empty_pages,
                 len(chunks), embedder, gen, gen if doc.gen else None, time.time(), ocr_pages,
                 doc.id))

    def abandon_pending(self, doc: DocumentRow) -> None:
        """Clear the document's mark: its pending generation will not be finished (cancel,
        crash, failure), or the writer has deleted the vectors an older one left."""
        with self.transaction():
            row = self.document_by_id(doc.id)
            if row is None:
                return
            if row.gen == 0 and row.status != "ready":
                self.db.execute("UPDATE documents SET pending_gen = NULL, status = 'pending', "
                                "reason = ?, reason_data = ? WHERE id = ?",
                                (*_stored(_INTERRUPTED), doc.id))
            else:
                self.db.execute("UPDATE documents SET pending_gen = NULL WHERE id = ?", (doc.id,))

    def record_failure(self, kb: KnowledgeBase, path: str, *, code: str, reason: str,
                       content_hash: str | None, size: int | None, mtime: float | None,
                       kind: str | None) -> None:
        """A file that cannot be indexed: keep its row (with the reason), drop any chunks.
        A document that had vectors keeps ``pending_gen`` set until the writer has deleted
        them (see ``commit_document``)."""
        with self.transaction():
            doc = self.document(kb.id, path)
            if doc is None:
                self.db.execute(
                    "INSERT INTO documents (kb_id, path, kind, content_hash, size, mtime, status,"
                    " code, reason, reason_data, updated) VALUES (?, ?, ?, ?, ?, ?, 'failed', ?,"
                    " ?, ?, ?)",
                    (kb.id, path, kind, content_hash, size, mtime, code, *_stored(reason),
                     time.time()))
                return
            self._delete_chunk_rows(doc.id, kb)
            self.db.execute(
                "UPDATE documents SET kind = ?, content_hash = ?, size = ?, mtime = ?,"
                " status = 'failed', code = ?, reason = ?, reason_data = ?, chunks = 0,"
                " pending_gen = ?, updated = ? WHERE id = ?",
                (kind, content_hash, size, mtime, code, *_stored(reason), doc.gen or None,
                 time.time(),
                 doc.id))

    def move_document(self, doc: DocumentRow, new_path: str, mtime: float) -> None:
        with self.transaction():
            self.db.execute("UPDATE documents SET path = ?, mtime = ?, updated = ? WHERE id = ?",
                            (new_path, mtime, time.time(), doc.id))

    def touch_document(self, doc: DocumentRow, mtime: float) -> None:
        with self.transaction():
            self.db.execute("UPDATE documents SET mtime = ? WHERE id = ?", (mtime, doc.id))

    def mark_removing(self, doc: DocumentRow) -> None:
        with self.transaction():
            self.db.execute("UPDATE documents SET status = 'removing' WHERE id = ?", (doc.id,))

    def delete_document(self, doc: DocumentRow, kb: KnowledgeBase) -> None:
        with self.transaction():
            self._delete_chunk_rows(doc.id, kb)
            self.db.execute("DELETE FROM documents WHERE id = ?", (doc.id,))

    def _delete_chunk_rows(self, doc_id: int, kb: KnowledgeBase) -> None:
        self._delete_keywords_of(kb, doc_id)
        self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))

    # --- chunks ----------------------------------------------------------------

    def chunk_ids(self, kb_id: int, ready_only: bool = True) -> set[str]:
        sql = "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.kb_id = ?"
        if ready_only:
            sql += " AND d.status = 'ready'"
        return {r[0] for r in self.db.execute(sql, (kb_id,))}

    def keyword_rowids(self, kb: KnowledgeBase) -> set[int]:
        return {r[0] for r in self.db.execute(f"SELECT rowid FROM {kb.fts_table}")}

    def chunks_by_ids(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        """Chunks of ready documents with these ids (others are silently absent)."""
        ids = list(ids)
        rows: list[sqlite3.Row] = []
        for i in range(0, len(ids), 500):  # stay below SQLite's variable limit
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            rows += self.db.execute(
                "SELECT c.* FROM chunks c JOIN documents d ON d.id = c.doc_id"
                f" WHERE c.id IN ({marks}) AND d.status = 'ready'", part).fetchall()
        return {r["id"]: _chunk_row(r) for r in rows}

    def document_chunks(self, doc_id: int) -> list[ChunkRow]:
        """A document's chunks in reading order (a whole-document summary reads them)."""
        return [_chunk_row(r) for r in self.db.execute(
            "SELECT * FROM chunks WHERE doc_id = ? ORDER BY idx", (doc_id,)).fetchall()]

    def chunks_at(self, places: Iterable[tuple[int, int]]) -> dict[tuple[int, int], ChunkRow]:
        """Chunks by (document id, position), e.g. the neighbours of a passage."""
        places = list(places)
        out: dict[tuple[int, int], ChunkRow] = {}
        for i in range(0, len(places), 250):
            part = places[i:i + 250]
            where = " OR ".join(["(doc_id = ? AND idx = ?)"] * len(part))
            for r in self.db.execute(f"SELECT * FROM chunks WHERE {where}",
                                     [v for place in part for v in place]).fetchall():
                out[(r["doc_id"], r["idx"])] = _chunk_row(r)
        return out

    # --- reads for searches (the retriever's questions, in the catalog's own SQL) ----

    def change_marker(self) -> tuple:
        """A value that changes whenever the catalog does (in this process or another):
        searches cache the document list and name profiles until it changes."""
        with self._lock:
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            return version, self.db.total_changes

    def ready_documents(self, kb_id: int) -> dict[int, tuple[str, str]]:
        """id -> (path, title) of the knowledge base's ready documents."""
        with self._lock:
            rows = self.db.execute("SELECT id, path, title FROM documents WHERE kb_id = ? AND "
                                   "status = 'ready'", (kb_id,)).fetchall()
        return {r[0]: (r[1], r[2] or "") for r in rows}

    def opening_chunks(self, kb_id: int, count: int) -> list[tuple[int, str]]:
        """(document id, text) of each document's first ``count`` chunks, in order."""
        with self._lock:
            return [(r[0], r[1]) for r in self.db.execute(
                "SELECT doc_id, text FROM chunks WHERE kb_id = ? AND idx < ? "
                "ORDER BY doc_id, idx", (kb_id, count)).fetchall()]

    def text_contains(self, kb_id: int, text: str) -> bool:
        """Whether some chunk holds ``text`` as written (ASCII case ignored)."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._lock:
            return self.db.execute(
                "SELECT 1 FROM chunks WHERE kb_id = ? AND text LIKE ? ESCAPE '\\' LIMIT 1",
                (kb_id, pattern)).fetchone() is not None

    def chunk_ids_of(self, doc_ids: Sequence[int], limit: int) -> list[str]:
        """Up to ``limit`` chunk ids of these documents."""
        marks = ",".join("?" * len(doc_ids))
        with self._lock:
            return [r[0] for r in self.db.execute(
                f"SELECT id FROM chunks WHERE doc_id IN ({marks}) LIMIT ?",
                [*doc_ids, limit]).fetchall()]

    def chunk_keys(self, rowids: Sequence[int]) -> dict[int, tuple[str, int]]:
        """rowid -> (chunk id, document id): keyword hits name chunks by rowid."""
        out: dict[int, tuple[str, int]] = {}
        rowids = list(rowids)
        with self._lock:
            for i in range(0, len(rowids), 500):
                part = rowids[i:i + 500]
                marks = ",".join("?" * len(part))
                for r in self.db.execute(f"SELECT rowid, id, doc_id FROM chunks WHERE rowid IN "
                                         f"({marks})", part).fetchall():
                    out[r[0]] = (r[1], r[2])
        return out

    def tokens_by_chunk_id(self, kb: KnowledgeBase, ids: Sequence[str]) -> dict[str, str]:
        """chunk id -> its indexed keyword tokens."""
        out: dict[str, str] = {}
        ids = list(ids)
        table = self.keyword_table(kb)
        with self._lock:
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                marks = ",".join("?" * len(part))
                out.update(self.db.execute(
                    f"SELECT c.id, f.tokens FROM chunks c JOIN {table} f ON f.rowid = c.rowid "
                    f"WHERE c.id IN ({marks})", part).fetchall())
        return out

    def chunk_count(self, kb_id: int) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.doc_id"
                               " WHERE c.kb_id = ? AND d.status = 'ready'", (kb_id,)).fetchone()[0]

    # --- watched folders ----------------------------------------------------------

    def watched_folders(self, kb_id: int | None = None) -> list["WatchedFolder"]:
        sql = "SELECT kb_id, path, enabled, poll FROM watched_folders" + \
            (" WHERE kb_id = ?" if kb_id is not None else "") + " ORDER BY kb_id, path"
        with self._lock:
            rows = self.db.execute(sql, (kb_id,) if kb_id is not None else ()).fetchall()
        return [WatchedFolder(r[0], r[1], bool(r[2]), bool(r[3])) for r in rows]

    def watch_folder(self, kb_id: int, path: str, poll: bool = False) -> None:
        """Keep ``path`` watched for knowledge base ``kb_id`` (again, if it was paused)."""
        with self.transaction():
            self.db.execute("INSERT INTO watched_folders (kb_id, path, enabled, poll, added) "
                            "VALUES (?, ?, 1, ?, ?) ON CONFLICT (kb_id, path) DO UPDATE SET "
                            "enabled = 1, poll = excluded.poll", (kb_id, path, int(poll),
                                                                   time.time()))

    def set_watch_enabled(self, kb_id: int, path: str, enabled: bool) -> bool:
        with self.transaction():
            cur = self.db.execute("UPDATE watched_folders SET enabled = ? WHERE kb_id = ? AND "
                                  "path = ?", (int(enabled), kb_id, path))
        return cur.rowcount > 0

    def unwatch_folder(self, kb_id: int, path: str) -> bool:
        with self.transaction():
            cur = self.db.execute("DELETE FROM watched_folders WHERE kb_id = ? AND path = ?",
                                  (kb_id, path))
        return cur.rowcount > 0


@dataclass
class WatchedFolder:
    kb_id: int
    path: str
    enabled: bool = True
    poll: bool = False


_DOCUMENT_FIELDS = frozenset(DocumentRow.__dataclass_fields__)


def marked(doc: DocumentRow) -> bool:
    """Whether a document is half-done: a pending generation, or a removal."""
    return doc.pending_gen is not None or doc.status == REMOVING


def _document_row(r) -> DocumentRow:
    """A documents row as a DocumentRow (columns it does not know, such as a server
    catalog's lease, are left out)."""
    return DocumentRow(**{k: r[k] for k in r.keys() if k in _DOCUMENT_FIELDS})


def _chunk_row(r: sqlite3.Row) -> ChunkRow:
    return ChunkRow(id=r["id"], doc_id=r["doc_id"], kb_id=r["kb_id"], index=r["idx"],
                    page=r["page"], heading=r["heading"], start=r["start"], end=r["end"],
                    text=r["text"], page_label=r["page_label"], ocr=bool(r["ocr"]))


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; nested uses join the outer transaction."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.outer = False

    def __enter__(self):
        self.catalog._lock.acquire()
        try:
            if not self.catalog.db.in_transaction:
                self.catalog.db.execute(self.catalog.BEGIN)
                self.outer = True
        except BaseException:  # no transaction (a busy file, a server away): no lock kept
            self.catalog._lock.release()
            raise
        return self.catalog.db

    def __exit__(self, exc_type, exc, tb):
        try:
            if self.outer:
                self.catalog.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.catalog._lock.release()
        return False
