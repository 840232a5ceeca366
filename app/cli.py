"""The ``wenji`` command: no arguments opens the window, a subcommand works headless.

Each command group lives in ``app/commands/<group>.py`` with a ``register(subparsers)``
function, so this file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from app import __version__
from app.context import Context, UserError
from app.home import HOME_ENV, Home, setup_logging
from app.settings import SettingsError

log = logging.getLogger(__name__)

# Order here is the order in ``wenji --help``.
COMMAND_MODULES = ["doctor", "gui", "knowledge", "watch", "search", "evaluate", "models_cmd",
                   "ask", "summarize", "compare", "server"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wenji",
        description="Wenji (文集): ask questions of your own documents, entirely offline. "
        "With no command, opens the desktop window.",
    )
    parser.add_argument("--home", metavar="DIR",
                        help=f"data folder (default: ${HOME_ENV} or the platform's user data folder)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log to the console too (-vv for debug detail)")
    parser.add_argument("--shared", action="store_true",
                        help="work on the team's shared library (settings [shared]) instead "
                        "of this data folder's")
    parser.add_argument("--version", action="version", version=f"wenji {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"app.commands.{name}":
                continue  # a command group not written yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    home = Home.open(args.home)
    setup_logging(home, args.verbose)
    log.info("wenji %s, data folder %s", __version__, home.root)
    func = getattr(args, "func", None)
    if func is None:  # no command: the desktop window
        from app.commands.gui import run_gui

        func = run_gui
    needs_settings = getattr(args, "needs_settings", True)
    try:
        settings = home.load_settings() if needs_settings else None
    except SettingsError as exc:
        print(f"wenji: error: {exc}", file=sys.stderr)
        return 2
    ctx = Context(home=home, settings=settings, verbose=args.verbose, shared=args.shared)
    try:
        return int(func(args, ctx) or 0)
    except UserError as exc:
        print(f"wenji: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from ingest.store.library import SharedLibraryError  # only on the way out

        if isinstance(exc, SharedLibraryError):  # a refusal in words, not a crash
            print(f"wenji: error: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("wenji: interrupted", file=sys.stderr)
        return 130
