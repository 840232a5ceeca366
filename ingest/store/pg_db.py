"""One PostgreSQL connection that speaks like the ``sqlite3`` one the catalog was written
for, so that the catalog's SQL serves both stores.

* ``?`` placeholders become psycopg's ``%s`` (and a literal ``%`` becomes ``%%``);
* rows answer by position and by column name, like ``sqlite3.Row``;
* the connection is in autocommit mode, and the catalog opens its own ``BEGIN`` /
  ``COMMIT`` (as it does with SQLite's ``isolation_level=None``).

Only what the catalog uses is offered.  Credentials are never part of a message: errors
name the server by host, port and database.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Iterable, Sequence

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
    """A psycopg connection with the ``execute`` of a ``sqlite3.Connection``."""

    def __init__(self, conninfo: str, *, application_name: str = "wenji",
                 connect_timeout: int = 10):
        import psycopg

        self.conninfo = conninfo
        self.conn = psycopg.connect(conninfo, autocommit=True, row_factory=_row_factory,
                                    application_name=application_name,
                                    connect_timeout=connect_timeout)
        self._lock = threading.RLock()

    def execute(self, sql: str, args: Iterable[Any] = ()):
        cur = self.conn.cursor()
        args = list(args) if args else None
        cur.execute(translate(sql) if args else sql, args)
        return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(translate(sql), list(rows))

    def copy_rows(self, table_and_columns: str, rows: Iterable[Sequence[Any]]) -> None:
        """``COPY table (columns) FROM STDIN`` of ``rows``: the fast bulk insert."""
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table_and_columns} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.conn.close()

    @property
    def closed(self) -> bool:
        return self.conn.closed

    def describe(self) -> str:
        """host:port/database, for messages (never the password)."""
        info = self.conn.info
        return f"{info.host}:{info.port}/{info.dbname}"
