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


def open_library(ctx: Context):
    from ingest.store.library import Library

    return Library(ctx.home.store_dir)


def make_ingestor(ctx: Context, library=None, embedder=None):
    from ingest.pipeline import Ingestor

    return Ingestor.from_settings(library or open_library(ctx), embedder or make_embedder(ctx),
                                  ctx.settings.ingest)
