"""What happens to the fused candidates before they are shown: touching chunks merged,
near-duplicates dropped, and (optionally) maximal marginal relevance.

A passage split across two chunks reads better whole, and the same text ingested twice
(a copy, an earlier version) would otherwise fill several of the few places.  Pure
functions on :class:`retrieval.hit.Hit` lists, tested on their own.
"""

from __future__ import annotations

import re
from typing import Any

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
        target.text, target.start, target.end = _joined(target, h)
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


def _joined(x, y) -> tuple[str, int, int]:
    """The text and span of two overlapping or touching spans of one page or section
    (anything with ``text``, ``start`` and ``end``), the overlap written once."""
    a, b = (x, y) if x.start <= y.start else (y, x)
    if b.end <= a.end:
        return a.text, a.start, a.end
    return a.text + b.text[max(0, a.end - b.start):], a.start, b.end


def widen(hits: list[Hit], index_of: dict[str, tuple[int, int]],
          chunk_at: dict[tuple[int, int], Any], window: int) -> list[Hit]:
    """Each passage gains up to ``window`` neighbouring chunks on each side: the rest of
    a table or an argument that the best-matching chunk cut off.  Ranking is done by
    then; this only widens what is shown.  A neighbour joins only from the same page and
    section (a passage cites one page) and only if no other passage holds it.

    ``index_of`` maps chunk ids to (document id, position); ``chunk_at`` maps those
    positions to chunk rows (``id``, ``page``, ``heading``, ``text``, ``start``, ``end``)."""
    held = {index_of[c] for h in hits for c in h.chunk_ids if c in index_of}
    for h in hits:
        places = [index_of[c] for c in h.chunk_ids if c in index_of]
        if not places:
            continue
        doc = places[0][0]
        lo, hi = min(i for _, i in places), max(i for _, i in places)
        for step, edge in ((-1, lo), (1, hi)):
            for n in range(1, window + 1):
                place = (doc, edge + step * n)
                row = chunk_at.get(place)
                if (row is None or place in held or row.page != h.page
                        or row.heading != h.heading):
                    break
                if h.focus_start is None:
                    h.focus_start, h.focus_end = h.start, h.end
                h.text, h.start, h.end = _joined(h, row)
                h.chunk_ids.append(row.id)
                held.add(place)
    return hits


def _shingles(text: str) -> np.ndarray:
    """The text's distinct character 3-grams (lower case, runs of white space as one
    space), each packed into one integer (code points fit in 21 bits), sorted: set work
    in numpy, several times faster than sets of strings on every search."""
    s = re.sub(r"\s+", " ", text.lower())
    codes = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if len(codes) < 3:
        codes = np.concatenate([codes, np.zeros(3 - len(codes), dtype=np.int64)])
    return np.unique((codes[:-2] << 42) | (codes[1:-1] << 21) | codes[2:])


def drop_near_duplicates(hits: list[Hit], threshold: float = 0.9,
                         limit: int | None = None) -> list[Hit]:
    """Drop a hit whose text is nearly the same (character 3-gram Jaccard) as a better one;
    stop once ``limit`` hits are kept."""
    kept: list[tuple[Hit, np.ndarray]] = []
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
            inter = len(np.intersect1d(sh, s, assume_unique=True))
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
