"""The chat: ask a question, watch the answer stream in, see its sources and open them.

All the work is the core's: ``answer.conversation.Conversation`` saves the question, runs
``answer.engine.AnswerEngine`` and saves the answer; this panel streams it on a worker
thread (``app.gui.background``) and turns its events into widgets.  Enter sends,
Shift+Enter adds a line, Esc stops (what was written so far is kept and saved as
stopped).  :meth:`ChatPanel.load_chat` shows a saved chat again, with its citation links
and sources.

Why one document for the whole conversation: the text of all turns can be selected and
searched at once.  To keep long chats fast, a streaming answer is appended as plain text
(one cheap insert per piece) and only that answer's range is replaced by rendered
Markdown when it is complete.  Links in the view: ``cite:<answer>.<n>`` opens source n of
that answer in the document pane, ``copy:<answer>`` copies the answer, ``sources:<answer>``
shows its sources.
"""

from __future__ import annotations

import logging
from pathlib import Path
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import (QDesktopServices, QGuiApplication, QKeyEvent, QKeySequence,
                           QShortcut, QTextBlockFormat, QTextCharFormat, QTextCursor)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)

from app.gui.answer_marks import ConversationView, mark_checks
from app.gui import thinking_block
from app.gui.background import Background, Operation
from app.gui.markdown_render import escape, insert_markdown, link_citations, parse_cite_url
from app.gui.reasons import error_text
from app.gui.source_viewer import SourceViewer
from app.gui.sources_panel import SourcesPanel

log = logging.getLogger(__name__)

STOP_WAIT_MS = 30_000  # llama.cpp stops within a token; this only bounds a stuck answer


@dataclass
class DocumentStart:
    """The beginning of a document, in the shape of a cited source (for the viewer)."""

    path: str
    page: int | None = 1
    heading: str | None = None
    text: str = ""
    start: int = 0


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


@dataclass
class AnswerRecord:
    """One answer shown in the view, with what its links and the sources panel need."""

    question: str
    answer: str = ""
    sources: list = field(default_factory=list)  # answer.citations.Source
    citations: list = field(default_factory=list)  # answer.citations.Citation
    grounded: bool = True
    query: str = ""
    cancelled: bool = False
    failed: str = ""
    complete: bool = False
    check: object = None  # answer.checks.AnswerCheck of the model's text
    thinking: str = ""  # a reasoning model's thinking (shown collapsed)
    think_cursor: object = None  # QTextCursor at the start of the thinking line's block
    think_open: bool = False


class ChatPanel(QWidget):
    """Conversation view and question box; on the side, the sources of the selected
    answer and the document viewer."""

    answered = Signal(object)  # AnswerDone
    chatsChanged = Signal()  # a chat was created or a message saved
    message = Signal(str)  # a status line for the window

    def __init__(self, make_engine, chats_factory, background: Background, parent=None):
        super().__init__(parent)
        self.make_engine = make_engine  # () -> AnswerEngine (raises with a user message)
        self.chats_factory = chats_factory  # () -> ChatStore
        self.background = background
        self.kb_name: str | None = None
        self.last_done = None
        self.answers: list[AnswerRecord] = []
        self.selected_answer: int | None = None
        self._conversation = None  # answer.conversation.Conversation; None: a new chat
        self._answering: Operation | None = None
        self._answer_start = 0  # where the streaming answer's text begins in the view

        self.view = ConversationView()
        self.view.setObjectName("conversation")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self.open_link)
        self.question = QuestionBox()
        self.question.setObjectName("question")
        self.question.setPlaceholderText(self.tr(
            "Ask a question about your documents…  (Enter sends, Shift+Enter new line, "
            "Esc stops)"))
        self.question.setFixedHeight(70)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("sendButton")
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.copy_button = QPushButton(self.tr("Copy answer"))
        self.copy_button.setObjectName("copyAnswer")
        self.copy_button.setToolTip(self.tr("Copy the last answer (Ctrl+Shift+C)"))
        self.copy_button.setEnabled(False)

        self.sources_panel = SourcesPanel()
        self.sources_panel.setObjectName("sourcesPanel")
        self.sources = self.sources_panel.list  # QListWidget of the shown answer's sources
        self.viewer = SourceViewer()
        self.viewer.setObjectName("sourceViewer")
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("sideTabs")
        self.side_tabs.addTab(self.sources_panel, self.tr("Sources"))
        self.side_tabs.addTab(self.viewer, self.tr("Document"))

        buttons = QHBoxLayout()
        buttons.addWidget(self.question, 1)
        col = QVBoxLayout()
        col.addWidget(self.send_button)
        col.addWidget(self.stop_button)
        col.addWidget(self.copy_button)
        buttons.addLayout(col)
        self.scope: list[str] = []  # documents the chat keeps to; empty: the whole base
        self.scope_bar = QWidget()
        self.scope_bar.setObjectName("scopeBar")
        self.scope_label = QLabel()
        self.scope_label.setObjectName("scopeLabel")
        clear_scope = QPushButton(self.tr("Ask the whole knowledge base"))
        clear_scope.setObjectName("clearScope")
        clear_scope.clicked.connect(lambda: self.set_scope([]))
        bar = QHBoxLayout(self.scope_bar)
        bar.setContentsMargins(6, 2, 6, 2)
        bar.addWidget(self.scope_label, 1)
        bar.addWidget(clear_scope)
        self.scope_bar.setStyleSheet("#scopeBar { background: #e8f0fe; border-radius: 4px; }")
        self.scope_bar.setVisible(False)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.scope_bar)
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        split = QSplitter()
        split.setObjectName("chatSplitter")
        split.addWidget(left)
        split.addWidget(self.side_tabs)
        split.setSizes([560, 440])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

        self.send_button.clicked.connect(self.send)
        self.question.submitted.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.question.stop_requested.connect(self.stop)
        self.copy_button.clicked.connect(lambda: self.copy_answer())
        self.sources_panel.sourceActivated.connect(self.open_source)
        copy = QShortcut(QKeySequence("Ctrl+Shift+C"), self)
        copy.setContext(Qt.WidgetWithChildrenShortcut)
        copy.activated.connect(lambda: self.copy_answer())

    # --- asking -------------------------------------------------------------------------

    @property
    def chat_id(self) -> int | None:
        """The saved chat shown; None for a new one (until its first question)."""
        return self._conversation.chat_id if self._conversation is not None else None

    @property
    def busy(self) -> bool:
        return self._answering is not None

    def set_scope(self, paths: list[str]) -> None:
        """Answer from these documents only (empty: the whole knowledge base); the bar
        above the chat says so, with a button to ask the whole knowledge base again."""
        self.scope = list(paths)
        names = ", ".join(Path(p).name for p in self.scope[:3])
        more = len(self.scope) - 3
        if more > 0:
            names += self.tr(" and {n} more").format(n=more)
        self.scope_label.setText(self.tr("Asking about: {names}").format(names=names))
        self.scope_bar.setVisible(bool(self.scope))

    def ask(self, question: str) -> None:
        """Put ``question`` in the box and send it (the library's "Summarize")."""
        self.question.setPlainText(question)
        self.send()

    def send(self) -> None:
        from answer.conversation import Conversation

        text = self.question.toPlainText().strip()
        if not text or self.busy:
            return
        try:
            engine = self.make_engine()
        except Exception as exc:
            self._append_html(f"<p style='color:#a00'>{escape(str(exc))}</p>")
            self.message.emit(str(exc))
            return
        try:
            if self._conversation is None:
                self._conversation = Conversation(self.chats_factory())
            exchange = self._conversation.ask(text, self.kb_name)
        except Exception as exc:  # the question stays in the box: nothing is lost
            log.exception("could not save the question")
            self.message.emit(self.tr("Could not save the chat: %1").replace("%1", str(exc)))
            return
        self.chatsChanged.emit()
        self.question.clear()
        self.answers.append(AnswerRecord(question=text))
        self._render_question(text)
        self._answer_start = self._begin_answer()
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)

        def work(op: Operation) -> None:
            for event in exchange.stream(engine, op.cancel):
                op.report(event)

        self._answering = self.background.run(work, self._on_finished, self._on_failed,
                                              self._on_event, name="answer")

    def stop(self) -> None:
        """Stop the answer being written; its text so far is kept, marked as stopped."""
        if self._answering is not None:
            self._answering.stop()

    def shutdown(self) -> None:
        """Closing the window: stop the answer and save what was written (as stopped)."""
        self._finish_running_answer()

    def _finish_running_answer(self) -> None:
        """Stop the current answer and handle its last events now, so it is saved (as
        stopped) to its own chat and shown before the view shows something else."""
        if self._answering is None:
            return
        self.message.emit(self.tr("Stopping the answer…"))
        if not self._answering.finish(STOP_WAIT_MS):  # it did not end in time: let it go
            self._answering = None
            self._set_idle()

    def _on_event(self, ev) -> None:
        from answer.engine import AnswerDone, Retrieved, TextPiece, ThinkingPiece, Working

        record = self.answers[-1] if self.answers else None
        if record is None or record.complete:
            return
        index = len(self.answers) - 1
        if isinstance(ev, Retrieved):
            record.sources, record.grounded, record.query = ev.sources, ev.grounded, ev.retrieval_query
            self.show_answer_sources(index)
        elif isinstance(ev, Working):  # a whole document being read: where it stands
            left = (self.tr(", about {s} s left").format(s=int(ev.eta)) if ev.eta else "")
            self.message.emit(self.tr("Reading section {done} of {total}{left}").format(
                done=min(ev.done + 1, ev.total), total=ev.total, left=left))
            record.working = True
        elif isinstance(ev, ThinkingPiece):
            record.thinking += ev.text
            self._stream_thinking(record)
        elif isinstance(ev, TextPiece):
            record.answer += ev.text
            self._stream(ev.text)
        elif isinstance(ev, AnswerDone):
            self.last_done = ev
            record.answer, record.sources, record.citations = ev.answer, ev.sources, ev.citations
            record.grounded, record.query, record.cancelled = ev.grounded, ev.retrieval_query, ev.cancelled
            record.check, record.thinking = ev.check, ev.thinking
            record.complete = True
            self._render_answer(index, self._answer_start)
            self.show_answer_sources(index)
            self.copy_button.setEnabled(True)
            self.chatsChanged.emit()  # the conversation saved the answer before passing it on
            self.answered.emit(ev)
            if getattr(record, "working", False):  # the reading is over: clear its line
                self.message.emit("")

    def _on_failed(self, message: str) -> None:
        message = error_text(getattr(self._answering, "error", None), message)
        if self.answers and not self.answers[-1].complete:
            record = self.answers[-1]
            record.failed, record.complete = message, True
            self._render_answer(len(self.answers) - 1, self._answer_start)
        self._on_finished()

    def _on_finished(self, _result=None) -> None:
        self._answering = None
        self._set_idle()

    def _set_idle(self) -> None:
        self.send_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    # --- conversations ------------------------------------------------------------------

    def new_chat(self) -> None:
        """An empty conversation; an answer being written is stopped and saved first."""
        self._finish_running_answer()
        self._conversation = None
        self._clear()

    def load_chat(self, chat_id: int) -> None:
        """Show a saved conversation with its citation links and sources.  An answer
        being written is stopped and saved (to its own chat) first.  Raises
        ``answer.chats.ChatError`` for an unknown chat (the view is left as it was)."""
        from answer.conversation import Conversation

        self._finish_running_answer()
        chats = self.chats_factory()
        conversation = Conversation.resume(chats, chat_id)
        messages = chats.messages(conversation.chat_id)
        self._conversation = conversation  # the knowledge base stays the window's choice
        self._clear()
        question = ""
        for m in messages:
            if m.role == "user":
                question = m.content
                self._render_question(m.content)
            elif m.role == "assistant":
                self.answers.append(_record_from_message(question, m))
                start = self._begin_answer()
                self._render_answer(len(self.answers) - 1, start)
                question = ""
        if self.answers:
            self.show_answer_sources(len(self.answers) - 1)
        self.copy_button.setEnabled(bool(self.answers))
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().maximum())

    def _clear(self) -> None:
        self.view.clear()
        self.answers = []
        self.selected_answer = None
        self.last_done = None
        self.sources_panel.clear()
        self.copy_button.setEnabled(False)

    # --- rendering ----------------------------------------------------------------------

    def _end_cursor(self) -> QTextCursor:
        cursor = QTextCursor(self.view.document())
        cursor.movePosition(QTextCursor.End)
        return cursor

    def _new_block(self, cursor: QTextCursor) -> None:
        if not self.view.document().isEmpty():
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())

    def _append_html(self, fragment: str) -> None:
        cursor = self._end_cursor()
        self._new_block(cursor)
        cursor.insertHtml(fragment)
        self._follow()

    def _render_question(self, text: str) -> None:
        cursor = self._end_cursor()
        self._new_block(cursor)
        you = escape(self.tr("You:"))
        cursor.insertHtml(f"<p style='margin-top:12px'><b>{you}</b> {escape(text)}</p>")
        self._follow()

    def _begin_answer(self) -> int:
        """The "Wenji:" line and an empty block for the answer; where its text starts."""
        cursor = self._end_cursor()
        self._new_block(cursor)
        cursor.insertHtml("<b>" + escape(self.tr("Wenji:")) + "</b>")
        cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        return cursor.position()

    def _stream(self, text: str) -> None:
        at_bottom = self._at_bottom()
        cursor = self._end_cursor()
        cursor.insertText(text, QTextCharFormat())
        self._follow(at_bottom)

    def _stream_thinking(self, record: AnswerRecord) -> None:
        """The "Thinking… (N words)" line above the answer, counted as it streams."""
        html = thinking_block.streaming_html(record.thinking)
        if record.think_cursor is not None:
            record.think_cursor = thinking_block.replace(record.think_cursor, html)
            return
        record.think_cursor = thinking_block.insert(self._end_cursor(), html)
        self._follow(self._at_bottom())

    def toggle_thinking(self, index: int) -> None:
        """Open or close an answer's reasoning in place."""
        if not 0 <= index < len(self.answers):
            return
        record = self.answers[index]
        if not record.thinking or record.think_cursor is None:
            return
        record.think_open = not record.think_open
        record.think_cursor = thinking_block.replace(
            record.think_cursor,
            thinking_block.block_html(record.thinking, index, record.think_open))

    def _at_bottom(self) -> bool:
        bar = self.view.verticalScrollBar()
        return bar.maximum() - bar.value() < 40

    def _follow(self, at_bottom: bool = True) -> None:
        """Keep the newest text in sight, unless the reader had scrolled up."""
        if at_bottom:
            bar = self.view.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _render_answer(self, index: int, start: int) -> None:
        """Replace the answer's streamed text (from ``start`` to the end) with its
        rendered Markdown, citation links, Copy and a stopped/failed mark."""
        record = self.answers[index]
        at_bottom = self._at_bottom()
        cursor = QTextCursor(self.view.document())
        cursor.setPosition(min(start, self._end_cursor().position()))
        cursor.movePosition(QTextCursor.End, QTextCursor.KeepAnchor)
        cursor.removeSelectedText()
        known = {s.n for s in record.sources}
        if record.thinking:
            record.think_cursor = thinking_block.insert(
                cursor, thinking_block.block_html(record.thinking, index, record.think_open))
        if record.answer.strip():
            begin = cursor.position()
            insert_markdown(cursor, link_citations(record.answer, index, known))
            mark_checks(self.view.document(), begin, record.answer, record.check,
                        record.sources, index)
        cursor.movePosition(QTextCursor.End)
        cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        cursor.insertHtml(self._footer_html(index))
        self._follow(at_bottom)

    def _footer_html(self, index: int) -> str:
        record = self.answers[index]
        # (tr() calls stay outside the f-strings: lupdate does not look inside them)
        inferred, sources_word = escape(self.tr("inferred")), escape(self.tr("Sources:"))
        closest, used = escape(self.tr("Closest passages")), escape(self.tr("Passages used"))
        failed, stopped = escape(self.tr("Could not answer:")), escape(self.tr("(stopped)"))
        copy = escape(self.tr("Copy"))
        bits = []
        if record.citations:
            chips = []
            for c in record.citations:
                label = f"[{c.n}] {escape(c.source.label)}"
                if c.inferred:
                    tip = escape(self.tr("Inferred: the answer did not cite it; its sentence "
                                         "matches this passage"))
                    chips.append(f"<a href='cite:{index}.{c.n}' title='{tip}'>"
                                 f"<i>≈ {label} ({inferred})</i></a>")
                else:
                    chips.append(f"<a href='cite:{index}.{c.n}'>{label}</a>")
            bits.append(f"{sources_word} " + " &nbsp; ".join(chips))
        elif record.sources and not record.grounded:
            bits.append(f"<a href='sources:{index}'>{closest}</a>")
        elif record.sources:
            bits.append(f"<a href='sources:{index}'>{used}</a>")
        bits += self._check_bits(record.check)
        if record.failed:
            bits.append(f"<span style='color:#a00'>{failed} "
                        f"{escape(record.failed)}</span>")
        if record.cancelled:
            bits.append(f"<i>{stopped}</i>")
        if record.answer.strip():
            bits.append(f"<a href='copy:{index}'>{copy}</a>")
        return "<span style='color:#555'>" + " &nbsp;·&nbsp; ".join(bits) + "</span>"

    def _check_bits(self, check) -> list[str]:
        """The footer's warnings from the answer's checks (answer.checks)."""
        if check is None:
            return []
        bits = []
        missing = len(check.missing_figures)
        if missing:
            text = escape((self.tr("{n} figure not in the sources") if missing == 1 else
                           self.tr("{n} figures not in the sources")).format(n=missing))
            bits.append(f"<span style='color:#c62828'>⚠ {text}</span>")
        refs = len({r.n for r in check.invalid_refs})
        if refs:
            text = escape((self.tr("{n} reference to no source") if refs == 1 else
                           self.tr("{n} references to no source")).format(n=refs))
            bits.append(f"<span style='color:#8a8a8a'><s>[?]</s> {text}</span>")
        return bits

    # --- links, sources and the viewer --------------------------------------------------

    def open_link(self, url) -> None:
        """What a click on a link in the conversation does (see the module docstring)."""
        text = url.toString() if isinstance(url, QUrl) else str(url)
        cite = parse_cite_url(text)
        if cite is not None:
            index, n = cite
            source = self._source_of(index, n)
            if source is None:
                return
            self.show_answer_sources(index, select=n)
            self.open_source(source)
        elif text.startswith("think:") and text[6:].isdigit():
            self.toggle_thinking(int(text[6:]))
        elif text.startswith("copy:") and text[5:].isdigit():
            self.copy_answer(int(text[5:]))
        elif text.startswith("sources:") and text[8:].isdigit():
            self.show_answer_sources(int(text[8:]))
            self.side_tabs.setCurrentWidget(self.sources_panel)
        elif text:
            QDesktopServices.openUrl(QUrl(text))

    def citation_urls(self, index: int | None = None) -> list[str]:
        """The citation links of an answer (the last one by default), as shown."""
        if not self.answers:
            return []
        record = self.answers[-1 if index is None else index]
        i = len(self.answers) - 1 if index is None else index
        return [f"cite:{i}.{c.n}" for c in record.citations]

    def _source_of(self, index: int, n: int):
        if not 0 <= index < len(self.answers):
            return None
        return next((s for s in self.answers[index].sources if s.n == n), None)

    def show_answer_sources(self, index: int, select: int | None = None) -> None:
        """Fill the sources panel with one answer's passages."""
        if not 0 <= index < len(self.answers):
            return
        record = self.answers[index]
        self.sources_panel.show_sources(record.sources, record.citations, record.grounded,
                                        record.query)
        self.selected_answer = index
        if select is not None:
            self.sources_panel.select(select)

    def show_document(self, path: str) -> None:
        """Show a whole document (from the library) in the Document tab, at its start."""
        self.open_source(DocumentStart(path))

    def open_source(self, source) -> None:
        """Show a passage in its document, in the Document tab."""
        self.side_tabs.setCurrentWidget(self.viewer)
        if not self.viewer.show_source(source):
            self.message.emit(self.viewer.message)

    def copy_answer(self, index: int | None = None) -> str:
        """Put an answer's text (the last one by default) on the clipboard."""
        if not self.answers:
            return ""
        record = self.answers[-1 if index is None else index]
        QGuiApplication.clipboard().setText(record.answer)
        self.message.emit(self.tr("Answer copied"))
        return record.answer


def _record_from_message(question: str, m) -> AnswerRecord:
    from answer.checks import AnswerCheck
    from answer.citations import Citation, Source

    meta = m.meta or {}
    return AnswerRecord(question=question, answer=m.content,
                        sources=[Source.from_dict(s) for s in m.sources],
                        citations=[Citation.from_dict(c) for c in m.citations],
                        grounded=bool(meta.get("grounded", True)),
                        query=meta.get("retrieval_query", question),
                        cancelled=bool(meta.get("cancelled")), complete=True,
                        check=AnswerCheck.from_dict(meta.get("check")),
                        thinking=meta.get("thinking", ""))
