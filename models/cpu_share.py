"""Sharing the cores between an answer being written and work in the background.

Why: an answer that took 10.6 s on a quiet machine took minutes while a folder was being
added -- llama.cpp's threads each wait for the slowest, and a core the embedder holds
makes every token wait.  Asking while documents are being added is the everyday case.
So the answer says when it runs (:func:`foreground`, from retrieval to the last token)
and background work yields to it: the ingest embeds nothing and hands its parsers no new
file meanwhile (:func:`wait_while_answering`, called by :mod:`ingest.pipeline` between
its steps); a parser already reading a file finishes it at its lower priority.  The
answer keeps all its threads: once the embedder waits, no core is taken.  Measured with
``bench/answers.py --busy`` (bench/RESULTS.md).  One process: the window runs both; the
terminal's ``wenji ask`` and ``wenji add`` are separate processes and do not coordinate.
"""

from __future__ import annotations

import contextlib
import threading
import time

_lock = threading.Lock()
_answers = 0
enabled = True  # False: no coordination (for measuring what it is worth)


@contextlib.contextmanager
def foreground():
    """Around the writing of an answer (retrieval included)."""
    global _answers
    with _lock:
        _answers += 1
    try:
        yield
    finally:
        with _lock:
            _answers -= 1


def answering() -> bool:
    """Whether an answer is being written now."""
    return enabled and _answers > 0


# Background work waits at most this long at a time: an answer left unfinished by its
# caller (a generator never closed) must not stop an ingest for good.
MAX_WAIT_S = 120.0


def wait_while_answering(cancel: threading.Event | None = None, poll: float = 0.05,
                         max_wait: float = MAX_WAIT_S) -> None:
    """Background work calls this between its steps: it returns once no answer is being
    written, ``cancel`` is set, or ``max_wait`` seconds have passed."""
    end = time.monotonic() + max_wait
    while answering() and not (cancel is not None and cancel.is_set()):
        if time.monotonic() >= end:
            return
        time.sleep(poll)


BACKGROUND_NICE = 10


def run_in_background() -> None:
    """Run the calling thread (and the compute threads it starts: ONNX Runtime's and
    llama.cpp's inherit it) at a lower priority than the window's and the answer's.

    On 2 cores the embedder or the model takes every core; at equal priority the window's
    event loop then waits its turn for a CPU and stutters (measured with ``bench/ui.py``,
    see bench/RESULTS.md).  Linux sets the priority per thread; where that is not
    possible nothing changes.
    """
    import os

    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except (AttributeError, OSError):
        pass
