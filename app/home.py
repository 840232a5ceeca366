"""The data folder: where settings, logs, models and knowledge bases live.

One folder holds everything a user would back up or delete.  ``--home DIR`` beats
``WENJI_HOME`` beats the platform's user data folder, so tests (and users with several
libraries) can point Wenji anywhere.  Qt-free.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from app.settings import SETTINGS_FILE, Settings

APP_NAME = "wenji"
HOME_ENV = "WENJI_HOME"


def resolve_home(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass
class Home:
    """Paths inside one data folder, plus its settings."""

    root: Path

    @classmethod
    def open(cls, explicit: str | os.PathLike | None = None) -> "Home":
        home = cls(resolve_home(explicit))
        home.root.mkdir(parents=True, exist_ok=True)
        for folder in (home.models_dir, home.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return home

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def store_dir(self) -> Path:
        """Chroma, the catalog and the keyword index of every knowledge base."""
        return self.root / "store"

    @property
    def files_dir(self) -> Path:
        """Source files that came with imported knowledge bases, a folder each."""
        return self.root / "files"

    @property
    def layout_path(self) -> Path:
        """Where the window was left (size, splitters, last chat): app.gui.window_layout."""
        return self.root / "window.json"

    @property
    def chats_path(self) -> Path:
        return self.root / "chats.sqlite3"

    @property
    def summaries_path(self) -> Path:
        """Section summaries kept for the next question on the same document."""
        return self.root / "summaries.sqlite3"

    def load_settings(self) -> Settings:
        return Settings.load(self.settings_path)


def setup_logging(home: Home, verbose: int = 0) -> None:
    """A rotating log file in the data folder; ``-v`` adds console output."""
    root = logging.getLogger()
    if getattr(root, "_wenji_configured", None) == str(home.root):
        return
    for handler in list(root.handlers):
        if getattr(handler, "_wenji", False):
            root.removeHandler(handler)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        home.logs_dir / "wenji.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(fmt)
    file_handler.setLevel(logging.DEBUG)
    file_handler._wenji = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if verbose:
        console = logging.StreamHandler()
        console.setFormatter(fmt)
        console.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
        console._wenji = True  # type: ignore[attr-defined]
        root.addHandler(console)
    root.setLevel(logging.DEBUG)
    for noisy in ("urllib3", "httpx", "chromadb.telemetry", "jieba", "PIL", "filelock", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._wenji_configured = str(home.root)  # type: ignore[attr-defined]
