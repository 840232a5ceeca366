"""Every string the Chinese window shows is Chinese: the widgets' texts, tooltips, tab
titles, tree headers and cells, menus and toolbar actions are walked in its main states
(first run, a library with a file that failed, a saved chat with its chips, actions and
source cards, the settings dialog) and compared with the English window in the same
states.  What may stay as it is: the person's own data (file names, the question, the
answer, passages, model and knowledge-base names, paths, numbers) and a few names
that are not words of either language (PDF, Markdown, Ctrl+N, ...)."""

import re
import shutil

import pytest
from PySide6.QtWidgets import (QAbstractButton, QApplication, QGroupBox, QLabel, QLineEdit,
                               QPlainTextEdit, QTabWidget, QTextBrowser, QTreeWidget,
                               QWidget)

from app.settings import Settings
from tests.app.test_gui_chat_bubbles import _saved_chat
from tests.app.test_gui_shell import make_window
from tests.conftest import MD_DIR, require

ALLOWED = {"wenji", "pdf", "markdown", "gguf", "bm25", "ocr", "ctrl", "shift", "enter",
           "esc", "alt", "tab", "del", "delete", "backspace", "pgup", "pgdown", "home",
           "end", "up", "down", "left", "right", "space", "return", "mb", "gb", "kb", "md",
           "toml", "q4_k_m", "huggingface", "hf", "url", "gpu", "cpu", "ram", "json", "zip",
           "sec", "utc", "sha", "id", "f1", "f5", "ins", "print", "menu", "meta", "top"}
WORD = re.compile(r"[A-Za-z][A-Za-z_']+")
SKIP_NAMES = {"answerText", "questionText", "sourceDetail", "sourceExcerpt", "markdownView"}


def _plain(text: str) -> str:
    if "<" in text and ">" in text:
        text = re.sub(r"<[^>]+>", " ", text)
    return text


def shown_strings(window) -> list[tuple[str, str]]:
    """(where, text) of every visible string of the window and its open dialogs."""
    out: list[tuple[str, str]] = []

    def add(where: str, text: str) -> None:
        if text and text.strip():
            out.append((where, _plain(text)))

    roots = [window] + [w for w in QApplication.topLevelWidgets()
                        if w is not window and w.isVisible()]
    for root in roots:
        add("title", root.windowTitle())
        for w in [root] + root.findChildren(QWidget):
            if not w.isVisible() or w.objectName() in SKIP_NAMES:
                continue
            if any(p.objectName() in SKIP_NAMES for p in _parents(w)):
                continue
            where = f"{type(w).__name__}#{w.objectName()}"
            tip = w.toolTip()
            if w.objectName() == "citationChip":  # its last paragraph is the passage
                tip = tip[:tip.rfind("<p>")]
            add(where + " tooltip", tip)
            if isinstance(w, QLabel):
                add(where, w.text())
            elif isinstance(w, QAbstractButton):
                add(where, w.text())
            elif isinstance(w, QGroupBox):
                add(where, w.title())
            elif isinstance(w, (QLineEdit, QPlainTextEdit)):
                add(where + " placeholder", w.placeholderText())
            elif isinstance(w, QTabWidget):
                for i in range(w.count()):
                    add(where + " tab", w.tabText(i))
            elif isinstance(w, QTreeWidget):
                header = w.headerItem()
                for c in range(header.columnCount()):
                    add(where + " header", header.text(c))
                for i in range(w.topLevelItemCount()):
                    top = w.topLevelItem(i)
                    for item in [top] + [top.child(j) for j in range(top.childCount())]:
                        for c in range(1, item.columnCount()):  # column 0: names
                            add(where + " cell", item.text(c))
                            add(where + " cell tooltip", item.toolTip(c))
    for menu_action in window.menuBar().actions():
        add("menu", menu_action.text())
        menu = menu_action.menu()
        for action in (menu.actions() if menu else []):
            if not action.isSeparator():
                add("menu item", action.text())
    return out


def _parents(w):
    p = w.parentWidget()
    while p is not None:
        yield p
        p = p.parentWidget()


def untranslated(strings, data: list[str]) -> list[tuple[str, str]]:
    """The strings with an English word left once the person's data is taken out."""
    bad = []
    for where, text in strings:
        rest = text
        for d in sorted(data, key=len, reverse=True):
            rest = rest.replace(d, " ")
        rest = re.sub(r"\S*[/\\]\S*", " ", rest)  # paths
        rest = re.sub(r"技术细节：[^）]*）", " ", rest)  # a library's own message, named so
        words = [w for w in WORD.findall(rest) if w.casefold() not in ALLOWED]
        if words:
            bad.append((where, text))
    return bad


def _states(window, qtbot, tmp_path):
    """The main states, each as (name, strings shown)."""
    seen = [("first run", shown_strings(window))]
    tmp_path.mkdir(parents=True, exist_ok=True)
    note = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 40)
    window.ingest([str(note), str(broken)])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    qtbot.waitUntil(lambda: window.chat.empty.examples.isVisible(), timeout=10_000)
    seen.append(("library", shown_strings(window)))
    window.open_chat(_saved_chat(window))
    window.chat.show_answer_sources(0, select=1)
    seen.append(("chat", shown_strings(window)))
    dialog = window.open_settings()
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    seen.append(("settings", shown_strings(window)))
    dialog.reject()
    return seen


DATA = ["first-steps.md", "broken.pdf", "2022 Q3 AAPL.pdf", "2022 Q3 AAPL", "default",
        "What were Apple's total net sales for the quarter?", "Apple",
        "qwen2.5-3b-instruct-q4_k_m", "gemma-3-270m-q4_k_m", "Gemma 3 270m", "Q4_K_M",
        "First Steps", "multilingual-e5-small+all-MiniLM-L6-v2", "all-MiniLM-L6-v2",
        "multilingual-e5-small", "FastAPI", "hf-mirror.com", "https://hf-mirror.com",
        "ingest.max_file_mb", "%PDF", "Hugging Face"]


@pytest.fixture
def restore_english(qapp):
    from app.gui.translations import apply_language

    yield
    apply_language(QApplication.instance(), "en")


def test_the_chinese_window_shows_no_english_string(qtbot, tmp_path, restore_english,
                                                    shared_cache):
    shown = {}
    for language in ("en", "zh"):
        settings = Settings()
        settings.ui.language = language
        home = tmp_path / f"home-{language}"  # made as the wenji_home fixture makes one
        (home / "models").mkdir(parents=True)
        (home / "models" / "embedders").symlink_to(shared_cache / "embedders")
        window = make_window(qtbot, home, settings)
        try:
            shown[language] = _states(window, qtbot, tmp_path / language)
        finally:
            window.close()
    english = {text for _state, strings in shown["en"] for _w, text in strings}
    # the walk sees the English interface's words, so it can see untranslated ones
    assert untranslated([("en", t) for t in english], DATA)
    problems = []
    for state, strings in shown["zh"]:
        for where, text in untranslated(strings, DATA):
            problems.append(f"{state}: {where}: {text!r}"
                            + (" (as in English)" if text in english else ""))
    assert not problems, "English left in the Chinese window:\n" + "\n".join(problems)
