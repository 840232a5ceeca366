"""Citations: from ``[n]`` markers in an answer to document, page/heading and span.

Why inference exists: small local models often cite nothing, or cite numbers that were
never given.  Then each answer sentence is matched to the sources by keyword overlap
(the retrieval tokenizer: Porter-stemmed English words, jieba words for Chinese) and the
best match is attached with ``inferred=True``, so the UI can say "probably from".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from retrieval.tokenizer import tokenize

# [1], [1, 2], [1][2], 【1】, [1，2]
_MARK = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、;]\s*\d{1,3})*)\s*[\]】]")
_SENTENCES = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")

# An answer sentence is attributed to a source when at least this share of its keywords
# (and at least MIN_SHARED of them) occur in the source.
MIN_OVERLAP = 0.5
MIN_SHARED = 2
# ... or when it occurs verbatim in the source and has at least this many characters.
MIN_VERBATIM_CHARS = 3
# A sentence that is at least this share of the question (or an instruction) and found
# in it is an echo; a short entity taken from the question ("鲤鱼门天后庙") is not.
ECHO_SHARE = 0.6


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

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "inferred": self.inferred, "sentence": self.sentence,
                "overlap": self.overlap, "source": self.source.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Citation":
        return cls(n=d["n"], source=Source.from_dict(d["source"]),
                   inferred=bool(d.get("inferred")), sentence=d.get("sentence", ""),
                   overlap=float(d.get("overlap", 0.0)))


def cited_numbers(answer: str) -> list[int]:
    """Source numbers written in the answer, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in _MARK.finditer(answer):
        for part in re.split(r"[,，、;]", m.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def explicit_citations(answer: str, sources: Sequence[Source]) -> list[Citation]:
    """Citations the model wrote; numbers that match no source are dropped."""
    by_n = {s.n: s for s in sources}
    return [Citation(n, by_n[n]) for n in cited_numbers(answer) if n in by_n]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.findall(_MARK.sub(" ", text)) if s.strip()]


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


def infer_citations(answer: str, sources: Sequence[Source],
                    ignore: Sequence[str] = ()) -> list[Citation]:
    """Attribute each answer sentence to its best-overlapping source (if good enough).

    Sentences found in ``ignore`` (the question, the prompt's instructions) are skipped:
    a small model that echoes the question would otherwise "cite" whatever passage
    shares the question's words.
    """
    ignored = ["".join(t.split()).lower() for t in ignore if t]
    source_tokens = [(s, set(tokenize(f"{s.title} {s.heading or ''} {s.text}")))
                     for s in sources]
    found: dict[int, Citation] = {}
    flat = [(s, "".join(s.text.split()).lower()) for s in sources]
    for sent in sentences(answer):
        # A short answer copied from a source ("1953年", "齿河盗龙属") has too few
        # keywords for overlap; verbatim text is evidence enough.
        key = "".join(sent.split()).lower().rstrip(".。!！?？")
        if key and any(key in t and len(key) >= ECHO_SHARE * len(t) for t in ignored):
            continue  # an echo of (most of) the question or the instructions
        if len(key) >= MIN_VERBATIM_CHARS:
            hit = next((s for s, t in flat if key in t), None)
            if hit is not None:
                if hit.n not in found or found[hit.n].overlap < 1.0:
                    found[hit.n] = Citation(hit.n, hit, inferred=True, sentence=sent,
                                            overlap=1.0)
                continue
        toks = set(tokenize(sent))
        if len(toks) < MIN_SHARED:
            continue
        best, best_share, best_shared = None, 0.0, 0
        for s, stoks in source_tokens:
            shared = len(toks & stoks)
            share = shared / len(toks)
            if share > best_share:
                best, best_share, best_shared = s, share, shared
        if best is not None and best_share >= MIN_OVERLAP and best_shared >= MIN_SHARED:
            c = found.get(best.n)
            if c is None or best_share > c.overlap:
                found[best.n] = Citation(best.n, best, inferred=True, sentence=sent,
                                         overlap=round(best_share, 3))
    return sorted(found.values(), key=lambda c: c.n)


def resolve_citations(answer: str, sources: Sequence[Source],
                      ignore: Sequence[str] = ()) -> list[Citation]:
    """The model's own citations if it wrote valid ones, else inferred ones."""
    return explicit_citations(answer, sources) or infer_citations(answer, sources, ignore)
