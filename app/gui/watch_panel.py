"""The watched folders under the library: each folder, its knowledge base and its state
(up to date / updating n of m / paused / error), with Pause, Resume, Scan now and Stop
watching on its context menu.

The watcher (:class:`ingest.watcher.FolderWatcher`) runs on its own threads; its
callbacks come here through :class:`WatchBridge`'s signals, so the widgets are only
touched on the GUI thread.  The core's states are codes; the words are this module's,
in the interface's language.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QLabel, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from app.gui import theme
from app.gui.reasons import reason_text
from ingest import watcher as core

PATH_ROLE = Qt.UserRole + 1


class WatchBridge(QObject):
    """The watcher's callbacks as queued signals (emitted on its thread)."""

    statusChanged = Signal(list)  # [WatchStatus]
    reported = Signal(object, object)  # WatchStatus, IngestReport

    def callbacks(self) -> dict:
        return {"on_status": self.statusChanged.emit,
                "on_report": lambda status, report: self.reported.emit(status, report)}


class WatchedFoldersView(QWidget):
    """The list of watched folders; empty (and hidden) until a folder is watched."""

    message = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.watcher: core.FolderWatcher | None = None
        self.title = QLabel(self.tr("Watched folders"))
        self.title.setObjectName("watchTitle")
        self.tree = QTreeWidget()
        self.tree.setObjectName("watchTree")
        self.tree.setAccessibleName(self.tr("Watched folders"))
        self.tree.setHeaderLabels([self.tr("Folder"), self.tr("Knowledge base"),
                                   self.tr("State")])
        self.tree.setRootIsDecorated(False)
        self.tree.setMaximumHeight(130)
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.title)
        lay.addWidget(self.tree)
        self.team_library_shown = False
        self.setVisible(False)

    def set_watcher(self, watcher: core.FolderWatcher) -> None:
        self.watcher = watcher
        self.show_statuses(watcher.statuses())

    # --- showing --------------------------------------------------------------------

    def state_text(self, s: core.WatchStatus) -> str:
        if s.state == core.ERROR:
            return self.tr("not found") if s.missing else self.tr("error")
        if s.state in (core.UPDATING, core.SCANNING) and s.total:
            return self.tr("updating {done} of {total}").format(done=s.done, total=s.total)
        text = {core.UP_TO_DATE: self.tr("up to date"), core.UPDATING: self.tr("updating…"),
                core.SCANNING: self.tr("checking…"), core.PAUSED: self.tr("paused")}.get(
                    s.state, s.state)
        if s.state == core.UP_TO_DATE and s.failures:
            text += " · " + self.tr("{n} not read").format(n=len(s.failures))
        if s.poll and s.state != core.PAUSED:
            text += " · " + self.tr("polled")
        return text

    def tooltip(self, s: core.WatchStatus) -> str:
        lines = [s.path]
        if s.missing:
            lines.append(self.tr("The folder is not there (deleted, renamed, or on a drive "
                                 "that is not connected). Its documents are kept, and it is "
                                 "checked again when it is back."))
        elif s.state == core.ERROR and s.detail:
            lines.append(reason_text(s.detail))
        if s.poll:
            lines.append(self.tr("Changes on this drive send no events: it is checked every "
                                 "so often instead."))
        for f in s.failures[:10]:
            lines.append(f"{Path(f.path).name}: {reason_text(f.reason)}")
        return "\n".join(lines)

    def show_statuses(self, statuses: list) -> None:
        selected = {i.data(0, PATH_ROLE) for i in self.tree.selectedItems()}
        self.tree.clear()
        for s in statuses:
            item = QTreeWidgetItem([Path(s.path).name or s.path, s.kb, self.state_text(s)])
            item.setData(0, PATH_ROLE, (s.kb, s.path))
            for column in range(3):
                item.setToolTip(column, self.tooltip(s))
            if s.state == core.ERROR or s.failures:
                item.setForeground(2, QColor(theme.colors()["error"]))
            self.tree.addTopLevelItem(item)
            item.setSelected((s.kb, s.path) in selected)
        self.tree.resizeColumnToContents(0)
        self.setVisible(bool(statuses) and not self.team_library_shown)

    def set_team_library_shown(self, shown: bool) -> None:
        """The watched folders are this computer's: hidden while the window shows the
        team library (the watcher goes on)."""
        self.team_library_shown = shown
        self.setVisible(self.tree.topLevelItemCount() > 0 and not shown)

    # --- acting -----------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None or self.watcher is None:
            return
        kb, path = item.data(0, PATH_ROLE)
        status = next((s for s in self.watcher.statuses() if s.path == path and s.kb == kb),
                      None)
        if status is None:
            return
        menu = QMenu(self)
        if status.enabled:
            menu.addAction(self.tr("Pause watching"), lambda: self.pause(kb, path))
            menu.addAction(self.tr("Check now"), lambda: self.watcher.scan_now(kb, path))
        else:
            menu.addAction(self.tr("Resume watching"), lambda: self.resume(kb, path))
        menu.addAction(self.tr("Stop watching (documents stay)"), lambda: self.remove(kb, path))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def pause(self, kb: str, path: str) -> None:
        self.watcher.pause(kb, path)
        self.message.emit(self.tr("Paused watching {folder}").format(folder=path))

    def resume(self, kb: str, path: str) -> None:
        self.watcher.resume(kb, path)
        self.message.emit(self.tr("Watching {folder} again").format(folder=path))

    def remove(self, kb: str, path: str) -> None:
        self.watcher.remove(kb, path)
        self.message.emit(self.tr("No longer watching {folder}; its documents stay")
                          .format(folder=path))
