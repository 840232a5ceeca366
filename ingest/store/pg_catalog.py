"""The catalog on a PostgreSQL server: a team's shared knowledge bases.

The same tables as the embedded catalog (``ingest.store.catalog``), and the same SQL
through :class:`~ingest.store.pg_db.PgDb`; what differs is here:

* the keyword index is a postings table (knowledge base, term, chunk rowid, term
  frequency, the row's length) with each row's token string, and each knowledge base's
  row and token totals -- exactly what FTS5 keeps, so the keyword lane
  (``retrieval.keyword_postings``) chooses and scores the same candidates.  The term
  frequency and the row length ride in the postings' primary key (``INCLUDE``), so a
  query's candidates are scored from the index alone: no table page per posting, no
  join per candidate;
* chunks, keyword rows and postings of a document are written with ``COPY``;
* a change marker readable by every client: searches in one person's window see the
  documents another person has just added;
* several clients write at once, so each document's pending generation has an owner
  (see "Leases" below).

Leases.  Each client holds a session advisory lock on a random ``client_id`` while it
is connected, and marks the documents it writes with it (``owner``).  The server drops
the lock when the client goes (even ``kill -9`` or a lost network), so:

* a client never begins a document another live client is writing
  (:class:`~ingest.store.errors.DocumentBusy`: it waits its turn); two writing one
  document at once would each delete the other's chunk rows and keep their own keyword
  rows;
* a mark whose owner is gone is settled -- its vectors deleted, the mark cleared -- by
  whoever meets it (``recover`` at the next open, or a client beginning the document),
  under a per-document lock, after looking again;
* a client whose connection dropped takes its lease again on the new one, but another
  client may have settled its marks meanwhile: a commit therefore checks that the
  pending generation is still its own (:class:`~ingest.store.errors.MarkLost`), and the
  vectors of a lost generation are its to delete.  Generation numbers are never handed
  out twice for a document (``issued_gen``), so deleting them by number touches no one
  else's.

Text columns that are sorted or compared by range use the "C" collation (code point
order), as SQLite does, whatever the server's default.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import uuid
from collections import Counter
from typing import Sequence

from ingest.store.catalog import Catalog, DocumentRow, KnowledgeBase, _document_row, marked
from ingest.store.errors import (DocumentBusy, LeftBehind, MarkLost, ServerLost,
                                 SharedLibraryError)
from ingest.store.fts5_terms import fts5_terms
from ingest.store.pg_db import PgDb
from models.reasons import Reason

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS kbs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" UNIQUE NOT NULL,
    embedder TEXT,
    status TEXT NOT NULL DEFAULT 'ready',
    created DOUBLE PRECISION NOT NULL,
    tokenizer TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id BIGSERIAL PRIMARY KEY,
    kb_id BIGINT NOT NULL REFERENCES kbs(id),
    path TEXT COLLATE "C" NOT NULL,
    title TEXT,
    kind TEXT,
    content_hash TEXT,
    size BIGINT,
    mtime DOUBLE PRECISION,
    status TEXT NOT NULL,
    code TEXT,
    reason TEXT,
    pages INTEGER DEFAULT 0,
    empty_pages INTEGER DEFAULT 0,
    chunks INTEGER DEFAULT 0,
    embedder TEXT,
    gen INTEGER NOT NULL DEFAULT 0,
    pending_gen INTEGER,
    updated DOUBLE PRECISION,
    ocr_pages INTEGER DEFAULT 0,
    reason_data TEXT,
    owner BIGINT,               -- the client writing its pending generation (a lease)
    issued_gen INTEGER NOT NULL DEFAULT 0,  -- the highest generation ever begun
    UNIQUE (kb_id, path)
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(kb_id, content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    rowid BIGSERIAL PRIMARY KEY,
    id TEXT UNIQUE NOT NULL,
    doc_id BIGINT NOT NULL,
    kb_id BIGINT NOT NULL,
    idx INTEGER NOT NULL,
    page INTEGER,
    heading TEXT,
    start INTEGER,
    "end" INTEGER,
    text TEXT NOT NULL,
    page_label TEXT,
    ocr INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_place ON chunks(doc_id, idx);
CREATE INDEX IF NOT EXISTS chunks_kb ON chunks(kb_id, idx);
CREATE TABLE IF NOT EXISTS watched_folders (
    id BIGSERIAL PRIMARY KEY,
    kb_id BIGINT NOT NULL REFERENCES kbs(id),
    path TEXT COLLATE "C" NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    poll INTEGER NOT NULL DEFAULT 0,
    added DOUBLE PRECISION NOT NULL,
    UNIQUE (kb_id, path)
);
CREATE TABLE IF NOT EXISTS keyword_rows (
    rowid BIGINT PRIMARY KEY,
    kb_id BIGINT NOT NULL,
    length INTEGER NOT NULL,
    tokens TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keyword_postings (
    kb_id BIGINT NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    rowid BIGINT NOT NULL,
    tf INTEGER NOT NULL,
    length INTEGER NOT NULL,
    PRIMARY KEY (kb_id, term, rowid) INCLUDE (tf, length)
);
CREATE INDEX IF NOT EXISTS keyword_postings_row ON keyword_postings(rowid);
CREATE TABLE IF NOT EXISTS keyword_sizes (
    kb_id BIGINT PRIMARY KEY,
    rows BIGINT NOT NULL DEFAULT 0,
    tokens BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    counter BIGINT NOT NULL
);
INSERT INTO changes VALUES (1, 0) ON CONFLICT (id) DO NOTHING
"""

# Tables whose every change bumps ``changes.counter`` (a statement-level trigger), so
# that any client can tell cheaply that the library changed.
_COUNTED = ("kbs", "documents")

_TRIGGERS = """
CREATE OR REPLACE FUNCTION wenji_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE changes SET counter = counter + 1 WHERE id = 1;
    RETURN NULL;
END $$;
""" + "".join(f"""
DROP TRIGGER IF EXISTS {t}_changed ON {t};
CREATE TRIGGER {t}_changed AFTER INSERT OR UPDATE OR DELETE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION wenji_count_change();
""" for t in _COUNTED)

# One schema set-up at a time across clients (a transaction-level advisory lock).
_SCHEMA_LOCK = 0x57454E4A49  # "WENJI"

# (table, the column a step adds, its statements), oldest first.
_UPGRADES = (
    # generations counted per document, never handed out twice
    ("documents", "issued_gen",
     ("ALTER TABLE documents ADD COLUMN issued_gen INTEGER NOT NULL DEFAULT 0",)),
    # the row length in each posting, and both numbers in the key: index-only scoring
    ("keyword_postings", "length",
     ("ALTER TABLE keyword_postings ADD COLUMN length INTEGER",
      "UPDATE keyword_postings p SET length = r.length FROM keyword_rows r "
      "WHERE r.rowid = p.rowid",
      "ALTER TABLE keyword_postings ALTER COLUMN length SET NOT NULL",
      "ALTER TABLE keyword_postings DROP CONSTRAINT keyword_postings_pkey",
      "ALTER TABLE keyword_postings ADD PRIMARY KEY (kb_id, term, rowid) INCLUDE (tf, length)")),
)


class PgCatalog(Catalog):
    """The catalog's tables on a PostgreSQL server (see the module docstring)."""

    BEGIN = "BEGIN"
    HIDDEN = "\x01"  # PostgreSQL's text cannot hold NUL; a name cannot hold \x01 either
    keyword_postings = True  # retrieval.keyword.open_keyword_index reads this

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self.path = None
        self._lock = threading.RLock()
        # This client's lease (see the module docstring), taken on every connection.
        self.client_id = secrets.randbits(62)
        self.db = PgDb(conninfo, on_connect=self._take_lease)
        self._create_schema()

    def _take_lease(self, conn) -> None:
        """Hold the lease in this session.  After a reconnect another client may be
        probing it (``owner_alive``) at that instant: then this waits that long."""
        conn.execute("SELECT pg_advisory_lock(%s)", (self.client_id,))

    def _create_schema(self) -> None:
        with self.transaction():
            self.db.execute(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
            exists = self.db.execute("SELECT to_regclass('keyword_sizes')").fetchone()[0]
            if exists is None:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.conn.execute(_TRIGGERS)
            else:
                self._upgrade()

    def _has_column(self, table: str, column: str) -> bool:
        return self.db.execute("SELECT 1 FROM information_schema.columns WHERE "
                               "table_schema = current_schema() AND table_name = ? AND "
                               "column_name = ?", (table, column)).fetchone() is not None

    def _upgrade(self) -> None:
        """Bring a library set up by an older Wenji to this schema: each step is known
        by the column it adds.  Only the tables' owner (or an administrator) may: anyone
        else is told to ask for ``wenji server init`` again."""
        import psycopg

        steps = [statements for table, column, statements in _UPGRADES
                 if not self._has_column(table, column)]
        try:
            for statements in steps:
                for statement in statements:
                    self.db.execute(statement)
        except psycopg.errors.InsufficientPrivilege:
            raise SharedLibraryError(Reason(
                "library_outdated", "the shared library {server} was set up by an older "
                "Wenji: ask its administrator to run `wenji server init` again",
                server=self.location)) from None

    @property
    def location(self) -> str:
        return self.db.describe()

    @property
    def writable(self) -> bool:
        """Whether this person's role may change documents (a writer)."""
        return bool(self.db.execute("SELECT has_table_privilege('documents', 'INSERT')"
                                    ).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # --- leases: which half-written items belong to a client that is gone ------------

    def _another_writes(self, doc: DocumentRow) -> bool:
        """Whether the document's mark belongs to another client still connected."""
        return doc.owner not in (None, self.client_id) and self.owner_alive(doc.owner)

    def written_by_another(self, doc: DocumentRow) -> bool:
        row = self.document_by_id(doc.id)
        return row is not None and marked(row) and self._another_writes(row)

    def owner_alive(self, owner: int | None) -> bool:
        """Whether the client holding lease ``owner`` is connected (None: nobody)."""
        if owner is None:
            return False
        if owner == self.client_id:
            return True
        with self._lock:
            free = self.db.execute("SELECT pg_try_advisory_lock(?)", (owner,)).fetchone()[0]
            if free:
                self.db.execute("SELECT pg_advisory_unlock(?)", (owner,))
        return not free

    def begin_document(self, kb_id: int, path: str, content_hash: str, size: int,
                       mtime: float) -> DocumentRow:
        """As the embedded catalog's, with this client as the mark's owner and a
        generation never handed out before; :class:`DocumentBusy` if another live
        client is writing the document."""
        with self.transaction():
            # Two clients adding the same file: one at a time per (knowledge base, path).
            self.db.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (int(kb_id), path))
            existing = self.document(kb_id, path)
            if existing is not None and marked(existing):
                if self._another_writes(existing):
                    raise DocumentBusy(path)
                raise LeftBehind(existing)
            doc = super().begin_document(kb_id, path, content_hash, size, mtime)
            issued = self.db.execute("SELECT issued_gen FROM documents WHERE id = ?",
                                     (doc.id,)).fetchone()[0]
            gen = max(doc.pending_gen, issued + 1)
            self.db.execute("UPDATE documents SET owner = ?, pending_gen = ?, issued_gen = ? "
                            "WHERE id = ?", (self.client_id, gen, gen, doc.id))
            return self.document_by_id(doc.id)

    def commit_document(self, doc: DocumentRow, kb: KnowledgeBase, **fields) -> None:
        """As the embedded catalog's, only while the pending generation is still this
        client's (else :class:`MarkLost`: see the module docstring)."""
        with self.transaction():
            row = self.db.execute("SELECT pending_gen, owner FROM documents WHERE id = ? "
                                  "FOR UPDATE", (doc.id,)).fetchone()
            if row is None or (row[0], row[1]) != (doc.pending_gen, self.client_id):
                raise MarkLost(self.location, doc.path)
            super().commit_document(doc, kb, **fields)

    def abandon_pending(self, doc: DocumentRow) -> None:
        """As the embedded catalog's, but never the mark of another live client (one
        that began the document after this client's mark was settled)."""
        with self.transaction():
            row = self.db.execute("SELECT * FROM documents WHERE id = ? FOR UPDATE",
                                  (doc.id,)).fetchone()
            if row is not None and self._another_writes(_document_row(row)):
                log.info("left %s to the client writing it now", doc.path)
                return
            super().abandon_pending(doc)

    def record_failure(self, kb: KnowledgeBase, path: str, **fields) -> None:
        with self.transaction():
            super().record_failure(kb, path, **fields)
            self.db.execute("UPDATE documents SET owner = ? WHERE kb_id = ? AND path = ?",
                            (self.client_id, kb.id, path))

    def mark_removing(self, doc: DocumentRow) -> None:
        with self.transaction():
            super().mark_removing(doc)
            self.db.execute("UPDATE documents SET owner = ? WHERE id = ?",
                            (self.client_id, doc.id))

    @contextlib.contextmanager
    def settling(self, doc: DocumentRow):
        """The document if it is still half-done and no other live client writes it,
        holding its per-document lock meanwhile: a client beginning it waits until it
        is settled, and two clients never settle it at once."""
        key = (int(doc.kb_id), doc.path)
        self.db.execute("SELECT pg_advisory_lock(?, hashtext(?))", key)
        try:
            row = self.document_by_id(doc.id)
            yield (row if row is not None and marked(row) and not self._another_writes(row)
                   else None)
        finally:
            try:
                self.db.execute("SELECT pg_advisory_unlock(?, hashtext(?))", key)
            except ServerLost:  # the lock went with the connection
                pass

    def dirty_documents(self) -> list[DocumentRow]:
        """Half-written documents whose client is gone (another client's work in
        progress is left alone)."""
        rows = self.db.execute("SELECT * FROM documents WHERE pending_gen IS NOT NULL "
                               "OR status = 'removing'").fetchall()
        return [_document_row(r) for r in rows
                if r["owner"] != self.client_id and not self.owner_alive(r["owner"])]

    def create_importing_kb(self, embedder: str | None) -> KnowledgeBase:
        name = f"{self.HIDDEN}importing-{self.client_id}-{uuid.uuid4().hex[:12]}"
        return self.create_kb(name, embedder, status="importing")

    def importer_alive(self, name: str) -> bool:
        try:
            owner = int(name[len(self.HIDDEN + "importing-"):].split("-", 1)[0])
        except ValueError:
            return False
        return self.owner_alive(owner)

    # --- the keyword index: postings ------------------------------------------------

    def _create_keyword_table(self, kb: KnowledgeBase) -> None:
        self.db.execute("INSERT INTO keyword_sizes (kb_id) VALUES (?) ON CONFLICT DO NOTHING",
                        (kb.id,))

    def _insert_keywords(self, kb: KnowledgeBase, rowid: int, tokens: str) -> None:
        self._write_keywords(kb, [(rowid, tokens)])

    def _write_keywords(self, kb: KnowledgeBase, rows: Sequence[tuple[int, str]]) -> None:
        lengths = 0
        postings, keyword_rows = [], []
        for rowid, tokens in rows:
            terms = fts5_terms(tokens)
            lengths += len(terms)
            keyword_rows.append((rowid, kb.id, len(terms), tokens))
            postings.extend((kb.id, t, rowid, tf, len(terms)) for t, tf in Counter(terms).items())
        self.db.copy_rows("keyword_rows (rowid, kb_id, length, tokens)", keyword_rows)
        self.db.copy_rows("keyword_postings (kb_id, term, rowid, tf, length)", postings)
        self.db.execute("UPDATE keyword_sizes SET rows = rows + ?, tokens = tokens + ? "
                        "WHERE kb_id = ?", (len(rows), lengths, kb.id))

    def _insert_chunks(self, kb: KnowledgeBase, rows: Sequence[tuple[int, object, str]]) -> None:
        if not rows:
            return
        rowids = [r[0] for r in self.db.execute(
            "SELECT nextval('chunks_rowid_seq') FROM generate_series(1, ?)",
            (len(rows),)).fetchall()]
        self.db.copy_rows(
            'chunks (rowid, id, doc_id, kb_id, idx, page, heading, start, "end", text, '
            "page_label, ocr)",
            ((rowid, c.id, doc_id, kb.id, c.index, c.page, c.heading, c.start, c.end,
              c.text, c.page_label, int(c.ocr))
             for rowid, (doc_id, c, _) in zip(rowids, rows)))
        self._write_keywords(kb, [(rowid, tokens) for rowid, (_, _, tokens)
                                  in zip(rowids, rows)])

    def _clear_keywords(self, kb: KnowledgeBase) -> None:
        self.db.execute("DELETE FROM keyword_postings WHERE kb_id = ?", (kb.id,))
        self.db.execute("DELETE FROM keyword_rows WHERE kb_id = ?", (kb.id,))
        self.db.execute("UPDATE keyword_sizes SET rows = 0, tokens = 0 WHERE kb_id = ?",
                        (kb.id,))

    def _drop_keyword_table(self, kb: KnowledgeBase) -> None:
        self._clear_keywords(kb)
        self.db.execute("DELETE FROM keyword_sizes WHERE kb_id = ?", (kb.id,))

    def _delete_keywords_of(self, kb: KnowledgeBase, doc_id: int) -> None:
        self.db.execute("DELETE FROM keyword_postings WHERE rowid IN "
                        "(SELECT rowid FROM chunks WHERE doc_id = ?)", (doc_id,))
        self.db.execute(
            "WITH gone AS (DELETE FROM keyword_rows WHERE rowid IN "
            "(SELECT rowid FROM chunks WHERE doc_id = ?) RETURNING length) "
            "UPDATE keyword_sizes SET rows = rows - (SELECT COUNT(*) FROM gone), "
            "tokens = tokens - (SELECT COALESCE(SUM(length), 0) FROM gone) WHERE kb_id = ?",
            (doc_id, kb.id))

    def keyword_table(self, kb: KnowledgeBase) -> str:
        return "keyword_rows"  # one table for every knowledge base (rowids are unique)

    def keyword_count(self, kb: KnowledgeBase) -> int:
        return self.db.execute("SELECT COUNT(*) FROM keyword_rows WHERE kb_id = ?",
                               (kb.id,)).fetchone()[0]

    def keyword_rowids(self, kb: KnowledgeBase) -> set[int]:
        return {r[0] for r in self.db.execute("SELECT rowid FROM keyword_rows WHERE kb_id = ?",
                                              (kb.id,))}

    def keyword_sizes(self, kb: KnowledgeBase) -> tuple[int, int]:
        """(rows, tokens) of the knowledge base's keyword index."""
        row = self.db.execute("SELECT rows, tokens FROM keyword_sizes WHERE kb_id = ?",
                              (kb.id,)).fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # --- reads that differ ----------------------------------------------------------

    def change_marker(self) -> tuple:
        with self._lock:
            return (self.db.execute("SELECT counter FROM changes WHERE id = 1").fetchone()[0],)

    def text_contains(self, kb_id: int, text: str) -> bool:
        with self._lock:
            return self.db.execute(
                "SELECT 1 FROM chunks WHERE kb_id = ? AND strpos(lower(text), lower(?)) > 0 "
                "LIMIT 1", (kb_id, text)).fetchone() is not None

    @contextlib.contextmanager
    def snapshot(self):
        """A second connection inside one repeatable-read, read-only transaction."""
        db = PgDb(self.conninfo, application_name="wenji-snapshot")
        try:
            db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield db
        finally:
            try:
                db.execute("ROLLBACK")
            finally:
                db.close()
