"""One PostgreSQL connection that speaks like the ``sqlite3`` one the catalog was written
for, so that the catalog's SQL serves both stores.

* ``?`` placeholders become psycopg's ``%s`` (and a literal ``%`` becomes ``%%``);
* rows answer by position and by column name, like ``sqlite3.Row``;
* the connection is in autocommit mode, and the catalog opens its own ``BEGIN`` /
  ``COMMIT`` (as it does with SQLite's ``isolation_level=None``);
* a connection the server dropped (a restart, a network cut) is made again, waiting
  for the server with a bounded back-off (``ingest.store.outage``), before the next
  statement outside a transaction -- there the catalog only reads and takes advisory
  locks, so the statement that met the drop is simply run again.  A transaction the drop
  cut short is gone (the server rolled it back): its statements raise
  :class:`~ingest.store.errors.ServerLost` until the catalog's ``ROLLBACK``, and a cut
  ``COMMIT`` raises it too (it may or may not have been committed: the caller looks).
  ``on_connect`` runs on every new connection: the catalog takes its lease there, since
  a new session holds none of the old one's advisory locks.

Only what the catalog uses is offered.  Credentials are never part of a message: errors
name the server by host, port and database.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, Callable, Iterable, Sequence

from ingest.store.errors import ServerLost
from ingest.store.outage import first_line, ride_out

log = logging.getLogger(__name__)

# A ``?`` outside quotes: the catalog's statements never hold one inside a string.
_PLACEHOLDER = re.compile(r"\?")


def translate(sql: str) -> str:
    """The catalog's SQLite-style statement in psycopg's parameter style."""
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class Row(tuple):
    """A result row readable as ``row[0]`` and ``row["name"]``; ``dict(row)`` gives the
    columns by name."""

    _names: tuple[str, ...] = ()

    def __new__(cls, names: tuple[str, ...], values: Sequence[Any]):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor):
    names = tuple(c.name for c in cursor.description or ())

    def make(values: Sequence[Any]) -> Row:
        return Row(names, values)

    return make


class PgDb:
    """A psycopg connection with the ``execute`` of a ``sqlite3.Connection`` that comes
    back after the server did (see the module docstring)."""

    def __init__(self, conninfo: str, *, application_name: str = "wenji",
                 connect_timeout: int = 10, on_connect: Callable[[Any], None] | None = None):
        self.conninfo = conninfo
        self._options = {"application_name": application_name,
                         "connect_timeout": connect_timeout}
        self.on_connect = on_connect
        self._lock = threading.RLock()
        self._in_transaction = False
        self._closed = False
        self.conn = self._connect()  # the first time, refusals go straight to the caller
        info = self.conn.info
        self._where = f"{info.host}:{info.port}/{info.dbname}"

    def _connect(self):
        import psycopg

        conn = psycopg.connect(self.conninfo, autocommit=True, row_factory=_row_factory,
                               **self._options)
        if self.on_connect is not None:
            try:
                self.on_connect(conn)
            except BaseException:
                conn.close()
                raise
        return conn

    def _lost(self) -> bool:
        """Whether the server dropped the connection (not closed by us)."""
        return not self._closed and (self.conn.closed or self.conn.broken)

    def _reconnect(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - it is broken already
            pass
        self.conn = ride_out(self._connect, transient=_unreachable, server=self._where)
        log.warning("connected again to %s after the server dropped the connection",
                    self._where)

    def _guarded(self, run, word: str = ""):
        """``run()``, after a reconnect if the connection was dropped meanwhile; see the
        module docstring for what a drop means inside and outside a transaction."""
        import psycopg

        if word in ("COMMIT", "ROLLBACK"):
            ending, self._in_transaction = self._in_transaction, False
            if word == "ROLLBACK" and self._lost():
                return None  # the server rolled it back when the connection went
        else:
            ending = False
        if self._lost():
            if self._in_transaction or ending:
                raise ServerLost(self._where, "connection lost in a transaction")
            self._reconnect()
        try:
            result = run()
        except psycopg.OperationalError as exc:
            if not self._lost():
                raise
            if self._in_transaction or ending:
                raise ServerLost(self._where, first_line(exc)) from exc
            self._reconnect()
            try:
                result = run()
            except psycopg.OperationalError as again:
                if self._lost():  # gone again at once: let the caller see it
                    raise ServerLost(self._where, first_line(again)) from again
                raise
        if word == "BEGIN":
            self._in_transaction = True
        return result

    def execute(self, sql: str, args: Iterable[Any] = ()):
        args = list(args) if args else None
        statement = translate(sql) if args else sql

        def run():
            cur = self.conn.cursor()
            cur.execute(statement, args)
            return cur

        word = sql.lstrip()[:8].split(" ", 1)[0].upper()
        return self._guarded(run, word if word in ("BEGIN", "COMMIT", "ROLLBACK") else "")

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)

        def run():
            with self.conn.cursor() as cur:
                cur.executemany(translate(sql), rows)

        self._guarded(run)

    def copy_rows(self, table_and_columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """``COPY table (columns) FROM STDIN`` of ``rows``: the fast bulk insert (inside
        a transaction: a rows iterator is read once)."""
        def run():
            with self.conn.cursor() as cur:
                with cur.copy(f"COPY {table_and_columns} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)

        self._guarded(run)

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    def close(self) -> None:
        self._closed = True
        self.conn.close()

    @property
    def closed(self) -> bool:
        return self.conn.closed

    def describe(self) -> str:
        """host:port/database, for messages (never the password)."""
        return self._where


def _unreachable(error: BaseException) -> bool:
    """A connection refused for want of the server (down, starting, shutting down), not
    for a wrong password or database: worth trying again."""
    import psycopg

    if not isinstance(error, psycopg.OperationalError):
        return False
    text = str(error)
    return not any(refusal in text for refusal in (
        "password authentication failed", "does not exist", "no pg_hba.conf entry",
        "permission denied"))
