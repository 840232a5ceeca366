"""Measure how late the Qt event loop runs, and sample where the GUI thread is when it is.

``Heartbeat`` is a ``Qt.PreciseTimer`` on the GUI thread: every beat records its lateness
(interval since the previous beat minus the nominal interval) under the current phase.
``StallSampler`` is a plain thread that, whenever the last beat is older than the
threshold, samples every thread's Python stack with ``sys._current_frames()``: the GUI
thread's stack names the slot that blocks it (or shows it inside Qt's own C++ code),
and the other threads' stacks show who was running Python meanwhile (with the GIL
switch interval at 5 ms, Python work in a worker delays the GUI thread too).
Used by ``bench/ui.py``.
"""

from __future__ import annotations

import collections
import statistics
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


class Heartbeat(QObject):
    """Beats every ``interval_ms`` on the GUI thread; lateness per phase in ms."""

    def __init__(self, interval_ms: int = 10):
        super().__init__()
        self.interval_ms = interval_ms
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)
        self.last_beat = time.perf_counter()
        self.current: str | None = None
        self.lateness: dict[str, list[float]] = {}
        self.spans: dict[str, list[float]] = {}

    def start(self) -> None:
        self.last_beat = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def phase(self, name: str | None) -> None:
        """Start counting beats under ``name`` (None: stop counting)."""
        now = time.perf_counter()
        if self.current is not None:
            self.spans[self.current][1] = now
        self.current = name
        if name is not None:
            self.lateness.setdefault(name, [])
            self.spans[name] = [now, now]

    def _beat(self) -> None:
        now = time.perf_counter()
        late = (now - self.last_beat) * 1000 - self.interval_ms
        self.last_beat = now
        if self.current is not None:
            self.lateness[self.current].append(max(0.0, late))

    def summary(self) -> dict:
        out = {}
        for name, values in self.lateness.items():
            start, end = self.spans[name]
            out[name] = {"seconds": end - start, "beats": len(values),
                         "p50": statistics.median(values) if values else 0.0,
                         "p99": percentile(values, 99), "max": max(values, default=0.0),
                         "over_50ms": sum(1 for v in values if v > 50)}
        return out


def _where(frame, limit: int = 5) -> str:
    """Innermost frames first, as ``file:function:line``; library paths shortened."""
    parts = []
    while frame is not None and len(parts) < limit:
        code = frame.f_code
        path = Path(code.co_filename)
        try:
            name = str(path.relative_to(REPO))
        except ValueError:
            name = "/".join(path.parts[-2:]) if "site-packages" in path.parts else path.name
        parts.append(f"{name}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return " < ".join(parts)


IDLE_FRAMES = ("threading.py:wait", "selectors.py:select", "queues.py:_feed",
               "connection.py:wait", "threading.py:_wait_for_tstate_lock")


def _busy(where: str) -> bool:
    """False for a thread that is only waiting (its innermost frame is a wait)."""
    return not where.startswith(IDLE_FRAMES)


class StallSampler:
    """Samples all stacks every ``every_ms`` while the heartbeat is ``threshold_ms`` late.

    Samples are kept per phase (GUI thread stacks, and the stacks of the other threads
    that were not just waiting) and per stall (one stall = one late heartbeat), so the
    worst stalls can be shown with what every thread was doing during them."""

    def __init__(self, heartbeat: Heartbeat, threshold_ms: float = 30.0, every_ms: float = 5.0):
        self.heartbeat = heartbeat
        self.threshold = (threshold_ms + heartbeat.interval_ms) / 1000
        self.every = every_ms / 1000
        self.main_ident = threading.main_thread().ident
        self.gui: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.others: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.stalls: dict[float, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.every):
            phase, last = self.heartbeat.current, self.heartbeat.last_beat
            late = time.perf_counter() - last
            if phase is None or late < self.threshold:
                continue
            names = {t.ident: t.name for t in threading.enumerate()}
            frames = sys._current_frames()
            stall = self.stalls.setdefault(last, {"phase": phase, "late_ms": 0.0,
                                                  "gui": collections.Counter(),
                                                  "others": collections.Counter()})
            stall["late_ms"] = max(stall["late_ms"], late * 1000 - self.heartbeat.interval_ms)
            main = frames.get(self.main_ident)
            if main is not None:
                where = _where(main, 10)
                self.gui[phase][where] += 1
                stall["gui"][where] += 1
            for ident, frame in frames.items():
                if ident in (me, self.main_ident):
                    continue
                where = _where(frame, 3)
                if _busy(where):
                    key = f"[{names.get(ident, ident)}] {where}"
                    self.others[phase][key] += 1
                    stall["others"][key] += 1

    def summary(self, worst: int = 8) -> dict:
        out = {phase: {"top": self.gui[phase].most_common(8),
                       "others": self.others[phase].most_common(8), "worst": []}
               for phase in set(self.gui) | set(self.others)}
        for stall in sorted(self.stalls.values(), key=lambda s: -s["late_ms"]):
            if len(out[stall["phase"]]["worst"]) < worst:
                out[stall["phase"]]["worst"].append(
                    {"late_ms": round(stall["late_ms"], 1), "gui": stall["gui"].most_common(2),
                     "others": stall["others"].most_common(3)})
        return out
