"""A scrolling column of source cards with one current card, driven like a list.

Keys: Up/Down move to the previous/next card, Home/End to the first/last, Page Up/Down
by the cards in view; Enter or Return activates the current card.  Tab reaches the
current card only (a "roving" tab stop: the others take focus by click), so ten cards
are one stop on the way through the window, and a screen reader hears each card's name
as it gets the focus.

It speaks the part of ``QListWidget`` that callers used (``count``, ``item(i).text()``,
``currentRow``, ``setCurrentRow``, ``row``, ``currentRowChanged``, ``itemActivated``),
so code written against the older list keeps working.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from app.gui.source_card import SourceCard

CARD_SPACING = 6


class SourceCardList(QScrollArea):
    """The cards, one current; see the module's docstring for keys and focus."""

    currentRowChanged = Signal(int)
    itemActivated = Signal(object)  # the card

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.NoFrame)
        self.setFocusPolicy(Qt.NoFocus)  # the current card takes the focus
        self._cards: list[SourceCard] = []
        self._current = -1
        self._to_reveal: SourceCard | None = None
        self.verticalScrollBar().rangeChanged.connect(self._reveal)
        body = QWidget()
        body.setObjectName("sourceCards")
        self._column = QVBoxLayout(body)
        self._column.setContentsMargins(4, 4, 4, 4)
        self._column.setSpacing(CARD_SPACING)
        self._column.addStretch(1)
        self.setWidget(body)

    # --- the list ----------------------------------------------------------------

    def count(self) -> int:
        return len(self._cards)

    def item(self, row: int) -> SourceCard | None:
        return self._cards[row] if 0 <= row < len(self._cards) else None

    def row(self, card: SourceCard) -> int:
        return self._cards.index(card) if card in self._cards else -1

    def cards(self) -> list[SourceCard]:
        return list(self._cards)

    def add_card(self, card: SourceCard) -> None:
        self._column.insertWidget(self._column.count() - 1, card)  # above the stretch
        card.show()  # now, not from the event loop: the layout places shown widgets only
        self._cards.append(card)
        card.pressed.connect(self._pressed)
        card.activated.connect(self.itemActivated)
        card.installEventFilter(self)

    def clear(self) -> None:
        self._current = -1
        self._to_reveal = None
        self.verticalScrollBar().setValue(0)
        for card in self._cards:
            card.removeEventFilter(self)
            card.hide()
            card.deleteLater()
        self._cards = []

    def currentRow(self) -> int:
        return self._current

    def setCurrentRow(self, row: int) -> None:
        row = row if 0 <= row < len(self._cards) else -1
        if row == self._current:
            return
        had_focus = any(card.hasFocus() for card in self._cards)
        old = self.item(self._current)
        if old is not None:
            old.set_selected(False)
            old.setFocusPolicy(Qt.ClickFocus)
        self._current = row
        card = self.item(row)
        if card is not None:
            card.set_selected(True)
            card.setFocusPolicy(Qt.StrongFocus)
            if had_focus:
                card.setFocus(Qt.OtherFocusReason)
            self._reveal_later(card)
        self.currentRowChanged.emit(row)

    # --- scrolling to the current card ---------------------------------------------

    def _reveal_later(self, card: SourceCard) -> None:
        """Scroll ``card`` into view, now and again once the layout has placed it: cards
        just added (an answer shown, then a citation's card selected) have no position
        yet, and the scroll range grows after they get one."""
        self._to_reveal = card
        self._reveal()
        QTimer.singleShot(0, self._reveal)

    def _reveal(self, *_) -> None:
        card = self._to_reveal
        if card is None or card is not self.item(self._current):
            return
        body, viewport = self.widget(), self.viewport()
        body.layout().activate()  # places the cards now, in the column's present size
        if body.height() < body.minimumSizeHint().height():
            return  # squeezed: the column grows first (rangeChanged calls again)
        self.ensureWidgetVisible(card, 0, CARD_SPACING)
        top = card.mapTo(viewport, QPoint(0, 0))
        if card.isVisible() and viewport.rect().contains(QRect(top, card.size())):
            self._to_reveal = None

    # --- mouse and keys ------------------------------------------------------------

    def _pressed(self, card: SourceCard) -> None:
        self.setCurrentRow(self.row(card))
        card.setFocus(Qt.MouseFocusReason)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.KeyPress and watched in self._cards:
            return self._key(watched, event.key())
        if event.type() == QEvent.Move and watched is self._to_reveal:
            self._reveal()
        return super().eventFilter(watched, event)

    def _key(self, card: SourceCard, key: int) -> bool:
        row, last = self.row(card), len(self._cards) - 1
        if key in (Qt.Key_Return, Qt.Key_Enter):
            self.itemActivated.emit(card)
            return True
        target = {Qt.Key_Up: row - 1, Qt.Key_Down: row + 1, Qt.Key_Home: 0,
                  Qt.Key_End: last, Qt.Key_PageUp: row - self._cards_in_view(),
                  Qt.Key_PageDown: row + self._cards_in_view()}.get(key)
        if target is None:
            return False
        self.setCurrentRow(min(max(target, 0), last))
        self.item(self._current).setFocus(Qt.OtherFocusReason)
        return True

    def _cards_in_view(self) -> int:
        if not self._cards:
            return 1
        step = self._cards[0].height() + CARD_SPACING
        return max(1, self.viewport().height() // max(step, 1))
