"""A document as sections, for questions about the whole of it (summaries, comparisons).

Why sections and not the retrieval passages: a summary must read every part of a
document once, in order, and say where each statement comes from.  The stored passages
overlap (:mod:`ingest.splitter`), so their text is joined back without the repeated
part; then cut where the document's own structure is -- its outline headings (PDF
outline, Markdown headings), else the "PART I" / "Item 2." lines that every SEC filing
shares (which is also what lets two filings be compared section by section), else
"第一章"/"第二节" lines -- and a part longer than the model can read at once is cut
again by pages.  Every section keeps its page range and labels, for the citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

# a line that opens a section of a filing: "PART I", "Item 2.", "ITEM 1A. RISK FACTORS"
_FILING_LINE = re.compile(r"^\s*(PART\s+[IVX]+\b|Item\s+\d+[A-Z]?\s*\.|ITEM\s+\d+[A-Z]?\s*\.)"
                          r"[^\n]{0,120}$", re.M)
_ZH_LINE = re.compile(r"^\s*第[一二三四五六七八九十百零\d]+[章节部分]\s*[^\n]{0,60}$", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s+|(?<=[。！？；])|\n\s*\n")
_ANCHOR = re.compile(r"\s*\{\s*#[^}]*\}")  # Markdown heading ids: "First Steps { #first-steps }"
# a page listing this many section lines, most ending in a page number, is a table of
# contents, not where they start (a real page can open four: "PART II", "Item 1.", ...)
TOC_LINES = 4


@dataclass
class Section:
    """A run of a document's text: ``title`` (its heading, or "pp. 3–5"), the pages it
    spans (``first_page``..``last_page``, None for documents without pages) and their
    labels as printed, and ``key``: the title reduced to what two documents of one kind
    share ("item 2"), for comparing."""

    index: int
    title: str
    text: str
    first_page: int | None = None
    last_page: int | None = None
    first_label: str | None = None
    last_label: str | None = None
    key: str = ""

    @property
    def pages(self) -> str:
        """"p. 4", "pp. 4–7" (as printed where a page has a label), or ""."""
        if self.first_page is None:
            return ""
        first = self.first_label or str(self.first_page)
        last = self.last_label or str(self.last_page)
        return f"p. {first}" if first == last else f"pp. {first}–{last}"


@dataclass
class _Piece:
    page: int | None
    label: str | None
    heading: str
    text: str
    starts: list[str] = field(default_factory=list)  # section lines found in the text


def section_key(title: str) -> str:
    """What two filings' section titles share: "item 2", "part i"; else the title in
    lower case."""
    m = re.match(r"\s*(part\s+[ivx]+|item\s+\d+[a-z]?)\b", title, re.I)
    return m.group(1).lower().replace("  ", " ") if m else title.strip().lower()


def joined_pages(chunks: Sequence) -> list[_Piece]:
    """The document's text by page (or by heading, without pages), the overlap between
    neighbouring passages removed.  ``chunks``: :class:`ingest.store.catalog.ChunkRow`\\ s
    in reading order."""
    pieces: list[_Piece] = []
    prev_end = None
    for c in chunks:
        heading = _ANCHOR.sub("", (c.heading or "").split(" > ")[0]).strip()
        same = pieces and pieces[-1].page == c.page and pieces[-1].heading == heading
        text = c.text
        if same and prev_end is not None and c.start < prev_end:
            text = text[prev_end - c.start:]  # the part the last passage already gave
        if same:
            gap = prev_end is not None and c.start > prev_end  # text between them left out
            pieces[-1].text += (" " if gap else "") + text
        else:
            pieces.append(_Piece(c.page, c.page_label, heading, text))
        prev_end = max(c.end, prev_end or 0) if same else c.end
    return pieces


def _lines(text: str) -> list[tuple[int, str]]:
    found = [(m.start(), m.group(0).strip()) for m in _FILING_LINE.finditer(text)]
    return found or [(m.start(), m.group(0).strip()) for m in _ZH_LINE.finditer(text)]


def table_of_contents(text: str) -> bool:
    """Whether a page is a table of contents: many section lines, most ending in a page
    number."""
    found = _lines(text)
    numbered = sum(bool(re.search(r"\d+$", line)) for _, line in found)
    return len(found) >= TOC_LINES and numbered * 2 >= len(found)


def section_lines(text: str) -> list[tuple[int, str]]:
    """Where filing or Chinese section lines open a section in one page's ``text``
    (offset, line); none on a table of contents."""
    return [] if table_of_contents(text) else _lines(text)


def _cut_points(pieces: list[_Piece]) -> None:
    for p in pieces:
        p.starts = [line for _, line in section_lines(p.text)]


def document_sections(chunks: Sequence, max_tokens: int,
                      count_tokens: Callable[[str], int]) -> list[Section]:
    """The document's sections, none longer than ``max_tokens`` (counted by the model
    that will read them); neighbours far below it are joined, so a model call reads a
    useful amount."""
    pieces = joined_pages(chunks)
    if not pieces:
        return []
    by_heading = any(p.heading for p in pieces)
    if not by_heading:
        _cut_points(pieces)
    groups: list[tuple[str, list[_Piece]]] = []
    for p in pieces:
        if by_heading:
            opens = not groups or p.heading != groups[-1][0]
            title = p.heading
        else:
            # the page's last section line names what runs on; a running header that
            # repeats the current section ("PART I" atop every page) opens nothing
            title = p.starts[-1] if p.starts else (groups[-1][0] if groups else "")
            opens = not groups or (bool(p.starts) and
                                   section_key(title) != section_key(groups[-1][0]))
        if opens:
            groups.append((title, [p]))
        else:
            groups[-1][1].append(p)
    sections: list[Section] = []
    for title, group in groups:
        for part in _split_long(group, max_tokens, count_tokens):
            sections.append(_section(len(sections), title, part))
    return _join_short(sections, max_tokens, count_tokens)


def _split_long(group: list[_Piece], max_tokens: int, count_tokens) -> list[list[_Piece]]:
    """Pages of one section in runs that fit ``max_tokens``; a page longer than that is
    cut by characters (proportionally to its token count)."""
    runs: list[list[_Piece]] = [[]]
    used = 0
    for p in group:
        n = count_tokens(p.text)
        if n > max_tokens:  # one long page: cut it
            share = max(64, int(len(p.text) * max_tokens / n * 0.95))
            for i in range(0, len(p.text), share):
                runs.append([_Piece(p.page, p.label, p.heading, p.text[i:i + share])])
            runs.append([])
            used = 0
            continue
        if runs[-1] and used + n > max_tokens:
            runs.append([])
            used = 0
        runs[-1].append(p)
        used += n
    return [r for r in runs if r]


def _section(index: int, title: str, pieces: list[_Piece]) -> Section:
    pages = [p.page for p in pieces if p.page is not None]
    first = next((p for p in pieces if p.page is not None), None)
    last = next((p for p in reversed(pieces) if p.page is not None), None)
    s = Section(index, title, "\n".join(p.text.strip() for p in pieces),
                min(pages) if pages else None, max(pages) if pages else None,
                first.label if first else None, last.label if last else None)
    s.title = title or s.pages or f"part {index + 1}"
    s.key = section_key(s.title) if title else ""
    return s


def _join_short(sections: list[Section], max_tokens: int, count_tokens) -> list[Section]:
    """Join a part to the one before when they belong to one section (or neither to a
    named one) and together still fit in half the budget (short notes, a page of
    exhibits): fewer, fuller model calls."""
    out: list[Section] = []
    for s in sections:
        if out and s.key == out[-1].key and \
                count_tokens(out[-1].text + s.text) <= max_tokens // 2:
            prev = out[-1]
            prev.text += "\n" + s.text
            if s.first_page is not None:
                prev.first_page = prev.first_page if prev.first_page is not None else s.first_page
                prev.first_label = prev.first_label or s.first_label
                prev.last_page, prev.last_label = s.last_page, s.last_label
            continue
        out.append(s)
    for i, s in enumerate(out):
        s.index = i
    return out


def as_one_section(sections: list[Section]) -> list[Section]:
    """All of ``sections`` as one (a document a model can read whole), spanning their
    pages, titled by the first."""
    if len(sections) <= 1:
        return sections
    first, last = sections[0], sections[-1]
    paged = [x for x in sections if x.first_page is not None]
    one = Section(0, first.title, "\n".join(x.text for x in sections),
                  paged[0].first_page if paged else None, paged[-1].last_page if paged else None,
                  paged[0].first_label if paged else None, paged[-1].last_label if paged else None,
                  first.key)
    if one.first_page is not None and first.title == first.pages:
        one.title = one.pages
    return [one]


def page_sentences(text: str, lines: Sequence[tuple[int, str]] = (), longest: int = 320):
    """(offset, sentence) of a page's text, each section line (``lines``, from
    :func:`section_lines`) a sentence of its own; a run-on longer than ``longest``
    characters (a table read as one sentence) by its lines, so a table row stands alone."""
    cuts = sorted({(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)}
                  | {(a, a) for a, _ in lines} | {(a + len(line),) * 2 for a, line in lines}
                  | {(len(text), len(text))})
    start = 0
    for end, after in cuts:
        piece = text[start:end]
        if piece.strip():
            if len(" ".join(piece.split())) <= longest:
                yield start, piece
            else:
                offset = start
                for line in piece.split("\n"):
                    if line.strip():
                        yield offset, line
                    offset += len(line) + 1
        start = max(start, after)
