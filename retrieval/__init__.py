"""Finding passages: keyword (BM25) and embedding search, and their fusion.
Never imports Qt."""

from models import offline as _offline  # noqa: F401
