"""Read a PDF or Markdown file into sections of text that remember where they came from.

A section is a PDF page (with its 1-based page number) or a Markdown block under one
heading path (``Guide > Install > Linux``).  Every way a file can be unusable raises
:class:`LoadError` with a one-line reason a user can act on; a file that loads but is
partly unusable (pages OCR could not read) carries a note instead.  Pure functions, no stores: this
runs in worker processes.
"""

from __future__ import annotations

import errno
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from models.reasons import Reason

log = logging.getLogger(__name__)

PDF_EXTENSIONS = {".pdf"}
MARKDOWN_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd", ".txt"}
SUPPORTED_EXTENSIONS = PDF_EXTENSIONS | MARKDOWN_EXTENSIONS

class LoadError(Exception):
    """A file that cannot be used.  ``status`` is a short code (what the catalog keeps
    and ingest decides by), ``reason`` the sentence (a :class:`models.reasons.Reason`
    with its finer code and parameters, for the window to word)."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def file_missing() -> Reason:
    return Reason("file_missing", "file not found (deleted or moved before it was read)")


def cannot_read(exc: OSError) -> Reason:
    """Why reading failed, by the system's error: the common ones have their own code."""
    code = {errno.EACCES: "permission_denied", errno.EPERM: "permission_denied",
            errno.EISDIR: "is_a_folder"}.get(exc.errno, "cannot_read")
    return Reason(code, "cannot read the file: {error}", error=exc.strerror or str(exc))


def unsupported_type(path: Path) -> Reason:
    return Reason("unsupported_type", "unsupported file type {suffix!r}: Wenji reads PDF and "
                  "Markdown", suffix=path.suffix or "(none)")


def _binary() -> Reason:
    return Reason("binary_not_text", "binary data, not text (is it really Markdown?)")


@dataclass
class Section:
    text: str
    page: int | None = None  # 1-based PDF page
    heading: str | None = None  # heading path (Markdown headings, a PDF's outline)
    offset: int = 0  # where the text starts in its page's text (a page cut by headings)
    ocr: bool = False  # read by OCR from the page's image
    page_label: str | None = None  # the page's label when it is not its number ("iv", "A-3")


@dataclass
class LoadedDocument:
    path: Path
    kind: str  # "pdf" | "markdown"
    sections: list[Section]
    title: str
    pages: int = 0  # PDF pages (0 for Markdown)
    empty_pages: int = 0  # PDF pages left without text (no text layer, not read by OCR)
    notes: list[str] = field(default_factory=list)
    ocr_pages: int = 0  # PDF pages read by OCR
    engine: str = ""  # what read the PDF: "pdfium" or "pypdf"


def kind_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in PDF_EXTENSIONS:
        return "pdf"
    if suffix in MARKDOWN_EXTENSIONS:
        return "markdown"
    return None


def load(path: Path, max_bytes: int | None = None, pdf_options=None,
         on_ocr=None) -> LoadedDocument:
    """Load one file; raise :class:`LoadError` if it cannot be used.  ``pdf_options``
    (``ingest.pdf.PdfOptions``) and ``on_ocr(done, total)`` are for PDFs' OCR."""
    kind = kind_of(path)
    if kind is None:
        raise LoadError("unsupported", unsupported_type(path))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise LoadError("missing", file_missing())
    except OSError as exc:
        raise LoadError("unreadable", cannot_read(exc))
    if size == 0:
        raise LoadError("empty", Reason("empty_file", "empty file (0 bytes)"))
    if max_bytes is not None and size > max_bytes:
        raise LoadError("too_large", Reason(
            "too_large", "file is {size_mb} MB, over the {limit_mb} MB limit (setting "
            "ingest.max_file_mb)", size_mb=round(size / 1e6), limit_mb=round(max_bytes / 1e6)))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LoadError("missing", file_missing())
    except OSError as exc:
        raise LoadError("unreadable", cannot_read(exc))
    if kind == "pdf":
        from ingest.pdf import load_pdf

        return load_pdf(path, data, pdf_options, on_ocr)
    return load_markdown_bytes(path, data)


# --- text clean-up (PDF pages: ingest.pdf) ------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Drop control characters and collapse runs of spaces; keep paragraph breaks."""
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.splitlines())
    return _MANY_NEWLINES.sub("\n\n", text).strip()


# --- Markdown ----------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\r?\n.*?\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\Z)",
                           re.S)
_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```+|~~~+)")


def decode_text_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first; otherwise detect the encoding, or refuse."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                return data.decode("utf-16")
            except UnicodeDecodeError:
                pass
        if _looks_binary(data):
            raise LoadError("binary", _binary())
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is None or best.encoding is None:
            raise LoadError("encoding", Reason("encoding_unknown", "not UTF-8, and its text "
                                                "encoding could not be detected"))
        try:
            text = data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            raise LoadError("encoding", Reason("encoding_wrong", "not UTF-8, and it does not "
                                               "decode as the detected {encoding}",
                                               encoding=best.encoding))
        log.info("decoded as %s", best.encoding)
    if _looks_binary(text.encode("utf-8", "ignore")[:8192]) or "\x00" in text[:8192]:
        raise LoadError("binary", _binary())
    return text


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.05


def load_markdown_bytes(path: Path, data: bytes) -> LoadedDocument:
    text = decode_text_bytes(data).replace("\r\n", "\n").replace("\r", "\n")
    text = _FRONT_MATTER.sub("", text, count=1)
    sections = split_markdown_sections(text)
    if not sections:
        raise LoadError("no_text", Reason("markdown_no_text", "no text (the file has only "
                                           "front matter or white space)"))
    title = next((s.heading.split(" > ")[0] for s in sections if s.heading), path.stem)
    return LoadedDocument(path=path, kind="markdown", sections=sections, title=title)


def fenced_lines(text: str) -> Iterator[tuple[str, bool]]:
    """Each line of Markdown with whether it is code: a fence line (```/~~~) or a line
    inside a fenced block, where headings and HTML are not markup."""
    fence: str | None = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if m:
            marker = m.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            yield line, True
        else:
            yield line, fence is not None


def split_markdown_sections(text: str) -> list[Section]:
    """Cut at headings (outside code fences); each section keeps its heading path."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    buf: list[str] = []

    def flush():
        body = "\n".join(buf).strip()
        buf.clear()
        if body and not (_ATX.match(body) and "\n" not in body):  # a bare heading line
            heading = " > ".join(title for _, title in stack) or None
            sections.append(Section(text=body, heading=heading))

    for line, code in fenced_lines(text):
        heading = None if code else _ATX.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            title = heading.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            buf.append(line)  # the heading's words are searchable text too
            continue
        buf.append(line)
    flush()
    return sections
