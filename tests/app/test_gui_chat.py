"""The chat panel with the real window, model, embedder and documents (offscreen Qt):
streaming, citation links, the sources panel, the in-app source viewer, reopening chats."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication

from app.context import Context
from app.home import Home
from app.settings import Settings
from tests.app.test_gui import window  # noqa: F401  (the fixture)
from tests.conftest import MD_DIR, SEC_DIR, require

QUESTION = "What were Apple's total net sales for the quarter?"


def ask(chat, qtbot, question: str) -> list[tuple[int, bool]]:
    """Send ``question`` with Enter and wait for the answer; the (view length, answer
    finished) seen at each change of the conversation view."""
    seen: list[tuple[int, bool]] = []

    def on_change():
        seen.append((len(chat.transcript_text()), chat.last_done is not None))

    chat.last_done = None
    chat.transcript.changed.connect(on_change)
    chat.question.setPlainText(question)
    qtbot.keyClick(chat.question, Qt.Key_Return)
    assert chat.busy
    qtbot.waitUntil(lambda: chat.last_done is not None and not chat.busy, timeout=300_000)
    chat.transcript.changed.disconnect(on_change)
    return seen


def open_window(home: Path, qtbot):
    from app.gui.main_window import MainWindow

    w = MainWindow(Context(home=Home.open(home), settings=Settings()))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "Ready", timeout=120_000)
    return w


def test_answer_citations_sources_viewer_and_reopening(window, qtbot, tmp_path, wenji_home):
    pdf = tmp_path / "apple.pdf"
    shutil.copy(require(SEC_DIR / "2023 Q3 AAPL.pdf"), pdf)
    md = tmp_path / "query-params.md"
    shutil.copy(require(MD_DIR / "en/docs/tutorial/query-params.md"), md)
    window.ingest([str(pdf), str(md)])
    qtbot.waitUntil(lambda: window.last_report is not None, timeout=300_000)
    chat = window.chat
    changes = []
    chat.chatsChanged.connect(lambda: changes.append(chat.chat_id))

    # --- the answer streams in, then is rendered with citation links ------------------
    seen = ask(chat, qtbot, QUESTION)
    done = chat.last_done
    assert done.grounded and done.generated and done.answer.strip()
    streaming = [n for n, finished in seen if not finished]
    assert len(set(streaming)) >= 3 and max(streaming) > min(streaming), \
        "the view did not grow piece by piece before the answer was done"
    assert changes and changes[-1] == chat.chat_id  # created + question + answer saved
    assert done.citations, f"no citations for: {done.answer!r}"
    urls = chat.citation_urls()
    assert urls == [f"cite:0.{c.n}" for c in done.citations]
    from app.gui.sources_panel import source_place

    chips = {b.property("source"): b for b in chat.answers[-1].bubble.chip_buttons()}
    assert sorted(chips) == sorted(c.n for c in done.citations)
    for c in done.citations:  # a chip per citation: the passage on hover
        tip = chips[c.n].toolTip()
        assert f"[{c.n}] {source_place(c.source)}" in tip
        assert " ".join(c.source.text.split())[:30] in tip.replace("<br>", " ") or "<span" in tip
        assert c.inferred == ("Inferred" in tip) == chips[c.n].text().startswith("≈")

    # --- the sources panel: labels, cited marks, explanations, highlighted matches ----
    assert chat.sources.count() == len(done.sources) >= 1
    first = chat.sources.item(0).text()
    assert source_place(done.sources[0]) in first and "apple.pdf" in first.lower()
    cited = done.citations[0]
    row = [s.n for s in done.sources].index(cited.n)
    # the mark says how the source was cited: written or inferred, or (when the small
    # model cited nothing) its sentence closest to the question quoted after the answer
    mark = "✓ quoted" if cited.quoted else "✓ cited"
    assert mark in chat.sources.item(row).text()
    chat.sources.setCurrentRow(row)
    detail = chat.sources_panel.detail.toHtml()
    assert "Keyword search" in chat.sources_panel.detail.toPlainText()
    assert "#ffe27a" in detail  # the matched words are highlighted
    assert cited.source.explanation.get("matched")

    # --- clicking a citation opens the document at the cited page, passage found ------
    next(iter(chips.values())).click()  # the first chip, as a click
    viewer = chat.viewer
    assert chat.side_tabs.currentWidget() is viewer
    assert viewer.current_path == str(pdf) == cited.source.path
    assert viewer.current_page() == cited.source.page  # both 1-based
    assert viewer.highlight_found and viewer.highlight_text
    assert viewer.pdf_view.currentSearchResultIndex() >= 0

    # --- copy ------------------------------------------------------------------------
    assert chat.copy_answer() == done.answer
    assert QGuiApplication.clipboard().text() == done.answer

    # --- a Markdown passage opens rendered, at its heading, highlighted ----------------
    engine = window.services.answer_engine(chat.kb_name)
    md_sources, _ = engine.find_sources("query parameter type conversion bool short", "en")
    md_source = next(s for s in md_sources if s.path == str(md) and s.heading)
    chat.open_source(md_source)
    assert viewer.current_path == str(md) and viewer.current_page() is None
    assert viewer.highlight_found
    heading = md_source.heading.split(" > ")[-1].split("{")[0].strip()
    assert heading in viewer.visible_text()

    # --- a question the documents cannot answer: the panel says so --------------------
    ask(chat, qtbot, "Who won the 2018 World Cup?")
    assert not chat.last_done.grounded
    assert "Not in your documents" in chat.sources_panel.header.text()
    assert chat.sources.count() >= 1

    # --- Esc while an answer streams: the text so far stays, marked as stopped --------
    chats = window.services.chats()
    chat.question.setPlainText("Describe Apple's products and services net sales in detail.")
    qtbot.keyClick(chat.question, Qt.Key_Return)
    qtbot.waitUntil(lambda: len(chat.answers[-1].answer) > 10, timeout=300_000)
    qtbot.keyClick(chat.question, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not chat.busy, timeout=60_000)
    assert chat.last_done.cancelled
    assert "(stopped)" in chat.transcript_text().rstrip().splitlines()[-1]
    saved = chats.messages(chat.chat_id)[-1]
    assert saved.role == "assistant" and saved.meta["cancelled"] and saved.content.strip()

    # --- opening another chat while an answer streams stops it and saves it -----------
    first_chat = chat.chat_id
    chat.new_chat()
    chat.question.setPlainText(QUESTION)
    qtbot.keyClick(chat.question, Qt.Key_Return)
    second_chat = chat.chat_id
    assert second_chat != first_chat
    qtbot.waitUntil(lambda: bool(chat.answers and chat.answers[0].answer), timeout=300_000)
    chat.load_chat(first_chat)
    assert not chat.busy and chat.chat_id == first_chat
    assert "Describe Apple's products" in chat.transcript_text()
    stopped = chats.messages(second_chat)
    assert [m.role for m in stopped] == ["user", "assistant"] and stopped[1].meta["cancelled"]

    # --- after a restart, the saved conversation comes back with its links -------------
    chat_id = first_chat
    window.close()
    again = open_window(wenji_home, qtbot)
    try:
        again.chat.load_chat(chat_id)
        assert again.chat.chat_id == chat_id
        text = again.chat.transcript_text()
        assert len(again.chat.answers) == 3 and "(stopped)" in text
        assert QUESTION in text and done.answer.strip().split("\n")[0][:40] in text
        assert again.chat.citation_urls(0) == urls
        again.chat.open_link(QUrl(urls[0]))
        assert again.chat.viewer.current_page() == cited.source.page
        assert again.chat.viewer.highlight_found
    finally:
        again.close()


def test_viewer_names_a_missing_or_unreadable_file(qtbot, tmp_path):
    from app.gui.source_viewer import SourceViewer
    from answer.citations import Source

    viewer = SourceViewer()
    qtbot.addWidget(viewer)
    gone = Source(n=1, chunk_id="x", doc_id=1, path=str(tmp_path / "gone.pdf"), title="gone",
                  page=3, heading=None, start=0, end=10, text="some passage text here",
                  label="gone.pdf, page 3")
    assert viewer.show_source(gone) is False
    assert "gone.pdf" in viewer.message and "missing" in viewer.message
    assert viewer.stack.currentWidget() is viewer.message_label
    assert "gone.pdf" in viewer.message_label.text()

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    assert viewer.show_source(replace(gone, path=str(broken))) is False
    assert "broken.pdf" in viewer.message and viewer.current_path is None

    latin1 = tmp_path / "notes.md"
    latin1.write_bytes(b"\x00\x01\x02binary")
    assert viewer.show_source(replace(gone, path=str(latin1), page=None, heading="Notes")) is False
    assert "notes.md" in viewer.message and "binary" in viewer.message


@pytest.mark.parametrize("name", ["en/docs/tutorial/cookie-param-models.md",
                                  "zh/docs/tutorial/query-params.md"])
def test_markdown_passages_are_found_under_their_heading(qtbot, name):
    """Every section of a real Markdown file opens at its heading with the passage
    highlighted (HTML inside the file and Chinese text included)."""
    from app.gui.source_viewer import SourceViewer, plain_heading
    from ingest.loaders import load
    from answer.citations import Source

    path = require(MD_DIR / name)
    viewer = SourceViewer()
    qtbot.addWidget(viewer)
    viewer.resize(700, 500)
    viewer.show()
    sections = [s for s in load(path).sections if s.heading and len(s.text) > 200]
    assert len(sections) >= 3
    for sec in sections:
        source = Source(n=1, chunk_id="x", doc_id=1, path=str(path), title="t", page=None,
                        heading=sec.heading, start=0, end=len(sec.text), text=sec.text[:900],
                        label=sec.heading)
        assert viewer.show_source(source)
        assert viewer.highlight_found, sec.heading
        assert plain_heading(sec.heading) in " ".join(viewer.visible_text().split()), sec.heading


def test_sources_panel_explains_highlights_and_opens_passages(qtbot):
    from app.gui.sources_panel import SourcesPanel
    from answer.citations import Citation, Source

    panel = SourcesPanel()
    qtbot.addWidget(panel)
    a = Source(n=1, chunk_id="a", doc_id=1, path="/docs/apple.pdf", title="apple", page=4,
               heading=None, start=0, end=60, label="apple.pdf, page 4",
               text="Total net sales were 81,797.\nServices net sales grew.",
               explanation={"keyword_rank": 1, "keyword_score": 7.25, "dense_rank": 3,
                            "dense_distance": 0.4123, "fused_score": 0.0321,
                            "matched": ["total", "net", "sale"]})
    b = Source(n=2, chunk_id="b", doc_id=1, path="/docs/apple.pdf", title="apple", page=9,
               heading=None, start=0, end=20, label="apple.pdf, page 9", text="Risk factors.",
               explanation={"keyword_rank": None, "keyword_score": None, "dense_rank": 1,
                            "dense_distance": 0.38, "fused_score": 0.0164, "matched": []})
    panel.show_sources([a, b], [Citation(1, a, inferred=True)], True, "total net sales")
    assert panel.list.count() == 2
    assert panel.list.item(0).text().startswith("[1] apple.pdf, page 4  ✓ cited (inferred)")
    assert "cited" not in panel.list.item(1).text()
    text = panel.detail.toPlainText()
    assert "rank 1, BM25 score 7.250" in text and "rank 3, cosine distance 0.4123" in text
    assert "0.0321" in text and "inferred" in text
    assert "Total, net, sales" in text  # the words as written, not the stems "total, net, sale"
    assert panel.detail.toHtml().count("#ffe27a") == 5
    panel.list.setCurrentRow(1)
    assert "not found by this search" in panel.detail.toPlainText()

    opened = []
    panel.sourceActivated.connect(opened.append)
    panel.list.itemActivated.emit(panel.list.item(1))
    panel.show_button.click()
    assert opened == [b, b]

    panel.show_sources([b], [], False, "who won the world cup")
    assert "Not in your documents" in panel.header.text()

    # a passage from a scanned page says so; a labelled page is named by its label
    from answer.prompts import source_label

    scan = Source(n=1, chunk_id="c", doc_id=2, path="/docs/order.pdf", title="order", page=7,
                  heading=None, start=0, end=30, text="SOLICITAÇÃO DE EMPENHO",
                  label=source_label("order", "/docs/order.pdf", 7, None, page_label="A-3"),
                  page_label="A-3", ocr=True)
    panel.show_sources([scan], [], True, "empenho")
    assert panel.list.item(0).text().startswith("[1] order.pdf, page A-3 · read by OCR")
    assert "read by OCR" in panel.detail.toPlainText()


def _apple_page_source(n: int, page: int) -> "Source":
    import pypdfium2

    from answer.citations import Source

    path = require(SEC_DIR / "2022 Q3 AAPL.pdf")
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        text = pdf[page - 1].get_textpage().get_text_range()
    finally:
        pdf.close()
    return Source(n=n, chunk_id=f"c{n}", doc_id=1, path=str(path), title="2022 Q3 AAPL",
                  page=page, heading=None, start=0, end=len(text), text=text,
                  label=f"2022 Q3 AAPL.pdf, page {page}")


def test_answer_checks_are_marked_in_the_conversation(window, qtbot):
    """A made-up reference is struck through and is no link; a figure found nowhere has
    a red wavy underline and says why; a figure found links to its source's page."""
    from PySide6.QtGui import QTextCharFormat, QTextCursor

    from answer.checks import check_answer
    from answer.citations import resolve_citations
    from answer.engine import AnswerDone

    sources = [_apple_page_source(1, 4), _apple_page_source(2, 17)]
    assert "82,959" in sources[0].text
    answer = ("According to source [7], total net sales were $12.3 billion. "
              "Total net sales were $83.0 billion [1].")
    citations = resolve_citations(answer, sources, [QUESTION])
    done = AnswerDone(QUESTION, answer, citations, sources, True, "en", QUESTION,
                      generated=True, check=check_answer(answer, sources, citations, [QUESTION]))
    chats = window.chat.chats_factory()
    chat_id = chats.create(kb="default").id
    chats.add_message(chat_id, "user", QUESTION)
    chats.add_answer(chat_id, done)
    window.chat.load_chat(chat_id)

    doc = window.chat.answer_view(0).document()
    text = doc.toPlainText()

    def fmt_at(needle: str, offset: int = 0) -> QTextCharFormat:
        at = text.index(needle) + offset
        cursor = QTextCursor(doc)
        cursor.setPosition(at + 1)
        return cursor.charFormat()

    invalid = fmt_at("[7]", 1)
    assert invalid.fontStrikeOut() and not invalid.isAnchor()
    assert "no source 7" in invalid.toolTip()
    missing = fmt_at("$12.3 billion", 2)
    assert missing.underlineStyle() == QTextCharFormat.WaveUnderline
    assert "Not in the sources" in missing.toolTip()
    found = fmt_at("$83.0 billion", 2)
    assert found.isAnchor() and found.anchorHref() == "figure:0.1"
    assert "82,959" in found.toolTip() and "page 4" in found.toolTip()
    assert window.chat.citation_urls(0) == ["cite:0.1"]
    footer = window.chat.transcript_text()
    footer = footer[footer.index("$83.0 billion"):]
    assert "1 figure not in the sources" in footer and "1 reference to no source" in footer
    # a click on the found figure opens its page
    window.chat.open_link(QUrl(found.anchorHref()))
    assert window.chat.viewer.current_page() == 4


def test_reasoning_streams_as_one_line_and_opens_on_request(window, qtbot):
    """Thinking streams as a counted line, ends collapsed above the answer, and opens
    and closes in place -- also for an earlier answer of a reopened chat."""
    from answer.engine import AnswerDone, Retrieved, TextPiece, ThinkingPiece
    from app.gui.chat_panel import AnswerRecord

    chat = window.chat
    sources = [_apple_page_source(1, 17)]
    thought = "The question asks about the chip. Source one names the M2 chip."
    chat.answers.append(AnswerRecord(question="Which chip?"))
    chat._begin_answer()
    chat._on_event(Retrieved("Which chip?", "Which chip?", sources, True, "en"))
    for word in thought.split(" "):
        chat._on_event(ThinkingPiece(word + " "))
    assert "Thinking… (12 words)" in chat.transcript_text()
    chat._on_event(TextPiece("The M2 chip [1]."))
    done = AnswerDone("Which chip?", "The M2 chip [1].", [], sources, True, "en",
                      "Which chip?", generated=True, thinking=thought)
    chat._on_event(done)
    text = chat.transcript_text()
    assert "▸ Reasoning (12 words) — show" in text and thought not in text
    assert "Thinking…" not in text
    assert text.index("Reasoning") < text.index("The M2 chip")
    index = len(chat.answers) - 1
    chat.open_link(QUrl(f"think:{index}"))
    assert thought in chat.transcript_text()
    chat.open_link(QUrl(f"think:{index}"))
    assert thought not in chat.transcript_text()

    # saved with the answer, reopened collapsed, and the first answer of two still opens
    chats = chat.chats_factory()
    chat_id = chats.create(kb="default").id
    for _ in range(2):
        chats.add_message(chat_id, "user", "Which chip?")
        chats.add_answer(chat_id, done)
    assert all(thought not in h["content"] for h in chats.history(chat_id))
    chat.load_chat(chat_id)
    assert chat.transcript_text().count("▸ Reasoning") == 2
    chat.open_link(QUrl("think:0"))
    text = chat.transcript_text()
    assert text.count(thought) == 1 and text.index(thought) < text.rindex("▸ Reasoning")
