"""Small real slices of SciFact (English) and RGB (Chinese) for the retrieval tests."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SCIFACT = DATA / "scifact"
RGB = DATA / "rgb_zh"

# SciFact train queries whose relevant abstracts are put into the test slice.
SCIFACT_QUERIES = 8
SCIFACT_FILLERS = 40
RGB_PASSAGES = 110  # p0..p109: the passages of the first queries of the dev split


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _qrels(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            q, d, s = line.rstrip("\n").split("\t")[:3]
            if int(s) > 0:
                out.setdefault(q, set()).add(d)
    return out


class Slice:
    def __init__(self, docs, queries, qrels):
        self.docs = docs  # [(id, title, text)]
        self.queries = queries  # {qid: text}
        self.qrels = qrels  # {qid: {doc ids}}


def scifact_slice() -> Slice:
    qrels = _qrels(SCIFACT / "qrels" / "train.tsv")
    queries = {q["_id"]: q["text"] for q in _jsonl(SCIFACT / "queries.jsonl")}
    chosen = [q for q in sorted(qrels, key=int) if q in queries][:SCIFACT_QUERIES]
    wanted = set().union(*(qrels[q] for q in chosen))
    docs, fillers = [], 0
    for rec in _jsonl(SCIFACT / "corpus.jsonl"):
        if rec["_id"] in wanted:
            docs.append((rec["_id"], rec["title"], rec["text"]))
        elif fillers < SCIFACT_FILLERS:
            fillers += 1
            docs.append((rec["_id"], rec["title"], rec["text"]))
    return Slice(docs, {q: queries[q] for q in chosen}, {q: qrels[q] for q in chosen})


def rgb_slice() -> Slice:
    docs = []
    for rec in _jsonl(RGB / "corpus.jsonl"):
        docs.append((rec["_id"], rec.get("title") or "", rec["text"]))
        if len(docs) >= RGB_PASSAGES:
            break
    ids = {d[0] for d in docs}
    qrels = {q: ds for q, ds in _qrels(RGB / "qrels" / "dev.tsv").items() if ds <= ids}
    queries = {q["_id"]: q["text"] for q in _jsonl(RGB / "queries.jsonl") if q["_id"] in qrels}
    return Slice(docs, queries, {q: qrels[q] for q in queries})


def fill_library(lib, embedder, slices) -> None:
    """The SciFact and RGB slices as knowledge bases "scifact" and "rgb" of ``lib``."""
    from ingest.pipeline import Ingestor
    from ingest.prepare import prepare_text

    ingestor = Ingestor(lib, embedder, chunk_tokens=200, overlap=0.15, embed_batch=64)
    for kb, sl, prefix in (("scifact", slices["scifact"], "scifact:"),
                           ("rgb", slices["rgb"], "rgb:")):
        records = [prepare_text(prefix + i, title, text, model_dir=str(embedder.ensure_folder()),
                                chunk_tokens=200, overlap=0.15) for i, title, text in sl.docs]
        report = ingestor.ingest_prepared(records, kb, total=len(records))
        assert report.count("added") == len(records)
