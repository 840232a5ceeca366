"""One passage found: where it comes from and why it was found.

The retriever builds these, post-processing merges and reorders them, and every face
(CLI, window, LangChain) shows them through ``location``, ``explain()`` and
``metadata()``, so a passage reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hit:
    """One passage found, with where it comes from and why it was found."""

    chunk_id: str
    doc_id: int
    path: str  # document path (or pseudo-path such as beir:4983)
    title: str
    text: str
    page: int | None
    heading: str | None
    start: int  # character span within the page / section text
    end: int
    score: float  # fused (or reranked) score, higher is better
    rank: int = 0
    keyword_rank: int | None = None
    keyword_score: float | None = None  # BM25
    dense_rank: int | None = None
    dense_distance: float | None = None  # cosine distance
    fused_score: float = 0.0
    rerank_score: float | None = None
    matched: list[str] = field(default_factory=list)  # query keywords found in the passage
    chunk_ids: list[str] = field(default_factory=list)  # all chunks merged into this hit
    kb: str = ""
    named: list[str] = field(default_factory=list)  # documents the question named (file names)
    # the span of the chunks that matched, when neighbouring text widened the passage
    focus_start: int | None = None
    focus_end: int | None = None
    page_label: str | None = None  # the page's label when it is not its number ("iv")
    ocr: bool = False  # read by OCR from a scanned page

    @property
    def focus_text(self) -> str:
        """The text of the chunks that matched (all of ``text`` unless widened)."""
        if self.focus_start is None or self.focus_end is None:
            return self.text
        return self.text[self.focus_start - self.start:self.focus_end - self.start]

    @property
    def source(self) -> str:
        return self.title or self.path

    @property
    def location(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page_label or self.page}")
        if self.heading:
            parts.append(self.heading)
        if self.ocr:
            parts.append("read by OCR")
        return ", ".join(parts)

    def explain(self) -> str:
        bits = []
        if self.keyword_rank is not None:
            bits.append(f"keyword #{self.keyword_rank} (BM25 {self.keyword_score:.2f})")
        else:
            bits.append("no keyword match")
        if self.dense_rank is not None:
            bits.append(f"embedding #{self.dense_rank} (distance {self.dense_distance:.3f})")
        else:
            bits.append("not in embedding top list")
        bits.append(f"fused {self.fused_score:.3f}")
        if self.rerank_score is not None:
            bits.append(f"reranker {self.rerank_score:.3f}")
        if self.matched:
            bits.append("matched: " + " ".join(self.matched))
        if self.named:
            bits.append("searching in " + ", ".join(self.named))
        return "; ".join(bits)

    def metadata(self) -> dict[str, Any]:
        return {"chunk_id": self.chunk_id, "doc_id": self.doc_id, "source": self.path,
                "title": self.title, "page": self.page, "heading": self.heading,
                "start": self.start, "end": self.end, "score": self.score, "rank": self.rank,
                "keyword_rank": self.keyword_rank, "keyword_score": self.keyword_score,
                "dense_rank": self.dense_rank, "dense_distance": self.dense_distance,
                "fused_score": self.fused_score, "rerank_score": self.rerank_score,
                "matched_keywords": list(self.matched), "chunk_ids": list(self.chunk_ids),
                "kb": self.kb, "named": list(self.named), "page_label": self.page_label,
                "ocr": self.ocr}
