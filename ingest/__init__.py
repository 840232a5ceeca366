"""Turning files into searchable chunks: loaders, splitting, and the stores.
Never imports Qt."""

from models import offline as _offline  # noqa: F401
