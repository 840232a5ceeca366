"""The core's reasons in the window's language: a broken PDF's reason in the Chinese
library, the files-not-added list and the status bar; a broken model's in the problem
message; and :func:`app.gui.reasons.reason_text` itself (numbers in the locale, reasons
inside reasons, the English interface and unknown codes left as the core wrote them)."""

import re

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from models.reasons import Reason, joined
from tests.app.test_gui import drop
from tests.app.test_gui_shell import make_window

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese(qapp):
    from app.gui.translations import apply_language

    assert apply_language(qapp, "zh")
    yield
    apply_language(qapp, "en")


def test_reasons_in_chinese(chinese):
    from app.gui.reasons import reason_text

    assert reason_text(Reason("empty_file", "empty file (0 bytes)")) == "空文件（0 字节）"
    big = Reason("too_large", "file is {size_mb} MB, over the {limit_mb} MB limit (setting "
                 "ingest.max_file_mb)", size_mb=1500, limit_mb=200)
    assert reason_text(big) == (f"文件大小为 {QLocale().toString(1500)} MB，超过了 200 MB 的"
                                "上限（设置项 ingest.max_file_mb）")
    inner = Reason("ocr_cannot_render", "PDFium could not open the file, so its pages "
                   "cannot be rendered for OCR")
    notes = joined([Reason("pages_read_by_ocr", "{done} of {pages} pages read by OCR", done=3,
                           pages=74),
                    Reason("pages_no_text_layer", "{unread} of {pages} pages have no text "
                           "layer; {why}", unread=1, pages=74, why=inner)])
    assert reason_text(notes) == ("74 页中有 3 页由 OCR 识别；74 页中有 1 页没有文字层；"
                                  "PDFium 无法打开此文件，因此无法渲染页面进行 OCR")
    # what has no translation stays as the core wrote it
    assert reason_text(Reason("a_new_code", "something new")) == "something new"
    assert reason_text("an old catalog's sentence") == "an old catalog's sentence"
    assert reason_text(None) == ""


def test_reasons_in_english_are_the_cores_own(qapp):
    from app.gui.reasons import error_text, reason_text
    from retrieval.retriever import RetrievalError

    kb_empty = Reason("kb_empty", "the knowledge base {kb!r} is empty: add documents first "
                      "(wenji add FILES --kb NAME)", kb="notes")
    assert reason_text(kb_empty) == kb_empty.english()
    assert error_text(RetrievalError(kb_empty)) == kb_empty.english()
    assert error_text(None, "as reported") == "as reported"


def test_watch_and_summary_reasons_in_chinese(chinese, tmp_path):
    from app.gui.ingest_progress import IngestSummary
    from app.gui.watch_panel import WatchedFoldersView
    from ingest.pipeline import FAILED, SKIPPED, FileOutcome, IngestReport
    from ingest.watcher import ERROR, MISSING, WatchStatus

    encrypted = FileOutcome(str(tmp_path / "locked.pdf"), FAILED,
                            Reason("pdf_encrypted", "encrypted PDF: it needs a password"))
    skipped = FileOutcome(str(tmp_path / "sheet.xlsx"), SKIPPED,
                          Reason("skipped_type", "unsupported file type {suffix!r}",
                                 suffix=".xlsx"))
    summary = IngestSummary()
    assert summary.show_report(IngestReport(kb="default", outcomes=[encrypted, skipped])) == 2
    assert [row[2] for row in summary.rows()] == ["加密的 PDF：需要密码才能打开",
                                                  "不支持的文件类型“.xlsx”"]
    view = WatchedFoldersView()
    status = WatchStatus(kb="default", path=str(tmp_path), enabled=True, poll=False,
                         state=ERROR, detail=Reason("folder_not_found", "{folder} is not a "
                                                    "folder", folder="/gone"),
                         failures=[encrypted])
    tip = view.tooltip(status)
    assert "/gone 不是文件夹" in tip and "locked.pdf: 加密的 PDF：需要密码才能打开" in tip
    assert MISSING.code == "folder_missing"
    for widget in (summary, view):
        widget.deleteLater()


def test_a_broken_pdf_and_a_broken_model_are_explained_in_chinese(qtbot, wenji_home, tmp_path):
    from app.gui.translations import apply_language

    settings = Settings()
    settings.ui.language = "zh"
    w = make_window(qtbot, wenji_home, settings)
    try:
        broken = tmp_path / "x.pdf"
        broken.write_bytes(b"\x89 this is not a PDF: garbage bytes \x00\x01\x02" * 200)
        empty = tmp_path / "empty.md"
        empty.write_bytes(b"")
        drop(w, [broken, empty])
        qtbot.waitUntil(lambda: w.last_report is not None, timeout=180_000)
        assert w.documents_shown() == {str(broken): "failed", str(empty): "failed"}
        kb_item = w.library_tree.topLevelItem(0)
        rows = {kb_item.child(i).toolTip(0): kb_item.child(i) for i in range(kb_item.childCount())}
        pdf_row, md_row = rows[str(broken)], rows[str(empty)]
        assert pdf_row.text(4) == "不是 PDF 文件（没有 %PDF 文件头）" == pdf_row.toolTip(4)
        assert md_row.text(4) == "空文件（0 字节）"
        for row in (pdf_row, md_row):
            assert CHINESE.search(row.text(4)) and "file" not in row.text(4)
        # the list of files not added and the status bar say the same
        assert sorted(r[2] for r in w.ingest_summary.rows()) == sorted(
            [pdf_row.text(4), md_row.text(4)])
        assert "不是 PDF 文件（没有 %PDF 文件头）" in w.statusBar().currentMessage()
        assert "not a PDF" not in w.statusBar().currentMessage()

        # a model file that is not a model: why, in Chinese, and the old model stays
        before = w.services.models().loaded.path
        bad = wenji_home / "models" / "broken.gguf"
        bad.write_bytes(b"GGUF" + bytes(range(256)) * 40)
        w.switch_model(str(bad))
        qtbot.waitUntil(lambda: not w.loading_model, timeout=120_000)
        message = w.statusBar().currentMessage()
        assert "broken.gguf：不支持的 GGUF 版本" in message and "only 2 and 3" not in message
        assert w.services.models().loaded.path == before
        labels = [w.model_picker.itemText(i) for i in range(w.model_picker.count())]
        assert any("broken.gguf" in label and "不支持的 GGUF 版本" in label for label in labels)
    finally:
        w.close()
        apply_language(QApplication.instance(), "en")
