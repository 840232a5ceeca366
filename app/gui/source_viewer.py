"""Shows a cited passage in its document, inside the app.

PDFs open in Qt's PDF view at the cited page, with the passage marked through a text
search; Markdown files are rendered, scrolled to the cited heading, with the passage on a
highlight.  A file that is gone or cannot be read gets a message naming it, never a crash.

Why a phrase search and not the stored character span: the span counts characters of
the text pypdf extracted, while the PDF view searches the text PDFium extracts; the two
differ in spaces, line breaks and hyphenation.  A short run of plain words from inside
one line of the passage is found reliably by both, so several such phrases are tried,
longest first, on the cited page only.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import QPointF, QUrl, Qt
from PySide6.QtGui import QColor, QDesktopServices, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtPdf import QPdfDocument, QPdfSearchModel
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QStackedWidget,
                               QTextBrowser, QTextEdit, QVBoxLayout, QWidget)

from app.gui import theme
from app.gui.markdown_render import MARKDOWN_FEATURES
from app.gui.reasons import reason_text
from retrieval.highlight import MAX_TRIES, search_phrases

log = logging.getLogger(__name__)


_MD_INLINE = re.compile(r"`([^`]*)`|\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|!?\[([^\]]*)\]\([^)]*\)")
_HEADING_ID = re.compile(r"\{\s*#[^}]*\}")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def plain_heading(heading: str) -> str:
    """The last part of a heading path as rendered text: inline Markdown and a
    ``{ #anchor }`` attribute removed, spaces collapsed."""
    last = _HTML_TAG.sub("", heading.split(" > ")[-1].strip())
    last = _MD_INLINE.sub(lambda m: m.group(1) or m.group(2) or "", last)
    return " ".join(_HEADING_ID.sub(" ", last).split())


def markdown_for_display(text: str) -> str:
    """Markdown with inline HTML tags removed outside code blocks (their text kept),
    and heading attributes (``{ #anchor }``) dropped.

    Qt's Markdown reader can drop the text that follows an HTML tag it does not parse
    (``<dfn title="it's">``), so tags go and the file is read with HTML disabled."""
    from ingest.loaders import fenced_lines

    out = []
    for line, code in fenced_lines(text):
        if not code:
            line = _HTML_TAG.sub("", line)
            if line.lstrip().startswith("#"):  # "## Title { #anchor }": the anchor is markup
                line = _HEADING_ID.sub("", line).rstrip()
        out.append(line)
    return "\n".join(out)


class SourceViewer(QWidget):
    """A document pane: PDF view, rendered Markdown, or a message.

    For tests and accessibility: ``current_path``, :meth:`current_page` (1-based, as in
    citations; None for Markdown), ``highlight_found``, ``highlight_text`` (the phrase
    or heading that was found) and ``message`` (the error shown, '' if none).
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.current_path: str | None = None
        self.highlight_found = False
        self.highlight_text = ""
        self.message = ""
        self._source = None

        self.title = QLabel(self.tr("Click a citation or a source to see it here."))
        self.title.setObjectName("viewerTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.open_button = QPushButton(self.tr("Open with system viewer"))
        self.open_button.setObjectName("openExternal")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_external)

        self.pdf_document = QPdfDocument(self)
        self.pdf_search = QPdfSearchModel(self)
        self.pdf_search.setDocument(self.pdf_document)
        self.pdf_view = QPdfView()
        self.pdf_view.setObjectName("pdfView")
        self.pdf_view.setDocument(self.pdf_document)
        self.pdf_view.setSearchModel(self.pdf_search)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.markdown_view = QTextBrowser()
        self.markdown_view.setObjectName("markdownView")
        self.markdown_view.setOpenExternalLinks(True)
        self.message_label = QLabel()
        self.message_label.setObjectName("viewerMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignCenter)
        self.message_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.stack = QStackedWidget()
        for w in (self.message_label, self.pdf_view, self.markdown_view):
            self.stack.addWidget(w)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.open_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.stack, 1)

    # --- public -------------------------------------------------------------------

    def current_page(self) -> int | None:
        """The PDF page on screen, 1-based (None when no PDF is shown)."""
        if self.stack.currentWidget() is not self.pdf_view:
            return None
        return self.pdf_view.pageNavigator().currentPage() + 1

    def show_source(self, source) -> bool:
        """Open ``source``'s document at the cited place; False (and a message naming
        the file) when it cannot be shown."""
        self._source = source
        self.highlight_found, self.highlight_text, self.message = False, "", ""
        path = Path(source.path)
        where = self._where(source)
        self.title.setText(f"<b>{_esc(path.name)}</b> · {_esc(where)}")
        self.title.setToolTip(str(path))
        self.open_button.setEnabled(path.exists())
        if not path.is_file():
            return self._fail(path, self.tr("the file is missing (moved, renamed or deleted "
                                            "since it was added)"))
        if path.suffix.lower() == ".pdf":
            return self._show_pdf(path, source)
        return self._show_markdown(path, source)

    def open_external(self) -> None:
        if self._source is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._source.path)))

    # --- PDF ----------------------------------------------------------------------

    def _show_pdf(self, path: Path, source) -> bool:
        if self.current_path != str(path) or self.pdf_document.status() != QPdfDocument.Status.Ready:
            self.pdf_search.setSearchString("")
            error = self.pdf_document.load(str(path))
            if error != QPdfDocument.Error.None_:
                self.current_path = None
                return self._fail(path, _pdf_error(self, error))
        self.current_path = str(path)
        self.stack.setCurrentWidget(self.pdf_view)
        pages = self.pdf_document.pageCount()
        page = min(max((source.page or 1) - 1, 0), max(pages - 1, 0))
        found = self._find_on_page(source.text, page)
        navigator = self.pdf_view.pageNavigator()
        if found is not None:
            index, link = found
            self.pdf_view.setCurrentSearchResultIndex(index)
            navigator.jump(page, _above(link.location()), navigator.currentZoom())
        else:
            self.pdf_view.setCurrentSearchResultIndex(-1)
            navigator.jump(page, QPointF(0, 0), navigator.currentZoom())
        return True

    def _find_on_page(self, passage: str, page: int):
        """(global result index, link) of the first phrase of the passage found on
        ``page`` (0-based), or None."""
        for phrase in search_phrases(passage):
            self.pdf_search.setSearchString(phrase)
            hits = self.pdf_search.resultsOnPage(page)
            if hits:
                # results are numbered across pages in page order; search the pages
                # before now, so the number does not depend on the background search
                before = sum(len(self.pdf_search.resultsOnPage(p)) for p in range(page))
                self.highlight_found, self.highlight_text = True, phrase
                return before, hits[0]
        self.pdf_search.setSearchString("")
        return None

    # --- Markdown -----------------------------------------------------------------

    def _show_markdown(self, path: Path, source) -> bool:
        from ingest.loaders import LoadError, decode_text_bytes

        try:
            text = decode_text_bytes(path.read_bytes())
        except LoadError as exc:
            return self._fail(path, reason_text(exc.reason))
        except OSError as exc:
            return self._fail(path, self.tr("cannot read the file: %1").replace(
                "%1", exc.strerror or str(exc)))
        if self.current_path != str(path) or self.stack.currentWidget() is not self.markdown_view:
            self.markdown_view.document().setMarkdown(markdown_for_display(text),
                                                      MARKDOWN_FEATURES)
        self.current_path = str(path)
        self.stack.setCurrentWidget(self.markdown_view)
        doc = self.markdown_view.document()
        heading_block = self._heading_block(doc, source.heading) if source.heading else None
        start = heading_block.position() if heading_block is not None else 0
        found = self._mark_passage(doc, source.text, start)
        if found is None and start:
            found = self._mark_passage(doc, source.text, 0)
        target = heading_block if heading_block is not None else (
            doc.findBlock(found.selectionStart()) if found is not None else doc.begin())
        self._scroll_to(target)
        return True

    @staticmethod
    def _heading_block(doc: QTextDocument, heading: str):
        """The rendered heading block of the cited section (the deepest heading)."""
        want = plain_heading(heading).casefold()
        block, fallback = doc.begin(), None
        while block.isValid():
            if block.blockFormat().headingLevel() > 0:
                text = " ".join(_HEADING_ID.sub(" ", block.text()).split()).casefold()
                if text == want:
                    return block
                if fallback is None and want and want in text:
                    fallback = block
            block = block.next()
        return fallback

    def _mark_passage(self, doc: QTextDocument, passage: str, start: int):
        """Highlight the blocks from the first to the last phrase of the passage found
        after ``start``; the cursor of the marked range, or None."""
        hits = []
        for phrase in search_phrases(passage, limit=2 * MAX_TRIES):
            cursor = doc.find(phrase, start)
            if not cursor.isNull():
                hits.append(cursor)
        if not hits:
            self.markdown_view.setExtraSelections([])
            return None
        first = min(hits, key=lambda c: c.selectionStart())
        last = max(hits, key=lambda c: c.selectionEnd())
        span = QTextCursor(doc)
        span.setPosition(doc.findBlock(first.selectionStart()).position())
        end_block = doc.findBlock(last.selectionEnd())
        span.setPosition(end_block.position() + max(0, end_block.length() - 1),
                         QTextCursor.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setBackground(QColor(theme.colors()["highlight_match"]))
        selection = QTextEdit.ExtraSelection()
        selection.cursor = span
        selection.format = fmt
        self.markdown_view.setExtraSelections([selection])
        self.highlight_found = True
        self.highlight_text = first.selectedText()
        return span

    def _scroll_to(self, block) -> None:
        layout = self.markdown_view.document().documentLayout()
        top = int(layout.blockBoundingRect(block).top())
        self.markdown_view.verticalScrollBar().setValue(top)

    def visible_text(self) -> str:
        """The Markdown text on screen (for tests and accessibility)."""
        view = self.markdown_view
        first = view.cursorForPosition(view.viewport().rect().topLeft()).position()
        last = view.cursorForPosition(view.viewport().rect().bottomRight()).position()
        cursor = QTextCursor(view.document())
        cursor.setPosition(first)
        cursor.setPosition(last, QTextCursor.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    # --- messages -----------------------------------------------------------------

    def _fail(self, path: Path, reason: str) -> bool:
        self.current_path = None
        self.message = self.tr("Cannot show %1: %2").replace("%1", path.name).replace("%2", reason)
        self.message_label.setText(f"{_esc(self.message)}<br><small>{_esc(str(path))}</small>")
        self.stack.setCurrentWidget(self.message_label)
        return False

    def _where(self, source) -> str:
        if source.page is not None:
            label = getattr(source, "page_label", None) or source.page
            return self.tr("page %1").replace("%1", str(label))
        return " > ".join(plain_heading(part) for part in (source.heading or "").split(" > "))


def _pdf_error(widget: QWidget, error) -> str:
    reasons = {
        QPdfDocument.Error.FileNotFound: widget.tr("the file is missing"),
        QPdfDocument.Error.InvalidFileFormat: widget.tr("not a PDF, or a damaged one"),
        QPdfDocument.Error.IncorrectPassword: widget.tr("the PDF needs a password"),
        QPdfDocument.Error.UnsupportedSecurityScheme: widget.tr("the PDF's encryption is not supported"),
        QPdfDocument.Error.DataNotYetAvailable: widget.tr("the file could not be read"),
    }
    return reasons.get(error, widget.tr("the PDF could not be opened"))


def _above(location: QPointF) -> QPointF:
    """A little above a search hit, so the lines before it show too."""
    return QPointF(0, max(0.0, location.y() - 48))


def _esc(text: str) -> str:
    import html

    return html.escape(text)
