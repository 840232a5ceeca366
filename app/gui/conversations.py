"""The list of saved conversations: open, start, rename, delete and export chats.

The chats are the core's ``answer.chats.ChatStore``; this widget lists them (most
recently updated first), tells the chat panel which one to show, and calls the store for
every change.  Titles are edited in place (double-click or F2, or the Rename button).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QWidget)

log = logging.getLogger(__name__)


class ConversationList(QWidget):
    """Saved chats; emits ``chatChosen(id)`` and ``newChatRequested``."""

    chatChosen = Signal(int)
    newChatRequested = Signal()
    chatDeleted = Signal(int)
    message = Signal(str)  # for the status bar: problems and results

    def __init__(self, chats_factory: Callable, parent: QWidget | None = None):
        super().__init__(parent)
        self.chats_factory = chats_factory  # () -> ChatStore
        self._refreshing = False

        self.list = QListWidget()
        self.list.setObjectName("conversationList")
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.list.itemChanged.connect(self._on_item_edited)

        self.new_button = QPushButton(self.tr("New"))
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.rename_button = QPushButton(self.tr("Rename"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the conversation as a Markdown file"))
        self.new_button.clicked.connect(self.newChatRequested)
        self.rename_button.clicked.connect(self._start_rename)
        self.delete_button.clicked.connect(lambda: self.delete_chat(self.current_chat_id()))
        self.export_button.clicked.connect(lambda: self.export_chat(self.current_chat_id()))

        buttons = QHBoxLayout()
        for b in (self.new_button, self.rename_button, self.delete_button, self.export_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.list, 1)
        lay.addLayout(buttons)
        self._update_buttons()

    # --- listing ------------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        """Reload from the store, keeping (or setting) the selection."""
        keep = select if select is not None else self.current_chat_id()
        try:
            chats = self.chats_factory().list()
        except Exception as exc:
            log.exception("cannot list chats")
            self.message.emit(self.tr("Cannot read the saved conversations: {reason}")
                              .format(reason=exc))
            return
        self._refreshing = True
        try:
            self.list.clear()
            for chat in chats:
                item = QListWidgetItem(chat.title or self.tr("Chat {n}").format(n=chat.id))
                item.setData(Qt.UserRole, chat.id)
                item.setFlags(item.flags() | Qt.ItemIsEditable)
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(chat.updated))
                item.setToolTip(self.tr("{count} messages · last used {when}")
                                .format(count=chat.message_count, when=when))
                self.list.addItem(item)
                if chat.id == keep:
                    self.list.setCurrentItem(item)
        finally:
            self._refreshing = False
        self._update_buttons()

    def chat_ids(self) -> list[int]:
        return [self.list.item(i).data(Qt.UserRole) for i in range(self.list.count())]

    def titles(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def current_chat_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item is not None else None

    def select_chat(self, chat_id: int | None) -> None:
        """Highlight ``chat_id`` without reopening it (the chat panel already shows it)."""
        self._refreshing = True
        try:
            self.list.setCurrentItem(None)
            for i in range(self.list.count()):
                if self.list.item(i).data(Qt.UserRole) == chat_id:
                    self.list.setCurrentRow(i)
        finally:
            self._refreshing = False
        self._update_buttons()

    def _item(self, chat_id: int) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.UserRole) == chat_id:
                return self.list.item(i)
        return None

    def _on_current_changed(self, current, _previous) -> None:
        self._update_buttons()
        if self._refreshing or current is None:
            return
        self.chatChosen.emit(current.data(Qt.UserRole))

    def _update_buttons(self) -> None:
        has = self.list.currentItem() is not None
        for b in (self.rename_button, self.delete_button, self.export_button):
            b.setEnabled(has)

    # --- rename -------------------------------------------------------------------------

    def _start_rename(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def _on_item_edited(self, item: QListWidgetItem) -> None:
        if not self._refreshing:  # after the edit ends: renaming rebuilds the list
            chat_id, title = item.data(Qt.UserRole), item.text()
            QTimer.singleShot(0, lambda: self.rename_chat(chat_id, title))

    def rename_chat(self, chat_id: int, title: str) -> bool:
        from answer.chats import ChatError

        try:
            self.chats_factory().rename(chat_id, title)
        except ChatError as exc:
            self.message.emit(self.tr("Cannot rename the conversation: {reason}").format(reason=exc))
            self.refresh()  # put the old title back
            return False
        self.refresh(select=chat_id)
        return True

    # --- delete -------------------------------------------------------------------------

    def delete_chat(self, chat_id: int | None, confirm: bool = True) -> bool:
        if chat_id is None:
            return False
        item = self._item(chat_id)
        title = item.text() if item is not None else str(chat_id)
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("Delete conversation"),
                self.tr("Delete the conversation “{title}”? This cannot be undone.")
                .format(title=title),
                QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Yes:
                return False
        from answer.chats import ChatError

        try:
            self.chats_factory().delete(chat_id)
        except ChatError as exc:
            self.message.emit(self.tr("Cannot delete the conversation: {reason}").format(reason=exc))
            return False
        self.refresh()
        self.chatDeleted.emit(chat_id)
        return True

    # --- export -------------------------------------------------------------------------

    def export_chat(self, chat_id: int | None, path: str | None = None) -> Path | None:
        """Write the chat as Markdown to ``path`` (asked for with a file dialog if not
        given); returns the file written, or None."""
        if chat_id is None:
            return None
        store = self.chats_factory()
        if path is None:
            title = store.get(chat_id).title or f"chat-{chat_id}"
            suggested = re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", " ", title).strip()[:60] or "chat"
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export conversation"), str(Path.home() / f"{suggested}.md"),
                self.tr("Markdown files (*.md);;All files (*)"))
            if not path:
                return None
        target = Path(path)
        try:
            text = store.export_markdown(chat_id)
            target.write_text(text, encoding="utf-8")
        except Exception as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.message.emit(self.tr("Cannot export to {file}: {reason}")
                              .format(file=target, reason=reason))
            return None
        self.message.emit(self.tr("Exported the conversation to {file}").format(file=target))
        return target
