"""Shared libraries for the benchmarks: a PostgreSQL and a Chroma server started on this
machine for the run (the test suite's throwaway servers), or ones the person names."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Callable, Iterator

REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def shared_stores(pg: str = "", chroma_url: str = "", chroma_token: str = ""
                  ) -> Iterator[Callable[[str], object]]:
    """A function giving a new shared library's ``SharedStore`` per name: with ``pg``,
    that database (empty) on the named servers; otherwise a new database on servers
    started here and stopped when the block ends."""
    from ingest.store.shared import SharedStore

    if pg:
        yield lambda name: SharedStore(pg, chroma_url, chroma_token or None)
        return
    sys.path.insert(0, str(REPO))
    from tests.servers import ChromaServer, PostgresServer

    servers = []
    try:
        postgres = PostgresServer().start()
        servers.append(postgres)
        chroma = ChromaServer().start()
        servers.append(chroma)

        def make_store(name: str) -> SharedStore:
            postgres.create_database(name)
            return SharedStore(postgres.dsn(dbname=name), chroma.url, chroma.token("alice"))

        yield make_store
    finally:
        for server in servers:
            server.stop()
