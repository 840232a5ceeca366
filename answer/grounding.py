"""The grounding gate: is anything retrieved relevant enough to answer from?

Why a gate before the model: retrieval always returns its best passages, even for a
question the documents know nothing about, and a small model given unrelated passages
writes a confident answer anyway.  So when no passage shares enough of the question's
keywords (or, where the embedder can be trusted, is close enough in embedding space)
the model is not called at all and the user is told the documents do not contain it.
The thresholds were calibrated on SEC 10-Q PDFs, FastAPI docs and CMRC 2018; the
figures are in bench/RESULTS.md ("Grounding thresholds").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from answer.citations import Source, keyword_coverage
from answer.cross_language import CrossLanguageCheck
from answer.names import NameCheck
from answer.prompts import source_label
from ingest.analyzer import has_cjk

# A passage is relevant when it holds at least this IDF-weighted share of the question's
# keywords: the level that separated questions whose paragraph was indexed from
# same-domain questions whose paragraph was not, with off-topic questions below it.
MIN_COVERAGE = 0.45
# ... or, for Chinese, when the question's rarest word (a name such as 当惹雍错, found as
# written) is in the passage and the coverage is at least this: the segmenter can split
# question and passage differently ("又叫" vs "又名"), which would otherwise cost a
# question its answer.
RARE_TERM_COVERAGE = 0.40
# ... or, in a document the question names by a distinctive name ("Amazon's 10-Qs" on a
# page of Amazon's 10-Q: answer.names), when the passage holds at least this share: the
# name says which document, the rest need only be on topic.
NAMED_COVERAGE = 0.2
# ... or when the embedding lane is trusted for the question (an English-only embedder is
# not, for Chinese) and the passage is at least as similar to it as the embedder's own
# relevance level (models.embedder.RELEVANT_SIMILARITY; this is MiniLM's).
MIN_SIMILARITY = 0.55


def rarest_chinese_term(terms: set[str], weights: dict[str, float] | None) -> str:
    """The question's highest-IDF term if it is a Chinese word of two or more
    characters (a name, usually); "" otherwise or without weights."""
    if not terms or not weights:
        return ""
    rare = max(sorted(terms), key=lambda t: (weights.get(t, 1.0), len(t)))
    return rare if len(rare) >= 2 and has_cjk(rare) else ""


@dataclass
class GroundingGate:
    """The relevance test for one question's passages.

    ``terms``: the question's keywords; ``weights``: their IDF in the knowledge base
    (None: every keyword counts the same); ``dense_trust``: how far the embedding lane
    is trusted for this question (0..1, :meth:`retrieval.retriever.Retriever.dense_trust`).
    """

    terms: set[str]
    weights: dict[str, float] | None
    dense_trust: float
    min_coverage: float = MIN_COVERAGE
    min_similarity: float | None = MIN_SIMILARITY  # None: similarity never admits
    names: NameCheck = field(default_factory=NameCheck)  # the question's names
    # a question in another language than the library's: words matched across languages
    cross: CrossLanguageCheck | None = None
    rare: str = field(init=False)

    def __post_init__(self) -> None:
        self.rare = rarest_chinese_term(self.terms, self.weights)

    def coverage(self, passage: str) -> float:
        """The IDF-weighted share of the question's keywords found in ``passage``."""
        return keyword_coverage(self.terms, passage, self.weights)

    def admits(self, passage: str, coverage: float, dense_distance: float | None,
               doc_id: int | None = None) -> bool:
        """Whether ``passage`` (with its ``coverage`` and embedding distance) is relevant
        enough to answer from.  Never when the question names something the library does
        not know, or when the passage (of document ``doc_id``) holds none of the names
        only some documents hold (:mod:`answer.names`).  A question asked in another
        language than the library's is judged word by word across the languages
        (:mod:`answer.cross_language`)."""
        if self.names.unknown or not self.names.holds(doc_id, passage):
            return False
        if self.cross is not None:
            # no keyword is shared and similarity does not separate: words across languages
            share, names_known = self.cross.judge(passage)
            return names_known and share >= self.min_coverage
        # past the test above, a question with distinctive names names this document
        anchored = bool(self.names.distinctive)
        similarity = None if dense_distance is None else 1.0 - dense_distance
        return (coverage >= self.min_coverage
                or (coverage >= NAMED_COVERAGE and anchored)
                or (bool(self.rare) and self.rare in passage
                    and coverage >= RARE_TERM_COVERAGE)
                or (self.dense_trust >= 0.5 and similarity is not None
                    and self.min_similarity is not None
                    and similarity >= self.min_similarity))


def grounded_sources(hits: Sequence, gate: GroundingGate, lang: str
                     ) -> tuple[list[Source], bool]:
    """Retrieval hits (:class:`retrieval.hit.Hit`) as numbered sources labelled
    in ``lang``, and whether the gate admits any of them."""
    sources, grounded = [], False
    for i, h in enumerate(hits):
        # the gate judges the text that matched, not the neighbouring text shown with it
        passage = f"{h.title} {h.heading or ''} {h.focus_text}"
        cov = gate.coverage(passage)
        if gate.admits(passage, cov, h.dense_distance, h.doc_id):
            grounded = True
        sources.append(Source(
            n=i + 1, chunk_id=h.chunk_id, doc_id=h.doc_id, path=h.path, title=h.title,
            page=h.page, heading=h.heading, start=h.start, end=h.end, text=h.text,
            label=source_label(h.title, h.path, h.page, h.heading, lang,
                               page_label=getattr(h, "page_label", None)),
            score=round(float(h.score), 4), coverage=round(cov, 3),
            explanation=_explanation(h), focus_start=h.focus_start, focus_end=h.focus_end,
            page_label=getattr(h, "page_label", None), ocr=bool(getattr(h, "ocr", False))))
    return sources, grounded


def _explanation(h) -> dict:
    """The retrieval facts the sources panel shows next to a passage."""
    return {"keyword_rank": h.keyword_rank,
            "keyword_score": None if h.keyword_score is None else round(h.keyword_score, 3),
            "dense_rank": h.dense_rank,
            "dense_distance": None if h.dense_distance is None else round(h.dense_distance, 4),
            "fused_score": round(float(h.fused_score), 4), "matched": list(h.matched),
            "named": list(h.named)}
