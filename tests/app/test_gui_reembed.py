"""Knowledge bases built with another embedder than the current one, in the real window
(offscreen Qt, real Chroma and embedders): the bar above the chat, the question answered
with the old bundled embedder or refused for a foreign one, re-embedding with the ingest
progress; and the settings dialog's embedder choice."""

import shutil

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.app.test_gui_shell import make_window
from tests.conftest import MD_DIR, require

ENGLISH = "all-MiniLM-L6-v2"
MULTILINGUAL = "multilingual-e5-small"


def english_kb(home: Home, shared_cache, tmp_path) -> str:
    """The knowledge base "default" with one Markdown file, embedded with the English
    embedder (all-MiniLM-L6-v2), int8 to keep the test fast; returns the file's path."""
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
        qtbot, wenji_home, shared_cache, tmp_path, multilingual):
    # (``multilingual`` makes e5's folder and int8 export in the shared cache first: the
    # window's start-up then only loads them)
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

        # a bundled embedder still searches its knowledge base until it is re-embedded
        assert "still searched with" in text
        engine = w._answer_engine()
        sources, _ = engine.find_sources("run the FastAPI app with uvicorn", "en")
        assert sources and sources[0].path == doc

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


def test_a_knowledge_base_of_a_foreign_embedder_is_refused_with_a_pointer(
        qtbot, wenji_home, shared_cache, tmp_path):
    """A knowledge base recorded with a model that is not bundled (a folder chosen once)
    cannot be searched: the question is refused with a pointer to re-embedding, not the
    raw core error."""
    from ingest.store.library import Library

    home = Home.open(wenji_home)
    english_kb(home, shared_cache, tmp_path)
    library = Library(home.store_dir)
    try:
        library.catalog.set_kb_embedder(library.kb("default"), "my-own-model")
    finally:
        library.close()
    settings = Settings()
    settings.models.embedder = ENGLISH
    settings.models.embedder_backend = "onnx"
    w = make_window(qtbot, wenji_home, settings)
    try:
        bar = w.reembed_bar
        qtbot.waitUntil(bar.isVisible, timeout=10_000)
        assert "cannot be searched until it is re-embedded" in bar.label.text()
        w.chat.question.setPlainText("How do I run the first FastAPI app?")
        w.chat.send()
        assert not w.chat.busy
        shown = w.chat.error_line.text()
        assert "Re-embed now" in shown and "Re-embed knowledge base" in shown
        assert "my-own-model" in shown
        assert "Re-embed now" in w.statusBar().currentMessage()
        assert w.chat.question.toPlainText()  # the question stays in the box
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

    def save_choice(index, settings=None):
        """Pick choice ``index`` in a fresh dialog and save; returns the dialog."""
        d = dialog_for(settings or Settings.load(path))
        d.embedder_choice.setCurrentIndex(index)
        assert not d.embedder_folder_row.isVisible()
        d.buttons.button(QDialogButtonBox.Save).click()
        assert not d.isVisible()
        return d

    d = dialog_for(Settings())
    choices = [d.embedder_choice.itemText(i) for i in range(d.embedder_choice.count())]
    assert choices == ["Multilingual + English (default)", "English only (fastest)",
                       "Multilingual only", "Other folder…"]
    assert d.embedder_choice.currentIndex() == 0 and not d.embedder_folder_row.isVisible()
    hint = d.findChild(QLabel, "embedderHint").text()
    assert "Chinese and English" in hint and "twice as fast" in hint and "re-embedded" in hint

    def fits(d):  # tall enough for the wrapped hint (Qt opens windows at their minimum)
        qtbot.waitUntil(lambda: d.height() >= d.heightForWidth(d.width()), timeout=2_000)

    fits(d)
    d.buttons.button(QDialogButtonBox.Save).click()
    assert Settings.load(path).models.embedder == "" and d.restart_needed == []

    # each bundled choice writes its name, and is shown again when the dialog reopens
    for index, value in [(1, ENGLISH), (2, MULTILINGUAL), (0, "")]:
        d = save_choice(index)
        assert Settings.load(path).models.embedder == value
        assert d.restart_needed == ["embedder"]  # the window says: restart to use it
        assert dialog_for(Settings.load(path)).embedder_choice.currentIndex() == index
    assert (bundled.EMBEDDER_NAME, bundled.MULTILINGUAL_NAME) == (ENGLISH, MULTILINGUAL)

    # an unchanged choice writes nothing new and needs no restart
    for index in (1, 1):
        d = save_choice(index)
    assert Settings.load(path).models.embedder == ENGLISH and d.restart_needed == []

    d = dialog_for(Settings.load(path))
    d.embedder_choice.setCurrentIndex(3)
    assert d.embedder_folder_row.isVisible()
    fits(d)  # the window grew for the folder field
    save = d.buttons.button(QDialogButtonBox.Save)
    save.click()  # no folder given
    assert d.isVisible() and "choose the embedder's folder" in d.error_label.text()
    d.embedder_folder.setText(str(wenji_home))  # not a model folder
    save.click()
    assert d.isVisible() and "not a sentence-transformers model folder" in d.error_label.text()
    assert Settings.load(path).models.embedder == ENGLISH  # nothing written
    folder = str(bundled.embedder_dir())
    d.embedder_folder.setText(folder)
    save.click()
    assert not d.isVisible() and Settings.load(path).models.embedder == folder

    d = dialog_for(Settings.load(path))
    assert d.embedder_choice.currentIndex() == 3 and d.embedder_folder.text() == folder
    assert d.embedder_folder_row.isVisible()
    d.embedder_choice.setCurrentIndex(0)
    d.buttons.button(QDialogButtonBox.Save).click()
    assert Settings.load(path).models.embedder == "" and d.restart_needed == ["embedder"]

    # a file naming the default pair shows it as the default and keeps its value (no restart)
    named = Settings()
    named.models.embedder = bundled.PAIR_NAME
    named.save(path)
    d = dialog_for(Settings.load(path))
    assert d.embedder_choice.currentIndex() == 0
    assert d.edited_settings().models.embedder == bundled.PAIR_NAME
    d.buttons.button(QDialogButtonBox.Save).click()
    assert Settings.load(path).models.embedder == bundled.PAIR_NAME and d.restart_needed == []
    # choosing English only from there is a change
    save_choice(1)
    assert Settings.load(path).models.embedder == ENGLISH


def test_settings_embedder_choice_in_chinese(qtbot, wenji_home):
    from PySide6.QtWidgets import QApplication

    from app.gui.settings_dialog import SettingsDialog
    from app.gui.translations import apply_language

    apply_language(QApplication.instance(), "zh")
    try:
        d = SettingsDialog(Context(home=Home.open(wenji_home), settings=Settings()))
        qtbot.addWidget(d)
        choices = [d.embedder_choice.itemText(i) for i in range(d.embedder_choice.count())]
        assert choices == ["多语言 + 英文（默认）", "仅英文（最快）", "仅多语言", "其他文件夹…"]
        assert "快一倍" in d.findChild(QLabel, "embedderHint").text()
    finally:
        apply_language(QApplication.instance(), "en")
