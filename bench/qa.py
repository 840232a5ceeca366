"""Questions with gold answers about a folder of documents: Wenji vs. the LangChain recipe.

Run: ``.venv/bin/python bench/qa.py [--qa FILE.csv] [--docs DIR] [--home DIR]``

In one run, on the same files and questions (top 6 passages each):

* Wenji, through ``wenji eval --qa`` (default settings, then each single lane and RRF:
  the default should not fall below its better lane; the default without named documents
  and without passage windows);
* the recipe: PyPDFLoader, RecursiveCharacterTextSplitter(1000, 200), HuggingFaceEmbeddings
  (the bundled MiniLM folder), Chroma, ``similarity_search(k=6)``; files it cannot load are
  lost, as a user of the recipe would lose them.  Wenji's passages carry their neighbouring
  chunks, so the recipe is also run with as many passages as give it as much text as
  Wenji's six: a figure found only because more text was read does not count as better
  retrieval.

Measures (``retrieval.qa_eval``): document hit (a passage from a file matching the
question's ``Source Docs`` pattern) and figure recall (share of the gold answer's figures
found in the passages).  Prints a table and appends it to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "sec10q"
sys.path.insert(0, str(REPO))
from bench.machine_info import machine  # noqa: E402


def wenji(qa: Path, docs: Path, home: Path, *flags: str) -> dict:
    cmd = [sys.executable, "-m", "app", "--home", str(home), "eval", "--qa", str(qa),
           "--docs", str(docs), "--json", *flags]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def recipe(qa: Path, docs: Path, work: Path, ks: tuple[int, ...]) -> dict[int, dict]:
    """The recipe's measures at each number of passages in ``ks``."""
    from bench.recipe import recipe_store
    from retrieval.qa_eval import document_hit, figure_recall, figures, load_qa

    store, _, failed = recipe_store(docs, work / "recipe-chroma")
    out = {}
    for k in ks:
        hits, recalls, chars = [], [], []
        for item in load_qa(qa):
            found = store.similarity_search(item.question, k=k)
            hits.append(document_hit(item.source_pattern,
                                     [d.metadata["source"] for d in found]))
            chars.append(sum(len(d.page_content) for d in found))
            gold = figures(item.answer)
            if gold:
                recalls.append(figure_recall(gold, [d.page_content for d in found]))
        out[k] = {"document_hit": sum(hits) / len(hits),
                  "figure_recall": sum(recalls) / len(recalls),
                  "chars": sum(chars) / len(chars), "failed": failed}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qa", type=Path, default=DATA / "qna_dev.csv")
    ap.add_argument("--docs", type=Path, default=DATA / "docs")
    ap.add_argument("--home", type=Path, help="Wenji data folder (kept: its build is reused)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wenji-qa-") as tmp:
        home = args.home or Path(tmp) / "home"
        rows = [(f"Wenji, {name}", wenji(args.qa, args.docs, home, *flags)) for name, flags in (
            ("default (adaptive)", ()), ("embedding lane only", ("--fusion", "embedding")),
            ("keyword lane only", ("--fusion", "keyword")), ("RRF", ("--fusion", "rrf")),
            ("default, named documents ignored", ("--no-named",)),
            ("default, no passage windows", ("--window", "0")))]
        default = rows[0][1]
        # the recipe's chunks average ~900 characters: as much text as Wenji's six passages
        same_text = max(7, round(default["chars"] / 900))
        runs = recipe(args.qa, args.docs, Path(tmp), (6, same_text))
        base = runs[6]
    lines = [f"\n## Questions about documents: Wenji vs. the LangChain recipe — "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n",
             f"Machine: {machine()}; `{args.qa.name}`, top 6\n",
             "| retrieval | document hit | figure recall | passage characters per question |",
             "|---|---:|---:|---:|"]
    for name, d in rows:
        lines.append(f"| {name} | {d['document_hit']:.3f} | {d['figure_recall']:.3f} "
                     f"| {d['chars']:.0f} |")
    for k, d in runs.items():
        lines.append(f"| LangChain recipe, k={k} | {d['document_hit']:.3f} "
                     f"| {d['figure_recall']:.3f} | {d['chars']:.0f} |")
    lines.append("")
    lines.append(f"- figure recall, Wenji default / recipe = "
                 f"**{default['figure_recall'] / base['figure_recall']:.2f}x** (target >= 2); "
                 f"against the recipe given as much text (k={same_text}): "
                 f"{default['figure_recall'] / runs[same_text]['figure_recall']:.2f}x")
    lines.append("- per question type (default): " + "; ".join(
        f"{t}: hit {v['document_hit']:.3f}, figures {v['figure_recall']:.3f}"
        for t, v in default["by_type"].items()))
    if base["failed"]:
        lines.append(f"- the recipe lost {len(base['failed'])} files: " + "; ".join(base["failed"]))
    text = "\n".join(lines) + "\n"
    print(text)
    with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
