"""``wenji eval``: retrieval quality on a BEIR-style folder (``--beir DIR --split NAME``)
or on questions with gold answers about a folder of documents (``--qa FILE.csv``).

The corpus or folder is ingested once into a cached library inside the data folder (keyed
by its content or path, the embedder and the chunk settings), so evaluating other fusion
settings does not re-embed; ``--rebuild`` forces a new BEIR build.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from app.context import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("eval", help="measure retrieval on a BEIR-style folder or a "
                              "question set with gold answers",
                              description="Ingest a BEIR folder (corpus.jsonl, queries.jsonl, "
                              "qrels/SPLIT.tsv) into a cached knowledge base and print nDCG@10, "
                              "Recall@10, Recall@100, MRR@10 and query latency; or, with --qa, "
                              "ingest a folder of documents and print, for a CSV of questions "
                              "(Question, Source Docs, Question Type, Answer), the share of "
                              "questions with a passage from the right file and the share of "
                              "the answers' figures found in the passages, per question type.")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--beir", metavar="DIR", help="BEIR-style folder")
    what.add_argument("--qa", metavar="FILE.csv", help="questions with gold answers")
    p.add_argument("--docs", metavar="DIR",
                   help="with --qa: the documents (default: the folder docs/ beside the CSV)")
    p.add_argument("-k", type=int, default=6, help="with --qa: passages per question (6)")
    p.add_argument("--split", default="test", help="qrels split (default: test)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--fusion", choices=["adaptive", "rrf", "keyword", "embedding"],
                   help="fusion method (default: settings)")
    p.add_argument("--no-feedback", action="store_true",
                   help="switch pseudo-relevance feedback off (both lanes)")
    p.add_argument("--feedback-weight", type=float, metavar="B",
                   help="weight of keyword feedback (scaled by the question's share of Han "
                   "characters, or by distrust in the embedder)")
    p.add_argument("--dense-weight", type=float, metavar="W",
                   help="dense weight of adaptive fusion (default: tuned value)")
    p.add_argument("--bm25", nargs=2, type=float, metavar=("K1", "B"),
                   help="BM25 parameters of the keyword lane (default: 0.9 0.4)")
    p.add_argument("--no-named", action="store_true",
                   help="ignore documents the questions name (search the whole library)")
    p.add_argument("--window", type=int, metavar="N",
                   help="with --qa: neighbouring chunks shown with each passage (default 1)")
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
    from retrieval.retriever import RetrievalError, Retriever

    say = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    options = _options(args, ctx)
    if args.qa:
        return _qa(args, ctx, options, say)
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
        print(f"fusion {options.fusion}, feedback {options.prf_weight:g}, "
              f"{d['queries']} queries")
        print(f"nDCG@10 {d['ndcg@10']:.4f}  Recall@10 {d['recall@10']:.4f}  "
              f"Recall@100 {d['recall@100']:.4f}  MRR@10 {d['mrr@10']:.4f}")
        print(f"latency p50 {d['p50_ms']:.1f} ms  p95 {d['p95_ms']:.1f} ms")
    return 0


def _options(args, ctx):
    """The settings' retrieval options with this run's overrides (a copy)."""
    options = dataclasses.replace(ctx.settings.retrieval)
    if args.fusion:
        options.fusion = args.fusion
    if args.no_feedback:
        options.prf_weight = 0.0
        options.dense_prf_weight = 0.0
    if args.feedback_weight is not None:
        options.prf_weight = args.feedback_weight
    if args.dense_weight is not None:
        options.dense_weight = args.dense_weight
    if args.bm25:
        options.bm25_k1, options.bm25_b = args.bm25
    if args.serial_lanes:
        options.parallel_lanes = False
    if args.no_named:
        options.named_documents = False
    if args.window is not None:
        if not 0 <= args.window <= 5:
            raise UserError("--window must be between 0 and 5")
        options.window = args.window
    return options


def _qa(args, ctx, options, say) -> int:
    from pathlib import Path

    from app.commands.search import open_embedder
    from retrieval.evaluation import EvalError
    from retrieval.qa_eval import build_qa_library, evaluate_qa, load_qa
    from retrieval.retriever import RetrievalError, Retriever

    csv_path = Path(args.qa).expanduser()
    docs = Path(args.docs).expanduser() if args.docs else csv_path.parent / "docs"
    try:
        items = load_qa(csv_path)
        embedder = open_embedder(ctx)
        ing = ctx.settings.ingest
        say(f"{csv_path.name}: {len(items)} questions about {docs}")
        library, folder, report = build_qa_library(
            docs, embedder, ctx.home.root / "eval", chunk_tokens=ing.chunk_tokens,
            overlap=ing.chunk_overlap, embed_batch=ing.embed_batch, progress=say)
    except EvalError as exc:
        raise UserError(str(exc)) from exc
    from collections import Counter

    counts = Counter(o.status for o in report.outcomes)
    say(f"knowledge base in {folder}: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    for o in report.outcomes:
        if o.reason and o.status not in ("added", "updated", "unchanged"):
            say(f"  {o.path}: {o.reason}")
    try:
        result = evaluate_qa(Retriever(library, embedder, options), items, k=args.k,
                             progress=say)
    except RetrievalError as exc:
        raise UserError(str(exc)) from exc
    finally:
        library.close()
    d = result.as_dict()
    if args.json:
        print(json.dumps(d))
        return 0
    print(f"fusion {options.fusion}, top {d['k']}, {d['questions']} questions "
          f"({d['with_figures']} with figures)")
    print(f"{'question type':<32} {'n':>4} {'document hit':>13} {'figure recall':>14}")
    for name, t in [*d["by_type"].items(), ("all", d)]:
        print(f"{name:<32} {t['questions']:>4} {t['document_hit']:>13.3f} "
              f"{t['figure_recall']:>14.3f}")
    print(f"passage text {d['chars']} characters per question")
    print(f"latency p50 {d['p50_ms']:.1f} ms  p95 {d['p95_ms']:.1f} ms")
    return 0
