"""``wenji compare A B``: two documents of one kind side by side -- the table lines whose
figures differ (both values, both pages), then what each shared section says
(:mod:`answer.compare`).  ``--figures-only`` skips the model (seconds, not minutes)."""

from __future__ import annotations

import sys
import threading

from app.context import Context, UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("compare", help="compare two documents section by section",
                              description="Compare two documents of a knowledge base: "
                              "differing figures with both values and pages, then the "
                              "shared sections' summaries.")
    p.add_argument("first", metavar="A", help="a document (path or file name)")
    p.add_argument("second", metavar="B", help="another document")
    p.add_argument("--kb", metavar="NAME", help="knowledge base (default: 'default')")
    p.add_argument("--model", metavar="NAME", help="chat model (default: settings)")
    p.add_argument("--figures-only", action="store_true",
                   help="only the differing figures (no model)")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.set_defaults(func=run_compare)


def run_compare(args, ctx: Context) -> int:
    from answer.compare import Comparer
    from answer.summaries import SummaryCache, SummaryCancelled, Summarizer, find_document
    from app.commands.ask import _ctrl_c_stops, _load_model
    from app.services import open_library

    library = open_library(ctx)
    manager = cache = None
    try:
        try:
            a = find_document(library, args.kb, args.first)
            b = find_document(library, args.kb, args.second)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if a.id == b.id:
            raise UserError("A and B are the same document")
        manager = _load_model(ctx, args.model, None)
        cache = SummaryCache(ctx.home.summaries_path)
        comparer = Comparer(Summarizer(manager, cache, model_name=manager.loaded.name))
        cancel = threading.Event()

        def show(p) -> None:
            left = f", about {p.eta:.0f} s left" if p.eta else ""
            print(f"\r[section {p.done}/{p.total}{left}]".ljust(60), end="", file=sys.stderr,
                  flush=True)

        try:
            with _ctrl_c_stops(cancel):
                result = comparer.compare(a, library.catalog.document_chunks(a.id), b,
                                          library.catalog.document_chunks(b.id), args.lang,
                                          summaries=not args.figures_only, cancel=cancel,
                                          progress=show)
        except SummaryCancelled:
            print("\n(stopped; finished section summaries are kept)", file=sys.stderr)
            return 130
        print(file=sys.stderr)
        print(f"# {result.titles[0]} / {result.titles[1]}\n")
        print(result.text or "(no shared section with differing figures)")
        print(f"\n{len(result.differences)} differing table lines and "
              f"{len(result.stated)} sentences with other figures in {len(result.matched)} "
              "shared sections", file=sys.stderr)
        print("\nSources:")
        for s in result.sources:
            print(f"  [{s.n}] {s.label}")
    finally:
        if cache is not None:
            cache.close()
        if manager is not None:
            manager.unload()
        library.close()
    return 0
