"""What the keyword index sees of a chunk, as distinct from the text the user is shown.

The stored chunk text stays the document's own words, with exact spans.  The keyword
index also sees the chunk's heading path and its document's context (file name and
title), so "Amazon's Q2 2023 10-Q" matches the chunks of ``2023 Q2 AMZN.pdf`` although no
passage says so.

The embedder sees the chunk as written.  Every addition tried measured worse: a record's
title before every chunk (SciFact), a table embedded by its labels without its figures
(the SEC filings); a heading path before a Markdown chunk lifted an off-topic question's
similarity over the grounding threshold (bench/RESULTS.md).  Questions that name a
document are served by the named-document search instead.
"""

from __future__ import annotations

from pathlib import Path


def document_context(path: str, title: str | None) -> str:
    """The words that place a chunk: its file's name (without extension) and the
    document's title when that says something the name does not."""
    stem = Path(path).stem if path else ""
    title = (title or "").strip()
    if title and title.lower() != stem.lower():
        return f"{stem} {title}".strip()
    return stem


def chunk_context(path: str, title: str | None, index: int) -> str:
    """The context line of a document's chunk in the keyword index.  A file's name and
    title place every chunk; a record that is not a file (a corpus entry, keyed like
    ``beir:4983``) opens with its title, so only its later chunks repeat it."""
    if Path(path).is_absolute():
        return document_context(path, title)
    return title if (index > 0 and title and title != path) else ""


def keyword_text(text: str, heading: str = "", context: str = "") -> str:
    """The text the keyword index tokenizes for a chunk."""
    return "\n".join(part for part in (context, heading, text) if part)
