"""BEIR-style evaluation: build (and cache) a knowledge base from a corpus folder, run the
queries that have judgments in a split, and compute nDCG@10, Recall@10/100, MRR@10 and
latency.  Each corpus record becomes one document keyed ``beir:<_id>``; a document is
ranked by its best chunk.

Embedding a corpus takes minutes, so the built library is cached under a cache folder
(by default the Wenji data folder) keyed by the corpus file's hash, the embedder name and
the chunk settings.  The keyword index depends on the tokenizer only, so a tokenizer
change re-tokenizes the cached chunks instead of re-embedding them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ingest.store.chunk_ids import parse_chunk_id
from models.hashing import file_sha256

log = logging.getLogger(__name__)

KB_NAME = "beir"
DOC_PREFIX = "beir:"
# How keyword rows of corpus records are made: every chunk after the first also carries
# the record's title (as a Markdown chunk carries its heading path).  Bump on change, so
# that cached builds are rebuilt.
KEYWORD_FORMAT = "title-per-chunk/2"


class EvalError(Exception):
    """A problem with the evaluation folder; the message is for the user."""


@dataclass
class BeirSet:
    root: Path
    corpus_path: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {corpus id: grade}


def load_beir(root: str | Path, split: str) -> BeirSet:
    root = Path(root)
    corpus = root / "corpus.jsonl"
    queries_path = root / "queries.jsonl"
    qrels_path = root / "qrels" / f"{split}.tsv"
    for p in (corpus, queries_path):
        if not p.exists():
            raise EvalError(f"{root}: not a BEIR folder (no {p.name})")
    if not qrels_path.exists():
        splits = sorted(q.stem for q in (root / "qrels").glob("*.tsv")) if (root / "qrels").is_dir() else []
        raise EvalError(f"{root}: no split {split!r} (qrels/{split}.tsv); available: "
                        + (", ".join(splits) or "none"))
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            if n == 0 and not parts[2].strip().lstrip("-").isdigit():
                continue  # header
            qid, did, score = parts[0], parts[1], int(parts[2])
            qrels.setdefault(qid, {})[did] = score
    queries: dict[str, str] = {}
    with queries_path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                if str(rec["_id"]) in qrels:
                    queries[str(rec["_id"])] = rec["text"]
    qrels = {q: d for q, d in qrels.items() if q in queries and any(g > 0 for g in d.values())}
    if not qrels:
        raise EvalError(f"{qrels_path}: no judged query found in queries.jsonl")
    return BeirSet(root=root, corpus_path=corpus, queries=queries, qrels=qrels)


def iter_corpus(path: Path) -> Iterable[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                yield str(rec["_id"]), rec.get("title") or "", rec.get("text") or ""


def cache_key(corpus: Path, embedder_name: str, chunk_tokens: int, overlap: float,
              build: str = "") -> str:
    raw = f"{file_sha256(corpus)}|{embedder_name}|{chunk_tokens}|{overlap}|{build}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def build_fingerprint(embedder) -> str:
    """What else decides a cached build: the embedder's backend (and ONNX export version),
    its vector layout (the pair's) and the code that cleans and splits the records.
    Without it a cache built by the torch backend, or by older splitting code, was
    silently reused (a SciFact figure measured that way could not be reproduced from a
    clean data folder)."""
    from models.onnx_embedder import EXPORT_VERSION

    backend = str(getattr(embedder, "backend", ""))
    parts = [backend, EXPORT_VERSION if backend.startswith("onnx") else ""]
    if getattr(embedder, "vector_format", None):
        parts.append(embedder.vector_format)
    ingest_dir = Path(__file__).resolve().parents[1] / "ingest"
    for name in ("loaders.py", "splitter.py", "prepare.py", "index_text.py"):
        parts.append(hashlib.sha256((ingest_dir / name).read_bytes()).hexdigest()[:12])
    return "|".join(parts)


def build_library(beir: BeirSet, embedder, cache_root: Path, *, chunk_tokens: int = 200,
                  overlap: float = 0.15, embed_batch: int = 64, rebuild: bool = False,
                  progress: Callable[[str], None] | None = None):
    """Return an open ``Library`` holding the corpus in knowledge base ``beir`` (cached)."""
    from ingest.store.library import Library
    from ingest.pipeline import Ingestor
    from ingest.prepare import prepare_text

    say = progress or (lambda msg: None)
    key = cache_key(beir.corpus_path, embedder.name, chunk_tokens, overlap,
                    build_fingerprint(embedder))
    folder = Path(cache_root) / f"{beir.root.name}-{key}"
    done_mark = folder / "complete.json"
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    if folder.exists() and not done_mark.exists():
        shutil.rmtree(folder)  # an interrupted build: start over
    if done_mark.exists():
        library = Library(folder)
        refresh_keywords(library, folder)
        return library, folder, False
    folder.mkdir(parents=True, exist_ok=True)
    library = Library(folder)
    ingestor = Ingestor(library, embedder, chunk_tokens=chunk_tokens, overlap=overlap,
                        embed_batch=embed_batch)
    records = list(iter_corpus(beir.corpus_path))
    model_dir = str(embedder.ensure_folder())
    t0 = time.perf_counter()
    last = [0.0]

    def on_progress(p):
        now = time.perf_counter()
        if now - last[0] > 10:
            last[0] = now
            say(f"  embedding: {p.files_done}/{len(records)} records, {p.chunks_done} chunks, "
                f"{now - t0:.0f}s")

    def prepared_records():
        for rid, title, text in records:
            yield prepare_text(DOC_PREFIX + rid, title, text, model_dir=model_dir,
                               chunk_tokens=chunk_tokens, overlap=overlap)

    prepared = prepared_records()
    report = ingestor.ingest_prepared(prepared, KB_NAME, on_progress=on_progress,
                                      total=len(records))
    done_mark.write_text(json.dumps({
        "corpus": str(beir.corpus_path), "embedder": embedder.name,
        "chunk_tokens": chunk_tokens, "overlap": overlap, "records": len(records),
        "chunks": report.chunks, "seconds": round(time.perf_counter() - t0, 1),
        "tokenizer": _keyword_version()}, indent=1))
    return library, folder, True


def _keyword_version() -> str:
    from ingest.analyzer import TOKENIZER_VERSION

    return f"{TOKENIZER_VERSION}/{KEYWORD_FORMAT}"


def refresh_keywords(library, folder: Path) -> bool:
    """Re-tokenize the keyword index of a cached library built with an older tokenizer."""
    from ingest.analyzer import tokenize

    mark = folder / "complete.json"
    meta = json.loads(mark.read_text())
    if meta.get("tokenizer") == _keyword_version():
        return False
    kb = library.catalog.kb(KB_NAME)
    if kb is None:
        return False
    library.catalog.retokenize(kb, tokenize, kb.tokenizer)
    meta["tokenizer"] = _keyword_version()
    mark.write_text(json.dumps(meta, indent=1))
    return True


# --- metrics ----------------------------------------------------------------------------

def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int) -> float:
    relevant = {d for d, g in rels.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


@dataclass
class EvalResult:
    ndcg10: float
    recall10: float
    recall100: float
    mrr10: float
    p50_ms: float
    p95_ms: float
    queries: int
    per_query: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"ndcg@10": round(self.ndcg10, 4), "recall@10": round(self.recall10, 4),
                "recall@100": round(self.recall100, 4), "mrr@10": round(self.mrr10, 4),
                "p50_ms": round(self.p50_ms, 1), "p95_ms": round(self.p95_ms, 1),
                "queries": self.queries}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = int(math.floor(pos)), int(math.ceil(pos))
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def search_documents(retriever, query: str, kb_name: str | None = KB_NAME, k: int = 100,
                     depth: int | None = None) -> list[str]:
    """Document paths ranked by their best chunk (each lane first reduced to documents):
    BEIR judges whole corpus records, which Wenji splits into chunks."""
    depth = depth or max(retriever.options.depth, 2 * k)
    docs, lanes = retriever.lanes(query, kb_name, depth)
    kw: dict[int, float] = {}
    for h in lanes.keyword:
        c = lanes.rowid_chunk.get(h.rowid)
        if c and c[1] in docs and c[1] not in kw:
            kw[c[1]] = h.score
    de: dict[int, float] = {}
    for h in lanes.dense:
        key = parse_chunk_id(h.chunk_id)
        if key is not None:
            d = key.doc_id
            if d in docs and d not in de:
                de[d] = h.similarity
    fused = retriever.fuse(query, list(kw.items()), list(de.items()))
    return [docs[f.key][0] for f in fused[:k]]


def evaluate(retriever, beir: BeirSet, *, limit_queries: int = 0, depth: int = 100,
             progress: Callable[[str], None] | None = None) -> EvalResult:
    """Rank documents (by best chunk) for every judged query and score them."""
    qids = sorted(beir.qrels, key=lambda q: (len(q), q))
    if limit_queries:
        qids = qids[:limit_queries]
    nd, r10, r100, mrr, lat = [], [], [], [], []
    per_query = {}
    search_documents(retriever, "warm up", k=10)  # loads the model, opens the index
    for n, qid in enumerate(qids):
        t0 = time.perf_counter()
        ranked = search_documents(retriever, beir.queries[qid], k=depth)
        lat.append((time.perf_counter() - t0) * 1000)
        ranked = [p[len(DOC_PREFIX):] if p.startswith(DOC_PREFIX) else p for p in ranked]
        rels = beir.qrels[qid]
        nd.append(ndcg_at(ranked, rels))
        per_query[qid] = nd[-1]
        r10.append(recall_at(ranked, rels, 10))
        r100.append(recall_at(ranked, rels, 100))
        mrr.append(mrr_at(ranked, rels))
        if progress and (n + 1) % 200 == 0:
            progress(f"  {n + 1}/{len(qids)} queries")
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0
    return EvalResult(mean(nd), mean(r10), mean(r100), mean(mrr), percentile(lat, 0.5),
                      percentile(lat, 0.95), len(qids), per_query)
