"""Who may do what in a shared library on PostgreSQL: readers search it, writers also add
and remove documents and knowledge bases.

Each library is one database.  ``prepare_database`` (run by ``wenji server init`` as an
administrator) creates the tables and two group roles, ``<database>_readers`` and
``<database>_writers``; ``add_person`` gives a person a login role of their own in one
of the groups.  PostgreSQL itself then refuses a reader's change ("permission denied"),
whatever client they use; Wenji asks first and says so in words
(``PgCatalog.writable``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Groups:
    readers: str
    writers: str


def groups_of(database: str) -> Groups:
    return Groups(f"{database}_readers", f"{database}_writers")


def prepare_database(admin_conninfo: str) -> Groups:
    """Tables, group roles and their rights in the database ``admin_conninfo`` names (as
    its owner or a superuser).  Safe to run again."""
    import psycopg
    from psycopg import sql

    from ingest.store.pg_catalog import PgCatalog

    PgCatalog(admin_conninfo).close()  # creates the tables if they are missing
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        database = conn.info.dbname
        groups = groups_of(database)
        ident = sql.Identifier
        for name, member_of in ((groups.readers, None), (groups.writers, groups.readers)):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident(name)))
            if member_of:
                conn.execute(sql.SQL("GRANT {} TO {}").format(ident(member_of), ident(name)))
        statements = [
            "GRANT CONNECT ON DATABASE {db} TO {r}",
            "GRANT USAGE ON SCHEMA public TO {r}",
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {r}",
            "GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {w}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {w}",
        ]
        for statement in statements:
            conn.execute(sql.SQL(statement).format(db=ident(database), r=ident(groups.readers),
                                                   w=ident(groups.writers)))
    return groups


def add_person(admin_conninfo: str, name: str, password: str, *, writer: bool) -> None:
    """A login role for one person, a reader or a writer of the library (again: changes
    the password and the group)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        groups = groups_of(conn.info.dbname)
        ident = sql.Identifier
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} WITH LOGIN PASSWORD {}").format(
            ident(name), sql.Literal(password)))
        keep, drop = ((groups.writers, None) if writer else (groups.readers, groups.writers))
        conn.execute(sql.SQL("GRANT {} TO {}").format(ident(keep), ident(name)))
        if drop:
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(ident(drop), ident(name)))
