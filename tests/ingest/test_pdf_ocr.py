"""Scanned pages read by OCR (RapidOCR, offline: the test session refuses connections
off this machine): found by search, marked as OCR'd, shown in progress, cancellable."""

import json
import threading
import time
from pathlib import Path

import pytest

from ingest.loaders import load
from ingest.pipeline import Ingestor
from ingest.store.library import Library
from tests.conftest import PDF_DIR, require

pytestmark = pytest.mark.slow

PAPER = PDF_DIR / "pymupdf_tests" / "2201.00069.pdf"
SCAN = PDF_DIR / "pymupdf_tests" / "test_4034.pdf"  # a Brazilian purchase order, 2 pages


@pytest.fixture
def library(tmp_path):
    lib = Library(tmp_path / "store")
    yield lib
    lib.close()


def _paper_then_scanned_page(tmp_path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(require(PAPER)))
    writer.append(PdfReader(require(SCAN)), pages=[0])
    path = tmp_path / "paper-and-order.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def test_a_phrase_only_on_a_scanned_page_is_found_there(library, embedder, tmp_path):
    from retrieval.retriever import Retriever

    pdf = _paper_then_scanned_page(tmp_path)
    report = Ingestor(library, embedder).run([pdf])
    assert [o.status for o in report.outcomes] == ["added"]
    doc = library.documents(library.kb(None))[0]
    assert doc.ocr_pages == 1 and "1 of 2 pages read by OCR" in (doc.reason or "")
    hits = Retriever(library, embedder).search("solicitação de empenho fornecedor G Partner "
                                               "Tecnologia", k=3)
    assert hits[0].page == 2 and hits[0].ocr, hits[0].location
    assert "PARTNER" in hits[0].text.upper() and "read by OCR" in hits[0].location
    assert not any(h.ocr for h in hits if h.page == 1)


def test_every_scanned_file_in_the_data_becomes_text():
    manifest = [json.loads(line) for line in (PDF_DIR / "manifest.jsonl").read_text().splitlines()]
    scanned = [e for e in manifest if e["text_chars"] == 0]
    assert len(scanned) == 3
    for entry in scanned:
        seen = []
        doc = load(require(PDF_DIR / entry["file"]), on_ocr=lambda d, t: seen.append(d))
        assert doc.ocr_pages == entry["pages"], (entry["file"], doc.notes)
        assert all(s.ocr for s in doc.sections)
        chars = sum(len(s.text) for s in doc.sections)
        assert chars >= 150 * entry["pages"], (entry["file"], chars)
        assert seen == list(range(entry["pages"] + 1))  # progress per page, then done


def test_cancel_during_ocr_returns_within_a_second(library, embedder, tmp_path):
    """OCR runs in a worker process; cancel stops it mid-page."""
    scan = tmp_path / "form.pdf"
    scan.write_bytes(require(PDF_DIR / "pymupdf_tests" / "test_3863.pdf").read_bytes())
    ocr_started, cancel = threading.Event(), threading.Event()
    seen = []

    def progress(p):
        if p.ocr_total:
            seen.append((p.ocr_done, p.ocr_total))
            ocr_started.set()

    result = {}
    runner = threading.Thread(target=lambda: result.setdefault(
        "report", Ingestor(library, embedder).run([scan], on_progress=progress, cancel=cancel)))
    runner.start()
    assert ocr_started.wait(120), "no OCR progress was reported"
    time.sleep(0.5)  # well inside the first page
    t0 = time.monotonic()
    cancel.set()
    runner.join(10)
    took = time.monotonic() - t0
    assert not runner.is_alive() and took < 1.0, took
    assert result["report"].cancelled and seen[0] == (0, 8)
    assert library.documents(library.kb(None)) == [] or all(
        d.status != "ready" for d in library.documents(library.kb(None)))


def test_a_thousand_page_scan_stops_at_the_page_limit(tmp_path):
    """The guard against hours of OCR: the first pages up to the limit are read, the rest
    are named in a note, and progress counts only the pages that will be read."""
    from pypdf import PdfReader, PdfWriter

    scan = PdfReader(require(SCAN))
    writer = PdfWriter()
    for _ in range(1000):
        writer.add_page(scan.pages[1])  # one image, a thousand pages: a 1,000-page scan
    big = tmp_path / "archive.pdf"
    with open(big, "wb") as fh:
        writer.write(fh)
    from ingest.pdf import PdfOptions

    seen = []
    doc = load(big, pdf_options=PdfOptions(ocr_max_pages=1),
               on_ocr=lambda done, total: seen.append((done, total)))
    assert doc.pages == 1000 and doc.ocr_pages == 1 and [s.page for s in doc.sections] == [1]
    assert any("999 scanned pages not read" in n and "ingest.ocr_max_pages" in n
               for n in doc.notes), doc.notes
    assert seen == [(0, 1), (1, 1)]
