"""Who may do what in a shared library: a reader searches but cannot change it; a wrong
password or token is refused with a message that names the server (never the secret)."""

from __future__ import annotations

import dataclasses

import pytest

from ingest.store.library import Library, LibraryError
from ingest.store.shared import SharedStore
from tests.server_fixtures import prepare_team


@pytest.fixture(scope="module")
def team(pg_server, chroma_server, tmp_path_factory):
    """A prepared database with a writer (carol) and a reader (dave)."""
    db, people = prepare_team(pg_server, chroma_server, "team")
    return {name: SharedStore(pg_server.dsn(user=role, password=password, dbname=db),
                              chroma_server.url, token)
            for name, (role, password, token) in people.items()}


def test_no_secret_in_the_description(team):
    from psycopg.conninfo import conninfo_to_dict

    store = team["carol"]
    for text in (repr(store), str(store), store.describe()):
        assert conninfo_to_dict(store.postgres)["password"] not in text
        assert store.chroma_token not in text


def test_a_writer_adds_and_a_reader_only_reads(team, tmp_path, embedder):
    from ingest.pipeline import Ingestor
    from ingest.prepare import prepare_text

    writer = Library(tmp_path / "carol", team["carol"])
    assert writer.writable
    kb = writer.create_kb("handbook", embedder.name)
    record = prepare_text("note:1", "Holidays", "The office is closed on 1 May and 1 October.",
                          model_dir=str(embedder.ensure_folder()), chunk_tokens=200,
                          overlap=0.15)
    report = Ingestor(writer, embedder).ingest_prepared([record], kb.name, total=1)
    assert report.count("added") == 1

    reader = Library(tmp_path / "dave", team["dave"])
    assert not reader.writable
    assert [d.path for d in reader.documents(reader.kb("handbook"))] == ["note:1"]
    for attempt in (lambda: reader.create_kb("mine", embedder.name),
                    lambda: reader.delete_kb("handbook"),
                    lambda: reader.remove_path(reader.kb("handbook"), tmp_path),
                    lambda: Ingestor(reader, embedder).ingest_prepared([record], "handbook",
                                                                     total=1)):
        with pytest.raises(LibraryError) as refused:
            attempt()
        assert refused.value.reason.code == "read_only_library"
        assert "reader" in str(refused.value)
    # PostgreSQL itself refuses the reader's change, whatever the client
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.catalog.db.execute("DELETE FROM documents")
    # and the Chroma server refuses the reader's token a write
    with pytest.raises(Exception, match="Forbidden"):
        reader.vectors.client.create_collection("wenji_forbidden", embedding_function=None)
    assert writer.documents(kb)[0].status == "ready"


def test_a_wrong_password_or_token_is_refused_in_words(team, tmp_path):
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    good = team["carol"]
    fields = conninfo_to_dict(good.postgres)
    wrong = "x" + fields["password"]
    with pytest.raises(LibraryError) as refused:
        Library(tmp_path / "a", dataclasses.replace(
            good, postgres=make_conninfo(**{**fields, "password": wrong})))
    assert refused.value.reason.code == "server_login_refused"
    assert wrong not in str(refused.value) and fields["password"] not in str(refused.value)

    with pytest.raises(LibraryError) as refused:
        Library(tmp_path / "b", dataclasses.replace(good, chroma_token="not-a-token"))
    assert refused.value.reason.code == "vector_server_refused"
    assert "not-a-token" not in str(refused.value)

    with pytest.raises(LibraryError) as refused:
        Library(tmp_path / "c", dataclasses.replace(good, chroma_url="http://127.0.0.1:9"))
    assert refused.value.reason.code == "server_unreachable"


def test_two_clients_asking_for_one_new_knowledge_base_at_once_get_the_same(
        make_shared_store, tmp_path, embedder, monkeypatch):
    """The second client looked before the first created it: its insert finds the name
    taken, and it takes the first one's knowledge base instead of failing."""
    store = make_shared_store("race")
    first, second = Library(tmp_path / "one", store), Library(tmp_path / "two", store)
    try:
        made = first.kb("team", create=True, embedder=embedder.name)
        stale = [None, None]  # what the second saw before the first's row was there
        real_lookup = second.catalog.kb
        monkeypatch.setattr(second.catalog, "kb",
                            lambda name: stale.pop() if stale else real_lookup(name))
        joined = second.kb("team", create=True, embedder=embedder.name)
        assert joined.id == made.id
        assert [kb.name for kb in second.kbs()] == ["team"]
        with pytest.raises(LibraryError, match="already exists"):
            second.create_kb("team", embedder.name)
    finally:
        first.close()
        second.close()
