"""``wenji search "question" [--kb NAME] [-k N]``: ranked passages with their explanation."""

from __future__ import annotations

import json

from app.context import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="find passages for a question (no answer generation)",
                              description="Hybrid keyword + embedding search in a knowledge base; "
                              "prints ranked passages with source, page/heading and why each was found.")
    p.add_argument("query", help="the question or keywords")
    p.add_argument("--kb", metavar="NAME", help="knowledge base (default: 'default')")
    p.add_argument("-k", type=int, metavar="N", help="number of passages (default: settings top_k)")
    p.add_argument("--fusion", choices=["adaptive", "rrf", "keyword", "embedding"],
                   help="override the fusion method")
    p.add_argument("--doc", action="append", metavar="PATH",
                   help="only search this document (or folder); repeatable")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=handler)


def open_embedder(ctx):
    from app.services import make_embedder

    return make_embedder(ctx)


def handler(args, ctx) -> int:
    import dataclasses

    from ingest.store.library import Library
    from retrieval.retriever import RetrievalError, Retriever

    if args.k is not None and not 1 <= args.k <= 100:
        raise UserError("-k must be between 1 and 100")
    settings = dataclasses.replace(ctx.settings.retrieval)
    if args.fusion:
        settings.fusion = args.fusion
    from app.services import open_library

    library = open_library(ctx)
    try:
        retriever = Retriever(library, open_embedder(ctx), settings)
        try:
            hits = retriever.search(args.query, kb_name=args.kb, k=args.k, documents=args.doc)
        except RetrievalError as exc:
            raise UserError(str(exc)) from exc
    finally:
        library.close()
    if args.json:
        print(json.dumps({"query": args.query, "hits": [dict(h.metadata(), text=h.text)
                                                        for h in hits]}, ensure_ascii=False))
        return 0
    if not hits:
        print("Nothing relevant found.")
        return 0
    for h in hits:
        where = f" ({h.location})" if h.location else ""
        print(f"{h.rank}. {h.source}{where}  score {h.score:.3f}")
        if h.title and h.title != h.path:
            print(f"   {h.path}")
        print(f"   why: {h.explain()}")
        text = " ".join(h.text.split())
        print(f"   {text[:300]}{'…' if len(text) > 300 else ''}")
        print()
    return 0
