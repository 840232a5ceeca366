"""A shared library set up by an older Wenji (real PostgreSQL and Chroma servers): the
tables' owner opening it brings it to this schema -- the documents' generation counter,
the row length inside the postings' key -- and its searches give the same hits as
before; a person who may not change the tables is told to ask for ``wenji server init``."""

from __future__ import annotations

import psycopg
import pytest

from ingest.store.errors import SharedLibraryError
from ingest.store.library import Library
from ingest.store.shared import SharedStore
from retrieval.keyword import open_keyword_index
from tests.ingest.store.test_shared_writes import _prepared, _write
from tests.server_fixtures import prepare_team

# What a library made before the two upgrades looks like.
OLDER_SCHEMA = (
    "ALTER TABLE keyword_postings DROP CONSTRAINT keyword_postings_pkey",
    "ALTER TABLE keyword_postings DROP COLUMN length",
    "ALTER TABLE keyword_postings ADD PRIMARY KEY (kb_id, term, rowid)",
    "ALTER TABLE documents DROP COLUMN issued_gen",
)
QUERIES = ("alpha passage", "beta", "passage 3 gamma")


def _make_older(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for statement in OLDER_SCHEMA:
            conn.execute(statement)


def _columns(conninfo: str, table: str) -> set[str]:
    with psycopg.connect(conninfo) as conn:
        return {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s",
            (table,))}


def _key_columns(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        return conn.execute("SELECT pg_get_indexdef('keyword_postings_pkey'::regclass)"
                            ).fetchone()[0]


def _hits(lib: Library) -> list[list[tuple[int, float]]]:
    index = open_keyword_index(lib.catalog, lib.kb("team"))
    return [[(h.rowid, round(h.score, 6)) for h in index.search(q, 10)] for q in QUERIES]


def test_the_owner_upgrades_an_older_library_and_finds_the_same(make_shared_store, tmp_path):
    store = make_shared_store("upgrade")
    lib = Library(tmp_path / "first", store)
    kb = lib.kb("team", create=True, embedder="test")
    for i, word in enumerate(("alpha", "beta", "gamma")):
        _write(lib, kb, _prepared(f"/{word}.md", n=3 + i, word=word))
    before = _hits(lib)
    lib.close()
    assert all(before), before

    _make_older(store.postgres)
    assert "length" not in _columns(store.postgres, "keyword_postings")

    lib = Library(tmp_path / "again", store)
    try:
        assert {"length", "tf"} <= _columns(store.postgres, "keyword_postings")
        assert "issued_gen" in _columns(store.postgres, "documents")
        assert "INCLUDE (tf, length)" in _key_columns(store.postgres)
        assert _hits(lib) == before
        # and it goes on taking documents, scored from the key as the others
        _write(lib, lib.kb("team"), _prepared("/delta.md", n=2, word="delta"))
        assert [h.rowid for h in open_keyword_index(lib.catalog, lib.kb("team"))
                .search("delta", 10)]
    finally:
        lib.close()


def test_a_reader_of_an_older_library_is_told_to_ask_for_server_init(
        pg_server, chroma_server, tmp_path):
    db, people = prepare_team(pg_server, chroma_server, "older")
    _make_older(pg_server.dsn(dbname=db))
    role, password, token = people["dave"]
    store = SharedStore(pg_server.dsn(user=role, password=password, dbname=db),
                        chroma_server.url, token)
    with pytest.raises(SharedLibraryError) as caught:
        Library(tmp_path / "dave", store)
    assert caught.value.reason.code == "library_outdated"
    assert "wenji server init" in str(caught.value)
