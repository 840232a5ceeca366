"""The main window: knowledge bases and documents; files dropped on it are ingested.

The window paints at once; the library (Chroma) and the embedder load in a worker thread
and the status bar says so.  All work happens in the core through ``app.services``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QLabel, QMainWindow, QProgressBar, QPushButton,
                               QSplitter, QToolBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from app.gui.chat_panel import ChatPanel

from app.context import Context

log = logging.getLogger(__name__)

STATUS_ICONS = {"ready": "✔", "failed": "✖", "pending": "…", "removing": "…"}


class IngestWorker(QObject):
    """Runs ``Ingestor.run`` off the GUI thread and relays its progress as signals."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, ctx: Context, paths: list[str], services: "Services"):
        super().__init__()
        self.ctx, self.paths, self.services = ctx, paths, services
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            ingestor = self.services.ingestor()
            report = ingestor.run(self.paths, on_progress=self.progress.emit, cancel=self.cancel)
            self.finished.emit(report)
        except Exception as exc:  # shown to the user, never lost
            log.exception("ingest failed")
            self.failed.emit(str(exc))


class Services:
    """Core objects, created lazily (torch and Chroma take seconds to import)."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._lock = threading.Lock()
        self._library = None
        self._embedder = None

    def library(self):
        with self._lock:
            if self._library is None:
                from app.services import open_library

                self._library = open_library(self.ctx)
            return self._library

    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from app.services import make_embedder

                self._embedder = make_embedder(self.ctx)
            return self._embedder

    def ingestor(self):
        from app.services import make_ingestor

        return make_ingestor(self.ctx, self.library(), self.embedder())

    def registry(self):
        from models.registry import Registry

        return Registry(self.ctx.home.models_dir, self.ctx.settings.models.extra_model_dirs)

    def models(self):
        """The one ModelManager; switching models goes through it (failures keep the
        previous model loaded)."""
        with self._lock:
            if getattr(self, "_models", None) is None:
                from models.llm import ModelManager

                self._models = ModelManager(self.registry(), threads=self.ctx.settings.models.threads)
            return self._models

    def default_model(self) -> str:
        from models import bundled

        return self.ctx.settings.models.chat_model or str(
            bundled.ensure_chat_model(self.ctx.home.models_dir))

    def answer_engine(self, kb_name: str | None):
        from models.answer import AnswerEngine
        from retrieval.retriever import Retriever

        manager = self.models()
        if manager.loaded is None:
            raise RuntimeError("no chat model is loaded yet (see the status bar)")
        retriever = Retriever(self.library(), self.embedder(), self.ctx.settings.retrieval)
        return AnswerEngine(retriever, manager, kb_name=kb_name,
                            top_k=self.ctx.settings.retrieval.top_k)

    def chats(self):
        with self._lock:
            if getattr(self, "_chats", None) is None:
                from models.chats import ChatStore

                self._chats = ChatStore(self.ctx.home.chats_path)
            return self._chats


class MainWindow(QMainWindow):
    def __init__(self, ctx: Context):
        super().__init__()
        self.ctx = ctx
        self.services = Services(ctx)
        self.setWindowTitle("Wenji 文集")
        self.resize(1100, 720)
        self.setAcceptDrops(True)

        self.library_tree = QTreeWidget()
        self.library_tree.setHeaderLabels(["Document", "Status", "Pages", "Chunks", "Reason"])
        self.library_tree.setObjectName("libraryTree")
        self.drop_hint = QLabel("Drop PDF or Markdown files or folders anywhere on this window.")
        self.drop_hint.setAlignment(Qt.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel_ingest)

        left = QWidget()
        lay = QVBoxLayout(left)
        lay.addWidget(self.library_tree)
        lay.addWidget(self.drop_hint)
        lay.addWidget(self.progress)
        lay.addWidget(self.cancel_button)
        self.chat = ChatPanel(lambda: self.services.answer_engine(self.chat.kb_name),
                              self.services.chats)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.chat)
        splitter.setSizes([380, 820])
        self.setCentralWidget(splitter)

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        self.addToolBar(toolbar)
        toolbar.addWidget(QLabel(" Model: "))
        self.model_picker = QComboBox()
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setMinimumWidth(320)
        self.model_picker.activated.connect(self._on_model_chosen)
        toolbar.addWidget(self.model_picker)
        new_chat = toolbar.addAction("New chat")
        new_chat.triggered.connect(self.chat.new_chat)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.chat.new_chat)
        self._model_thread: QThread | None = None
        self.statusBar().showMessage("Starting…")
        self._thread: QThread | None = None
        self._worker: IngestWorker | None = None
        self.last_report = None
        QThreadLoader.start(self)

    # --- library ------------------------------------------------------------------

    def refresh_library(self) -> None:
        library = self.services.library()
        self.library_tree.clear()
        for kb in library.kbs():
            kb_item = QTreeWidgetItem([kb.name, "", "", "", ""])
            self.library_tree.addTopLevelItem(kb_item)
            for doc in library.documents(kb):
                item = QTreeWidgetItem([Path(doc.path).name,
                                        f"{STATUS_ICONS.get(doc.status, '?')} {doc.status}",
                                        str(doc.pages or ""), str(doc.chunks or ""),
                                        doc.reason or ""])
                item.setToolTip(0, doc.path)
                item.setData(0, Qt.UserRole, doc.path)
                kb_item.addChild(item)
            kb_item.setExpanded(True)

    def documents_shown(self) -> dict[str, str]:
        """Path → status of the documents in the tree (for tests and accessibility)."""
        out = {}
        for i in range(self.library_tree.topLevelItemCount()):
            kb_item = self.library_tree.topLevelItem(i)
            for j in range(kb_item.childCount()):
                item = kb_item.child(j)
                out[item.data(0, Qt.UserRole)] = item.text(1).split(" ", 1)[-1]
        return out

    # --- drag and drop ------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.ingest(paths)

    def ingest(self, paths: list[str]) -> None:
        if self._thread is not None:
            self.statusBar().showMessage("Still adding the previous files; try again after.")
            return
        self._thread = QThread(self)
        self._worker = IngestWorker(self.ctx, paths, self.services)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.progress.setValue(0)
        self.statusBar().showMessage(f"Adding {len(paths)} item(s)…")
        self._thread.start()

    def cancel_ingest(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()

    @Slot(object)
    def _on_progress(self, p) -> None:
        self.progress.setMaximum(max(1, p.files_total))
        self.progress.setValue(p.files_done)
        name = Path(p.current).name if p.current else ""
        self.statusBar().showMessage(
            f"{p.files_done}/{p.files_total} files · {p.chunks_done} chunks · "
            f"{p.rate:.1f} chunks/s {name}")
        if p.outcome is not None:
            self.refresh_library()

    @Slot(object)
    def _on_finished(self, report) -> None:
        self.last_report = report
        self._end_ingest()
        failed = [o for o in report.outcomes if o.status in ("failed", "skipped")]
        msg = f"Added {report.count('added')}, updated {report.count('updated')}"
        if failed:
            msg += f"; {len(failed)} not added: " + "; ".join(
                f"{Path(o.path).name}: {o.reason}" for o in failed[:3])
        self.statusBar().showMessage(msg)
        self.refresh_library()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end_ingest()
        self.statusBar().showMessage(f"Adding files failed: {message}")

    def _end_ingest(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._thread = None
        self._worker = None

    # --- models -------------------------------------------------------------------------

    def refresh_models(self) -> None:
        self.model_picker.clear()
        loaded = self.services.models().loaded
        for info in self.services.registry().list():
            label = (f"{info.display_name or info.name} · {info.size_label} · "
                     f"{info.quantization} · ctx {info.context_length}") if info.ok else \
                    f"{info.name} (unusable: {info.error})"
            self.model_picker.addItem(label, str(info.path))
            if loaded is not None and str(info.path) == str(getattr(loaded, "path", "")):
                self.model_picker.setCurrentIndex(self.model_picker.count() - 1)

    def _on_model_chosen(self, index: int) -> None:
        path = self.model_picker.itemData(index)
        if path:
            self.switch_model(path)

    def switch_model(self, name_or_path: str) -> None:
        """Load in the background; on failure say why and keep the previous model."""
        if self._model_thread is not None:
            self.statusBar().showMessage("A model is still loading…")
            return
        worker = ModelLoader(self.services, name_or_path)
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.status.connect(self.statusBar().showMessage)
        worker.done.connect(self._on_model_done)
        self._model_thread, self._model_worker = thread, worker
        self.model_picker.setEnabled(False)
        thread.start()

    @Slot(bool, str)
    def _on_model_done(self, ok: bool, message: str) -> None:
        if self._model_thread is not None:
            self._model_thread.quit()
            self._model_thread.wait()
        self._model_thread = None
        self.model_picker.setEnabled(True)
        self.refresh_models()
        self.statusBar().showMessage(message)

    def closeEvent(self, event) -> None:
        """Cancel work in flight and wait for it: the stores stay consistent."""
        self.chat.shutdown()
        if self._model_thread is not None:
            self._model_thread.quit()
            self._model_thread.wait(30_000)
        if self._worker is not None:
            self._worker.cancel.set()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(10_000)
        super().closeEvent(event)


class ModelLoader(QObject):
    """Loads a chat model through the ModelManager off the GUI thread."""

    status = Signal(str)
    done = Signal(bool, str)

    def __init__(self, services: Services, name_or_path: str):
        super().__init__()
        self.services, self.name_or_path = services, name_or_path

    @Slot()
    def run(self) -> None:
        from models.llm import ModelLoadError

        try:
            loaded = self.services.models().load(
                self.name_or_path, on_status=lambda stage, msg: self.status.emit(msg))
            self.done.emit(True, f"Model ready: {Path(str(getattr(loaded, 'path', self.name_or_path))).name}")
        except ModelLoadError as exc:
            previous = self.services.models().loaded
            keep = f"; still using {Path(str(previous.path)).name}" if previous else ""
            self.done.emit(False, f"Could not load the model: {exc}{keep}")
        except Exception as exc:
            log.exception("model load failed")
            self.done.emit(False, f"Could not load the model: {exc}")


class QThreadLoader(QObject):
    """Loads the library and embedder in the background after the first paint."""

    ready = Signal()
    failed = Signal(str)

    @classmethod
    def start(cls, window: MainWindow) -> None:
        loader = cls()
        thread = QThread(window)
        loader.moveToThread(thread)
        thread.started.connect(loader.run)
        loader.window = window
        loader.ready.connect(lambda: (window.refresh_library(), window.refresh_models(),
                                      window.statusBar().showMessage("Ready")))
        loader.failed.connect(lambda m: window.statusBar().showMessage(f"Start-up problem: {m}"))
        loader.ready.connect(thread.quit)
        loader.failed.connect(thread.quit)
        window._loader, window._loader_thread = loader, thread
        thread.start()

    @Slot()
    def run(self) -> None:
        try:
            services = self.window.services
            services.library()
            services.embedder().load()
            services.models().load(services.default_model())
            self.ready.emit()
        except Exception as exc:
            log.exception("start-up loading failed")
            self.failed.emit(str(exc))
