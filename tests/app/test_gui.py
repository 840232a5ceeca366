"""The desktop window with a real Qt application (offscreen)."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QPushButton

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.conftest import MD_DIR, PDF_DIR, SEC_DIR, require


@pytest.fixture
def window(qtbot, wenji_home):
    from app.gui.main_window import MainWindow

    ctx = Context(home=Home.open(wenji_home), settings=Settings())
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "Ready", timeout=120_000)
    yield w
    w.close()


def drop(widget, paths):
    """Deliver a drag-enter and a drop as the window manager would.  (QApplication only
    routes drop events during a real platform drag, so the handlers are called directly.)"""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dragEnterEvent(enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dropEvent(event)
    assert event.isAccepted()


def test_dropping_files_shows_them_with_status(window, qtbot, tmp_path):
    good = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), good)
    scanned = tmp_path / "scanned.pdf"
    shutil.copy(require(PDF_DIR / "pymupdf_tests/test_3863.pdf"), scanned)
    window.ctx.settings.ingest.ocr = False  # OCR's own tests are in tests/ingest/test_pdf_ocr.py
    drop(window, [good, scanned])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    shown = window.documents_shown()
    assert shown[str(good)] == "ready"
    assert shown[str(scanned)] == "failed"
    # the reason is on screen, next to the file
    tree = window.library_tree
    reasons = [tree.topLevelItem(0).child(i).text(4) for i in range(tree.topLevelItem(0).childCount())]
    assert any("OCR is off" in r for r in reasons)
    assert "not added" in window.statusBar().currentMessage()


def test_asking_streams_an_answer_with_sources(window, qtbot, tmp_path):
    pdf = tmp_path / "apple.pdf"
    shutil.copy(require(SEC_DIR / "2023 Q3 AAPL.pdf"), pdf)
    window.ingest([str(pdf)])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=300_000)
    window.chat.question.setPlainText("What were Apple's total net sales for the quarter?")
    qtbot.keyClick(window.chat.question, Qt.Key_Return)
    assert window.chat.busy  # Enter sent the question
    qtbot.waitUntil(lambda: window.chat.last_done is not None and not window.chat.busy,
                    timeout=300_000)
    done = window.chat.last_done
    assert done.grounded and done.answer.strip()
    assert window.chat.sources.count() >= 1
    first = window.chat.sources.item(0).text()
    assert "apple.pdf" in first.lower() or "page" in first.lower()
    conversation = window.chat.transcript_text()
    assert "What were Apple's total net sales" in conversation
    # the chat was saved
    chats = window.services.chats().list()
    assert len(chats) == 1 and len(window.services.chats().messages(chats[0].id)) == 2


def test_a_failed_model_switch_keeps_the_previous_model(window, qtbot, wenji_home):
    before = window.services.models().loaded.path
    bad = wenji_home / "models" / "broken.gguf"
    bad.write_bytes(b"GGUF" + bytes(range(256)) * 40)
    window.switch_model(str(bad))
    qtbot.waitUntil(lambda: not window.loading_model, timeout=120_000)
    message = window.statusBar().currentMessage()
    assert "broken.gguf" in message and "still using" in message
    assert window.services.models().loaded.path == before
    assert window.model_picker.count() >= 2  # the broken file is listed, as unusable


def test_closing_during_an_answer_and_during_ingest_is_clean(qtbot, wenji_home, tmp_path):
    """Closing the window mid-answer keeps the conversation; closing it mid-ingest leaves
    every store consistent (checked by a fresh process, as the next start would)."""
    from app.gui.main_window import MainWindow
    from answer.chats import ChatStore
    from tests.ingest.helpers import check_store_in_fresh_process

    def open_window():
        w = MainWindow(Context(home=Home.open(wenji_home), settings=Settings()))
        qtbot.addWidget(w)
        w.show()
        qtbot.waitUntil(lambda: w.started, timeout=180_000)
        return w

    note = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    w = open_window()
    w.ingest([str(note)])
    qtbot.waitUntil(lambda: w.last_report is not None, timeout=180_000)
    w.chat.question.setPlainText("How do I run the first FastAPI app?")
    w.chat.send()
    qtbot.waitUntil(lambda: "Wenji" in w.chat.transcript_text(), timeout=60_000)
    assert w.chat.busy
    w.close()
    assert not w.chat.busy
    with ChatStore(wenji_home / "chats.sqlite3") as chats:
        [chat] = chats.list()
        roles = [m.role for m in chats.messages(chat.id)]
    assert roles == ["user", "assistant"]  # the partial answer was kept, marked stopped

    folder = tmp_path / "filings"
    folder.mkdir()
    for name in ["2022 Q3 AAPL.pdf", "2023 Q1 AAPL.pdf", "2023 Q2 AAPL.pdf", "2023 Q3 AAPL.pdf"]:
        shutil.copy(require(SEC_DIR / name), folder / name)
    w = open_window()
    w.ingest([str(folder)])
    qtbot.waitUntil(lambda: w.ingest_view.overall.value() >= 1, timeout=300_000)
    w.close()
    assert not w.background.running
    counts = check_store_in_fresh_process(wenji_home / "store")
    assert 1 <= counts["default"]["ready"] < 5, counts  # the note plus some filings


def test_summarize_a_document_and_ask_about_chosen_ones(window, qtbot, tmp_path):
    """The library's "Summarize" scopes the chat to the document and answers with its
    summary: one line per section, cited, the sections as sources; "Ask about these" keeps
    the next question to the chosen documents until the scope is cleared."""
    en = tmp_path / "first-steps.md"
    other = tmp_path / "bigger-applications.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), en)
    shutil.copy(require(MD_DIR / "en/docs/tutorial/bigger-applications.md"), other)
    window.ingest([str(en), str(other)])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=300_000)
    said = []
    window.statusBar().messageChanged.connect(said.append)
    window.library_panel.summarizeRequested.emit(str(en))
    assert window.chat.busy and window.chat.scope_bar.isVisible()
    assert "first-steps.md" in window.chat.scope_label.text()
    qtbot.waitUntil(lambda: window.chat.last_done is not None and not window.chat.busy,
                    timeout=300_000)
    done = window.chat.last_done
    assert any(m.startswith("Reading section 1 of ") for m in said), said
    assert done.question == "Summarize first-steps.md"
    assert done.sources and {s.path for s in done.sources} == {str(en)}
    assert "[1]" in done.answer and done.answer.count("\n- **") + 1 == len(done.sources)
    assert "First Steps" in window.chat.transcript_text()
    assert window.chat.sources.count() == len(done.sources)
    # ask about the other document only
    window.library_panel.askAboutRequested.emit([str(other)])
    assert "bigger-applications.md" in window.chat.scope_label.text()
    window.chat.last_done = None
    window.chat.ask("How do I use APIRouter?")
    qtbot.waitUntil(lambda: window.chat.last_done is not None and not window.chat.busy,
                    timeout=300_000)
    assert {s.path for s in window.chat.last_done.sources} == {str(other)}
    # "Compare" on two documents that share no section says so
    window.chat.last_done = None
    window.library_panel.compareRequested.emit([str(en), str(other)])
    qtbot.waitUntil(lambda: window.chat.last_done is not None and not window.chat.busy,
                    timeout=300_000)
    assert window.chat.last_done.question.startswith("Compare first-steps.md and")
    assert "share no section" in window.chat.last_done.answer
    window.chat.findChild(QPushButton, "clearScope").click()
    assert not window.chat.scope_bar.isVisible() and window.chat.scope == []


def test_a_dropped_folder_is_watched_and_its_changes_appear(window, qtbot, tmp_path):
    """Drop a folder: it is listed under "Watched folders", a note written into it
    appears in the library within seconds, and pausing stops that."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nAbout herons.\n")
    drop(window, [folder])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    view = window.watch_view
    qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=10_000)
    assert view.isVisible() and view.tree.topLevelItem(0).text(0) == "notes"
    (folder / "b.md").write_text("# B\n\nAbout storks.\n")
    qtbot.waitUntil(lambda: str(folder / "b.md") in window.documents_shown(), timeout=60_000)
    qtbot.waitUntil(lambda: view.tree.topLevelItem(0).text(2) == "up to date", timeout=60_000)
    assert "notes changed: 1 added" in window.statusBar().currentMessage()
    view.pause("default", str(folder))
    assert view.tree.topLevelItem(0).text(2) == "paused"
    (folder / "c.md").write_text("# C\n\nAbout cranes.\n")
    qtbot.wait(2500)
    assert str(folder / "c.md") not in window.documents_shown()
    (folder / "a.md").unlink()
    view.resume("default", str(folder))  # checked again: c.md added, a.md removed
    qtbot.waitUntil(lambda: str(folder / "c.md") in window.documents_shown() and
                    str(folder / "a.md") not in window.documents_shown(), timeout=60_000)
    # the folder goes away: shown as not found, its documents kept
    shutil.rmtree(folder)
    qtbot.waitUntil(lambda: view.tree.topLevelItem(0).text(2) == "not found", timeout=15_000)
    assert str(folder / "c.md") in window.documents_shown()
    assert "not there" in view.tree.topLevelItem(0).toolTip(2)
    view.remove("default", str(folder))
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=5_000)


def test_export_and_import_a_knowledge_base_from_the_window(window, qtbot, tmp_path):
    """File → Export… writes the knowledge base to one file; Import… brings it back under
    another name with the same documents, without embedding them again."""
    good = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), good)
    drop(window, [good])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    archive = tmp_path / "notes.wenjikb"
    window.archives.export("default", str(archive), with_files=False)
    qtbot.waitUntil(lambda: window.archives.last_result is not None, timeout=120_000)
    assert archive.stat().st_size > 0 and "Exported 1 document(s)" in \
        window.statusBar().currentMessage()
    window.archives.last_result = None
    window.archives.import_(str(archive), name="copy")
    qtbot.waitUntil(lambda: window.archives.last_result is not None, timeout=120_000)
    report = window.archives.last_result
    assert report.kb == "copy" and report.documents == 1 and not report.reembedded
    assert window.library_panel.current_kb == "copy"
    library = window.services.library()
    assert [d.path for d in library.documents(library.kb("copy"))] == [str(good)]
    # a file that is not an archive: named, nothing imported
    bad = tmp_path / "not-an-archive.wenjikb"
    bad.write_text("hello")
    window.archives.import_(str(bad), name="bad")
    assert window.archives.last_error and "not-an-archive.wenjikb" in window.archives.last_error
    assert library.catalog.kb("bad") is None
