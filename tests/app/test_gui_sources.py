"""The sources panel's cards (offscreen Qt): real SEC filings' pages, their pictures
rendered off the GUI thread, keys, and colours that read in a light and a dark theme."""

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from tests.conftest import MD_DIR, SEC_DIR, require

QUERY = "What were Apple's total net sales?"
MATCHED = ["appl", "total", "net", "sale"]


def pdf_source(n: int, name: str, page: int, keyword_rank=1, dense_rank=3):
    """A Source as the answer engine makes it, of a real page's text."""
    import pypdfium2

    from answer.citations import Source

    path = require(SEC_DIR / name)
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        text = pdf[page - 1].get_textpage().get_text_range()
    finally:
        pdf.close()
    return Source(n=n, chunk_id=f"c{n}", doc_id=n, path=str(path), title=path.stem, page=page,
                  heading=None, start=0, end=len(text), text=text,
                  label=f"{name}, page {page}",
                  explanation={"keyword_rank": keyword_rank, "keyword_score": 8.7,
                               "dense_rank": dense_rank, "dense_distance": 0.26,
                               "fused_score": 0.86, "matched": MATCHED})


def markdown_source(n: int):
    from answer.citations import Source

    path = require(MD_DIR / "en/docs/tutorial/query-params.md")
    return Source(n=n, chunk_id="md", doc_id=9, path=str(path), title="Query Parameters",
                  page=None, heading="Query Parameters > Query parameter type conversion",
                  start=0, end=60, text="You can also declare bool types, and they will be "
                  "converted.", label="query-params.md, Query Parameters > Query parameter "
                  "type conversion", explanation={"keyword_rank": 4, "matched": ["bool"]})


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in [(QPalette.Window, "#2b2b2b"), (QPalette.WindowText, "#e8e8e8"),
                         (QPalette.Base, "#1f1f1f"), (QPalette.AlternateBase, "#2a2a2a"),
                         (QPalette.Text, "#e8e8e8"), (QPalette.Button, "#353535"),
                         (QPalette.ButtonText, "#e8e8e8"), (QPalette.Highlight, "#3d7be0"),
                         (QPalette.HighlightedText, "#ffffff")]:
        palette.setColor(role, QColor(colour))
    return palette


@pytest.fixture
def panel(qtbot):
    from app.gui.page_thumbnails import ThumbnailCache
    from app.gui.sources_panel import SourcesPanel

    p = SourcesPanel()
    p.thumbnails.cache = ThumbnailCache()  # each test renders its own pictures
    qtbot.addWidget(p)
    p.resize(360, 700)
    return p


def test_cards_name_the_page_the_citation_and_mark_the_matched_words(panel):
    from answer.citations import Citation

    a, b = pdf_source(1, "2022 Q3 AAPL.pdf", 4), pdf_source(2, "2023 Q1 AAPL.pdf", 20, None, 7)
    md = markdown_source(3)
    panel.show_sources([a, b, md], [Citation(1, a), Citation(2, b, inferred=True)], True, QUERY)
    assert panel.count() == panel.list.count() == 3 and panel.current_row() == 0
    first, second, third = panel.list.cards()
    assert first.name.text() == "2022 Q3 AAPL.pdf" and first.where.text() == "page 4"
    assert first.mark.text() == "✓ cited" and second.mark.text() == "✓ inferred"
    assert first.why.text() == "keyword #1 · meaning #3" and second.why.text() == "meaning #7"
    assert third.where.text() == "Query Parameters › Query parameter type conversion"
    assert not third.mark.isVisibleTo(third)
    assert first.accessibleName() == "Source 1: 2022 Q3 AAPL.pdf, page 4"
    assert "keyword search" in first.toolTip().lower()  # the whole explanation
    # the older list's text, which the chat tests and tools read
    assert panel.list.item(1).text().startswith("[2] 2023 Q1 AAPL.pdf, page 20  ✓ cited (inferred)")

    # the excerpt: a few lines around the matched words, on the marker
    html = first.excerpt.text()
    assert "background-color:#ffe27a" in html
    assert ">sales<" in html.replace("Sales", "sales") or ">Net sales<" in html
    assert len(first.excerpt.text()) < len(a.text)
    assert first.excerpt.maximumHeight() <= 3 * first.excerpt.fontMetrics().lineSpacing()


def test_a_page_picture_arrives_and_a_missing_file_keeps_the_glyph(panel, qtbot, tmp_path):
    a = pdf_source(1, "2022 Q3 AAPL.pdf", 4)
    gone = replace(a, n=2, path=str(tmp_path / "gone.pdf"), label="gone.pdf, page 4")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    bad = replace(a, n=3, path=str(broken), label="broken.pdf, page 4")
    past_end = replace(a, n=4, page=999)
    md = markdown_source(5)
    panel.show_sources([a, gone, bad, past_end, md], [], True, QUERY)
    cards = panel.list.cards()
    assert cards[4].thumbnail_state == "placeholder"  # Markdown: at once, nothing to render
    qtbot.waitUntil(lambda: not panel.thumbnails.busy, timeout=10_000)
    assert [c.thumbnail_state for c in cards] == ["page", "placeholder", "placeholder",
                                                  "placeholder", "placeholder"]
    picture = cards[0].thumb.pixmap()
    dpr = panel.devicePixelRatioF()
    assert not picture.isNull() and picture.width() == round(70 * dpr)
    assert picture.height() > picture.width()  # a portrait page
    assert picture.toImage().pixelColor(2, 2) == QColor("white")  # not transparent

    # shown again: from the cache, at once
    panel.show_sources([a], [], True, QUERY)
    assert panel.list.item(0).thumbnail_state == "page" and not panel.thumbnails.busy


def test_a_new_answer_drops_the_pictures_of_the_last(qtbot):
    from app.gui.page_thumbnails import ThumbnailCache, ThumbnailLoader

    path = str(require(SEC_DIR / "2022 Q3 AAPL.pdf"))
    loader = ThumbnailLoader(cache=ThumbnailCache())
    delivered = []
    loader.ready.connect(lambda key, image: delivered.append(key))
    old = [(path, page, 70) for page in range(1, 9)]
    for key in old:
        loader.request(key)
    loader.new_batch()
    new = (path, 12, 70)
    loader.request(new)
    qtbot.waitUntil(lambda: new in delivered, timeout=10_000)
    qtbot.wait(200)
    assert delivered == [new]
    assert len(loader.cache) <= 2  # the old renders were dropped, one may have been under way


def test_keys_move_between_cards_and_enter_opens_one(panel, qtbot):
    sources = [pdf_source(n, "2022 Q3 AAPL.pdf", page) for n, page in ((1, 4), (2, 5), (3, 6))]
    panel.show_sources(sources, [], True, QUERY)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    first, second, third = panel.list.cards()
    # one tab stop: the current card
    assert first.focusPolicy() == Qt.StrongFocus and second.focusPolicy() == Qt.ClickFocus
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)

    qtbot.keyClick(first, Qt.Key_Down)
    assert panel.current_row() == 1 and second.hasFocus()
    assert second.property("selected") and not first.property("selected")
    assert "page 5" in panel.detail.toPlainText()
    qtbot.keyClick(second, Qt.Key_End)
    assert panel.current_row() == 2 and third.hasFocus()
    qtbot.keyClick(third, Qt.Key_Down)  # stays on the last
    assert panel.current_row() == 2

    opened = []
    panel.sourceActivated.connect(opened.append)
    qtbot.keyClick(third, Qt.Key_Return)
    assert opened == [sources[2]]
    qtbot.mouseClick(first, Qt.LeftButton)
    assert panel.current_row() == 0
    qtbot.mouseDClick(first, Qt.LeftButton)
    assert opened == [sources[2], sources[0]]
    panel.select(2)
    assert panel.current_row() == 1


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_card_text_reads_on_the_card_in_both_themes(panel, theme):
    from app.gui.theme import contrast_ratio

    if theme == "dark":
        panel.setPalette(dark_palette())
    panel.show_sources([pdf_source(1, "2022 Q3 AAPL.pdf", 4)], [], True, QUERY)
    card = panel.list.item(0)
    card.ensurePolished()
    card.name.ensurePolished()
    c = panel._colours
    assert (c.background.lightness() < 128) == (theme == "dark")
    shown = card.name.palette().color(card.name.foregroundRole())
    assert shown == c.text  # the style sheet gives the card's labels these colours
    for fg, bg in [(c.text, c.background), (c.muted, c.background), (c.text, c.selected),
                   (c.muted, c.selected), (c.marker_text, c.marker),
                   (c.accent_text, c.accent)]:
        assert contrast_ratio(fg, bg) >= 4.5, (theme, fg.name(), bg.name())
    assert f"background-color:{c.marker.name()}" in card.excerpt.text()
    assert f"background-color:{c.marker.name()}" in panel.detail.toHtml()


def test_a_card_selected_right_after_the_answer_is_scrolled_into_view(panel, qtbot):
    """A click on citation [12] shows the answer's sources and selects card 12 at once,
    before the cards have been laid out."""
    from PySide6.QtCore import QRect

    text = pdf_source(1, "2022 Q3 AAPL.pdf", 4)
    sources = [replace(text, n=n, chunk_id=f"c{n}", path=f"/gone/{n}.pdf") for n in range(1, 13)]
    panel.resize(360, 500)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_sources(sources, [], True, QUERY)
    panel.select(12)
    viewport = panel.list.viewport()
    last = panel.list.item(11)

    def in_view() -> bool:
        return viewport.rect().contains(QRect(last.mapTo(viewport, last.rect().topLeft()),
                                              last.size()))

    qtbot.waitUntil(in_view, timeout=2000)
    panel.show_sources(sources[:3], [], True, QUERY)  # the next answer starts at the top
    assert panel.list.verticalScrollBar().value() == 0
