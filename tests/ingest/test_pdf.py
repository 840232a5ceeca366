"""PDFs read by PDFium: outline headings, page labels, the pypdf fallback, and the bad
pages that cost a note rather than the document (real files, edited in a temporary
folder with pypdf)."""

from pathlib import Path

import pytest

from ingest.loaders import LoadError, load
from ingest.pdf import PdfOptions, outline_sections
from tests.conftest import PDF_DIR, SEC_DIR, require

REPORT = PDF_DIR / "pymupdf_tests" / "test_3842.pdf"  # NIST SP 800-223, with an outline
PAPER = PDF_DIR / "pymupdf_tests" / "2201.00069.pdf"
SCAN = PDF_DIR / "pymupdf_tests" / "test_4034.pdf"  # 2 scanned pages, no text layer


def _write(writer, path: Path) -> Path:
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def test_outline_gives_heading_paths_that_start_where_the_title_is():
    doc = load(require(REPORT))
    assert doc.engine == "pdfium"
    by_heading = {}
    for s in doc.sections:
        by_heading.setdefault(s.heading, s)
    sub = "2. HPC System Reference Architecture and Main Components > 2.1. Main Components"
    assert sub in by_heading
    first = by_heading["1. Introduction"]
    # the heading's section starts at its title, part-way down its page, and the text
    # above it on that page stays under the heading before it
    assert first.text.startswith("1. Introduction") and first.offset > 0
    before = [s for s in doc.sections if s.page == first.page and s.offset < first.offset]
    assert before and before[0].heading != "1. Introduction"
    # pages follow one another; offsets stay within the page's text
    pages = [s.page for s in doc.sections]
    assert pages == sorted(pages)


def test_outline_sections_rules():
    from ingest.pdf import _Page

    pages = [_Page(1, "Cover text of the report"),
             _Page(2, "end of the cover.\nPart I\nItem 1. Business\nWe sell things."),
             _Page(3, "More on business.")]
    outline = [(0, "Part I", 1), (1, "Item 1. Business", 1), (0, "Missing Title", 2)]
    got = [(s.page, s.heading, s.text) for s in outline_sections(pages, outline)]
    assert got == [(1, None, "Cover text of the report"),
                   (2, None, "end of the cover."),
                   (2, "Part I", "Part I"),
                   (2, "Part I > Item 1. Business", "Item 1. Business\nWe sell things."),
                   (3, "Missing Title", "More on business.")]


def test_page_labels_name_pages_as_the_viewer_does(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(require(REPORT)))
    writer.set_page_label(0, 3, style="/r")  # front matter i-iv
    writer.set_page_label(4, 33, style="/D", prefix="A-")  # then, ...
    doc = load(_write(writer, tmp_path / "labelled.pdf"))
    label = {s.page: s.page_label for s in doc.sections}
    assert label[1] == "i" and label[4] == "iv" and label[5] == "A-1" and label[9] == "A-5"


def test_pages_numbered_plainly_have_no_label():
    doc = load(require(SEC_DIR / "2023 Q1 AAPL.pdf"))
    assert all(s.page_label is None for s in doc.sections)


def test_a_pdf_pdfium_refuses_is_read_by_pypdf(tmp_path):
    data = require(PAPER).read_bytes()
    at = data.find(b"/Root")
    broken = tmp_path / "no-root.pdf"
    broken.write_bytes(data[:at] + b"/Rxxx" + data[at + 5:])  # the trailer's catalog key
    doc = load(broken)
    assert doc.engine == "pypdf" and len(doc.sections[0].text) > 1000


def test_a_pdf_both_engines_refuse(tmp_path):
    data = require(PAPER).read_bytes()
    bad = tmp_path / "half.pdf"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError) as info:
        load(bad)
    assert info.value.status == "corrupt" and "\n" not in info.value.reason


def test_junk_before_the_header_is_allowed(tmp_path):
    f = tmp_path / "junk.pdf"
    f.write_bytes(b"\r\n" * 200 + require(PAPER).read_bytes())
    assert load(f).sections


def test_ocr_off_and_the_page_limit_say_why_scanned_pages_are_not_read():
    with pytest.raises(LoadError) as off:
        load(require(SCAN), pdf_options=PdfOptions(ocr=False))
    assert off.value.status == "no_text" and "OCR is off" in off.value.reason
    with pytest.raises(LoadError) as limited:
        load(require(SCAN), pdf_options=PdfOptions(ocr_max_pages=0))
    assert "limit of 0 OCR pages" in limited.value.reason
    assert "ingest.ocr_max_pages" in limited.value.reason


def test_a_page_that_cannot_be_rendered_is_named_and_the_rest_is_kept(tmp_path):
    """A scanned page with an absurd size fails to render; the text pages stay."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    writer = PdfWriter(clone_from=PdfReader(require(PAPER)))
    writer.append(PdfReader(require(SCAN)), pages=[1])
    writer.pages[1].mediabox = RectangleObject([0, 0, 14400, 14400])
    seen = []
    doc = load(_write(writer, tmp_path / "mixed.pdf"),
               on_ocr=lambda done, total: seen.append((done, total)))
    assert [s.page for s in doc.sections] == [1]
    assert doc.ocr_pages == 0
    assert any("OCR failed on page 2" in n and "cannot be rendered" in n for n in doc.notes)
    assert seen[0] == (0, 1) and seen[-1] == (1, 1)


def test_words_split_at_line_ends_are_mended():
    from ingest.pdf import _Page, dehyphenate

    pages = [_Page(1, "the pro\ufffeduction of high\ufffe\nperformance, non\ufffeGAAP, "
                      "compensa\ufffetion\n"), _Page(2, "production and high-performance")]
    dehyphenate(pages)
    assert pages[0].text == "the production of high-performance, non-GAAP, compensation"
    report = " ".join(s.text for s in load(require(REPORT)).sections)
    assert "\ufffe" not in report and "high-performance" in report.lower()
