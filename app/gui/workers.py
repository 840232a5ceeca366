"""The long-running jobs of the window, each on its own ``QThread``.

* :class:`IngestWorker` runs ``Ingestor.run`` and relays its progress (a snapshot per
  report: the core updates one ``Progress`` object in place, and the GUI reads it later);
* :class:`ModelLoader` switches the chat model through the ``ModelManager``, which keeps
  the previous model when the new one fails;
* :class:`StartupLoader` opens the library, the embedder and the default model after the
  window has painted.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

BACKGROUND_NICE = 10


def yield_cpu_to_the_window() -> None:
    """Run the calling worker thread (and the compute threads it starts: ONNX Runtime's
    and llama.cpp's inherit it) at a lower priority than the GUI thread.

    On 2 cores the embedder or the model takes every core; at equal priority the event
    loop then waits its turn for a CPU (heartbeat p99 42 ms, max 864 ms while ingesting);
    at nice 10 it measured 22 ms and 189 ms.  Linux sets the priority per thread; where
    that is not possible nothing changes.
    """
    import os

    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except (AttributeError, OSError):
        pass


class IngestWorker(QObject):
    """Runs ``Ingestor.run`` off the GUI thread and relays its progress as signals."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, services, paths: list[str], kb_name: str | None = None,
                 force: bool = False):
        super().__init__()
        self.services, self.paths, self.kb_name = services, paths, kb_name
        self.force = force  # Re-index: redo files even when unchanged
        self.cancel = threading.Event()

    def _relay(self, progress) -> None:
        self.progress.emit(dataclasses.replace(progress))

    @Slot()
    def run(self) -> None:
        yield_cpu_to_the_window()
        try:
            ingestor = self.services.ingestor()
            report = ingestor.run(self.paths, kb_name=self.kb_name, on_progress=self._relay,
                                  cancel=self.cancel, force=self.force)
            self.finished.emit(report)
        except Exception as exc:  # shown to the user, never lost
            log.exception("ingest failed")
            self.failed.emit(str(exc))


class ModelLoader(QObject):
    """Loads a chat model through the ModelManager off the GUI thread."""

    status = Signal(str)
    done = Signal(bool, str)

    def __init__(self, services, name_or_path: str):
        super().__init__()
        self.services, self.name_or_path = services, name_or_path

    @Slot()
    def run(self) -> None:
        from models.llm import ModelLoadError

        yield_cpu_to_the_window()
        try:
            loaded = self.services.models().load(
                self.name_or_path, on_status=lambda stage, msg: self.status.emit(msg))
            name = Path(str(getattr(loaded, "path", self.name_or_path))).name
            self.done.emit(True, self.tr("Model ready: {name}").format(name=name))
        except ModelLoadError as exc:
            previous = self.services.models().loaded
            keep = (self.tr("; still using {name}").format(name=Path(str(previous.path)).name)
                    if previous else "")
            self.done.emit(False, self.tr("Could not load the model: {reason}").format(reason=exc)
                           + keep)
        except Exception as exc:
            log.exception("model load failed")
            self.done.emit(False, self.tr("Could not load the model: {reason}").format(reason=exc))


class StartupLoader(QObject):
    """Loads the library, the embedder and the default model after the first paint."""

    ready = Signal()
    failed = Signal(str)
    status = Signal(str)

    def __init__(self, services):
        super().__init__()
        self.services = services

    @classmethod
    def start(cls, window) -> "StartupLoader":
        loader = cls(window.services)
        thread = QThread()
        loader.moveToThread(thread)
        thread.started.connect(loader.run)
        loader.ready.connect(window._on_started)
        loader.failed.connect(window._on_start_failed)
        loader.status.connect(window.statusBar().showMessage)
        loader.ready.connect(thread.quit)
        loader.failed.connect(thread.quit)
        window._loader, window._loader_thread = loader, thread
        thread.start()
        return loader

    @Slot()
    def run(self) -> None:
        try:
            yield_cpu_to_the_window()
            services = self.services
            self.status.emit(self.tr("Opening the library…"))
            services.library()
            services.chats()  # the SQLite schema check, off the GUI thread
            embedder = services.embedder()
            self.status.emit(self.tr("Loading the embedding model…") if embedder.prepared
                             else self.tr("Preparing the embedding model for this computer "
                                          "(once, about a minute)…"))
            embedder.load()
            self.status.emit(self.tr("Loading the chat model…"))
            services.models().load(services.default_model())
            services.registry().list()  # GGUF headers read here, not in the window's slot
            import models.answer  # noqa: F401  (imported here, not by the first answer's slot)
            self.ready.emit()
        except Exception as exc:
            log.exception("start-up loading failed")
            self.failed.emit(str(exc))
