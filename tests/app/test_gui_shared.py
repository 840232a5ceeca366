"""The window on a team's shared library, against REAL servers (a PostgreSQL and a Chroma
server on 127.0.0.1, tests/server_fixtures.py): the team's knowledge bases are marked
with their server, the status bar says which library and which rights, a reader finds
every change greyed out with the reason (and a change that still reaches the core is
refused in the interface's language), a refused login or token is said in Chinese while
this computer's library stays usable, switching libraries runs in the background, and so
does reading the team's catalog (held up here by a real lock on its table)."""

from __future__ import annotations

import re
import shutil
import threading
import time
from contextlib import contextmanager

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.app.test_gui import drop
from tests.app.test_gui_language import DATA, shown_strings, untranslated
from tests.conftest import MD_DIR, require
from tests.server_fixtures import prepare_team

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PROBLEM_WAIT_MS = 60_000


@pytest.fixture(scope="module")
def team(pg_server, chroma_server, pair, tmp_path_factory):
    """A prepared team database with a writer (carol) and a reader (dave), and a
    knowledge base "handbook" with one note, added by the writer with the window's
    embedder."""
    from psycopg.conninfo import make_conninfo

    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    db, team = prepare_team(pg_server, chroma_server, "gui")
    people = {name: {"postgres": make_conninfo(host=pg_server.host, port=pg_server.port,
                                               user=role, dbname=db),
                     "password": password, "token": token}
              for name, (role, password, token) in team.items()}
    folder = tmp_path_factory.mktemp("team-notes")
    note = folder / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    carol = people["carol"]
    writer = Library(tmp_path_factory.mktemp("carol"), _store(carol, chroma_server.url))
    try:
        report = Ingestor(writer, pair).run([note], kb_name="handbook")
        assert report.count("added") == 1
    finally:
        writer.close()
    return {"people": people, "url": chroma_server.url, "db": db,
            "catalog": f"{pg_server.host}:{pg_server.port}/{db}", "note": note}


def _store(person: dict, url: str):
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from ingest.store.shared import SharedStore

    conninfo = make_conninfo(**{**conninfo_to_dict(person["postgres"]),
                                "password": person["password"]})
    return SharedStore(conninfo, url, person["token"])


def team_window(qtbot, home, team, name, monkeypatch, language="en", shared=True,
                password=None, token=None):
    """The window of ``name`` (carol / dave) with the team library in the settings, its
    secrets in the environment (as on a machine without a keyring), started."""
    from app.gui.main_window import MainWindow

    person = team["people"][name]
    settings = Settings()
    settings.ui.language = language
    settings.shared.postgres, settings.shared.chroma_url = person["postgres"], team["url"]
    monkeypatch.setenv("WENJI_SHARED_PASSWORD", password or person["password"])
    monkeypatch.setenv("WENJI_SHARED_TOKEN", token or person["token"])
    w = MainWindow(Context(home=Home.open(home), settings=settings, shared=shared))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.started, timeout=180_000)
    wait_read(qtbot, w)
    return w


def wait_read(qtbot, window) -> None:
    """Until the library shown is read into the tree (the team's is read in the
    background)."""
    panel = window.library_panel
    qtbot.waitUntil(lambda: not panel.reading and panel.showing_read == panel.showing,
                    timeout=30_000)


@pytest.fixture
def english(qapp):
    yield
    from app.gui.translations import apply_language

    apply_language(QApplication.instance(), "en")


def kb_row(window, name):
    tree = window.library_panel.tree
    for i in range(tree.topLevelItemCount()):
        if tree.topLevelItem(i).text(0) == name:
            return tree.topLevelItem(i)
    raise AssertionError(f"no knowledge base {name!r} in {window.documents_shown()}")


def problem_text(window, qtbot, *words) -> str:
    """The problem box's text once it says all of ``words``."""
    qtbot.waitUntil(lambda: window._problem_box is not None and window._problem_box.isVisible()
                    and all(w in window._problem_box.text() for w in words),
                    timeout=PROBLEM_WAIT_MS)
    return window._problem_box.text()


def no_secret_in(text: str, person: dict) -> None:
    assert person["password"] not in text and person["token"] not in text


def sign_in_button(window):
    """The problem box's "Sign in…" button (the box's only one but OK)."""
    box = window._problem_box
    offered = [b for b in box.buttons() if b is not box.button(box.StandardButton.Ok)]
    assert len(offered) == 1, [b.text() for b in box.buttons()]
    return offered[0]


def sign_in_dialog(window, qtbot):
    """Click "Sign in…" in the problem box: the sign-in dialog, once shown."""
    sign_in_button(window).click()
    qtbot.waitUntil(lambda: window.sign_in_dialog is not None
                    and window.sign_in_dialog.isVisible(), timeout=5_000)
    return window.sign_in_dialog


# --- a writer -------------------------------------------------------------------------

def test_the_team_library_is_marked_with_its_server_and_a_writer_changes_it(
        qtbot, wenji_home, team, monkeypatch, english):
    from app.gui.gui_services import LOCAL, SHARED

    carol = team["people"]["carol"]
    w = team_window(qtbot, wenji_home, team, "carol", monkeypatch)
    try:
        panel = w.library_panel
        assert w.services.which == SHARED and w.services.start_error is None
        # which library, whose rights: the picker, its role label, the status bar
        assert panel.library_row.isVisible()
        assert panel.library_picker.currentData() == SHARED
        assert panel.library_picker.currentText() == f"Team library · {team['catalog']}"
        assert panel.role_label.text() == "Writer"
        assert w.library_status.isVisible() and w.library_status.text() == "Team library · writer"
        # the team's knowledge base, marked: icon, word, servers in the tooltip, no secret
        row = kb_row(w, "handbook")
        assert not row.icon(0).isNull() and row.text(1) == "shared"
        tip = row.toolTip(0)
        assert team["catalog"] in tip and team["url"] in tip and "search and change" in tip
        no_secret_in(tip + w.library_status.toolTip() + panel.library_picker.itemData(
            1, Qt.ToolTipRole), carol)
        assert str(team["note"]) in w.documents_shown()
        picker = panel.kb_picker
        assert team["catalog"] in picker.itemData(picker.findText("handbook"), Qt.ToolTipRole)
        # a writer may change it; the team's folders are not watched from here
        for control in (panel.new_kb_button, panel.rename_kb_button, panel.delete_kb_button,
                        w.add_files_action, w.add_folder_action, w.import_kb_action):
            assert control.isEnabled()
        assert "team library" in w.drop_hint.text()
        assert w.chat.empty.drop.isVisibleTo(w.chat.empty)
        assert "team" in w.chat.empty.drop.hint.text()
        panel.create_kb("minutes")
        qtbot.waitUntil(lambda: "minutes" in [panel.kb_picker.itemText(i)
                                              for i in range(panel.kb_picker.count())],
                        timeout=30_000)
        wait_read(qtbot, w)
        assert kb_row(w, "minutes").text(1) == "shared"

        # to this computer's library, in the background, and back
        w.switch_library(LOCAL)
        qtbot.waitUntil(lambda: not w.switching_library, timeout=30_000)
        assert w.services.which == LOCAL and panel.library_picker.currentData() == LOCAL
        assert panel.current_kb == w.chat.kb_name == "default"
        assert w.library_status.text() == "This computer" and panel.role_label.text() == ""
        names = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
        assert "handbook" not in names and "minutes" not in names
        assert all(panel.tree.topLevelItem(i).icon(0).isNull()
                   for i in range(panel.tree.topLevelItemCount()))
        assert "Now showing: This computer" in w.statusBar().currentMessage()
        w.switch_library(SHARED)
        qtbot.waitUntil(lambda: not w.switching_library, timeout=30_000)
        wait_read(qtbot, w)
        assert w.library_status.text() == "Team library · writer"
        assert kb_row(w, "handbook").text(1) == "shared"
        assert panel.current_kb == w.chat.kb_name == "minutes"  # where the writer was
    finally:
        w.close()
    # the knowledge base the writer made is on the server, for everyone
    from ingest.store.library import Library

    reader = Library(wenji_home / "check", _store(team["people"]["dave"], team["url"]))
    try:
        assert "minutes" in [kb.name for kb in reader.kbs()]
    finally:
        reader.close()


# --- a reader -------------------------------------------------------------------------

def test_a_readers_window_disables_every_change_and_says_why(qtbot, wenji_home, team,
                                                            monkeypatch, english, tmp_path):
    dave = team["people"]["dave"]
    w = team_window(qtbot, wenji_home, team, "dave", monkeypatch)
    try:
        panel = w.library_panel
        why = "Your account can read this team library but not change it"
        assert w.library_status.text() == "Team library · reader"
        assert panel.role_label.text() == "Reader" and why in panel.role_label.toolTip()
        row = kb_row(w, "handbook")
        assert row.text(1) == "shared" and "search it but not change it" in row.toolTip(0)
        assert team["catalog"] in row.toolTip(0)
        no_secret_in(row.toolTip(0) + w.library_status.toolTip(), dave)
        assert str(team["note"]) in w.documents_shown()  # a reader reads
        for control in (panel.new_kb_button, panel.rename_kb_button, panel.delete_kb_button,
                        panel.remove_action, panel.reindex_action, panel.reembed_kb_action,
                        w.add_files_action, w.add_folder_action, w.import_kb_action):
            assert not control.isEnabled(), control
            assert why in control.toolTip(), control
        assert panel.kb_picker.isEnabled() and w.export_kb_action.isEnabled()
        assert why in w.drop_hint.text()
        assert not w.chat.empty.drop.isVisibleTo(w.chat.empty)
        assert w.chat.empty.read_only_note.isVisibleTo(w.chat.empty)

        # a change that still reaches the core (here: files dropped on the window) is
        # refused before anything is read, in words
        note = tmp_path / "mine.md"
        note.write_text("# Mine\n\nA note the reader tries to add.\n", encoding="utf-8")
        drop(w, [note])
        text = problem_text(w, qtbot, "your account is a reader")
        assert "Adding files failed" in text and team["catalog"] in text
        assert str(note) not in w.documents_shown()
        no_secret_in(text, dave)
    finally:
        w.close()


def test_the_chinese_readers_window_is_chinese_and_the_cores_refusal_too(
        qtbot, wenji_home, team, monkeypatch, english):
    dave = team["people"]["dave"]
    w = team_window(qtbot, wenji_home, team, "dave", monkeypatch, language="zh")
    try:
        panel = w.library_panel
        assert w.library_status.text() == "团队文档库 · 只读"
        assert panel.library_picker.currentText() == f"团队文档库 · {team['catalog']}"
        row = kb_row(w, "handbook")
        assert row.text(1) == "共享" and "不能修改" in row.toolTip(0)
        assert panel.new_kb_button.toolTip().startswith("你的账户可以读取这个团队文档库")
        # everything shown is Chinese (but the person's data and the servers' names)
        data = DATA + ["handbook", "first-steps.md", team["catalog"], team["url"]]
        problems = untranslated(shown_strings(w), data)
        assert not problems, problems
        # a change that reaches the core anyway: the core's reason, in Chinese
        panel.delete_kb("handbook", confirm=False)
        text = problem_text(w, qtbot, "只有读取权限")
        assert team["catalog"] in text and "reader" not in text
        no_secret_in(text, dave)
        assert "handbook" in [panel.kb_picker.itemText(i) for i in range(panel.kb_picker.count())]
    finally:
        w.close()


# --- a refused login, a refused token, switching ----------------------------------------

def test_a_refused_login_is_said_in_chinese_and_this_computers_library_stays(
        qtbot, wenji_home, team, monkeypatch, english):
    from app.gui.gui_services import LOCAL, SHARED

    carol = team["people"]["carol"]
    wrong = "x" + carol["password"]
    w = team_window(qtbot, wenji_home, team, "carol", monkeypatch, language="zh",
                    password=wrong)
    try:
        panel = w.library_panel
        text = problem_text(w, qtbot, "拒绝登录")
        assert text.startswith("无法打开团队文档库：服务器 ") and team["catalog"] in text
        assert "wenji server login" in text and "这台电脑上的文档库仍可照常使用" in text
        assert sign_in_button(w).text() == "登录…"
        assert wrong not in text and carol["password"] not in text
        assert not untranslated([("problem", text)], DATA + [team["catalog"], team["url"],
                                                             "wenji server login"])
        # this computer's library is shown, and usable
        assert w.services.which == LOCAL and panel.library_picker.currentData() == LOCAL
        assert w.library_status.text() == "本机" and w.add_files_action.isEnabled()
        panel.create_kb("mine")
        qtbot.waitUntil(lambda: "mine" in [panel.kb_picker.itemText(i)
                                           for i in range(panel.kb_picker.count())],
                        timeout=30_000)

        # the right password but a token the vector server refuses: switching says so,
        # in the background, and the library shown stays
        monkeypatch.setenv("WENJI_SHARED_PASSWORD", carol["password"])
        monkeypatch.setenv("WENJI_SHARED_TOKEN", "not-" + carol["token"])
        w._problem_box.close()
        w.switch_library(SHARED)
        assert w.switching_library and not panel.library_picker.isEnabled()  # not blocked
        text = problem_text(w, qtbot, "拒绝了令牌")
        assert text.startswith(f"无法打开团队文档库：向量服务器 {team['url']} 拒绝了令牌")
        assert carol["token"] not in text
        assert not w.switching_library and panel.library_picker.isEnabled()
        assert w.services.which == LOCAL and panel.library_picker.currentData() == LOCAL
        assert kb_row(w, "mine") is not None

        # with the right secrets, the same choice opens the team library
        monkeypatch.setenv("WENJI_SHARED_TOKEN", carol["token"])
        w.switch_library(SHARED)
        qtbot.waitUntil(lambda: not w.switching_library, timeout=30_000)
        wait_read(qtbot, w)
        assert w.services.which == SHARED and w.library_status.text() == "团队文档库 · 可编辑"
        assert kb_row(w, "handbook").text(1) == "共享"
    finally:
        w.close()


def test_a_server_that_is_not_there_is_said_in_chinese(qtbot, wenji_home, team,
                                                      monkeypatch, english):
    from app.gui.gui_services import LOCAL
    from tests.servers import free_port

    team = {**team, "url": f"http://127.0.0.1:{free_port()}"}  # nothing listens there
    w = team_window(qtbot, wenji_home, team, "carol", monkeypatch, language="zh")
    try:
        text = problem_text(w, qtbot, "无法连接服务器")
        assert team["url"] in text and "技术细节" in text
        assert "wenji server login" not in text  # no login would help
        assert w.services.which == LOCAL and w.library_status.text() == "本机"
    finally:
        w.close()


# --- reading the team's catalog in the background ----------------------------------------

HOLD_S = 8  # the longest a test holds the catalog's lock (a synchronous read waits so long)


@contextmanager
def catalog_held(pg_server, db: str):
    """A real transaction of the server's superuser that holds the team catalog's
    documents table (ACCESS EXCLUSIVE: every read of it waits) until the caller sets the
    yielded event, or HOLD_S at most."""
    import psycopg

    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(pg_server.dsn(dbname=db)) as conn, conn.transaction():
            conn.execute("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            held.set()
            release.wait(HOLD_S)

    holder = threading.Thread(target=hold, name="catalog lock", daemon=True)
    holder.start()
    assert held.wait(30), "could not lock the team catalog"
    try:
        yield release
    finally:
        release.set()
        holder.join(60)


def catalog_sql(pg_server, db: str, sql: str) -> None:
    """One statement on the team catalog, as its superuser (committed at once)."""
    import psycopg

    with psycopg.connect(pg_server.dsn(dbname=db), autocommit=True) as conn:
        conn.execute(sql)


def test_reading_the_team_catalog_leaves_the_window_responsive(
        qtbot, wenji_home, team, pg_server, monkeypatch, english):
    w = team_window(qtbot, wenji_home, team, "carol", monkeypatch)
    try:
        panel = w.library_panel
        ticks = []
        with catalog_held(pg_server, team["db"]) as release:
            started = time.monotonic()
            w.refresh_library()
            assert time.monotonic() - started < 1.0  # it did not wait for the server
            assert panel.reading
            QTimer.singleShot(100, lambda: ticks.append("tick"))  # the event loop runs
            qtbot.waitUntil(lambda: bool(ticks), timeout=2_000)
            qtbot.wait(300)
            assert panel.reading  # still held up by the lock; the last read stays shown
            assert str(team["note"]) in w.documents_shown()
            assert kb_row(w, "handbook").text(1) == "shared"
            release.set()
        wait_read(qtbot, w)
        assert str(team["note"]) in w.documents_shown()
    finally:
        w.close()


def test_an_older_read_of_the_team_catalog_never_replaces_a_newer_one(
        qtbot, wenji_home, team, pg_server, monkeypatch, english):
    from app.gui.gui_services import LOCAL

    w = team_window(qtbot, wenji_home, team, "carol", monkeypatch)
    panel = w.library_panel
    try:
        # a read held up at the documents has the knowledge bases of before; one is
        # added, and the window is refreshed again: the newest read is the one shown
        with catalog_held(pg_server, team["db"]) as release:
            w.refresh_library()
            qtbot.wait(300)  # the first read: past the knowledge bases, at the documents
            catalog_sql(pg_server, team["db"], "INSERT INTO kbs (name, created) VALUES "
                        "('added-meanwhile', extract(epoch from now()))")
            w.refresh_library()
            assert panel.reading
            release.set()
        wait_read(qtbot, w)
        qtbot.wait(300)  # nothing later comes to replace it
        assert kb_row(w, "added-meanwhile") is not None and kb_row(w, "handbook") is not None

        # a read of the team library that ends after the window went to this computer's
        # is dropped: this computer's stays in the tree
        with catalog_held(pg_server, team["db"]) as release:
            w.refresh_library()
            w.switch_library(LOCAL)
            qtbot.waitUntil(lambda: not w.switching_library, timeout=30_000)
            assert panel.reading and panel.showing == LOCAL
            release.set()
        qtbot.waitUntil(lambda: not panel.reading, timeout=30_000)
        qtbot.wait(300)
        names = [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]
        assert "handbook" not in names and str(team["note"]) not in w.documents_shown()
        assert panel.current_kb == "default" and w.library_status.text() == "This computer"
        assert all(panel.tree.topLevelItem(i).icon(0).isNull()
                   for i in range(panel.tree.topLevelItemCount()))
    finally:
        w.close()
        catalog_sql(pg_server, team["db"], "DELETE FROM kbs WHERE name = 'added-meanwhile'")


# --- signing in from the window ------------------------------------------------------

def test_a_refused_password_is_asked_for_in_a_dialog_and_the_team_library_opens(
        qtbot, wenji_home, team, monkeypatch, english, caplog):
    import logging

    from PySide6.QtWidgets import QLineEdit

    from app.gui.gui_services import LOCAL, SHARED

    caplog.set_level(logging.DEBUG)
    carol = team["people"]["carol"]
    wrong = "x" + carol["password"]
    w = team_window(qtbot, wenji_home, team, "carol", monkeypatch, password=wrong)
    try:
        text = problem_text(w, qtbot, "refused the login")
        assert "Sign in…" in text and "wenji server login" in text  # the terminal: second
        assert w.services.which == LOCAL
        dialog = sign_in_dialog(w, qtbot)
        # for whom and where, never a secret; both fields hide what is typed
        shown = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert team["people"]["carol"]["postgres"].split("user=")[1].split()[0] in shown
        assert team["catalog"] in shown and team["url"] in shown and "refused the login" in shown
        no_secret_in(shown, carol)
        assert wrong not in shown
        assert dialog.password_edit.echoMode() == QLineEdit.Password
        assert dialog.token_edit.echoMode() == QLineEdit.Password
        assert dialog.password_edit.text() == dialog.token_edit.text() == ""
        assert not dialog.sign_in_button.isEnabled()  # nothing typed yet

        dialog.password_edit.setText(carol["password"])  # the token: the one Wenji has
        dialog.sign_in_button.click()
        assert w.switching_library  # in the background
        qtbot.waitUntil(lambda: not w.switching_library, timeout=30_000)
        wait_read(qtbot, w)
        assert w.services.which == SHARED and w.library_status.text() == "Team library · writer"
        assert kb_row(w, "handbook").text(1) == "shared"
        # no keyring on this machine: kept for this session only, and said so
        qtbot.waitUntil(lambda: "kept for this session only" in w.statusBar().currentMessage(),
                        timeout=10_000)
        no_secret_in(w.statusBar().currentMessage(), carol)
    finally:
        w.close()
    # in memory only: not in the settings, not in the log
    settings = wenji_home / "settings.toml"
    assert not settings.exists() or carol["password"] not in settings.read_text()
    assert carol["password"] not in caplog.text


def test_a_refused_token_is_asked_for_and_cancel_keeps_this_computers_library(
        qtbot, wenji_home, team, monkeypatch, english):
    from app.gui.gui_services import LOCAL, SHARED

    dave = team["people"]["dave"]
    w = team_window(qtbot, wenji_home, team, "dave", monkeypatch, token="not-" + dave["token"])
    try:
        panel = w.library_panel
        problem_text(w, qtbot, "refused the token")
        dialog = sign_in_dialog(w, qtbot)
        assert team["url"] in dialog.reason_label.text()
        # Cancel: this computer's library stays, nothing is tried
        dialog.token_edit.setText(dave["token"])
        dialog.reject()
        qtbot.wait(200)
        assert "stays open" in w.statusBar().currentMessage()
        assert not w.switching_library and w.services.which == LOCAL
        assert panel.library_picker.currentData() == LOCAL and w.add_files_action.isEnabled()

        # asked again (the picker's team library), now with the right token
        w.switch_library(SHARED)
        problem_text(w, qtbot, "refused the token")
        dialog = sign_in_dialog(w, qtbot)
        dialog.token_edit.setText(dave["token"])
        dialog.accept()
        qtbot.waitUntil(lambda: not w.switching_library, timeout=30_000)
        wait_read(qtbot, w)
        assert w.services.which == SHARED and w.library_status.text() == "Team library · reader"
        assert str(team["note"]) in w.documents_shown()
    finally:
        w.close()
