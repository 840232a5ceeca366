"""What happens to the fused candidates before they are shown: touching chunks merged,
near-duplicates dropped, and (optionally) maximal marginal relevance.

A passage split across two chunks reads better whole, and the same text ingested twice
(a copy, an earlier version) would otherwise fill several of the few places.  Pure
functions on :class:`retrieval.hit.Hit` lists, tested on their own.
"""

from __future__ import annotations

import re

import numpy as np

from retrieval.hit import Hit


def merge_neighbours(hits: list[Hit]) -> list[Hit]:
    """Merge hits whose chunks overlap or touch in the same document, page and section:
    the merged hit keeps the better score and spans both texts."""
    out: list[Hit] = []
    for h in hits:
        target = None
        for o in out:
            if (o.doc_id == h.doc_id and o.page == h.page and o.heading == h.heading
                    and h.start <= o.end and o.start <= h.end):
                target = o
                break
        if target is None:
            out.append(h)
            continue
        a, b = (target, h) if target.start <= h.start else (h, target)
        if b.end <= a.end:
            text, end = a.text, a.end
        else:
            cut = max(0, a.end - b.start)
            text, end = a.text + b.text[cut:], b.end
        target.text, target.start, target.end = text, a.start, end
        target.chunk_ids.extend(h.chunk_ids)
        target.matched = list(dict.fromkeys(target.matched + h.matched))
        for attr in ("keyword_rank", "dense_rank"):
            hv, tv = getattr(h, attr), getattr(target, attr)
            if hv is not None and (tv is None or hv < tv):
                setattr(target, attr, hv)
                if attr == "keyword_rank":
                    target.keyword_score = h.keyword_score
                else:
                    target.dense_distance = h.dense_distance
    return out


def _shingles(text: str, n: int = 3) -> set[str]:
    s = re.sub(r"\s+", " ", text.lower())
    return {s[i:i + n] for i in range(max(1, len(s) - n + 1))}


def drop_near_duplicates(hits: list[Hit], threshold: float = 0.9,
                         limit: int | None = None) -> list[Hit]:
    """Drop a hit whose text is nearly the same (character 3-gram Jaccard) as a better one;
    stop once ``limit`` hits are kept."""
    kept: list[tuple[Hit, set[str]]] = []
    for h in hits:
        if limit is not None and len(kept) >= limit:
            break
        sh = _shingles(h.text)
        n = len(sh)
        dup = False
        for _, s in kept:
            m = len(s)
            # Jaccard <= min/max: skip the set work when the sizes alone rule it out.
            if min(n, m) < threshold * max(n, m):
                continue
            inter = len(sh & s)
            if inter / max(1, n + m - inter) >= threshold:
                dup = True
                break
        if not dup:
            kept.append((h, sh))
    return [h for h, _ in kept]


def mmr(hits: list[Hit], vectors: list[np.ndarray | None], k: int, lam: float = 0.7) -> list[Hit]:
    """Maximal marginal relevance on the hits' own scores (min-max scaled) and vectors."""
    if not hits:
        return hits
    scores = np.array([h.score for h in hits], dtype=np.float32)
    rel = (scores - scores.min()) / (scores.max() - scores.min() + 1e-9)
    chosen: list[int] = []
    rest = list(range(len(hits)))
    while rest and len(chosen) < k:
        best, best_val = rest[0], -1e9
        for i in rest:
            sim = 0.0
            if chosen and vectors[i] is not None:
                sim = max(float(vectors[i] @ vectors[j]) for j in chosen if vectors[j] is not None) \
                    if any(vectors[j] is not None for j in chosen) else 0.0
            val = lam * rel[i] - (1 - lam) * sim
            if val > best_val:
                best, best_val = i, val
        chosen.append(best)
        rest.remove(best)
    return [hits[i] for i in chosen] + [hits[i] for i in rest]


def spread_over_documents(hits: list[Hit], k: int) -> list[Hit]:
    """The ``k`` best hits, at most an even share from each document while other
    documents have hits left: a question about several named documents ("how did net
    sales change over the quarters?") needs each of them, not six passages from one."""
    docs = {h.doc_id for h in hits}
    if len(docs) < 2:
        return hits[:k]
    share = -(-k // len(docs))
    taken: dict[int, int] = {}
    first, rest = [], []
    for h in hits:
        if taken.get(h.doc_id, 0) < share:
            taken[h.doc_id] = taken.get(h.doc_id, 0) + 1
            first.append(h)
        else:
            rest.append(h)
    chosen = {id(h) for h in (first + rest)[:k]}
    return [h for h in hits if id(h) in chosen]
