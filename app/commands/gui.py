"""``wenji`` with no command (or ``wenji gui``): the desktop window."""

from __future__ import annotations

from app.context import Context


def register(sub) -> None:
    p = sub.add_parser("gui", help="open the desktop window (the default)")
    p.set_defaults(func=run_gui)


def run_gui(args, ctx: Context) -> int:
    from app.gui.application import run

    return run(ctx)
