"""The fast content-stream reader gives pypdf's own results: the same operations (same
types, same values) for every token it handles, pypdf's parse (or pypdf's error) for
everything it hands back, and byte-identical page text on every real PDF we have."""

from __future__ import annotations

import random
import threading
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from pypdf import PdfReader, apply_configuration
from pypdf.generic import ContentStream

from ingest import pdf_fast, pdf_fast_text
from ingest.loaders import _pdf_limits, load
from ingest.pdf_fast import fast_content_streams, parse_operations, plain_pypdf
from tests.conftest import PDF_DIR, SEC_DIR, locked_version, require

# The fast path reproduces the locked pypdf release.  With another release installed (the
# package put into someone's own environment) it is off by design: these tests skip and
# say why.  With the locked release they all run, so a fast path that is silently off
# fails test_fast_paths_are_on_for_this_pypdf_and_only_in_their_context.
_INSTALLED = version("pypdf")
pytestmark = pytest.mark.skipif(
    _INSTALLED != locked_version("pypdf") and not pdf_fast.usable(),
    reason=f"pypdf {_INSTALLED} installed, not the locked {locked_version('pypdf')}: "
           f"{pdf_fast.status()}")


def outcome(data: bytes, forced_encoding, fast: bool):
    """A ContentStream's operations as pypdf's callers see them, or the error raised."""
    stream = ContentStream(None, None, forced_encoding)
    stream.set_data(data)
    with (fast_content_streams() if fast else plain_pypdf()):
        try:
            return stream.operations
        except Exception as exc:
            return ("raised", type(exc), str(exc))


def assert_same(a, b, where="ops"):
    """Equal values of identical types all the way down (dictionary order included)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__} ({a!r} / {b!r})"
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), where
        for key in a:
            assert_same(dict.__getitem__(a, key), dict.__getitem__(b, key), f"{where}[{key}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# --- tokens the fast reader handles: its operations are pypdf's --------------------

HANDLED = {
    "text block": b"BT /F1 12 Tf 72 712 Td (Hello, World) Tj ET",
    "named escapes": rb"(a\nb\rc\td\be\ff\(g\)h\\i\/j\ k\%l\<m\>n\[o\]p\#q\_r\&s\$t) Tj",
    "octal escapes": rb"(\101\1011\0\12\377\400\777x\08) Tj",
    "escaped line breaks": b"(ab\\\ncd\\\r\nef\\\rgh\\\n\nij\\\r\rkl) Tj",
    "nested parentheses": b"(a(b(c)d)e) Tj (()) Tj ((\\))) Tj",
    "binary literal": b"(\x00\x0b\xff\x80\r\n) Tj",
    "hex strings": b"<48656C6C6F> Tj <48 65 6c\n6C 6> Tj <> Tj <4> Tj <\x0041\x00> Tj",
    "utf-16 hex": b"<FEFF00410042> Tj <0041> Tj <00> Tj",
    "names with #": b"/F#231 12 Tf /Name#20With#20Space gs /A#2 gs /B#zz gs /C#4 gs / gs",
    "non-ascii names": b"/F\xc3\xa9 gs /G\xe9\xe9 gs /H\xff gs /I\x00 gs",
    "numbers": b"-.5 5. +3 0 .25 -0 007 1.000000 +.5 -12.5 Td 1234567890.12345678 0 Td",
    "operators": b"q 1 0 0 1 72 720 cm Q BT T* (a) ' 1 2 (b) \" 0 0 d0 0 0 1 1 2 2 d1 W* n ET",
    "no spaces": b"q/F1 9Tf(a)Tj<41>Tj[(b)-3(c)]TJ 0g/P<</MCID 2>>BDC EMC Q",
    "comments": b"% header\nq % inline comment\n1 0 0 RG%no space\r0 g\nQ % last, no newline",
    "arrays": b"[(A) -120 (B) 50.5 <0041> -3] TJ [3 2] 0 d [[1 2] [true false null] [/N]] BX",
    "dictionaries": (b"/Span <</ActualText (x\\(y\\)) /MCID 3 /Lang (en-US) /A [1 2] "
                     b"/B <</C true /D null /E false>> /F <FEFF0041>>> BDC EMC "
                     b"/P<</MCID 0>>BDC /Q <<>> BDC"),
    "whitespace kinds": b"\x00q\x00\x0c1\t0\r0\n1 0 0 cm Q\r\n\x00",
    "nul inside operator": b"q 0 g\x00 Q",
    "true/false/null as operators": b"1 true 2 false null",
    "operands left over": b"q Q 1 2 (x) /N",
    "empty": b"",
    "blank": b" \n\t\x00 ",
}


@pytest.mark.parametrize("forced_encoding", ["bytes", None])
@pytest.mark.parametrize("name", list(HANDLED))
def test_handled_tokens_give_pypdfs_operations(name, forced_encoding):
    data = HANDLED[name]
    with _pdf_limits():
        ops = parse_operations(data, forced_encoding)
        assert ops is not None, f"{name}: the fast reader should handle this itself"
        expected = outcome(data, forced_encoding, fast=False)
    assert_same(ops, expected, name)


# --- what it leaves to pypdf: the result (or the error) is pypdf's ------------------

HANDED_OVER = {
    "inline image": b"q BI /W 2 /H 1 /BPC 8 /CS /G ID \x01\x02 EI Q BT (x) Tj ET",
    "indirect reference look-alike": b"1 0 R",
    "reference in an array": b"[1 0 R] TJ",
    "unknown escape": b"(a\\qb) Tj",
    "comment in an array": b"[(a) % c\n(b)] TJ",
    "comment in a dictionary": b"/P <</MCID % c\n1>> BDC",
    "duplicate key": b"/P <</MCID 1 /MCID 2>> BDC",
    "number as key": b"/P <<1 2>> BDC",
    "stray closers": b"(a) Tj ) Tj",
    "stray bracket": b"] TJ",
    "stray dictionary end": b">> Tj",
    "vertical tab": b"q\x0bQ",
    "unterminated string": b"(abc Tj",
    "unterminated array": b"[1 2",
    "unterminated dictionary": b"/P <</A 1",
    "malformed numbers": b"1.2.3 Tw",
    "lone sign": b"- Tc",
    "comma in number": b"1,5 Tc",
    "long number": b"12345678901234567890 Tc",
    "long operator": b"A" * 200,
    "high byte": b"\xff Tj",
    "stream keyword after dictionary": b"/P <</A 1>> stream\nxyz\nendstream",
    "unknown word in array": b"[foo] TJ",
    "bad hex digit": b"<4G> Tj",
    "brace": b"{ 1 } Tj",
}


@pytest.mark.parametrize("name", list(HANDED_OVER))
def test_what_it_is_unsure_of_goes_to_pypdf(name):
    data = HANDED_OVER[name]
    with _pdf_limits():
        assert parse_operations(data, "bytes") is None, f"{name}: should be left to pypdf"
        before = pdf_fast.counts.handed_to_pypdf
        fast = outcome(data, "bytes", fast=True)
        assert pdf_fast.counts.handed_to_pypdf == before + 1
        assert_same(fast, outcome(data, "bytes", fast=False), name)


def test_pypdf_limits_are_pypdfs_call():
    """Streams that would exceed pypdf's configured caps fail as pypdf fails."""
    cases = [({"stream_parsing_work_maximum_count": 5}, b"1 2 3 4 5 6 7 Td"),
             ({"array_maximum_element_count": 3}, b"[1 2 3 4] TJ"),
             ({"dictionary_maximum_element_count": 1}, b"/P <</A 1 /B 2>> BDC")]
    for limits, data in cases:
        with apply_configuration(**limits):
            assert parse_operations(data, "bytes") is None
            fast, plain = outcome(data, "bytes", True), outcome(data, "bytes", False)
        assert plain[0] == "raised", plain
        assert_same(fast, plain)


def test_a_failing_fast_reader_costs_only_speed(monkeypatch):
    def broken(data, forced_encoding):
        raise RuntimeError("bug in the fast reader")

    monkeypatch.setattr(pdf_fast, "_parse", broken)
    data = HANDLED["dictionaries"]
    assert_same(outcome(data, "bytes", True), outcome(data, "bytes", False))


# --- damaged real streams: same operations or the same error -------------------------

def real_streams() -> list[bytes]:
    """Page content of two very different producers (a 10-Q, a LaTeX paper)."""
    out = []
    with _pdf_limits():
        for path, page in [(SEC_DIR / "2022 Q3 AAPL.pdf", 2),
                           (PDF_DIR / "pymupdf_tests" / "2201.00069.pdf", 0)]:
            reader = PdfReader(require(path))
            out.append(ContentStream(reader.pages[page]["/Contents"], reader, "bytes").get_data())
    return out


def test_damaged_streams_behave_as_in_pypdf():
    rng = random.Random(20240607)
    handled = 0
    with _pdf_limits():
        for stream in real_streams():
            assert parse_operations(stream, "bytes") is not None
            for _ in range(40):
                piece = stream[: rng.randrange(1, 6000)]
                damaged = bytearray(piece)
                for _ in range(rng.randrange(0, 4)):  # a few bytes flipped
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
                for data in (piece, bytes(damaged)):
                    handled += parse_operations(data, "bytes") is not None
                    assert_same(outcome(data, "bytes", True), outcome(data, "bytes", False))
    assert handled > 20  # most cuts stay readable: the fast reader itself was compared


# --- switched on only where asked ----------------------------------------------------

def test_fast_paths_are_on_for_this_pypdf_and_only_in_their_context():
    from pypdf import _page

    assert pdf_fast.usable(), "pypdf's parsing code changed: re-check pdf_fast, update hashes"
    assert pdf_fast_text.usable(), "pypdf's extractor changed: re-check pdf_fast_text"
    seen = {}
    with fast_content_streams():
        seen["here"] = type(_page.TextExtraction())
        worker = threading.Thread(target=lambda: seen.update(thread=type(_page.TextExtraction())))
        worker.start()
        worker.join()
        with plain_pypdf():
            seen["plain"] = type(_page.TextExtraction())
    seen["after"] = type(_page.TextExtraction())
    assert seen["here"] is pdf_fast_text.FastTextExtraction
    assert seen["thread"] is seen["plain"] is seen["after"] is pdf_fast_text.TextExtraction


# --- the loader ------------------------------------------------------------------------

def sections(doc):
    return [(s.page, s.text) for s in doc.sections]


def test_loader_reads_pages_through_the_fast_path():
    path = require(SEC_DIR / "2022 Q3 AAPL.pdf")
    before = pdf_fast.counts.fast
    fast = load(path)
    assert pdf_fast.counts.fast - before >= fast.pages
    with plain_pypdf():
        plain = load(path)
    assert sections(fast) == sections(plain) and fast.notes == plain.notes


def test_a_page_the_fast_path_fails_on_is_read_again_by_pypdf(monkeypatch, caplog):
    path = require(SEC_DIR / "2022 Q3 AAPL.pdf")
    with plain_pypdf():
        plain = load(path)

    def broken(self, str_widths):
        raise ValueError("bug in the fast extractor")

    # Page 1's text is in a form XObject, where pypdf logs the error and goes on
    # without that text: the page must still be read again.
    monkeypatch.setattr(pdf_fast_text, "post_process_text_operation", broken)
    again = load(path)
    assert "bug in the fast extractor" in caplog.text  # it did fail, also inside the form
    assert sections(again) == sections(plain)
    assert "text extraction failed" not in caplog.text


# --- every page of every real PDF -----------------------------------------------------

def page_text(reader: PdfReader, index: int, fast: bool) -> str:
    with (fast_content_streams() if fast else plain_pypdf()):
        try:
            return reader.pages[index].extract_text()
        except Exception as exc:
            return f"raised {type(exc).__name__}: {exc}"


@pytest.mark.slow
def test_every_page_of_the_corpus_extracts_identically():
    """All 20 SEC filings and all 32 other PDFs: each page's text with the fast path is
    pypdf's plain ``extract_text()``, character for character."""
    paths = sorted(require(SEC_DIR).glob("*.pdf"))
    assert len(paths) == 20
    others = sorted(require(PDF_DIR).rglob("*.pdf"))
    assert len(others) == 32
    started = time.process_time()
    before = (pdf_fast.counts.fast, pdf_fast.counts.handed_to_pypdf)
    pages = 0
    differing: list[str] = []
    sec_handed = 0
    for path in paths + others:
        with _pdf_limits():
            try:
                plain_reader = PdfReader(path, strict=False)
                fast_reader = PdfReader(path, strict=False)
                n = len(plain_reader.pages)
            except Exception:
                continue  # unreadable as a whole: no page text to compare
            handed = pdf_fast.counts.handed_to_pypdf
            for i in range(n):
                pages += 1
                if page_text(plain_reader, i, False) != page_text(fast_reader, i, True):
                    differing.append(f"{Path(path).name} p{i + 1}")
            if path in paths:
                sec_handed += pdf_fast.counts.handed_to_pypdf - handed
    fast = pdf_fast.counts.fast - before[0]
    handed = pdf_fast.counts.handed_to_pypdf - before[1]
    print(f"\n{pages} pages compared, {len(differing)} differ; streams: {fast} fast, "
          f"{handed} by pypdf; {time.process_time() - started:.0f} s CPU")
    assert not differing, differing
    assert pages > 1300
    assert sec_handed == 0 and fast > 1000  # the fast reader did the work
