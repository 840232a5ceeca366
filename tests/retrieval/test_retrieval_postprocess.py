"""Post-processing of fused hits: neighbour merging, near-duplicates, MMR (pure functions)."""

from __future__ import annotations

import numpy as np

from retrieval.hit import Hit
from retrieval.postprocess import drop_near_duplicates, merge_neighbours, mmr, widen


def _hit(cid, doc, start, end, text, score, page=1, heading=None, kr=None, dr=None):
    return Hit(chunk_id=cid, doc_id=doc, path=f"/d{doc}.md", title="", text=text, page=page,
               heading=heading, start=start, end=end, score=score, keyword_rank=kr,
               dense_rank=dr, chunk_ids=[cid], matched=[cid])


def test_merge_neighbours_stitches_overlapping_chunks():
    doc = "abcdefghijklmnopqrstuvwxyz"
    a = _hit("c0", 1, 0, 10, doc[0:10], 0.9, kr=1)
    b = _hit("c1", 1, 8, 18, doc[8:18], 0.8, dr=1)
    other_page = _hit("c2", 1, 9, 12, "xyz", 0.7, page=2)
    other_doc = _hit("c3", 2, 5, 12, "zzz", 0.6)
    out = merge_neighbours([a, b, other_page, other_doc])
    assert len(out) == 3
    m = out[0]
    assert (m.text, m.start, m.end) == (doc[0:18], 0, 18)
    assert m.chunk_ids == ["c0", "c1"] and m.score == 0.9
    assert (m.keyword_rank, m.dense_rank) == (1, 1) and m.matched == ["c0", "c1"]


def test_merge_keeps_distant_chunks_apart():
    out = merge_neighbours([_hit("c0", 1, 0, 10, "a" * 10, 1), _hit("c5", 1, 50, 60, "b" * 10, 0.5)])
    assert len(out) == 2


def test_near_duplicates_are_dropped():
    t = "香港特区第七届立法会选举投票于2021年12月19日顺利结束，这是完善选举制度后的首次选举。"
    hits = [_hit("a", 1, 0, 5, t, 1.0), _hit("b", 2, 0, 5, t + "。", 0.9),
            _hit("c", 3, 0, 5, "完全不同的一段文字，讲的是另外一件事情。", 0.8)]
    assert [h.chunk_id for h in drop_near_duplicates(hits, 0.9)] == ["a", "c"]


def test_mmr_prefers_diverse_vectors():
    hits = [_hit(c, i, 0, 1, c, s) for i, (c, s) in enumerate([("a", 1.0), ("a2", 0.99), ("b", 0.9)])]
    va = np.array([1.0, 0.0], dtype=np.float32)
    vb = np.array([0.0, 1.0], dtype=np.float32)
    out = mmr(hits, [va, va, vb], k=2, lam=0.5)
    assert [h.chunk_id for h in out[:2]] == ["a", "b"]


class _Row:
    def __init__(self, cid, page, start, end, text, heading=None):
        self.id, self.page, self.heading = cid, page, heading
        self.start, self.end, self.text = start, end, text


def test_widen_adds_neighbours_of_the_same_page_once():
    page = "0123456789abcdefghijklmnopqrstuvwxyz"
    rows = {(1, 0): _Row("c0", 1, 0, 10, page[0:10]), (1, 1): _Row("c1", 1, 8, 20, page[8:20]),
            (1, 2): _Row("c2", 1, 18, 30, page[18:30]), (1, 3): _Row("c3", 2, 0, 5, "other"),
            (1, 4): _Row("c4", 2, 4, 9, "x")}
    index_of = {r.id: place for place, r in rows.items()}
    best = _hit("c1", 1, 8, 20, page[8:20], 1.0)
    other = _hit("c4", 1, 4, 9, "x", 0.5, page=2)
    out = widen([best, other], index_of, rows, 1)
    assert (out[0].text, out[0].start, out[0].end) == (page[0:30], 0, 30)
    assert out[0].chunk_ids == ["c1", "c0", "c2"]
    # c3 is c4's neighbour on its page; c2 is already shown in the first passage
    assert out[1].chunk_ids == ["c4", "c3"] and out[1].text.startswith("other")
    # a neighbour on another page or held by another passage never joins
    lone = _hit("c2", 1, 18, 30, page[18:30], 1.0)
    taken = _hit("c1", 1, 8, 20, page[8:20], 0.9)
    first, second = widen([lone, taken], index_of, rows, 1)
    assert first.chunk_ids == ["c2"] and second.chunk_ids == ["c1", "c0"]
