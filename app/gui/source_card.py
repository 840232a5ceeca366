"""One passage of an answer as a card: a picture of its page (or a document glyph), its
number, document and page or heading, whether the answer cites it, a few lines of it
around its matched words with those words marked, and why retrieval picked it in one
line.

The card only shows what it is given; the panel decides the texts (they are translated
there) and the list around the cards handles selection and keys.  The labels let mouse
events through, so a click anywhere on the card is the card's.
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout

from app.gui.source_card_style import CardColours
from retrieval.highlight import highlight_spans

THUMB_WIDTH = 72  # logical pixels
THUMB_HEIGHT = 93  # a US Letter page at that width; taller pages are shown narrower
EXCERPT_CHARS = 260  # enough for three lines of a narrow panel; the label clips the rest
EXCERPT_LEAD = 30  # characters shown before the first matched word
EXCERPT_WINDOW = 100  # about the three lines shown: where the most matched words are
EXCERPT_LINES = 3


def excerpt(text: str, terms: Iterable[str], chars: int = EXCERPT_CHARS,
            lead: int = EXCERPT_LEAD, window: int = EXCERPT_WINDOW) -> str:
    """The part of ``text`` around its matched words, on one line, cut at word
    boundaries, with "…" where it was cut.

    It starts a little before the first matched word of the ``window`` characters that
    hold the most different matched words (the first such run): a passage that names
    "Apple" in its heading and "total net sales" further down shows the latter."""
    flat = " ".join(text.split())
    spans = highlight_spans(flat, terms)
    start = 0
    if spans:
        def variety(i: int) -> int:
            a = spans[i][0]
            return len({flat[x:y].casefold() for x, y in spans[i:] if y <= a + window})

        best = max(range(len(spans)), key=lambda i: (variety(i), -i))
        if spans[best][0] > lead:
            start = flat.rfind(" ", 0, spans[best][0] - lead) + 1
    end = min(len(flat), start + chars)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")


def placeholder_image(colours: CardColours, dpr: float) -> QPixmap:
    """A page with a folded corner and lines of text: a document without a picture (a
    Markdown file, a PDF not rendered yet or that cannot be read)."""
    w, h = THUMB_WIDTH - 2, THUMB_HEIGHT - 2  # inside the label's border
    pixmap = QPixmap(QSize(round(w * dpr), round(h * dpr)))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(colours.background)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    page = QRectF(w * 0.25, h * 0.22, w * 0.5, h * 0.56)
    fold = page.width() * 0.3
    outline = QPainterPath(QPointF(page.left(), page.top()))
    outline.lineTo(page.right() - fold, page.top())
    outline.lineTo(page.right(), page.top() + fold)
    outline.lineTo(page.right(), page.bottom())
    outline.lineTo(page.left(), page.bottom())
    outline.closeSubpath()
    p.setPen(QPen(colours.muted, 1.2))
    p.drawPath(outline)
    p.drawLine(QPointF(page.right() - fold, page.top()),
               QPointF(page.right() - fold, page.top() + fold))
    p.drawLine(QPointF(page.right() - fold, page.top() + fold),
               QPointF(page.right(), page.top() + fold))
    for i in range(4):
        y = page.top() + fold + 6 + i * 6
        right = page.right() - 5 - (8 if i == 3 else 0)
        p.drawLine(QPointF(page.left() + 5, y), QPointF(right, y))
    p.end()
    return pixmap


class ElidedLabel(QLabel):
    """One line of plain text, elided to the width it gets instead of widening the card."""

    def __init__(self, text: str = "", mode: Qt.TextElideMode = Qt.ElideRight, parent=None):
        super().__init__(text, parent)
        self._mode = mode
        self.setTextFormat(Qt.PlainText)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance("……"), super().minimumSizeHint().height())

    def shown_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), self._mode, self.contentsRect().width())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  self.foregroundRole())


class SourceCard(QFrame):
    """One source; ``pressed`` on a click, ``activated`` on a double-click."""

    pressed = Signal(object)
    activated = Signal(object)

    def __init__(self, n: int, name: str, where: str, mark: str, why: str,
                 where_mode: Qt.TextElideMode = Qt.ElideRight, parent=None):
        super().__init__(parent)
        self.setObjectName("sourceCard")
        self.setFocusPolicy(Qt.ClickFocus)  # the list lets Tab reach the current card only
        self.setProperty("selected", False)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.list_text = ""  # the one-line-per-fact text the older list showed (tests, tools)
        self.thumbnail_state = "none"  # none, pending, page, placeholder
        self.thumb_key = None  # the page picture it waits for or shows (page_thumbnails)

        self.thumb = QLabel()
        self.thumb.setObjectName("sourceThumb")
        self.thumb.setFixedSize(THUMB_WIDTH, THUMB_HEIGHT)
        self.thumb.setAlignment(Qt.AlignCenter)
        self.badge = QLabel(str(n))
        self.badge.setObjectName("sourceBadge")
        self.name = ElidedLabel(name, Qt.ElideMiddle)
        self.name.setObjectName("sourceName")
        self.mark = QLabel(mark)
        self.mark.setObjectName("sourceMark")
        self.mark.setVisible(bool(mark))
        self.where = ElidedLabel(where, where_mode)
        self.where.setObjectName("sourceWhere")
        self.excerpt = QLabel()
        self.excerpt.setObjectName("sourceExcerpt")
        self.excerpt.setTextFormat(Qt.RichText)
        self.excerpt.setWordWrap(True)
        self.excerpt.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.excerpt.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.why = ElidedLabel(why)
        self.why.setObjectName("sourceWhy")
        self.why.setVisible(bool(why))
        for label in (self.thumb, self.badge, self.name, self.mark, self.where,
                      self.excerpt, self.why):
            label.setAttribute(Qt.WA_TransparentForMouseEvents)

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.badge)
        top.addWidget(self.name, 1)
        top.addWidget(self.mark)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addLayout(top)
        text.addWidget(self.where)
        text.addWidget(self.excerpt)
        text.addWidget(self.why)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 8, 8, 8)
        row.setSpacing(10)
        row.addWidget(self.thumb, 0, Qt.AlignTop)
        row.addLayout(text, 1)

    def text(self) -> str:
        return self.list_text

    def set_excerpt(self, html_text: str) -> None:
        """The passage's few lines (HTML); at most ``EXCERPT_LINES`` are shown."""
        self.excerpt.setText(html_text)
        self.excerpt.setMaximumHeight(EXCERPT_LINES * self.excerpt.fontMetrics().lineSpacing())

    def set_selected(self, selected: bool) -> None:
        if self.property("selected") != selected:
            self.setProperty("selected", selected)
            self.style().unpolish(self)  # the style sheet's [selected="true"] rule
            self.style().polish(self)
            self.update()

    def set_page_image(self, image: QImage, dpr: float) -> None:
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(dpr)
        box = QSize(THUMB_WIDTH - 2, THUMB_HEIGHT - 2)  # inside the label's border
        if pixmap.width() > box.width() * dpr or pixmap.height() > box.height() * dpr:
            pixmap = pixmap.scaled(box * dpr, Qt.KeepAspectRatio, Qt.SmoothTransformation)
            pixmap.setDevicePixelRatio(dpr)
        self.thumb.setPixmap(pixmap)
        self.thumbnail_state = "page"

    def set_placeholder(self, pixmap: QPixmap, pending: bool = False) -> None:
        self.thumb.setPixmap(pixmap)
        self.thumbnail_state = "pending" if pending else "placeholder"

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.pressed.emit(self)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.activated.emit(self)
        super().mouseDoubleClickEvent(event)
