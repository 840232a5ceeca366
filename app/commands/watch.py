"""``wenji watch``: keep the watched folders' documents current without the window, and
manage which folders are watched."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from app.context import Context, UserError


def register(sub) -> None:
    p = sub.add_parser(
        "watch", help="keep watched folders current (runs until Ctrl-C); list or change them",
        description="With no option: scan every watched folder, then apply changes as they "
        "happen until Ctrl-C. Folders you add with `wenji ingest` are watched unless the "
        "setting ingest.watch_folders is off.")
    p.add_argument("--kb", metavar="NAME", help="only this knowledge base's folders")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--list", action="store_true", help="list watched folders and exit")
    action.add_argument("--add", metavar="FOLDER", help="watch a folder (and scan it)")
    action.add_argument("--remove", metavar="FOLDER",
                        help="stop watching a folder (its documents stay)")
    action.add_argument("--pause", metavar="FOLDER", help="pause a watch")
    action.add_argument("--resume", metavar="FOLDER", help="resume a paused watch")
    p.add_argument("--poll", action="store_true",
                   help="with --add: scan every ingest.watch_poll_s seconds instead of "
                   "waiting for events (network drives are found and polled by themselves)")
    p.add_argument("--once", action="store_true",
                   help="scan the folders, apply what changed, and exit")
    p.set_defaults(func=cmd_watch)


def cmd_watch(args, ctx: Context) -> int:
    from app.services import make_ingestor, open_library
    from ingest.store.library import LibraryError
    from ingest.watcher import folder_path, needs_polling

    if getattr(ctx, "shared", False):  # see ingest.watcher.register_folders
        raise UserError("watched folders belong to this computer's library, not to the team's "
                        "shared one: add files to the team library with `wenji --shared "
                        "ingest`, which adds them once")
    library = open_library(ctx)
    try:
        kb = library.kb(args.kb)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    catalog = library.catalog
    if args.list:
        rows = catalog.watched_folders(kb.id if args.kb else None)
        for row in rows:
            name = catalog.kb_by_id(row.kb_id).name
            state = ("paused" if not row.enabled else "polled" if row.poll else "watched")
            print(f"{name}\t{state}\t{row.path}")
        if not rows:
            print("no watched folders (add one with `wenji watch --add FOLDER`)", file=sys.stderr)
        return 0
    if args.add:
        path = folder_path(args.add)
        if not os.path.isdir(path):
            raise UserError(f"{args.add} is not a folder")
        catalog.watch_folder(kb.id, path, poll=args.poll or needs_polling(path))
        print(f"watching {path} for {kb.name!r}; `wenji watch` applies its changes")
        return 0
    for option, enabled in ((args.pause, False), (args.resume, True)):
        if option:
            path = folder_path(option)
            if not catalog.set_watch_enabled(kb.id, path, enabled):
                raise UserError(f"{option} is not watched for {kb.name!r} "
                                f"(see `wenji watch --list`)")
            print(f"{'resumed' if enabled else 'paused'} {path}")
            return 0
    if args.remove:
        path = folder_path(args.remove)
        if not catalog.unwatch_folder(kb.id, path):
            raise UserError(f"{args.remove} is not watched for {kb.name!r}")
        print(f"no longer watching {path}; its documents stay (`wenji remove` removes them)")
        return 0
    return _run(ctx, library, args, make_ingestor)


def _run(ctx: Context, library, args, make_ingestor) -> int:
    from ingest.watcher import FolderWatcher

    settings = ctx.settings.ingest
    embedder = None
    lock = threading.Lock()

    def ingestor():
        nonlocal embedder
        with lock:
            made = make_ingestor(ctx, library, embedder)
            embedder = made.embedder  # loaded once, kept for the next change
            return made

    printed: dict[str, tuple[str, str]] = {}

    def on_status(statuses) -> None:
        for s in statuses:
            shown = (s.state, s.detail)
            if printed.get(s.path) != shown and not s.detail.endswith(" files"):
                printed[s.path] = shown
                print(f"{time.strftime('%H:%M:%S')} {s.kb}: {s.path}: {s.state}"
                      + (f" ({s.detail})" if s.detail else ""), file=sys.stderr, flush=True)

    def on_report(status, report) -> None:
        for o in report.outcomes:
            if o.status != "unchanged":
                print(f"{o.status}: {o.path}" + (f" ({o.reason})" if o.reason else ""),
                      flush=True)

    watcher = FolderWatcher(library, ingestor, kb_name=args.kb, quiet=settings.watch_quiet_s,
                            poll_seconds=settings.watch_poll_s, on_status=on_status,
                            on_report=on_report)
    if not library.catalog.watched_folders(library.kb(args.kb).id if args.kb else None):
        raise UserError("no watched folders: add one with `wenji watch --add FOLDER` or "
                        "`wenji ingest FOLDER`")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ingestor().embedder.load()  # before the first change, not during it
    watcher.start()
    try:
        if args.once:
            watcher.wait_idle(timeout=24 * 3600, settle=0.5)
        else:
            print("watching; Ctrl-C stops", file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        print("\nstopping (what was added is kept)…", file=sys.stderr)
    finally:
        watcher.stop()
    failed = [f for s in watcher.statuses() for f in s.failures]
    return 1 if failed and args.once else 0
