"""Does the int8 ONNX embedder lose retrieval quality against fp32 PyTorch?

Embeds every SciFact document (title + abstract, truncated by the model at 256 tokens)
and every train query with both backends of the bundled MiniLM, and reports dense-only
nDCG@10 for each, in the same run.  The embedder only affects the embedding lane, so this
bounds what int8 can cost the fused ranking.  Appends to bench/RESULTS.md.

    .venv/bin/python bench/embedder_quality.py [--beir ../shared/data/scifact --split train]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def ndcg_at_10(ranked: list[str], relevant: dict[str, int]) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--beir", type=Path, default=REPO.parent / "shared/data/scifact")
    ap.add_argument("--split", default="train")
    args = ap.parse_args()
    from models.embedder import Embedder

    corpus = [json.loads(l) for l in (args.beir / "corpus.jsonl").read_text().splitlines() if l]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (args.beir / "queries.jsonl").read_text().splitlines())}
    qrels: dict[str, dict[str, int]] = {}
    for line in (args.beir / "qrels" / f"{args.split}.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, {})[did] = int(score)
    qids = [q for q in qrels if q in queries]
    doc_ids = [d["_id"] for d in corpus]
    texts = [f"{d.get('title', '')}\n{d['text']}".strip() for d in corpus]
    results = {}
    for backend in ("torch", "onnx"):
        emb = Embedder(backend=backend, cache_dir=Path(tempfile.gettempdir()) / "wenji-bench-embedders")
        emb.load()
        t0 = time.perf_counter()
        dv = emb.encode(texts, batch_size=32)
        seconds = time.perf_counter() - t0
        qv = emb.encode_queries([queries[q] for q in qids], batch_size=32)
        scores = qv @ dv.T
        ndcg = [ndcg_at_10([doc_ids[i] for i in np.argsort(-scores[r])[:10]], qrels[q])
                for r, q in enumerate(qids)]
        results[backend] = (float(np.mean(ndcg)), seconds, dv)
        print(f"{backend}: dense nDCG@10 {np.mean(ndcg):.4f}, corpus embedding {seconds:.0f} s", flush=True)
    from models.onnx_embedder import EXPORT_VERSION  # its comment says what each version is

    cos = float(np.mean(np.sum(results["torch"][2] * results["onnx"][2], axis=1)))
    drop = results["torch"][0] - results["onnx"][0]
    lines = [f"\n## Embedder backends on {args.beir.name} {args.split} — {time.strftime('%Y-%m-%d %H:%M')} UTC\n",
             "Dense lane only (whole documents, title + abstract, 256-token model limit), "
             f"{len(qids)} queries, {len(doc_ids)} documents, same run:\n",
             f"Load average at the end: {os.getloadavg()[0]:.1f}.\n",
             "| backend | dense nDCG@10 | corpus embedding s |", "|---|---:|---:|",
             f"| fp32 PyTorch | {results['torch'][0]:.4f} | {results['torch'][1]:.0f} |",
             f"| int8 ONNX (export v{EXPORT_VERSION}, per-channel dynamic) | {results['onnx'][0]:.4f} | {results['onnx'][1]:.0f} |",
             "", f"- nDCG@10 change int8 vs fp32: {-drop:+.4f} (limit: a drop of at most 0.005)",
             f"- speed: int8 / fp32 = {results['torch'][1] / results['onnx'][1]:.2f}x faster",
             f"- mean cosine between the two backends' document vectors: {cos:.4f}"]
    text = "\n".join(lines)
    print(text)
    with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
