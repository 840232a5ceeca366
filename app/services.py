"""Build the core objects from the settings: one place, shared by the CLI and the GUI."""

from __future__ import annotations

from app.context import Context, UserError


def make_embedder(ctx: Context):
    from models.embedder import EmbedderError
    from models.embedder_pair import open_embedder

    m = ctx.settings.models
    try:
        return open_embedder(m.embedder or None, backend=m.embedder_backend, threads=m.threads,
                             cache_dir=ctx.home.models_dir / "embedders")
    except EmbedderError as exc:
        raise UserError(f"{exc} (setting models.embedder in {ctx.home.settings_path})") from exc


def make_registry(ctx: Context):
    """The GGUF models of the data folder and of the extra folders in the settings."""
    from models.registry import Registry

    return Registry(ctx.home.models_dir, ctx.settings.models.extra_model_dirs)


def open_library(ctx: Context, typed: tuple[str | None, str | None] = (None, None)):
    """This data folder's library, or the team's shared one (``wenji --shared``; ``typed``:
    its password and token as typed in this session, see :func:`shared_store`)."""
    from ingest.store.library import Library

    if getattr(ctx, "shared", False):
        return Library(ctx.home.store_dir / "shared", shared_store(ctx, typed))
    return Library(ctx.home.store_dir)


def shared_configured(ctx: Context) -> bool:
    """The settings name a team's shared library ([shared] postgres and chroma_url)."""
    s = ctx.settings.shared
    return bool(s.postgres and s.chroma_url)


def shared_servers(ctx: Context) -> tuple[str, str]:
    """(the catalog's server as "host:port/database", the vector server's URL) of the
    shared library the settings name: no secret, nothing read from the keyring, no
    connection made (for the window's labels before and after connecting)."""
    from ingest.store.shared import SharedStore

    s = ctx.settings.shared
    return SharedStore(s.postgres, s.chroma_url).catalog_server(), s.chroma_url


def shared_account(ctx: Context) -> str:
    """The PostgreSQL role the settings sign in to the shared library as (no secret)."""
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(ctx.settings.shared.postgres).get("user", "") or ""


def shared_store(ctx: Context, typed: tuple[str | None, str | None] = (None, None)):
    """Where the shared library is and this person's secrets for it (UserError if the
    settings do not name one); ``typed`` (password, token) come before the environment's
    and the keyring's (see :func:`app.credentials.secrets_for`)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from app.context import UserError
    from app.credentials import secrets_for
    from ingest.store.shared import SharedStore

    s = ctx.settings.shared
    if not s.postgres or not s.chroma_url:
        raise UserError("no shared library is set up: put [shared] postgres and chroma_url "
                        "in settings.toml (`wenji server init` prints them)")
    password, token = secrets_for(s.postgres, s.chroma_url, typed)
    conninfo = s.postgres
    if password:
        conninfo = make_conninfo(**{**conninfo_to_dict(s.postgres), "password": password})
    return SharedStore(conninfo, s.chroma_url, token)


def make_ingestor(ctx: Context, library=None, embedder=None):
    from ingest.pipeline import Ingestor

    return Ingestor.from_settings(library or open_library(ctx), embedder or make_embedder(ctx),
                                  ctx.settings.ingest)
