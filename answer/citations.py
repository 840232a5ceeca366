"""Citations: from an answer to the document, page/heading and span it relies on.

Why citations are checked against the text: small local models often cite nothing, cite
numbers that were never given, or write "[1]" after an echo of the question.  So every
answer sentence is compared with the sources by what it *adds* to the question
(character bigrams for Chinese, stemmed words otherwise, weighted by how rare they are
among the sources): a written ``[n]`` counts only when source n supports its sentence;
otherwise the best-supporting source is attached with ``inferred=True``, so the UI can
say "probably from"; a sentence no source supports, or one that only repeats the
question, cites nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Sequence

from answer.figures import figure_in, figures
from ingest.analyzer import CJK_CHARS, tokenize

# [1], [1, 2], [1][2], 【1】, [1，2]
_MARK = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、;]\s*\d{1,3})*)\s*[\]】]")
# "[1]和[2]", "[1] and [2]": the word joining two markers belongs to them, not to the
# sentence (left in, a lone "和" would count as words found in no source)
_MARKS = re.compile(r"(?:" + _MARK.pattern + r"\s*(?:和|与|及|或|、|,|，|and|or)?\s*)*"
                    + _MARK.pattern, re.IGNORECASE)

# A source supports an answer sentence when at least this IDF-weighted share of the
# sentence's own evidence units (those not in the question), and at least MIN_SHARED of
# them, occur in it ...
MIN_OVERLAP = 0.5
MIN_SHARED = 2
# ... or when the sentence occurs in it verbatim, has at least this many characters and
# at least one unit of its own.
MIN_VERBATIM_CHARS = 3


@dataclass
class Source:
    """A passage given to the model as ``[n]``."""

    n: int
    chunk_id: str
    doc_id: int
    path: str
    title: str
    page: int | None
    heading: str | None
    start: int  # character span within the page / section text
    end: int
    text: str
    label: str
    score: float = 0.0
    coverage: float = 0.0  # share of the question's keywords found in the passage
    # why retrieval chose it: keyword_rank/keyword_score (BM25), dense_rank/dense_distance
    # (cosine), fused_score, matched (query keywords found in the passage)
    explanation: dict[str, Any] = field(default_factory=dict)
    # the span of the text that matched when neighbouring text widened the passage: what
    # is kept when the whole passage does not fit the model's context
    focus_start: int | None = None
    focus_end: int | None = None
    page_label: str | None = None  # the page's label when it is not its number ("iv")
    ocr: bool = False  # read by OCR from a scanned page

    def focused(self) -> "Source | None":
        """This source cut down to the text that matched (None: it was not widened)."""
        if self.focus_start is None or self.focus_end is None:
            return None
        a, b = self.focus_start - self.start, self.focus_end - self.start
        return replace(self, text=self.text[a:b], start=self.focus_start,
                       end=self.focus_end, focus_start=None, focus_end=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Source":
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in fields})


@dataclass
class Citation:
    """One source the answer relies on."""

    n: int  # the source number as shown to the model and the user
    source: Source
    inferred: bool = False  # True: the model did not write [n]; matched after the fact
    sentence: str = ""  # for inferred citations: the answer sentence that matched
    overlap: float = 0.0
    # True: the model's answer cited nothing; this is the source's own sentence closest
    # to the question, quoted after the answer (see closest_sentence)
    quoted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "inferred": self.inferred, "sentence": self.sentence,
                "overlap": self.overlap, "quoted": self.quoted,
                "source": self.source.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Citation":
        return cls(n=d["n"], source=Source.from_dict(d["source"]),
                   inferred=bool(d.get("inferred")), sentence=d.get("sentence", ""),
                   overlap=float(d.get("overlap", 0.0)), quoted=bool(d.get("quoted")))


def cited_numbers(answer: str) -> list[int]:
    """Source numbers written in the answer, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in _MARK.finditer(answer):
        for part in re.split(r"[,，、;]", m.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def explicit_citations(answer: str, sources: Sequence[Source]) -> list[Citation]:
    """Citations the model wrote; numbers that match no source are dropped.  (Not checked
    against the text: :func:`resolve_citations` does that.)"""
    by_n = {s.n: s for s in sources}
    return [Citation(n, by_n[n]) for n in cited_numbers(answer) if n in by_n]


def keyword_coverage(query_tokens: set[str], text: str,
                     weights: dict[str, float] | None = None) -> float:
    """Share of the query's keywords found in ``text``, optionally weighted (by IDF:
    finding "2018" or 世界 says little, finding 世界杯 a lot)."""
    if not query_tokens:
        return 0.0
    found = query_tokens & set(tokenize(text))
    if weights:
        total = sum(weights.get(t, 1.0) for t in query_tokens)
        return sum(weights.get(t, 1.0) for t in found) / total if total > 0 else 0.0
    return len(found) / len(query_tokens)


# --- evidence: character bigrams for Chinese, stemmed words for the rest ---------------

# Chinese runs take the digits inside them along ("可达10公分": 达1, 10, 0公 ...), so an
# answer that adds only a number to the question's words still has units of its own.
_CJK_RUN = re.compile(f"[{CJK_CHARS}0-9]*[{CJK_CHARS}][{CJK_CHARS}0-9]*")
# sentence ends: Chinese/English marks, a full stop before a space, a line break
_SEGMENT_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def evidence_units(text: str) -> set[str]:
    """What a copied piece of text shares with its source, whatever the language.

    Chinese has no spaces and a word segmenter splits a copied phrase differently
    depending on its neighbours, so Chinese runs (with their digits) count as
    overlapping *character bigrams* (a single character alone); other text as the
    retrieval tokenizer's stemmed words, stopwords dropped."""
    units: set[str] = set()
    for run in _CJK_RUN.findall(text):
        units.update({run} if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
    units.update(tokenize(_CJK_RUN.sub(" ", text)))
    return units


def _flat(text: str) -> str:
    """Lower-cased, without spaces and punctuation: for verbatim comparisons."""
    return _NOT_WORD.sub("", text).lower()


@dataclass
class Evidence:
    """The sources as evidence units with an IDF-like weight among them."""

    sources: Sequence[Source]
    units: list[set[str]]
    flat: list[str]
    weight: dict[str, float]

    @classmethod
    def of(cls, sources: Sequence[Source]) -> "Evidence":
        units = [evidence_units(f"{s.title} {s.heading or ''} {s.text}") for s in sources]
        df: dict[str, int] = {}
        for u in units:
            for t in u:
                df[t] = df.get(t, 0) + 1
        n = len(sources)
        # a unit in every source says little about which one was used; one unseen in all
        # of them (the model's own words) counts fully against the sentence's support
        weight = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        return cls(sources, units, [_flat(s.text) for s in sources], weight)

    def w(self, unit: str) -> float:
        return self.weight.get(unit, math.log((len(self.sources) + 1) / 0.5))

    def support(self, sentence: str, echo_units: set[str]
                ) -> list[tuple[float, int, bool, Source]]:
        """For each source: the weighted share of the sentence's *own* units (those not
        taken from the question or the instructions) found in it, how many, and whether
        the sentence occurs in it verbatim.  Empty when the sentence adds nothing of its
        own (an echo of the question is no evidence for anything)."""
        own = evidence_units(sentence) - echo_units
        total = sum(self.w(t) for t in own)
        if not own or total <= 0:
            return []
        key = _flat(sentence)
        out = []
        for s, units, flat in zip(self.sources, self.units, self.flat):
            shared = own & units
            out.append((sum(self.w(t) for t in shared) / total, len(shared),
                        len(key) >= MIN_VERBATIM_CHARS and key in flat, s))
        return out


def is_supported(share: float, shared: int, verbatim: bool) -> bool:
    """Whether a source supports a sentence, from :meth:`Evidence.support`'s measures."""
    return (verbatim and shared >= 1) or (share >= MIN_OVERLAP and shared >= MIN_SHARED)


# "根据资料[2]，" / "According to source [2]," at a sentence's start (the answer opener of
# base models): it names the source, it is no evidence, and it would keep a copied
# phrase from matching its source verbatim
ATTRIBUTION = re.compile(
    r"^\s*(?:(?:根据|依据|据)(?:资料|来源|文档)\s*(?:" + _MARKS.pattern + r")?\s*"
    r"(?:所示|所述|中|显示)?\s*[，,：:]?"
    r"|according\s+to\s+(?:the\s+)?sources?\s*(?:" + _MARKS.pattern + r")?\s*[,:]?)",
    re.IGNORECASE)


def sentence_text(segment: str) -> str:
    """A sentence's own words: without its source markers and its attribution
    ("根据资料[2]，"), which are no evidence."""
    return _MARKS.sub(" ", ATTRIBUTION.sub("", segment)).strip()


def segment_spans(answer: str) -> list[tuple[int, int, str, list[int]]]:
    """Answer sentences (lines for lists) as (start, end, text, source numbers written in
    it); ``text`` is the sentence without its markers and attribution ("根据资料[2]，")."""
    out, start = [], 0
    for m in list(_SEGMENT_END.finditer(answer)) + [None]:
        end = len(answer) if m is None else m.start()
        seg = answer[start:end]
        text = sentence_text(seg)
        nums = cited_numbers(seg)
        if text or nums:
            out.append((start, end, text, nums))
        if m is not None:
            start = m.end()
    return out


def _segments(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences (lines for lists) with the source numbers written in them."""
    return [(text, nums) for _, _, text, nums in segment_spans(answer)]


def marker_spans(answer: str) -> list[tuple[int, int, list[int]]]:
    """Where the answer writes source numbers: (start, end, numbers) of each marker."""
    return [(m.start(), m.end(), [int(p) for p in re.split(r"[,，、;]", m.group(1))])
            for m in _MARK.finditer(answer)]


def echo_units(texts: Sequence[str]) -> set[str]:
    """The evidence units of the question and the prompt's fixed wording: what an answer
    may repeat without saying anything (see :func:`adds_to`)."""
    units: set[str] = set()
    for t in texts:
        if t:
            units |= evidence_units(t)
    return units


# a written source number, finished or still being written ("[2", "[1, 3]")
_MARK_OR_PART = re.compile(r"[\[【][\d\s,，、;]*[\]】]?")


def adds_to(text: str, echo: set[str]) -> bool:
    """Whether ``text`` says anything beyond ``echo`` (from :func:`echo_units`) and its
    source numbers -- False for "根据资料[1] 罗店镇全镇面积是多大？" after that question."""
    return bool(evidence_units(_MARK_OR_PART.sub(" ", text)) - echo)


def infer_citations(answer: str, sources: Sequence[Source],
                    ignore: Sequence[str] = ()) -> list[Citation]:
    """Attribute each answer sentence to the source that best supports it, if any does.

    Only a sentence's own content counts: units found in ``ignore`` (the question, the
    prompt's instructions) are removed first, so a small model that echoes the question
    -- or answers with an entity copied from it -- "cites" nothing.  A sentence is
    supported when at least ``MIN_OVERLAP`` of its own content (IDF-weighted among the
    sources) and ``MIN_SHARED`` units occur in the source, or when it occurs there
    verbatim (short extracted answers such as "1953年").
    """
    if not sources:
        return []
    ev, echo = Evidence.of(sources), echo_units(ignore)
    found: dict[int, Citation] = {}
    for text, _ in _segments(answer):
        best = _best(ev.support(text, echo))
        if best is not None:
            share, s = best
            if s.n not in found or share > found[s.n].overlap:
                found[s.n] = Citation(s.n, s, inferred=True, sentence=text,
                                      overlap=round(share, 3))
    return sorted(found.values(), key=lambda c: c.n)


def _best(support) -> tuple[float, Source] | None:
    """The supporting source with the highest share (verbatim first, then rank order)."""
    ok = [(verbatim, share, -s.n, s) for share, shared, verbatim, s in support
          if is_supported(share, shared, verbatim)]
    if not ok:
        return None
    verbatim, share, _, s = max(ok, key=lambda x: x[:3])
    return (1.0 if verbatim else share), s


def resolve_citations(answer: str, sources: Sequence[Source],
                      ignore: Sequence[str] = ()) -> list[Citation]:
    """What the answer relies on: the ``[n]`` the model wrote where the sentence carrying
    it is supported by source n; otherwise (no marker, a wrong number, or a marker on an
    echo or on words found in no source) the source that supports the sentence, marked
    ``inferred``.  A base model writes "[1]" out of habit as often as on purpose, so a
    marker alone is not taken as evidence; a sentence whose figures are all in source n
    (:mod:`answer.figures`: "$83.0 billion" for "82,959" in millions) is supported by it."""
    if not sources:
        return []
    ev, echo = Evidence.of(sources), echo_units(ignore)
    by_n = {s.n: i for i, s in enumerate(sources)}
    found: dict[int, Citation] = {}
    for text, nums in _segments(answer):
        support = ev.support(text, echo)
        if not support:
            continue
        figs = figures(text)
        confirmed = [n for n in nums if n in by_n and (
            is_supported(*support[by_n[n]][:3])
            or (figs and all(figure_in(f, sources[by_n[n]].text) for f in figs)))]
        for n in confirmed:
            c = found.get(n)
            if c is None or c.inferred:
                found[n] = Citation(n, sources[by_n[n]], sentence=text,
                                    overlap=round(support[by_n[n]][0], 3))
        if confirmed:
            continue
        best = _best(support)
        if best is not None:
            share, s = best
            if s.n not in found or (found[s.n].inferred and share > found[s.n].overlap):
                found[s.n] = Citation(s.n, s, inferred=True, sentence=text,
                                      overlap=round(share, 3))
    return sorted(found.values(), key=lambda c: (c.inferred, c.n))


# --- the closest sentence, quoted when the answer cites nothing ------------------------

# A quoted sentence must hold at least this IDF-weighted share of the question's own
# evidence units (bigrams / stemmed words, the prompt's wording removed) ...
MIN_QUOTE_COVERAGE = 0.3
# ... come from a source holding at least this share of the question's keywords
# (Source.coverage, IDF-weighted by the knowledge base: a passage that only shares a
# common word with the question is not quoted) ...
MIN_QUOTE_SOURCE_COVERAGE = 0.4
# ... say something beyond the question (at least this many evidence units of its own) ...
MIN_QUOTE_OWN_UNITS = 2
# ... and is cut to about this many characters (a whole sentence when it is shorter)
MAX_QUOTE_CHARS = 220


# in a source, a line break is where the PDF's line ended, not the sentence: only
# sentence marks and blank lines end one
_SOURCE_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n\s*\n")
_CJK_BREAK = re.compile(f"(?<=[{CJK_CHARS}])\\s+(?=[{CJK_CHARS}])")


def _sentences(text: str) -> list[str]:
    """The sentences of a source, its line breaks joined (none between Chinese
    characters, a space elsewhere)."""
    out = []
    for t in _SOURCE_SENTENCE_END.split(text):
        t = " ".join(_CJK_BREAK.sub("", t).split())
        if len(_flat(t)) >= MIN_VERBATIM_CHARS:
            out.append(t)
    return out


def closest_sentence(question: str, sources: Sequence[Source],
                     min_source_coverage: float = MIN_QUOTE_SOURCE_COVERAGE
                     ) -> Citation | None:
    """The source sentence that shares most with the question, as a quoted citation.

    Why: a small model often answers by restating the question, or with words found in
    no source; the user then has nothing to check.  The sentence of the sources that
    covers most of the question's own words (IDF-weighted among the sources, so a rare
    name counts more than a common word; ties go to the better-ranked source) is what a
    reader would look at first.  It is the document's text, verbatim, so citing it is
    honest whatever the model wrote.  None when no sentence of a source with
    ``min_source_coverage`` covers ``MIN_QUOTE_COVERAGE`` of the question.
    """
    found = closest_sentences(question, sources, 1, min_source_coverage)
    return found[0] if found else None


def closest_sentences(question: str, sources: Sequence[Source], k: int = 2,
                      min_source_coverage: float = MIN_QUOTE_SOURCE_COVERAGE
                      ) -> list[Citation]:
    """The ``k`` best sentences of :func:`closest_sentence`'s kind, each from another
    source, best first."""
    sources = [s for s in sources if s.coverage >= min_source_coverage]
    if not sources:
        return []
    ev = Evidence.of(sources)
    # the question's words no source uses (question words: 什么, 哪些, "which" ...) can
    # be covered by no sentence, so they do not count
    asked = evidence_units(question)
    wanted = asked & set(ev.weight)
    total = sum(ev.w(t) for t in wanted)
    if not wanted or total <= 0:
        return []
    best: dict[int, tuple[float, int, str, Source]] = {}
    for s in sources:
        for sentence in _sentences(s.text):
            units = evidence_units(sentence)
            if len(units - asked) < MIN_QUOTE_OWN_UNITS:
                continue  # a heading, or the question's own words
            share = sum(ev.w(t) for t in wanted & units) / total
            if share >= MIN_QUOTE_COVERAGE and (s.n not in best or share > best[s.n][0]):
                best[s.n] = (share, s.n, sentence, s)
    out = []
    for share, n, sentence, s in sorted(best.values(), key=lambda b: (-b[0], b[1]))[:k]:
        if len(sentence) > MAX_QUOTE_CHARS:
            sentence = sentence[:MAX_QUOTE_CHARS].rstrip() + "…"
        out.append(Citation(n, s, sentence=sentence, overlap=round(share, 3), quoted=True))
    return out
