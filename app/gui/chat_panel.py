"""The chat: ask a question, watch the answer stream in, see its sources.

All the work is the core's ``models.answer.AnswerEngine``; this panel runs it in a worker
thread and turns its events into widgets.  Enter sends, Shift+Enter adds a line, Esc
stops.  Chats are saved in the data folder through ``models.chats.ChatStore``.
"""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QKeyEvent
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QPushButton, QSplitter, QTextBrowser,
                               QVBoxLayout, QWidget)

log = logging.getLogger(__name__)


class AnswerWorker(QObject):
    """Runs ``AnswerEngine.ask`` off the GUI thread; relays its events as a signal."""

    event = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, engine, question: str, history: list, kb_name: str | None):
        super().__init__()
        self.engine, self.question, self.history, self.kb_name = engine, question, history, kb_name
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        try:
            for ev in self.engine.ask(self.question, self.history, self.cancel, kb_name=self.kb_name):
                self.event.emit(ev)
        except Exception as exc:  # shown to the user, never lost
            log.exception("answering failed")
            self.failed.emit(str(exc))
        finally:
            self.finished.emit()


class QuestionBox(QPlainTextEdit):
    """Enter sends, Shift+Enter is a new line, Esc stops."""

    submitted = Signal()
    stop_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() & Qt.ShiftModifier:
            self.submitted.emit()
            return
        if event.key() == Qt.Key_Escape:
            self.stop_requested.emit()
            return
        super().keyPressEvent(event)


class ChatPanel(QWidget):
    """Conversation view, question box, Send/Stop, and the sources of the last answer."""

    answered = Signal(object)  # AnswerDone

    def __init__(self, make_engine, chats_factory, parent=None):
        super().__init__(parent)
        self.make_engine = make_engine  # () -> AnswerEngine (raises with a user message)
        self.chats_factory = chats_factory  # () -> ChatStore
        self.chat_id: int | None = None
        self.kb_name: str | None = None
        self.last_done = None
        self._thread: QThread | None = None
        self._worker: AnswerWorker | None = None
        self._answer_html = ""

        self.view = QTextBrowser()
        self.view.setObjectName("conversation")
        self.view.setOpenExternalLinks(False)
        self.question = QuestionBox()
        self.question.setObjectName("question")
        self.question.setPlaceholderText("Ask a question about your documents…  (Enter sends, "
                                         "Shift+Enter new line, Esc stops)")
        self.question.setFixedHeight(70)
        self.send_button = QPushButton("Send")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.sources = QListWidget()
        self.sources.setObjectName("sources")
        self.sources.itemActivated.connect(self._open_source)
        self.sources_label = QLabel("Sources")

        buttons = QHBoxLayout()
        buttons.addWidget(self.question, 1)
        col = QVBoxLayout()
        col.addWidget(self.send_button)
        col.addWidget(self.stop_button)
        buttons.addLayout(col)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.sources_label)
        rl.addWidget(self.sources, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([600, 300])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

        self.send_button.clicked.connect(self.send)
        self.question.submitted.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.question.stop_requested.connect(self.stop)

    # --- asking -------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def send(self) -> None:
        text = self.question.toPlainText().strip()
        if not text or self.busy:
            return
        try:
            engine = self.make_engine()
        except Exception as exc:
            self._append(f"<p style='color:#a00'>{html.escape(str(exc))}</p>")
            return
        chats = self.chats_factory()
        if self.chat_id is None:
            self.chat_id = chats.create(title=text[:60], kb=self.kb_name or "").id
        history = chats.history(self.chat_id)
        chats.add_message(self.chat_id, "user", text)
        self.question.clear()
        self._append(f"<p><b>You:</b> {html.escape(text)}</p>")
        self._answer_html = ""
        self._append("<p><b>Wenji:</b> <span id='answer'></span></p>")
        self._thread = QThread(self)
        self._worker = AnswerWorker(engine, text, history, self.kb_name)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.event.connect(self._on_event)
        self._worker.failed.connect(self._on_failed)
        self._worker.finished.connect(self._on_finished)
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._thread.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel.set()

    def shutdown(self) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait(10_000)

    @Slot(object)
    def _on_event(self, ev) -> None:
        from models.answer import AnswerDone, Retrieved, TextPiece

        if isinstance(ev, Retrieved):
            self._show_sources(ev.sources, ev.grounded, [])
        elif isinstance(ev, TextPiece):
            cursor = self.view.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(ev.text)
            self.view.setTextCursor(cursor)
            self.view.ensureCursorVisible()
        elif isinstance(ev, AnswerDone):
            self.last_done = ev
            self._show_sources(ev.sources, ev.grounded, ev.citations)
            if ev.citations:
                chips = " ".join(
                    f"<a href='cite:{c.n}'>[{c.n}] {html.escape(c.source.label)}"
                    f"{' (inferred)' if c.inferred else ''}</a>" for c in ev.citations)
                self._append(f"<p style='color:#555'>Sources: {chips}</p>")
            if ev.cancelled:
                self._append("<p style='color:#777'><i>(stopped)</i></p>")
            try:
                self.chats_factory().add_answer(self.chat_id, ev)
            except Exception:
                log.exception("could not save the answer")
            self.answered.emit(ev)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._append(f"<p style='color:#a00'>Could not answer: {html.escape(message)}</p>")

    @Slot()
    def _on_finished(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._thread = None
        self._worker = None
        self.send_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    # --- sources ------------------------------------------------------------------------

    def _show_sources(self, sources, grounded: bool, citations) -> None:
        cited = {c.n: c for c in citations}
        self.sources_label.setText("Sources" if grounded else
                                   "Not in your documents — closest passages")
        self.sources.clear()
        for s in sources:
            c = cited.get(s.n)
            mark = ("  ✓ cited (inferred)" if c.inferred else "  ✓ cited") if c else ""
            item = QListWidgetItem(f"[{s.n}] {s.label}{mark}\n{s.text[:240]}…")
            item.setData(Qt.UserRole, s.path)
            item.setToolTip(s.path)
            self.sources.addItem(item)

    def _open_source(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.UserRole)
        if path and Path(path).exists():
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def _append(self, fragment: str) -> None:
        self.view.append(fragment)

    def new_chat(self) -> None:
        if self.busy:
            return
        self.chat_id = None
        self.view.clear()
        self.sources.clear()
