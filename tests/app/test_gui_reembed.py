"""Knowledge bases built with another embedder than the current one, in the real window
(offscreen Qt, real Chroma and embedders): the bar above the chat, the refused question,
re-embedding with the ingest progress; and the settings dialog's embedder choice."""

import shutil

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.app.test_gui_shell import make_window
from tests.conftest import MD_DIR, require

ENGLISH = "all-MiniLM-L6-v2"
MULTILINGUAL = "multilingual-e5-small"


def english_kb(home: Home, shared_cache, tmp_path) -> str:
    """The knowledge base "default" with one Markdown file, embedded with the English
    (default) embedder, int8 to keep the test fast; returns the file's path."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from models.embedder import Embedder

    doc = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), doc)
    english = Embedder(ENGLISH, backend="onnx", cache_dir=shared_cache / "embedders")
    library = Library(home.store_dir)
    try:
        report = Ingestor(library, english).run([doc], kb_name="default")
        assert [o.status for o in report.outcomes] == ["added"]
        assert library.kb("default").embedder == ENGLISH
    finally:
        library.close()
    return str(doc)


def test_a_knowledge_base_of_another_embedder_is_re_embedded_from_the_window(
        qtbot, wenji_home, shared_cache, tmp_path):
    home = Home.open(wenji_home)
    doc = english_kb(home, shared_cache, tmp_path)
    settings = Settings()  # the multilingual embedder chosen; int8 to keep the test fast
    settings.models.embedder = MULTILINGUAL
    settings.models.embedder_backend = "onnx"
    w = make_window(qtbot, wenji_home, settings)
    try:
        assert w.services.embedder().name == MULTILINGUAL
        bar = w.reembed_bar
        qtbot.waitUntil(bar.isVisible, timeout=10_000)
        assert bar.kb_name == "default"
        text = bar.label.text()
        assert "“default”" in text and ENGLISH in text and MULTILINGUAL in text
        assert bar.button.text() == "Re-embed now" and bar.button.isEnabled()
        # the library marks it too, and offers the action among the knowledge base's
        panel = w.library_panel
        assert panel.stale_kbs == {"default": ENGLISH}
        assert "re-embed" in panel.tree.topLevelItem(0).text(1)
        assert panel.reembed_kb_action.text() == "Re-embed knowledge base"
        assert panel.reembed_kb_action.isEnabled()

        # a question is refused with a pointer to re-embedding, not the raw core error
        w.chat.question.setPlainText("How do I run the first FastAPI app?")
        w.chat.send()
        assert not w.chat.busy
        shown = w.chat.view.toPlainText()
        assert "Re-embed now" in shown and "Re-embed knowledge base" in shown and ENGLISH in shown
        assert "Re-embed now" in w.statusBar().currentMessage()
        assert w.chat.question.toPlainText()  # the question stays in the box

        # re-embedding runs in the background with the ingest progress and Cancel
        qtbot.mouseClick(bar.button, Qt.LeftButton)
        assert w.ingesting and w.ingest_view.isVisible() and w.cancel_button.isEnabled()
        assert not bar.isVisible()
        assert not panel.reembed_kb_action.isEnabled()
        assert "Re-embedding default" in w.statusBar().currentMessage()
        qtbot.waitUntil(lambda: not w.ingesting, timeout=300_000)
        assert not w.ingest_view.isVisible()
        assert [(o.path, o.status) for o in w.last_report.outcomes] == [(doc, "updated")]
        library = w.services.library()
        kb = library.kb("default")
        assert kb.embedder == MULTILINGUAL
        assert {d.embedder for d in library.documents(kb)} == {MULTILINGUAL}
        assert w.documents_shown() == {doc: "ready"}
        assert not bar.isVisible() and panel.stale_kbs == {}
        assert "re-embed" not in panel.tree.topLevelItem(0).text(1)
        assert w.statusBar().currentMessage().startswith(
            f"Re-embedded default with {MULTILINGUAL}: 1 document(s) updated")
        # and the knowledge base can be searched again
        engine = w._answer_engine()
        sources, _ = engine.find_sources("run the FastAPI app with uvicorn", "en")
        assert sources and sources[0].path == doc
    finally:
        w.close()


def test_settings_embedder_choice_maps_to_the_setting(qtbot, wenji_home):
    from app.gui.settings_dialog import SettingsDialog
    from models import bundled

    home = Home.open(wenji_home)
    path = home.settings_path

    def dialog_for(settings):
        d = SettingsDialog(Context(home=home, settings=settings))
        qtbot.addWidget(d)
        d.show()
        return d

    d = dialog_for(Settings())
    choices = [d.embedder_choice.itemText(i) for i in range(d.embedder_choice.count())]
    assert choices == ["English (bundled all-MiniLM-L6-v2, default)",
                       "Multilingual: Chinese, English and ~100 languages "
                       "(bundled multilingual-e5-small)", "Other folder…"]
    assert d.embedder_choice.currentIndex() == 0 and not d.embedder_folder_row.isVisible()
    save = d.buttons.button(QDialogButtonBox.Save)
    save.click()
    assert Settings.load(path).models.embedder == "" and d.restart_needed == []

    d = dialog_for(Settings.load(path))
    d.embedder_choice.setCurrentIndex(1)
    assert not d.embedder_folder_row.isVisible()
    d.buttons.button(QDialogButtonBox.Save).click()
    assert not d.isVisible()
    assert Settings.load(path).models.embedder == MULTILINGUAL
    assert d.restart_needed == ["embedder"]  # the window says: restart to use it

    d = dialog_for(Settings.load(path))
    assert d.embedder_choice.currentIndex() == 1
    d.embedder_choice.setCurrentIndex(2)
    assert d.embedder_folder_row.isVisible()
    save = d.buttons.button(QDialogButtonBox.Save)
    save.click()  # no folder given
    assert d.isVisible() and "choose the embedder's folder" in d.error_label.text()
    d.embedder_folder.setText(str(wenji_home))  # not a model folder
    save.click()
    assert d.isVisible() and "not a sentence-transformers model folder" in d.error_label.text()
    assert Settings.load(path).models.embedder == MULTILINGUAL  # nothing written
    folder = str(bundled.embedder_dir())
    d.embedder_folder.setText(folder)
    save.click()
    assert not d.isVisible() and Settings.load(path).models.embedder == folder

    d = dialog_for(Settings.load(path))
    assert d.embedder_choice.currentIndex() == 2 and d.embedder_folder.text() == folder
    assert d.embedder_folder_row.isVisible()
    d.embedder_choice.setCurrentIndex(0)
    d.buttons.button(QDialogButtonBox.Save).click()
    assert Settings.load(path).models.embedder == "" and d.restart_needed == ["embedder"]

    # a file naming the default model keeps its value (and needs no restart)
    named = Settings()
    named.models.embedder = ENGLISH
    d = dialog_for(named)
    assert d.embedder_choice.currentIndex() == 0
    assert d.edited_settings().models.embedder == ENGLISH
