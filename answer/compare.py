"""Comparing documents of one kind section by section: "what changed between the Q1
and Q2 reports?".

Why this way: two filings of one company share their structure (PART I, Item 2, ...)
and most of their table lines ("Total net sales", "Research and development"), so what
changed is, first, the lines whose figures differ -- found by reading the tables, not by
asking a small model, which would misquote them -- and the sentences both documents
write word for word but with other amounts ("As of April 1, 2023, the Company had
manufacturing purchase obligations of $40.5 billion", a quarter after "$55.1 billion"),
shown with both values and both pages; and second, what each matched section says, from
the section summaries (:mod:`answer.summaries`, cached per document version).  Every
value and every summary cites the section it comes from.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

from answer.citations import Source
from answer.figures import figures
from answer.sections import Section, joined_pages, page_sentences, section_lines
from answer.summaries import SectionSummary, SummaryProgress, Summarizer, document_name

# a table line: a label, then its first figure ("Total net sales $ 94,836 $ 97,278")
_ROW = re.compile(r"^\s*([A-Za-z][A-Za-z ,'’()&/\-]{2,80}?)[\s:]+\(?\$?\s*\(?(\d[\d,]*(?:\.\d+)?)\)?"
                  r"(?:\s|%|$)", re.M)
NOTHING_SHARED = {
    "en": "These documents share no section with figures or summaries to set side by side "
          "(comparisons work on documents of one kind, such as two quarterly reports).",
    "zh": "这两份文档没有可以并排对照的共同章节（比较适用于同类文档，例如两份季度报告）。"}
_PROSE = re.compile(r"[^\W\d_]{2,} [^\W\d_]{2,}.*[.!?。！？]$")  # words, and an end
MAX_ROWS = 40  # differences shown at most (the first ones, in the documents' order)
HEAD = {"en": ("Differences in figures", "Section", "Line", "Section by section",
               "Sentences with other figures", "Sentence"),
        "zh": ("数字的变化", "章节", "项目", "逐节对照", "数字不同的相同语句", "语句")}


@dataclass
class Row:
    label: str
    value: str
    page: int | None
    section: int  # index into the document's sections


@dataclass
class Difference:
    key: str
    label: str
    a: Row
    b: Row


@dataclass
class Comparison:
    """``text``: Markdown citing ``sources`` (the sections of the first document, then
    those of the second)."""

    titles: tuple[str, str]
    text: str
    sources: list[Source]
    differences: list[Difference]
    matched: list[str] = field(default_factory=list)  # section keys both documents have
    stated: list[Difference] = field(default_factory=list)  # in sentences written alike


def table_rows(chunks: Sequence, sections: list[Section]) -> dict[tuple[str, str], Row]:
    """(section key, label) -> the first figure of that line, for labels that occur once
    in their section (a label that repeats is ambiguous)."""
    seen: dict[tuple[str, str], list[Row]] = {}
    for piece in joined_pages(chunks):
        section = _section_of(piece.page, sections)
        if section is None or not section.key:
            continue
        for m in _ROW.finditer(piece.text):
            label = " ".join(m.group(1).lower().replace("’", "'").split()).strip(" ,-")
            if len(label) < 4 or not figures(m.group(2)):
                continue
            seen.setdefault((section.key, label), []).append(
                Row(label, m.group(2), piece.page, section.index))
    return {k: rows[0] for k, rows in seen.items() if len(rows) == 1}


def _changing(f) -> bool:
    """A figure whose change is news: an amount, a share, a count written in full --
    not a date, a year or a bare small number ("Note 8" in one filing, "Note 9" in the
    next)."""
    if f.kind == "percent":
        return True
    return f.kind == "number" and (f.unit != 1.0 or "." in f.text or "$" in f.text
                                   or f.value >= 1000)


def prose_rows(chunks: Sequence, sections: list[Section]) -> dict[tuple[str, str], Row]:
    """(section key, sentence with its figures masked) -> the sentence's figures, for
    sentences whose masked form occurs once in the document."""
    seen: dict[tuple[str, str], list[Row]] = {}
    for piece in joined_pages(chunks):
        section = _section_of(piece.page, sections)
        if section is None or not section.key:
            continue
        for _, sentence in page_sentences(piece.text, section_lines(piece.text)):
            sentence = " ".join(sentence.split())
            found = figures(sentence)
            if not any(_changing(f) for f in found) or not _PROSE.search(sentence) or \
                    len(re.findall(r"[^\W\d_]{2,}", sentence)) < 6:
                continue  # a table row, not a sentence
            masked = sentence
            for f in reversed(found):
                masked = masked[:f.start] + "#" + masked[f.end:]
            row = Row(sentence, "\x1f".join(f.text for f in found), piece.page, section.index)
            seen.setdefault((section.key, masked), []).append(row)
    return {k: rows[0] for k, rows in seen.items() if len(rows) == 1}


def prose_differences(rows_a: dict, rows_b: dict) -> list[Difference]:
    """Sentences both documents write alike whose amounts differ: each with the words
    before its first changed amount as the label, and the changed amounts only."""
    out = []
    for (key, masked), a in rows_a.items():
        b = rows_b.get((key, masked))
        if b is None:
            continue
        fa, fb = figures(a.label), figures(b.label)
        changed = [i for i, (x, y) in enumerate(zip(fa, fb))
                   if x.text != y.text and _changing(x) and _changing(y)]
        if len(fa) != len(fb) or not changed:
            continue
        words = a.label[:fa[changed[0]].start].split()
        label = ("… " if len(words) > 8 else "") + " ".join(words[-8:])
        a_row = Row(label, "; ".join(fa[i].text for i in changed), a.page, a.section)
        b_row = Row(label, "; ".join(fb[i].text for i in changed), b.page, b.section)
        out.append(Difference(key, label, a_row, b_row))
    return out


def _section_of(page: int | None, sections: list[Section]) -> Section | None:
    for s in sections:
        if page is not None and s.first_page is not None and \
                s.first_page <= page <= (s.last_page or s.first_page):
            return s
    return None


def figure_differences(rows_a: dict, rows_b: dict) -> list[Difference]:
    """Lines both documents have in the same section, whose first figures differ."""
    out = []
    for (key, label), a in rows_a.items():
        b = rows_b.get((key, label))
        if b is not None and a.value.replace(",", "") != b.value.replace(",", ""):
            out.append(Difference(key, label, a, b))
    return out


class Comparer:
    """Two documents compared with ``summarizer`` (its model reads the sections)."""

    def __init__(self, summarizer: Summarizer):
        self.summarizer = summarizer

    def compare(self, first, chunks_a: Sequence, second, chunks_b: Sequence,
                lang: str = "en", summaries: bool = True,
                cancel: threading.Event | None = None,
                progress: Callable[[SummaryProgress], None] | None = None) -> Comparison:
        """``first``/``second``: :class:`ingest.store.catalog.DocumentRow`\\ s with their
        chunks in reading order; ``summaries``: also summarize the matched sections."""
        sa = self.summarizer.sections(chunks_a)
        sb = self.summarizer.sections(chunks_b)
        sources = ([Summarizer._source(first, s, i + 1) for i, s in enumerate(sa)]
                   + [Summarizer._source(second, s, len(sa) + i + 1) for i, s in enumerate(sb)])
        keys_b = {s.key for s in sb if s.key}
        matched = list(dict.fromkeys(s.key for s in sa if s.key and s.key in keys_b))
        diffs = figure_differences(table_rows(chunks_a, sa), table_rows(chunks_b, sb))
        stated = prose_differences(prose_rows(chunks_a, sa), prose_rows(chunks_b, sb))
        said_a: dict[int, str] = {}
        said_b: dict[int, str] = {}
        if summaries:
            said_a = self._summaries(first, chunks_a, sa, matched, lang, cancel, progress)
            said_b = self._summaries(second, chunks_b, sb, matched, lang, cancel, progress)
        titles = (document_name(first), document_name(second))
        text = render(titles, diffs, stated, sa, sb, matched, said_a, said_b, lang)
        return Comparison(titles, text, sources, diffs, matched, stated)

    def _summaries(self, document, chunks, sections, matched, lang, cancel, progress
                   ) -> dict[int, str]:
        """The document's section summaries by section index (all of them: they are
        cached for the next question), or none when no section is shared."""
        if not any(s.key in matched for s in sections):
            return {}
        out: dict[int, str] = {}
        for item in self.summarizer.stream(document, chunks, lang, cancel, progress):
            if isinstance(item, SectionSummary):
                out[item.section.index] = item.text
        return out


def render(titles, diffs: list[Difference], stated: list[Difference], sa: list[Section],
           sb: list[Section], matched: list[str], said_a: dict[int, str],
           said_b: dict[int, str], lang: str) -> str:
    heading, col_section, col_line, by_section, sentences, col_sentence = HEAD[lang]
    a_name, b_name = titles
    parts = []
    for title, column, rows in ((heading, col_line, diffs), (sentences, col_sentence, stated)):
        if not rows:
            continue
        parts += [f"**{title}**", "",
                  f"| {col_section} | {column} | {a_name} | {b_name} |", "|---|---|---:|---:|"]
        for d in rows[:MAX_ROWS]:
            parts.append(f"| {sa[d.a.section].title[:40]} | {d.label.replace('|', '/')} | "
                         f"{d.a.value} (p. {d.a.page}) [{d.a.section + 1}] | {d.b.value} "
                         f"(p. {d.b.page}) [{len(sa) + d.b.section + 1}] |")
        if len(rows) > MAX_ROWS:
            parts.append(f"| … | {len(rows) - MAX_ROWS} more | | |")
        parts.append("")
    if said_a or said_b:
        parts += [f"**{by_section}**", ""]
        for key in matched:
            ia = [s.index for s in sa if s.key == key]
            ib = [s.index for s in sb if s.key == key]
            title = sa[ia[0]].title
            a_text = " ".join(f"{said_a[i]} [{i + 1}]" for i in ia if said_a.get(i))
            b_text = " ".join(f"{said_b[i]} [{len(sa) + i + 1}]" for i in ib if said_b.get(i))
            parts += [f"- **{title}**", f"  - {a_name}: {a_text or '…'}",
                      f"  - {b_name}: {b_text or '…'}"]
    return "\n".join(parts).strip() or NOTHING_SHARED[lang]
