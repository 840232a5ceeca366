"""Summaries of whole documents: each section read once, summarized, cited.

Why map-reduce by sections: six retrieved passages cannot answer "summarize this
filing", and few documents fit a laptop model's context.  So the document is cut where
its own structure is (:mod:`answer.sections`), each section is summarized on its own
with its page range -- every statement of the result therefore cites the section and
pages it came from -- and, for a model that follows instructions, the section summaries
are combined into an overview that cites them by number.  A base model (the bundled one)
gets no overview: joining summaries it cannot follow would only lose the citations.

The section summaries are kept in a small SQLite file in the data folder, keyed by the
document's content hash, the model and the section's text: a second question on the same
document reuses them, and a changed document (another hash) is summarized again.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from answer.checks import AnswerCheck, check_answer
from answer.citations import Citation, Source, resolve_citations
from answer.sections import Section, as_one_section, document_sections, joined_pages
from models.generator import GenerationError

PROMPT_VERSION = "1"  # part of the cache key: a new prompt summarizes again
MAP_TOKENS = 96  # one section's summary, at most
OVERVIEW_TOKENS = 220
SECTION_TOKENS = 1200  # the longest section read at once (speed on small machines)
PROMPT_ROOM = 160  # the instructions around a section, in tokens

MAP_INSTRUCTION = {
    "en": "Summarize this part of a document in two or three sentences. Keep names, "
          "dates and figures exactly as written.",
    "zh": "用两三句话概括这部分文档的内容。名称、日期和数字保持原样。"}
OVERVIEW_INSTRUCTION = {
    "en": "Write an overview of the whole document from these section summaries, in a "
          "few sentences. After each sentence cite the summaries it uses, like [2].",
    "zh": "根据这些分节摘要，用几句话概述整个文档。每句话后用 [2] 这样的编号注明依据。"}
BASE_LEAD = {"en": "In short, this part says:", "zh": "简而言之，这部分的内容是："}
HEADINGS = {"en": ("Overview", "By section"), "zh": ("概述", "分节摘要")}


class SummaryCancelled(RuntimeError):
    """The summary was stopped; finished sections stay cached."""


@dataclass
class SectionSummary:
    section: Section
    text: str
    cached: bool


@dataclass
class Summary:
    """``text``: Markdown with ``[n]`` citing ``sources`` (one per section)."""

    path: str
    title: str
    text: str
    sources: list[Source]
    sections: list[SectionSummary]
    overview: str = ""
    whole: bool = False  # the document fitted the model's context in one piece
    seconds: float = 0.0
    generated: int = 0  # sections summarized now (the rest came from the cache)
    citations: list[Citation] = field(default_factory=list)
    check: AnswerCheck | None = None


@dataclass
class SummaryProgress:
    done: int
    total: int
    section: str
    eta: float | None


class SummaryCache:
    """Section summaries by (document version, model, prompt, section text)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, "
                        "doc TEXT NOT NULL, version TEXT NOT NULL, text TEXT NOT NULL, "
                        "created REAL NOT NULL)")
        self.db.commit()

    @staticmethod
    def key(version: str, model: str, lang: str, text: str) -> str:
        return hashlib.sha256("\0".join((PROMPT_VERSION, version, model, lang, text))
                              .encode()).hexdigest()

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT text FROM summaries WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, doc: str, version: str, text: str) -> None:
        """Keep ``text``; summaries of other versions of ``doc`` are dropped."""
        with self._lock:
            self.db.execute("DELETE FROM summaries WHERE doc = ? AND version != ?", (doc, version))
            self.db.execute("INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?)",
                            (key, doc, version, text, time.time()))
            self.db.commit()

    def count(self, doc: str) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM summaries WHERE doc = ?",
                                   (doc,)).fetchone()[0]

    def close(self) -> None:
        self.db.close()


def clean_summary(text: str) -> str:
    """A model's summary without what small models add: a second paragraph, a repeated
    sentence, a trailing half sentence."""
    text = text.strip().split("\n\n")[0].strip()
    sentences = re.split(r"(?<=[.!?。！？])\s*", text)
    kept: list[str] = []
    for s in sentences:
        if s and s not in kept:
            kept.append(s)
    if len(kept) > 1 and not re.search(r"[.!?。！？\"”)]$", kept[-1]):
        kept.pop()  # cut off by the token limit
    return " ".join(kept).strip() if not any("\u4e00" <= ch <= "\u9fff" for ch in text) \
        else "".join(kept).strip()


def document_name(document) -> str:
    """What to call a document: its title, unless that is an identifier (SEC filings'
    titles are accession numbers: "0000320193-23-000064"), then its file name."""
    title = (document.title or "").strip()
    return title if re.search(r"[^\W\d_]", title) else Path(document.path).name


def opening_sentence(text: str, limit: int = 240) -> str:
    """The section's first sentence, quoted: what a summary line says when the model
    wrote nothing usable (the document's own words, never an invention)."""
    flat = " ".join(text.split())
    m = re.search(r"^(.{20,}?[.!?。！？])(\s|$)", flat[:limit])
    return f"“{(m.group(1) if m else flat[:limit]).strip()}”" if flat else ""


class Summarizer:
    """Summaries with the loaded model (``models``: a :class:`models.generator.Generator`
    that exposes ``model.n_ctx``); ``cache``: a :class:`SummaryCache` or None."""

    def __init__(self, models, cache: SummaryCache | None = None, model_name: str = ""):
        self.models = models
        self.cache = cache
        self.model_name = model_name

    @property
    def n_ctx(self) -> int:
        model = getattr(self.models, "model", None)
        return int(getattr(model, "n_ctx", 0) or 4096)

    def section_tokens(self) -> int:
        """The most of a document one call reads, so that instructions and the summary
        fit the model's context."""
        return max(200, min(SECTION_TOKENS, self.n_ctx - MAP_TOKENS - PROMPT_ROOM))

    def sections(self, chunks: Sequence) -> list[Section]:
        """The document in sections the model can read; one, the whole document, when
        it fits the model's context with room for the summary."""
        whole = sum(self.models.count_tokens(p.text) for p in joined_pages(chunks))
        if whole <= self.n_ctx - OVERVIEW_TOKENS - PROMPT_ROOM:
            return as_one_section(document_sections(chunks, whole + 1, self.models.count_tokens))
        return document_sections(chunks, self.section_tokens(), self.models.count_tokens)

    def summarize(self, document, chunks: Sequence, lang: str = "en",
                  cancel: threading.Event | None = None,
                  progress: Callable[[SummaryProgress], None] | None = None) -> Summary:
        """Summarize ``document`` (an :class:`ingest.store.catalog.DocumentRow`) from its
        ``chunks``.  Raises :class:`SummaryCancelled` when ``cancel`` is set."""
        for item in self.stream(document, chunks, lang, cancel, progress):
            if isinstance(item, Summary):
                return item
        raise AssertionError("stream() ends with the Summary")

    def stream(self, document, chunks: Sequence, lang: str = "en",
               cancel: threading.Event | None = None,
               progress: Callable[[SummaryProgress], None] | None = None
               ) -> Iterator[SummaryProgress | SectionSummary | Summary]:
        """Before each section where it stands, each section's summary as it is done,
        then the whole :class:`Summary`."""
        t0 = time.perf_counter()
        sections = self.sections(chunks)
        if not sections:
            raise GenerationError(f"{Path(document.path).name} has no text to summarize")
        version = document.content_hash or f"{document.size}:{document.mtime}"
        done: list[SectionSummary] = []
        generated = 0
        spent: list[float] = []
        for s in sections:
            if cancel is not None and cancel.is_set():
                raise SummaryCancelled("summary stopped")
            left = len(sections) - len(done)
            eta = (sum(spent) / len(spent)) * left if spent else None
            step = SummaryProgress(len(done), len(sections), s.title, eta)
            if progress:
                progress(step)
            yield step
            key = SummaryCache.key(version, self.model_name, lang, s.text)
            text = self.cache.get(key) if self.cache else None
            if text is None:
                t = time.perf_counter()
                text = self._summarize_section(s, lang, cancel,
                                               OVERVIEW_TOKENS if len(sections) == 1 else MAP_TOKENS)
                spent.append(time.perf_counter() - t)
                generated += 1
                if self.cache and text:
                    self.cache.put(key, document.path, version, text)
                done.append(SectionSummary(s, text, False))
            else:
                done.append(SectionSummary(s, text, True))
            yield done[-1]
        if progress:
            progress(SummaryProgress(len(done), len(sections), "", 0.0))
        sources = [self._source(document, s, i + 1) for i, s in enumerate(sections)]
        overview = ""
        if self.models.has_chat_template and len(done) > 1:
            overview = self._overview(done, lang, cancel)
        text = render(done, overview, lang)
        summary = Summary(document.path, document_name(document), text,
                          sources, done, overview, whole=len(sections) == 1,
                          seconds=time.perf_counter() - t0, generated=generated)
        summary.citations = resolve_citations(text, sources)
        summary.check = check_answer(text, sources, summary.citations)
        yield summary

    # --- one call each ----------------------------------------------------------------

    def _summarize_section(self, s: Section, lang: str, cancel, max_tokens: int = MAP_TOKENS
                           ) -> str:
        if self.models.has_chat_template:
            request = [{"role": "system", "content": MAP_INSTRUCTION[lang]},
                       {"role": "user", "content": s.text}]
        else:
            request = f"{s.text}\n\n{BASE_LEAD[lang]}"
        text = self.models.generate(request, cancel, max_tokens=max_tokens, temperature=0.0,
                                    repeat_penalty=1.15, stop=["\n\n"])
        if cancel is not None and cancel.is_set():
            raise SummaryCancelled("summary stopped")
        text = clean_summary(text)
        # a few characters ("1.", a lone heading) say nothing: the section's own words do
        return text if len(text.split()) >= 4 or len(text) >= 16 else opening_sentence(s.text)

    def _overview(self, done: list[SectionSummary], lang: str, cancel) -> str:
        lines = [f"[{i}] {d.section.title} ({d.section.pages}): {d.text}"
                 for i, d in enumerate(done, 1) if d.text]
        body = "\n".join(lines)
        room = self.n_ctx - OVERVIEW_TOKENS - PROMPT_ROOM
        if self.models.count_tokens(body) > room:
            return ""  # the list by section is the summary
        request = [{"role": "system", "content": OVERVIEW_INSTRUCTION[lang]},
                   {"role": "user", "content": body}]
        text = self.models.generate(request, cancel, max_tokens=OVERVIEW_TOKENS,
                                    temperature=0.0, repeat_penalty=1.1)
        if cancel is not None and cancel.is_set():
            raise SummaryCancelled("summary stopped")
        return text.strip()

    @staticmethod
    def _source(document, s: Section, n: int) -> Source:
        title = document_name(document)
        label = f"{title}, {s.title}" + (f", {s.pages}" if s.pages and s.pages != s.title else "")
        return Source(n=n, chunk_id="", doc_id=document.id, path=document.path, title=title,
                      page=s.first_page, heading=s.title, start=0, end=len(s.text),
                      text=s.text, label=label, page_label=s.first_label)


def find_document(library, kb_name: str | None, path: str):
    """The ready document of knowledge base ``kb_name`` at ``path`` (as given, absolute,
    or a unique file name); ValueError naming what is there otherwise."""
    import difflib
    import os

    catalog = library.catalog
    kb = catalog.kb(kb_name or "default")
    if kb is None:
        raise ValueError(f"no knowledge base named {kb_name or 'default'!r}")
    docs = [d for d in catalog.documents(kb.id) if d.status == "ready"]
    wanted = os.path.abspath(os.path.expanduser(path))
    for d in docs:
        if d.path in (path, wanted):
            return d
    by_name = [d for d in docs if Path(d.path).name == Path(path).name]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise ValueError(f"several documents are named {Path(path).name}: "
                         f"{', '.join(d.path for d in by_name)}; give the path")
    names = [Path(d.path).name for d in docs]
    close = difflib.get_close_matches(Path(path).name, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else \
        f" (it holds {len(docs)} ready documents: wenji docs --kb {kb.name})"
    raise ValueError(f"{path} is not a ready document of the knowledge base {kb.name!r}{hint}")


def section_line(i: int, d: SectionSummary) -> str:
    """One section's line of the summary: title, pages, what it says, its citation."""
    pages = d.section.pages
    where = d.section.title + (f" ({pages})" if pages and pages != d.section.title else "")
    said = " ".join(d.text.split())  # one line: a model's "1. … 2. …" is not a list here
    return f"- **{where}**: {said or '…'} [{i}]"


def render(done: list[SectionSummary], overview: str, lang: str) -> str:
    """The summary as Markdown: the overview (if any), then one line per section with
    its title, pages and citation."""
    first, second = HEADINGS[lang]
    parts = []
    if overview:
        parts += [f"**{first}**", "", overview, "", f"**{second}**", ""]
    parts += [section_line(i, d) for i, d in enumerate(done, 1)]
    return "\n".join(parts)
