"""Generation speed: Wenji's streaming generator vs raw ``llama_cpp.Llama``, and the
second-turn time to first token with and without KV-cache prefix reuse.

Why: Wenji wraps llama.cpp (chat formatting, stop strings, UTF-8 streaming, a cancel
watcher, SWA-safe prefix reuse); this checks the wrapper costs nothing that matters
(target: Wenji/raw tokens-per-second ratio >= 0.97) and that prefix reuse pays off.

Both sides use the same GGUF, context, threads, batch, full-size SWA cache and greedy
sampling on the same prompt, start from an empty KV cache each run, and run alternately
(``--runs`` times each) so machine noise hits both alike; medians are reported.
The figures are printed and appended as a section to ``bench/RESULTS.md``.

    python bench/generate.py [--model PATH] [--runs 7] [--tokens 64]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402

from models.bundled import ensure_chat_model  # noqa: E402
from models.embedder import physical_cores  # noqa: E402
from models.local_model import LocalModel  # noqa: E402

PROMPT = ("Here are some notes about a small library.\n" + " ".join(
    f"Shelf {i} holds {(i * 7) % 13 + 2} books about {['history', 'rivers', 'birds'][i % 3]}."
    for i in range(25)) + "\nWrite a long, detailed story about the library and its shelves:")

DOC = " ".join(f"Record {i}: the {['red', 'blue', 'green'][i % 3]} box holds {(i * 7) % 13} "
               "stones." for i in range(30))


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_raw(llm: llama_cpp.Llama, n_tokens: int) -> tuple[float, float, int]:
    llm.reset()
    t0 = time.perf_counter()
    t_first = t_last = None
    n = 0
    for chunk in llm.create_completion(PROMPT, max_tokens=n_tokens, temperature=0.0,
                                       top_k=40, top_p=0.95, min_p=0.05,
                                       repeat_penalty=1.0, stream=True):
        if chunk["choices"][0]["finish_reason"] is not None:
            break  # the closing chunk carries no token
        t_last = time.perf_counter()
        if t_first is None:
            t_first = t_last
        n += 1
    return t_first - t0, (n - 1) / (t_last - t_first), n, 0.0


def run_wenji(model: LocalModel, n_tokens: int) -> tuple[float, float, int]:
    model.reset_cache()
    t0 = time.perf_counter()
    t_first = t_last = None
    n = 0
    for _piece in model.stream(PROMPT, max_tokens=n_tokens, temperature=0.0, top_k=40,
                               top_p=0.95, min_p=0.05, repeat_penalty=1.0):
        t_last = time.perf_counter()
        if t_first is None:
            t_first = t_last
        n += 1
    stats = model.last_stats
    # pieces can merge tokens (held back for stop strings); count tokens, not pieces
    overhead = stats.wrapper_seconds / stats.generation_seconds if stats.generation_seconds else 0
    return stats.time_to_first_token, stats.tokens_per_second, stats.generated_tokens, overhead


def second_turn_ttft(model: LocalModel, reuse: bool) -> tuple[float, int, int]:
    turn1 = [{"role": "system", "content": "Use these records to answer.\n" + DOC},
             {"role": "user", "content": "What does the red box hold?"}]
    model.reset_cache()
    answer = "".join(model.stream(turn1, max_tokens=16, temperature=0.0))
    turn2 = turn1 + [{"role": "assistant", "content": answer},
                     {"role": "user", "content": "And the blue box?"}]
    if not reuse:
        model.reset_cache()
    for _ in model.stream(turn2, max_tokens=1, temperature=0.0):
        pass
    s = model.last_stats
    return s.time_to_first_token, s.reused_tokens, s.prompt_tokens


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="GGUF file (default: the bundled gemma-3-270m)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=0, help="0 = physical cores (Wenji's default)")
    ap.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"))
    ap.add_argument("--no-append", action="store_true")
    args = ap.parse_args(argv)

    if args.model:
        path = Path(args.model)
    else:
        cache = Path(tempfile.gettempdir()) / "wenji-bench-models"
        path = ensure_chat_model(cache)
    threads = args.threads or physical_cores()
    print(f"model {path.name}, context {args.ctx}, threads {threads}, {args.runs} runs x "
          f"{args.tokens} tokens, alternating", flush=True)

    model = LocalModel(path, n_ctx=args.ctx, n_threads=threads, n_gpu_layers=0)
    raw = llama_cpp.Llama(str(path), n_ctx=args.ctx, n_batch=512, n_threads=threads,
                          n_threads_batch=threads, n_gpu_layers=0, use_mmap=True,
                          verbose=False, swa_full=model.swa_full or None)
    prompt_tokens = len(raw.tokenize(PROMPT.encode()))

    run_raw(raw, 8)  # warm-up both (page in the weights)
    run_wenji(model, 8)
    rows = {"raw": [], "wenji": []}
    for i in range(args.runs):
        order = [("raw", run_raw, raw), ("wenji", run_wenji, model)]
        if i % 2:
            order.reverse()
        for label, fn, obj in order:
            ttft, tps, n, overhead = fn(obj, args.tokens)
            rows[label].append((ttft, tps, n, overhead))
            print(f"  run {i + 1} {label:<5} ttft {ttft * 1000:7.1f} ms  {tps:6.1f} tok/s  "
                  f"({n} tokens)", flush=True)

    def med(label, k):
        return statistics.median(r[k] for r in rows[label])

    raw_tps, wenji_tps = med("raw", 1), med("wenji", 1)
    raw_ttft, wenji_ttft = med("raw", 0), med("wenji", 0)
    ratio = wenji_tps / raw_tps
    overhead = med("wenji", 3)

    reuse_rows, fresh_rows = [], []
    for i in range(max(5, args.runs // 2 + 1)):
        pair = [(True, reuse_rows), (False, fresh_rows)]
        if i % 2:
            pair.reverse()
        for reuse, out in pair:
            out.append(second_turn_ttft(model, reuse))
    reuse_ttft = statistics.median(r[0] for r in reuse_rows)
    fresh_ttft = statistics.median(r[0] for r in fresh_rows)
    _, reused_tok, turn2_tok = reuse_rows[-1]

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    lines = [
        f"## Generation: Wenji vs raw llama.cpp ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"- Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}; {threads} llama.cpp threads; "
        f"load average at the end {load[0]:.1f} (shared machine)",
        f"- Model: {path.name}, llama-cpp-python {llama_cpp.__version__} (CPU), context "
        f"{args.ctx}, full-size SWA cache, greedy, prompt {prompt_tokens} tokens, "
        f"{args.tokens} generated tokens, {args.runs} alternating runs each, medians",
        "",
        "| | raw `Llama.create_completion(stream=True)` | Wenji `LocalModel.stream` | Wenji / raw |",
        "|---|---:|---:|---:|",
        f"| generation speed | {raw_tps:.1f} tok/s | {wenji_tps:.1f} tok/s | **{ratio:.3f}** |",
        f"| time to first token | {raw_ttft * 1000:.0f} ms | {wenji_ttft * 1000:.0f} ms | "
        f"{wenji_ttft / raw_ttft:.3f} |",
        "",
        f"Wenji's own per-token code (EOG check, detokenize, UTF-8, stop strings), timed "
        f"inside the generator: {overhead * 100:.2f} % of generation time (median), i.e. "
        f"the wrapper alone allows a ratio of {1 / (1 + overhead):.3f}; wall-clock ratios "
        "above also carry the machine's noise.",
        "",
        f"Second turn of a chat ({turn2_tok} prompt tokens, {reused_tok} of them shared with "
        f"turn 1), time to first token, median of {len(reuse_rows)}:",
        "",
        f"- with KV-cache prefix reuse: {reuse_ttft * 1000:.0f} ms "
        f"(evaluates {turn2_tok - reused_tok} tokens)",
        f"- without (cache cleared): {fresh_ttft * 1000:.0f} ms (evaluates {turn2_tok} tokens)",
        f"- speed-up: {fresh_ttft / reuse_ttft:.1f}x",
        "",
    ]
    report = "\n".join(lines)
    print()
    print(report)
    if not args.no_append:
        results = Path(args.results)
        results.parent.mkdir(parents=True, exist_ok=True)
        needs_title = not results.exists() or not results.read_text(encoding="utf-8").strip()
        with results.open("a", encoding="utf-8") as fh:
            if needs_title:
                fh.write("# Wenji benchmark results\n\n")
            fh.write(report + "\n")
        print(f"appended to {results}")
    model.close()
    raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
