"""PDF text CPU: plain pypdf vs. the fast content-stream path (ingest.pdf_fast).

Run: ``.venv/bin/python bench/pdf_parse.py [--docs DIR] [--reps 3] [--no-record]``

Loads every PDF of ``--docs`` (default: the 20 SEC 10-Q filings) with
``ingest.loaders.load`` both ways, in the same process and the same run, ``--reps`` times
(alternating which way goes first), and measures CPU seconds (``time.process_time``):

* plain - ``load`` inside ``plain_pypdf()``: pypdf parses and extracts everything itself;
* fast  - ``load`` as ingest runs it: the fast content-stream reader and extractor step.

It also checks that both ways give the same sections (page numbers and text), and times
the content-stream parse alone (pypdf's parser vs. ``parse_operations``) once, comparing
the operations.  Prints a table and appends it to bench/RESULTS.md with the date and
machine.  On a shared machine, compare the ratios of one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DOCS = REPO.parent / "shared" / "data" / "sec10q" / "docs"
sys.path.insert(0, str(REPO))
from bench.machine_info import machine  # noqa: E402


def load_all(paths: list[Path], plain: bool) -> tuple[float, dict]:
    """CPU seconds to load every file one way, and what each gave."""
    from ingest.loaders import LoadError, load
    from ingest.pdf_fast import plain_pypdf

    out = {}
    started = time.process_time()
    for path in paths:
        try:
            if plain:
                with plain_pypdf():
                    doc = load(path)
            else:
                doc = load(path)
            out[path.name] = [(s.page, s.text) for s in doc.sections]
        except LoadError as exc:
            out[path.name] = f"{exc.status}: {exc.reason}"
    return time.process_time() - started, out


def parse_only(paths: list[Path]) -> tuple[float, float, int, int, int]:
    """CPU seconds of pypdf's parser and of parse_operations over every page's content
    stream; streams, streams the fast reader left to pypdf, streams whose ops differ."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    from ingest.loaders import _pdf_limits
    from ingest.pdf_fast import parse_operations

    plain_s = fast_s = 0.0
    streams = handed = differ = 0
    with _pdf_limits():
        for path in paths:
            reader = PdfReader(path, strict=False)
            for page in reader.pages:
                if "/Contents" not in page:
                    continue
                data = ContentStream(page["/Contents"], reader, "bytes").get_data()
                streams += 1
                t = time.process_time()
                stream = ContentStream(None, None, "bytes")
                stream.set_data(data)
                stream._parse_content_stream(BytesIO(data))  # pypdf's own (not switched on)
                plain_s += time.process_time() - t
                t = time.process_time()
                ops = parse_operations(data, "bytes")
                fast_s += time.process_time() - t
                if ops is None:
                    handed += 1
                elif repr(ops) != repr(stream._operations):
                    differ += 1
    return plain_s, fast_s, streams, handed, differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # pypdf's warnings about damaged files, both ways

    from ingest import pdf_fast

    paths = sorted(args.docs.glob("*.pdf"))
    if not paths:
        sys.exit(f"no PDF in {args.docs}")
    load_all(paths[:1], plain=True)  # warm-up: imports, caches, pypdf's first-use set-up
    load_all(paths[:1], plain=False)
    times: dict[str, list[float]] = {"plain": [], "fast": []}
    same = True
    pages = 0
    for rep in range(args.reps):
        order = ("plain", "fast") if rep % 2 == 0 else ("fast", "plain")
        results = {}
        for way in order:
            seconds, results[way] = load_all(paths, plain=way == "plain")
            times[way].append(seconds)
            print(f"rep {rep + 1} {way}: {seconds:.1f} s CPU", flush=True)
        same = same and results["plain"] == results["fast"]
        pages = sum(len(v) for v in results["plain"].values() if isinstance(v, list))
    plain_s, fast_s, streams, handed, differ = parse_only(paths)

    med = {way: statistics.median(v) for way, v in times.items()}
    lines = [
        f"| way | CPU s per rep | median |",
        "|---|---|---|",
        *(f"| {way} | {', '.join(f'{t:.1f}' for t in times[way])} | {med[way]:.1f} |"
          for way in ("plain", "fast")),
        "",
        f"- plain / fast (medians) = **{med['plain'] / med['fast']:.2f}x** "
        f"({len(paths)} files, {pages} pages with text, {args.reps} reps alternating order)",
        f"- same sections both ways: **{'yes' if same else 'NO'}**",
        f"- content-stream parse alone: pypdf {plain_s:.1f} s, fast reader {fast_s:.1f} s "
        f"(**{plain_s / max(fast_s, 1e-9):.1f}x**); {streams} page streams, {handed} left to "
        f"pypdf, {differ} with different operations",
        f"- streams read by the fast reader during the fast loads: {pdf_fast.counts.fast}, "
        f"left to pypdf: {pdf_fast.counts.handed_to_pypdf}",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        header = (f"\n## PDF text CPU, plain pypdf vs. fast content-stream path "
                  f"({args.docs.name}) — {time.strftime('%Y-%m-%d %H:%M')} UTC\n\n"
                  f"Machine: {machine()}\n\n")
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(header + text + "\n")


if __name__ == "__main__":
    main()
