"""Wenji's two faces: the PySide6 desktop window (``app.gui``) and the ``wenji`` command
line (``app.cli``).  Both are thin: the work happens in ``ingest``, ``retrieval`` and
``models``.  Importing this package does not import Qt."""

from models import offline as _offline  # noqa: F401

__version__ = "0.1.0"
