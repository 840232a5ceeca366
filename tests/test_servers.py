"""The throwaway servers of tests/servers.py, tested against the REAL servers they start
(PostgreSQL from Debian's package, Chroma's FastAPI server): no mocks."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.servers import (
    ChromaServer,
    PostgresServer,
    ServerStartError,
    ServerUnavailable,
    _alive,
    _children,
    sweep_stale_folders,
)


REPO = Path(__file__).resolve().parents[1]


def _gone(pids, timeout=15.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# --- PostgreSQL -------------------------------------------------------------------


def test_pg_superuser_role_database_and_refused_passwords(pg_server):
    pg = pg_server
    assert pg.host == "127.0.0.1" and pg.port
    with psycopg.connect(pg.dsn()) as conn:
        user, is_super = conn.execute(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert (user, is_super) == (pg.superuser, True)
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
        assert int(conn.execute("SHOW max_connections").fetchone()[0]) >= 100
        assert conn.execute("SHOW fsync").fetchone()[0] == "on"
        assert conn.execute("SHOW server_encoding").fetchone()[0] == "UTF8"

    role, db = f"kb_{uuid.uuid4().hex[:8]}", f"kbdb_{uuid.uuid4().hex[:8]}"
    pg.create_role(role, "s3cret-Pw")
    pg.create_database(db, owner=role)
    with psycopg.connect(pg.dsn(user=role, password="s3cret-Pw", dbname=db)) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (role, db)
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database "
                             "WHERE datname = current_database()").fetchone()[0]
        assert owner == role
        conn.execute("CREATE TABLE notes (body text)")  # the owner may create tables
        conn.execute("INSERT INTO notes VALUES ('文集')")
        assert conn.execute("SELECT body FROM notes").fetchone() == ("文集",)
        # the role's password was stored as a SCRAM verifier, not in clear or md5
    with psycopg.connect(pg.dsn()) as conn:
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                              (role,)).fetchone()[0]
        assert stored.startswith("SCRAM-SHA-256$")

    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg.dsn(user=role, password="wrong", dbname=db), connect_timeout=10)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(pg.dsn(password="wrong"), connect_timeout=10)
    # the unix socket (in the server's own folder) asks for a password too
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        psycopg.connect(host=str(pg.socket_dir), port=pg.port, user=pg.superuser,
                        dbname="postgres", password="", connect_timeout=10)


def test_pg_kill_then_restart_keeps_committed_data():
    with PostgresServer() as pg:
        folder, port = pg.folder, pg.port
        with pg.connect(autocommit=True) as conn:
            conn.execute("CREATE TABLE t (n int)")
            conn.execute("INSERT INTO t VALUES (1), (2)")
        open_tx = pg.connect()
        open_tx.execute("INSERT INTO t VALUES (99)")  # never committed
        postmaster = pg.proc.pid
        backends = _children(postmaster)
        assert backends, "a running postmaster has children"

        pg.kill()
        assert _gone([postmaster, *backends]), "kill() left postgres processes"
        assert folder.exists() and pg.folder == folder
        open_tx.close()

        pg.restart()
        assert pg.port == port and pg.proc.pid != postmaster
        with pg.connect() as conn:
            assert conn.execute("SELECT n FROM t ORDER BY n").fetchall() == [(1,), (2,)]
        log = pg.log_path.read_text()
        assert "not properly shut down" in log and "automatic recovery" in log

        # a clean restart needs no recovery
        pg.restart()
        with pg.connect() as conn:
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
        last = pg.proc.pid
    assert not folder.exists()
    assert _gone([last])


def test_pg_failed_start_raises_with_log_tail():
    pg = PostgresServer().start()
    folder = pg.folder
    try:
        with open(pg.data_dir / "postgresql.conf", "a") as conf:
            conf.write("no_such_setting_for_wenji = 1\n")
        with pytest.raises(ServerStartError) as err:
            pg.restart(timeout=30)
        assert 'unrecognized configuration parameter "no_such_setting_for_wenji"' in str(err.value)
        assert not pg.running
    finally:
        pg.stop()
    assert not folder.exists()


def test_pg_missing_software_is_unavailable(tmp_path):
    (tmp_path / "initdb").write_text("#!/bin/sh\n")
    (tmp_path / "initdb").chmod(0o755)
    with pytest.raises(ServerUnavailable, match="postgres not found"):
        PostgresServer(bindir=tmp_path).start()


# --- Chroma -----------------------------------------------------------------------


def _http(server, method, path, token=None, body=None):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body),
                     headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


COLLECTIONS = "/api/v2/tenants/default_tenant/databases/default_database/collections"


def test_chroma_writer_writes_reader_reads_only(chroma_server):
    ch = chroma_server
    name = f"kb-{uuid.uuid4().hex[:8]}"
    alice = ch.client(ch.token("alice"))
    col = alice.create_collection(name, embedding_function=None)
    col.add(ids=["a", "b", "c"], embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            documents=["alpha", "beta", "gamma"], metadatas=[{"n": 1}, {"n": 2}, {"n": 3}])
    hit = col.query(query_embeddings=[[0.1, 0.9, 0.0]], n_results=2)
    assert hit["ids"] == [["b", "a"]] and hit["documents"][0][0] == "beta"

    bob = ch.client(ch.token("bob"))
    bcol = bob.get_collection(name, embedding_function=None)
    assert bcol.count() == 3
    assert bcol.query(query_embeddings=[[0.0, 0.0, 1.0]], n_results=1)["ids"] == [["c"]]
    assert bcol.get(ids=["a"])["documents"] == ["alpha"]

    with pytest.raises(Exception, match='"detail":"Forbidden"') as refused:
        bcol.add(ids=["d"], embeddings=[[1.0, 1.0, 0.0]], documents=["delta"])
    assert type(refused.value) is Exception  # an authz refusal, not an auth error
    with pytest.raises(Exception, match='"detail":"Forbidden"'):
        bcol.delete(ids=["a"])
    with pytest.raises(Exception, match='"detail":"Forbidden"'):
        bob.create_collection(name + "-bob", embedding_function=None)
    with pytest.raises(Exception, match='"detail":"Forbidden"'):
        bob.delete_collection(name)
    assert col.count() == 3 and name + "-bob" not in [c.name for c in alice.list_collections()]

    # the same refusal on the wire: 403 from the RBAC provider
    status, body = _http(ch, "POST", f"{COLLECTIONS}/{col.id}/add", ch.token("bob"),
                         {"ids": ["e"], "embeddings": [[0.5, 0.5, 0.5]]})
    assert (status, body) == (403, {"detail": "Forbidden"})

    alice.delete_collection(name)
    assert name not in [c.name for c in bob.list_collections()]


def test_chroma_wrong_or_missing_token_is_refused(chroma_server):
    from chromadb.errors import ChromaAuthError

    ch = chroma_server
    with pytest.raises(ChromaAuthError):
        ch.client("not-a-token")
    with pytest.raises(ChromaAuthError):
        ch.client(None)
    for token in ("not-a-token", None):
        status, body = _http(ch, "GET", COLLECTIONS, token)
        assert (status, body) == (403, {"error": "AuthError", "message": "Forbidden"})
    status, _ = _http(ch, "GET", COLLECTIONS, ch.token("bob"))
    assert status == 200
    assert ch.heartbeat()  # the heartbeat needs no token


def test_chroma_restart_and_kill_keep_data():
    users = {"w": ("writer-token-1", "writer"), "r": ("reader-token-1", "reader")}
    with ChromaServer(users=users) as ch:
        folder, port = ch.folder, ch.port
        col = ch.client("writer-token-1").create_collection("keep", embedding_function=None)
        col.add(ids=["x", "y"], embeddings=[[0.0, 1.0], [1.0, 0.0]])
        first = ch.proc.pid

        ch.restart()
        assert ch.port == port and ch.proc.pid != first and _gone([first])
        got = ch.client("reader-token-1").get_collection("keep", embedding_function=None)
        assert got.count() == 2

        killed = ch.proc.pid
        ch.kill()
        assert _gone([killed]) and not ch.heartbeat()
        ch.restart()
        got = ch.client("reader-token-1").get_collection("keep", embedding_function=None)
        assert got.query(query_embeddings=[[0.0, 0.9]], n_results=1)["ids"] == [["x"]]
        last = ch.proc.pid
    assert not folder.exists() and _gone([last])


def test_chroma_failed_start_raises_with_log_tail():
    ch = ChromaServer(users={"w": ("tok-w", "writer"), "r": ("tok-r", "reader")})
    ch.start()
    folder = ch.folder
    try:
        # a user whose role is not in the RBAC config: the authz provider fails at start
        (folder / "authz.yaml").write_text(
            "roles_mapping:\n  writer:\n    actions: []\nusers:\n  - id: w\n    role: boss\n")
        with pytest.raises(ServerStartError, match="KeyError: 'boss'") as err:
            ch.restart(timeout=60)
        assert "chroma exited" in str(err.value)
    finally:
        ch.stop()
    assert not folder.exists()


def test_chroma_rejects_bad_users():
    with pytest.raises(ValueError, match="role"):
        ChromaServer(users={"x": ("tok", "admin")})
    with pytest.raises(ValueError, match="already used"):
        ChromaServer(users={"x": ("tok", "reader"), "y": ("tok", "writer")})
    with pytest.raises(ValueError, match="ASCII"):
        ChromaServer(users={"x": ("to ken", "reader")})


# --- clean-up of an interrupted session -------------------------------------------

CHILD = r"""
import json, sys, time
from tests.servers import ChromaServer, PostgresServer, _children, install_signal_cleanup
install_signal_cleanup()
mode = sys.argv[1]
servers = [PostgresServer().start()]
if mode == "sigkill":
    servers.append(ChromaServer().start())
pids = [s.proc.pid for s in servers] + _children(servers[0].proc.pid)
print(json.dumps({"pids": pids, "folders": [str(s.folder) for s in servers]}), flush=True)
if mode == "exit":
    sys.exit(0)  # no stop(): atexit must clean up
time.sleep(300)
"""


@pytest.mark.parametrize("mode", ["exit", "sigterm", "sigkill"])
def test_interrupted_session_leaves_nothing(mode):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, f"child failed: {proc.stderr.read()[-3000:]}"
        started = json.loads(line)
        if mode == "sigterm":
            proc.send_signal(signal.SIGTERM)
        elif mode == "sigkill":
            proc.send_signal(signal.SIGKILL)
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == {"exit": 0, "sigterm": -signal.SIGTERM, "sigkill": -signal.SIGKILL}[mode]
    assert _gone(started["pids"]), f"server processes left behind after {mode}"
    folders = [Path(f) for f in started["folders"]]
    if mode == "sigkill":
        # nothing could run in the child: the next start's sweep removes its folders
        assert all(f.exists() for f in folders)
        removed = sweep_stale_folders(folders[0].parent)
        assert set(folders) <= set(removed)
    assert not any(f.exists() for f in folders)
