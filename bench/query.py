"""Hybrid query latency at 10k, 100k and 1M chunks.

    .venv/bin/python bench/query.py [--sizes 10000,100000,1000000] [--store DIR]
                                    [--build-only] [--rebuild]

Builds one knowledge base per size (``DIR/<size>``) through the real catalog (chunks +
FTS5) and the real Chroma store, and measures there.  A store that finished building is
kept and reused by later runs (building 1M chunks takes ~25 min), so variants can be
compared in one run on the same stores; ``--rebuild`` starts over.  Text: real chunks of the SciFact
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


def base_chunks(eval_root: Path, embedder, limit_embed: int = 2000, with_tokens: bool = True):
    """(texts, token strings, vectors) of real chunks: from eval caches when present."""
    from ingest.store.library import Library
    from ingest.analyzer import tokenize

    texts, toks, vecs = [], [], []
    folders = sorted(eval_root.glob("*/complete.json")) if eval_root.exists() else []
    for folder in [f for f in folders if f.parent.name.split("-")[0] in ("rgb_zh", "scifact")]:
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
    if not texts:  # half English (SciFact), half Chinese (RGB), as the queries are
        print(f"  no eval cache under {eval_root}: embedding {limit_embed} SciFact and RGB "
              f"chunks now", flush=True)
        for name in ("scifact", "rgb_zh"):
            limit = len(texts) + limit_embed // 2
            with (DATA / name / "corpus.jsonl").open(encoding="utf-8") as fh:
                for line in fh:
                    rec = json.loads(line)
                    body = f"{rec.get('title', '')}\n{rec['text']}"
                    for i in range(0, len(body), 800):
                        texts.append(body[i:i + 800])
                    if len(texts) >= limit:
                        break
        vecs = list(embedder.encode(texts))
    t0 = time.perf_counter()
    toks = [tokenize(t).copy() for t in texts] if with_tokens else []
    print(f"  tokenized {len(texts)} base chunks in {time.perf_counter() - t0:.0f}s", flush=True)
    return texts, toks, np.vstack(vecs).astype(np.float32)


def grow(library, kb, start: int, target: int, texts, toks, vecs, rng: np.random.Generator,
         batch: int = 5000, sigma: float = 0.02, docs_of: int = 20):
    """Add chunks start..target-1 (documents of ``docs_of`` chunks each), through the
    store writer's import path, so the same code fills the embedded and the server
    stores.

    Chroma writes its whole HNSW index to disk every ``sync_threshold`` (1,000) added
    vectors, so at 1M chunks the build rewrites a 1.5 GB file a thousand times; while
    growing, the threshold is raised to 100,000 and restored afterwards (queries do not
    depend on it)."""
    from ingest.store.catalog import ChunkRow
    from ingest.store.chunk_ids import chunk_id

    cat = library.catalog
    col = library.vectors.collection(kb.collection)
    embedded = library.vectors.path is not None  # a server's HTTP client cannot modify it
    if embedded:
        col.modify(configuration={"hnsw": {"sync_threshold": 100_000}})
    n_base = len(texts)
    pyrng = random.Random(start)
    doc_id = None
    for lo in range(start, target, batch):
        hi = min(target, lo + batch)
        rows, tokens = [], []
        for i in range(lo, hi):
            if i % docs_of == 0 or doc_id is None:
                doc_id = cat.add_imported_document(kb, {
                    "path": f"bench:{i // docs_of}", "title": f"bench document {i // docs_of}",
                    "kind": "text", "status": "ready", "chunks": docs_of,
                    "embedder": kb.embedder, "gen": 1, "updated": time.time()})
            b = i % n_base
            copy = i // n_base
            text = texts[b] if copy == 0 else f"{texts[b]} [copy {copy}]"
            tk = toks[b] if copy == 0 else [t for t in toks[b] if pyrng.random() > 0.1]
            rows.append(ChunkRow(id=chunk_id(doc_id, 1, i % docs_of), doc_id=doc_id,
                                 kb_id=kb.id, index=i % docs_of, page=None, heading=None,
                                 start=0, end=len(text), text=text))
            tokens.append(" ".join(tk))
        library.writer.import_chunks(kb, rows, tokens, perturbed(vecs, lo, hi, rng, sigma), gen=1)
        if (hi // batch) % 20 == 0 or hi == target:
            print(f"    {hi} chunks", flush=True)
    if embedded:
        col.modify(configuration={"hnsw": {"sync_threshold": 1000}})


def perturbed(vecs: np.ndarray, lo: int, hi: int, rng: np.random.Generator,
              sigma: float = 0.02) -> np.ndarray:
    """Vectors of chunks lo..hi-1: the base vector, plus (for every copy after the first)
    Gaussian noise, renormalised.  Drawn batch by batch from one generator, so the
    vectors of a store can be regenerated exactly (for exact-search recall)."""
    n_base = len(vecs)
    v = vecs[np.arange(lo, hi) % n_base].copy()
    noisy = np.arange(lo, hi) // n_base > 0
    if noisy.any():
        v[noisy] += rng.normal(0, sigma, size=(int(noisy.sum()), v.shape[1])).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def all_vectors(vecs: np.ndarray, size: int, batch: int = 5000) -> np.ndarray:
    """Every vector of a store of ``size`` chunks, as ``grow`` made them."""
    rng = np.random.default_rng(0)
    return np.vstack([perturbed(vecs, lo, min(size, lo + batch), rng)
                      for lo in range(0, size, batch)])


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


def measure(retrievers: dict, kb_name: str, queries: dict[str, list[str]],
            passes: int = 1) -> dict:
    """Per variant and language: p50/p95 wall ms, p50 CPU ms and lane p50s.  Variants are
    interleaved query by query, so a change in the machine's load hits all of them alike."""
    for r in retrievers.values():
        r.search("warm up query", kb_name=kb_name)
    keys = ("embed_ms", "keyword_ms", "dense_ms")
    res = {}
    for lang, qs in queries.items():
        rec = {label: {"wall": [], "cpu": [], **{k: [] for k in keys}} for label in retrievers}
        for _ in range(passes):
            for q in qs:
                for label, r in retrievers.items():
                    t0, c0 = time.perf_counter(), time.process_time()
                    r.search(q, kb_name=kb_name, k=6)
                    rec[label]["wall"].append((time.perf_counter() - t0) * 1000)
                    rec[label]["cpu"].append((time.process_time() - c0) * 1000)
                    for k in keys:
                        rec[label][k].append(r.last_timings.get(k, 0.0))
        for label, m in rec.items():
            res.setdefault(label, {})[lang] = {
                "p50_ms": round(pct(m["wall"], 0.5), 1), "p95_ms": round(pct(m["wall"], 0.95), 1),
                "cpu_p50_ms": round(pct(m["cpu"], 0.5), 1),
                **{f"{k}_p50": round(pct(m[k], 0.5), 1) for k in keys}}
    return res


def _median_ms(fn, items) -> tuple[float, float]:
    """Median wall and CPU (this process, all threads) milliseconds of ``fn`` per item."""
    wall, cpu = [], []
    for it in items:
        t0, c0 = time.perf_counter(), time.process_time()
        fn(it)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return round(pct(wall, 0.5), 2), round(pct(cpu, 0.5), 2)


def dense_profile(library, kb, embedder, queries: dict[str, list[str]], base_vecs: np.ndarray,
                  size: int, k: int = 50) -> dict:
    """Where the embedding lane's time goes in Chroma, and HNSW recall@k per language
    against exact search (the store's vectors regenerated as ``grow`` made them).

    ``ef_search`` can be changed with ``collection.modify`` but an index already loaded in
    this process keeps the old value (measured: recall unchanged from ef 16 to 400), so
    other values must be measured from a fresh process."""
    from ingest.store.chunk_ids import chunk_id

    col = library.vectors.collection(kb.collection)
    allv = all_vectors(base_vecs, size)
    ids_of = lambda rows: {chunk_id(r // 20 + 1, 1, r % 20) for r in rows}
    probe = [0, size // 2, size - 1]
    got = col.get(ids=sorted(ids_of(probe)), include=["embeddings"])
    stored = {i: np.asarray(e) for i, e in zip(got["ids"], got["embeddings"])}
    for r in probe:
        cid = next(iter(ids_of([r])))
        if not np.allclose(stored[cid], allv[r], atol=1e-5):
            return {"error": "regenerated vectors differ from the store's; no recall figures"}
    out: dict = {"ef_search": (col.configuration.get("hnsw") or {}).get("ef_search")}
    all_q = []
    for lang, qs in queries.items():
        qvecs = embedder.encode_queries(qs)
        all_q.extend(qvecs)
        exact = [ids_of(np.argsort(-(allv @ q))[:k]) for q in qvecs]
        found = [set(col.query(query_embeddings=[q], n_results=k, include=[])["ids"][0])
                 for q in qvecs]
        out[f"recall@{k} {lang}"] = round(
            sum(len(f & e) for f, e in zip(found, exact)) / (k * len(exact)), 4)
    del allv
    out["count()"] = _median_ms(lambda q: col.count(), all_q[:20])
    for label, include in (("ids+distances", ["distances"]),
                           ("ids+distances+documents+metadatas", ["distances", "documents", "metadatas"])):
        out[f"query {label}"] = _median_ms(
            lambda q: col.query(query_embeddings=[q], n_results=k, include=include), all_q)
    out["query, filter on 20 documents"] = _median_ms(
        lambda q: col.query(query_embeddings=[q], n_results=k, include=["distances"],
                            where={"doc_id": {"$in": list(range(1, 21))}}), all_q[:20])
    return out


def _variants():
    """(label, make retriever) pairs measured side by side."""
    from retrieval.options import RetrievalOptions
    from retrieval.retriever import Retriever

    class CountFirst(Retriever):
        """The embedding lane as before: ``VectorStore.query`` asks Chroma for
        ``count()`` before every search."""

        def _dense_lane(self, query, kb, doc_ids, depth):
            t0 = time.perf_counter()
            vec = self.embedder.encode_queries([query])[0]
            t1 = time.perf_counter()
            pairs = self.library.vectors.query(kb.collection, vec, depth)
            from retrieval.dense import DenseHit

            hits = [DenseHit(c, i + 1, float(d)) for i, (c, d) in enumerate(pairs)]
            return hits, (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000

    return (("hybrid", lambda lib, emb: Retriever(lib, emb, RetrievalOptions())),
            ("hybrid, passages without neighbouring chunks",
             lambda lib, emb: Retriever(lib, emb, RetrievalOptions(window=0))),
            ("hybrid, serial lanes",
             lambda lib, emb: Retriever(lib, emb, RetrievalOptions(parallel_lanes=False))),
            ("hybrid, serial lanes, count() before each Chroma query",
             lambda lib, emb: CountFirst(lib, emb, RetrievalOptions(parallel_lanes=False))),
            ("keyword only",
             lambda lib, emb: Retriever(lib, emb, RetrievalOptions(fusion="keyword"))),
            ("embedding only",
             lambda lib, emb: Retriever(lib, emb, RetrievalOptions(fusion="embedding"))))


VARIANTS = ()


def compare_ef(store: Path, embedder, queries: dict[str, list[str]], base_vecs: np.ndarray,
               size: int, values: list[int], passes: int, turns: int = 2) -> None:
    """Latency and recall@50 of each ``ef_search`` value, in turns (A B A B) so load
    changes hit every value alike; medians over the turns.  Chroma keeps a loaded index
    with its old ``ef_search``, so each turn reopens the store in a new Chroma system
    (``VectorStore`` applies ``EF_SEARCH`` when it opens the collection)."""
    import statistics

    import ingest.store.vectors as vectors_mod
    from chromadb.api.client import SharedSystemClient
    from ingest.store.library import Library
    from retrieval.options import RetrievalOptions
    from retrieval.retriever import Retriever

    default = vectors_mod.EF_SEARCH
    got: dict[int, list[dict]] = {v: [] for v in values}
    try:
        for _ in range(turns):
            for ef in values:
                vectors_mod.EF_SEARCH = ef
                SharedSystemClient.clear_system_cache()
                library = Library(store)
                kb = library.catalog.kb("bench")
                load = os.getloadavg()[0]
                prof = dense_profile(library, kb, embedder, queries, base_vecs, size)
                m = measure({"hybrid": Retriever(library, embedder, RetrievalOptions()),
                             "embedding only": Retriever(library, embedder,
                                                         RetrievalOptions(fusion="embedding"))},
                            "bench", queries, passes=passes)
                m["load"] = round((load + os.getloadavg()[0]) / 2, 1)
                m["recall"] = {k: v for k, v in prof.items() if k.startswith("recall")}
                got[ef].append(m)
                library.close()
    finally:
        vectors_mod.EF_SEARCH = default
        SharedSystemClient.clear_system_cache()
    med = lambda xs: round(statistics.median(xs), 1)
    base = values[0]
    print(f"\n| chunks | ef_search | load | hybrid p50 / p95 en | hybrid p50 / p95 zh "
          f"| embedding only p50 en | recall@50 en / zh | hybrid p50 en vs ef {base} |")
    print("|---|---:|---:|---|---|---:|---|---:|")
    ref = med([m["hybrid"]["en"]["p50_ms"] for m in got[base]])
    for ef in values:
        runs = got[ef]
        h = lambda lang, q: med([m["hybrid"][lang][q] for m in runs])
        p50 = h("en", "p50_ms")
        print(f"| {size:,} | {ef} | {med([m['load'] for m in runs])} | {p50} / {h('en', 'p95_ms')} ms "
              f"| {h('zh', 'p50_ms')} / {h('zh', 'p95_ms')} ms "
              f"| {med([m['embedding only']['en']['p50_ms'] for m in runs])} ms "
              f"| {runs[0]['recall'].get('recall@50 en')} / {runs[0]['recall'].get('recall@50 zh')} "
              f"| {p50 / ref:.2f}x |", flush=True)


def print_table(results: dict) -> None:
    labels = [label for label, _ in VARIANTS]
    print("\n| chunks | variant | load | p50 / p95 en | p50 / p95 zh | CPU p50 en / zh "
          "| lanes p50 en: embed / keyword / dense | lanes p50 zh |")
    print("|---|---|---:|---|---|---|---|---|")
    for size, r in results.items():
        for label in labels:
            m = r[label]
            lanes = {lang: " / ".join(str(m[lang][f"{k}_p50"]) for k in
                                      ("embed_ms", "keyword_ms", "dense_ms")) for lang in ("en", "zh")}
            print(f"| {size:,} | {label} | {m['load']} | {m['en']['p50_ms']} / {m['en']['p95_ms']} ms "
                  f"| {m['zh']['p50_ms']} / {m['zh']['p95_ms']} ms "
                  f"| {m['en']['cpu_p50_ms']} / {m['zh']['cpu_p50_ms']} ms | {lanes['en']} | {lanes['zh']} |")


def _setup(args, what: str):
    """(store root, loaded embedder, eval cache root), after printing the run's header."""
    from models.embedder_pair import open_embedder

    store_root = Path(args.store)
    embedder = open_embedder(args.embedder or None, backend=args.embedder_backend,
                             cache_dir=args.models_cache or store_root.parent / "wenji-bench-models")
    embedder.encode(["load"])
    eval_root = Path(args.eval_cache) if args.eval_cache else Path("/nonexistent")
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"embedder {embedder.name} {what}", flush=True)
    return store_root, embedder, eval_root


def compare_backends(args) -> int:
    """Each size built in both stores (the embedded one in ``--store``, kept; the server
    one afresh), then the same queries on both, in turns: a same-run ratio."""
    from ingest.store.library import Library
    from bench.servers import shared_stores
    from retrieval.retriever import Retriever

    with shared_stores(args.pg, args.chroma_url, args.chroma_token) as make_store:
        store_root, embedder, eval_root = _setup(
            args, "embedded vs server (PostgreSQL + Chroma server on this machine)")
        queries = load_queries(args.queries)
        base = base_chunks(eval_root, embedder, args.embed_fallback)
        rows = {}
        for size in [int(x) for x in args.sizes.split(",")]:
            libraries, builds = {}, {}
            for label in ("embedded", "server"):
                if label == "embedded":
                    folder = store_root / f"both-{size}"
                    shutil.rmtree(folder, ignore_errors=True)
                    library = Library(folder)
                else:
                    library = Library(store_root / f"both-{size}-local",
                                      make_store(f"bench_{size}"))
                kb = library.create_kb("bench", embedder.name)
                t0 = time.perf_counter()
                grow(library, kb, 0, size, *base, np.random.default_rng(0))
                builds[label] = time.perf_counter() - t0
                libraries[label] = library
                print(f"built {size:,} chunks, {label}: {builds[label]:.0f}s "
                      f"({size / builds[label]:,.0f} chunks/s)", flush=True)
            got = measure({label: Retriever(lib, embedder) for label, lib in libraries.items()},
                          "bench", queries, passes=args.passes)
            rows[size] = (got, builds)
            for label, m in got.items():
                print(f"  {size:,} {label}: {json.dumps(m, ensure_ascii=False)}", flush=True)
            for lib in libraries.values():
                lib.close()
        print("\n| chunks | store | build (chunks/s) | p50 / p95 en | p50 / p95 zh | "
              "server / embedded p50 en, zh |")
        print("|---|---|---:|---|---|---|")
        for size, (got, builds) in rows.items():
            for label in ("embedded", "server"):
                m, e = got[label], got["embedded"]
                ratio = " / ".join(f"{m[l]['p50_ms'] / max(e[l]['p50_ms'], 1e-9):.2f}"
                                   for l in ("en", "zh"))
                print(f"| {size:,} | {label} | {size / builds[label]:,.0f} | "
                      f"{m['en']['p50_ms']} / {m['en']['p95_ms']} ms | "
                      f"{m['zh']['p50_ms']} / {m['zh']['p95_ms']} ms | {ratio} |")
    return 0


def main() -> int:
    global VARIANTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--store", default="/tmp/wenji-bench-query")
    ap.add_argument("--eval-cache", default=os.environ.get("WENJI_EVAL_CACHE", ""),
                    help="folder of `wenji eval` caches (real base embeddings)")
    ap.add_argument("--queries", type=int, default=40, help="queries per language")
    from app.settings import ModelSettings

    ap.add_argument("--embedder-backend", default=ModelSettings().embedder_backend,
                    help="query embedder backend (default: the settings' default)")
    ap.add_argument("--backend", choices=["embedded", "server"], default="embedded",
                    help="server: build each size on a PostgreSQL + Chroma server too, and "
                    "time both stores in the same run, query by query in turns")
    ap.add_argument("--pg", default="", metavar="CONNINFO",
                    help="with --backend server: this (empty) database; default: a "
                    "throwaway PostgreSQL started for the run")
    ap.add_argument("--chroma-url", default="", help="with --pg: the Chroma server")
    ap.add_argument("--chroma-token", default=os.environ.get("WENJI_SHARED_TOKEN", ""))
    ap.add_argument("--embedder", default="",
                    help="bundled name or folder (default: the default embedder)")
    ap.add_argument("--embed-fallback", type=int, default=2000,
                    help="chunks to embed when there is no eval cache")
    ap.add_argument("--models-cache", default="", help="ONNX export cache folder")
    ap.add_argument("--build-only", action="store_true", help="build missing stores, no timing")
    ap.add_argument("--rebuild", action="store_true", help="rebuild stores that exist")
    ap.add_argument("--passes", type=int, default=2, help="passes over the queries")
    ap.add_argument("--dense-profile", action="store_true",
                    help="also time Chroma's parts and measure HNSW recall per ef_search")
    ap.add_argument("--ef-search", default="", metavar="LIST",
                    help="compare these HNSW ef_search values (e.g. 96,1000) instead of the "
                    "variants: hybrid and embedding-only latency and recall@50, in turns")
    args = ap.parse_args()
    VARIANTS = _variants()
    if args.backend == "server":
        return compare_backends(args)

    from ingest.store.library import Library
    sizes = [int(s) for s in args.sizes.split(",")]
    store_root, embedder, eval_root = _setup(args, f"({args.embedder_backend})")
    queries = load_queries(args.queries)
    base = vectors = None
    results = {}
    for size in sizes:
        store = store_root / str(size)
        mark = store / "built.json"
        if args.rebuild or not mark.exists():
            if base is None:
                base = base_chunks(eval_root, embedder, args.embed_fallback)
                print(f"vectors: {len(base[0])} real embeddings, copies perturbed with "
                      "N(0, 0.02) noise (not embeddings of the varied texts)", flush=True)
            if store.exists():
                shutil.rmtree(store)
            library = Library(store)
            kb = library.create_kb("bench", embedder.name)
            t0 = time.perf_counter()
            grow(library, kb, 0, size, *base, np.random.default_rng(0))
            build_s = time.perf_counter() - t0
            disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file()) / 1e9
            mark.write_text(json.dumps({"chunks": size, "build_s": round(build_s, 1),
                                        "gb": round(disk, 2), "load": os.getloadavg()}))
            print(f"built {size:,} chunks in {build_s:.0f}s ({disk:.2f} GB)", flush=True)
        else:
            library = Library(store)
        built = json.loads(mark.read_text())
        if args.build_only:
            library.close()
            continue
        row = {"build_s": built["build_s"]}
        if (args.ef_search or args.dense_profile) and vectors is None:
            vectors = (base or base_chunks(eval_root, embedder, args.embed_fallback,
                                           with_tokens=False))[2]
        if args.ef_search:
            library.close()
            compare_ef(store, embedder, queries, vectors, size,
                       [int(v) for v in args.ef_search.split(",")], args.passes)
            continue
        if args.dense_profile:
            kb = library.catalog.kb("bench")
            load = os.getloadavg()[0]
            prof = dense_profile(library, kb, embedder, queries, vectors, size)
            prof["load"] = round((load + os.getloadavg()[0]) / 2, 1)
            print(f"  {size:,} dense lane profile (median wall, cpu ms): "
                  f"{json.dumps(prof)}", flush=True)
        load = os.getloadavg()[0]
        got = measure({label: make(library, embedder) for label, make in VARIANTS},
                      "bench", queries, passes=args.passes)
        load = round((load + os.getloadavg()[0]) / 2, 1)
        for label, m in got.items():
            row[label] = {**m, "load": load}
            print(f"  {size:,} {label}: {json.dumps(row[label], ensure_ascii=False)}", flush=True)
        results[size] = row
        library.close()
    if results:
        print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
