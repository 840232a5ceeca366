"""The conversation as message bubbles: questions on the right, answers on the left.

Each answer is a bubble of its own: a header (model and time), a reasoning model's
thinking as one line that opens, the answer's text rendered from Markdown (a borderless
:class:`AnswerView` as tall as its text, so the checks' marks and tooltips of
:mod:`app.gui.answer_marks` work on it), its citations as chips that show the passage on
hover and open it on click, a status line (checks, stopped, failed) and its actions
(copy, regenerate, export, copy a code block).

Why widgets per message and not one document: bubbles, chips and buttons are what people
expect from a chat, and one answer can stream or be re-rendered without touching the
others.  Why not all of a long chat at once: a saved chat shows its last
:data:`FIRST_SHOWN` messages and adds earlier ones as the reader scrolls up (as chat apps do),
so opening a chat of a thousand messages costs what opening a short one does.

Every action is a link-like string handed to ``ChatPanel.open_link`` (``cite:i.n``,
``copy:i``, ``regenerate:i``, ``export:i``, ``code:i.k``, ``think:i``, ``sources:i``),
so a click, a test and a keyboard shortcut all go one way.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QDateTime, QEvent, QLocale, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QTextCursor, QTextDocument
from PySide6.QtWidgets import (QAbstractButton, QFrame, QHBoxLayout, QLabel, QScrollArea,
                               QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from app.gui import theme, thinking_block
from app.gui.answer_marks import ConversationView
from app.gui.flow_layout import flow_widget

ACTION_ICONS = {"copy": "copy", "regenerate": "regenerate", "export": "export",
                "code": "copy"}
FIRST_SHOWN = 24  # messages shown at once when a saved chat is opened
PAGE = 60  # older messages added at a time as the reader scrolls up
CHIP_LABEL_CHARS = 38
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)


def code_blocks(markdown: str) -> list[str]:
    """The fenced code blocks of an answer, for their copy buttons."""
    return [m.group(1).rstrip("\n") for m in _FENCE.finditer(markdown)]


# the chips' hover and "inferred" grounds (text on them: the theme's ``chip_text``)
CHIP_EXTRA = {"light": {"chip_hover": "#d3e0f3", "chip_inferred": "#f6efd9"},
              "dark": {"chip_hover": "#3a4c62", "chip_inferred": "#3a3428"}}


def chat_colors(palette: QPalette) -> dict[str, str]:
    """The bubbles' and chips' colours for the palette in use (light or dark), from the
    theme's semantic colours (:func:`app.gui.theme.colors`, checked for WCAG AA)."""
    mode = "dark" if theme.palette_is_dark(palette) else "light"
    c = theme.colors(mode)
    return {"question": c["bubble_user"], "question_text": c["text"],
            "answer": c["bubble_answer"], "answer_border": c["border"], "text": c["text"],
            "muted": c["muted_text"], "chip": c["chip"], "chip_text": c["chip_text"],
            "warning": c["error"], "link": c["link"], **CHIP_EXTRA[mode]}


def _recolor(widget: QWidget, color: str) -> None:
    palette = widget.palette()
    palette.setColor(QPalette.WindowText, QColor(color))
    palette.setColor(QPalette.ButtonText, QColor(color))
    palette.setColor(QPalette.Text, QColor(color))
    widget.setPalette(palette)


class Bubble(QFrame):
    """A rounded message background, painted (not a style sheet: a thousand styled
    widgets make scrolling and opening a long chat slow)."""

    fill_key = "answer"
    border_key = "answer_border"
    muted_names = ("messageHeader", "answerStatus")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._colors = chat_colors(self.palette())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setBrush(QColor(self._colors[self.fill_key]))
        painter.setPen(QPen(QColor(self._colors[self.border_key]), 1)
                       if self.border_key else Qt.NoPen)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 14, 14)
        painter.end()

    def recolor(self) -> None:
        """Colours for the palette in use (at creation and when the theme changes)."""
        self._colors = chat_colors(self.palette())
        for child in self.findChildren(QLabel):
            if child.objectName() in self.muted_names:
                _recolor(child, self._colors["muted"])
        self.update()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # the children's palettes are their own
            self.recolor()


class Chip(QAbstractButton):
    """A citation chip: a small rounded label, painted (see :class:`Bubble`)."""

    PAD_X, PAD_Y = 9, 3

    def __init__(self, text: str, inferred: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("citationChip")
        self.setText(text)
        self.setCheckable(False)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setCursor(Qt.PointingHandCursor)
        self.inferred = inferred
        if inferred:
            font = self.font()
            font.setItalic(True)
            self.setFont(font)

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self.text()) + 2 * self.PAD_X,
                     metrics.height() + 2 * self.PAD_Y)

    def paintEvent(self, event) -> None:
        c = chat_colors(self.palette())
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        fill = c["chip_inferred"] if self.inferred else c["chip"]
        if self.underMouse() or self.hasFocus():
            fill = c["chip_hover"]
        painter.setBrush(QColor(fill))
        painter.setPen(QPen(QColor(c["chip_text"]), 1) if self.hasFocus() else Qt.NoPen)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
        painter.setPen(QColor(c["chip_text"]))
        painter.drawText(self.rect(), Qt.AlignCenter, self.text())
        painter.end()

    def enterEvent(self, event) -> None:
        self.update()
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        self.update()
        super().leaveEvent(event)


def message_time(seconds: float) -> str:
    """A message's time as the interface locale writes it: the time alone today, the
    date and time before."""
    when = QDateTime.fromSecsSinceEpoch(int(seconds))
    locale = QLocale()
    if when.date() == QDateTime.currentDateTime().date():
        return locale.toString(when.time(), QLocale.ShortFormat)
    return locale.toString(when, QLocale.ShortFormat)


class AnswerView(ConversationView):
    """An answer's rendered text: no frame, no scroll bars, as tall as its text; the
    wheel scrolls the conversation, not the answer."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("answerText")
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.document().setDocumentMargin(2)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.viewport().setAutoFillBackground(False)
        self._fit()

    def _fit(self, *_args) -> None:
        height = int(self.document().size().height()) + 2 * self.frameWidth() + 2
        if height != self.height():
            self.setFixedHeight(max(height, 20))

    def wheelEvent(self, event) -> None:
        event.ignore()  # to the conversation's scroll area


class QuestionBubble(Bubble):
    """A question, right-aligned, with its time."""

    fill_key = "question"
    border_key = ""

    def __init__(self, text: str, when: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("questionBubble")
        self.text = text
        self.label = QLabel(text)
        self.label.setObjectName("questionText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.PlainText)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)
        self.header = QLabel(message_time(when))
        self.header.setObjectName("messageHeader")
        self.header.setAlignment(Qt.AlignRight)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 8)
        lay.setSpacing(2)
        lay.addWidget(self.header)
        lay.addWidget(self.label)
        self.setAccessibleName(self.tr("Your question: {text}").format(text=text[:200]))
        self.recolor()

    def recolor(self) -> None:
        super().recolor()
        _recolor(self.label, self._colors["question_text"])

    def fit(self, max_width: int) -> None:
        """As wide as its longest line, up to ``max_width`` (a word-wrapped label alone
        would pick a narrow column)."""
        metrics = self.label.fontMetrics()
        longest = max((metrics.horizontalAdvance(line) for line in self.text.splitlines()),
                      default=0)
        margins = self.layout().contentsMargins()
        inner = max_width - margins.left() - margins.right()
        self.label.setMinimumWidth(min(inner, longest + 4))
        self.setMaximumWidth(max_width)

    def plain_text(self) -> str:
        return self.text


class AnswerBubble(Bubble):
    """One answer; ``link`` carries every click (see the module docstring)."""

    link = Signal(str)

    def __init__(self, index: int, header: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("answerBubble")
        self.index = index
        self.header = QLabel(header)
        self.header.setObjectName("messageHeader")
        self.think_toggle = QToolButton()
        self.think_toggle.setObjectName("thinkToggle")
        self.think_toggle.setAutoRaise(True)
        self.think_toggle.setVisible(False)
        self.think_toggle.clicked.connect(lambda: self.link.emit(f"think:{self.index}"))
        self.think_text = QLabel()
        self.think_text.setObjectName("messageHeader")
        self.think_text.setWordWrap(True)
        self.think_text.setTextFormat(Qt.PlainText)
        self.think_text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.think_text.setVisible(False)
        self.text = AnswerView()
        self.text.anchorClicked.connect(lambda url: self.link.emit(url.toString()))
        self.chips, self.chip_layout = flow_widget()
        self.chips.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("answerStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.RichText)
        self.status.linkActivated.connect(self.link.emit)
        self.status.setVisible(False)
        self.actions = QWidget()
        self.actions_layout = QHBoxLayout(self.actions)
        self.actions_layout.setContentsMargins(0, 0, 0, 0)
        self.actions_layout.setSpacing(2)
        self.actions.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 6, 12, 6)
        lay.setSpacing(4)
        for w in (self.header, self.think_toggle, self.think_text, self.text, self.chips,
                  self.status, self.actions):
            lay.addWidget(w)
        self.setAccessibleName(self.tr("Answer"))
        self.recolor()

    # --- streaming ---------------------------------------------------------------------

    def append_text(self, text: str) -> None:
        """One streamed piece, as plain text (cheap); rendered when the answer is done."""
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.End)
        cursor.insertText(text)

    def show_thinking(self, thinking: str, streaming: bool, expanded: bool) -> None:
        self.think_toggle.setVisible(bool(thinking))
        if streaming:
            self.think_toggle.setText(thinking_block.streaming_label(thinking))
            self.think_toggle.setEnabled(False)
        else:
            self.think_toggle.setText(thinking_block.toggle_label(thinking, expanded))
            self.think_toggle.setEnabled(True)
        self.think_text.setText(thinking.strip() if expanded else "")
        self.think_text.setVisible(expanded and not streaming)

    # --- the finished answer -----------------------------------------------------------

    def set_chips(self, chips: list[tuple[int, str, str, bool, str]]) -> None:
        """(n, label, tooltip, inferred, accessible name) per cited source."""
        _empty(self.chip_layout)
        for n, label, tip, inferred, name in chips:
            chip = Chip(label, inferred)
            chip.setProperty("source", n)
            chip.setToolTip(tip)
            chip.setAccessibleName(name)
            chip.clicked.connect(lambda _=False, n=n: self.link.emit(f"cite:{self.index}.{n}"))
            self.chip_layout.addWidget(chip)
        self.chips.setVisible(bool(chips))

    def chip_buttons(self) -> list[Chip]:
        return [self.chip_layout.itemAt(i).widget() for i in range(self.chip_layout.count())]

    def set_status(self, html_text: str) -> None:
        self.status.setText(html_text)
        self.status.setVisible(bool(html_text))

    def set_actions(self, actions: list[tuple[str, str, str]]) -> None:
        """(label, tooltip, link) per button; the link's kind picks its icon."""
        from app.gui.icons import icon

        _empty(self.actions_layout)
        for label, tip, url in actions:
            button = QToolButton()
            button.setObjectName("answerAction")
            button.setAutoRaise(True)
            button.setIcon(icon(ACTION_ICONS.get(url.split(":")[0], "copy")))
            button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
            button.setText(label)
            button.setToolTip(tip)
            button.setAccessibleName(tip or label)
            button.setProperty("link", url)
            button.clicked.connect(lambda _=False, url=url: self.link.emit(url))
            self.actions_layout.addWidget(button)
        self.actions_layout.addStretch(1)
        self.actions.setVisible(bool(actions))

    def action_buttons(self) -> list[QToolButton]:
        items = (self.actions_layout.itemAt(i) for i in range(self.actions_layout.count()))
        return [it.widget() for it in items if it.widget() is not None]

    def plain_text(self) -> str:
        parts = [self.header.text()]
        if self.think_toggle.isVisibleTo(self):
            parts.append(self.think_toggle.text())
        if self.think_text.isVisibleTo(self):
            parts.append(self.think_text.text())
        parts.append(self.text.toPlainText())
        if self.chips.isVisibleTo(self):
            parts.append("  ".join(b.text() for b in self.chip_buttons()))
        if self.status.isVisibleTo(self):
            parts.append(shown_text(self.status))
        return "\n".join(p for p in parts if p)


def _empty(layout) -> None:
    """Take every item out of ``layout``, deleting its widgets (chips, actions)."""
    while layout.count():
        item = layout.takeAt(0)
        if item.widget():
            item.widget().deleteLater()


def shown_text(label: QLabel) -> str:
    """The text a rich-text label shows, without its markup."""
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


class ChatTranscript(QScrollArea):
    """The bubbles, newest at the bottom.  The view follows new text while the reader is
    at the bottom and stays put once they scroll up; ``earlierWanted`` asks for older
    messages when the top is reached."""

    changed = Signal()
    earlierWanted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAccessibleName(self.tr("Conversation"))
        self.setBackgroundRole(QPalette.Window)
        self.body = QWidget()
        self.body.setObjectName("transcriptBody")
        # opaque: Qt then scrolls by moving pixels and paints only the uncovered strip
        self.body.setAutoFillBackground(True)
        self.body.setBackgroundRole(QPalette.Window)
        self.column = QVBoxLayout(self.body)
        self.column.setContentsMargins(14, 10, 14, 10)
        self.column.setSpacing(10)
        self.column.addStretch(1)
        self.setWidget(self.body)
        self.rows: list[QWidget] = []  # the bubbles' rows, oldest first
        self.pages: list[QWidget] = []  # blocks of rows (see _page)
        self._pinned = True
        self._keep_from_bottom: int | None = None
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range)
        bar.valueChanged.connect(self._on_scroll)

    # --- adding --------------------------------------------------------------------------

    def _row(self, bubble: QWidget, right: bool) -> QWidget:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        if right:
            lay.addStretch(1)
            lay.addWidget(bubble, 0)
            bubble.fit(self._question_width())
        else:
            lay.addWidget(bubble, 1)
        row.bubble = bubble
        return row

    def _question_width(self) -> int:
        return max(240, int(self.viewport().width() * 0.78))

    def _page(self) -> QWidget:
        """A block of up to :data:`PAGE` rows with a layout of its own: adding a message
        or a block of older ones lays out that block, not the whole chat."""
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(self.column.spacing())
        return page

    def add(self, bubble: QWidget, right: bool = False) -> None:
        if not self.pages or self.pages[-1].layout().count() >= PAGE:
            self.pages.append(self._page())
            self.column.insertWidget(self.column.count() - 1, self.pages[-1])
        row = self._row(bubble, right)
        self.pages[-1].layout().addWidget(row)
        self.rows.append(row)
        self.changed.emit()

    def prepend(self, bubbles: list[tuple[QWidget, bool]]) -> None:
        """Add older messages above the first, keeping the shown ones where they are."""
        bar = self.verticalScrollBar()
        self._keep_from_bottom = bar.maximum() - bar.value()
        page = self._page()
        rows = [self._row(b, right) for b, right in bubbles]
        for row in rows:
            page.layout().addWidget(row)
        self.column.insertWidget(0, page)
        self.pages.insert(0, page)
        self.rows[:0] = rows
        self.changed.emit()

    def clear(self) -> None:
        for page in self.pages:
            self.column.removeWidget(page)
            page.deleteLater()
        self.pages = []
        self.rows = []
        self._pinned = True
        self.changed.emit()

    def bubbles(self) -> list[QWidget]:
        return [row.bubble for row in self.rows]

    def plain_text(self) -> str:
        return "\n\n".join(b.plain_text() for b in self.bubbles())

    # --- following -----------------------------------------------------------------------

    def to_bottom(self) -> None:
        self._pinned = True
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_range(self, _low: int, high: int) -> None:
        bar = self.verticalScrollBar()
        if self._keep_from_bottom is not None:
            bar.setValue(high - self._keep_from_bottom)
            self._keep_from_bottom = None
        elif self._pinned:
            bar.setValue(high)

    def _on_scroll(self, value: int) -> None:
        bar = self.verticalScrollBar()
        if self._keep_from_bottom is None:
            self._pinned = bar.maximum() - value < 40
        if value == 0 and bar.maximum() > 0:
            QTimer.singleShot(0, self.earlierWanted.emit)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            width = self._question_width()
            for row in self.rows:
                if isinstance(row.bubble, QuestionBubble):
                    row.bubble.fit(width)


def chip_label(n: int, label: str) -> str:
    """A chip's text: the number and the start of the source's label."""
    short = label if len(label) <= CHIP_LABEL_CHARS else label[:CHIP_LABEL_CHARS - 1] + "…"
    return f"[{n}] {short}"


def chip_tooltip(title: str, passage_html: str, note: str = "") -> str:
    """A chip's tooltip: which source, and the passage with its matched words marked."""
    extra = f"<p><i>{html.escape(note)}</i></p>" if note else ""
    return f"<p><b>{html.escape(title)}</b></p>{extra}<p>{passage_html}</p>"
