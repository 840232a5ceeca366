"""Where a shared library lives: a PostgreSQL database for the catalog, chunk texts and
keyword index, and a Chroma server for the vectors, reached with one person's
credentials (their PostgreSQL role and their Chroma token).

The credentials are given by the caller (the app reads them from the OS keyring or the
environment); ``describe`` never shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SharedStore:
    postgres: str = field(repr=False)  # libpq conninfo or URL, with the person's role
    chroma_url: str = ""  # http[s]://host:port of the Chroma server
    chroma_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # never the password or the token (logs, tracebacks)
        return f"SharedStore({self.describe()})"

    def database(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        return str(conninfo_to_dict(self.postgres).get("dbname") or "postgres")

    @property
    def collection_prefix(self) -> str:
        """Chroma collection names of this library start with it: one Chroma server
        can hold several libraries (one per database)."""
        return "wenji_" + re.sub(r"[^A-Za-z0-9]+", "_", self.database()) + "_"

    def catalog_server(self) -> str:
        """The PostgreSQL server and database as "host:port/database": no secret."""
        from psycopg.conninfo import conninfo_to_dict

        info = conninfo_to_dict(self.postgres)
        host = info.get("host") or "localhost"
        return f"{host}:{info.get('port') or 5432}/{self.database()}"

    def describe(self) -> str:
        """Server and database, for messages: never a password or token."""
        return f"{self.catalog_server()} + {self.chroma_url}"
