"""A shared library's server restarting in the middle of an ingest (real PostgreSQL and
Chroma servers of this module's own, restarted under a running ``Ingestor``).

What is expected (``ingest.turns``, ``ingest.store.outage``): a short outage is ridden
out -- the client reconnects (taking its lease again) or sends the request again -- and
a document whose transaction the restart cut short is written once more, so the run
completes; a server that stays away fails the run with the files it was writing reported
failed, naming the server.  Either way no document is half-searchable afterwards,
nothing is there twice, and a run again completes everything."""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time

import pytest

from ingest.pipeline import Ingestor
from ingest.store.errors import ServerLost
from ingest.store.library import Library
from ingest.store.shared import SharedStore
from tests.conftest import MD_DIR, require
from tests.ingest.helpers import assert_consistent
from tests.server_fixtures import must_fail_when_unavailable
from tests.servers import ChromaServer, PostgresServer, ServerUnavailable

pytestmark = pytest.mark.slow


def _start(server):
    try:
        return server.start()
    except ServerUnavailable as e:
        if must_fail_when_unavailable():
            pytest.fail(str(e), pytrace=False)
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def servers():
    """This module's own servers: restarting them disturbs no other test."""
    pg = _start(PostgresServer())
    try:
        chroma = _start(ChromaServer(users={"alice": (secrets.token_urlsafe(16), "writer")}))
        try:
            yield pg, chroma
        finally:
            chroma.stop()
    finally:
        pg.stop()


@pytest.fixture
def store(servers):
    pg, chroma = servers
    for server in servers:  # a test that failed half-way may have left one down
        if not server.running:
            server.start()
    role, password = f"restart_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    pg.create_role(role, password)
    pg.create_database(role, owner=role)
    return SharedStore(pg.dsn(user=role, password=password, dbname=role), chroma.url,
                       chroma.token("alice"))


@pytest.fixture
def folder(tmp_path):
    notes = sorted(require(MD_DIR / "en/docs/tutorial").glob("*.md"))
    out = tmp_path / "docs"
    out.mkdir()
    for md in notes[:6]:
        shutil.copy(md, out / md.name)
    return out


class _Pause:
    """A progress callback that holds the ingest once, in the middle of writing a group
    of documents (begun, vectors partly added, not committed), until ``resume``; it
    keeps every file's outcome."""

    def __init__(self, hold: bool = True):
        self.reached, self.resume = threading.Event(), threading.Event()
        self.outcomes = []
        self.held = not hold

    def __call__(self, p) -> None:
        if p.outcome is not None:
            self.outcomes.append(p.outcome)
        elif not self.held and p.stage == "indexing" and p.chunks_done > 0:
            self.held = True
            self.reached.set()
            assert self.resume.wait(300)


def _ingest_in_thread(library, embedder, folder, pause):
    result = {}

    def run():
        try:
            result["report"] = Ingestor(library, embedder, parse_workers=0).run(
                [folder], "team", on_progress=pause)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            result["error"] = exc
        finally:
            pause.reached.set()

    thread = threading.Thread(target=run, name="ingest", daemon=True)
    thread.start()
    return thread, result


def _kill_mid_write(servers, which: str, store, embedder, folder, tmp_path):
    """A client's ingest held in the middle of a group of documents, ``which`` server
    killed there, then the ingest let go on: (server, library, pause, thread, result)."""
    server = servers[0] if which == "postgres" else servers[1]
    library = Library(tmp_path / "client", store)
    pause = _Pause()
    thread, result = _ingest_in_thread(library, embedder, folder, pause)
    assert pause.reached.wait(300) and "error" not in result, result
    server.kill()
    pause.resume.set()
    return server, library, pause, thread, result


def _check(store, tmp_path, expected: int) -> dict:
    """A new client's view: consistent, each path once; counts by status."""
    library = Library(tmp_path / f"checker-{secrets.token_hex(2)}", store)
    try:
        assert_consistent(library)
        docs = library.documents(library.kb("team"))
        assert len({d.path for d in docs}) == len(docs) <= expected
        return {status: sum(d.status == status for d in docs)
                for status in {d.status for d in docs}}
    finally:
        library.close()


@pytest.mark.parametrize("which", ["postgres", "chroma"])
def test_a_server_down_for_a_moment_mid_ingest_is_waited_for(
        servers, store, folder, embedder, tmp_path, caplog, which):
    """Killed mid-write (between requests) and back two seconds later: the client waits
    with a growing pause, reconnects, and the run completes."""
    caplog.set_level(logging.INFO)
    server, library, _, thread, result = _kill_mid_write(servers, which, store, embedder,
                                                         folder, tmp_path)
    time.sleep(2.0)
    server.start()
    thread.join(300)
    assert "error" not in result, result
    assert [o.status for o in result["report"].outcomes] == ["added"] * 6
    met = ("connected again" if which == "postgres" else "did not answer")
    assert any(met in r.getMessage() for r in caplog.records), "the outage went unnoticed"
    if which == "postgres":  # the lease was taken again on the new connection
        other = Library(tmp_path / "other", store)
        assert other.catalog.owner_alive(library.catalog.client_id)
        other.close()
    library.close()
    assert _check(store, tmp_path, 6) == {"ready": 6}


def test_a_postgres_restart_cutting_a_commit_short_writes_the_documents_again(
        servers, store, folder, embedder, tmp_path, caplog):
    """The restart lands inside the transaction that makes a document ready (held there
    by a row lock of the test's): it is rolled back by the server, the client reconnects
    and writes the group's documents once more."""
    pg, _ = servers
    caplog.set_level(logging.INFO)
    library = Library(tmp_path / "client", store)
    library.kb("team", create=True, embedder=embedder.name)
    locker = pg.connect(dbname=store.database())  # in a transaction until the restart
    locker.execute("SELECT * FROM keyword_sizes FOR UPDATE")  # a commit now waits here
    pause = _Pause(hold=False)
    thread, result = _ingest_in_thread(library, embedder, folder, pause)
    deadline = time.monotonic() + 300
    with pg.connect(autocommit=True) as watch:
        while not watch.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = "
                                "'wenji' AND wait_event_type = 'Lock'").fetchone():
            assert time.monotonic() < deadline and thread.is_alive(), result
            time.sleep(0.05)
    pg.restart()  # ends every session: the waiting commit's and the lock's
    locker.close()
    thread.join(300)
    assert "error" not in result, result
    assert [o.status for o in result["report"].outcomes] == ["added"] * 6
    assert any("writing" in r.getMessage() and "again" in r.getMessage()
               for r in caplog.records), "no transaction was cut short"
    library.close()
    assert _check(store, tmp_path, 6) == {"ready": 6}


@pytest.mark.parametrize("which", ["postgres", "chroma"])
def test_a_server_that_stays_away_fails_the_run_and_the_next_run_completes(
        servers, store, folder, embedder, tmp_path, monkeypatch, which):
    """Longer away than the retries wait (shortened here): the run stops with an error
    naming the server, the files being written are reported failed with that reason,
    the stores agree (nothing half-searchable), and a run once the server is back adds
    the rest."""
    monkeypatch.setattr("ingest.store.outage.OUTAGE_SECONDS", 1.0)
    where = store.describe().split(" + ")[0] if which == "postgres" else store.chroma_url
    server, library, pause, thread, result = _kill_mid_write(servers, which, store, embedder,
                                                             folder, tmp_path)
    thread.join(300)
    error = result.get("error")
    assert isinstance(error, ServerLost), result
    assert where in str(error)
    failed = [o for o in pause.outcomes if o.status == "failed"]
    assert failed and all(o.reason.code == "server_lost_file" and where in o.reason
                          for o in failed), pause.outcomes
    assert {o.status for o in pause.outcomes} <= {"added", "failed"}
    server.start()
    library.close()  # its lease goes with it: the next client settles what it left
    counts = _check(store, tmp_path, 6)
    assert counts.get("ready", 0) == sum(o.status == "added" for o in pause.outcomes) < 6

    again = Library(tmp_path / "client", store)
    report = Ingestor(again, embedder, parse_workers=0).run([folder], "team")
    again.close()
    assert sorted(o.status for o in report.outcomes) == sorted(
        ["unchanged" if o.status == "added" else "added" for o in pause.outcomes]
        + ["added"] * (6 - len(pause.outcomes)))
    assert _check(store, tmp_path, 6) == {"ready": 6}


def test_a_transaction_that_cannot_begin_keeps_no_lock(servers, store, tmp_path,
                                                       monkeypatch):
    """A failed BEGIN used to keep the catalog's thread lock: the next use of the
    catalog from another thread (closing it, say) then waited for ever."""
    monkeypatch.setattr("ingest.store.outage.OUTAGE_SECONDS", 0.5)
    pg, _ = servers
    library = Library(tmp_path / "client", store)
    pg.kill()
    try:
        with pytest.raises(ServerLost):
            with library.catalog.transaction():
                pass
        taken = []

        def take():
            taken.append(library.catalog._lock.acquire(timeout=5))
            if taken[-1]:
                library.catalog._lock.release()

        other = threading.Thread(target=take)
        other.start()
        other.join()
        assert taken == [True]
    finally:
        pg.start()
    library.close()
