"""The CPU-heavy, store-free half of ingesting one file: load, split, tokenize.

Runs in worker processes (so PDF parsing overlaps with embedding in the main process);
everything it returns is plain data that pickles cheaply.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.index_text import chunk_context, keyword_text
from ingest.loaders import LoadError, cannot_read, file_missing, kind_of, load
from ingest.pdf import PdfOptions
from ingest.splitter import Chunk, Splitter
from models.hashing import file_sha256 as file_hash
from models.reasons import Reason


@dataclass
class Prepared:
    path: str
    ok: bool
    code: str | None = None
    reason: str | None = None  # a models.reasons.Reason when the core wrote it
    kind: str | None = None
    content_hash: str | None = None
    size: int | None = None
    mtime: float | None = None
    title: str = ""
    pages: int = 0
    empty_pages: int = 0
    ocr_pages: int = 0
    notes: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # keyword tokens per chunk, space-joined
    seconds: float = 0.0


_splitters: dict[tuple, Splitter] = {}
# Set in worker processes: where OCR progress goes, as (path, pages done, pages to do).
_ocr_news = None


class Cancelled(Exception):
    """Raised by a progress callback to stop reading a file (ingest was cancelled)."""


READ_ATTEMPTS = 3  # a file that changes while it is read is read again, this often


def prepare(path: str, content_hash: str | None, model_dir: str, chunk_tokens: int,
            overlap: float, max_bytes: int, pdf_options: PdfOptions | None = None,
            on_ocr=None, hashed_stat: tuple | None = None) -> Prepared:
    """Load and split one file.  Never raises for a bad file: ``ok`` says what happened
    (``on_ocr(path, done, total)`` may raise :class:`Cancelled`, which is passed on).

    ``content_hash`` was taken when the file had ``hashed_stat`` (size, mtime); a file
    written since (or while it is read: it is read again) is hashed again here, so the
    catalog's hash, size and time always describe the version whose text is indexed --
    else the next run would take the new version for unchanged."""
    import time

    t0 = time.perf_counter()
    p = Path(path)
    out = Prepared(path=path, ok=False, kind=kind_of(p), content_hash=content_hash)
    if on_ocr is None and _ocr_news is not None:
        on_ocr = _post_ocr_news
    try:
        for _ in range(READ_ATTEMPTS):
            st = p.stat()
            out.size, out.mtime = st.st_size, st.st_mtime
            doc = load(p, max_bytes=max_bytes, pdf_options=pdf_options,
                       on_ocr=None if on_ocr is None else
                       (lambda done, total: on_ocr(path, done, total)))
            after = p.stat()
            if (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns):
                break
        else:
            out.code, out.reason = "changing", Reason(
                "file_changing", "the file kept changing while it was read; add it again "
                "once it is saved")
            return out
        if content_hash is not None and hashed_stat != (st.st_size, st.st_mtime):
            out.content_hash = file_hash(p)  # written since it was hashed
    except Cancelled:
        raise
    except LoadError as exc:
        out.code, out.reason = exc.status, exc.reason
        return out
    except FileNotFoundError:
        out.code, out.reason = "missing", file_missing()
        return out
    except OSError as exc:
        out.code, out.reason = "unreadable", cannot_read(exc)
        return out
    except Exception as exc:  # a parser bug must cost one file, not the batch
        out.code, out.reason = "error", read_failed(exc)
        return out
    key = (model_dir, chunk_tokens, overlap)
    splitter = _splitters.get(key)
    if splitter is None:
        splitter = _splitters[key] = Splitter(Path(model_dir), chunk_tokens, overlap)
    chunks = splitter.split(doc)
    if not chunks:
        out.code, out.reason = "no_text", _no_text()
        return out
    out.ok = True
    out.title, out.pages, out.empty_pages, out.notes = doc.title, doc.pages, doc.empty_pages, doc.notes
    out.ocr_pages = doc.ocr_pages
    _index(out, chunks, doc.title)
    out.seconds = time.perf_counter() - t0
    return out


def read_failed(exc: BaseException) -> Reason:
    """A reader's unexpected error, named (cut short: some messages hold whole pages)."""
    error = f"{type(exc).__name__}: {exc}"
    return Reason.worded("read_failed", f"could not be read: {error}"[:300], error=error[:280])


def _no_text() -> Reason:
    return Reason("no_text_to_index", "no text to index")


def _index(out: Prepared, chunks: list[Chunk], title: str) -> None:
    """Set the chunks and what the keyword index sees of each (the embedder sees the
    chunk's text as written)."""
    from ingest.analyzer import tokenize

    out.chunks = chunks
    out.tokens = [" ".join(tokenize(keyword_text(c.text, c.heading or "",
                                                 chunk_context(out.path, title, c.index))))
                  for c in chunks]


def _post_ocr_news(path: str, done: int, total: int) -> None:
    try:
        _ocr_news.put_nowait((path, done, total))
    except Exception:  # progress is a courtesy; reading goes on
        pass


def worker_init(ocr_news=None) -> None:
    """Worker processes parse; they must not compete with the embedder for threads.
    ``ocr_news``: a queue for OCR progress."""
    global _ocr_news
    import logging

    _ocr_news = ocr_news
    if ocr_news is not None:
        ocr_news.cancel_join_thread()  # never wait at exit to deliver progress
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # pypdf warns per font it cannot fully decode; the text is still extracted, and the
    # user cannot act on it.  Real problems come back as a file's status and reason.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        os.nice(5)  # embedding (the bottleneck) keeps priority over parsing
    except OSError:
        pass


def prepare_text(key: str, title: str, text: str, model_dir: str, chunk_tokens: int,
                 overlap: float, kind: str = "text") -> Prepared:
    """Like :func:`prepare` for text that is not a file (a corpus record); ``key`` plays
    the part of the path (e.g. ``beir:4983``).  Title and text are indexed together."""
    from ingest.loaders import LoadedDocument, Section, clean_text

    body = clean_text(f"{title}\n{text}" if title else text)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    out = Prepared(path=key, ok=False, kind=kind, content_hash=digest,
                   size=len(body.encode("utf-8")), mtime=0.0, title=title or key)
    if not body.strip():
        out.code, out.reason = "no_text", _no_text()
        return out
    doc = LoadedDocument(path=Path(key), kind=kind, sections=[Section(text=body)],
                         title=title or key)
    sk = (model_dir, chunk_tokens, overlap)
    splitter = _splitters.get(sk)
    if splitter is None:
        splitter = _splitters[sk] = Splitter(Path(model_dir), chunk_tokens, overlap)
    _index(out, splitter.split(doc), title)
    out.ok = bool(out.chunks)
    return out
