"""Ingest benchmark: Wenji vs. its own embed-only time vs. the canonical LangChain recipe.

Run: ``.venv/bin/python bench/ingest.py [--docs DIR] [--skip-recipe] [--backend B]
[--compare-backend B2] [--embedder E] [--compare-embedder E2] [--compare-store server]``

Each phase runs in its own process (so peak RSS is per phase and nothing is warm from an
earlier phase), one after the other, in the same run, on the same files:

* wenji      - ``Ingestor.run`` into a fresh data folder (parse in a worker process,
               embedding with the settings' default backend unless ``--backend``,
               Chroma + SQLite/FTS5 writes, everything);
* wenji (B2) - with ``--compare-backend``: the same with another embedder backend, right
               after, for a same-run ratio;
* wenji (E2) - with ``--compare-embedder``: the same with another embedder (the bundled
               ``all-MiniLM-L6-v2`` beside the default multilingual-e5-small, say);
* wenji (server) - with ``--compare-store server``: the same into a shared library on a
               PostgreSQL and a Chroma server started on this machine;
* embed-only - the same chunk texts Wenji produced, embedded alone with the same model
               and backend (the floor for ingest: target wenji <= 1.1 x this);
* recipe     - PyPDFLoader, RecursiveCharacterTextSplitter(1000, 200),
               HuggingFaceEmbeddings (same MiniLM folder, fp32 torch), Chroma.from_documents
               (target: wenji >= 2 x faster when both use MiniLM, i.e. with
               ``--compare-embedder all-MiniLM-L6-v2``; the default's ratio is shown too);
* ocr        - the scanned PDFs of ../shared/data/pdfs (no text layer) read with OCR:
               pages per second (``--skip-ocr`` to leave it out).

Prints a table and appends it to bench/RESULTS.md with the date and machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DOCS = REPO.parent / "shared" / "data" / "sec10q" / "docs"
sys.path.insert(0, str(REPO))
from bench.scratch import scratch_dir  # noqa: E402  (needs the path above)
from bench.machine_info import machine  # noqa: E402


# --- phases (each in its own process) -----------------------------------------------

def phase_wenji(docs: Path, work: Path, cache: Path, backend: str, model: str,
                shared: Path | None = None) -> dict:
    from ingest.store.library import Library
    from ingest.store.shared import SharedStore
    from ingest.pipeline import Ingestor
    from models.embedder_pair import open_embedder

    # the one-time ONNX export / int8 quantization into the models folder happens when the
    # app starts (Services.warm_up), not when documents are added: done before the clock
    t_prep = time.perf_counter()
    open_embedder(model or None, backend=backend, cache_dir=cache).load()
    prepare = time.perf_counter() - t_prep
    t0 = time.perf_counter()
    embedder = open_embedder(model or None, backend=backend, cache_dir=cache)
    store = SharedStore(**json.loads(shared.read_text())) if shared else None
    library = Library(work / "store", shared=store)
    report = Ingestor(library, embedder).run([docs], kb_name="bench")
    wall = time.perf_counter() - t0
    kb = library.kb("bench")
    texts = [c.text for c in library.catalog.chunks_by_ids(library.catalog.chunk_ids(kb.id)).values()]
    (work / "chunks.json").write_text(json.dumps(texts))
    ok = sum(1 for o in report.outcomes if o.status == "added")
    return {"wall": wall, "chunks": len(texts), "files_ok": ok, "prepare": prepare,
            "files": len([o for o in report.outcomes if o.path.lower().endswith(".pdf")]),
            "failed": [f"{Path(o.path).name}: {o.reason}" for o in report.outcomes
                       if o.status == "failed"]}


def phase_embed_only(work: Path, cache: Path, backend: str, model: str) -> dict:
    from models.embedder_pair import open_embedder

    texts = json.loads((work / "chunks.json").read_text())
    t0 = time.perf_counter()
    embedder = open_embedder(model or None, backend=backend, cache_dir=cache)
    embedder.load()
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    embedder.encode(texts, batch_size=8)  # the batch size ingest uses (IngestSettings)
    return {"wall": time.perf_counter() - t0, "encode": time.perf_counter() - t1,
            "load": load, "chunks": len(texts)}


def phase_ocr() -> dict:
    from ingest.loaders import load

    manifest = REPO.parent / "shared" / "data" / "pdfs" / "manifest.jsonl"
    entries = [json.loads(line) for line in manifest.read_text().splitlines()]
    files = [manifest.parent / e["file"] for e in entries if e["text_chars"] == 0]
    t0 = time.perf_counter()
    pages = chars = 0
    for f in files:
        doc = load(f)
        pages += doc.ocr_pages
        chars += sum(len(s.text) for s in doc.sections)
    return {"wall": time.perf_counter() - t0, "pages": pages, "chars": chars,
            "files": len(files)}


def phase_recipe(docs: Path, work: Path) -> dict:
    from bench.recipe import recipe_store

    t0 = time.perf_counter()
    _, chunks, failed = recipe_store(docs, work / "recipe-chroma")
    n_files = len(list(docs.glob("*.pdf")))
    return {"wall": time.perf_counter() - t0, "chunks": chunks,
            "files_ok": n_files - len(failed), "files": n_files, "failed": failed}


# --- orchestration --------------------------------------------------------------------

def run_phase(name: str, args: list[str]) -> dict:
    """Run one phase in a child process; add its peak RSS (MB)."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    proc = subprocess.Popen([sys.executable, __file__, "--phase", name, "--out", str(out), *args],
                            cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"phase {name} failed")
    result = json.loads(out.read_text())
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    out.unlink()
    return result


def on_servers(work: Path, common: list[str]) -> dict:
    """The wenji phase again, into a new shared library on servers started for it."""
    from bench.servers import shared_stores

    (work / "server").mkdir()
    with shared_stores() as make_store:
        store = make_store("bench_ingest")
        secrets = work / "server" / "store.json"
        secrets.touch(mode=0o600)
        secrets.write_text(json.dumps({"postgres": store.postgres,
                                       "chroma_url": store.chroma_url,
                                       "chroma_token": store.chroma_token}))
        args = [*common, "--shared", str(secrets)]
        args[args.index("--work") + 1] = str(work / "server")
        return run_phase("wenji", args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    from app.settings import ModelSettings
    from models.embedder import BACKENDS

    ap.add_argument("--backend", default=ModelSettings().embedder_backend, choices=BACKENDS)
    ap.add_argument("--compare-backend", choices=BACKENDS,
                    help="also ingest with this backend and report the ratio")
    ap.add_argument("--embedder", default="", help="bundled name or folder (default: the default)")
    ap.add_argument("--compare-embedder", metavar="E2",
                    help="also ingest with this embedder (e.g. all-MiniLM-L6-v2) and report "
                         "the ratio")
    ap.add_argument("--compare-store", choices=["server"],
                    help="also ingest into a shared library on a PostgreSQL and a Chroma "
                         "server started on this machine, and report the ratio")
    ap.add_argument("--skip-recipe", action="store_true")
    ap.add_argument("--skip-ocr", action="store_true")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--shared", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        if args.phase == "wenji":
            res = phase_wenji(args.docs, args.work, args.cache, args.backend, args.embedder,
                              args.shared)
        elif args.phase == "warmup":
            from models.embedder_pair import open_embedder

            open_embedder(args.embedder or None, backend=args.backend, cache_dir=args.cache).load()
            res = {}
        elif args.phase == "embed":
            res = phase_embed_only(args.work, args.cache, args.backend, args.embedder)
        elif args.phase == "ocr":
            res = phase_ocr()
        else:
            res = phase_recipe(args.docs, args.work)
        args.out.write_text(json.dumps(res))
        return

    work = scratch_dir("wenji-bench-")
    cache = work / "embedders"
    phase_args = lambda folder, backend, model: [  # noqa: E731
        "--docs", str(args.docs), "--work", str(folder), "--cache", str(cache),
        "--backend", backend, "--embedder", model]
    common = phase_args(work, args.backend, args.embedder)
    # Build the ONNX export once outside the timed phases (a one-time cost per install),
    # in a child process: children inherit the parent's peak RSS on Linux, so the
    # orchestrator itself must stay small.
    run_phase("warmup", common)
    load_before = os.getloadavg()[0]

    ours = run_phase("wenji", common)
    def alternative(name: str, backend: str, model: str) -> dict:
        """The wenji phase again, in its own folder, with another backend or model."""
        (work / name).mkdir()
        alt = phase_args(work / name, backend, model)
        run_phase("warmup", alt)
        return run_phase("wenji", alt)

    other = (alternative("other", args.compare_backend, args.embedder)
             if args.compare_backend else None)
    served = on_servers(work, common) if args.compare_store else None
    second = (alternative("second", args.backend, args.compare_embedder)
              if args.compare_embedder else None)
    embed = run_phase("embed", common)
    recipe = None if args.skip_recipe else run_phase("recipe", common)
    ocr = None if args.skip_ocr else run_phase("ocr", common)

    from models.bundled import DEFAULT_EMBEDDER

    model = args.embedder or DEFAULT_EMBEDDER
    rows = [(f"wenji ingest ({model}, {args.backend})", ours)]
    if other:
        rows.append((f"wenji ingest ({model}, {args.compare_backend})", other))
    if second:
        rows.append((f"wenji ingest ({args.compare_embedder}, {args.backend})", second))
    if served:
        rows.append((f"wenji ingest ({model}, {args.backend}) into the server backend", served))
    rows.append(("embed-only (same chunks, same model)", embed))
    if recipe:
        rows.append(("LangChain recipe (fp32 torch)", recipe))
    lines = [f"| phase | wall s | chunks | chunks/s | files ok | peak RSS MB |",
             "|---|---|---|---|---|---|"]
    for name, r in rows:
        files = f"{r['files_ok']}/{r['files']}" if "files" in r else "-"
        lines.append(f"| {name} | {r['wall']:.1f} | {r['chunks']} | {r['chunks'] / r['wall']:.1f} | "
                     f"{files} | {r['peak_rss_mb']:.0f} |")
    ratio_embed = ours["wall"] / embed["wall"]
    lines.append("")
    lines.append(f"- wenji / embed-only = **{ratio_embed:.2f}** (target <= 1.15)")
    if other:
        lines.append(f"- wenji {args.backend} / wenji {args.compare_backend} = "
                     f"**{ours['wall'] / other['wall']:.2f}**")
    if second:
        lines.append(f"- wenji {model} / wenji {args.compare_embedder} = "
                     f"**{ours['wall'] / second['wall']:.2f}** (same run)")
    if served:
        lines.append(f"- server backend / embedded = **{served['wall'] / ours['wall']:.2f}** "
                     "(PostgreSQL and the Chroma server on this machine, same run)")
    if recipe:
        lines.append(f"- recipe / wenji ({model}) = **{recipe['wall'] / ours['wall']:.2f}x faster**")
        if second:
            lines.append(f"- recipe / wenji ({args.compare_embedder}, the recipe's model) = "
                         f"**{recipe['wall'] / second['wall']:.2f}x faster** (target >= 2)")
        if recipe["failed"]:
            lines.append(f"- recipe lost {len(recipe['failed'])} files: " + "; ".join(recipe["failed"]))
    if ours["failed"]:
        lines.append(f"- wenji failed: " + "; ".join(ours["failed"]))
    lines.append(f"- embedder backend: {args.backend}; embed-only encode alone "
                 f"{embed['encode']:.1f}s + model load {embed['load']:.1f}s")
    prepared = "; ".join(f"{name} {r['prepare']:.1f} s" for name, r in rows if "prepare" in r)
    lines.append("- one-time model preparation before each ingest's clock (ONNX export / "
                 f"int8 quantization into a new models folder, as at the app's start): {prepared}")
    if ocr:
        lines.append(f"- OCR of the scanned PDFs: {ocr['pages']} pages of {ocr['files']} files in "
                     f"{ocr['wall']:.1f} s = **{ocr['pages'] / ocr['wall']:.2f} pages/s** "
                     f"({ocr['chars']} characters; peak RSS {ocr['peak_rss_mb']:.0f} MB)")
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        header = (f"\n## Ingest ({args.docs.name}) — {time.strftime('%Y-%m-%d %H:%M')} UTC\n\n"
                  f"Machine: {machine()}; load average {load_before:.1f} at the start, "
                  f"{os.getloadavg()[0]:.1f} at the end (phases run one after another)\n\n")
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(header + text + "\n")


if __name__ == "__main__":
    main()
