"""The conversation's bubbles, chips and per-answer actions, the first-run page, and a
long saved chat shown a page at a time (real window, bundled models, offscreen)."""

import re
import shutil

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication

from tests.app.test_gui import window  # noqa: F401  (the fixture)
from tests.app.test_gui_chat import QUESTION, _apple_page_source
from tests.conftest import MD_DIR, require

ANSWER = ("Total net sales were **$83.0 billion** [1].\n\n"
          "| Segment | Net sales |\n|---|---|\n| iPhone | $40.7 billion |\n\n"
          "```python\ntotal = products + services\n```\n")


def _saved_chat(window, pairs: int = 1) -> int:
    from answer.checks import check_answer
    from answer.citations import resolve_citations
    from answer.engine import AnswerDone

    sources = [_apple_page_source(1, 4), _apple_page_source(2, 17)]
    citations = resolve_citations(ANSWER, sources, [QUESTION])
    done = AnswerDone(QUESTION, ANSWER, citations, sources, True, "en", QUESTION,
                      generated=True, model="qwen2.5-3b-instruct-q4_k_m.gguf",
                      check=check_answer(ANSWER, sources, citations, [QUESTION]))
    chats = window.chat.chats_factory()
    chat_id = chats.create(kb="default").id
    for i in range(pairs):
        chats.add_message(chat_id, "user", f"{QUESTION} ({i})")
        chats.add_answer(chat_id, done)
    return chat_id


def test_answer_bubble_chips_and_actions(window, qtbot, tmp_path):
    chat = window.chat
    window.open_chat(_saved_chat(window))
    assert chat.stack.currentWidget() is chat.transcript
    question, answer = chat.transcript.bubbles()
    assert question.objectName() == "questionBubble" and QUESTION in question.text
    # the answer: its model and time on top, Markdown rendered (a table, a code block)
    assert answer.header.text().startswith("Wenji · qwen2.5-3b-instruct-q4_k_m · ")
    doc = answer.text.document()
    assert "$83.0 billion" in doc.toPlainText() and "**" not in doc.toPlainText()
    assert "<table" in answer.text.toHtml()

    # one chip per citation: the passage (with the matched words marked) on hover
    chips = answer.chip_buttons()
    assert [c.property("source") for c in chips] == [c.n for c in chat.answers[0].citations]
    assert chips[0].property("source") == 1
    tip = chips[0].toolTip()
    shown = re.sub(r"<[^>]+>", "", tip)
    assert "[1] 2022 Q3 AAPL.pdf, page 4" in shown and "net sales" in shown.casefold()
    assert "<span" in tip  # the question's words highlighted in the passage
    assert chips[0].accessibleName() == "Source 1: 2022 Q3 AAPL.pdf, page 4"
    chips[0].click()  # opens the cited page
    assert chat.side_tabs.currentWidget() is chat.viewer
    assert chat.viewer.current_page() == 4

    # actions: copy, copy the code block, export, regenerate
    links = [b.property("link") for b in answer.action_buttons()]
    assert links == ["copy:0", "regenerate:0", "export:0", "code:0.0"]
    answer.action_buttons()[0].click()
    assert QGuiApplication.clipboard().text() == ANSWER
    answer.action_buttons()[3].click()
    assert QGuiApplication.clipboard().text() == "total = products + services"
    out = chat.export_answer(0, str(tmp_path / "answer.md"))
    text = (tmp_path / "answer.md").read_text(encoding="utf-8")
    assert out and f"## Q: {QUESTION} (0)" in text and "$83.0 billion" in text
    assert "2022 Q3 AAPL.pdf, page 4" in text and "page 17" in text
    # a question with no saved chat cannot be exported; a bad folder is named
    assert chat.export_answer(0, str(tmp_path / "missing" / "a.md")) is None
    assert "missing" in window.statusBar().currentMessage()


def test_a_long_chat_is_shown_a_page_at_a_time(window, qtbot):
    from app.gui.chat_messages import FIRST_SHOWN, PAGE

    chat = window.chat
    chat_id = _saved_chat(window, pairs=150)  # 300 messages
    window.open_chat(chat_id)
    assert len(chat.answers) == 150 and len(chat.transcript.rows) == FIRST_SHOWN
    bar = chat.transcript.verticalScrollBar()
    assert bar.value() == bar.maximum() > 0  # at the end
    first_shown = chat.transcript.bubbles()[0]
    bar.setValue(0)  # the reader reaches the top: earlier messages arrive above
    qtbot.waitUntil(lambda: len(chat.transcript.rows) == FIRST_SHOWN + PAGE, timeout=5_000)
    qtbot.waitUntil(lambda: bar.value() > 0, timeout=5_000)  # what was shown stays in view
    assert chat.transcript.bubbles()[PAGE] is first_shown  # built in steps, shown at once
    while chat.show_earlier():
        pass
    assert len(chat.transcript.rows) == 300
    assert chat.transcript.bubbles()[0].text == f"{QUESTION} (0)"
    # citations of the earliest answer still open their own sources
    assert chat.citation_urls(0)[0] == "cite:0.1"
    chat.open_link(QUrl("cite:0.1"))
    assert chat.viewer.current_page() == 4


def test_first_run_page_guides_to_documents_models_and_questions(window, qtbot, tmp_path):
    chat = window.chat
    empty = chat.empty
    assert chat.stack.currentWidget() is empty  # no chat yet
    assert empty.drop.add_files.isVisible() and empty.drop.add_folder.isVisible()
    # the bundled model is named as a demonstration, with a way to a better one
    assert "gemma-3-270m" in empty.model_line.text() and "demonstration" in empty.model_line.text()
    assert empty.better_model.isVisible()
    assert not empty.examples.isVisible()  # nothing to ask about yet
    empty.better_model.click()
    qtbot.waitUntil(lambda: window._catalog_dialog.isVisible(), timeout=10_000)
    window._catalog_dialog.close()

    note = tmp_path / "first-steps.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
    window.ingest([str(note)])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=180_000)
    qtbot.waitUntil(lambda: empty.examples.isVisible(), timeout=10_000)
    questions = [b.text() for b in empty.example_buttons]
    assert questions[0] == "Summarize first-steps.md"
    empty.example_buttons[0].click()  # asks it
    assert chat.busy and chat.stack.currentWidget() is chat.transcript
    qtbot.waitUntil(lambda: not chat.busy, timeout=600_000)
    assert chat.last_done is not None and chat.last_done.answer.strip()
    chat.new_chat()
    assert chat.stack.currentWidget() is empty


def test_bubble_and_chip_colours_pass_wcag_aa_in_both_themes(qapp):
    from PySide6.QtGui import QPalette

    from app.gui import theme
    from app.gui.chat_messages import chat_colors

    for mode in ("light", "dark"):
        palette = theme.palette(mode)
        c = chat_colors(palette)
        assert (palette.color(QPalette.Window).lightness() < 128) == (mode == "dark")
        pairs = [("question_text", "question"), ("muted", "question"), ("text", "answer"),
                 ("muted", "answer"), ("chip_text", "chip"), ("chip_text", "chip_hover"),
                 ("chip_text", "chip_inferred"), ("warning", "answer"), ("link", "answer")]
        low = [(t, b, round(theme.contrast_ratio(c[t], c[b]), 2)) for t, b in pairs
               if theme.contrast_ratio(c[t], c[b]) < 4.5]
        assert not low, f"{mode}: below 4.5:1: {low}"
    assert theme.contrast_ratio("#777777", "#888888") < 1.5  # the measure can fail


def test_message_times_follow_the_interface_language(qapp):
    import time

    from app.gui.chat_messages import message_time
    from app.gui.translations import apply_language

    three_days_ago = time.time() - 3 * 86400
    try:
        apply_language(qapp, "zh")
        chinese = message_time(three_days_ago)
        assert re.match(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}$", chinese), chinese
        apply_language(qapp, "en")
        english = message_time(three_days_ago)
    finally:
        apply_language(qapp, "en")
    assert english != chinese and re.search(r"\d{1,2}:\d{2}", english)
    assert ":" in message_time(time.time()) and "/" not in message_time(time.time())
