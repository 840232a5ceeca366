"""The window's shell with a real Qt application (offscreen), real stores and models:
the Chinese interface, the settings dialog, adding models, the conversation list and the
library's actions.  No question is put to the model here (the chat tests do that)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.app.test_gui import drop
from tests.conftest import MD_DIR, require


def make_window(qtbot, wenji_home, settings=None):
    from app.gui.main_window import MainWindow

    ctx = Context(home=Home.open(wenji_home), settings=settings or Settings())
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.started, timeout=120_000)
    return w


@pytest.fixture
def window(qtbot, wenji_home):
    w = make_window(qtbot, wenji_home)
    assert w.statusBar().currentMessage() == "Ready"
    yield w
    w.close()




def answer_next_question(button):
    """Click ``button`` in the next modal message box, as a person would."""
    seen = []

    def click():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(20, click)

    QTimer.singleShot(0, click)
    return seen


def loaded_name(window) -> str:
    loaded = window.services.models().loaded  # None for a moment while models swap
    return loaded.path.name if loaded is not None else ""


def bundled_model_copy(tmp_path, name):
    from models.bundled import ensure_chat_model

    src = ensure_chat_model(tmp_path / "bundled")
    target = tmp_path / name
    shutil.copyfile(src, target)
    return target


# --- translations ---------------------------------------------------------------------

def test_committed_translations_are_compiled_and_complete(tmp_path):
    from app.gui.translations import _tool, qm_path, ts_path

    ts = ts_path()
    text = ts.read_text(encoding="utf-8")
    assert 'type="unfinished"' not in text, "untranslated strings in " + ts.name
    fresh = tmp_path / "fresh.qm"
    subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(fresh)], check=True)
    assert fresh.read_bytes() == qm_path().read_bytes(), \
        "the .qm is older than the .ts: run python -m app.gui.translations --release-only"


def test_every_interface_string_is_in_the_translation(tmp_path):
    """lupdate over the window's code finds no string the .ts lacks, and no tr() call
    hides inside an f-string expression (lupdate cannot see those)."""
    import re

    from app.gui.translations import GUI_DIR, _tool, ts_path

    hidden = [f"{p.name}: {m.group(0)}" for p in sorted(GUI_DIR.glob("*.py"))
              for m in re.finditer(r"\btr\('[^']*'\)", p.read_text(encoding="utf-8"))]
    assert not hidden, f"tr() inside f-strings, invisible to lupdate: {hidden}"
    copy = tmp_path / ts_path().name
    shutil.copy(ts_path(), copy)
    subprocess.run([_tool("lupdate"), "-silent", "-no-obsolete", "-locations", "none",
                    "-source-language", "en", "-target-language", "zh_CN",
                    *sorted(str(p) for p in GUI_DIR.glob("*.py")), "-ts", str(copy)], check=True)
    new = re.findall(r"<source>(.*?)</source>\s*<translation type=\"unfinished\"",
                     copy.read_text(encoding="utf-8"), re.S)
    assert not new, f"strings not yet translated (run python -m app.gui.translations): {new}"


def test_chinese_interface(qtbot, wenji_home):
    from app.gui.translations import apply_language

    settings = Settings()
    settings.ui.language = "zh"
    w = make_window(qtbot, wenji_home, settings)
    try:
        assert w.new_chat_action.text() == "新建对话"
        assert w.settings_action.text() == "设置…"
        assert w.add_model_action.text() == "添加模型…"
        assert [m.title() for m in w.menus][:2] == ["文件(&F)", "对话(&C)"]
        assert w.tabs.tabText(0) == "文档库" and w.tabs.tabText(1) == "对话"
        assert w.statusBar().currentMessage() == "就绪"
        assert w.library_tree.headerItem().text(0) == "文档"
        # Qt's own strings come from Qt's translation
        box = QMessageBox(QMessageBox.Question, "", "", QMessageBox.Yes | QMessageBox.Cancel)
        assert box.button(QMessageBox.Cancel).text() == "取消"
    finally:
        w.close()
        apply_language(QApplication.instance(), "en")
    assert QApplication.translate("MainWindow", "New chat") == "New chat"


# --- settings -------------------------------------------------------------------------

def test_settings_dialog_rejects_an_invalid_value_and_saves_a_valid_one(window, qtbot):
    from models.registry import Registry

    path = window.ctx.home.settings_path
    dialog = window.open_settings()
    assert dialog.isVisible()
    assert dialog.home_edit.text() == str(window.ctx.home.root) and dialog.home_edit.isReadOnly()
    save = dialog.buttons.button(QDialogButtonBox.Save)

    dialog.chunk_tokens.setValue(5)
    save.click()
    assert dialog.isVisible()  # stays open
    assert "chunk_tokens" in dialog.error_label.text() and "16" in dialog.error_label.text()
    assert not path.exists()
    assert window.ctx.settings.ingest.chunk_tokens == 200

    dialog.temperature.setValue(9)  # the model's own rules reject this one
    dialog.chunk_tokens.setValue(300)
    save.click()
    assert dialog.isVisible() and "temperature" in dialog.error_label.text()
    assert not path.exists()

    before = window.services.models().loaded
    dialog.temperature.setValue(0.7)
    dialog.top_k.setValue(9)
    dialog.fusion.setCurrentIndex(dialog.fusion.findData("rrf"))
    dialog.language.setCurrentIndex(dialog.language.findData("zh"))
    assert dialog.embedder_backend.currentData() == "onnx-fp32"  # the default runtime
    dialog.embedder_backend.setCurrentIndex(dialog.embedder_backend.findData("onnx"))
    assert dialog.ocr.isChecked() and dialog.ocr_max_pages.isEnabled()
    dialog.ocr.setChecked(False)
    assert not dialog.ocr_max_pages.isEnabled()
    save.click()
    assert not dialog.isVisible()
    saved = Settings.load(path)
    assert (saved.ingest.chunk_tokens, saved.retrieval.top_k, saved.retrieval.fusion,
            saved.ui.language, saved.models.embedder_backend) == (300, 9, "rrf", "zh", "onnx")
    assert saved.ingest.ocr is False and window.ctx.settings.ingest.ocr is False
    assert window.ctx.settings.retrieval.top_k == 9  # the next question uses it
    assert "restart Wenji to use the new embedder and language" in window.notice_box.text()
    registry = Registry(window.ctx.home.models_dir)
    assert registry.load_model_settings(before.path.name).temperature == pytest.approx(0.7)
    # the model is reloaded with its new settings
    qtbot.waitUntil(lambda: not window.loading_model, timeout=120_000)
    assert window.services.models().loaded.settings["temperature"] == pytest.approx(0.7)


# --- models ---------------------------------------------------------------------------

def test_add_model_switches_to_it_and_a_broken_file_keeps_the_current_one(window, qtbot, tmp_path):
    model = bundled_model_copy(tmp_path, "tiny-copy.gguf")
    window.add_model(str(model))
    qtbot.waitUntil(lambda: loaded_name(window) == "tiny-copy.gguf"
                    and not window.loading_model, timeout=120_000)
    paths = [window.model_picker.itemData(i) for i in range(window.model_picker.count())]
    assert str(window.ctx.home.models_dir / "tiny-copy.gguf") in paths
    label = window.model_picker.currentText()
    assert window.model_picker.currentData().endswith("tiny-copy.gguf")
    assert "Q4_K_M" in label and "context 32,768" in label and "MB" in label

    broken = tmp_path / "broken-download.gguf"
    broken.write_bytes(b"GGUF" + bytes(range(256)) * 40)
    window.add_model(str(broken))
    qtbot.waitUntil(lambda: window._problem_box is not None and window._problem_box.isVisible(),
                    timeout=60_000)
    text = window._problem_box.text()
    assert "broken-download.gguf" in text and "Cannot add the model" in text
    assert "broken-download.gguf" in window.statusBar().currentMessage()
    assert window.services.models().loaded.path.name == "tiny-copy.gguf"
    assert not (window.ctx.home.models_dir / "broken-download.gguf").exists()

    other = tmp_path / "weights.safetensors"
    other.write_bytes(b"\0" * 64)
    window.add_model(str(other))
    qtbot.waitUntil(lambda: "weights.safetensors" in window._problem_box.text(), timeout=60_000)
    assert "not a .gguf file" in window._problem_box.text()
    assert loaded_name(window) == "tiny-copy.gguf"


def test_dropping_a_gguf_file_adds_and_loads_the_model(window, qtbot, tmp_path):
    model = bundled_model_copy(tmp_path, "dropped.gguf")
    drop(window, [model])
    qtbot.waitUntil(lambda: loaded_name(window) == "dropped.gguf"
                    and not window.loading_model, timeout=120_000)
    assert window.model_picker.currentData().endswith("dropped.gguf")
    assert window.last_report is None  # nothing was ingested


# --- conversations --------------------------------------------------------------------

def test_conversation_list_rename_delete_export(window, qtbot, tmp_path):
    store = window.services.chats()
    first = store.create(title="Apple results")
    store.add_message(first.id, "user", "What were net sales?")
    second = store.create()
    store.add_message(second.id, "user", "如何安装 FastAPI？")
    convs = window.conversations
    convs.refresh()
    assert convs.chat_ids() == [second.id, first.id]  # newest first
    assert convs.titles() == ["如何安装 FastAPI？", "Apple results"]

    # inline rename, as after a double-click
    convs.list.item(1).setText("Apple 10-Q, Q3")
    qtbot.waitUntil(lambda: store.get(first.id).title == "Apple 10-Q, Q3")
    convs.list.item(0).setText("   ")  # refused by the store: the old title stays
    qtbot.waitUntil(lambda: "cannot be empty" in window.statusBar().currentMessage())
    assert store.get(second.id).title == "如何安装 FastAPI？"
    assert convs.titles() == ["如何安装 FastAPI？", "Apple 10-Q, Q3"]

    out = convs.export_chat(first.id, str(tmp_path / "apple.md"))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Apple 10-Q, Q3") and "What were net sales?" in text
    assert "apple.md" in window.statusBar().currentMessage()
    assert convs.export_chat(first.id, str(tmp_path / "no-such-dir" / "x.md")) is None
    assert "no-such-dir" in window.statusBar().currentMessage()

    convs.list.setCurrentRow(1)
    asked = answer_next_question(QMessageBox.Cancel)
    convs.delete_button.click()
    assert asked and "Apple 10-Q, Q3" in asked[0]
    assert len(store.list()) == 2
    answer_next_question(QMessageBox.Yes)
    convs.delete_button.click()
    assert [c.id for c in store.list()] == [second.id]
    assert convs.chat_ids() == [second.id]


def test_choosing_a_conversation_opens_it_in_the_chat(window, qtbot):
    if not hasattr(window.chat, "load_chat"):
        pytest.skip("the chat panel cannot reopen chats yet")
    store = window.services.chats()
    chat = store.create(title="Saved")
    store.add_message(chat.id, "user", "An old question")
    window.conversations.refresh()
    window.tabs.setCurrentIndex(1)
    window.conversations.list.setCurrentRow(0)
    assert window.chat.chat_id == chat.id
    window.new_chat_action.trigger()
    assert window.chat.chat_id is None


# --- library --------------------------------------------------------------------------

def test_library_remove_document_and_knowledge_bases(window, qtbot, tmp_path):
    doc = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), doc)
    notes = tmp_path / "notes.docx"
    notes.write_text("not a supported type", encoding="utf-8")
    window.ingest([str(doc), str(notes)])
    assert window.ingest_view.isVisible()
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    assert not window.ingest_view.isVisible()
    assert window.documents_shown() == {str(doc): "ready"}
    # the file that was not added is listed with its reason
    assert window.ingest_summary.isVisible()
    rows = window.ingest_summary.rows()
    assert rows and rows[0][0] == str(notes) and "unsupported file type" in rows[0][2]

    library = window.services.library()
    kb = library.kb("default")
    window.library_panel.tree.topLevelItem(0).child(0).setSelected(True)
    assert window.library_panel.selected_paths() == [str(doc)]
    # re-index the edited file from the library
    with doc.open("a", encoding="utf-8") as fh:
        fh.write("\n\n## One more section\n\nAdded after the first run.\n")
    first_report = window.last_report
    window.library_panel.reindex_action.trigger()
    qtbot.waitUntil(lambda: window.last_report is not first_report, timeout=180_000)
    assert [(o.path, o.status) for o in window.last_report.outcomes] == [(str(doc), "updated")]
    # Re-index redoes a file even when it has not changed
    window.library_panel.tree.topLevelItem(0).child(0).setSelected(True)
    second_report = window.last_report
    window.library_panel.reindex_action.trigger()
    qtbot.waitUntil(lambda: window.last_report is not second_report, timeout=180_000)
    assert [(o.path, o.status) for o in window.last_report.outcomes] == [(str(doc), "updated")]
    # Open shows the document inside the app
    window.library_panel.tree.topLevelItem(0).child(0).setSelected(True)
    window.library_panel.open_action.trigger()
    viewer = window.chat.viewer
    assert window.chat.side_tabs.currentWidget() is viewer
    assert viewer.message == "" and viewer.visible_text().startswith("First Steps")
    assert "One more section" in viewer.markdown_view.toPlainText()
    window.library_panel.tree.topLevelItem(0).child(0).setSelected(True)
    answer_next_question(QMessageBox.Yes)
    window.library_panel.remove_action.trigger()
    qtbot.waitUntil(lambda: window.documents_shown() == {}, timeout=60_000)
    assert library.documents(kb) == []
    assert library.consistency_report(kb) == {"chroma": 0, "catalog": 0, "ready": 0,
                                              "keyword": 0, "mismatch": 0}

    panel = window.library_panel
    panel.create_kb("papers")
    qtbot.waitUntil(lambda: panel.current_kb == "papers", timeout=30_000)
    assert window.chat.kb_name == "papers"
    panel.rename_kb("papers", "论文")
    qtbot.waitUntil(lambda: panel.current_kb == "论文", timeout=30_000)
    assert window.chat.kb_name == "论文"
    assert [panel.kb_picker.itemText(i) for i in range(panel.kb_picker.count())] == ["default", "论文"]
    panel.rename_kb("论文", "bad/name")
    qtbot.waitUntil(lambda: "invalid knowledge base name" in window.statusBar().currentMessage(),
                    timeout=30_000)
    panel.delete_kb("论文", confirm=False)
    qtbot.waitUntil(lambda: panel.current_kb == "default", timeout=30_000)
    assert [k.name for k in library.kbs()] == ["default"]
