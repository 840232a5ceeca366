"""The main window: library and conversations on the left, the chat on the right.

The window paints at once; the library (Chroma), the embedder and the chat model load on
a worker thread and the status bar says so.  Files dropped on the window are added to
the chosen knowledge base; a dropped ``.gguf`` file is registered as a model and loaded.
A knowledge base built with another embedder than the current one is searched with its own
embedder if that one is bundled (and refused otherwise); a bar above the chat offers to
re-embed it, with the same progress display as adding files.
All work is the core's (through :class:`app.gui.gui_services.Services`); slow calls run
off the GUI thread through :class:`app.gui.background.Background`.  The window opens as it
was left (:mod:`app.gui.window_layout`), in the theme of ``ui.theme`` (:mod:`app.gui.theme`).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QFileDialog, QFrame, QHBoxLayout,
                               QLabel, QMainWindow, QMessageBox, QPushButton, QSplitter,
                               QTabWidget, QToolBar, QVBoxLayout, QWidget)

from app.context import Context
from app.gui import theme, window_layout
from app.gui.background import Background, Operation
from app.gui.chat_panel import ChatPanel
from app.gui.conversations import ConversationList
from app.gui.gui_services import LOCAL, SHARED, Services
from app.gui.icons import icon
from app.gui.ingest_progress import IngestProgressView, IngestSummary
from app.gui.library_panel import STATUS_ICONS, LibraryPanel  # noqa: F401  (re-exported)
from app.gui.kb_archive import ArchiveActions
from app.gui.watch_panel import WatchBridge, WatchedFoldersView
from app.gui.reasons import error_text, reason_text
from app.gui.settings_dialog import SettingsDialog
from app.gui.shortcuts_dialog import ShortcutsDialog
from app.gui.translations import apply_language
from models.bundled import is_bundled_chat_model, is_bundled_embedder

log = logging.getLogger(__name__)

STARTUP_DELAY_MS = 300  # loading starts at the first frame, or after this at the latest

MODEL_SUFFIX = ".gguf"
SHUTDOWN_WAIT_MS = 60_000  # cancelled work ends within seconds; this only bounds a stuck one


class ReembedBar(QFrame):
    """Above the chat: the chosen knowledge base was embedded with another embedder than
    the current one, and a button that re-embeds it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reembedBar")
        self.setFrameShape(QFrame.StyledPanel)
        self.restyle()
        theme.notifier().changed.connect(self.restyle)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.button = QPushButton(self.tr("Re-embed now"))
        self.button.setObjectName("reembedNow")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        self.kb_name: str | None = None  # the knowledge base the bar is about
        self.setVisible(False)

    def restyle(self, _mode: str = "") -> None:
        """The notice colours of the theme shown."""
        c = theme.colors()
        self.setStyleSheet(f"#reembedBar {{ background: {c['notice_bg']}; "
                           f"border: 1px solid {c['notice_border']}; }}"
                           f"#reembedBar QLabel {{ color: {c['notice_text']}; }}")


class MainWindow(QMainWindow):
    def __init__(self, ctx: Context):
        app = QApplication.instance()
        if app is not None:
            apply_language(app, ctx.settings.ui.language)
            theme.apply_theme(app, ctx.settings.ui.theme)
        super().__init__()
        self.ctx = ctx
        self.services = Services(ctx)
        self.background = Background(self)
        self.started = False  # True once the library and the model are loaded
        self.setWindowTitle(self.tr("Wenji 文集"))
        self.resize(1200, 760)
        self.setAcceptDrops(True)

        # left: library and conversations
        self.library_panel = LibraryPanel(self.services, self.background)
        self.library_tree = self.library_panel.tree
        self.drop_hint = QLabel(self.tr("Drop PDF or Markdown files or folders anywhere on this "
                                        "window; drop a .gguf file to add a model."))
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setAlignment(Qt.AlignCenter)
        self.ingest_view = IngestProgressView()
        self.progress = self.ingest_view.overall
        self.cancel_button = self.ingest_view.cancel_button
        self.ingest_view.cancelRequested.connect(self.cancel_ingest)
        self.ingest_summary = IngestSummary(self)
        library_tab = QWidget()
        lay = QVBoxLayout(library_tab)
        lay.addWidget(self.library_panel, 1)
        self.watch_view = WatchedFoldersView()
        self.watch_bridge = WatchBridge(self)
        self.watch_bridge.statusChanged.connect(self.watch_view.show_statuses)
        self.watch_bridge.reported.connect(self._on_watch_report)
        self.watcher = None  # started once the library is open
        lay.addWidget(self.watch_view)
        lay.addWidget(self.drop_hint)
        lay.addWidget(self.ingest_view)

        self.conversations = ConversationList(self.services.chats)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("leftTabs")
        self.tabs.addTab(library_tab, self.tr("Library"))
        self.tabs.addTab(self.conversations, self.tr("Conversations"))

        # right: the chat
        self.chat = ChatPanel(self._answer_engine, self.services.chats, self.background)
        self.chat.kb_name = self.library_panel.current_kb
        self.reembed_bar = ReembedBar()
        self.reembed_bar.button.clicked.connect(lambda: self.reembed(self.reembed_bar.kb_name))
        right = QWidget()
        lay = QVBoxLayout(right)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.reembed_bar)
        lay.addWidget(self.chat, 1)
        splitter = QSplitter()
        splitter.setObjectName("mainSplitter")
        splitter.addWidget(self.tabs)
        splitter.addWidget(right)
        splitter.setSizes([420, 780])
        self.setCentralWidget(splitter)

        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._connect_panels()
        self._set_tab_order()
        # where the window was left, and the chat to reopen once the chats can be read
        self.saved_layout = window_layout.load(ctx.home.layout_path)
        window_layout.restore(self, self.saved_layout, [self.tabs])

        self._model_load: Operation | None = None
        self._ingest: Operation | None = None
        self._reembedding: str | None = None  # the knowledge base being re-embedded
        self._problem_box: QMessageBox | None = None
        self.notice_box: QMessageBox | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.sign_in_dialog = None  # the team library's, once offered
        self.last_report = None
        self._switch: Operation | None = None  # connecting to the other library
        self.library_status = QLabel()
        self.library_status.setObjectName("libraryStatus")
        self.statusBar().addPermanentWidget(self.library_status)
        self.statusBar().showMessage(self.tr("Starting…"))
        self._warming = False
        # loading starts once the window is on screen (or soon, if it is never shown):
        # the loader's imports would otherwise compete with the first frame
        QTimer.singleShot(STARTUP_DELAY_MS, self._start_loading)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self._warming:
            QTimer.singleShot(0, self._start_loading)

    def _start_loading(self) -> None:
        if self._warming:
            return
        self._warming = True
        self.background.run(lambda op: self.services.warm_up(op.report),
                            lambda _result: self._on_started(), self._on_start_failed,
                            self._show_start_stage, name="start-up")

    # --- building ---------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.add_files_action = QAction(icon("add-files"), self.tr("Add files…"), self)
        self.add_files_action.setShortcut(QKeySequence.Open)
        self.add_files_action.triggered.connect(self._choose_files)
        self.add_folder_action = QAction(icon("add-folder"), self.tr("Add folder…"), self)
        self.add_folder_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.add_folder_action.triggered.connect(self._choose_folder)
        self.add_model_action = QAction(icon("model"), self.tr("Add model…"), self)
        self.add_model_action.setToolTip(self.tr("Add a GGUF chat model file and switch to it"))
        self.add_model_action.triggered.connect(lambda: self.add_model())
        self.get_models_action = QAction(icon("download"), self.tr("Get models…"), self)
        self.get_models_action.setShortcut(QKeySequence("Ctrl+Shift+M"))
        self.get_models_action.setToolTip(self.tr("Download a better chat model from the "
                                                  "catalog"))
        self.get_models_action.triggered.connect(lambda: self.open_model_catalog())
        self.new_chat_action = QAction(icon("new-chat"), self.tr("New chat"), self)
        self.new_chat_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_chat_action.triggered.connect(self.new_chat)
        self.export_chat_action = QAction(icon("export"), self.tr("Export chat…"), self)
        self.export_chat_action.triggered.connect(self.export_chat)
        self.focus_question_action = QAction(icon("edit"), self.tr("Type a question"), self)
        self.focus_question_action.setShortcut(QKeySequence("Ctrl+L"))
        self.focus_question_action.triggered.connect(self.focus_question)
        self.settings_action = QAction(icon("settings"), self.tr("Settings…"), self)
        # Preferences is Ctrl+, on macOS and nothing on some Linux desktops: Ctrl+, always
        self.settings_action.setShortcuts(list(dict.fromkeys(
            k for k in (*QKeySequence.keyBindings(QKeySequence.Preferences),
                        QKeySequence("Ctrl+,")) if not k.isEmpty())))
        self.settings_action.triggered.connect(self.open_settings)
        self.open_home_action = QAction(icon("folder"), self.tr("Open data folder"), self)
        self.open_home_action.triggered.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.home.root))))
        self.archives = ArchiveActions(self, self.services, self.background)
        self.export_kb_action = QAction(icon("export"), self.tr("Export knowledge base…"), self)
        self.export_kb_action.setToolTip(self.tr("Write the current knowledge base to one "
                                                 "file, to move or share it"))
        self.export_kb_action.triggered.connect(
            lambda: self.archives.export(self.library_panel.current_kb))
        self.import_kb_action = QAction(icon("import"), self.tr("Import knowledge base…"), self)
        self.import_kb_action.triggered.connect(lambda: self.archives.import_())
        # the actions that change the library, with their tooltips (a reader's say why not)
        self._write_tips = {a: a.toolTip() for a in (self.add_files_action,
                                                     self.add_folder_action,
                                                     self.import_kb_action)}
        self.quit_action = QAction(icon("quit"), self.tr("Quit"), self)
        self.quit_action.setShortcut(QKeySequence.Quit)
        self.quit_action.triggered.connect(self.close)
        self.about_action = QAction(icon("info"), self.tr("About Wenji"), self)
        self.about_action.triggered.connect(self._about)
        self.shortcuts_action = QAction(icon("keyboard"), self.tr("Keyboard shortcuts"), self)
        self.shortcuts_action.setShortcut(QKeySequence.HelpContents)
        self.shortcuts_action.triggered.connect(lambda: self.show_shortcuts())
        self.library_panel.reembed_kb_action.setIcon(icon("regenerate"))
        for action in (self.add_files_action, self.add_folder_action, self.new_chat_action,
                       self.get_models_action, self.focus_question_action,
                       self.settings_action, self.shortcuts_action, self.quit_action):
            self.addAction(action)  # shortcuts work even with the menu bar hidden

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(self.tr("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(20, 20))  # beside text; Fusion's 24 makes a tall bar
        toolbar.setMovable(False)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        self.model_label = QLabel(self.tr(" Model: "))
        toolbar.addWidget(self.model_label)
        self.model_picker = QComboBox()
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setAccessibleName(self.tr("Chat model"))
        self.model_label.setBuddy(self.model_picker)
        self.model_picker.setMinimumWidth(360)
        self.model_picker.activated.connect(self._on_model_chosen)
        toolbar.addWidget(self.model_picker)
        toolbar.addAction(self.get_models_action)
        toolbar.addAction(self.add_model_action)
        toolbar.addSeparator()
        toolbar.addAction(self.new_chat_action)
        toolbar.addAction(self.add_files_action)
        toolbar.addAction(self.add_folder_action)
        toolbar.addSeparator()
        toolbar.addAction(self.settings_action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addAction(self.add_files_action)
        file_menu.addAction(self.add_folder_action)
        file_menu.addAction(self.library_panel.reembed_kb_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_kb_action)
        file_menu.addAction(self.import_kb_action)
        file_menu.addSeparator()
        file_menu.addAction(self.open_home_action)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        chat_menu = bar.addMenu(self.tr("&Chat"))
        chat_menu.addAction(self.new_chat_action)
        chat_menu.addAction(self.focus_question_action)
        chat_menu.addAction(self.export_chat_action)
        model_menu = bar.addMenu(self.tr("&Models"))
        model_menu.addAction(self.get_models_action)
        model_menu.addAction(self.add_model_action)
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)
        self.menus = [file_menu, chat_menu, model_menu, help_menu]

    def _set_tab_order(self) -> None:
        """Tab goes left to right, top to bottom: the model, the library, the question and
        its buttons, then the conversation and its sources."""
        self.tabs.setAccessibleName(self.tr("Library and conversations"))
        lib = self.library_panel
        chat = [getattr(self.chat, name, None) for name in  # the chat panel's, if it has them
                ("question", "send_button", "stop_button", "copy_button", "view", "side_tabs")]
        chain = [self.model_picker, self.tabs, lib.library_picker, lib.kb_picker,
                 lib.new_kb_button,
                 lib.rename_kb_button, lib.delete_kb_button, lib.tree, self.watch_view.tree,
                 self.cancel_button, self.reembed_bar.button,
                 *[w for w in chat if isinstance(w, QWidget)]]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def shortcut_actions(self) -> list[QAction]:
        """The actions a key triggers, in menu order, then the window's other ones."""
        actions = [a for menu in self.menus for a in menu.actions()]
        return actions + self.actions() + self.findChildren(QAction)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.shortcut_actions(), self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def focus_question(self) -> None:
        self.chat.question.setFocus(Qt.ShortcutFocusReason)

    def _connect_panels(self) -> None:
        sb = self.statusBar()
        self.library_panel.message.connect(lambda m: sb.showMessage(m))
        self.watch_view.message.connect(lambda m: sb.showMessage(m))
        self.library_panel.problem.connect(self.show_problem)
        self.library_panel.kbChanged.connect(self._on_kb_changed)
        self.library_panel.libraryRequested.connect(self.switch_library)
        self.library_panel.changed.connect(self.update_reembed_notice)
        self.library_panel.refreshed.connect(self._on_library_read)
        self.library_panel.reindexRequested.connect(
            lambda paths, kb: self.ingest(paths, kb, force=True))
        self.library_panel.reembedRequested.connect(self.reembed)
        self.library_panel.exportRequested.connect(lambda kb: self.archives.export(kb))
        self.library_panel.viewRequested.connect(self.chat.show_document)
        self.library_panel.askAboutRequested.connect(self.chat.set_scope)
        self.library_panel.summarizeRequested.connect(self.summarize_document)
        self.library_panel.compareRequested.connect(self.compare_documents)
        self.conversations.message.connect(lambda m: sb.showMessage(m))
        self.conversations.chatChosen.connect(self.open_chat)
        self.conversations.newChatRequested.connect(self.new_chat)
        self.conversations.chatDeleted.connect(self._on_chat_deleted)
        if hasattr(self.chat, "chatsChanged"):
            self.chat.chatsChanged.connect(self._on_chats_changed)
        if hasattr(self.chat, "message"):
            self.chat.message.connect(lambda m: sb.showMessage(m))
        self.chat.answered.connect(lambda _done: self._on_chats_changed())
        self.chat.empty.addFilesRequested.connect(self._choose_files)
        self.chat.empty.addFolderRequested.connect(self._choose_folder)
        self.chat.empty.getModelsRequested.connect(self.open_model_catalog)

    # --- start-up ---------------------------------------------------------------------

    def _show_start_stage(self, stage: str) -> None:
        texts = {"library": self.tr("Opening the library…"),
                 "shared-library": self.tr("Connecting to the team library…"),
                 "embedder": self.tr("Loading the embedding model…"),
                 "embedder-export": self.tr("Preparing the embedding model for this computer "
                                            "(once, about a minute)…"),
                 "chat-model": self.tr("Loading the chat model…")}
        self.statusBar().showMessage(texts[stage])

    def _on_started(self) -> None:
        self.library_panel.embedder_name = self.current_embedder_name()
        self._show_servers()
        self.show_library()
        self.refresh_models()
        self.conversations.refresh()
        self._reopen_last_chat()
        self.started = True
        self.update_first_run()
        self.statusBar().showMessage(self.tr("Ready"))
        self.start_watching()
        if self.services.start_error is not None:  # `wenji --shared gui`, and no server
            self.show_team_library_problem(self.services.start_error)

    def _reopen_last_chat(self) -> None:
        """The chat open when the window was last closed, if it is still there and no
        other one was started meanwhile."""
        last = self.saved_layout.chat_id if self.saved_layout is not None else None
        if (last is not None and self.chat.chat_id is None and not self.chat.busy
                and last in self.conversations.chat_ids()):
            self.open_chat(last)

    # --- watched folders ---------------------------------------------------------------

    def start_watching(self) -> None:
        """Watch the library's watched folders; each is checked once first (what changed
        while the window was closed)."""
        if self.watcher is not None:
            return
        self.watcher = self.services.watcher(**self.watch_bridge.callbacks())
        self.watcher.start()
        self.watch_view.set_watcher(self.watcher)

    def watch_new_folders(self, paths: list[str], kb_name: str) -> None:
        """After the person added ``paths``: watch the folders among them (setting
        ingest.watch_folders)."""
        if (self.watcher is None or not self.ctx.settings.ingest.watch_folders
                or self.services.which != LOCAL):  # the team's folders are not watched
            return
        from ingest.watcher import register_folders

        for folder in register_folders(self.services.library(), kb_name, paths):
            self.watcher.add(kb_name, folder)

    def _on_watch_report(self, status, report) -> None:
        changed = [o for o in report.outcomes if o.status != "unchanged"]
        if not changed:
            return
        self.refresh_library()
        counts = {k: sum(o.status == k for o in changed)
                  for k in ("added", "updated", "moved", "removed", "failed")}
        self.statusBar().showMessage(self.tr(
            "{folder} changed: {added} added, {updated} updated, {moved} moved, {removed} "
            "removed, {failed} not read").format(folder=Path(status.path).name, **counts))

    def _on_start_failed(self, message: str) -> None:
        try:
            self.library_panel.embedder_name = self.current_embedder_name()
            self._show_servers()
            self.show_library()  # which library, with its marks and rights
            self.refresh_models()
            self.conversations.refresh()
        except Exception:
            log.exception("cannot show the library after a start-up problem")
        self.statusBar().showMessage(self.tr("Start-up problem: {reason}").format(reason=message))

    def show_problem(self, text: str, title: str | None = None, actions=()) -> None:
        """A problem the user should read: in the status bar and in a message box that
        does not block the window; ``actions``: (button text, what it does) offered in it."""
        self.statusBar().showMessage(text)
        self._problem_box = self._show_box(self._problem_box, QMessageBox.Warning,
                                           title or self.tr("Wenji"), text, actions)

    def show_notice(self, text: str, title: str | None = None) -> None:
        """Something to know that must not vanish with the next status message."""
        self.statusBar().showMessage(text)
        self.notice_box = self._show_box(self.notice_box, QMessageBox.Information,
                                         title or self.tr("Wenji"), text)

    def _show_box(self, old: QMessageBox | None, icon, title: str, text: str,
                  actions=()) -> QMessageBox:
        if old is not None:
            old.close()
        box = QMessageBox(icon, title, text, QMessageBox.Ok, self)
        for label, act in actions:  # any button closes the box
            button = box.addButton(label, QMessageBox.AcceptRole)
            button.clicked.connect(act)
            box.setDefaultButton(button)  # what the message suggests: Enter does it
        box.setModal(False)
        box.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box.show()
        return box

    def _about(self) -> None:
        QMessageBox.about(self, self.tr("About Wenji"), self.tr(
            "Wenji 文集 answers questions from your own PDF and Markdown documents, "
            "offline, with page-level citations.\n\nData folder: {home}").format(
                home=self.ctx.home.root))

    # --- which library: this computer's or the team's ------------------------------------

    def _show_servers(self) -> None:
        """Name the team library's servers in the picker (from the settings: no secret)."""
        if not self.services.shared_configured():
            return
        from app.services import shared_servers

        try:
            self.library_panel.set_servers(*shared_servers(self.ctx))
        except Exception as exc:  # a [shared] postgres that is no connection string
            log.warning("cannot describe the team library: %s", exc)

    def switch_library(self, which: str, on_open=None) -> None:
        """Show this computer's library or the team's; connecting (seconds, or a refusal)
        runs in the background, and on failure the library shown stays as it is
        (``on_open()`` runs once it is shown)."""
        panel = self.library_panel
        if which == self.services.which or self._switch is not None:
            panel.set_switching(self._switch is not None)
            return
        if self._ingest is not None:
            panel.set_switching(False)
            self._refuse_second_ingest()
            return
        services = self.services
        panel.set_switching(True)
        self.statusBar().showMessage(self.tr("Connecting to the team library…") if which == SHARED
                                     else self.tr("Opening the library…"))

        def done(_library) -> None:
            self._switch = None
            services.use(which)
            panel.set_switching(False)
            self.chat.set_scope([])  # the documents it kept to are in the other library
            self.show_library()
            self.statusBar().showMessage(self.tr("Now showing: {library}").format(
                library=self.library_status.text()))
            if on_open is not None:
                on_open()

        def failed(message: str) -> None:
            error = self._switch.error if self._switch is not None else None
            self._switch = None
            panel.set_switching(False)
            if which == SHARED:
                self.show_team_library_problem(error, message)
            else:
                self.show_problem(self.tr("Cannot open the library: {reason}").format(
                    reason=error_text(error, message)))

        self._switch = self.background.run(lambda _op: services.open(which), done, failed,
                                           name="open library")

    @property
    def switching_library(self) -> bool:
        """The window is connecting to the other library (until the outcome is shown)."""
        return self._switch is not None

    def team_library_problem(self, error: BaseException | None, message: str = "") -> str:
        """Why the team library could not be opened, in the interface's language, and
        what to do."""
        text = self.team_library_refusal(error, message)
        if self.refused_secret(error, message):
            text += "\n\n" + self.tr("Choose “Sign in…” to enter a new password or token.") + (
                " " + self.tr("(In scripts: “wenji server login” keeps them on this "
                              "computer.)"))
        return text + "\n\n" + self.tr("This computer's library stays open.")

    def team_library_refusal(self, error: BaseException | None, message: str = "") -> str:
        """The problem's first line: why the team library could not be opened (the
        sign-in dialog repeats it)."""
        return self.tr("Cannot open the team library: {reason}").format(
            reason=error_text(error, message))

    @staticmethod
    def refused_secret(error: BaseException | None, message: str = "") -> str | None:
        """"server_login_refused" (the password) or "vector_server_refused" (the token)
        when the team library's servers refused a secret; None otherwise."""
        from models.reasons import reason_of

        code = getattr(reason_of(error) if error is not None else message, "code", None)
        return code if code in ("server_login_refused", "vector_server_refused") else None

    def show_team_library_problem(self, error: BaseException | None, message: str = "") -> None:
        """Say why the team library could not be opened; when it refused the password or
        token, the message offers "Sign in…" (see :meth:`open_sign_in`)."""
        refused = self.refused_secret(error, message)
        reason = self.team_library_refusal(error, message)
        actions = ([(self.tr("Sign in…"), lambda: self.open_sign_in(reason, refused))]
                   if refused else [])
        self.show_problem(self.team_library_problem(error, message), actions=actions)

    def open_sign_in(self, reason: str, refused: str | None = None):
        """The sign-in dialog for the team library (which account, which servers; no
        secret); on "Sign in", :meth:`sign_in`."""
        from app.gui.sign_in_dialog import SignInDialog
        from app.services import shared_account, shared_servers

        catalog, vectors = shared_servers(self.ctx)
        dialog = SignInDialog(reason, shared_account(self.ctx), catalog, vectors,
                              token_refused=refused == "vector_server_refused", parent=self)
        dialog.accepted.connect(lambda: self.sign_in(dialog.password(), dialog.token()))
        dialog.rejected.connect(lambda: self.statusBar().showMessage(self.tr(
            "Not signed in: this computer's library stays open.")))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        self.sign_in_dialog = dialog
        dialog.open()
        return dialog

    def sign_in(self, password: str, token: str) -> None:
        """Open the team library with a password and token the person typed (in the
        background, as any switch); once the servers accept them they are kept in the
        OS keyring for the next start.  They are used for this session in any case (in
        memory, before the environment's and the keyring's: an old one there may be the
        one just refused)."""
        self.services.use_typed_secrets(password or None, token or None)
        self.switch_library(SHARED, on_open=lambda: self._keep_secrets(password, token))

    def _keep_secrets(self, password: str, token: str) -> None:
        """Put secrets the team's servers accepted in the OS keyring, in the background
        (a locked keyring may ask its own question); where there is no keyring (a headless
        Linux machine), they stay in memory until Wenji closes, and the status bar says so."""
        from app.credentials import store

        s = self.ctx.settings.shared
        kept = self.tr("Signed in to the team library; the password and token are kept in "
                       "this computer's keyring.")
        session = self.tr("Signed in to the team library; kept for this session only: this "
                          "computer has no keyring Wenji can use, so Wenji asks again after "
                          "a restart.")
        self.background.run(lambda _op: store(s.postgres, s.chroma_url, password or None,
                                              token or None),
                            lambda _none: self.statusBar().showMessage(kept),
                            lambda _message: self.statusBar().showMessage(session),
                            name="keep sign-in")

    def show_library(self) -> None:
        """Show the library the services use: the panel, what may be changed, the status
        bar's note of which library and which rights, the watched folders."""
        which = self.services.which
        library = self.services.library()
        writable = library.writable
        panel = self.library_panel
        panel.show_library(which, writable)
        why = panel.read_only_text()
        for action, tip in self._write_tips.items():  # a reader's say why they are off
            action.setEnabled(writable)
            action.setToolTip(tip if writable else why)
        if which == SHARED:
            self.library_status.setText(panel.library_name())
            self.library_status.setToolTip(panel.server_text() + "\n" + (
                why if not writable else panel.writer_text()))
            self.drop_hint.setText(why if not writable else self.tr(
                "Drop PDF or Markdown files or folders on this window to add them to the team "
                "library: everyone on the team can search them."))
        else:  # named only where there is a team library to tell it from
            self.library_status.setText(panel.library_name()
                                        if self.services.shared_configured() else "")
            self.library_status.setToolTip(panel.local_text())
            self.drop_hint.setText(self.tr("Drop PDF or Markdown files or folders anywhere on "
                                           "this window; drop a .gguf file to add a model."))
        self.library_status.setVisible(bool(self.library_status.text()))
        # watched folders are this computer's: shown with its library only
        self.watch_view.set_team_library_shown(which != LOCAL)
        self.chat.empty.set_library(which == SHARED, writable)
        self.update_reembed_notice()
        self.update_first_run()

    # --- library ------------------------------------------------------------------------

    def refresh_library(self) -> None:
        """Read the library again; the tree, the re-embed bar and the empty chat's page
        follow once it is read (at once for this computer's, see LibraryPanel.refresh)."""
        self.library_panel.refresh()

    def _on_library_read(self) -> None:
        self.update_reembed_notice()
        self.update_first_run()

    def update_first_run(self) -> None:
        """Tell the empty chat's page the knowledge base's documents (as the library panel
        last read them: a team library is not read on the GUI thread) and the model."""
        if not self.started:
            return
        kb = self.chat.kb_name
        docs = self.library_panel.ready_documents(kb) if kb else []
        loaded = self.services.models().loaded
        path = str(getattr(loaded, "path", "") or "")
        self.chat.set_library(docs, Path(path).stem if path else "", is_bundled_chat_model(path))

    def documents_shown(self) -> dict[str, str]:
        """Path → status of the documents in the tree (for tests and accessibility)."""
        return self.library_panel.documents_shown()

    def _on_kb_changed(self, name: str) -> None:
        self.chat.kb_name = name
        self.update_first_run()
        self.statusBar().showMessage(self.tr("Questions now go to the knowledge base {name}")
                                     .format(name=name))
        self.update_reembed_notice()

    # --- knowledge bases of another embedder --------------------------------------------

    def current_embedder_name(self) -> str | None:
        """The name knowledge bases record for the embedder in use (the model is not
        loaded for this); None when the settings name no usable embedder."""
        try:
            return self.services.embedder().name
        except Exception as exc:
            log.warning("no embedder name: %s", exc)
            return None

    def update_reembed_notice(self) -> None:
        """Show the bar above the chat while the chosen knowledge base needs re-embedding
        (the library panel works that out on each refresh)."""
        bar, panel = self.reembed_bar, self.library_panel
        kb = panel.current_kb
        old = panel.stale_kbs.get(kb)
        if not old or self._reembedding == kb:
            bar.kb_name = None
            bar.setVisible(False)
            return
        built = panel.embedder_of(kb)  # as last read (with stale_kbs): not read here
        current = panel.embedder_name
        if built != current and is_bundled_embedder(built):
            text = self.tr("The knowledge base “{kb}” was built with the embedder {old}; "
                           "Wenji now uses {new}. It is still searched with {old}: re-embed "
                           "it to use {new} and to add files to it.").format(
                kb=kb, old=old, new=current)
        elif built != current:
            text = self.tr("The knowledge base “{kb}” was built with the embedder {old}, but "
                           "Wenji now uses {new}: it cannot be searched until it is "
                           "re-embedded.").format(kb=kb, old=old, new=current)
        else:
            text = self.tr("Some documents in “{kb}” are still embedded with {old}, not "
                           "{new}: re-embed to finish.").format(kb=kb, old=old, new=current)
        bar.kb_name = kb
        bar.label.setText(text)
        bar.button.setEnabled(self._ingest is None and panel.writable)
        bar.button.setToolTip("" if panel.writable else panel.read_only_text())
        bar.setVisible(True)

    def reembed(self, kb_name: str | None = None) -> None:
        """Re-embed every document of a knowledge base with the current embedder, in the
        background with the ingest progress display."""
        if self._refuse_second_ingest():
            return
        kb_name = kb_name or self.library_panel.current_kb
        services = self.services
        try:
            library = services.library()
            items = len(library.documents(library.kb(kb_name)))
        except Exception as exc:
            self.show_problem(self.tr("Cannot re-embed {kb}: {reason}").format(kb=kb_name,
                                                                             reason=exc))
            return

        def work(op: Operation):
            return services.ingestor().reembed(
                kb_name, cancel=op.cancel,
                on_progress=lambda progress: op.report(dataclasses.replace(progress)))

        self._reembedding = kb_name
        self.update_reembed_notice()  # hidden while its knowledge base is re-embedded
        self._start_ingest(work, items, self.tr("Re-embedding {kb} with {embedder}…").format(
            kb=kb_name, embedder=self.library_panel.embedder_name),
            self._on_reembedded, self._on_reembed_failed, "re-embed")

    def _on_reembedded(self, report) -> None:
        kb = self._reembedding
        self._reembedding = None
        self._on_finished(report, self.tr("Re-embedded {kb} with {embedder}: {updated} "
                                          "document(s) updated, {unchanged} unchanged").format(
            kb=kb, embedder=self.library_panel.embedder_name,
            updated=report.count("updated"), unchanged=report.count("unchanged")))

    def _on_reembed_failed(self, message: str) -> None:
        kb = self._reembedding
        self._reembedding = None
        message = error_text(getattr(self._ingest, "error", None), message)
        self._on_failed(message, self.tr("Re-embedding {kb} failed: {reason}").format(
            kb=kb, reason=message))

    def _answer_engine(self):
        """The chat's engine; a knowledge base of another embedder that is not bundled (so
        cannot be searched) is refused with a pointer to re-embedding (the core's error
        names only the embedders)."""
        kb = self.chat.kb_name
        if self.started:
            current = self.library_panel.embedder_name
            try:
                built = self.services.library().kb(kb).embedder
            except Exception:  # unknown knowledge base: the engine says so
                built = None
            if current and built and built != current and not is_bundled_embedder(built):
                self.refresh_library()  # shows the bar, if it was not shown yet
                raise RuntimeError(self.tr(
                    "The knowledge base “{kb}” was built with the embedder {old}, not the "
                    "current {new}, so it cannot be searched. Re-embed it first: click "
                    "“Re-embed now” above the chat, or right-click it in the library and "
                    "choose “Re-embed knowledge base”.").format(kb=kb, old=built, new=current))
        engine = self.services.answer_engine(kb)
        engine.documents = self.chat.scope or None
        return engine

    def summarize_document(self, path: str) -> None:
        """Summarize one document in the chat: scoped to it, asked as a summary."""
        if self.chat.busy:
            self.statusBar().showMessage(self.tr("An answer is still being written…"))
            return
        self.chat.set_scope([path])
        self.chat.ask(self.tr("Summarize {name}").format(name=Path(path).name))

    def compare_documents(self, paths: list[str]) -> None:
        """Compare two documents in the chat: scoped to them, asked as a comparison."""
        if self.chat.busy:
            self.statusBar().showMessage(self.tr("An answer is still being written…"))
            return
        self.chat.set_scope(paths)
        self.chat.ask(self.tr("Compare {a} and {b}").format(a=Path(paths[0]).name,
                                                           b=Path(paths[1]).name))

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add documents"), str(Path.home()),
            self.tr("Documents (*.pdf *.md *.markdown);;All files (*)"))
        if files:
            self._add_paths(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"), str(Path.home()))
        if folder:
            self.ingest([folder])

    # --- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self._add_paths(paths)

    def _add_paths(self, paths: list[str]) -> None:
        """Model files are registered as models; everything else is ingested."""
        models = [p for p in paths if Path(p).suffix.lower() == MODEL_SUFFIX]
        documents = [p for p in paths if p not in models]
        for i, p in enumerate(models):
            self.add_model(p, switch=i == len(models) - 1)
        if documents:
            self.ingest(documents)

    # --- ingest -------------------------------------------------------------------------

    @property
    def ingesting(self) -> bool:
        """Files are being added (until the result is shown)."""
        return self._ingest is not None

    def ingest(self, paths: list[str], kb_name: str | None = None, force: bool = False) -> None:
        """Add files and folders in the background; ``force`` redoes unchanged files."""
        if self._refuse_second_ingest():
            return
        kb_name = kb_name or self.library_panel.current_kb
        services, paths = self.services, list(paths)

        def work(op: Operation):
            # the core updates one Progress object in place: each report is a snapshot,
            # as the GUI reads it later
            return services.ingestor().run(
                paths, kb_name=kb_name, force=force, cancel=op.cancel,
                on_progress=lambda progress: op.report(dataclasses.replace(progress)))

        def done(report) -> None:
            self._on_finished(report)
            if not report.cancelled:
                self.watch_new_folders(paths, report.kb)

        self._start_ingest(work, len(paths), self.tr("Adding {n} item(s) to {kb}…")
                           .format(n=len(paths), kb=kb_name), done, self._on_failed, "ingest")

    def _refuse_second_ingest(self) -> bool:
        """True (and the status bar says why) while files are still being added."""
        if self._ingest is None:
            return False
        self.statusBar().showMessage(self.tr("Still adding the previous files; try again after."))
        return True

    def _start_ingest(self, work, items: int, status: str, done, failed, name: str) -> None:
        """Run ``work`` (an ingest of ``items`` items) in the background with the ingest
        progress display; the library is busy and the re-embed button off until it ends."""
        self.ingest_view.start(items)
        self.library_panel.set_busy(True)
        self.reembed_bar.button.setEnabled(False)
        self.tabs.setCurrentIndex(0)
        self.statusBar().showMessage(status)
        self._ingest = self.background.run(work, done, failed, self._on_progress, name=name)

    def cancel_ingest(self) -> None:
        if self._ingest is not None:
            self._ingest.stop()
            self.statusBar().showMessage(self.tr("Cancelling; files already added are kept…"))

    def _on_progress(self, p) -> None:
        self.ingest_view.update_progress(p)
        if p.outcome is not None:
            self.refresh_library()

    def _on_finished(self, report, msg: str | None = None) -> None:
        self.last_report = report
        self._end_ingest()
        failed = [o for o in report.outcomes if o.status in ("failed", "skipped")]
        if msg is None:
            msg = self.tr("Added {added}, updated {updated}, unchanged {unchanged}").format(
                added=report.count("added"), updated=report.count("updated"),
                unchanged=report.count("unchanged"))
        if report.cancelled:
            msg += self.tr(" (cancelled)")
        if failed:
            msg += self.tr("; {n} not added: ").format(n=len(failed)) + "; ".join(
                f"{Path(o.path).name}: {reason_text(o.reason)}" for o in failed[:3])
        self.statusBar().showMessage(msg)
        if self.ingest_summary.show_report(report):
            self.ingest_summary.show()
        self.refresh_library()

    def _on_failed(self, message: str, text: str | None = None) -> None:
        message = error_text(getattr(self._ingest, "error", None), message)  # translated
        self._end_ingest()
        self.refresh_library()
        self.show_problem(text or self.tr("Adding files failed: {reason}").format(
            reason=message))

    def _end_ingest(self) -> None:
        self.ingest_view.finish()
        self.library_panel.set_busy(False)
        self._ingest = None

    # --- conversations ------------------------------------------------------------------

    def new_chat(self) -> None:
        self.chat.new_chat()
        if self.chat.chat_id is None:
            self.conversations.select_chat(None)

    def open_chat(self, chat_id: int) -> None:
        if not hasattr(self.chat, "load_chat"):
            self.statusBar().showMessage(self.tr("This version cannot reopen saved chats yet"))
            return
        try:
            self.chat.load_chat(chat_id)
        except Exception as exc:
            log.exception("cannot open chat %s", chat_id)
            self.show_problem(self.tr("Cannot open the conversation: {reason}").format(reason=exc))
        self.conversations.select_chat(self.chat.chat_id)

    def export_chat(self) -> None:
        if self.chat.chat_id is None:
            self.statusBar().showMessage(self.tr("Nothing to export yet: ask a question first"))
            return
        self.conversations.export_chat(self.chat.chat_id)

    def _on_chats_changed(self) -> None:
        self.conversations.refresh(select=self.chat.chat_id)

    def _on_chat_deleted(self, chat_id: int) -> None:
        if self.chat.chat_id == chat_id:
            self.chat.new_chat()

    # --- models -------------------------------------------------------------------------

    def refresh_models(self) -> None:
        self.model_picker.clear()
        loaded = self.services.models().loaded
        for info in self.services.registry().list():
            if info.ok:
                label = self.tr("{name} · {params} · {quant} · context {ctx} · {size}").format(
                    name=info.display_name or info.name, params=info.size_label,
                    quant=info.quantization, ctx=f"{info.context_length:,}",
                    size=_file_size(info.size_bytes))
            else:
                label = self.tr("{name} (unusable: {reason})").format(name=info.name,
                                                                       reason=reason_text(info.error))
            self.model_picker.addItem(label, str(info.path))
            self.model_picker.setItemData(self.model_picker.count() - 1,
                                          f"{info.path}\n{info.error}".strip(), Qt.ToolTipRole)
            if loaded is not None and str(info.path) == str(getattr(loaded, "path", "")):
                self.model_picker.setCurrentIndex(self.model_picker.count() - 1)
        self.update_first_run()

    def _on_model_chosen(self, index: int) -> None:
        path = self.model_picker.itemData(index)
        if path:
            self.switch_model(path)

    def add_model(self, path: str | None = None, switch: bool = True) -> None:
        """Register a GGUF file (copied into the models folder) and load it."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Add a model"), str(Path.home()),
                                                  self.tr("GGUF models (*.gguf)"))
            if not path:
                return
        registry = self.services.registry()
        name = Path(path).name
        self.statusBar().showMessage(self.tr("Adding the model {file}…").format(file=name))

        def added(info) -> None:
            self.refresh_models()
            self.statusBar().showMessage(self.tr("Added the model {file}").format(file=info.name))
            if switch:
                self.switch_model(str(info.path))

        def failed(reason: str) -> None:
            self.refresh_models()
            self.show_problem(self.tr("Cannot add the model {file}: {reason}")
                              .format(file=name, reason=reason), self.tr("Add model"))

        self.background.run(lambda _op: registry.add(path), added, failed, name="add model")

    def open_model_catalog(self):
        """The "Get models…" dialog (one at a time; it keeps running downloads shown)."""
        from app.gui.model_catalog_dialog import ModelCatalogDialog

        dialog = getattr(self, "_catalog_dialog", None)
        if dialog is None:
            try:
                dialog = ModelCatalogDialog(self.services, self.background, self)
            except Exception as exc:  # a broken catalog file: say which and why
                self.show_problem(self.tr("Cannot show the model catalog: {reason}")
                                  .format(reason=exc), self.tr("Get models"))
                return None
            dialog.downloaded.connect(lambda _path: self.refresh_models())
            dialog.use_model.connect(self.switch_model)
            self._catalog_dialog = dialog
        else:
            dialog.refresh()
        dialog.show()
        dialog.raise_()
        return dialog

    @property
    def loading_model(self) -> bool:
        """A model is being loaded (until the outcome is shown)."""
        return self._model_load is not None

    def switch_model(self, name_or_path: str) -> None:
        """Load in the background; on failure say why and keep the previous model."""
        if self._model_load is not None:
            self.statusBar().showMessage(self.tr("A model is still loading…"))
            return
        services = self.services

        def work(op: Operation):
            return services.models().load(name_or_path,
                                          on_status=lambda _stage, message: op.report(message))

        self.model_picker.setEnabled(False)
        self.add_model_action.setEnabled(False)
        self.statusBar().showMessage(self.tr("Loading {name}…").format(name=Path(name_or_path).name))
        self._model_load = self.background.run(
            work, lambda loaded: self._on_model_loaded(getattr(loaded, "path", name_or_path)),
            self._on_model_failed, self.statusBar().showMessage, name="model load")

    def _end_model_load(self) -> None:
        self._model_load = None
        self.model_picker.setEnabled(True)
        self.add_model_action.setEnabled(True)
        self.refresh_models()

    def _on_model_loaded(self, path) -> None:
        self._end_model_load()
        self.statusBar().showMessage(self.tr("Model ready: {name}").format(name=Path(str(path)).name))

    def _on_model_failed(self, reason: str) -> None:
        """The manager keeps the previous model when a new one fails: say which."""
        reason = error_text(getattr(self._model_load, "error", None), reason)
        self._end_model_load()
        previous = self.services.models().loaded
        keep = (self.tr("; still using {name}").format(name=Path(str(previous.path)).name)
                if previous else "")
        self.show_problem(self.tr("Could not load the model: {reason}").format(reason=reason)
                          + keep, self.tr("Model"))

    # --- settings -----------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        loaded = self.services.models().loaded if self.started else None
        name = Path(str(loaded.path)).name if loaded is not None else None
        dialog = SettingsDialog(self.ctx, self.services.registry(), name, self)
        dialog.accepted.connect(lambda: self._settings_saved(dialog))
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def _settings_saved(self, dialog: SettingsDialog) -> None:
        self.ctx.settings = dialog.saved_settings
        app = QApplication.instance()
        if app is not None and self.ctx.settings.ui.theme != theme.current_setting():
            theme.apply_theme(app, self.ctx.settings.ui.theme)
        msg = self.tr("Settings saved to {file}").format(file=self.ctx.home.settings_path)
        if dialog.restart_needed:
            msg += self.tr("; restart Wenji to use the new {what}").format(
                what=self.tr(" and ").join(dialog.restart_needed))
            self.show_notice(msg, self.tr("Settings"))
        else:
            self.statusBar().showMessage(msg)
        loaded = self.services.models().loaded
        if dialog.model_reload_needed and loaded is not None:
            self.switch_model(str(loaded.path))

    # --- closing ------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        """Cancel work in flight and wait for it: the stores stay consistent."""
        window_layout.save(self.ctx.home.layout_path,
                           window_layout.capture(self, [self.tabs], self.chat.chat_id))
        self.chat.shutdown()
        if self.watcher is not None:
            self.watcher.stop()
        self.background.stop_all()
        self.background.wait_all(SHUTDOWN_WAIT_MS)
        self.ingest_summary.close()
        for box in (self._problem_box, self.notice_box):
            if box is not None:
                box.close()
        super().closeEvent(event)


def _file_size(n: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"
