"""PDF text, page by page: pypdf against PDFium (pypdfium2) on real PDFs.

Run: ``.venv/bin/python bench/pdf_text.py [--files GLOB] [--no-append]``

Reads every PDF under ../shared/data/pdfs (the 32 test files of ``manifest.jsonl``) and
the 20 SEC 10-Q filings under ../shared/data/sec10q, each with both engines:

* pypdf - ``PdfReader(BytesIO(data), strict=False)`` (empty password if encrypted), then
  ``page.extract_text()`` for every page.  Plain pypdf: the project's fast content-stream
  path (``ingest.pdf_fast``) is not switched on here.
* PDFium - ``pypdfium2.PdfDocument(data)``, then ``get_textpage().get_text_range()`` for
  every page, "\\r\\n" turned into "\\n".

Each page's text goes through ``ingest.loaders.clean_text`` and is then counted: pages,
non-whitespace characters, CJK characters (U+4E00-U+9FFF, U+3400-U+4DBF), pages with
fewer than 8 non-whitespace characters ("empty"), wall seconds (median of 3 runs over the
whole file, from bytes already in memory, engines alternating which goes first), and an
engine's exception, if any.  The similarity of the two engines' texts is the multiset
Jaccard of character 3-grams of the whitespace-free text: sum of min(count) over sum of
max(count) over all 3-grams.  1.0 means the same characters in the same local order;
reading-order changes cost only the 3-grams at the seams, so a low figure means missing,
extra or different characters, not a different order.

Prints a Markdown table per file, totals, and a few side-by-side excerpts of the pages
where the engines differ most; appends them to bench/RESULTS.md unless ``--no-append``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import fnmatch
import io
import json
import logging
import os
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

from bench.machine_info import machine  # noqa: E402
from ingest.loaders import clean_text  # noqa: E402

REPS = 3
EMPTY_BELOW = 8  # a page with fewer non-whitespace characters counts as empty
ENGINES = ("pypdf", "PDFium")
_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_LIGATURE = re.compile(r"[\ufb00-\ufb06]")  # ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ kept as one character
_GLUED = re.compile(r"[A-Za-z\u00c0-\u00ff\ufb00-\ufb06]{20,}")  # 20+ letters, no space

# Excerpts: the files to show, first one present wins (the page in each is the one where
# the engines differ most).  2201.00069 shows pypdf's glued words and PDFium's split
# superscripts; test_4699 is the Chinese table whose cells pypdf reads right to left.
TWO_COLUMN = ("pymupdf_tests/2201.00069.pdf", "pymupdf_tests/test_3780.pdf",
              "pdfplumber_tests/issue-982-example.pdf")
CHINESE_TABLE = ("pymupdf_tests/test_4699.pdf", "pymupdf_tests/chinese-tables.pdf",
                 "pdfplumber_tests/issue-67-example.pdf")
EXCERPT_CHARS = 300
EXCERPT_WIDTH = 56  # display columns per engine in the side-by-side block


# --- engines -------------------------------------------------------------------------

def read_pypdf(data: bytes) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    return [page.extract_text() or "" for page in reader.pages]


def read_pdfium(data: bytes) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            tp = page.get_textpage()
            try:
                out.append(tp.get_text_range().replace("\r\n", "\n"))
            finally:
                tp.close()
                page.close()
        return out
    finally:
        pdf.close()


READERS = {"pypdf": read_pypdf, "PDFium": read_pdfium}


# --- measuring -----------------------------------------------------------------------

@dataclass
class Side:
    pages: list[str] = field(default_factory=list)  # cleaned text per page
    seconds: float = 0.0
    error: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def chars(self) -> int:
        return sum(nonws(p) for p in self.pages)

    @property
    def cjk(self) -> int:
        return sum(len(_CJK.findall(p)) for p in self.pages)

    @property
    def empty(self) -> int:
        return sum(1 for p in self.pages if nonws(p) < EMPTY_BELOW)

    def count(self, what: str) -> int:
        if what == "ligatures":
            return sum(len(_LIGATURE.findall(p)) for p in self.pages)
        if what == "glued":
            return sum(len(_GLUED.findall(p)) for p in self.pages)
        return sum(p.count(what) for p in self.pages)


@dataclass
class FileResult:
    rel: str
    note: str
    sides: dict[str, Side]
    similarity: float | None
    page_sims: list[float | None]
    out_of_order: int = 0


def nonws(text: str) -> int:
    return len(_WS.sub("", text))


def trigram_similarity(a: str, b: str) -> float | None:
    """Multiset Jaccard of character 3-grams of the whitespace-free texts."""
    a, b = _WS.sub("", a), _WS.sub("", b)
    if len(a) < 3 and len(b) < 3:
        return None
    ca = Counter(a[i:i + 3] for i in range(len(a) - 2))
    cb = Counter(b[i:i + 3] for i in range(len(b) - 2))
    inter = sum((ca & cb).values())
    union = sum((ca | cb).values())
    return inter / union if union else None


def run_engine(name: str, data: bytes) -> tuple[list[str] | None, float, str]:
    started = time.perf_counter()
    try:
        pages = READERS[name](data)
        error = ""
    except Exception as exc:  # noqa: BLE001 - a benchmark records what failed
        pages, error = None, f"{type(exc).__name__}: {exc}"[:200]
    return pages, time.perf_counter() - started, error


def measure(rel: str, note: str, data: bytes) -> FileResult:
    times: dict[str, list[float]] = {e: [] for e in ENGINES}
    raw: dict[str, list[str] | None] = {}
    errors: dict[str, str] = {}
    for rep in range(REPS):
        order = ENGINES if rep % 2 == 0 else ENGINES[::-1]
        for name in order:
            pages, seconds, error = run_engine(name, data)
            times[name].append(seconds)
            raw[name], errors[name] = pages, error
    sides = {}
    for name in ENGINES:
        pages = [clean_text(p) for p in (raw[name] or [])]
        sides[name] = Side(pages, statistics.median(times[name]), errors[name])
    a, b = sides["pypdf"], sides["PDFium"]
    sim = None if a.error or b.error else trigram_similarity(a.text, b.text)
    page_sims = [trigram_similarity(x, y) for x, y in zip(a.pages, b.pages)]
    order = sum(out_of_order(x, y) for x, y in zip(a.pages, b.pages))
    return FileResult(rel, note, sides, sim, page_sims, order)


def out_of_order(a: str, b: str) -> int:
    """Lines of pypdf's page (40+ characters) that PDFium's page has before the previous one.

    Each line is keyed by 30 of its whitespace-free characters that occur exactly once in
    PDFium's whitespace-free page; lines without such a key are skipped.
    """
    bw = _WS.sub("", b).replace("\ufffe", "")
    prev, back = -1, 0
    for line in a.split("\n"):
        key = _WS.sub("", line)
        if len(key) < 40:
            continue
        key = key[5:35]
        pos = bw.find(key)
        if pos < 0 or bw.find(key, pos + 1) >= 0:
            continue
        if pos < prev:
            back += 1
        prev = pos
    return back


# --- output --------------------------------------------------------------------------

def fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def table(results: list[FileResult]) -> list[str]:
    lines = [
        "| file | note | pages | chars pypdf / PDFium | CJK pypdf / PDFium "
        "| empty pages pypdf / PDFium | seconds pypdf / PDFium | 3-gram similarity |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        a, b = r.sides["pypdf"], r.sides["PDFium"]
        fail = lambda s, v: "failed" if s.error else str(v)  # noqa: E731
        pages = (str(len(a.pages)) if len(a.pages) == len(b.pages) and not (a.error or b.error)
                 else f"{fail(a, len(a.pages))} / {fail(b, len(b.pages))}")
        sim = "–" if r.similarity is None else f"{r.similarity:.3f}"
        lines.append(
            f"| {r.rel} | {r.note} | {pages} | {fail(a, a.chars)} / {fail(b, b.chars)} "
            f"| {fail(a, a.cjk)} / {fail(b, b.cjk)} | {fail(a, a.empty)} / {fail(b, b.empty)} "
            f"| {fmt_s(a.seconds)} / {fmt_s(b.seconds)} | {sim} |")
    return lines


def totals(results: list[FileResult]) -> list[str]:
    failed = [f"{r.rel} ({e}: {r.sides[e].error})" for r in results for e in ENGINES
              if r.sides[e].error]
    both = [r for r in results if not any(r.sides[e].error for e in ENGINES)]
    left_out = len(results) - len(both)
    results = both
    groups = [
        ("test PDFs", [r for r in results if not r.rel.startswith("sec10q/")]),
        ("SEC 10-Qs", [r for r in results if r.rel.startswith("sec10q/")]),
        ("all", results),
    ]
    lines = [
        "| files | n | pages | chars pypdf / PDFium (PDFium/pypdf) | CJK pypdf / PDFium "
        "| empty pages pypdf / PDFium | seconds pypdf / PDFium (PDFium/pypdf) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, rs in groups:
        if not rs:
            continue
        s = {e: [r.sides[e] for r in rs] for e in ENGINES}
        ch = {e: sum(x.chars for x in s[e]) for e in ENGINES}
        cjk = {e: sum(x.cjk for x in s[e]) for e in ENGINES}
        emp = {e: sum(x.empty for x in s[e]) for e in ENGINES}
        sec = {e: sum(x.seconds for x in s[e]) for e in ENGINES}
        pages = sum(len(x.pages) for x in s["pypdf"])
        lines.append(
            f"| {label} | {len(rs)} | {pages} | {ch['pypdf']} / {ch['PDFium']} "
            f"({ch['PDFium'] / max(ch['pypdf'], 1):.3f}) | {cjk['pypdf']} / {cjk['PDFium']} "
            f"| {emp['pypdf']} / {emp['PDFium']} | {sec['pypdf']:.1f} / {sec['PDFium']:.1f} "
            f"({sec['PDFium'] / max(sec['pypdf'], 1e-9):.3f}) |")
    lines += ["", "Failures: " + ("; ".join(failed) if failed else "none") + "."]
    if left_out:
        lines[-1] += (f" The totals leave out the {left_out} file(s) an engine failed on "
                      "(both engines' figures), so they compare the same files.")
    return lines


ODDITIES = (("ligatures", "ligature characters (U+FB00–FB06)"),
            ("\ufffe", "PDFium's mark for a hyphen at a line end, lines joined"),
            ("\ufffd", "replacement character"),
            ("glued", "runs of 20+ Latin letters without a space (glued words)"))


def oddities(results: list[FileResult]) -> list[str]:
    head = " | ".join(f"{k if k == 'ligatures' or k == 'glued' else f'U+{ord(k):04X}'} "
                      "pypdf / PDFium" for k, _ in ODDITIES)
    lines = [f"| file | {head} | pypdf lines in another order in PDFium |",
             "|---|" + "---:|" * (len(ODDITIES) + 1)]
    tot = {(k, e): 0 for k, _ in ODDITIES for e in ENGINES}
    tot_order = 0
    for r in results:
        c = {(k, e): r.sides[e].count(k) for k, _ in ODDITIES for e in ENGINES}
        for key, v in c.items():
            tot[key] += v
        tot_order += r.out_of_order
        if any(c.values()) or r.out_of_order:
            lines.append(f"| {r.rel} | " + " | ".join(
                f"{c[k, 'pypdf']} / {c[k, 'PDFium']}" for k, _ in ODDITIES)
                + f" | {r.out_of_order} |")
    lines.append("| **all files** | " + " | ".join(
        f"{tot[k, 'pypdf']} / {tot[k, 'PDFium']}" for k, _ in ODDITIES) + f" | {tot_order} |")
    lines += ["", "Columns: " + "; ".join(f"{k if len(k) > 1 else f'U+{ord(k):04X}'} = {d}"
                                          for k, d in ODDITIES)
              + "; lines in another order = lines of 40+ characters of pypdf's page that PDFium "
              "has before the line pypdf put ahead of them (keyed by 30 characters unique in "
              "PDFium's page). Files with all zero are left out."]
    return lines


def width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def wrap_cols(text: str, cols: int) -> list[str]:
    """Wrap to display columns (CJK characters count two), at a space where there is one
    in the second half of the line; continuation lines start with two spaces."""
    out = []
    for line in text.split("\n"):
        first = True
        while True:
            limit = cols if first else cols - 2
            w, cut = 0, len(line)
            for i, ch in enumerate(line):
                if w + width(ch) > limit:
                    cut = i
                    break
                w += width(ch)
            if cut < len(line):
                space = line.rfind(" ", 0, cut + 1)
                if space > cut // 2:
                    cut = space
            out.append(("" if first else "  ") + line[:cut].rstrip())
            line = line[cut:].lstrip()
            first = False
            if not line:
                break
    return out


def visible(text: str) -> str:
    return text.replace("\ufffe", "<FFFE>").replace("\ufffd", "<FFFD>")


def pad(s: str, cols: int) -> str:
    return s + " " * (cols - sum(width(c) for c in s))


def excerpt_start(a: str, b: str) -> tuple[int, int]:
    """Offsets in a and b of the first line where they differ (ignoring spacing and
    blank lines)."""
    def lines(text: str) -> tuple[list[str], list[int]]:  # non-blank lines, whitespace-free
        keys, starts, at = [], [], 0
        for line in text.split("\n"):
            if line.strip():
                keys.append(_WS.sub("", line))
                starts.append(at)
            at += len(line) + 1
        return keys, starts

    (ak, ast), (bk, bst) = lines(a), lines(b)
    sm = difflib.SequenceMatcher(None, ak, bk, autojunk=False)
    for tag, i1, _i2, j1, _j2 in sm.get_opcodes():
        if tag != "equal":
            return (ast[i1] if i1 < len(ast) else len(a)), (bst[j1] if j1 < len(bst) else len(b))
    return 0, 0


def side_by_side(r: FileResult, page: int, why: str) -> list[str]:
    a, b = r.sides["pypdf"].pages[page], r.sides["PDFium"].pages[page]
    ia, ib = excerpt_start(a, b)
    ea, eb = visible(a[ia:ia + EXCERPT_CHARS]), visible(b[ib:ib + EXCERPT_CHARS])
    la, lb = wrap_cols(ea, EXCERPT_WIDTH), wrap_cols(eb, EXCERPT_WIDTH)
    n = max(len(la), len(lb))
    la += [""] * (n - len(la))
    lb += [""] * (n - len(lb))
    sim = r.page_sims[page]
    head = (f"**{r.rel}, page {page + 1}** ({why}; page 3-gram similarity "
            f"{'–' if sim is None else f'{sim:.3f}'}; excerpt from character {ia} / {ib})")
    body = [pad("pypdf", EXCERPT_WIDTH) + " │ PDFium", "─" * EXCERPT_WIDTH + "─┼─" + "─" * EXCERPT_WIDTH]
    body += [pad(x, EXCERPT_WIDTH) + " │ " + y for x, y in zip(la, lb)]
    return [head, "", "```text", *body, "```", ""]


def worst_page(r: FileResult, ok=lambda i: True) -> int | None:
    cands = [(s, i) for i, s in enumerate(r.page_sims)
             if s is not None and ok(i)
             and min(nonws(r.sides[e].pages[i]) for e in ENGINES) >= 50]
    return min(cands)[1] if cands else None


def excerpts(results: list[FileResult]) -> list[str]:
    by = {r.rel: r for r in results}
    out: list[str] = []
    shown: set[str] = set()

    def show(rel: str | None, page: int | None, why: str) -> None:
        if rel is None or page is None or rel in shown:
            return
        shown.add(rel)
        out.extend(side_by_side(by[rel], page, why))

    for rel in TWO_COLUMN:
        if rel in by and worst_page(by[rel]) is not None:
            show(rel, worst_page(by[rel]), "two-column paper")
            break
    for rel in CHINESE_TABLE:
        if rel in by and worst_page(by[rel]) is not None:
            show(rel, worst_page(by[rel]), "Chinese table page")
            break

    def is_table(r: FileResult, i: int) -> bool:  # many digits: a financial table page
        t = _WS.sub("", r.sides["pypdf"].pages[i])
        return len(t) >= 200 and sum(c.isdigit() for c in t) / len(t) >= 0.25

    sec = [(r.page_sims[i], r.rel, i) for r in results if r.rel.startswith("sec10q/")
           for i in [worst_page(r, lambda i, r=r: is_table(r, i))] if i is not None]
    if sec:
        _, rel, i = min(sec)
        show(rel, i, "SEC 10-Q table page")
    low = [(r.similarity, r.rel) for r in results
           if r.similarity is not None and r.rel not in shown and worst_page(r) is not None]
    if low:
        _, rel = min(low)
        show(rel, worst_page(by[rel]), "lowest whole-file similarity of the rest")
    return out


# --- main ----------------------------------------------------------------------------

def files(pattern: str | None) -> list[tuple[str, str, Path]]:
    notes = {}
    for line in (DATA / "pdfs" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            notes[d["file"]] = d.get("note", "")
    out = []
    for p in sorted((DATA / "pdfs").rglob("*.pdf")):
        rel = p.relative_to(DATA / "pdfs").as_posix()
        out.append((rel, notes.get(rel, ""), p))
    for p in sorted((DATA / "sec10q").rglob("*.pdf")):
        out.append(("sec10q/" + p.relative_to(DATA / "sec10q").as_posix(), "SEC 10-Q", p))
    if pattern:
        out = [f for f in out if fnmatch.fnmatch(f[0], pattern) or fnmatch.fnmatch(f[2].name, pattern)]
    return out


def machine_line() -> str:
    import pypdf
    import pypdfium2.version as v

    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"Machine: {machine()}, load average {load} (1/5/15 min) at the start; "
            f"pypdf {pypdf.__version__}, pypdfium2 {v.PYPDFIUM_INFO}, PDFium {v.PDFIUM_INFO}.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", metavar="GLOB",
                    help="only files whose path (e.g. 'pymupdf_tests/*', 'sec10q/*') "
                         "or name matches")
    ap.add_argument("--no-append", action="store_true", help="do not append to bench/RESULTS.md")
    args = ap.parse_args()
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    todo = files(args.files)
    if not todo:
        sys.exit("no PDF matches")
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = machine_line()
    warm = min(todo, key=lambda f: f[2].stat().st_size)[2].read_bytes()
    for name in ENGINES:  # imports and first-use set-up out of the timings
        run_engine(name, warm)

    results = []
    for rel, note, path in todo:
        r = measure(rel, note, path.read_bytes())
        a, b = r.sides["pypdf"], r.sides["PDFium"]
        print(f"{rel}: {a.chars} / {b.chars} chars, {a.seconds:.2f} / {b.seconds:.2f} s",
              file=sys.stderr, flush=True)
        results.append(r)

    end_load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"## PDF text: pypdf against PDFium ({when})",
        "",
        head,
        "",
        f"`bench/pdf_text.py`: {len(results)} files, each read whole from memory by both "
        f"engines, {REPS} runs alternating which goes first, median wall seconds; text of each "
        f"page through `clean_text`; chars = non-whitespace characters; empty = pages with "
        f"fewer than {EMPTY_BELOW}; 3-gram similarity = multiset Jaccard of character 3-grams "
        f"of the whitespace-free texts (shared / all; order-insensitive except at seams). "
        f"Load average at the end {end_load}.",
        "",
        *table(results),
        "",
        "Totals:",
        "",
        *totals(results),
        "",
        "Differences in kind (counts over the cleaned text):",
        "",
        *oddities(results),
        "",
        "Excerpts (about 300 characters each, from the first line where the two texts differ "
        "other than in spacing; the page is the one with the lowest 3-gram similarity among pages "
        "with at least 50 characters in both; wrapped lines go on with two spaces; "
        "U+FFFE shown as <FFFE>):",
        "",
        *excerpts(results),
    ]
    text = "\n".join(lines).rstrip() + "\n"
    print(text)
    if not args.no_append:
        path = ROOT / "bench" / "RESULTS.md"
        existing = path.read_text(encoding="utf-8")
        sep = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(sep + text)


if __name__ == "__main__":
    main()
