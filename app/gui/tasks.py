"""Run slow core calls off the GUI thread and get the result back on it.

Why a wrapper: a worker object must live on its own ``QThread`` and its signals must
reach a receiver that lives on the GUI thread, or the callbacks would run on the worker
thread and touch widgets from there.  :class:`Task` is that receiver; the window keeps
every running task in a :class:`TaskRunner` so closing the window can wait for them.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class _Worker(QObject):
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn

    @Slot()
    def run(self) -> None:
        from app.gui.workers import yield_cpu_to_the_window

        yield_cpu_to_the_window()
        try:
            result = self.fn()
        except Exception as exc:  # reported to the user by the task's owner
            log.exception("background work failed")
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        self.done.emit(result)


class Task(QObject):
    """One call on its own thread; ``on_done(result)`` / ``on_failed(message)`` run on
    the GUI thread."""

    ended = Signal(object)

    def __init__(self, parent: QObject, fn: Callable[[], Any],
                 on_done: Callable[[Any], None] | None = None,
                 on_failed: Callable[[str], None] | None = None):
        super().__init__(parent)
        self.on_done, self.on_failed = on_done, on_failed
        self.thread = QThread()
        self.worker = _Worker(fn)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.done.connect(self._done)
        self.worker.failed.connect(self._failed)

    def start(self) -> None:
        self.thread.start()

    def wait(self, ms: int = 30_000) -> bool:
        self.thread.quit()
        return self.thread.wait(ms)

    def _finish(self) -> None:
        self.thread.quit()
        self.thread.wait()
        self.ended.emit(self)

    @Slot(object)
    def _done(self, result: Any) -> None:
        self._finish()
        if self.on_done is not None:
            self.on_done(result)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._finish()
        if self.on_failed is not None:
            self.on_failed(message)


class TaskRunner(QObject):
    """Starts tasks and remembers the running ones (for ``busy`` and a clean shutdown)."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._running: list[Task] = []

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_failed: Callable[[str], None] | None = None) -> Task:
        task = Task(self, fn, on_done, on_failed)
        task.ended.connect(self._forget)
        self._running.append(task)
        task.start()
        return task

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait_all(self, ms: int = 30_000) -> None:
        for task in list(self._running):
            task.wait(ms)

    @Slot(object)
    def _forget(self, task: Task) -> None:
        if task in self._running:
            self._running.remove(task)
        task.deleteLater()
