"""``wenji eval --beir DIR --split NAME``: retrieval quality on a BEIR-style folder.

The corpus is ingested once into a cached library inside the data folder (keyed by the
corpus hash, the embedder and the chunk settings), so evaluating other fusion settings
does not re-embed; ``--rebuild`` forces a new build.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from app.context import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("eval", help="measure retrieval on a BEIR-style folder",
                              description="Ingest a BEIR folder (corpus.jsonl, queries.jsonl, "
                              "qrels/SPLIT.tsv) into a cached knowledge base and print nDCG@10, "
                              "Recall@10, Recall@100, MRR@10 and query latency.")
    p.add_argument("--beir", required=True, metavar="DIR", help="BEIR-style folder")
    p.add_argument("--split", default="test", help="qrels split (default: test)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--fusion", choices=["adaptive", "rrf", "keyword", "embedding"],
                   help="fusion method (default: settings)")
    p.add_argument("--no-expansion", action="store_true",
                   help="switch keyword expansion off")
    p.add_argument("--no-feedback", action="store_true",
                   help="switch keyword pseudo-relevance feedback off")
    p.add_argument("--feedback-weight", type=float, metavar="B",
                   help="weight of keyword feedback (scaled by distrust in the embedder)")
    p.add_argument("--expand-embedding", type=float, metavar="ALPHA",
                   help="mix keyword embeddings into the query vector with this weight")
    p.add_argument("--dense-weight", type=float, metavar="W",
                   help="dense weight of adaptive fusion (default: tuned value)")
    p.add_argument("--bm25", nargs=2, type=float, metavar=("K1", "B"),
                   help="BM25 parameters of the keyword lane (default: 0.9 0.4)")
    p.add_argument("--serial-lanes", action="store_true",
                   help="run the keyword lane before the embedding lane, not beside it")
    p.add_argument("--limit-queries", type=int, default=0, metavar="N",
                   help="evaluate only the first N judged queries")
    p.add_argument("--rebuild", action="store_true", help="re-ingest even if cached")
    p.set_defaults(func=handler)


def handler(args, ctx) -> int:
    from pathlib import Path

    from app.commands.search import open_embedder
    from retrieval.evaluation import EvalError, build_library, evaluate, load_beir
    from retrieval.retriever import Options, RetrievalError, Retriever

    say = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    try:
        beir = load_beir(Path(args.beir).expanduser(), args.split)
    except EvalError as exc:
        raise UserError(str(exc)) from exc
    embedder = open_embedder(ctx)
    ing = ctx.settings.ingest
    say(f"{beir.root.name}/{args.split}: {len(beir.qrels)} judged queries")
    library, folder, built = build_library(
        beir, embedder, ctx.home.root / "eval", chunk_tokens=ing.chunk_tokens,
        overlap=ing.chunk_overlap, embed_batch=ing.embed_batch, rebuild=args.rebuild,
        progress=say)
    say(("built" if built else "using cached") + f" knowledge base in {folder}")
    options = Options.from_settings(ctx.settings.retrieval)
    if args.fusion:
        options.fusion = args.fusion
    if args.no_expansion:
        options.use_keywords = False
    if args.no_feedback:
        options.prf_weight = 0.0
    if args.feedback_weight is not None:
        options.prf_weight = args.feedback_weight
    if args.expand_embedding is not None:
        options.expand_embedding = args.expand_embedding
    if args.dense_weight is not None:
        options.dense_weight = args.dense_weight
    if args.bm25:
        options.bm25_k1, options.bm25_b = args.bm25
    if args.serial_lanes:
        options.parallel_lanes = False
    try:
        retriever = Retriever(library, embedder, options)
        result = evaluate(retriever, beir, limit_queries=args.limit_queries, progress=say)
    except RetrievalError as exc:
        raise UserError(str(exc)) from exc
    finally:
        library.close()
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        d = result.as_dict()
        print(f"fusion {options.fusion}, expansion {'on' if options.use_keywords else 'off'}, "
              f"feedback {options.prf_weight:g}, {d['queries']} queries")
        print(f"nDCG@10 {d['ndcg@10']:.4f}  Recall@10 {d['recall@10']:.4f}  "
              f"Recall@100 {d['recall@100']:.4f}  MRR@10 {d['mrr@10']:.4f}")
        print(f"latency p50 {d['p50_ms']:.1f} ms  p95 {d['p95_ms']:.1f} ms")
    return 0
