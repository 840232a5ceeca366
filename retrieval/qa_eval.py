"""Question sets with gold answers over a folder of real documents (``wenji eval --qa``).

BEIR sets judge whole records; a person's library is a folder of look-alike files, and
what matters there is whether the passages come from the right file and carry the
figures of the answer.  A set is a CSV file with the columns ``Question``, ``Source Docs``
(a file-name pattern such as ``*2023 Q2 AMZN*``), ``Question Type`` and ``Answer``.  Two
measures at top k:

* *document hit*: some passage comes from a file whose name matches the pattern;
* *figure recall*: the share of the gold answer's figures (numbers of 3+ digits, commas
  removed, years 2010-2029 left out) that occur in the passages' text.  Questions whose
  answer has no such figure do not count towards it.

The documents are ingested once into a library under a cache folder, keyed by the folder,
the embedder and the code that splits files; ingest is incremental, so a changed file is
re-read the next time.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from retrieval.evaluation import EvalError, build_fingerprint, percentile

COLUMNS = ("Question", "Source Docs", "Question Type", "Answer")
KB_NAME = "qa"
# A figure: digits with optional thousands commas and decimals ("82,959", "1,234.5").
_NUMBER = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")


@dataclass
class QAItem:
    question: str
    source_pattern: str  # a file-name pattern, e.g. "*2023 Q2 AMZN*"
    qtype: str
    answer: str


def load_qa(path: str | Path) -> list[QAItem]:
    """The questions of a CSV set; a missing file or column is named in the error."""
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise EvalError(f"{path}: missing column(s) {', '.join(missing)} "
                            f"(needs {', '.join(COLUMNS)})")
        items = [QAItem(row["Question"].strip(), row["Source Docs"].strip(),
                        row["Question Type"].strip(), row["Answer"])
                 for row in reader if row["Question"].strip()]
    if not items:
        raise EvalError(f"{path}: no questions")
    return items


def _numbers(text: str) -> set[str]:
    """Every number in ``text``, thousands commas removed ("82,959" -> "82959")."""
    return {m.group().rstrip(",").replace(",", "") for m in _NUMBER.finditer(text)}


def figures(text: str) -> set[str]:
    """The numbers of 3+ digits in ``text``, commas removed, years 2010-2029 left out."""
    return {n for n in _numbers(text)
            if sum(ch.isdigit() for ch in n) >= 3 and not re.fullmatch(r"20[12]\d", n)}


def figure_recall(gold: set[str], passages: list[str]) -> float:
    """Share of ``gold`` figures that occur as whole numbers in the passages' text."""
    if not gold:
        return 0.0
    found = set().union(*map(_numbers, passages))
    return len(gold & found) / len(gold)


def document_hit(pattern: str, sources: list[str]) -> bool:
    """Whether a source file's name matches the question's pattern."""
    return any(fnmatch.fnmatch(Path(s).name, pattern) for s in sources)


@dataclass
class QAResult:
    k: int
    document_hit: float
    figure_recall: float
    questions: int
    with_figures: int
    p50_ms: float
    p95_ms: float
    chars: float  # characters of passage text per question (what a model must read)
    by_type: dict[str, dict] = field(default_factory=dict)
    per_question: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"k": self.k, "document_hit": round(self.document_hit, 4),
                "figure_recall": round(self.figure_recall, 4), "questions": self.questions,
                "with_figures": self.with_figures, "p50_ms": round(self.p50_ms, 1),
                "p95_ms": round(self.p95_ms, 1), "chars": round(self.chars),
                "by_type": self.by_type}


def _summary(rows: list[dict]) -> dict:
    with_figures = [r for r in rows if r["figures"]]
    return {"questions": len(rows),
            "document_hit": round(sum(r["document_hit"] for r in rows) / len(rows), 4),
            "figure_recall": round(sum(r["figure_recall"] for r in with_figures)
                                   / len(with_figures), 4) if with_figures else 0.0,
            "with_figures": len(with_figures)}


def evaluate_qa(retriever, items: list[QAItem], *, kb_name: str = KB_NAME, k: int = 6,
                progress: Callable[[str], None] | None = None) -> QAResult:
    """Search every question (top ``k`` passages) and score the two measures."""
    retriever.search("warm up", kb_name=kb_name, k=k)  # loads the model, opens the index
    rows, latencies = [], []
    for n, item in enumerate(items):
        t0 = time.perf_counter()
        hits = retriever.search(item.question, kb_name=kb_name, k=k)
        latencies.append((time.perf_counter() - t0) * 1000)
        gold = figures(item.answer)
        rows.append({"question": item.question, "type": item.qtype,
                     "pattern": item.source_pattern,
                     "sources": [Path(h.path).name for h in hits],
                     "document_hit": document_hit(item.source_pattern, [h.path for h in hits]),
                     "figures": len(gold), "chars": sum(len(h.text) for h in hits),
                     "figure_recall": figure_recall(gold, [h.text for h in hits])})
        if progress and (n + 1) % 20 == 0:
            progress(f"  {n + 1}/{len(items)} questions")
    by_type: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    total = _summary(rows)
    return QAResult(k=k, document_hit=total["document_hit"],
                    figure_recall=total["figure_recall"], questions=len(rows),
                    with_figures=total["with_figures"], p50_ms=percentile(latencies, 0.5),
                    p95_ms=percentile(latencies, 0.95),
                    chars=sum(r["chars"] for r in rows) / len(rows),
                    by_type={t: _summary(rs) for t, rs in sorted(by_type.items())},
                    per_question=rows)


def build_qa_library(docs: str | Path, embedder, cache_root: Path, *,
                     chunk_tokens: int = 200, overlap: float = 0.15, embed_batch: int = 64,
                     progress: Callable[[str], None] | None = None):
    """An open ``Library`` with every file of ``docs`` in knowledge base ``qa``; the
    report of the (incremental) ingest says what was added and what failed."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    docs = Path(docs).expanduser().resolve()
    if not docs.is_dir():
        raise EvalError(f"{docs}: not a folder")
    raw = f"{docs}|{embedder.name}|{chunk_tokens}|{overlap}|{build_fingerprint(embedder)}"
    folder = Path(cache_root) / f"qa-{docs.name}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"
    folder.mkdir(parents=True, exist_ok=True)
    library = Library(folder)
    ingestor = Ingestor(library, embedder, chunk_tokens=chunk_tokens, overlap=overlap,
                        embed_batch=embed_batch)
    say = progress or (lambda msg: None)
    t0, last = time.perf_counter(), [0.0]

    def on_progress(p):
        now = time.perf_counter()
        if now - last[0] > 10:
            last[0] = now
            say(f"  ingest: {p.files_done} files, {p.chunks_done} chunks, {now - t0:.0f}s")

    report = ingestor.run([docs], KB_NAME, on_progress=on_progress)
    return library, folder, report
