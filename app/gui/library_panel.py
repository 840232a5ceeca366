"""Knowledge bases and their documents: pick the one the chat asks, manage both.

Everything changes through the core's ``ingest.store.library.Library``; the slow calls (removing
a document deletes its vectors from Chroma, deleting a knowledge base drops a collection)
run on a worker thread via :class:`app.gui.background.Background`.  Re-indexing is an ingest
of the chosen files, and re-embedding a knowledge base (after the embedder changed) is one
of all its files, so the window runs both with its usual progress display.

With a team library in the settings, a picker above the knowledge bases chooses between
this computer's library and the team's (the window connects in the background); the
team's knowledge bases carry its icon and, in their tooltips, its servers, and a reader
finds every change greyed out, saying why.  The team's catalog is read in the background
too (see :meth:`LibraryPanel.refresh`): a slow server never freezes the window.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLocale, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QInputDialog, QLabel,
                               QMenu, QMessageBox, QPushButton, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from app.gui.background import Background, Operation
from app.gui.gui_services import LOCAL, SHARED
from app.gui.icons import icon
from app.gui.reasons import error_text, reason_text

log = logging.getLogger(__name__)

STATUS_ICONS = {"ready": "✔", "failed": "✖", "pending": "…", "removing": "…"}
DOC_ROLE = Qt.UserRole  # column 0: the document's path; column 1: its core status
KB_ROLE = Qt.UserRole + 1  # column 0 of a knowledge base row: its name


def stale_embedder(kb, docs, current: str | None) -> str | None:
    """The other embedder that built ``kb`` (or some of its documents, after an interrupted
    re-embedding), or None when all of it matches ``current`` (None: not known yet)."""
    if not current:
        return None
    if kb.embedder and kb.embedder != current:
        return kb.embedder
    return next((d.embedder for d in docs
                 if d.status == "ready" and d.embedder and d.embedder != current), None)


def read_library(library) -> list[tuple]:
    """Every knowledge base of ``library`` with its documents: what the tree shows (on a
    team library, a round trip to its catalog server per knowledge base)."""
    return [(kb, library.documents(kb)) for kb in library.kbs()]


class LibraryPanel(QWidget):
    kbChanged = Signal(str)  # the knowledge base the chat asks and files go into
    reindexRequested = Signal(list, str)  # paths, knowledge base
    reembedRequested = Signal(str)  # re-embed this knowledge base with the current embedder
    exportRequested = Signal(str)  # write this knowledge base to an archive
    viewRequested = Signal(str)  # show this document inside the app
    askAboutRequested = Signal(list)  # scope the chat to these documents
    summarizeRequested = Signal(str)  # summarize this document in the chat
    compareRequested = Signal(list)  # compare these two documents in the chat
    changed = Signal()  # documents or knowledge bases were changed here
    message = Signal(str)  # for the status bar
    problem = Signal(str)  # something failed: file (or knowledge base) and reason
    refreshed = Signal()  # the tree shows a new read of the library

    libraryRequested = Signal(str)  # LOCAL or SHARED: the person chose that library

    def __init__(self, services, background: Background, parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.background = services, background
        self._kb = "default"
        self._busy = False
        self._switching = False  # the window is connecting to the other library
        self.showing = LOCAL  # the library shown (the window says, see show_library)
        self.writable = True  # False: a reader of the team library
        self.servers = ("", "")  # the team library's catalog and vector servers
        self._kb_in = {}  # library -> the knowledge base last chosen in it
        # the last read of the library shown: [(knowledge base, its documents)]
        self.contents: list[tuple] = []
        self.showing_read: str | None = None  # the library of that read
        self._read: Operation | None = None  # the team's catalog being read
        self._read_again = False  # a refresh was asked for while it was read
        self._shown = 0  # counts the libraries shown: a read from before the last is dropped
        self._pick_first = False  # once read: the team's first knowledge base if it
        # lacks the one chosen

        self.library_picker = QComboBox()
        self.library_picker.setObjectName("libraryPicker")
        self.library_picker.setAccessibleName(self.tr("Library"))
        self.library_picker.setToolTip(self.tr("This computer's library, or your team's on "
                                               "its server"))
        self.library_picker.addItem(icon("computer"), self.tr("This computer"), LOCAL)
        self.library_picker.addItem(icon("team"), self.tr("Team library"), SHARED)
        self.library_picker.activated.connect(
            lambda i: self.libraryRequested.emit(self.library_picker.itemData(i)))
        self.role_label = QLabel()
        self.role_label.setObjectName("libraryRole")

        self.kb_picker = QComboBox()
        self.kb_picker.setObjectName("kbPicker")
        self.kb_picker.setToolTip(self.tr("The knowledge base the chat asks and new files go into"))
        self.kb_picker.setAccessibleName(self.tr("Knowledge base"))
        self.kb_picker.activated.connect(lambda i: self.set_current_kb(self.kb_picker.itemText(i)))
        self.new_kb_button = QPushButton(self.tr("New…"))
        self.rename_kb_button = QPushButton(self.tr("Rename…"))
        self.delete_kb_button = QPushButton(self.tr("Delete…"))
        self.new_kb_button.clicked.connect(lambda: self.create_kb())
        self.rename_kb_button.clicked.connect(lambda: self.rename_kb(self._kb))
        self.delete_kb_button.clicked.connect(lambda: self.delete_kb(self._kb))
        # "New…" alone says little to someone who hears it: the names say of what
        for button, name in ((self.new_kb_button, self.tr("New knowledge base")),
                             (self.rename_kb_button, self.tr("Rename knowledge base")),
                             (self.delete_kb_button, self.tr("Delete knowledge base"))):
            button.setAccessibleName(name)
            button.setToolTip(name)

        self.tree = QTreeWidget()
        self.tree.setObjectName("libraryTree")
        self.tree.setAccessibleName(self.tr("Documents"))
        self.tree.setHeaderLabels([self.tr("Document"), self.tr("Status"), self.tr("Pages"),
                                   self.tr("Chunks"), self.tr("Reason")])
        self.tree.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.tree.setContextMenuPolicy(Qt.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemActivated.connect(self._on_activated)

        self.ask_about_action = QAction(self.tr("Ask about these"), self)
        self.ask_about_action.setToolTip(self.tr("Answer the chat's questions from the "
                                                 "selected documents only"))
        self.ask_about_action.triggered.connect(
            lambda: self.askAboutRequested.emit(self.selected_paths()))
        self.summarize_action = QAction(self.tr("Summarize"), self)
        self.summarize_action.triggered.connect(
            lambda: self.selected_paths() and self.summarizeRequested.emit(self.selected_paths()[0]))
        self.compare_action = QAction(self.tr("Compare"), self)
        self.compare_action.setToolTip(self.tr("Select two documents of one kind: their "
                                               "differing figures and sections"))
        self.compare_action.triggered.connect(
            lambda: len(self.selected_paths()) == 2
            and self.compareRequested.emit(self.selected_paths()))
        self.open_action = QAction(self.tr("Open"), self)
        self.open_action.triggered.connect(lambda: [self.viewRequested.emit(p)
                                                    for p in self.selected_paths()[:1]])
        self.open_external_action = QAction(self.tr("Open with system viewer"), self)
        self.open_external_action.triggered.connect(
            lambda: [self.open_document(p) for p in self.selected_paths()])
        self.reindex_action = QAction(self.tr("Re-index"), self)
        self.reindex_action.triggered.connect(lambda: self.reindex(self.selected_paths()))
        self.remove_action = QAction(self.tr("Remove from knowledge base"), self)
        self.remove_action.setShortcut(Qt.Key_Delete)
        self.remove_action.setShortcutContext(Qt.WidgetShortcut)
        self.remove_action.triggered.connect(lambda: self.remove_documents(self.selected_paths()))
        self.tree.addAction(self.remove_action)
        self.reembed_kb_action = QAction(self.tr("Re-embed knowledge base"), self)
        self.reembed_kb_action.setToolTip(self.tr(
            "Embed every document of the knowledge base again with the current embedder"))
        self.reembed_kb_action.triggered.connect(lambda: self.reembedRequested.emit(self._kb))
        # the embedder questions and new files use (set by the window once it is known)
        # and, after each refresh, the knowledge bases embedded with another one
        self.embedder_name: str | None = None
        self.stale_kbs: dict[str, str] = {}  # knowledge base -> the other embedder

        self.library_row = QWidget()
        row = QHBoxLayout(self.library_row)
        row.setContentsMargins(0, 0, 0, 0)
        library_label = QLabel(self.tr("Library:"))
        library_label.setBuddy(self.library_picker)
        row.addWidget(library_label)
        row.addWidget(self.library_picker, 1)
        row.addWidget(self.role_label)
        self.library_row.setVisible(services.shared_configured() or services.which == SHARED)
        # what each control says when it may be used (a reader's say why it may not)
        self._tips = {w: w.toolTip() for w in (self.new_kb_button, self.rename_kb_button,
                                               self.delete_kb_button)}
        self._tips.update({a: a.toolTip() for a in (self.remove_action, self.reindex_action,
                                                    self.reembed_kb_action)})

        # The picker has the row to itself and its buttons go under it: beside them a
        # name such as "api-tutorial" was cut to "api-tutoria" in a panel of usual width.
        top = QHBoxLayout()
        kb_label = QLabel(self.tr("Knowledge base:"))
        kb_label.setBuddy(self.kb_picker)
        top.addWidget(kb_label)
        top.addWidget(self.kb_picker, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.new_kb_button, self.rename_kb_button, self.delete_kb_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.library_row)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(self.tree, 1)

    # --- which library ------------------------------------------------------------------

    def read_only_text(self) -> str:
        """Why a reader cannot change the team library (the disabled controls' tooltip)."""
        return self.tr("Your account can read this team library but not change it (ask a "
                       "writer or the server's administrator)")

    def writer_text(self) -> str:
        """What a writer of the team library may do (tooltips)."""
        return self.tr("Your account can add, remove and rename here: your team sees the "
                       "changes")

    def local_text(self) -> str:
        """This computer's library, for tooltips."""
        return self.tr("The knowledge bases kept in this computer's data folder")

    def library_name(self) -> str:
        """The library shown, for the status bar: with the rights in the team's."""
        if self.showing != SHARED:
            return self.tr("This computer")
        return (self.tr("Team library · reader") if not self.writable
                else self.tr("Team library · writer"))

    def role_text(self) -> str:
        """"Reader" or "Writer" in the team library; "" for this computer's."""
        if self.showing != SHARED:
            return ""
        return self.tr("Reader") if not self.writable else self.tr("Writer")

    def server_text(self) -> str:
        """The team library's servers, for tooltips (never a secret)."""
        catalog, vectors = self.servers
        return self.tr("Server: {catalog} (passages), {vectors} (vectors)").format(
            catalog=catalog, vectors=vectors)

    def set_servers(self, catalog: str, vectors: str) -> None:
        """Name the team library's servers (from the settings, before connecting)."""
        self.servers = (catalog, vectors)
        self.library_picker.setItemText(1, self.tr("Team library · {server}").format(
            server=catalog))
        self.library_picker.setItemData(1, self.server_text(), Qt.ToolTipRole)
        self.library_picker.setItemData(0, self.local_text(), Qt.ToolTipRole)

    def show_library(self, which: str, writable: bool) -> None:
        """The window now shows ``which`` (opened): pick, mark and gate accordingly, and
        go to the knowledge base last chosen there."""
        self._kb_in[self.showing] = self._kb
        self.showing, self.writable = which, writable
        self.library_row.setVisible(not self.library_row.isHidden() or which == SHARED)
        self.library_picker.setCurrentIndex(self.library_picker.findData(which))
        if which == SHARED:
            self.role_label.setText(self.role_text())
            self.role_label.setToolTip(self.read_only_text() if not writable
                                       else self.writer_text())
        else:
            self.role_label.setText("")
            self.role_label.setToolTip("")
        if which != self.showing_read:  # until read, nothing of the other library's
            self._show_reading(which)
        kb = self._kb_in.get(which, "default")  # this computer's: as before, "default"
        # the team's may not have it: its first then, once read (not read here: a server)
        self._pick_first = which == SHARED
        self._shown += 1  # a read still running is of the library shown before
        changed = kb != self._kb
        self._kb = kb
        self._apply_enabled()
        self.refresh()
        if changed:
            self.kbChanged.emit(kb)

    def set_switching(self, switching: bool) -> None:
        """While the window connects to the other library, the picker waits."""
        self._switching = switching
        if not switching:  # a failed switch: back to the library still shown
            self.library_picker.setCurrentIndex(self.library_picker.findData(self.showing))
        self._apply_enabled()

    # --- showing ------------------------------------------------------------------------

    @property
    def current_kb(self) -> str:
        return self._kb

    def set_current_kb(self, name: str) -> None:
        if not name:
            return
        changed = name != self._kb
        self._kb = name
        self._fill_picker(self._kb_names())
        self._mark_current()
        if changed:
            self.kbChanged.emit(name)

    def _kb_names(self) -> list[str]:
        """The knowledge bases of the last read (the library is not read here)."""
        names = [kb.name for kb, _docs in self.contents]
        if self._kb not in names:
            names.append(self._kb)  # created by the first file added to it
        return names

    def _fill_picker(self, names: list[str]) -> None:
        self.kb_picker.blockSignals(True)
        self.kb_picker.clear()
        self.kb_picker.addItems(names)
        if self.showing == SHARED:  # the team's knowledge bases say where they are (no
            for i in range(len(names)):  # icon: the row is narrow, the names come first)
                self.kb_picker.setItemData(i, self.shared_kb_text(), Qt.ToolTipRole)
        self.kb_picker.setCurrentIndex(max(0, names.index(self._kb)))
        self.kb_picker.blockSignals(False)

    def shared_kb_text(self) -> str:
        """The tooltip of a team knowledge base: where it is and what this person may do."""
        rights = (self.tr("Your account can search it but not change it.") if not self.writable
                  else self.tr("Your account can search and change it."))
        return self.tr("Shared with your team.") + "\n" + self.server_text() + "\n" + rights

    def refresh(self) -> None:
        """Read the library shown again and fill the tree with it.

        The team library's catalog is on a server: each read is a network round trip or
        more, seconds on a slow or distant server, so it is read in the background and
        the tree is filled when the result arrives (:attr:`reading` is True until then;
        :attr:`refreshed` says when).  One read runs at a time: a refresh asked for
        meanwhile reads again once it ends, so the newest read is the one left shown, and
        a read that began before the window showed another library is dropped.

        This computer's library is read here, on the GUI thread, and the tree is filled
        before this returns: its catalog is a SQLite file on this disk that answers in a
        millisecond or two, less than starting a thread costs, and the window refreshes
        after every file added; the many callers (and tests) that look at the tree right
        after a refresh keep working as they did."""
        if self.showing != SHARED:
            try:
                contents = read_library(self.services.library())
            except Exception as exc:
                self._read_failed(error_text(exc))
                return
            self._fill(contents)
            return
        if self._read is not None:
            self._read_again = True
            return
        self._start_read()

    @property
    def reading(self) -> bool:
        """The team's catalog is being read for the tree (or will be again)."""
        return self._read is not None

    def _start_read(self) -> None:
        shown, library = self._shown, self.services.library()
        op = None

        def done(contents) -> None:
            self._read = None
            if shown == self._shown:
                self._fill(contents)
            self._read_again_if_asked()

        def failed(message: str) -> None:
            self._read = None
            if shown == self._shown:
                self._read_failed(error_text(op.error if op is not None else None, message))
            self._read_again_if_asked()

        self._read_again = False
        op = self._read = self.background.run(lambda _op: read_library(library), done, failed,
                                              name="read library")

    def _read_again_if_asked(self) -> None:
        """After a read of the team's catalog is shown: another, if a refresh was asked
        for while it ran (what it shows may have changed since the first began)."""
        if self._read_again and self._read is None and self.showing == SHARED:
            self._start_read()

    def _read_failed(self, reason: str) -> None:
        """The library could not be read (the team's server may have gone away since it
        was opened): the tree stays as it was, but for the line saying it is read."""
        if self.showing_read != self.showing:
            self.tree.clear()
        log.warning("cannot read the library: %s", reason)
        self.problem.emit(self.tr("Cannot read the library: {reason}").format(reason=reason))

    def _fill(self, contents: list[tuple]) -> None:
        """Show ``contents`` (see :func:`read_library`): expanded and collapsed
        knowledge bases stay so, the current one in bold."""
        kbs = self.contents = contents
        self.showing_read = self.showing
        collapsed = {self.tree.topLevelItem(i).data(0, KB_ROLE)
                     for i in range(self.tree.topLevelItemCount())
                     if not self.tree.topLevelItem(i).isExpanded()}
        names = [kb.name for kb, _docs in kbs]
        pick_first = self._pick_first and self.showing == SHARED
        self._pick_first = False
        moved = pick_first and self._kb not in names and bool(names)
        if moved:
            self._kb = names[0]
        self.tree.clear()
        self.stale_kbs = {}
        shared = self.showing == SHARED
        for kb, docs in kbs:
            kb_item = QTreeWidgetItem([kb.name, "", "", "", ""])
            kb_item.setData(0, KB_ROLE, kb.name)
            if shared:  # marked: the icon, a word, and where it is in the tooltip
                kb_item.setIcon(0, icon("team"))
                kb_item.setText(1, self.tr("shared"))
                kb_item.setToolTip(0, self.shared_kb_text())
                kb_item.setToolTip(1, self.shared_kb_text())
            old = stale_embedder(kb, docs, self.embedder_name)
            if old:
                self.stale_kbs[kb.name] = old
                kb_item.setText(1, "⚠ " + self.tr("re-embed"))
                kb_item.setToolTip(0, self.tr("Embedded with {old}, not the current embedder "
                                              "{new}: right-click and choose “Re-embed "
                                              "knowledge base”").format(
                                                  old=old, new=self.embedder_name))
                kb_item.setToolTip(1, kb_item.toolTip(0))
            self.tree.addTopLevelItem(kb_item)
            locale = QLocale()  # numbers as the interface's language writes them
            for doc in docs:
                item = QTreeWidgetItem([Path(doc.path).name,
                                        f"{STATUS_ICONS.get(doc.status, '?')} "
                                        f"{self.status_text(doc.status)}",
                                        locale.toString(doc.pages) if doc.pages else "",
                                        locale.toString(doc.chunks) if doc.chunks else "",
                                        reason_text(doc.reason)])
                for column in (2, 3):
                    item.setTextAlignment(column, Qt.AlignRight | Qt.AlignVCenter)
                item.setToolTip(0, doc.path)
                item.setToolTip(4, item.text(4))
                item.setData(0, DOC_ROLE, doc.path)
                item.setData(1, DOC_ROLE, doc.status)
                kb_item.addChild(item)
            kb_item.setExpanded(kb.name not in collapsed)
        self._fill_picker(self._kb_names())
        self._mark_current()
        for column in range(4):  # the reason (last) takes what is left, or scrolls
            self.tree.resizeColumnToContents(column)
        if moved:
            self.kbChanged.emit(self._kb)
        self.refreshed.emit()

    def _show_reading(self, which: str) -> None:
        """The tree of a library not read yet: a line that says it is being read (for a
        team library, seconds on a slow server), and nothing of the library before."""
        self.contents, self.stale_kbs = [], {}
        self.tree.clear()
        if which == SHARED:
            item = QTreeWidgetItem([self.tr("Reading the team library…"), "", "", "", ""])
            item.setFlags(Qt.NoItemFlags)
            self.tree.addTopLevelItem(item)

    def ready_documents(self, kb_name: str) -> list[str]:
        """The paths of the ready documents of ``kb_name`` in the last read."""
        return [d.path for kb, docs in self.contents if kb.name == kb_name
                for d in docs if d.status == "ready"]

    def embedder_of(self, kb_name: str) -> str | None:
        """The embedder ``kb_name`` was built with, in the last read (None: not read)."""
        return next((kb.embedder for kb, _docs in self.contents if kb.name == kb_name), None)

    def status_text(self, status: str) -> str:
        return {"ready": self.tr("ready"), "failed": self.tr("failed"),
                "pending": self.tr("pending"), "removing": self.tr("removing")}.get(status, status)

    def _mark_current(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            font = QFont(item.font(0))
            font.setBold(item.data(0, KB_ROLE) == self._kb)
            item.setFont(0, font)

    def documents_shown(self) -> dict[str, str]:
        """Path → core status of every document in the tree."""
        out = {}
        for i in range(self.tree.topLevelItemCount()):
            kb_item = self.tree.topLevelItem(i)
            for j in range(kb_item.childCount()):
                item = kb_item.child(j)
                out[item.data(0, DOC_ROLE)] = item.data(1, DOC_ROLE)
        return out

    def selected_paths(self) -> list[str]:
        return [i.data(0, DOC_ROLE) for i in self.tree.selectedItems() if i.data(0, DOC_ROLE)]

    def set_busy(self, busy: bool) -> None:
        """While files are added, the library is not changed from here."""
        self._busy = busy
        self._apply_enabled()

    def _apply_enabled(self) -> None:
        """Changes are off while busy and for a reader (whose controls say why)."""
        can_change = not self._busy and self.writable
        for control, tip in self._tips.items():
            control.setEnabled(can_change)
            control.setToolTip(tip if self.writable else self.read_only_text())
        self.kb_picker.setEnabled(not self._busy)
        self.library_picker.setEnabled(not self._busy and not self._switching)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None or not (item.data(0, DOC_ROLE) or item.data(0, KB_ROLE)):
            return  # nothing, or the line saying the library is being read
        menu = QMenu(self)
        menu.setToolTipsVisible(True)  # a reader's greyed-out items say why
        if item.data(0, DOC_ROLE):
            menu.addAction(self.summarize_action)
            menu.addAction(self.compare_action)
            menu.addAction(self.ask_about_action)
            self.summarize_action.setEnabled(len(self.selected_paths()) == 1)
            self.compare_action.setEnabled(len(self.selected_paths()) == 2)
            menu.addSeparator()
            menu.addAction(self.open_action)
            menu.addAction(self.open_external_action)
            menu.addAction(self.reindex_action)
            menu.addSeparator()
            menu.addAction(self.remove_action)
        else:
            name = item.data(0, KB_ROLE)
            can_change = not self._busy and self.writable
            menu.addAction(self.tr("Ask this knowledge base"), lambda: self.set_current_kb(name))
            changes = [menu.addAction(self.tr("Rename…"), lambda: self.rename_kb(name)),
                       menu.addAction(self.tr("Delete…"), lambda: self.delete_kb(name))]
            menu.addSeparator()
            changes.append(menu.addAction(self.tr("Re-embed knowledge base"),
                                          lambda: self.reembedRequested.emit(name)))
            for action in changes:
                action.setEnabled(can_change)
                if not self.writable:
                    action.setToolTip(self.read_only_text())
            menu.addAction(self.tr("Export…"), lambda: self.exportRequested.emit(name))
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        path = item.data(0, DOC_ROLE)
        if path:
            self.viewRequested.emit(path)

    def _kb_of(self, path: str) -> str:
        for i in range(self.tree.topLevelItemCount()):
            kb_item = self.tree.topLevelItem(i)
            for j in range(kb_item.childCount()):
                if kb_item.child(j).data(0, DOC_ROLE) == path:
                    return kb_item.data(0, KB_ROLE)
        return self._kb

    # --- documents ----------------------------------------------------------------------

    def open_document(self, path: str) -> bool:
        """Open with the system's viewer."""
        if not Path(path).exists():
            self.problem.emit(self.tr("Cannot open {file}: the file no longer exists").format(file=path))
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            self.problem.emit(self.tr("Cannot open {file}: no program is set up to open it")
                              .format(file=path))
            return False
        return True

    def reindex(self, paths: list[str]) -> None:
        by_kb: dict[str, list[str]] = {}
        for p in paths:
            by_kb.setdefault(self._kb_of(p), []).append(p)
        for kb, group in by_kb.items():
            self.reindexRequested.emit(group, kb)

    def remove_documents(self, paths: list[str], confirm: bool = True) -> None:
        """Remove documents from their knowledge base (the files themselves stay)."""
        if not paths or self._busy:
            return
        if confirm:
            names = ", ".join(Path(p).name for p in paths[:5]) + (" …" if len(paths) > 5 else "")
            answer = QMessageBox.question(
                self, self.tr("Remove from knowledge base"),
                self.tr("Remove {n} document(s) from the knowledge base: {names}?\n"
                        "The files on disk are not touched.").format(n=len(paths), names=names),
                QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Yes:
                return
        targets = [(self._kb_of(p), p) for p in paths]
        library = self.services.library()

        def work(_op):
            problems = []  # (file, what the core raised): worded on the GUI thread
            for kb_name, path in targets:
                try:
                    library.remove_path(library.kb(kb_name), Path(path))
                except Exception as exc:
                    problems.append((Path(path).name, exc))
            return problems

        self.message.emit(self.tr("Removing {n} document(s)…").format(n=len(paths)))
        self._run(work, lambda problems: self._removed(len(paths), problems),
                  "remove documents")

    def _removed(self, n: int, problems: list) -> None:
        self.refresh()
        self.changed.emit()
        if problems:
            self.problem.emit(self.tr("Could not remove: {problems}").format(problems="; ".join(
                f"{name}: {error_text(exc)}" for name, exc in problems)))
        else:
            self.message.emit(self.tr("Removed {n} document(s)").format(n=n))

    def _run(self, work, done, name: str) -> None:
        """``work`` in the background; a failure is said in the interface's language
        (the core's reason, e.g. a reader's change refused)."""
        op = None

        def failed(message: str) -> None:
            self._failed(error_text(op.error if op is not None else None, message))

        op = self.background.run(work, done, failed, name=name)

    def _failed(self, message: str) -> None:
        self.refresh()
        self.problem.emit(self.tr("Library problem: {reason}").format(reason=message))

    # --- knowledge bases ------------------------------------------------------------------

    def create_kb(self, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, self.tr("New knowledge base"), self.tr("Name:"))
            if not ok:
                return
        name = name.strip()
        library = self.services.library()
        self._run(lambda _op: library.create_kb(name),
                  lambda kb: (self.refresh(), self.set_current_kb(kb.name), self.changed.emit(),
                              self.message.emit(self.tr("Created the knowledge base {name}")
                                                .format(name=kb.name))),
                  "create knowledge base")

    def rename_kb(self, old: str, new: str | None = None) -> None:
        if new is None:
            new, ok = QInputDialog.getText(self, self.tr("Rename knowledge base"),
                                           self.tr("New name for {name}:").format(name=old), text=old)
            if not ok or new.strip() == old:
                return
        new = new.strip()
        library = self.services.library()

        def done(kb) -> None:
            if self._kb == old:
                self._kb = kb.name
                self.kbChanged.emit(kb.name)
            self.refresh()
            self.changed.emit()
            self.message.emit(self.tr("Renamed {old} to {new}").format(old=old, new=kb.name))

        self._run(lambda _op: library.rename_kb(old, new), done, "rename knowledge base")

    def delete_kb(self, name: str, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("Delete knowledge base"),
                self.tr("Delete the knowledge base {name} and its index? The files on disk "
                        "are not touched.").format(name=name),
                QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
            if answer != QMessageBox.Yes:
                return
        library = self.services.library()

        def work(_op) -> list[str]:
            library.delete_kb(name)
            return [kb.name for kb in library.kbs()]  # here: a team's are on its server

        def done(remaining: list[str]) -> None:
            if self._kb == name:
                self._kb = remaining[0] if remaining else "default"
                self.kbChanged.emit(self._kb)
            self.refresh()
            self.changed.emit()
            self.message.emit(self.tr("Deleted the knowledge base {name}").format(name=name))

        self._run(work, done, "delete knowledge base")
