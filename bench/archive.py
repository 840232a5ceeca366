"""Knowledge-base archives: export and import times, archive size, and the same hits.

    python bench/archive.py [--home DIR] [--kb NAME] [--docs DIR] [--limit N]
                            [--embedder E] [--backend B] [--no-write]

Ingests the SEC folder (20 filings; ``--limit N``: the first N) into a new data folder
with the default embedder -- or reuses the knowledge base ``--kb`` of ``--home`` -- then:

* exports it twice, the index alone and ``--with-files``, timing both;
* imports each archive into a new data folder (no re-embedding), timing both;
* asks ~20 questions of the original and of the imported knowledge base through
  ``retrieval.Retriever`` and counts those with the same hits (texts, pages, files, in
  the same order) and the largest score difference;
* measures the imported store on disk against the archive's vectors and texts (what the
  import's free-space check assumes).

Each export and import runs in its own process, so its peak RSS is its own.  Prints a
table and appends it to bench/RESULTS.md with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DOCS = REPO.parent / "shared" / "data" / "sec10q" / "docs"
sys.path.insert(0, str(REPO))
from bench.scratch import scratch_dir  # noqa: E402  (needs the path above)

from bench.machine_info import machine  # noqa: E402
from bench.results import append_results  # noqa: E402

QUERIES = [
    "What were Apple's total net sales?",
    "iPhone net sales",
    "Amazon Web Services segment operating income",
    "Amazon North America net sales",
    "NVIDIA data center revenue",
    "NVIDIA gaming revenue decline",
    "Microsoft cloud revenue growth",
    "Microsoft Activision Blizzard acquisition",
    "Intel restructuring and other charges",
    "Intel Foundry Services",
    "share repurchase program",
    "dividends declared per share",
    "foreign currency exchange rate risk",
    "legal proceedings",
    "income tax provision effective tax rate",
    "inventory write-down",
    "goodwill impairment",
    "unrecognized tax benefits",
    "Greater China net sales",
    "operating lease liabilities",
]


# --- phases (each in its own process) -------------------------------------------------

def _embedder(args):
    from models.embedder_pair import open_embedder

    return open_embedder(args.embedder or None, backend=args.backend,
                         cache_dir=Path(args.cache))


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_ingest(args) -> dict:
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    files = sorted(Path(args.docs).glob("*.pdf"))[:args.limit or None]
    embedder = _embedder(args)
    embedder.load()  # the one-time model preparation is not part of ingest
    library = Library(Path(args.home) / "store")
    t0 = time.perf_counter()
    report = Ingestor(library, embedder).run(files, kb_name=args.kb)
    return {"seconds": time.perf_counter() - t0, "files": len(files),
            "added": report.count("added"), "failed": report.count("failed")}


def phase_export(args) -> dict:
    from ingest.archive import export_kb
    from ingest.store.library import Library

    library = Library(Path(args.home) / "store")
    t0 = time.perf_counter()
    report = export_kb(library, args.kb, args.file, with_files=args.with_files)
    return {"seconds": time.perf_counter() - t0, "bytes": report.bytes,
            "documents": report.documents, "chunks": report.chunks, "files": report.files,
            "rss_mb": _peak_rss_mb()}


def phase_import(args) -> dict:
    from ingest.archive import import_kb
    from ingest.store.library import Library

    embedder = _embedder(args)
    embedder.load()  # the app has its embedder loaded already
    loaded_rss = _peak_rss_mb()
    library = Library(Path(args.home) / "store")
    t0 = time.perf_counter()
    report = import_kb(library, args.file, embedder=embedder,
                       files_dir=Path(args.home) / "files")
    return {"seconds": time.perf_counter() - t0, "chunks": report.chunks,
            "files": report.files, "reembedded": report.reembedded,
            "rss_mb": _peak_rss_mb(), "rss_after_model_mb": loaded_rss}


def phase_compare(args) -> dict:
    from ingest.store.library import Library
    from retrieval.retriever import Retriever

    embedder = _embedder(args)
    results = []
    for home in (args.home, args.other):
        retriever = Retriever(Library(Path(home) / "store"), embedder)
        results.append([[(h.text, h.page, Path(h.path).name, h.score)
                         for h in retriever.search(q, kb_name=args.kb, k=10)]
                        for q in QUERIES])
    same, worst = 0, 0.0
    for a, b in zip(*results):
        if [x[:3] for x in a] == [x[:3] for x in b] and a:
            same += 1
        worst = max([worst] + [abs(x[3] - y[3]) for x, y in zip(a, b)])
    return {"queries": len(QUERIES), "same": same, "max_score_diff": worst,
            "hits": sum(len(r) for r in results[0])}


PHASES = {"ingest": phase_ingest, "export": phase_export, "import": phase_import,
          "compare": phase_compare}


def run_phase(name: str, args, **extra) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name,
           "--kb", args.kb, "--docs", str(args.docs), "--limit", str(args.limit),
           "--embedder", args.embedder, "--backend", args.backend, "--cache", str(args.cache)]
    for key, value in extra.items():
        if value is True:
            cmd.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"phase {name} failed:\n{res.stderr[-4000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", help="a data folder whose knowledge base --kb to export "
                                   "(default: ingest --docs into a new one)")
    ap.add_argument("--kb", default="sec")
    ap.add_argument("--docs", default=str(DEFAULT_DOCS))
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    ap.add_argument("--embedder", default="", help="default: the app's default embedder")
    ap.add_argument("--backend", default="onnx-fp32")
    ap.add_argument("--cache", default="", help=argparse.SUPPRESS)
    ap.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    ap.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--other", help=argparse.SUPPRESS)
    ap.add_argument("--with-files", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return 0

    work = scratch_dir("wenji-archive-bench-")
    args.cache = args.cache or str(work / "embedders")
    ingest = None
    if args.home:
        args.home = str(Path(args.home).resolve())
        cache = Path(args.home) / "models" / "embedders"
        if cache.exists():
            args.cache = str(cache)
    else:
        args.home = str(work / "source")
        print(f"ingesting {args.docs} into {args.home} ...", flush=True)
        ingest = run_phase("ingest", args, home=args.home)
    source_home = args.home
    rows = {}
    for label, with_files in (("index", False), ("with files", True)):
        file = work / f"{args.kb}{'-files' if with_files else ''}.wenjikb"
        print(f"export ({label}) ...", flush=True)
        exp = run_phase("export", args, home=source_home, file=file, with_files=with_files)
        target = work / f"import-{'files' if with_files else 'index'}"
        print(f"import ({label}) ...", flush=True)
        imp = run_phase("import", args, home=target, file=file)
        rows[label] = (exp, imp, file, target)
    exp, imp, file, target = rows["index"]
    print("comparing hits ...", flush=True)
    cmp_ = run_phase("compare", args, home=source_home, other=target)

    import zipfile

    with zipfile.ZipFile(file) as zf:
        sizes = {i.filename: i.file_size for i in zf.infolist()}
        manifest = json.loads(zf.read("manifest.json"))
    vectors = sizes["vectors.npy"]
    text = sizes["chunks.jsonl"] + sizes["keyword.jsonl"]
    store = du(target / "store")
    emb = manifest["embedder"]
    fexp, fimp, ffile, _ = rows["with files"]
    n_files = f"{exp['documents']} documents"
    lines = [
        f"## Knowledge-base archives: export, import, same hits "
        f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
        f"- Machine: {machine()}",
        f"- Knowledge base: {n_files} ({Path(args.docs).name}"
        f"{f', first {args.limit}' if args.limit else ''}), {exp['chunks']} passages, "
        f"embedder {emb['name']} ({emb['dimension']} dimensions)", "",
        "| measure | value |", "|---|---:|",
        f"| export, index only: seconds; archive size | {exp['seconds']:.1f}; "
        f"{exp['bytes'] / 1e6:.1f} MB |",
        f"| export with the files: seconds; archive size | {fexp['seconds']:.1f}; "
        f"{fexp['bytes'] / 1e6:.1f} MB ({fexp['files']} files) |",
        f"| import, index only (no re-embedding): seconds | {imp['seconds']:.1f} |",
        f"| import with the files: seconds | {fimp['seconds']:.1f} |",
        f"| peak RSS: export; import (after the embedder loaded) | {exp['rss_mb']:.0f} MB; "
        f"{imp['rss_mb']:.0f} MB ({imp['rss_after_model_mb']:.0f} MB) |",
        f"| archive members: vectors; passages + keyword rows (uncompressed) | "
        f"{vectors / 1e6:.1f} MB; {text / 1e6:.1f} MB |",
        f"| imported store on disk; per archive byte (vectors + text) | {store / 1e6:.1f} MB; "
        f"{store / (vectors + text):.2f} |",
        f"| queries with the same hits (texts, pages, files, order; top 10) | "
        f"{cmp_['same']}/{cmp_['queries']} |",
        f"| largest score difference | {cmp_['max_score_diff']:.1e} |",
    ]
    if ingest:
        lines.append(f"| ingest of the same files, for scale: seconds | {ingest['seconds']:.0f} "
                     f"({ingest['added']} added, {ingest['failed']} failed) |")
    lines.append("")
    text_out = "\n".join(lines)
    print(text_out)
    if not args.no_write:
        append_results(text_out)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
