"""Hybrid query latency at 10k, 100k and 1M chunks.

    .venv/bin/python bench/query.py [--sizes 10000,100000,1000000] [--store DIR]

Builds one knowledge base through the real catalog (chunks + FTS5) and the real Chroma
store, growing it to each size and measuring there.  Text: real chunks of the SciFact
and RGB corpora (../shared/data), repeated with variations (a random tenth of the
keyword tokens dropped, a copy marker appended).  Vectors: embedding 1M texts would take
hours here, so the real embeddings of the base chunks (taken from the eval caches that
``wenji eval`` builds, or embedded now if there are none) are repeated with a random
perturbation (Gaussian noise, renormalised; cosine ~0.93 to the original).  The output
says so.  Queries: real SciFact and RGB questions, timed end to end through
``Retriever.search`` (query embedding, both lanes, fusion, chunk fetch, merging).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"


def base_chunks(eval_root: Path, embedder, limit_embed: int = 2000):
    """(texts, token strings, vectors) of real chunks: from eval caches when present."""
    from ingest.library import Library
    from retrieval.tokenizer import tokenize

    texts, toks, vecs = [], [], []
    for folder in sorted(eval_root.glob("*/complete.json")) if eval_root.exists() else []:
        lib = Library(folder.parent)
        kb = lib.catalog.kb("beir")
        if kb is None:
            continue
        col = lib.vectors.collection(kb.collection)
        rows = {r["id"]: (r["text"], r["heading"]) for r in lib.catalog.db.execute(
            "SELECT id, text, heading FROM chunks WHERE kb_id = ?", (kb.id,))}
        total = col.count()
        for off in range(0, total, 5000):
            got = col.get(include=["embeddings"], limit=5000, offset=off)
            for cid, emb in zip(got["ids"], got["embeddings"]):
                if cid in rows:
                    texts.append(rows[cid][0])
                    vecs.append(np.asarray(emb, dtype=np.float32))
        lib.close()
        print(f"  base: {folder.parent.name}: {total} real chunks with their embeddings",
              flush=True)
    if not texts:
        print(f"  no eval cache under {eval_root}: embedding {limit_embed} SciFact chunks now",
              flush=True)
        with (DATA / "scifact" / "corpus.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                body = f"{rec['title']}\n{rec['text']}"
                for i in range(0, len(body), 800):
                    texts.append(body[i:i + 800])
                if len(texts) >= limit_embed:
                    break
        vecs = list(embedder.encode(texts))
    t0 = time.perf_counter()
    toks = [tokenize(t).copy() for t in texts]
    print(f"  tokenized {len(texts)} base chunks in {time.perf_counter() - t0:.0f}s", flush=True)
    return texts, toks, np.vstack(vecs).astype(np.float32)


def grow(library, kb, start: int, target: int, texts, toks, vecs, rng: np.random.Generator,
         batch: int = 5000, sigma: float = 0.02, docs_of: int = 20):
    """Add chunks start..target-1 (documents of ``docs_of`` chunks each)."""
    cat, db = library.catalog, library.catalog.db
    n_base = len(texts)
    pyrng = random.Random(start)
    for lo in range(start, target, batch):
        hi = min(target, lo + batch)
        ids, metas, vec_rows = [], [], []
        with cat.transaction():
            for i in range(lo, hi):
                if i % docs_of == 0:
                    cur = db.execute(
                        "INSERT INTO documents (kb_id, path, title, kind, status, chunks, embedder,"
                        " gen, updated) VALUES (?, ?, ?, 'text', 'ready', ?, ?, 1, ?)",
                        (kb.id, f"bench:{i // docs_of}", f"bench document {i // docs_of}",
                         docs_of, kb.embedder, time.time()))
                    doc_id = cur.lastrowid
                    grow.doc_id = doc_id
                doc_id = grow.doc_id
                b = i % n_base
                copy = i // n_base
                text = texts[b] if copy == 0 else f"{texts[b]} [copy {copy}]"
                tk = toks[b] if copy == 0 else [t for t in toks[b] if pyrng.random() > 0.1]
                cid = f"d{doc_id}g1c{i % docs_of}"
                cur = db.execute(
                    "INSERT INTO chunks (id, doc_id, kb_id, idx, page, heading, start, end, text)"
                    " VALUES (?, ?, ?, ?, NULL, NULL, 0, ?, ?)",
                    (cid, doc_id, kb.id, i % docs_of, len(text), text))
                db.execute(f"INSERT INTO {kb.fts_table} (rowid, tokens) VALUES (?, ?)",
                           (cur.lastrowid, " ".join(tk)))
                ids.append(cid)
                metas.append({"doc_id": doc_id, "gen": 1, "idx": i % docs_of})
                vec_rows.append(b)
        v = vecs[vec_rows].copy()
        noisy = np.array([i // n_base > 0 for i in range(lo, hi)])
        if noisy.any():
            v[noisy] += rng.normal(0, sigma, size=(int(noisy.sum()), v.shape[1])).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
        library.vectors.add(kb.collection, ids, v, metas)
        if (hi // batch) % 20 == 0 or hi == target:
            print(f"    {hi} chunks", flush=True)


def load_queries(n: int) -> dict[str, list[str]]:
    out = {}
    for name, lang in (("scifact", "en"), ("rgb_zh", "zh")):
        qs = []
        with (DATA / name / "queries.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                qs.append(json.loads(line)["text"])
        random.Random(7).shuffle(qs)
        out[lang] = qs[:n]
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0


def measure(retriever, kb_name: str, queries: dict[str, list[str]]) -> dict:
    res = {}
    retriever.search("warm up query", kb_name=kb_name)
    for lang, qs in queries.items():
        lat, parts = [], {"embed_ms": [], "keyword_ms": [], "dense_ms": []}
        for q in qs:
            t0 = time.perf_counter()
            retriever.search(q, kb_name=kb_name, k=6)
            lat.append((time.perf_counter() - t0) * 1000)
            for key in parts:
                parts[key].append(retriever.last_timings.get(key, 0.0))
        res[lang] = {"p50_ms": round(pct(lat, 0.5), 1), "p95_ms": round(pct(lat, 0.95), 1),
                     **{f"{k}_p50": round(pct(v, 0.5), 1) for k, v in parts.items()}}
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--store", default="/tmp/wenji-bench-query")
    ap.add_argument("--eval-cache", default=os.environ.get("WENJI_EVAL_CACHE", ""),
                    help="folder of `wenji eval` caches (real base embeddings)")
    ap.add_argument("--queries", type=int, default=40, help="queries per language")
    ap.add_argument("--backend", default="onnx")
    ap.add_argument("--embed-fallback", type=int, default=2000,
                    help="chunks to embed when there is no eval cache")
    ap.add_argument("--models-cache", default="", help="ONNX export cache folder")
    ap.add_argument("--budget-s", type=float, default=1500, help="stop growing after this")
    args = ap.parse_args()

    from ingest.library import Library
    from models.embedder import Embedder
    from retrieval.retriever import Options, Retriever

    sizes = [int(s) for s in args.sizes.split(",")]
    store = Path(args.store)
    if store.exists():
        shutil.rmtree(store)
    embedder = Embedder(backend=args.backend,
                        cache_dir=args.models_cache or store.parent / "wenji-bench-models")
    embedder.encode(["load"])
    eval_root = Path(args.eval_cache) if args.eval_cache else Path("/nonexistent")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, embedder {embedder.name} ({args.backend})", flush=True)
    texts, toks, vecs = base_chunks(eval_root, embedder, args.embed_fallback)
    print(f"vectors: {len(texts)} real embeddings, copies perturbed with N(0, 0.02) noise "
          "(not embeddings of the varied texts)", flush=True)
    library = Library(store)
    kb = library.create_kb("bench", embedder.name)
    queries = load_queries(args.queries)
    rng = np.random.default_rng(0)
    done, results, t_start = 0, {}, time.perf_counter()
    for size in sizes:
        spent = time.perf_counter() - t_start
        if done and spent / done * (size - done) > args.budget_s - spent:
            print(f"skipping {size:,}: at the build rate so far ({done / spent:.0f} chunks/s) "
                  f"it would not finish within the {args.budget_s:.0f}s budget", flush=True)
            break
        t0 = time.perf_counter()
        grow(library, kb, done, size, texts, toks, vecs, rng)
        done = size
        build_s = time.perf_counter() - t0
        row = {"build_s": round(build_s, 1)}
        for label, opts in (("hybrid", Options()),
                            ("hybrid, no expansion", Options(use_keywords=False)),
                            ("keyword only", Options(fusion="keyword")),
                            ("embedding only", Options(fusion="embedding"))):
            row[label] = measure(Retriever(library, embedder, opts), "bench", queries)
        results[size] = row
        print(json.dumps({size: row}, ensure_ascii=False), flush=True)
    disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 1e9
    print(f"store size {disk:.2f} GB", flush=True)
    print("\n| chunks | build s | hybrid p50/p95 en | hybrid p50/p95 zh | no-expansion p50 en/zh "
          "| keyword p50 en/zh | embedding p50 en/zh |")
    print("|---|---|---|---|---|---|---|")
    for size, r in results.items():
        h, n, kw, em = r["hybrid"], r["hybrid, no expansion"], r["keyword only"], r["embedding only"]
        print(f"| {size:,} | {r['build_s']:.0f} | {h['en']['p50_ms']}/{h['en']['p95_ms']} ms | "
              f"{h['zh']['p50_ms']}/{h['zh']['p95_ms']} ms | {n['en']['p50_ms']}/{n['zh']['p50_ms']} | "
              f"{kw['en']['p50_ms']}/{kw['zh']['p50_ms']} | {em['en']['p50_ms']}/{em['zh']['p50_ms']} |")
    library.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
