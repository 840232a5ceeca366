"""``wenji summarize PATH``: a whole document summarized section by section, each line
citing its section and pages (:mod:`answer.summaries`).

Progress (sections done, time left) goes to stderr; Ctrl+C stops, and the sections
already summarized are kept for the next run.
"""

from __future__ import annotations

import sys
import threading

from app.context import Context, UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("summarize", help="summarize a whole document, citing its "
                              "sections and pages",
                              description="Summarize one document of a knowledge base section "
                              "by section with the local chat model.")
    p.add_argument("path", metavar="PATH", help="the document (its path, or its file name)")
    p.add_argument("--kb", metavar="NAME", help="knowledge base (default: 'default')")
    p.add_argument("--model", metavar="NAME",
                   help="chat model name or .gguf path (default: settings, else the bundled model)")
    p.add_argument("--lang", choices=("en", "zh"),
                   help="language of the summary (default: the document's)")
    p.set_defaults(func=run_summarize)


def run_summarize(args, ctx: Context) -> int:
    from answer.summaries import (SummaryCache, SummaryCancelled, Summarizer, find_document)
    from answer.checks import summary as check_summary
    from answer.prompts import question_language
    from app.commands.ask import _ctrl_c_stops, _load_model
    from app.services import open_library

    library = open_library(ctx)
    try:
        try:
            document = find_document(library, args.kb, args.path)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        chunks = library.catalog.document_chunks(document.id)
        lang = args.lang or question_language(" ".join(c.text for c in chunks[:5]))
        manager = _load_model(ctx, args.model, None)
        cache = SummaryCache(ctx.home.summaries_path)
        summarizer = Summarizer(manager, cache, model_name=manager.loaded.name)
        cancel = threading.Event()

        def show(p) -> None:
            left = f", about {p.eta:.0f} s left" if p.eta else ""
            where = f" · {p.section[:50]}" if p.section else ""
            print(f"\r[section {p.done}/{p.total}{where}{left}]".ljust(79)[:79], end="",
                  file=sys.stderr, flush=True)

        try:
            with _ctrl_c_stops(cancel):
                result = summarizer.summarize(document, chunks, lang, cancel, show)
        except SummaryCancelled:
            print(f"\n(stopped; {cache.count(document.path)} section summaries are kept "
                  "for the next run)", file=sys.stderr)
            return 130
        finally:
            cache.close()
            manager.unload()
        print(file=sys.stderr)
        print(f"# {result.title}\n")
        print(result.text)
        print("\nSources:")
        for s in result.sources:
            print(f"  [{s.n}] {s.label}")
        line = check_summary(result.check) if result.check else ""
        if line:
            print(f"\nChecks: {line}")
        print(f"\n({len(result.sections)} sections, {result.generated} summarized now, "
              f"{len(result.sections) - result.generated} from earlier runs; "
              f"{result.seconds:.0f} s)", file=sys.stderr)
    finally:
        library.close()
    return 0
