"""Window benchmark: launch-to-first-paint, and the event loop's stalls while working.

Run: ``.venv/bin/python bench/ui.py [--quick] [--launches 5] [--no-record]``

Both parts draw on a real X server: one Xvfb started here for the whole run (a user's
display is already running when they start Wenji, so its start-up is not counted).
Without Xvfb, ``--offscreen`` uses ``QT_QPA_PLATFORM=offscreen`` instead.

* **first paint** - the real app (``python -m app --home DIR``) as a subprocess with
  ``WENJI_FIRST_PAINT_FILE`` set, which makes ``app.gui.application`` write the
  ``time.monotonic()`` of the main window's first paint event and of the end of that
  first frame (the figure reported: the event loop is back, the frame is on screen), the
  modules imported by then, and when the status bar says "Ready" (library, embedder and
  chat model loaded).  Measured from just before ``Popen``.  The first launch on a new data folder copies the
  bundled model and prepares the embedder: reported on its own; then ``--launches``
  launches on that folder give the median and max.  Target: first paint <= 1 s, and no
  torch / sentence-transformers / llama.cpp / Chroma / ONNX Runtime import before it.
* **stalls** - in one process, a real ``QApplication`` and ``MainWindow`` (data folder in
  a temporary directory, the bundled models) and a 10 ms ``Qt.PreciseTimer`` heartbeat;
  lateness = actual interval - 10 ms.  Phases: start-up (background loading until
  "Ready"), idle (5 s), ingest (a copy of the SEC folder through ``window.ingest`` until
  ``window.last_report``), answer (questions through ``window.chat.send`` until
  ``last_done`` and not busy), watched folder (``--watched`` N new Markdown files written
  at once into a folder the window watches, until all are indexed), long chat (a saved
  chat of ``--scroll`` N messages opened, then scrolled by a wheel step every 16 ms from
  its end to its start, older messages arriving at the top, and back).  Target: p99
  lateness <= 50 ms in every phase.
  A watchdog thread samples every thread's Python stack while the heartbeat is late
  (``bench/ui_stall_probe.py``), so each phase's stalls come with the code they were in.

Prints tables and appends them to bench/RESULTS.md with the date, machine and load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
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

HEAVY_MODULES = ("torch", "sentence_transformers", "transformers", "llama_cpp", "chromadb",
                 "onnxruntime", "langchain", "langchain_core", "jieba", "pypdf")
FIRST_PAINT_TARGET_S = 1.0
STALL_P99_TARGET_MS = 50.0
HEARTBEAT_MS = 10
QUESTIONS = [
    "What were Apple's total net sales for the quarter?",
    "What was NVIDIA's revenue for the quarter?",
    "How much did Microsoft spend on research and development?",
]


# --- display ---------------------------------------------------------------------------

class Display:
    """One Xvfb server for the run (or the offscreen platform)."""

    def __init__(self, offscreen: bool):
        self.proc = None
        self.env = dict(os.environ)
        self.kind = "offscreen (QT_QPA_PLATFORM=offscreen)"
        if offscreen or not shutil.which("Xvfb"):
            self.env["QT_QPA_PLATFORM"] = "offscreen"
            return
        r, w = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                                      "-nolisten", "tcp"], pass_fds=(w,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(w)
        with os.fdopen(r) as f:
            number = f.readline().strip()
        if not number:
            raise SystemExit("Xvfb did not start")
        self.env["DISPLAY"] = f":{number}"
        self.env.pop("QT_QPA_PLATFORM", None)
        self.env.pop("WAYLAND_DISPLAY", None)
        self.kind = f"Xvfb :{number}, 1280x800x24"

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


# --- first paint -----------------------------------------------------------------------

def read_probe(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line being written
    return out


def launch_once(home: Path, display: Display, timeout: float = 300.0) -> dict:
    """Start the app, wait for "Ready" (or a start-up problem), stop it."""
    probe = Path(tempfile.mkstemp(prefix="wenji-paint-", suffix=".jsonl")[1])
    probe.unlink()
    env = dict(display.env, WENJI_FIRST_PAINT_FILE=str(probe))
    log = tempfile.TemporaryFile()
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "app", "--home", str(home)], cwd=REPO,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    paint = ready = problem = None
    try:
        while time.monotonic() - t0 < timeout:
            if proc.poll() is not None:
                break
            for rec in read_probe(probe):
                if rec["event"] == "paint":
                    paint = rec
                elif rec.get("ready"):
                    ready = rec
                elif rec["message"].startswith("Start-up problem"):
                    problem = rec["message"]
            if ready or problem:
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        probe.unlink(missing_ok=True)
    if paint is None:
        log.seek(0)
        raise SystemExit("the window never painted:\n" + log.read().decode(errors="replace")[-3000:])
    return {"paint_s": paint["done"] - t0, "paint_event_s": paint["t"] - t0,
            "ready_s": ready["t"] - t0 if ready else None,
            "problem": problem,
            "heavy_at_paint": [m for m in HEAVY_MODULES if m in paint["modules"]],
            "modules_at_paint": len(paint["modules"])}


def bench_first_paint(display: Display, launches: int) -> dict:
    home = scratch_dir("wenji-ui-home-")
    try:
        first = launch_once(home, display)
        runs = [launch_once(home, display) for _ in range(launches)]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    paints = [r["paint_s"] for r in runs]
    readies = [r["ready_s"] for r in runs if r["ready_s"] is not None]
    return {"first": first, "runs": runs,
            "paint_median": statistics.median(paints), "paint_max": max(paints),
            "ready_median": statistics.median(readies) if readies else None,
            "ready_max": max(readies) if readies else None,
            "heavy_at_paint": sorted({m for r in [first, *runs] for m in r["heavy_at_paint"]}),
            "problems": [r["problem"] for r in [first, *runs] if r["problem"]]}


# --- stalls (child process) -------------------------------------------------------------

def nice_worker_threads(level: int) -> list[str]:
    """Experiment (``--nice-workers N``): every worker thread of the window lowers its own
    scheduling priority to N (Linux: nice is per thread, and the threads it starts, such
    as ONNX Runtime's and llama.cpp's compute threads and the parser processes, inherit
    it), so the GUI thread wins the CPU whenever it has something to do.  The window's
    background operations do this at ``models.cpu_share.BACKGROUND_NICE``; this sets
    that level, to try others."""
    from models import cpu_share

    cpu_share.BACKGROUND_NICE = level
    return [f"models.cpu_share.BACKGROUND_NICE = {level}"]


def watched_phase(window, heartbeat, wait_until, work: Path, n: int) -> dict:
    """A folder the window watches receives ``n`` new Markdown files at once (written by
    another thread, as a copy or a sync client would): until every one is searchable."""
    import threading

    folder = work / "watched"
    folder.mkdir()
    (folder / "start.md").write_text("# Start\n\nThe first note of the folder.\n")
    window.last_report = None
    window.ingest([str(folder)])  # dropped in: from now on watched
    wait_until(lambda: window.last_report is not None and window.watcher is not None
               and window.watcher.statuses(), 600)
    sources = sorted((REPO.parent / "shared" / "data" / "fastapi_docs_md" / "en" / "docs")
                     .rglob("*.md"))
    library = window.services.library()

    def ready() -> int:
        return sum(1 for d in library.documents() if d.path.startswith(str(folder))
                   and d.status in ("ready", "failed"))

    heartbeat.phase("watched folder")
    t = time.monotonic()
    writer = threading.Thread(target=lambda: [
        (folder / f"{i:04d}-{sources[i % len(sources)].name}").write_bytes(
            sources[i % len(sources)].read_bytes()) for i in range(n)])
    writer.start()
    done = wait_until(lambda: ready() >= n + 1, 3600)
    seconds = time.monotonic() - t
    writer.join()
    return {"files": n, "indexed": ready() - 1, "seconds": round(seconds, 1), "done": done}


LONG_ANSWER = (
    "Apple's total net sales were **$81.8 billion** for the quarter [1], compared with "
    "$83.0 billion a year earlier [2].\n\n"
    "| Segment | Net sales |\n|---|---|\n| iPhone | $39.7 billion |\n| Services | "
    "$21.2 billion |\n\n- Products: $60.6 billion [1]\n- Services grew 8 % [2]\n\n"
    "```python\ntotal = products + services\n```\n")


def scroll_phase(window, heartbeat, wait_until, docs: Path, messages: int) -> dict:
    """A saved chat of ``messages`` messages (half questions, half answers with a table,
    a list, a code block, citations and checks) is opened, then scrolled as a reader
    would (a wheel step every 16 ms) from its end to its start and back, the earlier
    messages arriving as the top is reached."""
    from PySide6.QtCore import QTimer

    from answer.chats import ChatStore
    from answer.checks import check_answer
    from answer.citations import Source, resolve_citations
    from answer.engine import AnswerDone

    text = ("Total net sales were $81.8 billion. Products net sales were $60.6 billion and "
            "services net sales were $21.2 billion.")
    path = str(sorted(docs.glob("*.pdf"))[0])
    sources = [Source(n=n, chunk_id=f"c{n}", doc_id=1, path=path, title="filing", page=n + 3,
                      heading=None, start=0, end=len(text), text=text,
                      label=f"{Path(path).name}, page {n + 3}") for n in (1, 2)]
    question = "What were the total net sales for the quarter?"
    citations = resolve_citations(LONG_ANSWER, sources, [question])
    done = AnswerDone(question, LONG_ANSWER, citations, sources, True, "en", question,
                      generated=True, model="bench",
                      check=check_answer(LONG_ANSWER, sources, citations, [question]))
    heartbeat.phase(None)  # writing the chat is not the window's work
    with ChatStore(window.ctx.home.chats_path) as chats:
        chat_id = chats.create(title="long chat", kb="default").id
        for i in range(messages // 2):
            chats.add_message(chat_id, "user", f"{question} ({i + 1})")
            chats.add_answer(chat_id, done)
    wait_until(lambda: False, 0.3)  # the heartbeat late from the writing is not counted
    heartbeat.phase("open long chat")
    t = time.monotonic()
    window.open_chat(chat_id)
    wait_until(lambda: False, 0.2)
    open_s = time.monotonic() - t

    heartbeat.phase("scrolling")
    bar = window.chat.transcript.verticalScrollBar()
    state = {"direction": -1, "steps": 0, "top_reached": False}

    def step() -> None:
        state["steps"] += 1
        if state["direction"] < 0:
            if bar.value() == 0 and not window.chat._hidden:
                state["direction"], state["top_reached"] = 1, True
            bar.setValue(bar.value() - 120)
        else:
            bar.setValue(bar.value() + 120)

    timer = QTimer()
    timer.timeout.connect(step)
    t = time.monotonic()
    timer.start(16)
    finished = wait_until(lambda: state["top_reached"] and bar.value() >= bar.maximum(), 900)
    timer.stop()
    return {"messages": messages, "shown": len(window.chat.transcript.rows),
            "open_s": round(open_s, 2), "scroll_s": round(time.monotonic() - t, 1),
            "steps": state["steps"], "done": finished}


def phase_stalls(docs: Path, quick: bool, questions: int, out: Path,
                 nice_workers: int = 0, watched: int = 500, scroll: int = 1000,
                 scroll_only: bool = False) -> None:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    patched = nice_worker_threads(nice_workers) if nice_workers else []

    from bench.ui_stall_probe import Heartbeat, StallSampler

    work = scratch_dir("wenji-ui-stalls-")
    src = sorted(docs.glob("*.pdf"))[: 3 if quick else None]
    copy = work / "sec10q"
    copy.mkdir()
    for f in src:
        shutil.copy(f, copy / f.name)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    heartbeat = Heartbeat(HEARTBEAT_MS)
    sampler = StallSampler(heartbeat, threshold_ms=30.0)

    def wait_until(pred, timeout_s: float) -> bool:
        """Run the event loop (as app.exec would) until ``pred()`` or the timeout."""
        loop = QEventLoop()
        poll = QTimer()
        poll.setTimerType(Qt.PreciseTimer)
        deadline = time.monotonic() + timeout_s
        poll.timeout.connect(lambda: (pred() or time.monotonic() > deadline) and loop.quit())
        poll.start(50)
        loop.exec()
        poll.stop()
        return bool(pred())

    from app.context import Context
    from app.gui.main_window import MainWindow
    from app.home import Home
    from app.settings import Settings

    heartbeat.start()
    sampler.start()
    heartbeat.phase("start-up")
    window = MainWindow(Context(home=Home.open(work / "home"), settings=Settings()))
    window.show()
    status = window.statusBar()
    if not wait_until(lambda: window.started
                      or status.currentMessage().startswith("Start-up problem"), 600):
        raise SystemExit(f"not ready: {status.currentMessage()}")
    if not window.started:
        raise SystemExit(status.currentMessage())

    heartbeat.phase("idle")
    wait_until(lambda: False, 5.0)
    scroll_info = scroll_phase(window, heartbeat, wait_until, docs, scroll) if scroll else None
    if scroll_only:
        heartbeat.phase(None)
        sampler.stop()
        heartbeat.stop()
        out.write_text(json.dumps({"phases": heartbeat.summary(), "stalls": sampler.summary(),
                                   "scroll": scroll_info}))
        window.close()
        shutil.rmtree(work, ignore_errors=True)
        return

    heartbeat.phase("ingest")
    window.ingest([str(copy)])
    ingesting = lambda: window.last_report is None and window.ingesting
    if not wait_until(lambda: not ingesting(), 3600):
        raise SystemExit("ingest did not finish within an hour")
    report = window.last_report
    if report is None:
        raise SystemExit(f"ingest failed: {status.currentMessage()}")
    ingest_info = {"files": len(src), "added": report.count("added"),
                   "not_added": [f"{Path(o.path).name}: {o.reason}" for o in report.outcomes
                                 if o.status in ("failed", "skipped")]}
    wait_until(lambda: False, 0.5)  # let the final tree refresh paint

    heartbeat.phase("answer")
    answers = []
    for q in QUESTIONS[:questions]:
        window.chat.last_done = None
        window.chat.question.setPlainText(q)
        t = time.monotonic()
        window.chat.send()
        if not window.chat.busy:
            raise SystemExit("the question was not sent: "
                             + window.chat.transcript_text()[-300:])
        if not wait_until(lambda: window.chat.last_done is not None and not window.chat.busy, 900):
            raise SystemExit(f"no answer within 15 minutes: {q}")
        done = window.chat.last_done
        answers.append({"question": q, "seconds": round(time.monotonic() - t, 1),
                        "grounded": done.grounded, "chars": len(done.answer),
                        "answer": done.answer[:160]})
    watched_info = watched_phase(window, heartbeat, wait_until, work, watched) \
        if watched else None
    heartbeat.phase(None)
    sampler.stop()
    heartbeat.stop()

    out.write_text(json.dumps({"phases": heartbeat.summary(), "stalls": sampler.summary(),
                               "ingest": ingest_info, "answers": answers,
                               "watched": watched_info, "scroll": scroll_info,
                               "nice_workers": nice_workers, "patched": patched}))
    window.close()
    shutil.rmtree(work, ignore_errors=True)


def bench_stalls(display: Display, docs: Path, quick: bool, questions: int,
                 nice_workers: int = 0, watched: int = 500, scroll: int = 1000,
                 scroll_only: bool = False) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    cmd = [sys.executable, __file__, "--phase", "stalls", "--out", str(out), "--docs", str(docs),
           "--questions", str(questions), "--nice-workers", str(nice_workers),
           "--watched", str(watched), "--scroll", str(scroll)] + (
               ["--quick"] if quick else []) + (["--scroll-only"] if scroll_only else [])
    if subprocess.run(cmd, cwd=REPO, env=display.env).returncode != 0:
        raise SystemExit("stall phase failed")
    result = json.loads(out.read_text())
    out.unlink()
    return result


# --- report -----------------------------------------------------------------------------

def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def render(fp: dict | None, st: dict | None, meta: dict) -> str:
    lines = [f"## Window: first paint and event-loop stalls ({meta['label']}) — {meta['date']}", "",
             f"- Machine: {meta['machine']}",
             f"- Load average (1/5/15 min) at start {meta['load_start']}, at end {meta['load_end']} "
             "(shared machine)",
             f"- Display: {meta['display']}", ""]
    if fp:
        ok = fp["paint_max"] <= FIRST_PAINT_TARGET_S and not fp["heavy_at_paint"]
        first = fp["first"]
        lines += [f"Launch to first paint (`python -m app`, {len(fp['runs'])} launches on one data "
                  "folder, after a first launch that set it up):", "",
                  "| | first frame painted s | \"Ready\" s (models loaded) |", "|---|---:|---:|",
                  f"| first launch (new data folder) | {first['paint_s']:.2f} | "
                  f"{_num(first['ready_s'])} |",
                  f"| median | {fp['paint_median']:.2f} | {_num(fp['ready_median'])} |",
                  f"| max | {fp['paint_max']:.2f} | {_num(fp['ready_max'])} |", "",
                  f"- first paint event (start of that frame), median: "
                  f"{statistics.median(r['paint_event_s'] for r in fp['runs']):.2f} s",
                  f"- each launch: " + ", ".join(f"{r['paint_s']:.2f}" for r in fp["runs"]) + " s",
                  f"- heavy modules imported before the first paint: "
                  f"{', '.join(fp['heavy_at_paint']) or 'none'} (checked: {', '.join(HEAVY_MODULES)}); "
                  f"{first['modules_at_paint']} top-level modules at paint",
                  f"- target first paint <= {FIRST_PAINT_TARGET_S:.0f} s with no heavy import: "
                  f"**{'met' if ok else 'not met'}**"]
        if fp["problems"]:
            lines.append(f"- start-up problems: {'; '.join(fp['problems'])}")
        lines.append("")
    if st:
        lines += [f"Event-loop lateness ({HEARTBEAT_MS} ms PreciseTimer heartbeat; lateness = "
                  f"interval - {HEARTBEAT_MS} ms):", "",
                  "| phase | seconds | heartbeats | p50 ms | p99 ms | max ms | p99 <= 50 ms |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for name, p in st["phases"].items():
            lines.append(f"| {name} | {p['seconds']:.1f} | {p['beats']} | {p['p50']:.1f} | "
                         f"{p['p99']:.1f} | {p['max']:.1f} | "
                         f"{'yes' if p['p99'] <= STALL_P99_TARGET_MS else '**no**'} |")
        if st.get("nice_workers"):
            lines += ["", f"Experiment: worker threads at nice {st['nice_workers']} "
                      f"({', '.join(st['patched'])} wrapped in this run only)."]
        ing = st.get("ingest")
        if ing:
            lines += ["", f"- ingest: {ing['files']} SEC PDFs, {ing['added']} added"
                      + (f"; not added: {'; '.join(ing['not_added'])}" if ing["not_added"]
                         else "")]
        if st.get("scroll"):
            sc = st["scroll"]
            lines.append(f"- long chat: {sc['messages']} messages opened in {sc['open_s']} s, "
                         f"scrolled end → start → end in {sc['scroll_s']} s ({sc['steps']} "
                         f"wheel steps, {sc['shown']} messages shown at the end)"
                         + ("" if sc["done"] else " (**did not reach both ends**)"))
        if st.get("watched"):
            w = st["watched"]
            lines.append(f"- watched folder: {w['files']} new Markdown files written at once, "
                         f"{w['indexed']} indexed in {w['seconds']} s"
                         + ("" if w["done"] else " (**not all within the hour**)"))
        for a in st.get("answers", []):
            lines.append(f"- answer: \"{a['question']}\" {a['seconds']} s, "
                         f"{'grounded' if a['grounded'] else 'not grounded'}, {a['chars']} chars")
        met = all(p["p99"] <= STALL_P99_TARGET_MS for p in st["phases"].values())
        lines += [f"- target p99 <= {STALL_P99_TARGET_MS:.0f} ms in every phase: "
                  f"**{'met' if met else 'not met'}**", ""]
        if any(s["top"] for s in st["stalls"].values()):
            lines += ["Where the GUI thread was when the heartbeat was >= 30 ms late (samples "
                      "every 5 ms; innermost project/Qt frame first):", ""]
            for name, s in st["stalls"].items():
                for stack, n in s["top"][:4]:
                    lines.append(f"- {name}: {n} samples: {describe(stack)}")
            lines.append("")
    return "\n".join(lines)


def describe(stack: str) -> str:
    """A GUI-thread stack whose innermost Python frame is the benchmark's own event loop
    means the thread was in Qt's C++ code (painting, layout) or waiting for the GIL."""
    if stack.startswith("bench/ui.py:wait_until"):
        return "in Qt's event loop (C++: painting/layout, or waiting for the GIL or a CPU)"
    return "`" + " < ".join(stack.split(" < ")[:5]) + "`"


def _num(x) -> str:
    return "-" if x is None else f"{x:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    ap.add_argument("--quick", action="store_true", help="3 SEC files, 1 question, 3 launches")
    ap.add_argument("--launches", type=int, default=None)
    ap.add_argument("--questions", type=int, default=None)
    ap.add_argument("--only", choices=["paint", "stalls", "scroll"],
                    help="scroll: only start-up, idle and the long chat (no ingest)")
    ap.add_argument("--scroll", type=int, default=1000, metavar="N",
                    help="messages in the long chat scrolled through (0: no such phase)")
    ap.add_argument("--offscreen", action="store_true", help="QT_QPA_PLATFORM=offscreen, no Xvfb")
    ap.add_argument("--nice-workers", type=int, default=0, metavar="N",
                    help="experiment: the window's worker threads run at nice N (see "
                    "nice_worker_threads)")
    ap.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--scroll-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--watched", type=int, default=500, metavar="N",
                    help="new Markdown files written into a watched folder (0: no such phase)")
    args = ap.parse_args()
    questions = args.questions or (1 if args.quick else 2)

    if args.phase == "stalls":
        phase_stalls(args.docs, args.quick, questions, args.out, args.nice_workers,
                     args.watched, args.scroll, args.scroll_only)
        return

    launches = args.launches or (3 if args.quick else 5)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "load_start": load(),
            "label": ("first paint only" if args.only == "paint" else
                      "quick" if args.quick else "SEC folder")}
    display = Display(args.offscreen)
    meta["display"] = display.kind
    try:
        fp = bench_first_paint(display, launches) if args.only in (None, "paint") else None
        st = (bench_stalls(display, args.docs, args.quick, questions, args.nice_workers,
                           args.watched, args.scroll, args.only == "scroll")
              if args.only != "paint" else None)
    finally:
        display.close()
    meta["load_end"] = load()
    text = render(fp, st, meta)
    print(text)
    if st:
        print("\nstall samples (all):")
        for name, s in st["stalls"].items():
            for stack, n in s["top"]:
                print(f"  {name:9} {n:4}  {describe(stack)}")
            for stack, n in s.get("others", [])[:6]:
                print(f"  {name:9} {n:4}  other thread: {stack}")
        print("\nworst stalls (lower bound of the lateness seen by the sampler):")
        for name, s in st["stalls"].items():
            for w in s.get("worst", []):
                print(f"  {name:9} >= {w['late_ms']:.0f} ms")
                for stack, n in w["gui"]:
                    print(f"      gui  {n:3}  {stack}")
                for stack, n in w["others"]:
                    print(f"      busy {n:3}  {stack}")
    if not args.no_record:
        with open(REPO / "bench" / "RESULTS.md", "a", encoding="utf-8") as f:
            f.write("\n" + text + "\n")


if __name__ == "__main__":
    main()
