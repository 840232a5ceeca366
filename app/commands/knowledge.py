"""``wenji ingest``, ``wenji docs``, ``wenji remove`` and ``wenji kb ...``."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from app.context import Context, UserError


def register(sub) -> None:
    p = sub.add_parser("ingest", help="add or update PDF/Markdown files and folders")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--kb", metavar="NAME", help="knowledge base (default: 'default')")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("docs", help="list documents with their status")
    p.add_argument("--kb", metavar="NAME")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("remove", help="remove a document (or every document under a folder)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--kb", metavar="NAME")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("kb", help="manage knowledge bases")
    kb_sub = p.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    kb_sub.add_parser("list", help="list knowledge bases").set_defaults(func=cmd_kb_list)
    q = kb_sub.add_parser("create", help="create a knowledge base")
    q.add_argument("name")
    q.set_defaults(func=cmd_kb_create)
    q = kb_sub.add_parser("rename", help="rename a knowledge base")
    q.add_argument("old")
    q.add_argument("new")
    q.set_defaults(func=cmd_kb_rename)
    q = kb_sub.add_parser("reembed", help="re-embed a knowledge base with the current embedder")
    q.add_argument("name")
    q.set_defaults(func=cmd_kb_reembed)
    q = kb_sub.add_parser("delete", help="delete a knowledge base and its index (not your files)")
    q.add_argument("name")
    q.set_defaults(func=cmd_kb_delete)

    from app.commands import kb_archive

    kb_archive.register(kb_sub)


def _library(ctx: Context):
    from app.services import open_library

    return open_library(ctx)


def _kb(library, name):
    from ingest.store.library import LibraryError

    try:
        return library.kb(name)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc


class _ProgressLine:
    """One updating line on a terminal; a line per finished file otherwise."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up now: tests and tools swap sys.stderr
        self.tty = self.stream.isatty()
        self.last = 0.0

    def __call__(self, p) -> None:
        if p.outcome is not None and not self.tty:
            o = p.outcome
            print(f"[{p.files_done}/{p.files_total}] {o.status}: {o.path}"
                  + (f" ({o.reason})" if o.reason else ""), file=self.stream, flush=True)
            return
        now = time.monotonic()
        if not self.tty or (now - self.last < 0.1 and p.outcome is None):
            return
        self.last = now
        width = 24
        frac = p.files_done / p.files_total if p.files_total else 1.0
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        eta = f" ETA {p.eta:4.0f}s" if p.eta else ""
        name = Path(p.current).name[:30] if p.current else ""
        if p.ocr_total and p.ocr_done < p.ocr_total and p.ocr_file == p.current:
            name = f"{name[:20]} OCR page {p.ocr_done + 1}/{p.ocr_total}"
        self.stream.write(f"\r[{bar}] {p.files_done}/{p.files_total} files, {p.chunks_done} "
                          f"chunks, {p.rate:5.1f} chunks/s{eta} {name:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def cmd_ingest(args, ctx: Context) -> int:
    from app.services import make_ingestor
    from ingest.store.library import LibraryError

    library = _library(ctx)
    ingestor = make_ingestor(ctx, library)
    progress = None if args.quiet else _ProgressLine()
    cancel = threading.Event()
    try:
        report = ingestor.run(args.paths, kb_name=args.kb, on_progress=progress, cancel=cancel)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    except KeyboardInterrupt:
        cancel.set()
        raise
    finally:
        if progress:
            progress.close()
    _print_summary(report)
    if ctx.settings.ingest.watch_folders and not report.cancelled:
        from ingest.watcher import register_folders

        for folder in register_folders(library, report.kb, args.paths):
            print(f"watching {folder}: `wenji watch` (or the window) keeps it current",
                  file=sys.stderr)
    failed = report.count("failed")
    return 1 if failed and failed == len(report.outcomes) else 0


def _print_summary(report) -> None:
    from collections import Counter

    counts = Counter(o.status for o in report.outcomes)
    print(f"Knowledge base {report.kb!r}: " + ", ".join(
        f"{n} {status}" for status, n in sorted(counts.items())) +
        f"; {report.chunks} new chunks in {report.elapsed:.1f}s"
        + (" (cancelled)" if report.cancelled else ""))
    rows = [o for o in report.outcomes if o.status in ("failed", "skipped", "cancelled")
            or o.reason]
    if rows:
        width = min(60, max(len(Path(o.path).name) for o in rows))
        print(f"{'file':<{width}}  {'status':<9}  reason")
        for o in rows:
            print(f"{Path(o.path).name:<{width}}  {o.status:<9}  {o.reason}")


def cmd_docs(args, ctx: Context) -> int:
    library = _library(ctx)
    kbs = [_kb(library, args.kb)] if args.kb else library.kbs()
    if not kbs:
        print("No knowledge bases yet: add documents with `wenji ingest PATH`.")
        return 0
    for kb in kbs:
        docs = library.documents(kb)
        print(f"{kb.name} ({len(docs)} documents, embedder {kb.embedder or '-'})")
        for d in docs:
            where = f"{d.pages} pages" if d.kind == "pdf" else (d.kind or "")
            print(f"  {d.status:<8} {d.chunks:>5} chunks  {where:<10}  {d.path}"
                  + (f"\n           {d.reason}" if d.reason else ""))
    return 0


def cmd_remove(args, ctx: Context) -> int:
    library = _library(ctx)
    kb = _kb(library, args.kb)
    total = 0
    for path in args.paths:
        removed = library.remove_path(kb, Path(path))
        if not removed:
            print(f"not in {kb.name!r}: {path}", file=sys.stderr)
        total += len(removed)
    print(f"removed {total} document(s) from {kb.name!r} (your files were not touched)")
    return 0 if total else 1


def cmd_kb_list(args, ctx: Context) -> int:
    library = _library(ctx)
    for kb in library.kbs():
        docs = library.documents(kb)
        ready = sum(1 for d in docs if d.status == "ready")
        print(f"{kb.name}\t{ready}/{len(docs)} documents ready\t"
              f"{library.catalog.chunk_count(kb.id)} chunks\tembedder {kb.embedder or '-'}")
    return 0


def _guard(fn):
    from ingest.store.library import LibraryError

    try:
        return fn()
    except LibraryError as exc:
        raise UserError(str(exc)) from exc


def cmd_kb_create(args, ctx: Context) -> int:
    kb = _guard(lambda: _library(ctx).create_kb(args.name))
    print(f"created {kb.name!r}")
    return 0


def cmd_kb_rename(args, ctx: Context) -> int:
    kb = _guard(lambda: _library(ctx).rename_kb(args.old, args.new))
    print(f"renamed {args.old!r} to {kb.name!r}")
    return 0


def cmd_kb_delete(args, ctx: Context) -> int:
    _guard(lambda: _library(ctx).delete_kb(args.name))
    print(f"deleted {args.name!r} (your files were not touched)")
    return 0


def cmd_kb_reembed(args, ctx: Context) -> int:
    from app.services import make_ingestor
    from ingest.store.library import LibraryError

    library = _library(ctx)
    ingestor = make_ingestor(ctx, library)
    progress = _ProgressLine()
    try:
        report = ingestor.reembed(args.name, on_progress=progress)
    except LibraryError as exc:
        raise UserError(str(exc)) from exc
    finally:
        progress.close()
    _print_summary(report)
    return 0
