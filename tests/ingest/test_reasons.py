"""Files' failure reasons carry a code and parameters beside the same English as before:
from the loaders, through a worker process (pickling) and the catalog, where a reason
from an older catalog (plain English) still reads as itself."""

import os
import sqlite3

import pytest

from ingest.loaders import LoadError, load
from models.reasons import Reason
from tests.conftest import PDF_DIR, require

GOOD_PDF = PDF_DIR / "pymupdf_tests" / "2201.00069.pdf"


def load_error(path, **kw) -> LoadError:
    with pytest.raises(LoadError) as info:
        load(path, **kw)
    return info.value


def test_garbage_named_pdf(tmp_path):
    bad = tmp_path / "x.pdf"
    bad.write_bytes(os.urandom(4000).replace(b"%PDF", b"%PDX"))
    err = load_error(bad)
    assert (err.status, err.reason.code) == ("corrupt", "not_a_pdf")
    assert err.reason == "not a PDF file (no %PDF header)"


def test_truncated_pdf_names_the_damage(tmp_path):
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
    err = load_error(bad)
    assert err.reason.code in ("pdf_damaged", "pdf_no_pages", "pdf_text_unreadable")
    if err.reason.code == "pdf_damaged":
        assert err.reason == f"damaged or truncated PDF: {err.reason.params['error']}"


def test_encrypted_pdf(tmp_path):
    from pypdf import PdfReader, PdfWriter

    locked = tmp_path / "locked.pdf"
    writer = PdfWriter(clone_from=PdfReader(require(GOOD_PDF)))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    with open(locked, "wb") as fh:
        writer.write(fh)
    err = load_error(locked)
    assert (err.status, err.reason.code) == ("encrypted", "pdf_encrypted")
    assert err.reason == "encrypted PDF: it needs a password"


def test_empty_too_large_and_unsupported_files(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    err = load_error(empty)
    assert (err.reason.code, err.reason) == ("empty_file", "empty file (0 bytes)")

    big = tmp_path / "big.md"
    big.write_bytes(b"# x\n" + b"a" * 2_600_000)
    err = load_error(big, max_bytes=1_000_000)
    assert err.reason.code == "too_large" and err.reason.params == {"size_mb": 3, "limit_mb": 1}
    assert err.reason == "file is 3 MB, over the 1 MB limit (setting ingest.max_file_mb)"

    odd = tmp_path / "table.xlsx"
    odd.write_bytes(b"PK\x03\x04")
    err = load_error(odd)
    assert (err.reason.code, err.reason.params) == ("unsupported_type", {"suffix": ".xlsx"})
    assert err.reason == "unsupported file type '.xlsx': Wenji reads PDF and Markdown"

    folder = tmp_path / "folder.md"
    folder.mkdir()
    err = load_error(folder)
    assert err.reason.code == "is_a_folder" and err.reason.startswith("cannot read the file: ")


def test_a_worker_process_returns_the_code(tmp_path):
    """Files are parsed in worker processes: the reason crosses the process boundary."""
    import concurrent.futures as cf
    import multiprocessing as mp

    from ingest.prepare import prepare

    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"garbage, not a PDF at all" * 50)
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        out = pool.submit(prepare, str(bad), None, str(tmp_path), 200, 0.1, 10**9).result()
    assert (out.ok, out.code, out.reason.code) == (False, "corrupt", "not_a_pdf")


def test_the_catalog_keeps_the_code_and_reads_old_rows(tmp_path):
    from ingest.store.catalog import Catalog

    catalog = Catalog(tmp_path / "catalog.db")
    kb = catalog.create_kb("default", None)
    reason = Reason("pdf_encrypted", "encrypted PDF: it needs a password")
    catalog.record_failure(kb, "/x/locked.pdf", code="encrypted", reason=reason,
                           content_hash=None, size=10, mtime=1.0, kind="pdf")
    doc = catalog.document(kb.id, "/x/locked.pdf")
    assert doc.reason == reason and doc.reason.code == "pdf_encrypted"
    # a row from before reasons had codes: its English, as it is
    catalog.db.execute("UPDATE documents SET reason_data = NULL, reason = 'old words'")
    doc = catalog.document(kb.id, "/x/locked.pdf")
    assert doc.reason == "old words" and not isinstance(doc.reason, Reason)
    catalog.close()


def test_an_old_catalog_gains_the_column(tmp_path):
    from ingest.store import catalog as catalog_mod

    path = tmp_path / "old.db"
    old_schema = "\n".join(line for line in catalog_mod.SCHEMA.splitlines()
                           if "reason_data" not in line)
    db = sqlite3.connect(path)
    db.executescript(old_schema)
    db.execute("INSERT INTO kbs (name, status, created) VALUES ('default', 'ready', 0)")
    db.execute("INSERT INTO documents (kb_id, path, status, code, reason) VALUES "
               "(1, '/x/a.pdf', 'failed', 'corrupt', 'damaged or truncated PDF: EOF')")
    db.commit()
    db.close()
    catalog = catalog_mod.Catalog(path)
    doc = catalog.document(1, "/x/a.pdf")
    assert doc.reason == "damaged or truncated PDF: EOF" and doc.reason_data is None
    catalog.close()
