"""Whole-document summaries: time per page and faithfulness, bundled model by default.

    python bench/summaries.py [--doc "2023 Q2 NVDA.pdf"] [--model PATH] [--lists-only]
                              [--no-write]

Ingests one SEC filing (51 pages by default) into a new data folder, summarizes it
section by section (answer.summaries), then again from the cache, and reports:
seconds per page cold and warm; the share of the summary's figures that occur in the
document (the answer checks' normalisation: answer.figures); and the share of summary
sentences supported by the section they cite (answer.checks).  Then "list every …"
(answer.listing, no model): time per page and items, and the share of items found word
for word on the page they cite.  Appends to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.scratch import scratch_dir  # noqa: E402  (needs the path above)

from bench.results import append_results  # noqa: E402  (needs the path above)
SEC = REPO.parent / "shared" / "data" / "sec10q" / "docs"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--doc", default="2023 Q2 NVDA.pdf", help="a file of the SEC folder")
    ap.add_argument("--model", help="GGUF path (default: the bundled gemma-3-270m)")
    ap.add_argument("--context", type=int, default=2048, help="model context length")
    ap.add_argument("--lists-only", action="store_true", help="only the lists (no model)")
    ap.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = ap.parse_args()

    from answer.figures import figure_in, figures
    from answer.summaries import SummaryCache, Summarizer
    from bench.machine_info import machine
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from models.bundled import ensure_chat_model
    from models.embedder_pair import open_embedder
    from models.model_manager import ModelManager

    home = scratch_dir("wenji-summaries-")
    library = Library(home / "store")
    Ingestor(library, open_embedder(None)).run([SEC / args.doc], kb_name="default")
    kb = library.catalog.kb("default")
    [doc] = library.catalog.documents(kb.id)
    chunks = library.catalog.document_chunks(doc.id)
    lists = list_rows(doc, chunks)
    if args.lists_only:
        text = "\n".join([f"## Lists of one filing ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
                          "", f"- Machine: {machine()}", f"- Document: {args.doc}, "
                          f"{doc.pages} pages", "", "| measure | value |", "|---|---:|",
                          *lists, ""])
        print(text)
        if not args.no_write:
            append_results(text)
        library.close()
        return 0
    manager = ModelManager(threads=0)
    model_path = args.model or ensure_chat_model(home / "models")
    manager.load(model_path, context_length=args.context, seed=1234)
    summarizer = Summarizer(manager, SummaryCache(home / "summaries.sqlite3"),
                            model_name=Path(str(model_path)).name)
    t0 = time.perf_counter()
    cold = summarizer.summarize(doc, chunks, "en")
    cold_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = summarizer.summarize(doc, chunks, "en")
    warm_s = time.perf_counter() - t0
    assert warm.generated == 0

    document_text = "\n".join(s.text for s in cold.sources)
    check = cold.check
    # each figure of the summary, read again, looked for in the whole document
    in_doc = sum(any(figure_in(f, document_text) is not None for f in figures(fc.text))
                 for fc in check.figures)
    in_section = sum(fc.found and fc.where == "cited" for fc in check.figures)
    sentences = len(check.sentences)
    supported = check.count("supported")
    partly = check.count("partly")
    pages = doc.pages or 1
    lines = [f"## Summaries: one filing, section by section "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"- Machine: {machine()}",
             f"- Document: {args.doc}, {pages} pages, {len(cold.sections)} sections; model "
             f"{Path(str(model_path)).name} ({'chat template' if manager.has_chat_template else 'base model: no overview'}), "
             f"context {args.context}", "",
             "| measure | value |", "|---|---:|",
             f"| seconds per page, first summary (median model call included) | "
             f"{cold_s / pages:.2f} ({cold_s:.0f} s) |",
             f"| seconds per page, again (section summaries cached) | {warm_s / pages:.3f} "
             f"({warm_s:.1f} s; {cold_s / max(warm_s, 1e-6):.0f}× faster) |",
             f"| summary figures that occur in the document | {in_doc}/{len(check.figures)} = "
             f"{in_doc / max(1, len(check.figures)):.0%} |",
             f"| ... in the section the line cites | {in_section}/{len(check.figures)} = "
             f"{in_section / max(1, len(check.figures)):.0%} |",
             f"| summary sentences supported by the section they cite | {supported}/{sentences} "
             f"= {supported / max(1, sentences):.0%} (partly: {partly}) |", *lists, ""]
    text = "\n".join(lines)
    print(text)
    print(cold.text[:1500])
    if not args.no_write:
        append_results(text)
    manager.unload()
    library.close()
    return 0


def list_rows(doc, chunks) -> list[str]:
    """Table rows for "list every …" on ``doc``: items, time per page (median of 5), and
    items found word for word on their cited page."""
    import statistics

    from answer.listing import list_mentions

    rows = []
    for thing in ("deadlines", "legal proceedings", "截止日期"):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            found = list_mentions(doc, chunks, thing)
            times.append(time.perf_counter() - t0)
        by_n = {s.n: " ".join(s.text.split()) for s in found.sources}
        on_page = sum(" ".join(i.text.split()).strip("…") in by_n[i.source]
                      for i in found.items)
        per_page = statistics.median(times) / (doc.pages or 1)
        rows.append(f"| list every \"{thing}\": items; ms per page; on their cited page | "
                    f"{len(found.items)}; {per_page * 1000:.1f}; {on_page}/{len(found.items)} |")
    return rows


if __name__ == "__main__":
    sys.exit(main())
