"""Every kind of bad input gets a status and a one-line reason (real files, crafted from
real ones in a temporary folder)."""

import os
import shutil
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load, split_markdown_sections
from ingest.pdf import PdfOptions
from tests.conftest import MD_DIR, PDF_DIR, SEC_DIR, require

GOOD_PDF = PDF_DIR / "pymupdf_tests" / "2201.00069.pdf"
SCANNED_PDF = PDF_DIR / "pymupdf_tests" / "test_3863.pdf"


def load_error(path: Path, **kw) -> LoadError:
    with pytest.raises(LoadError) as info:
        load(path, **kw)
    assert info.value.reason and "\n" not in info.value.reason
    return info.value


def test_pdf_pages_keep_their_numbers():
    doc = load(require(SEC_DIR / "2023 Q1 AAPL.pdf"))
    assert doc.kind == "pdf" and doc.pages >= 20
    pages = [s.page for s in doc.sections]
    assert pages == sorted(pages) and pages[0] == 1
    assert any("net sales" in s.text.lower() for s in doc.sections)


def test_truncated_pdf(tmp_path):
    data = require(GOOD_PDF).read_bytes()
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(data[: len(data) // 3])
    err = load_error(bad)
    assert err.status in ("corrupt", "no_text")


def test_corrupt_pdf(tmp_path):
    data = bytearray(require(GOOD_PDF).read_bytes())
    for i in range(200, len(data), 97):  # damage the whole body, keep the header
        data[i] = (data[i] + 131) % 256
    bad = tmp_path / "corrupt.pdf"
    bad.write_bytes(bytes(data))
    err = load_error(bad)
    assert err.status in ("corrupt", "no_text")


def test_not_a_pdf_at_all(tmp_path):
    bad = tmp_path / "photo.pdf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3000))
    assert load_error(bad).status == "corrupt"


def _encrypt(src: Path, dst: Path, password: str) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="AES-128")
    with open(dst, "wb") as fh:
        writer.write(fh)


def test_encrypted_pdf_with_password(tmp_path):
    bad = tmp_path / "locked.pdf"
    _encrypt(require(GOOD_PDF), bad, "s3cret")
    err = load_error(bad)
    assert err.status == "encrypted" and "password" in err.reason


def test_encrypted_pdf_with_empty_password_opens(tmp_path):
    ok = tmp_path / "owner-only.pdf"
    _encrypt(require(GOOD_PDF), ok, "")
    doc = load(ok)
    assert doc.sections and len(doc.sections[0].text) > 100


def test_zero_byte_file(tmp_path):
    for name in ("empty.pdf", "empty.md"):
        (tmp_path / name).write_bytes(b"")
        assert load_error(tmp_path / name).status == "empty"


def test_file_over_the_size_limit():
    err = load_error(require(SEC_DIR / "2022 Q3 INTC.pdf"), max_bytes=1_000_000)
    assert err.status == "too_large" and "limit" in err.reason


def test_scanned_pdf_with_ocr_turned_off():
    err = load_error(require(SCANNED_PDF), pdf_options=PdfOptions(ocr=False))
    assert err.status == "no_text" and "OCR is off" in err.reason and "ingest.ocr" in err.reason


def test_binary_data_named_md(tmp_path):
    bad = tmp_path / "notes.md"
    bad.write_bytes(require(GOOD_PDF).read_bytes()[:20000])
    assert load_error(bad).status == "binary"


def test_non_utf8_markdown_is_decoded(tmp_path):
    text = require(MD_DIR / "zh/docs/index.md").read_text(encoding="utf-8")
    gbk = tmp_path / "gbk.md"
    gbk.write_bytes(text.encode("gb18030", errors="ignore"))
    doc = load(gbk)
    joined = "\n".join(s.text for s in doc.sections)
    assert "FastAPI" in joined and "框架" in joined


def test_undecodable_markdown_is_rejected(tmp_path):
    bad = tmp_path / "noise.md"
    bad.write_bytes(bytes(range(128, 256)) * 40)
    err = load_error(bad)
    assert err.status in ("encoding", "binary")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path):
    bad = tmp_path / "secret.md"
    bad.write_text("# hidden")
    bad.chmod(0)
    assert load_error(bad).status == "unreadable"


def test_unreadable_file_even_as_root(tmp_path):
    """A path that cannot be read as a file (a directory named .md) fails cleanly."""
    odd = tmp_path / "folder.md"
    odd.mkdir()
    err = load_error(odd)
    assert err.status == "unreadable"


def test_file_deleted_before_reading(tmp_path):
    gone = tmp_path / "gone.md"
    assert load_error(gone).status == "missing"


def test_unsupported_extension(tmp_path):
    f = tmp_path / "table.xlsx"
    f.write_bytes(b"PK\x03\x04")
    assert load_error(f).status == "unsupported"


def test_markdown_heading_paths_front_matter_and_code():
    text = """---
title: Guide
tags: [a]
---
# Guide

Intro text.

## Install

### Linux

Run this:

```bash
# not a heading
pip install wenji
```

## Use

Ask.
"""
    sections = split_markdown_sections(text.split("---\n", 2)[2])
    headings = [s.heading for s in sections]
    assert headings == ["Guide", "Guide > Install > Linux", "Guide > Use"]
    linux = sections[1].text
    assert "# not a heading" in linux and "pip install wenji" in linux


def test_markdown_front_matter_is_removed(tmp_path):
    f = tmp_path / "fm.md"
    f.write_text("---\ntitle: X\nsecret: yes\n---\n# Title\n\nBody text here.\n")
    doc = load(f)
    assert all("secret" not in s.text for s in doc.sections)
    assert doc.sections[0].heading == "Title"


def test_all_sec_filings_load_with_text():
    """All 20 filings, including the two that pypdf rejects with default limits."""
    files = sorted(require(SEC_DIR).glob("*.pdf"))
    assert len(files) == 20
    for f in files:
        doc = load(f)
        chars = sum(len(s.text) for s in doc.sections)
        assert chars > 40_000, f"{f.name}: only {chars} characters"
        assert doc.pages >= 20


def test_every_real_world_pdf_gets_a_sensible_status():
    import json

    manifest = [json.loads(line) for line in (PDF_DIR / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 32
    for entry in manifest:
        path = PDF_DIR / entry["file"]
        try:
            doc = load(path, pdf_options=PdfOptions(ocr=False))  # OCR: test_pdf_ocr.py
        except LoadError as err:
            # only files with (almost) no text layer may fail, and they say why
            assert err.status == "no_text", (entry["file"], err.reason)
            assert entry["text_chars"] < 200, (entry["file"], entry["text_chars"])
            continue
        chars = sum(len(s.text) for s in doc.sections)
        assert chars >= min(entry["text_chars"] * 0.5, 200), (entry["file"], chars)
        if entry["cjk_chars"] > 50:
            assert any("\u4e00" <= ch <= "\u9fff" for s in doc.sections for ch in s.text)
