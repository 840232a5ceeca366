"""Calibrate the grounding gate's embedding-similarity threshold for an embedder.

    python bench/grounding.py [--embedder NAME|DIR] [--n 60]

The gate (answer/grounding.py) admits a passage by keyword coverage or, where the
embedding lane is trusted, by its cosine similarity to the question.  Similarities are a
property of the model: all-MiniLM-L6-v2 puts unrelated text near 0.1, e5 models near 0.75.
So the threshold is measured per model, on three kinds of questions:

* **indexed**: CMRC 2018 questions (tune half) whose paragraph is in the knowledge base,
  and hand-written questions about the FastAPI English docs, in English and in Chinese
  (the cross-language case, where keyword coverage is near zero and only the embedding
  can admit);
* **same domain, not indexed**: CMRC questions whose paragraph is not in the knowledge
  base (the hard negatives: same Wikipedia style, other paragraphs);
* **off-topic**: general questions in both languages.

For each question the best similarity among the top ``--k`` passages is recorded.  The
suggested threshold is the lowest that admits no off-topic question and at most 5 % of
the not-indexed ones.  Prints a Markdown section and appends it to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.scratch import scratch_dir  # noqa: E402  (needs the path above)
DATA = REPO.parent / "shared" / "data"

OFF_TOPIC = [
    "What is the recipe for a chocolate cake?", "Who won the 2018 World Cup?",
    "How tall is Mount Everest?", "What is the capital of Australia?",
    "How do I change a flat tyre on a bicycle?", "When did the Roman Empire fall?",
    "如何制作巧克力蛋糕？", "珠穆朗玛峰有多高？", "2018年世界杯冠军是哪个国家？",
    "怎样养好一盆兰花？", "北京到上海的高铁要多久？", "感冒了应该吃什么药？",
]
# Questions about the FastAPI English docs: (question, a page that answers it).
FASTAPI = [
    ("How do I declare query parameters?", "query-params.md"),
    ("How do I return a custom HTTP status code?", "response-status-code.md"),
    ("How can I upload files?", "request-files.md"),
    ("How do I add CORS middleware?", "cors.md"),
    ("How do I run background tasks after returning a response?", "background-tasks.md"),
    ("如何声明查询参数？", "query-params.md"),
    ("如何设置响应状态码？", "response-status-code.md"),
    ("怎样上传文件？", "request-files.md"),
    ("如何配置跨域资源共享？", "cors.md"),
    ("如何在返回响应后运行后台任务？", "background-tasks.md"),
]


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def best_similarity(retriever, question: str, kb: str, k: int) -> tuple[float, list[str]]:
    hits = retriever.search(question, kb_name=kb, k=k)
    sims = [1.0 - h.dense_distance for h in hits if h.dense_distance is not None]
    return (max(sims) if sims else 0.0), [h.path for h in hits]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--embedder", default=None, help="bundled name or folder (default: the default)")
    ap.add_argument("--backend", default="onnx")
    ap.add_argument("--n", type=int, default=60, help="CMRC questions per kind")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    from bench.answers import split_of
    from ingest.pipeline import Ingestor
    from ingest.prepare import prepare_text
    from ingest.store.library import Library
    from models.embedder_pair import open_embedder
    from retrieval.retriever import Retriever

    cache = Path(os.environ.get("WENJI_BENCH_CACHE", Path(tempfile.gettempdir()) / "wenji-bench"))
    embedder = open_embedder(args.embedder, backend=args.backend, cache_dir=cache / "embedders")
    embedder.load()
    work = scratch_dir("wenji-bench-grounding-")
    library = Library(work / "store")
    ingestor = Ingestor(library, embedder)

    cmrc = DATA / "cmrc2018_zh"
    corpus = {d["_id"]: d for d in read_jsonl(cmrc / "corpus.jsonl")}
    queries = {q["_id"]: q["text"] for q in read_jsonl(cmrc / "queries.jsonl")}
    answers = {a["_id"]: a for a in read_jsonl(cmrc / "answers.jsonl")}
    rng = random.Random(args.seed)
    tune = sorted(d for d in corpus if split_of(d) == "tune")
    rng.shuffle(tune)
    indexed, withheld = tune[: len(tune) // 2], set(tune[len(tune) // 2:])
    by_doc: dict[str, list[str]] = {}
    for q, a in sorted(answers.items()):
        if q in queries:
            by_doc.setdefault(a["doc_id"], []).append(q)
    pick = lambda docs: rng.sample([by_doc[d][0] for d in docs if d in by_doc],  # noqa: E731
                                   args.n)
    on_q, off_q = pick(indexed), pick(sorted(withheld))
    t0 = time.perf_counter()
    model_dir = str(embedder.ensure_folder())
    records = [prepare_text(f"cmrc:{d}", corpus[d].get("title", ""), corpus[d]["text"],
                            model_dir=model_dir, chunk_tokens=200, overlap=0.15)
               for d in indexed]
    ingestor.ingest_prepared(records, "cmrc", total=len(records))
    ingestor.run([DATA / "fastapi_docs_md" / "en" / "docs"], kb_name="fastapi")
    build_s = time.perf_counter() - t0

    retriever = Retriever(library, embedder)
    rows: dict[str, list[float]] = {"CMRC indexed": [], "CMRC same domain, not indexed": [],
                                    "FastAPI en, English question": [],
                                    "FastAPI en, Chinese question": [], "off-topic": []}
    found = {"FastAPI en, English question": 0, "FastAPI en, Chinese question": 0}
    for q in on_q:
        rows["CMRC indexed"].append(best_similarity(retriever, queries[q], "cmrc", args.k)[0])
    for q in off_q:
        rows["CMRC same domain, not indexed"].append(
            best_similarity(retriever, queries[q], "cmrc", args.k)[0])
    for question, page in FASTAPI:
        kind = ("FastAPI en, Chinese question" if any("\u4e00" <= c <= "\u9fff" for c in question)
                else "FastAPI en, English question")
        sim, paths = best_similarity(retriever, question, "fastapi", args.k)
        rows[kind].append(sim)
        found[kind] += any(Path(p).name == page for p in paths)
    for question in OFF_TOPIC:
        for kb in ("cmrc", "fastapi"):
            rows["off-topic"].append(best_similarity(retriever, question, kb, args.k)[0])

    ceiling = max(rows["off-topic"])
    negatives = sorted(rows["CMRC same domain, not indexed"])
    p95 = negatives[int(0.95 * (len(negatives) - 1))]
    suggested = round(max(ceiling, p95) + 0.005, 3)
    admitted = lambda xs: sum(x >= suggested for x in xs)  # noqa: E731
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [f"\n## Grounding similarity for {embedder.name} "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n",
             f"- Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; "
             f"load {load:.1f}. Backend {args.backend}; knowledge bases built in {build_s:.0f} s "
             f"({len(indexed)} CMRC paragraphs, FastAPI en docs); best similarity among the "
             f"top {args.k} passages.",
             "", "| questions | n | min | median | max | admitted at the suggestion |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind, xs in rows.items():
        lines.append(f"| {kind} | {len(xs)} | {min(xs):.3f} | {statistics.median(xs):.3f} | "
                     f"{max(xs):.3f} | {admitted(xs)}/{len(xs)} |")
    lines += ["", f"Suggested threshold: **{suggested}** (off-topic max {ceiling:.3f}, "
              f"95th percentile of not indexed {p95:.3f}). FastAPI page in the top {args.k}: "
              + ", ".join(f"{k.split(', ')[1]} {v}/{len(FASTAPI) // 2}" for k, v in found.items())
              + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
