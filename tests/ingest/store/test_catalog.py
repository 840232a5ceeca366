"""The catalog's schema grows without losing what older versions stored."""

import sqlite3

from ingest.store.catalog import Catalog


def test_a_catalog_made_before_ocr_and_page_labels_gains_the_columns(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE kbs (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, embedder TEXT,
                          status TEXT NOT NULL DEFAULT 'ready', created REAL NOT NULL);
        CREATE TABLE documents (id INTEGER PRIMARY KEY, kb_id INTEGER NOT NULL, path TEXT NOT NULL,
            title TEXT, kind TEXT, content_hash TEXT, size INTEGER, mtime REAL,
            status TEXT NOT NULL, code TEXT, reason TEXT, pages INTEGER DEFAULT 0,
            empty_pages INTEGER DEFAULT 0, chunks INTEGER DEFAULT 0, embedder TEXT,
            gen INTEGER NOT NULL DEFAULT 0, pending_gen INTEGER, updated REAL,
            UNIQUE (kb_id, path));
        CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL,
            doc_id INTEGER NOT NULL, kb_id INTEGER NOT NULL, idx INTEGER NOT NULL, page INTEGER,
            heading TEXT, start INTEGER, end INTEGER, text TEXT NOT NULL);
        INSERT INTO kbs VALUES (1, 'old', 'all-MiniLM-L6-v2', 'ready', 0);
        INSERT INTO documents (id, kb_id, path, status, pages, chunks, gen)
            VALUES (1, 1, '/docs/a.pdf', 'ready', 3, 1, 1);
        INSERT INTO chunks VALUES (1, 'c1', 1, 1, 0, 2, NULL, 0, 5, 'hello');
    """)
    db.commit()
    db.close()
    catalog = Catalog(path)
    try:
        doc = catalog.document_by_id(1)
        assert doc.path == "/docs/a.pdf" and doc.ocr_pages == 0
        row = catalog.chunks_by_ids(["c1"])["c1"]
        assert (row.text, row.page, row.page_label, row.ocr) == ("hello", 2, None, False)
        assert catalog.kbs()[0].tokenizer is None
    finally:
        catalog.close()


def test_a_taken_name_gives_no_second_knowledge_base(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    try:
        first = catalog.create_kb("team", None)
        assert catalog.create_kb("team", None) is None
        assert [kb.id for kb in catalog.kbs()] == [first.id]
    finally:
        catalog.close()
