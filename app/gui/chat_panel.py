"""The chat: ask a question, watch the answer stream in, see its sources and open them.

All the work is the core's: ``answer.conversation.Conversation`` saves the question, runs
``answer.engine.AnswerEngine`` and saves the answer; this panel streams it on a worker
thread (``app.gui.background``) and turns its events into message bubbles
(:mod:`app.gui.chat_messages`).  Enter sends, Shift+Enter adds a line, Esc stops (what was
written so far is kept and saved as stopped).  :meth:`ChatPanel.load_chat` shows a saved
chat again, with its citations and sources.  An empty chat shows the first-run page
(:mod:`app.gui.first_run`).

To keep streaming cheap, an answer is appended as plain text (one insert per piece) and
rendered as Markdown, with its checks' marks, when it is complete.  Every click in the
conversation arrives as a link string at :meth:`ChatPanel.open_link`:
``cite:<answer>.<n>`` opens source n of that answer in the document pane, ``copy:``,
``regenerate:``, ``export:`` and ``code:<answer>.<k>`` act on one answer, ``sources:``
shows its sources, ``think:`` opens or closes its reasoning.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (QDesktopServices, QGuiApplication, QKeyEvent, QKeySequence,
                           QShortcut, QTextCursor)
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit,
                               QPushButton, QSplitter, QStackedWidget, QTabWidget,
                               QVBoxLayout, QWidget)

from app.gui.answer_marks import mark_checks
from app.gui.background import Background, Operation
from app.gui.chat_messages import (FIRST_SHOWN, PAGE, AnswerBubble, ChatTranscript, QuestionBubble,
                                   chat_colors, chip_label, chip_tooltip, code_blocks,
                                   message_time)
from app.gui.first_run import EmptyChat
from app.gui.icons import icon
from app.gui.markdown_render import escape, insert_markdown, link_citations, parse_cite_url
from app.gui.reasons import error_text
from app.gui.source_viewer import SourceViewer
from app.gui.sources_panel import SourcesPanel

log = logging.getLogger(__name__)

STOP_WAIT_MS = 30_000  # llama.cpp stops within a token; this only bounds a stuck answer
CHIP_PASSAGE_CHARS = 600  # of a passage shown in its chip's tooltip
EARLIER_STEP = 4  # older messages built per turn of the event loop


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
    """One answer of the chat, with what its bubble, links and the sources panel need."""

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
    think_open: bool = False
    model: str = ""
    time: float = field(default_factory=time.time)
    bubble: object = None  # its AnswerBubble, once shown
    working: bool = False  # a whole document is being read (progress in the status bar)


class ChatPanel(QWidget):
    """Conversation and question box; on the side, the sources of the selected answer
    and the document viewer."""

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
        self._hidden: list[tuple] = []  # older messages of a saved chat, not shown yet
        self._earlier = None  # (batch, built bubbles, chat) while older ones are built
        self._shown_chat = 0  # counts the chats shown, so a late build is dropped

        self.transcript = ChatTranscript()
        self.transcript.earlierWanted.connect(self.load_earlier_in_steps)
        self.empty = EmptyChat()
        self.empty.exampleChosen.connect(self.ask)
        self.stack = QStackedWidget()
        self.stack.setObjectName("chatPages")
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.transcript)
        self.error_line = QLabel()
        self.error_line.setObjectName("chatError")
        self.error_line.setWordWrap(True)
        self.error_line.setVisible(False)
        self.question = QuestionBox()
        self.question.setObjectName("question")
        self.question.setAccessibleName(self.tr("Question"))
        self.question.setPlaceholderText(self.tr(
            "Ask a question about your documents…  (Enter sends, Shift+Enter new line, "
            "Esc stops)"))
        self.question.setFixedHeight(64)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setEnabled(False)
        self.send_button.setIcon(icon("send"))
        self.stop_button.setIcon(icon("stop"))

        self.sources_panel = SourcesPanel()
        self.sources_panel.setObjectName("sourcesPanel")
        self.sources = self.sources_panel.list  # the shown answer's source cards
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
        self.scope_bar.setStyleSheet("#scopeBar { background: palette(alternate-base); "
                                     "border-radius: 6px; }")
        self.scope_bar.setVisible(False)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.scope_bar)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.error_line)
        lay.addLayout(buttons)
        split = QSplitter()
        split.setObjectName("chatSplitter")
        split.addWidget(left)
        split.addWidget(self.side_tabs)
        split.setSizes([600, 400])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

        self.send_button.clicked.connect(self.send)
        self.question.submitted.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        self.question.stop_requested.connect(self.stop)
        self.sources_panel.sourceActivated.connect(self.open_source)
        copy = QShortcut(QKeySequence("Ctrl+Shift+C"), self)
        copy.setContext(Qt.WidgetWithChildrenShortcut)
        copy.activated.connect(lambda: self.copy_answer())
        self._show_page()

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

    def set_library(self, documents: list[str], model: str, bundled_model: bool) -> None:
        """What the first-run page says: the chat's documents and the model in use."""
        self.empty.set_state(documents, model, bundled_model)

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
            text = error_text(exc)
            self._show_error(text)
            self.message.emit(text)
            return
        try:
            if self._conversation is None:
                self._conversation = Conversation(self.chats_factory())
            exchange = self._conversation.ask(text, self.kb_name)
        except Exception as exc:  # the question stays in the box: nothing is lost
            log.exception("could not save the question")
            self.message.emit(self.tr("Could not save the chat: %1").replace("%1", str(exc)))
            return
        self._show_error("")
        self.chatsChanged.emit()
        self.question.clear()
        self.answers.append(AnswerRecord(question=text))
        self._render_question(text)
        self._begin_answer()
        self.transcript.to_bottom()
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
            record.check, record.thinking, record.model = ev.check, ev.thinking, ev.model
            record.complete = True
            self._render_answer(index)
            self.show_answer_sources(index)
            self.chatsChanged.emit()  # the conversation saved the answer before passing it on
            self.answered.emit(ev)
            if record.working:  # the reading is over: clear its line
                self.message.emit("")

    def _on_failed(self, message: str) -> None:
        message = error_text(getattr(self._answering, "error", None), message)
        if self.answers and not self.answers[-1].complete:
            record = self.answers[-1]
            record.failed, record.complete = message, True
            self._render_answer(len(self.answers) - 1)
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
        """Show a saved conversation with its citations and sources: its last
        :data:`FIRST_SHOWN` messages, and earlier ones as the reader scrolls up.  An answer being
        written is stopped and saved (to its own chat) first.  Raises
        ``answer.chats.ChatError`` for an unknown chat (the view is left as it was)."""
        from answer.conversation import Conversation

        self._finish_running_answer()
        chats = self.chats_factory()
        conversation = Conversation.resume(chats, chat_id)
        messages = chats.messages(conversation.chat_id)
        self._conversation = conversation  # the knowledge base stays the window's choice
        self._clear()
        items: list[tuple] = []  # ("q", text, time) or ("a", answer index)
        question = ""
        for m in messages:
            if m.role == "user":
                question = m.content
                items.append(("q", m.content, m.created))
            elif m.role == "assistant":
                self.answers.append(_record_from_message(question, m))
                items.append(("a", len(self.answers) - 1))
                question = ""
        self._hidden = items[:-FIRST_SHOWN] if len(items) > FIRST_SHOWN else []
        for item in items[len(self._hidden):]:
            bubble, right = self._bubble_for(item)
            self.transcript.add(bubble, right)
        for item in items[len(self._hidden):]:
            if item[0] == "a":
                self._render_answer(item[1])
        if self.answers:
            self.show_answer_sources(len(self.answers) - 1)
        self._show_page()
        self.transcript.to_bottom()

    def _bubble_for(self, item: tuple):
        if item[0] == "q":
            return QuestionBubble(item[1], item[2]), True
        return self._answer_bubble(item[1]), False

    def show_earlier(self) -> int:
        """Show the next :data:`PAGE` older messages above the first; how many."""
        if not self._hidden:
            return 0
        batch, self._hidden = self._hidden[-PAGE:], self._hidden[:-PAGE]
        self.transcript.prepend([self._bubble_for(item) for item in batch])
        for item in batch:
            if item[0] == "a":
                self._render_answer(item[1])
        return len(batch)

    def load_earlier_in_steps(self) -> None:
        """The reader reached the top: build the next older messages a few per turn of
        the event loop (so scrolling stays smooth), then show them all at once."""
        if not self._hidden or self._earlier is not None:
            return
        batch, self._hidden = self._hidden[-PAGE:], self._hidden[:-PAGE]
        self._earlier = (batch, [], self._shown_chat)
        QTimer.singleShot(0, self._build_earlier)

    def _build_earlier(self) -> None:
        if self._earlier is None:
            return
        batch, built, chat = self._earlier
        if chat != self._shown_chat:  # another chat is shown now
            self._earlier = None
            return
        for item in batch[len(built):len(built) + EARLIER_STEP]:
            built.append(self._bubble_for(item))
            if item[0] == "a":
                self._render_answer(item[1])
        if len(built) < len(batch):
            QTimer.singleShot(0, self._build_earlier)
            return
        self._earlier = None
        self.transcript.prepend(built)

    def _clear(self) -> None:
        self._shown_chat += 1
        self._earlier = None
        self.transcript.clear()
        self.answers = []
        self._hidden = []
        self.selected_answer = None
        self.last_done = None
        self.sources_panel.clear()
        self._show_error("")
        self._show_page()

    # --- rendering ----------------------------------------------------------------------

    def _show_page(self) -> None:
        """The first-run page while the chat is empty, else the conversation."""
        self.stack.setCurrentWidget(self.transcript if self.transcript.rows else self.empty)

    def _show_error(self, text: str) -> None:
        self.error_line.setText(text)
        self.error_line.setVisible(bool(text))

    def _render_question(self, text: str) -> None:
        self.transcript.add(QuestionBubble(text, time.time()), right=True)
        self._show_page()

    def _answer_bubble(self, index: int) -> AnswerBubble:
        record = self.answers[index]
        bubble = AnswerBubble(index, self._header(record))
        bubble.link.connect(self.open_link)
        record.bubble = bubble
        return bubble

    def _header(self, record: AnswerRecord) -> str:
        parts = ["Wenji"]
        if record.model:
            parts.append(Path(record.model).stem if record.model.endswith(".gguf")
                         else record.model)
        parts.append(message_time(record.time))
        return " · ".join(parts)

    def _begin_answer(self) -> AnswerBubble:
        """The bubble the last answer streams into."""
        bubble = self._answer_bubble(len(self.answers) - 1)
        self.transcript.add(bubble)
        self._show_page()
        return bubble

    def _stream(self, text: str) -> None:
        record = self.answers[-1]
        record.bubble.append_text(text)
        self.transcript.changed.emit()

    def _stream_thinking(self, record: AnswerRecord) -> None:
        """The "Thinking… (N words)" line above the answer, counted as it streams."""
        record.bubble.show_thinking(record.thinking, streaming=True, expanded=False)
        self.transcript.changed.emit()

    def toggle_thinking(self, index: int) -> None:
        """Open or close an answer's reasoning in place."""
        if not 0 <= index < len(self.answers):
            return
        record = self.answers[index]
        if not record.thinking or record.bubble is None:
            return
        record.think_open = not record.think_open
        record.bubble.show_thinking(record.thinking, streaming=False, expanded=record.think_open)
        self.transcript.changed.emit()

    def _render_answer(self, index: int) -> None:
        """Put the answer's rendered Markdown (with its checks' marks) in place of its
        streamed text, and its chips, status line and actions under it."""
        record = self.answers[index]
        bubble = record.bubble
        if bubble is None:
            return
        bubble.header.setText(self._header(record))
        known = {s.n for s in record.sources}
        bubble.show_thinking(record.thinking, streaming=False, expanded=record.think_open)
        doc = bubble.text.document()
        doc.clear()
        if record.answer.strip():
            cursor = QTextCursor(doc)
            insert_markdown(cursor, link_citations(record.answer, index, known))
            mark_checks(doc, 0, record.answer, record.check, record.sources, index)
        bubble.text.setVisible(bool(record.answer.strip()))
        bubble.set_chips([self._chip(record, c) for c in record.citations])
        bubble.set_status(self._status_html(index))
        bubble.set_actions(self._actions(index))
        self.transcript.changed.emit()

    def _chip(self, record: AnswerRecord, c) -> tuple[int, str, str, bool, str]:
        from app.gui.source_card import excerpt
        from app.gui.sources_panel import highlighted_html, match_terms, source_place

        s = c.source
        terms = match_terms(s, record.query)
        passage = highlighted_html(excerpt(s.text, terms, chars=CHIP_PASSAGE_CHARS), terms)
        note = (self.tr("Inferred: the answer did not cite it; its sentence matches this "
                        "passage") if c.inferred else "")
        place = source_place(s)
        label = chip_label(c.n, place)
        if c.inferred:
            label = "≈ " + label
        name = self.tr("Source {n}: {label}").format(n=c.n, label=place)
        return c.n, label, chip_tooltip(f"[{c.n}] {place}", passage, note), c.inferred, name

    def _status_html(self, index: int) -> str:
        record = self.answers[index]
        # (tr() calls stay outside the f-strings: lupdate does not look inside them)
        closest, used = escape(self.tr("Closest passages")), escape(self.tr("Passages used"))
        failed, stopped = escape(self.tr("Could not answer:")), escape(self.tr("(stopped)"))
        bits = []
        if record.sources and not record.citations:
            bits.append(f"<a href='sources:{index}'>"
                        f"{closest if not record.grounded else used}</a>")
        bits += self._check_bits(record.check)
        if record.failed:
            color = chat_colors(self.palette())["warning"]
            bits.append(f"<span style='color:{color}'>{failed} "
                        f"{escape(record.failed)}</span>")
        if record.cancelled:
            bits.append(f"<i>{stopped}</i>")
        return " &nbsp;·&nbsp; ".join(bits)

    def _actions(self, index: int) -> list[tuple[str, str, str]]:
        record = self.answers[index]
        out = []
        if record.answer.strip():
            out.append((self.tr("Copy"), self.tr("Copy the answer (Ctrl+Shift+C)"),
                        f"copy:{index}"))
        if record.question:
            out.append((self.tr("Regenerate"), self.tr("Ask the same question again"),
                        f"regenerate:{index}"))
        if record.answer.strip():
            out.append((self.tr("Export…"), self.tr("Save the answer with its sources as "
                                                     "Markdown"), f"export:{index}"))
        for k, _code in enumerate(code_blocks(record.answer)):
            out.append((self.tr("Copy code {k}").format(k=k + 1),
                        self.tr("Copy code block {k} of the answer").format(k=k + 1),
                        f"code:{index}.{k}"))
        return out

    def _check_bits(self, check) -> list[str]:
        """The status line's warnings from the answer's checks (answer.checks)."""
        if check is None:
            return []
        bits = []
        warning = chat_colors(self.palette())["warning"]
        missing = len(check.missing_figures)
        if missing:
            text = escape((self.tr("{n} figure not in the sources") if missing == 1 else
                           self.tr("{n} figures not in the sources")).format(n=missing))
            bits.append(f"<span style='color:{warning}'>⚠ {text}</span>")
        refs = len({r.n for r in check.invalid_refs})
        if refs:
            text = escape((self.tr("{n} reference to no source") if refs == 1 else
                           self.tr("{n} references to no source")).format(n=refs))
            bits.append(f"<span><s>[?]</s> {text}</span>")
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
        elif text.startswith("regenerate:") and text[11:].isdigit():
            self.regenerate(int(text[11:]))
        elif text.startswith("export:") and text[7:].isdigit():
            self.export_answer(int(text[7:]))
        elif text.startswith("code:"):
            index, _, k = text[5:].partition(".")
            if index.isdigit() and k.isdigit():
                self.copy_code(int(index), int(k))
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

    def copy_code(self, index: int, k: int) -> str:
        """Put code block ``k`` of an answer on the clipboard."""
        if not 0 <= index < len(self.answers):
            return ""
        blocks = code_blocks(self.answers[index].answer)
        if not 0 <= k < len(blocks):
            return ""
        QGuiApplication.clipboard().setText(blocks[k])
        self.message.emit(self.tr("Code copied"))
        return blocks[k]

    def regenerate(self, index: int) -> None:
        """Ask an answer's question again (the new answer comes at the end; the old one
        stays, so nothing written is lost)."""
        if 0 <= index < len(self.answers) and self.answers[index].question and not self.busy:
            self.ask(self.answers[index].question)

    def export_answer(self, index: int, path: str | None = None) -> str | None:
        """Save one answer with its question and sources as Markdown; asks where when
        ``path`` is not given.  The file written, or None."""
        if not 0 <= index < len(self.answers) or self.chat_id is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export the answer"), str(Path.home() / "answer.md"),
                self.tr("Markdown (*.md)"))
            if not path:
                return None
        try:
            text = self.chats_factory().export_markdown(self.chat_id, answer=index)
            Path(path).write_text(text, encoding="utf-8")
        except Exception as exc:
            self.message.emit(self.tr("Could not export the answer to {file}: {reason}")
                              .format(file=path, reason=exc))
            return None
        self.message.emit(self.tr("Answer saved to {file}").format(file=path))
        return path

    # --- what tests and the window read ---------------------------------------------------

    def transcript_text(self) -> str:
        """The conversation's text as shown (bubbles in order)."""
        return self.transcript.plain_text()

    def answer_view(self, index: int = -1):
        """The text view of an answer (the last one by default), if it is shown."""
        if not self.answers:
            return None
        bubble = self.answers[index].bubble
        return bubble.text if bubble is not None else None


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
                        thinking=meta.get("thinking", ""), model=meta.get("model", ""),
                        time=m.created or time.time())
