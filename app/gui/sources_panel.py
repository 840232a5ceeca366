"""The passages behind one answer, and why retrieval picked each of them.

Each source is a card (see :mod:`app.gui.source_card`): a picture of its PDF page, its
number, document and page or heading, whether the answer cites it (and whether that
citation was inferred), a few lines around the first matched word with the matched
words marked, and a line saying why it was picked ("keyword #22 · meaning #1").  The
selected card's passage is shown in full below, with the whole explanation: the keyword
lane's rank and BM25 score, the embedding lane's rank and cosine distance, the fused
score.  The facts come from the core (``Source.explanation``); this panel only presents
them.  Activating a card (double-click, Enter, or the "Show in document" button) asks
for its passage to be opened.

Page pictures are rendered off the GUI thread (:mod:`app.gui.page_thumbnails`); a card
shows a document glyph until its picture arrives, and keeps it when there is none.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Iterable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSplitter, QTextBrowser,
                               QVBoxLayout, QWidget)

from app.gui.page_thumbnails import ThumbnailLoader
from app.gui.source_card import THUMB_WIDTH, SourceCard, excerpt, placeholder_image
from app.gui.source_card_list import SourceCardList
from app.gui.source_card_style import (MARKER_LIGHT, card_colours, card_style_sheet,
                                       marker_style)
from retrieval.highlight import highlight_spans

HIGHLIGHT_STYLE = f"background-color:{MARKER_LIGHT[0].name()}; color:{MARKER_LIGHT[1].name()}"
_PSEUDO_PATH = re.compile(r"^[a-z]{2,}:")  # corpus keys such as beir:4983, not files


def match_terms(source, query: str = "") -> set[str]:
    """The keyword tokens to highlight: what retrieval says matched, else the query's."""
    terms = set((getattr(source, "explanation", None) or {}).get("matched") or [])
    if not terms and query:
        from ingest.analyzer import tokenize

        terms = set(tokenize(query))
    return {t for t in terms if t}


def matched_words(text: str, terms: Iterable[str]) -> list[str]:
    """The words of ``text`` that the matched keyword tokens stand for, as written and
    each once ("Apple, total, sales", not the stems "appl, total, sale")."""
    seen: dict[str, str] = {}
    for a, b in highlight_spans(text, terms):
        seen.setdefault(text[a:b].casefold(), text[a:b])
    return list(seen.values())


def highlighted_html(text: str, terms: Iterable[str], style: str = HIGHLIGHT_STYLE) -> str:
    """``text`` as HTML with the matched words on a highlight (inline CSS ``style``),
    line breaks kept."""
    out, pos = [], 0
    for a, b in highlight_spans(text, terms):
        out.append(html.escape(text[pos:a]))
        out.append(f"<span style='{style}'>{html.escape(text[a:b])}</span>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def document_name(s) -> str:
    """The file's name, or the title of a source that is no file."""
    if s.path and not _PSEUDO_PATH.match(s.path):
        return Path(s.path).name
    return s.title or s.label


def source_place(s) -> str:
    """Document and page (or deepest heading) in the interface's language: the core's
    ``label`` is English ("x.pdf, page 4")."""
    name = document_name(s)
    if s.page is not None:
        page = QCoreApplication.translate("SourcesPanel", "page %1").replace(
            "%1", str(s.page_label or s.page))
        return f"{name}, {page}"
    heading = (s.heading or "").split(" > ")[-1].strip()
    return f"{name} › {heading}" if heading else name


def is_pdf_page(s) -> bool:
    return s.page is not None and Path(s.path or "").suffix.lower() == ".pdf"


class SourcesPanel(QWidget):
    """The cards of an answer's passages over the selected passage's text and full
    explanation."""

    sourceActivated = Signal(object)  # answer.citations.Source

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel(self.tr("Sources"))
        self.header.setObjectName("sourcesHeader")
        self.header.setWordWrap(True)
        self.list = SourceCardList()
        self.list.setObjectName("sources")
        self.list.setAccessibleName(self.tr("Passages of the answer"))
        self.detail = QTextBrowser()
        self.detail.setObjectName("sourceDetail")
        self.detail.setOpenLinks(False)
        self.detail.setAccessibleName(self.tr("The selected passage and why it was chosen"))
        self.show_button = QPushButton(self.tr("Show in document"))
        self.show_button.setObjectName("showSource")
        self.show_button.setToolTip(self.tr("Open the selected passage in its document "
                                            "(Enter or double-click on a card)"))
        self.show_button.setEnabled(False)
        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.ready.connect(self._thumbnail_ready)
        self._sources: list = []
        self._cited: dict = {}
        self._query = ""
        self._restyle()

        split = QSplitter(Qt.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.detail)
        split.setSizes([380, 220])
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.show_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.header)
        lay.addWidget(split, 1)
        lay.addLayout(row)

        self.list.currentRowChanged.connect(self._show_detail)
        self.list.itemActivated.connect(lambda card: self._activate(self.list.row(card)))
        self.show_button.clicked.connect(lambda: self._activate(self.list.currentRow()))

    # --- content ------------------------------------------------------------------

    def show_sources(self, sources: Sequence, citations: Sequence = (), grounded: bool = True,
                     query: str = "") -> None:
        """Show one answer's sources; ``grounded=False``: the answer is "not in your
        documents" and these are only the closest passages."""
        self._sources = list(sources)
        self._cited = {c.n: c for c in citations}
        self._query = query
        if not grounded:
            self.header.setText(self.tr("Not in your documents — the closest passages:"))
        elif not self._sources:
            self.header.setText(self.tr("No sources"))
        else:
            self.header.setText(self.tr("Sources of the answer (%n passage(s))", "",
                                        len(self._sources)))
        self.thumbnails.new_batch()  # an earlier answer's pictures are not waited for
        self.list.clear()
        for s in self._sources:
            card = self._card(s)
            self.list.add_card(card)
            self._show_excerpt(card, s)
            self._load_thumbnail(card, s)
        if self._sources:
            self.list.setCurrentRow(0)
        else:
            self.detail.clear()
        self.show_button.setEnabled(bool(self._sources))

    def clear(self) -> None:
        self.show_sources([], [], True)
        self.header.setText(self.tr("Sources"))

    def source(self, row: int):
        return self._sources[row] if 0 <= row < len(self._sources) else None

    def count(self) -> int:
        return len(self._sources)

    def current_row(self) -> int:
        return self.list.currentRow()

    def select(self, n: int) -> None:
        """Select the passage numbered ``n`` (as cited in the answer)."""
        for row, s in enumerate(self._sources):
            if s.n == n:
                self.list.setCurrentRow(row)
                return

    # --- cards --------------------------------------------------------------------

    def _card(self, s) -> SourceCard:
        where, mode = self._where(s)
        card = SourceCard(s.n, document_name(s), where, self._card_mark(s), self._why(s),
                          where_mode=mode)
        card.list_text = (f"[{s.n}] {source_place(s)}{self._ocr_mark(s)}{self._cited_mark(s)}\n"
                          f"{self._why(s)}")
        card.setToolTip(f"<p><b>[{s.n}] {html.escape(source_place(s))}</b><br>{html.escape(s.path)}"
                        f"</p>{self.explanation_html(s)}")
        card.setAccessibleName(self.tr("Source %1: %2, %3").replace("%1", str(s.n)).replace(
            "%2", document_name(s)).replace("%3", where))
        card.setAccessibleDescription(" · ".join(
            t for t in (self._cited_mark(s).strip(), self._why(s)) if t))
        return card

    def _where(self, s) -> tuple[str, Qt.TextElideMode]:
        """Page and heading (the deepest heading kept in view when it is long), and the
        OCR note."""
        heading = " › ".join(p.strip() for p in (s.heading or "").split(" > ") if p.strip())
        if s.page is not None:
            where = self.tr("page %1").replace("%1", str(s.page_label or s.page))
            if heading:
                where += " · " + heading.split(" › ")[-1]
            mode = Qt.ElideRight
        else:
            where, mode = heading, Qt.ElideLeft
        return where + self._ocr_mark(s), mode

    def _show_excerpt(self, card: SourceCard, s) -> None:
        terms = match_terms(s, self._query)
        card.set_excerpt(highlighted_html(excerpt(s.text, terms), terms, self._marker))

    def _load_thumbnail(self, card: SourceCard, s) -> None:
        if not is_pdf_page(s):
            card.set_placeholder(self._placeholder)
            return
        dpr = self.devicePixelRatioF()
        card.thumb_key = (s.path, s.page, round((THUMB_WIDTH - 2) * dpr))
        image = self.thumbnails.request(card.thumb_key)
        if image is not None:
            card.set_page_image(image, dpr)
        else:
            card.set_placeholder(self._placeholder, pending=True)

    def _thumbnail_ready(self, key, image) -> None:
        for card in self.list.cards():
            if card.thumb_key == key:
                if image is None:
                    card.set_placeholder(self._placeholder)
                else:
                    card.set_page_image(image, self.devicePixelRatioF())

    # --- theme --------------------------------------------------------------------

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange) \
                and hasattr(self, "thumbnails"):
            self._restyle()
            for card, s in zip(self.list.cards(), self._sources):
                self._show_excerpt(card, s)
                if card.thumbnail_state != "page":
                    card.set_placeholder(self._placeholder, card.thumbnail_state == "pending")
            self._show_detail(self.list.currentRow())

    def _restyle(self) -> None:
        """Colours from the palette: a dark theme gets its own (see source_card_style)."""
        self._colours = card_colours(self.palette())
        self._marker = marker_style(self._colours)
        self._placeholder = placeholder_image(self._colours, self.devicePixelRatioF())
        self.list.setStyleSheet(card_style_sheet(self._colours))

    # --- presentation -------------------------------------------------------------

    def _cited_mark(self, s) -> str:
        c = self._cited.get(s.n)
        if c is None:
            return ""
        if c.quoted:
            return self.tr("  ✓ quoted")
        return self.tr("  ✓ cited (inferred)") if c.inferred else self.tr("  ✓ cited")

    def _card_mark(self, s) -> str:
        """The cited mark, short enough to leave the document's name room on the card."""
        c = self._cited.get(s.n)
        if c is None:
            return ""
        if c.quoted:
            return self.tr("✓ quoted")
        return self.tr("✓ inferred") if c.inferred else self.tr("✓ cited")

    def _why(self, s) -> str:
        """Why retrieval picked it, in one line: the rank in each search that found it."""
        e = s.explanation or {}
        parts = []
        if e.get("keyword_rank") is not None:
            parts.append(self.tr("keyword #%1").replace("%1", str(e["keyword_rank"])))
        if e.get("dense_rank") is not None:
            parts.append(self.tr("meaning #%1").replace("%1", str(e["dense_rank"])))
        return " · ".join(parts)
    def explanation_html(self, s) -> str:
        """Why this passage was chosen, as an HTML table."""
        e = s.explanation or {}
        na = self.tr("not found by this search")

        def row(name: str, value: str) -> str:
            return f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(value)}</td></tr>"

        kw = na if e.get("keyword_rank") is None else self.tr(
            "rank %1, BM25 score %2").replace("%1", str(e["keyword_rank"])).replace(
            "%2", "—" if e.get("keyword_score") is None else f"{e['keyword_score']:.3f}")
        dense = na if e.get("dense_rank") is None else self.tr(
            "rank %1, cosine distance %2").replace("%1", str(e["dense_rank"])).replace(
            "%2", "—" if e.get("dense_distance") is None else f"{e['dense_distance']:.4f}")
        fused = "—" if e.get("fused_score") is None else f"{e['fused_score']:.4f}"
        c = self._cited.get(s.n)
        if c is None:
            cited = self.tr("no")
        elif c.quoted:
            cited = self.tr("quoted (this passage's sentence closest to the question is "
                            "quoted with the answer)")
        elif c.inferred:
            cited = self.tr("inferred (the answer did not write [%1]; its sentence matches "
                            "this passage)").replace("%1", str(s.n))
        else:
            cited = self.tr("yes, the answer writes [%1]").replace("%1", str(s.n))
        terms = e.get("matched") or []
        matched = ", ".join(matched_words(s.text, terms) or terms) or "—"
        rows = [row(self.tr("Keyword search"), kw), row(self.tr("Embedding search"), dense),
                row(self.tr("Fused score"), fused), row(self.tr("Cited"), cited),
                row(self.tr("Matched words"), matched)]
        if e.get("named"):
            rows.insert(0, row(self.tr("Searched in (named in the question)"),
                               ", ".join(e["named"])))
        return "<table cellspacing='2'>" + "".join(rows) + "</table>"

    def _ocr_mark(self, s) -> str:
        """Text read by OCR may hold misread characters: the reader should know."""
        return " · " + self.tr("read by OCR from a scanned page") if getattr(s, "ocr", False) else ""

    def _show_detail(self, row: int) -> None:
        s = self.source(row)
        if s is None:
            self.detail.clear()
            return
        terms = match_terms(s, self._query)
        self.detail.setHtml(
            f"<p><b>[{s.n}] {html.escape(source_place(s))}{html.escape(self._ocr_mark(s))}</b><br>"
            f"<span style='color:{self._colours.muted.name()}'>{html.escape(s.path)}</span></p>"
            f"{self.explanation_html(s)}<hr><p>{highlighted_html(s.text, terms, self._marker)}</p>")

    def _activate(self, row: int) -> None:
        s = self.source(row)
        if s is not None:
            self.sourceActivated.emit(s)
