"""``wenji kb export`` and ``wenji kb import``: a knowledge base as one portable file
(``ingest.archive`` does the work; this module parses, shows progress and sums up)."""

from __future__ import annotations

import sys
import time

from app.context import Context, UserError


def register(kb_sub) -> None:
    """Add the two actions to the ``wenji kb`` parser's subcommands."""
    q = kb_sub.add_parser("export", help="write a knowledge base to one archive file")
    q.add_argument("name", help="the knowledge base")
    q.add_argument("file", help="the archive to write (replaced if it exists)")
    q.add_argument("--with-files", action="store_true",
                   help="include the source files (PDF, Markdown) too")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.set_defaults(func=cmd_kb_export)
    q = kb_sub.add_parser("import", help="add a knowledge base from an archive file")
    q.add_argument("file", help="an archive written by `wenji kb export`")
    q.add_argument("--as", dest="as_name", metavar="NAME",
                   help="the name to give it (default: its name in the archive)")
    q.add_argument("--reembed", action="store_true",
                   help="embed the passages again with this Wenji's embedder (needed when "
                        "the archive was made with another)")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.set_defaults(func=cmd_kb_import)
    q = kb_sub.add_parser("push", help="copy a knowledge base of this data folder to the "
                          "team's shared library (settings [shared]), vectors and all")
    q.add_argument("name", help="the knowledge base here")
    q.add_argument("--as", dest="as_name", metavar="NAME",
                   help="its name in the shared library (default: the same)")
    q.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    q.set_defaults(func=cmd_kb_push)


class _ArchiveProgressLine:
    """One updating line on a terminal; a line per stage otherwise (logs, pipes)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last = 0.0
        self.stage = ""
        self.t0 = time.monotonic()

    def __call__(self, done: int, total: int, what: str) -> None:
        stage = what.split(":", 1)[0]
        if not self.tty:
            if stage != self.stage:
                self.stage = stage
                print(f"[{done}/{total}] {stage}", file=self.stream, flush=True)
            return
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        width = 24
        frac = done / total if total else 1.0
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        elapsed = now - self.t0
        eta = f" ETA {elapsed / frac - elapsed:4.0f}s" if 0.05 < frac < 1 else ""
        self.stream.write(f"\r[{bar}] {frac:4.0%} {what[:40]:<40}{eta}")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _size(n: int) -> str:
    from models.download import human_size

    return human_size(n)


def cmd_kb_export(args, ctx: Context) -> int:
    from app.services import open_library
    from ingest.archive import export_kb
    from ingest.store.library import LibraryError

    library = open_library(ctx)
    progress = None if args.quiet else _ArchiveProgressLine()
    try:  # Ctrl+C stops it too: the partial file is removed, an older archive kept
        report = export_kb(library, args.name, args.file, with_files=args.with_files,
                           progress=progress)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    finally:
        if progress:
            progress.close()
    files = f", {report.files} files" if args.with_files else ""
    print(f"exported {report.kb!r} to {report.file}: {report.documents} documents, "
          f"{report.chunks} passages, {report.vectors} vectors{files}; "
          f"{_size(report.bytes)} in {report.seconds:.1f}s")
    for path in report.missing_files:
        print(f"wenji: warning: not found, left out of the archive (its passages are in): "
              f"{path}", file=sys.stderr)
    return 0


def cmd_kb_import(args, ctx: Context) -> int:
    from app.services import make_embedder, open_library
    from ingest.archive import import_kb
    from ingest.store.library import LibraryError

    library = open_library(ctx)
    embedder = make_embedder(ctx)
    progress = None if args.quiet else _ArchiveProgressLine()
    try:
        report = import_kb(library, args.file, as_name=args.as_name, embedder=embedder,
                           reembed=embedder if args.reembed else None, progress=progress,
                           files_dir=ctx.home.files_dir)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    finally:
        if progress:
            progress.close()
    how = "re-embedded" if report.reembedded else "vectors as archived"
    files = f", {report.files} files in {report.files_folder}" if report.files else ""
    print(f"imported {report.kb!r} from {report.file}: {report.documents} documents, "
          f"{report.chunks} passages ({how}){files}; in {report.seconds:.1f}s")
    return 0


def cmd_kb_push(args, ctx: Context) -> int:
    """Export the local knowledge base to a temporary archive and import that into the
    shared library: no parsing, no embedding (the same embedder is required)."""
    import dataclasses
    import tempfile
    from pathlib import Path

    from app.services import make_embedder, open_library
    from ingest.archive import ARCHIVE_SUFFIX, export_kb, import_kb
    from ingest.store.library import LibraryError

    local = open_library(dataclasses.replace(ctx, shared=False))
    shared = open_library(dataclasses.replace(ctx, shared=True))
    embedder = make_embedder(ctx)
    progress = None if args.quiet else _ArchiveProgressLine()
    try:
        with tempfile.TemporaryDirectory(prefix="wenji-push-") as tmp:
            file = Path(tmp) / f"push{ARCHIVE_SUFFIX}"
            export_kb(local, args.name, file, progress=progress)
            report = import_kb(shared, file, as_name=args.as_name or args.name,
                               embedder=embedder, progress=progress)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    finally:
        if progress:
            progress.close()
    print(f"pushed {args.name!r} to {shared.shared.describe()} as {report.kb!r}: "
          f"{report.documents} documents, {report.chunks} passages; in {report.seconds:.1f}s")
    return 0
