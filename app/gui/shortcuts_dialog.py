"""Help → Keyboard shortcuts: every action of the window that has a shortcut.

Why built from the actions: the list cannot go stale when a shortcut is added or
changed, since it reads the same QAction the key triggers.  Keys that widgets handle
themselves (Enter in the question box) have no action; they are the few rows of
``widget_keys``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)


def action_label(action: QAction) -> str:
    """The action's text as a person reads it: no mnemonic "&", no trailing "…"."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…. ")


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(what, keys) for each action with a shortcut, once each, in the order given."""
    rows, seen = [], set()
    for action in actions:
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys or not action.text() or id(action) in seen:
            continue
        seen.add(id(action))
        text = ", ".join(dict.fromkeys(k.toString(QKeySequence.NativeText) for k in keys))
        rows.append((action_label(action), text))
    return rows


def widget_keys() -> list[tuple[str, str]]:
    """Keys the question box and the chat handle themselves (no QAction to read)."""
    def keys(sequence: str) -> str:
        return QKeySequence(sequence).toString(QKeySequence.NativeText)

    return [(QCoreApplication.translate("ShortcutsDialog", "Send the question"), keys("Enter")),
            (QCoreApplication.translate("ShortcutsDialog", "New line in the question"),
             keys("Shift+Enter")),
            (QCoreApplication.translate("ShortcutsDialog", "Stop the answer"), keys("Esc")),
            (QCoreApplication.translate("ShortcutsDialog", "Copy the last answer"),
             keys("Ctrl+Shift+C"))]


class ShortcutsDialog(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setObjectName("shortcutsDialog")
        self.rows = shortcut_rows(actions) + widget_keys()
        self.table = QTableWidget(len(self.rows), 2)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.table.setHorizontalHeaderLabels([self.tr("Action"), self.tr("Keys")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        for row, (what, keys) in enumerate(self.rows):
            self.table.setItem(row, 0, QTableWidgetItem(what))
            self.table.setItem(row, 1, QTableWidgetItem(keys))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)
        self.resize(460, min(620, 90 + 30 * len(self.rows)))
