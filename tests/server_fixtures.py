"""Session-scoped fixtures with REAL servers on 127.0.0.1 (see tests/servers.py):

* ``pg_server``: a :class:`~tests.servers.PostgresServer` (superuser ``postgres``);
* ``chroma_server``: a :class:`~tests.servers.ChromaServer` with users ``alice``
  (writer) and ``bob`` (reader), random tokens: ``chroma_server.token("alice")``.

Load as a plugin (``pytest_plugins = ["tests.server_fixtures"]``) or import the two
fixtures into a conftest.  Each server starts once, at first use, and stops at the end
of the session; atexit, SIGTERM/SIGHUP handlers and a parent-death signal clean up
after an interrupted session.

If a server cannot start because its software is missing, the tests that need it fail
when ``CI`` is set or when running as root (CI runs as root: a missing package there
is a broken set-up, not a reason to skip), and are skipped otherwise (a developer's
laptop without Debian's postgresql).  A server that is there but fails to start is an
error either way.
"""

from __future__ import annotations

import os
import secrets

import pytest

from tests.servers import (
    ChromaServer,
    PostgresServer,
    ServerUnavailable,
    install_signal_cleanup,
)

__all__ = ["pg_server", "chroma_server", "CHROMA_ROLES"]

CHROMA_ROLES = {"alice": "writer", "bob": "reader"}


def must_fail_when_unavailable() -> bool:
    """CI, or root (as CI runs): a missing server is a failure, not a skip."""
    return bool(os.environ.get("CI")) or (hasattr(os, "geteuid") and os.geteuid() == 0)


def _unavailable(what: str, error: ServerUnavailable):
    reason = f"{what} server unavailable: {error}"
    if must_fail_when_unavailable():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server():
    install_signal_cleanup()
    server = PostgresServer()
    try:
        server.start()
    except ServerUnavailable as e:
        _unavailable("PostgreSQL", e)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chroma_server():
    install_signal_cleanup()
    users = {user: (f"{user}-{secrets.token_urlsafe(16)}", role)
             for user, role in CHROMA_ROLES.items()}
    server = ChromaServer(users=users)
    try:
        server.start()
    except ServerUnavailable as e:
        _unavailable("Chroma", e)
    try:
        yield server
    finally:
        server.stop()


def prepare_team(pg_server, chroma_server, prefix: str) -> tuple[str, dict]:
    """A new prepared team database ``<prefix>_<hex>`` with a writer (carol, Chroma
    user alice) and a reader (dave, Chroma user bob): the database's name and, per
    person, ``(role, password, chroma token)``."""
    from ingest.store.pg_roles import add_person, prepare_database

    db = f"{prefix}_{secrets.token_hex(3)}"
    pg_server.create_database(db)
    admin = pg_server.dsn(dbname=db)
    prepare_database(admin)
    people = {}
    for name, writer, token_user in (("carol", True, "alice"), ("dave", False, "bob")):
        role, password = f"{db}_{name}", secrets.token_urlsafe(10)
        add_person(admin, role, password, writer=writer)
        people[name] = (role, password, chroma_server.token(token_user))
    return db, people
