"""The desktop window with a real Qt application (offscreen)."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.conftest import MD_DIR, PDF_DIR, require


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
    drop(window, [good, scanned])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    shown = window.documents_shown()
    assert shown[str(good)] == "ready"
    assert shown[str(scanned)] == "failed"
    # the reason is on screen, next to the file
    tree = window.library_tree
    reasons = [tree.topLevelItem(0).child(i).text(4) for i in range(tree.topLevelItem(0).childCount())]
    assert any("OCR is not supported" in r for r in reasons)
    assert "not added" in window.statusBar().currentMessage()
