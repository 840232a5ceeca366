"""Riding out a short outage of a shared library's server.

A restart should not fail an ingest: PostgreSQL is back within about a second and the
Chroma server within a few.  A server that stays away must not hang it either.  So a
call that failed for want of the server is tried again after growing pauses, for a
bounded time (:data:`OUTAGE_SECONDS`), and then gives up with
:class:`~ingest.store.errors.ServerLost`, which names the server.

Only calls that may safely run twice are retried this way: reconnecting, and the vector
store's requests (upserts and deletes by id or filter are idempotent).  A PostgreSQL
transaction cut by a lost connection is not: it is rolled back by the server, and the
writer's caller decides what to do again (``ingest.pipeline``).
"""

from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

from ingest.store.errors import ServerLost

log = logging.getLogger(__name__)

OUTAGE_SECONDS = 30.0  # how long a call waits for its server to come back
FIRST_PAUSE = 0.2
LONGEST_PAUSE = 4.0

T = TypeVar("T")


def first_line(error: BaseException) -> str:
    """An error's message in one line (psycopg's run over several)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def ride_out(call: Callable[[], T], *, transient: Callable[[BaseException], bool],
             server: str, budget: float | None = None) -> T:
    """``call()``, tried again while it fails with an error ``transient`` accepts (the
    server is restarting or unreachable), for up to ``budget`` seconds (default
    :data:`OUTAGE_SECONDS`); then :class:`ServerLost`.  Other errors pass at once."""
    deadline = time.monotonic() + (OUTAGE_SECONDS if budget is None else budget)
    pause = FIRST_PAUSE
    while True:
        try:
            return call()
        except Exception as exc:
            if not transient(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise ServerLost(server, first_line(exc)) from exc
            log.warning("the server %s did not answer (%s); trying again in %.1f s",
                        server, first_line(exc), pause)
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
