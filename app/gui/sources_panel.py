"""The passages behind one answer, and why retrieval picked each of them.

For every source: its label (document, page or heading), whether the answer cites it
(and whether that citation was inferred), the keyword lane's rank and BM25 score, the
embedding lane's rank and cosine distance, and the fused score; the selected passage is
shown in full with the question's matched words highlighted.  The facts come from the
core (``Source.explanation``); this panel only presents them.  Activating a passage
(double-click, Enter, or the "Show in document" button) asks for it to be opened.
"""

from __future__ import annotations

import html
from typing import Iterable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QSplitter, QTextBrowser, QVBoxLayout, QWidget)

from retrieval.highlight import highlight_spans

HIGHLIGHT_STYLE = "background-color:#ffe27a"



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


def highlighted_html(text: str, terms: Iterable[str]) -> str:
    """``text`` as HTML with the matched words on a highlight, line breaks kept."""
    out, pos = [], 0
    for a, b in highlight_spans(text, terms):
        out.append(html.escape(text[pos:a]))
        out.append(f"<span style='{HIGHLIGHT_STYLE}'>{html.escape(text[a:b])}</span>")
        pos = b
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


class SourcesPanel(QWidget):
    """A list of passages (label, cited mark, one-line explanation) over the selected
    passage's text and full explanation."""

    sourceActivated = Signal(object)  # answer.citations.Source

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel(self.tr("Sources"))
        self.header.setObjectName("sourcesHeader")
        self.header.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("sources")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.detail = QTextBrowser()
        self.detail.setObjectName("sourceDetail")
        self.detail.setOpenLinks(False)
        self.show_button = QPushButton(self.tr("Show in document"))
        self.show_button.setObjectName("showSource")
        self.show_button.setEnabled(False)
        self._sources: list = []
        self._cited: dict = {}
        self._query = ""

        split = QSplitter(Qt.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.detail)
        split.setSizes([260, 340])
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.show_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.header)
        lay.addWidget(split, 1)
        lay.addLayout(row)

        self.list.currentRowChanged.connect(self._show_detail)
        self.list.itemActivated.connect(lambda item: self._activate(self.list.row(item)))
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
        self.list.clear()
        for s in self._sources:
            item = QListWidgetItem(f"[{s.n}] {s.label}{self._ocr_mark(s)}"
                                   f"{self._cited_mark(s)}\n{self._summary(s)}")
            item.setToolTip(s.path)
            item.setData(Qt.UserRole, s.path)
            self.list.addItem(item)
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

    def select(self, n: int) -> None:
        """Select the passage numbered ``n`` (as cited in the answer)."""
        for row, s in enumerate(self._sources):
            if s.n == n:
                self.list.setCurrentRow(row)
                return

    # --- presentation -------------------------------------------------------------

    def _cited_mark(self, s) -> str:
        c = self._cited.get(s.n)
        if c is None:
            return ""
        if c.quoted:
            return self.tr("  ✓ quoted")
        return self.tr("  ✓ cited (inferred)") if c.inferred else self.tr("  ✓ cited")

    def _summary(self, s) -> str:
        e = s.explanation or {}
        parts = []
        if e.get("keyword_rank") is not None:
            parts.append(self.tr("keyword #%1").replace("%1", str(e["keyword_rank"])))
        if e.get("dense_rank") is not None:
            parts.append(self.tr("embedding #%1").replace("%1", str(e["dense_rank"])))
        if e.get("fused_score") is not None:
            parts.append(self.tr("fused %1").replace("%1", f"{e['fused_score']:.4f}"))
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
            f"<p><b>[{s.n}] {html.escape(s.label)}{html.escape(self._ocr_mark(s))}</b><br>"
            f"<span style='color:#666'>{html.escape(s.path)}</span></p>"
            f"{self.explanation_html(s)}<hr><p>{highlighted_html(s.text, terms)}</p>")

    def _activate(self, row: int) -> None:
        s = self.source(row)
        if s is not None:
            self.sourceActivated.emit(s)
