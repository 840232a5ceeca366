"""Which stores a test library lives in: the embedded pair (SQLite + Chroma on disk) or
a team's servers (PostgreSQL + the Chroma server started for the test session).

The ingest, search and answer tests take the ``store_backend`` fixture (through their
library fixtures), so each of them runs once on each backend: the two are meant to
behave the same, and a difference is a defect of the server backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ingest.store.library import Library

BACKENDS = ("embedded", "server")


def open_library(request: pytest.FixtureRequest, backend: str, folder: Path,
                 label: str = "kb") -> Library:
    """A new, empty library: in ``folder``, or in a new database on the test servers
    (``folder`` then keeps only this machine's lock file and import staging)."""
    from ingest.store.library import Library

    if backend == "embedded":
        return Library(folder)
    store = request.getfixturevalue("make_shared_store")(label)
    return Library(folder, shared=store)


def reopen(library: Library) -> Library:
    """The same library opened again, as the next start of the app would (recovery
    runs); the caller closes the old one."""
    from ingest.store.library import Library

    return Library(library.store_dir, shared=library.shared)


# For a test whose minutes go to the model, not the store, and whose store reads are
# checked on both backends elsewhere (tests/retrieval/test_shared_backend.py).
embedded_only = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
