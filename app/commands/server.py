"""``wenji server``: set up a team's shared library on a PostgreSQL server and a Chroma
server (``init``, by an administrator), keep one's own password and token in the OS
keyring (``login``), and see what one may do there (``status``)."""

from __future__ import annotations

import getpass
import os
import secrets
import shlex
import sys
from pathlib import Path

from app.context import Context, UserError


def register(sub) -> None:
    p = sub.add_parser("server", help="a team's shared library: set up, log in, status")
    server_sub = p.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    q = server_sub.add_parser(
        "init", help="create the tables, roles and tokens of a shared library (administrator)",
        description="Creates the tables and the reader and writer groups in the PostgreSQL "
        "database that --admin names (as its owner or a superuser; the password may come "
        "from PGPASSWORD), a login and a Chroma token for each person, the Chroma server's "
        "token and role files, and prints how to start the Chroma server and what each "
        "person puts in their settings.")
    q.add_argument("--admin", required=True, metavar="CONNINFO",
                   help='e.g. "host=db.example dbname=wenji user=postgres"')
    q.add_argument("--chroma-url", required=True, metavar="URL",
                   help="where the Chroma server will listen, e.g. http://vectors.example:8000")
    q.add_argument("--writer", action="append", default=[], metavar="NAME",
                   help="a person who may add and remove documents (repeatable)")
    q.add_argument("--reader", action="append", default=[], metavar="NAME",
                   help="a person who may only search (repeatable)")
    q.add_argument("--out", default="wenji-server", metavar="DIR",
                   help="where to write the Chroma server's files and each person's "
                   "settings and secrets (default: ./wenji-server)")
    q.set_defaults(func=cmd_server_init, needs_settings=False)
    q = server_sub.add_parser(
        "login", help="keep your shared-library password and token in the OS keyring",
        description="Asks for the password and token `wenji server init` made for you "
        "(or reads them, one per line, with --stdin), checks them against the servers in "
        "settings [shared], and keeps them in the system keyring.")
    q.add_argument("--stdin", action="store_true", help="read password and token from stdin")
    q.set_defaults(func=cmd_server_login)
    q = server_sub.add_parser("status", help="the shared library's servers, your rights "
                              "and its knowledge bases")
    q.set_defaults(func=cmd_server_status)


def cmd_server_init(args, ctx: Context) -> int:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from app.chroma_server import server_environment, write_auth_files
    from ingest.store.pg_roles import add_person, prepare_database

    people = [(n, True) for n in args.writer] + [(n, False) for n in args.reader]
    if not people:
        raise UserError("name at least one person with --writer NAME or --reader NAME")
    out = Path(args.out).expanduser().absolute()
    try:
        groups = prepare_database(args.admin)
    except psycopg.Error as exc:
        raise UserError(f"cannot prepare the database: {str(exc).strip().splitlines()[-1]}")
    info = conninfo_to_dict(args.admin)
    info.pop("password", None)
    (out / "chroma").mkdir(parents=True, exist_ok=True)
    (out / "people").mkdir(exist_ok=True)
    tokens = {}
    for name, writer in people:
        password, token = secrets.token_urlsafe(18), secrets.token_urlsafe(24)
        add_person(args.admin, name, password, writer=writer)
        tokens[name] = (token, "writer" if writer else "reader")
        conninfo = make_conninfo(**{**info, "user": name})
        settings = (f"[shared]\npostgres = {_toml(conninfo)}\n"
                    f"chroma_url = {_toml(args.chroma_url)}\n")
        (out / "people" / f"{name}.toml").write_text(settings)
        secret = out / "people" / f"{name}.secrets"
        secret.write_text(f"{password}\n{token}\n")
        secret.chmod(0o600)
    write_auth_files(out / "chroma", tokens)
    env = server_environment(out / "chroma", out / "chroma" / "data")
    host_port = args.chroma_url.split("://", 1)[-1].rstrip("/")
    port = host_port.rsplit(":", 1)[1] if ":" in host_port else "8000"
    print(f"prepared {info.get('dbname', '')} on {info.get('host', 'localhost')}: groups "
          f"{groups.readers} and {groups.writers}; "
          f"{len(args.writer)} writer(s), {len(args.reader)} reader(s)")
    print(f"\nStart the Chroma server (its files are in {out / 'chroma'}):\n")
    print("  " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) +
          f" \\\n    python -m app.chroma_server 0.0.0.0 {port}")
    print(f"\nGive each person their two files from {out / 'people'}:")
    print("  NAME.toml     -> add to their settings.toml (no secret in it)")
    print("  NAME.secrets  -> they run:  wenji server login --stdin < NAME.secrets")
    print("                   (then delete it; keep it away from others meanwhile)")
    return 0


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cmd_server_login(args, ctx: Context) -> int:
    from app.credentials import CredentialsError, store
    from app.services import shared_store
    from ingest.store.library import Library, LibraryError

    s = ctx.settings.shared
    if not s.postgres or not s.chroma_url:
        raise UserError("no shared library is set up: put [shared] postgres and chroma_url "
                        "in settings.toml first")
    if args.stdin:
        lines = sys.stdin.read().splitlines()
        password, token = (lines + ["", ""])[:2]
    else:
        password = getpass.getpass("password: ")
        token = getpass.getpass("Chroma token: ")
    os.environ["WENJI_SHARED_PASSWORD"], os.environ["WENJI_SHARED_TOKEN"] = password, token
    try:
        library = Library(ctx.home.store_dir / "shared", shared_store(ctx))
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    finally:
        os.environ.pop("WENJI_SHARED_PASSWORD", None)
        os.environ.pop("WENJI_SHARED_TOKEN", None)
    rights = "a writer" if library.writable else "a reader"
    library.close()
    try:
        store(s.postgres, s.chroma_url, password, token)
    except CredentialsError as exc:
        raise UserError(str(exc)) from exc
    print(f"logged in to {library.shared.describe()} as {rights}; the password and token "
          "are in the system keyring")
    return 0


def cmd_server_status(args, ctx: Context) -> int:
    import dataclasses

    from app.services import open_library
    from ingest.store.library import LibraryError

    try:
        library = open_library(dataclasses.replace(ctx, shared=True))
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    print(f"server: {library.shared.describe()}")
    print(f"you are: {'a writer' if library.writable else 'a reader'}")
    for kb in library.kbs():
        docs = library.documents(kb)
        ready = sum(d.status == "ready" for d in docs)
        print(f"  {kb.name}\t{ready} documents\t{library.catalog.chunk_count(kb.id)} passages")
    if not library.kbs():
        print("  no knowledge bases yet (a writer adds one with `wenji --shared ingest ...` "
              "or `wenji kb push NAME`)")
    library.close()
    return 0
