"""A PDF file to sections of text: one per page, or per outline heading within a page.

PDFium (pypdfium2; the engine of Chromium) reads each page's text, the outline
(bookmarks) and the page labels, and renders pages that have no text layer for OCR
(:mod:`ingest.ocr`).  pypdf reads the files PDFium refuses (its repairs differ), without
OCR since it cannot render.  Every way a file can be unusable raises ``LoadError``;
trouble with some pages only (OCR failures, the OCR page limit) becomes notes, and the
rest of the document is kept.
"""

from __future__ import annotations

import io
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest.loaders import LoadedDocument, LoadError, Section, clean_text
from models.reasons import Reason

log = logging.getLogger(__name__)

# A page with fewer visible characters has no usable text layer (scanned, or blank).
MIN_PAGE_CHARS = 8
# Pixels per PDF point when a page is rendered for OCR (2 = 144 dpi).
OCR_SCALE = 2.0
# A page whose rendering would exceed this many pixels is not rendered (a damaged or
# absurd page size would otherwise allocate gigabytes).
MAX_RENDER_PIXELS = 60_000_000
# Outline entries read at most (a hostile outline can be huge or cyclic).
MAX_OUTLINE_ENTRIES = 5000

OcrProgress = Callable[[int, int], None]  # (OCR pages done, OCR pages to do)


@dataclass
class PdfOptions:
    ocr: bool = True
    ocr_max_pages: int = 300  # per document; the guard against a 1,000-page scan
    ocr_threads: int = 0  # 0: the machine's cores (up to 4)


@dataclass
class _Page:
    number: int  # 1-based
    text: str = ""
    label: str | None = None
    ocr: bool = False
    failed: str | None = None  # why its text could not be read


@dataclass
class _Read:
    engine: str  # "pdfium" | "pypdf"
    pages: list[_Page]
    outline: list[tuple[int, str, int]] = field(default_factory=list)  # level, title, page index
    title: str | None = None
    ocr_pages: int = 0
    ocr_failed: list[tuple[int, str]] = field(default_factory=list)
    ocr_skipped: int = 0  # pages left unread by the OCR page limit
    ocr_unavailable: Reason | None = None  # why no page could be OCR'd


def load_pdf(path: Path, data: bytes, options: PdfOptions | None = None,
             on_ocr: OcrProgress | None = None) -> LoadedDocument:
    """Read a PDF's bytes; raise ``LoadError`` if nothing in it can be used."""
    options = options or PdfOptions()
    if b"%PDF" not in data[:1024]:  # the header may follow up to 1 KB of junk
        raise LoadError("corrupt", Reason("not_a_pdf", "not a PDF file (no %PDF header)"))
    read = _read_with_pdfium(data, options, on_ocr)
    if read is None:
        read = _read_with_pypdf(data)
        read.ocr_unavailable = Reason("ocr_cannot_render", "PDFium could not open the file, so "
                                      "its pages cannot be rendered for OCR")
    n_pages = len(read.pages)
    sections = outline_sections(read.pages, read.outline)
    empty = sum(1 for p in read.pages if len(p.text) < MIN_PAGE_CHARS)
    if not sections:
        if all(p.failed for p in read.pages):
            raise LoadError("corrupt", Reason("pdf_text_unreadable", "damaged PDF: no page's "
                                              "text could be read ({error})",
                                              error=read.pages[0].failed))
        raise LoadError("no_text", _no_text_reason(read, options))
    notes = _notes(read, options, empty, n_pages)
    return LoadedDocument(path=path, kind="pdf", sections=sections,
                          title=read.title or path.stem, pages=n_pages, empty_pages=empty,
                          notes=notes, ocr_pages=read.ocr_pages, engine=read.engine)


def _no_text_reason(read: _Read, options: PdfOptions) -> Reason:
    if read.ocr_unavailable:
        return Reason("scanned_no_ocr", "no text layer (scanned?), and {why}",
                      why=read.ocr_unavailable)
    if not options.ocr:
        return Reason("scanned_ocr_off", "scanned, no text layer, and OCR is off (setting "
                      "ingest.ocr)")
    if read.ocr_failed:
        page, why = read.ocr_failed[0]
        return Reason("scanned_ocr_failed", "scanned, and OCR failed (page {page}: {error})",
                      page=page, error=why)
    if read.ocr_skipped and not read.ocr_pages:
        return Reason("scanned_over_ocr_limit", "scanned, {pages} pages: over the limit of "
                      "{limit} OCR pages per document (setting ingest.ocr_max_pages)",
                      pages=read.ocr_skipped, limit=options.ocr_max_pages)
    return Reason("no_text_even_by_ocr", "no text found, not even by OCR (blank or "
                  "picture-only pages)")


def _notes(read: _Read, options: PdfOptions, empty: int, n_pages: int) -> list[Reason]:
    notes = []
    if read.ocr_pages:
        notes.append(Reason("pages_read_by_ocr", "{done} of {pages} pages read by OCR",
                            done=read.ocr_pages, pages=n_pages))
    if read.ocr_failed:
        pages = ", ".join(f"page {p} ({why})" for p, why in read.ocr_failed[:5])
        more = len(read.ocr_failed) - 5
        notes.append(Reason.worded(
            "ocr_failed_on_pages",
            f"OCR failed on {pages}" + (f" and {more} more pages" if more > 0 else ""),
            count=len(read.ocr_failed), pages=", ".join(str(p) for p, _ in read.ocr_failed[:5])
            + ("…" if more > 0 else "")))
    if read.ocr_skipped:
        notes.append(Reason("ocr_pages_skipped", "{skipped} scanned pages not read: over the "
                            "limit of {limit} OCR pages per document (setting "
                            "ingest.ocr_max_pages)",
                            skipped=read.ocr_skipped, limit=options.ocr_max_pages))
    unread = empty - read.ocr_skipped - len(read.ocr_failed)
    if unread > 0:
        if read.ocr_unavailable:
            notes.append(Reason("pages_no_text_layer", "{unread} of {pages} pages have no text "
                                "layer; {why}", unread=unread, pages=n_pages,
                                why=read.ocr_unavailable))
        elif not options.ocr:
            notes.append(Reason("pages_scanned_ocr_off", "{unread} of {pages} pages have no "
                                "text layer (scanned?); OCR is off (setting ingest.ocr)",
                                unread=unread, pages=n_pages))
        else:
            notes.append(Reason("pages_without_text", "{unread} of {pages} pages have no text, "
                                "not even by OCR (blank?)", unread=unread, pages=n_pages))
    failed = [p.number for p in read.pages if p.failed and not p.ocr]
    if failed:
        notes.append(Reason("pages_text_unreadable", "text could not be read from page(s) "
                            "{pages}", pages=", ".join(map(str, failed[:10]))))
    return notes


def _needs_password() -> Reason:
    return Reason("pdf_encrypted", "encrypted PDF: it needs a password")


def _no_pages() -> Reason:
    return Reason("pdf_no_pages", "damaged or truncated PDF: no pages found")


# --- PDFium ---------------------------------------------------------------------------

def _read_with_pdfium(data: bytes, options: PdfOptions,
                      on_ocr: OcrProgress | None) -> _Read | None:
    """The pages by PDFium, with OCR for those without text; None when PDFium cannot open
    the file (pypdf may)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise LoadError("encrypted", _needs_password())
        log.info("PDFium cannot open the file (%s); trying pypdf", exc)
        return None
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise LoadError("corrupt", _no_pages())
        read = _Read(engine="pdfium", pages=[], title=_pdfium_title(pdf),
                     outline=_pdfium_outline(pdf))
        for i in range(n_pages):
            page = _Page(number=i + 1, label=_label(_safe(lambda: pdf.get_page_label(i)), i))
            try:
                p = pdf[i]
                try:
                    tp = p.get_textpage()
                    page.text = tp.get_text_range().replace("\r\n", "\n")
                    tp.close()
                finally:
                    p.close()
            except Exception as exc:  # one bad page must not lose the document
                log.warning("page %d: text extraction failed: %s", i + 1, exc)
                page.failed = _short(exc)
            read.pages.append(page)
        dehyphenate(read.pages)
        _ocr_pages(pdf, read, options, on_ocr)
        return read
    finally:
        pdf.close()


def _ocr_pages(pdf, read: _Read, options: PdfOptions, on_ocr: OcrProgress | None) -> None:
    """Give text to the pages that have none, by rendering and OCR, up to the limit."""
    todo = [p for p in read.pages if len(p.text) < MIN_PAGE_CHARS]
    if not todo or not options.ocr:
        return
    from ingest import ocr

    try:
        ocr.model_dir()
    except ocr.OcrError as exc:
        read.ocr_unavailable = exc.reason
        return
    limit = max(0, int(options.ocr_max_pages))
    read.ocr_skipped = max(0, len(todo) - limit)
    todo = todo[:limit]
    threads = options.ocr_threads or min(4, os.cpu_count() or 1)
    for done, page in enumerate(todo):
        if on_ocr is not None:
            on_ocr(done, len(todo))
        try:
            text = clean_text(ocr.read_image(_render(pdf, page.number - 1), threads))
        except Exception as exc:  # the page is named in the notes, the rest is kept
            log.warning("page %d: OCR failed: %s", page.number, exc)
            read.ocr_failed.append((page.number, _short(exc)))
            continue
        if len(text) >= MIN_PAGE_CHARS:
            page.text, page.ocr, page.failed = text, True, None
            read.ocr_pages += 1
    if on_ocr is not None:
        on_ocr(len(todo), len(todo))


def _render(pdf, index: int):
    """The page as an image array for OCR; raises for a page too large to render."""
    page = pdf[index]
    try:
        width, height = page.get_size()
        pixels = width * height * OCR_SCALE * OCR_SCALE
        if not (0 < pixels <= MAX_RENDER_PIXELS):
            raise ValueError(f"page size {width:.0f} x {height:.0f} pt cannot be rendered")
        return page.render(scale=OCR_SCALE).to_numpy()
    finally:
        page.close()


def _pdfium_title(pdf) -> str | None:
    return _title(_safe(lambda: pdf.get_metadata_value("Title")))


def _pdfium_outline(pdf) -> list[tuple[int, str, int]]:
    out = []
    try:
        for item in pdf.get_toc():
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            title = _heading_title(item.get_title())
            if index is not None and title:
                out.append((int(item.level), title, int(index)))
            if len(out) >= MAX_OUTLINE_ENTRIES:
                break
    except Exception as exc:  # a broken outline costs the headings, not the text
        log.info("outline not read: %s", exc)
    return out


# --- pypdf ----------------------------------------------------------------------------

def _read_with_pypdf(data: bytes) -> _Read:
    with _pypdf_limits():
        return _pypdf_read(data)


def _pypdf_limits():
    """pypdf caps array sizes and parsing work against hostile files; real filings exceed
    the defaults (two of the 20 SEC 10-Qs hold arrays of more than 100,000 elements).
    Raise those caps for our reads only; the file size limit (``ingest.max_file_mb``)
    still bounds what one document can cost."""
    import contextlib

    try:
        from pypdf import apply_configuration
    except ImportError:  # pypdf before 7: no configurable limits
        return contextlib.nullcontext()
    return apply_configuration(array_maximum_element_count=20_000_000,
                               dictionary_maximum_element_count=2_000_000,
                               stream_parsing_work_maximum_count=100_000_000)


def _pypdf_read(data: bytes) -> _Read:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # unsupported crypto, missing backend
                raise LoadError("encrypted", Reason("pdf_encryption_unsupported",
                                                    "encrypted PDF that cannot be opened: "
                                                    "{error}", error=str(exc)))
            if not ok:
                raise LoadError("encrypted", _needs_password())
        n_pages = len(reader.pages)
    except LoadError:
        raise
    except FileNotDecryptedError:
        raise LoadError("encrypted", _needs_password())
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError) as exc:
        raise LoadError("corrupt", Reason("pdf_damaged", "damaged or truncated PDF: {error}",
                                          error=_short(exc)))
    if n_pages == 0:
        raise LoadError("corrupt", _no_pages())
    labels = _safe(lambda: list(reader.page_labels)) or []
    read = _Read(engine="pypdf", pages=[], outline=_pypdf_outline(reader),
                 title=_title(_safe(lambda: reader.metadata.title)))
    for i in range(n_pages):
        page = _Page(number=i + 1, label=_label(labels[i] if i < len(labels) else None, i))
        try:
            page.text = clean_text(reader.pages[i].extract_text() or "")
        except Exception as exc:  # one bad page must not lose the document
            log.warning("page %d: text extraction failed: %s", i + 1, exc)
            page.failed = _short(exc)
        read.pages.append(page)
    return read


def _pypdf_outline(reader) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []

    def walk(items, level):
        for item in items:
            if len(out) >= MAX_OUTLINE_ENTRIES:
                return
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            index = _safe(lambda: reader.get_destination_page_number(item))
            title = _heading_title(getattr(item, "title", None))
            if index is not None and index >= 0 and title:
                out.append((level, title, int(index)))

    try:
        walk(reader.outline, 0)
    except Exception as exc:  # a broken outline costs the headings, not the text
        log.info("outline not read: %s", exc)
    return out


# A hyphen PDFium found at a line's end: it writes U+FFFE there and joins the lines.
_BROKEN_WORD = re.compile(r"(\w+)\ufffe\s*(\w*)")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def dehyphenate(pages: list[_Page]) -> None:
    """Mend the words PDFium split at line ends: "pro|duction" becomes "production" and
    "high|performance" "high-performance".  The document's own words decide (joined, or
    hyphenated, elsewhere in it); a part after the break that starts with a capital or a
    digit keeps its hyphen ("non-GAAP"); otherwise the parts are joined, as a typesetter's
    hyphenation of a long word is the commonest case.  Then each page is cleaned."""
    marked = [p for p in pages if "\ufffe" in p.text]
    if marked:
        words = {w.lower() for p in pages for w in _WORD.findall(p.text.replace("\ufffe", " "))}

        def mend(m: re.Match) -> str:
            a, b = m.group(1), m.group(2)
            if not b:
                return a + "-"
            if (a + b).lower() in words:
                return a + b
            if f"{a}-{b}".lower() in words or not b[0].islower():
                return f"{a}-{b}"
            return a + b

        for p in marked:
            p.text = _BROKEN_WORD.sub(mend, p.text).replace("\ufffe", "-")
    for p in pages:
        p.text = clean_text(p.text)


# --- headings from the outline ----------------------------------------------------------

def outline_sections(pages: list[_Page], outline: list[tuple[int, str, int]]) -> list[Section]:
    """Each page's text as sections under their outline heading paths ("Part I > Item 2.
    Management's Discussion ..."): an entry's heading starts where its title appears on
    its page (at the top of the page if the title is not found there) and lasts until the
    next entry's."""
    by_page: dict[int, list[str]] = {}
    path: list[tuple[int, str]] = []
    for level, title, index in outline:
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, title))
        by_page.setdefault(index, []).append(" > ".join(t for _, t in path))
    sections: list[Section] = []
    current: str | None = None
    for page in pages:
        text, cut = page.text, 0
        pieces: list[tuple[int, str | None]] = []
        for heading in by_page.get(page.number - 1, ()):
            at = _find_title(text, heading.rsplit(" > ", 1)[-1], cut)
            if at is not None and at > cut:
                pieces.append((cut, current))
                cut = at
            current = heading
        pieces.append((cut, current))
        if len(text) < MIN_PAGE_CHARS:
            continue
        ends = [start for start, _ in pieces[1:]] + [len(text)]
        for (start, heading), end in zip(pieces, ends):
            body = text[start:end]
            lead = len(body) - len(body.lstrip())
            body = body.strip()
            if body:
                sections.append(Section(text=body, page=page.number, heading=heading,
                                        offset=start + lead, ocr=page.ocr,
                                        page_label=page.label))
    return sections


def _find_title(text: str, title: str, start: int) -> int | None:
    words = title.split()
    if not words:
        return None
    m = re.compile(r"\s*".join(re.escape(w) for w in words), re.I).search(text, start)
    return m.start() if m else None


def engine_status() -> str:
    """One line for ``wenji doctor``: the engines and their versions."""
    from importlib.metadata import version

    import pypdfium2

    return (f"PDFium {pypdfium2.version.PDFIUM_INFO.build} via pypdfium2 {version('pypdfium2')}; "
            f"pypdf {version('pypdf')} for files PDFium refuses")


# --- small helpers ----------------------------------------------------------------------

def _safe(fn):
    try:
        return fn()
    except Exception:
        return None


def _label(label: str | None, index: int) -> str | None:
    """A page label worth showing: set, and not simply the page's number."""
    label = (label or "").strip()
    return label[:40] if label and label != str(index + 1) else None


def _heading_title(title) -> str | None:
    title = " ".join(str(title or "").split())
    return title[:160] or None


def _title(title) -> str | None:
    title = str(title or "").strip()
    return title if 3 <= len(title) <= 200 else None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
