"""What every command gets: the data folder and its settings, opened once."""

from __future__ import annotations

from dataclasses import dataclass

from app.home import Home
from app.settings import Settings


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


@dataclass
class Context:
    home: Home
    settings: Settings
    verbose: int = 0
    shared: bool = False  # ``wenji --shared``: the team's shared library, not this folder's
