"""Combining the keyword and the embedding lane.

* ``rrf``: reciprocal rank fusion, sum of 1 / (k + rank); the classic baseline.
* ``adaptive`` (the default): a convex combination of normalised lane scores whose dense
  weight depends on how far the embedding lane can be trusted for *this* query:

  - an English-only embedder cannot read a CJK query: its weight shrinks with the share
    of CJK characters in the query;
  - a lane with no result at all (no keyword matches, say) leaves the other lane alone;

  so fusion cannot drag a good lane down to a useless one's level, which is what plain
  RRF does on Chinese with the bundled English embedder.

Lane scores are normalised per query: BM25 divided by the query's best BM25 score (so a
weak best match keeps its meaning relative to the others), cosine similarity min-max
scaled over the lane's candidates.  A candidate missing from a lane's top list gets that
lane's floor (0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

Key = Hashable

# Tuned on scifact train (English) -- see bench/RESULTS.md; the same for every language.
DENSE_WEIGHT = 0.5
RRF_K = 60


@dataclass
class Fused:
    key: Key
    score: float
    keyword_rank: int | None = None
    keyword_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None  # cosine similarity


def rrf(keyword: Sequence[tuple[Key, float]], dense: Sequence[tuple[Key, float]],
        k: int = RRF_K, weights: tuple[float, float] = (1.0, 1.0)) -> list[Fused]:
    out: dict[Key, Fused] = {}
    for i, (key, s) in enumerate(keyword):
        f = out.setdefault(key, Fused(key, 0.0))
        f.keyword_rank, f.keyword_score = i + 1, s
        f.score += weights[0] / (k + i + 1)
    for i, (key, s) in enumerate(dense):
        f = out.setdefault(key, Fused(key, 0.0))
        f.dense_rank, f.dense_score = i + 1, s
        f.score += weights[1] / (k + i + 1)
    return sorted(out.values(), key=lambda f: -f.score)


def _max_norm(scores: Sequence[float]) -> list[float]:
    top = max(scores) if scores else 0.0
    return [s / top if top > 0 else 0.0 for s in scores]


def _minmax(scores: Sequence[float]) -> list[float]:
    if not scores:
        return []
    lo, hi = min(scores), max(scores)
    if hi - lo < 1e-9:
        return [1.0 for _ in scores]
    return [(s - lo) / (hi - lo) for s in scores]


def convex(keyword: Sequence[tuple[Key, float]], dense: Sequence[tuple[Key, float]],
           dense_weight: float) -> list[Fused]:
    """(1 - w) * normalised BM25 + w * normalised cosine similarity."""
    out: dict[Key, Fused] = {}
    kn = _max_norm([s for _, s in keyword])
    dn = _minmax([s for _, s in dense])
    for i, ((key, s), n) in enumerate(zip(keyword, kn)):
        f = out.setdefault(key, Fused(key, 0.0))
        f.keyword_rank, f.keyword_score = i + 1, s
        f.score += (1.0 - dense_weight) * n
    for i, ((key, s), n) in enumerate(zip(dense, dn)):
        f = out.setdefault(key, Fused(key, 0.0))
        f.dense_rank, f.dense_score = i + 1, s
        f.score += dense_weight * n
    return sorted(out.values(), key=lambda f: (-f.score, f.keyword_rank or 1 << 30))


def dense_trust(query: str, embedder_multilingual: bool) -> float:
    """How far the embedding lane can be trusted for this query, 0..1."""
    if embedder_multilingual:
        return 1.0
    from models.scripts import latin_trust

    return latin_trust(query)


def fuse(method: str, keyword: Sequence[tuple[Key, float]], dense: Sequence[tuple[Key, float]],
         *, query: str = "", embedder_multilingual: bool = False, rrf_k: int = RRF_K,
         dense_weight: float = DENSE_WEIGHT) -> list[Fused]:
    """Rank the union of both lanes (each a list of (key, higher-is-better score))."""
    if method == "keyword" or not dense:
        return convex(keyword, [], 0.0)
    if method == "embedding" or not keyword:
        return convex([], dense, 1.0)
    if method == "rrf":
        return rrf(keyword, dense, k=rrf_k)
    if method != "adaptive":
        raise ValueError(f"unknown fusion method {method!r}")
    w = dense_weight * dense_trust(query, embedder_multilingual)
    return convex(keyword, dense, w)
