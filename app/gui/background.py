"""Slow work off the GUI thread: every panel's one way to run it.

    op = background.run(work, on_done=..., on_failed=..., on_progress=..., name="ingest")

``work(op)`` runs on its own ``QThread``; it may call ``op.report(value)`` any number of
times and should stop early once ``op.cancel`` is set (pass it on to the core, which
takes a ``threading.Event``).  ``on_progress(value)``, then ``on_done(result)`` or
``on_failed(message)``, run on the GUI thread, in that order.

Why a wrapper: a worker object must live on its own thread and its signals must reach a
receiver that lives on the GUI thread, or the callbacks would run on the worker thread
and touch widgets from there.  :class:`Operation` is that receiver; :class:`Background`
keeps the running ones so that closing the window can stop and wait for them.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from models import cpu_share

log = logging.getLogger(__name__)

class _Worker(QObject):
    """Lives on the operation's thread; its signals are queued to the operation."""

    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, operation: "Operation", work: Callable[["Operation"], Any]):
        super().__init__()
        self.operation, self.work = operation, work

    @Slot()
    def run(self) -> None:
        cpu_share.run_in_background()  # the window keeps a core: see models.cpu_share
        try:
            result = self.work(self.operation)
        except Exception as exc:  # reported to the user by the operation's owner
            log.exception("%s failed", self.operation.name)
            self.operation.error = exc  # for an owner that offers a way out by its kind
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        self.succeeded.emit(result)


class Operation(QObject):
    """One piece of work on its own thread, with its callbacks on the GUI thread."""

    ended = Signal(object)  # self, after on_done / on_failed

    def __init__(self, parent: QObject, work: Callable[["Operation"], Any], name: str,
                 on_done: Callable[[Any], None] | None = None,
                 on_failed: Callable[[str], None] | None = None,
                 on_progress: Callable[[Any], None] | None = None):
        super().__init__(parent)
        self.name = name
        self.on_done, self.on_failed, self.on_progress = on_done, on_failed, on_progress
        self.cancel = threading.Event()
        self.error: Exception | None = None  # what the work raised, if it failed
        self._detached = False
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._worker = _Worker(self, work)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._progressed)
        self._worker.succeeded.connect(self._succeeded)
        self._worker.failed.connect(self._failed)

    # --- from the work, on its thread ------------------------------------------------

    def report(self, value: Any) -> None:
        """Hand ``value`` to ``on_progress`` on the GUI thread (values arrive in order,
        before the result)."""
        self._worker.progressed.emit(value)

    # --- from the GUI thread -----------------------------------------------------------

    @property
    def running(self) -> bool:
        """The work is still on its thread (its result may not have been handled yet)."""
        return self._thread.isRunning()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the work to stop; it ends (and reports) in its own time."""
        self.cancel.set()

    def wait(self, ms: int) -> bool:
        """Wait up to ``ms`` for the work's thread to end; its callbacks run later, from
        the event loop."""
        self._thread.quit()  # takes effect when the work has returned
        return self._thread.wait(ms)

    def finish(self, ms: int) -> bool:
        """Stop the work and wait up to ``ms`` for it; its last reports and its result
        are handled now, before this returns, so the caller can move on (show another
        chat, close).  False if it did not end in time: its callbacks are then dropped."""
        self.stop()
        if self.wait(ms):
            QCoreApplication.sendPostedEvents(self, 0)
            return True
        log.warning("%s still running; no longer waiting for it", self.name)
        self._detached = True
        return False

    @Slot(object)
    def _progressed(self, value: Any) -> None:
        if self.on_progress is not None and not self._detached:
            self.on_progress(value)

    def _end(self) -> bool:
        self._thread.quit()
        self._thread.wait()
        self.ended.emit(self)
        return not self._detached

    @Slot(object)
    def _succeeded(self, result: Any) -> None:
        if self._end() and self.on_done is not None:
            self.on_done(result)

    @Slot(str)
    def _failed(self, message: str) -> None:
        if self._end() and self.on_failed is not None:
            self.on_failed(message)


class Background(QObject):
    """Starts operations and keeps the running ones (for a clean shutdown)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._operations: list[Operation] = []

    def run(self, work: Callable[[Operation], Any], on_done: Callable[[Any], None] | None = None,
            on_failed: Callable[[str], None] | None = None,
            on_progress: Callable[[Any], None] | None = None,
            name: str = "background work") -> Operation:
        op = Operation(self, work, name, on_done, on_failed, on_progress)
        op.ended.connect(self._forget)
        self._operations.append(op)
        op.start()
        return op

    @property
    def running(self) -> bool:
        """Some work is still on its thread."""
        return any(op.running for op in self._operations)

    def stop_all(self) -> None:
        for op in list(self._operations):
            op.stop()

    def wait_all(self, ms: int) -> None:
        """Wait up to ``ms`` for each operation's thread to end."""
        for op in list(self._operations):
            op.wait(ms)

    @Slot(object)
    def _forget(self, op: Operation) -> None:
        if op in self._operations:
            self._operations.remove(op)
        op.deleteLater()
