"""Fusion, keyword planning and metrics: pure functions, real SQLite."""

from __future__ import annotations

import sqlite3

import pytest

from retrieval import fusion
from retrieval.evaluation import mrr_at, ndcg_at, percentile, recall_at
from retrieval.keyword import KeywordIndex
from retrieval.retriever import is_multilingual
from ingest.analyzer import cjk_share, tokenize


def test_rrf_adds_reciprocal_ranks():
    out = fusion.rrf([("a", 9.0), ("b", 5.0)], [("b", 0.9), ("c", 0.8)], k=60)
    assert [f.key for f in out] == ["b", "a", "c"]
    b = out[0]
    assert b.score == pytest.approx(1 / 62 + 1 / 61)
    assert (b.keyword_rank, b.dense_rank) == (2, 1)


def test_convex_is_the_single_lane_at_the_extremes():
    kw = [("a", 10.0), ("b", 8.0), ("c", 1.0)]
    de = [("c", 0.9), ("b", 0.5), ("a", 0.1)]
    assert [f.key for f in fusion.convex(kw, de, 0.0)] == ["a", "b", "c"]
    assert [f.key for f in fusion.convex(kw, de, 1.0)] == ["c", "b", "a"]
    assert [f.key for f in fusion.convex(kw, de, 0.5)][0] == "b"  # agreed on by both


def test_adaptive_trusts_an_english_embedder_less_on_chinese():
    kw = [("zh-good", 10.0), ("zh-ok", 9.0)]
    de = [("noise", 0.5), ("noise2", 0.49), ("zh-good", 0.2)]
    zh = fusion.fuse("adaptive", kw, de, query="北京冬奥会开幕日期")
    assert [f.key for f in zh][:2] == ["zh-good", "zh-ok"]
    en = fusion.fuse("adaptive", kw, de, query="winter olympics opening", dense_weight=0.9)
    assert en[0].key == "noise"
    multi = fusion.fuse("adaptive", kw, de, query="北京冬奥会开幕日期",
                        embedder_multilingual=True, dense_weight=0.9)
    assert multi[0].key == "noise"


def test_fusion_with_an_empty_lane_is_the_other_lane():
    de = [("x", 0.7), ("y", 0.6)]
    assert [f.key for f in fusion.fuse("adaptive", [], de, query="q")] == ["x", "y"]
    assert [f.key for f in fusion.fuse("rrf", [("k", 1.0)], [], query="q")] == ["k"]
    with pytest.raises(ValueError):
        fusion.fuse("bogus", [("k", 1.0)], de)


def test_cjk_share_and_trust():
    assert cjk_share("hello world") == 0
    assert cjk_share("北京冬奥会") == 1
    assert 0 < cjk_share("RCEP具体包括哪些国家") < 1
    assert fusion.dense_trust("北京", False) == 0
    assert fusion.dense_trust("北京", True) == 1
    assert is_multilingual("paraphrase-multilingual-MiniLM-L12-v2")
    assert not is_multilingual("all-MiniLM-L6-v2")


@pytest.fixture()
def fts():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts_kb1 USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, id TEXT, doc_id INTEGER)")
    texts = ["the study of protein folding in yeast cells"] * 1 + \
            [f"a study number {i} about cells and other things" for i in range(40)] + \
            ["北京冬奥会于2022年2月4日开幕", "上海的天气很好"]
    for i, t in enumerate(texts, 1):
        db.execute("INSERT INTO fts_kb1 (rowid, tokens) VALUES (?, ?)", (i, " ".join(tokenize(t))))
        db.execute("INSERT INTO chunks VALUES (?, ?, ?)", (i, f"c{i}", i))
    return db


def test_keyword_lane_ranks_and_explains(fts):
    idx = KeywordIndex(fts, "fts_kb1")
    hits = idx.search("protein folding study", 5, with_matches=5)
    assert hits[0].rowid == 1 and hits[0].rank == 1 and hits[0].score > 0
    assert set(hits[0].matched) == {"protein", "fold"}  # 'study' is too common: pruned
    plan = idx.plan("protein folding study")
    assert "studi" not in plan.terms and "study" not in plan.terms
    assert plan.terms[0] in ("protein", "fold")


def test_terms_over_the_postings_budget_rescore_but_do_not_choose(fts):
    """With a budget of one posting only the rarest term goes to FTS5; the other rare term
    still counts in the candidates' scores and in their matched keywords."""
    from retrieval import keyword

    idx = KeywordIndex(fts, "fts_kb1")
    idx.max_postings = 1
    plan = idx.plan("protein yeast")
    assert plan.terms == ["protein"] and plan.rescored == ["yeast"]
    assert keyword.KeywordIndex.match_expression(plan) == '"protein"'
    hits = idx.search("protein yeast", 10, plan=plan, with_matches=1)
    assert [h.rowid for h in hits] == [1] and hits[0].matched == ["protein", "yeast"]
    n, avgdl = idx.sizes()
    tokens = fts.execute("SELECT tokens FROM fts_kb1 WHERE rowid = 1").fetchone()[0]
    df = idx.doc_freqs(["protein", "yeast"], n)
    alone = keyword.rescore([tokens], keyword.KeywordQuery(["protein"], []), df, n, avgdl)
    assert hits[0].score == pytest.approx(keyword.rescore([tokens], plan, df, n, avgdl)[0])
    assert hits[0].score > 1.5 * alone[0]


def test_keyword_lane_keeps_common_terms_when_nothing_else(fts):
    idx = KeywordIndex(fts, "fts_kb1")
    hits = idx.search("study", 100)
    assert len(hits) == 41


def test_keyword_lane_chinese_and_doc_filter(fts):
    idx = KeywordIndex(fts, "fts_kb1")
    hits = idx.search("冬奥会什么时候开幕", 5, with_matches=1)
    assert hits[0].rowid == 42 and "冬奥会" in hits[0].matched
    assert idx.search("冬奥会什么时候开幕", 5, doc_ids=[43]) == []
    assert idx.search("冬奥会", 5, doc_ids=[]) == []
    assert idx.search("", 5) == [] and idx.search("的 了 是", 5) == []


def test_metrics():
    rels = {"a": 1, "b": 1}
    assert ndcg_at(["a", "b", "c"], rels) == pytest.approx(1.0)
    assert ndcg_at(["c", "a"], rels) < ndcg_at(["a", "c"], rels)
    assert ndcg_at(["x"], rels) == 0
    assert recall_at(["a", "x"], rels, 10) == 0.5
    assert mrr_at(["x", "b"], rels) == 0.5 and mrr_at(["x"], rels) == 0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5 and percentile([], 0.5) == 0


def test_total_rows_reads_the_fts5_averages_record(fts):
    idx = KeywordIndex(fts, "fts_kb1")
    assert idx.total_rows() == 43
    fts.execute("INSERT INTO fts_kb1 (rowid, tokens) VALUES (1000, 'x')")
    fts.execute("DELETE FROM fts_kb1 WHERE rowid = 1")
    fts.execute("INSERT INTO fts_kb1 (rowid, tokens) VALUES (1001, 'y')")
    assert idx.total_rows() == fts.execute("SELECT COUNT(*) FROM fts_kb1").fetchone()[0] == 44
    # Document frequencies follow the change.
    assert idx.doc_freqs(["x"], idx.total_rows()) == {"x": 1}


def test_feedback_pulls_in_passages_that_share_the_topic():
    from retrieval.keyword import feedback

    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts_kb1 USING fts5(tokens)")
    texts = {1: "冬奥会 开幕 北京 2022年2月4日 国家体育场",
             2: "冬奥会 开幕式 北京 2022年2月4日 国家体育场 烟花",
             3: "2022年2月4日 晚 国家体育场 烟花 表演 精彩",  # no query word at all
             4: "上海 天气 晴朗", 5: "广州 美食 推荐", 6: "深圳 科技 公司",
             7: "杭州 西湖 风景", 8: "成都 熊猫 基地"}
    for rowid, t in texts.items():
        db.execute("INSERT INTO fts_kb1 (rowid, tokens) VALUES (?, ?)", (rowid, t))
    idx = KeywordIndex(db, "fts_kb1")
    plan = idx.plan("冬奥会开幕")
    hits = idx.search("", 10, plan=plan)
    assert {h.rowid for h in hits} == {1, 2}
    out = feedback(idx, hits, plan, 10, weight=0.4, docs=2, terms=5)
    assert [h.rowid for h in out][:2] in ([1, 2], [2, 1])
    assert 3 in {h.rowid for h in out}  # found through the feedback terms only
    assert out[0].score > out[-1].score > 0 and [h.rank for h in out] == list(range(1, len(out) + 1))
    assert feedback(idx, hits, plan, 10, weight=0.0) == hits


def test_rescoring_with_fts5s_own_parameters_gives_fts5s_scores(fts):
    """The re-scorer is BM25 as FTS5 computes it: with k1 = 1.2, b = 0.75 it must give
    FTS5's own bm25() for every candidate (so K1/B are the only difference)."""
    from retrieval.keyword import rescore

    idx = KeywordIndex(fts, "fts_kb1")
    for query in ("protein folding in yeast", "cells study number 7", "北京冬奥会开幕"):
        plan = idx.plan(query)
        expr = idx.match_expression(plan)
        rows = fts.execute("SELECT rowid, -bm25(fts_kb1), tokens FROM fts_kb1 WHERE fts_kb1 "
                           "MATCH ? ORDER BY rank", (expr,)).fetchall()
        n, avgdl = idx.sizes()
        mine = rescore([r[2] for r in rows], plan, idx.doc_freqs(plan.terms, n), n, avgdl,
                       k1=1.2, b=0.75)
        assert mine == pytest.approx([r[1] for r in rows], rel=1e-6), query


def test_keyword_lane_scores_with_k1_and_b(fts):
    from retrieval import keyword

    idx = KeywordIndex(fts, "fts_kb1")
    hits = idx.search("cells study number 7", 10)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
    plan = idx.plan("cells study number 7")
    tokens = dict(fts.execute("SELECT rowid, tokens FROM fts_kb1").fetchall())
    n, avgdl = idx.sizes()
    expect = keyword.rescore([tokens[h.rowid] for h in hits], plan,
                             idx.doc_freqs(plan.terms, n), n, avgdl, keyword.K1, keyword.B)
    assert [h.score for h in hits] == pytest.approx(expect)


def test_sizes_reads_rows_and_mean_length_from_fts5(fts):
    idx = KeywordIndex(fts, "fts_kb1")
    n, avgdl = idx.sizes()
    lengths = [len(t.split()) for (t,) in fts.execute("SELECT tokens FROM fts_kb1")]
    assert n == len(lengths) == 43 and avgdl == pytest.approx(sum(lengths) / n)


def test_rocchio_moves_the_query_towards_the_best_chunks():
    import numpy as np

    from retrieval.dense import rocchio

    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    best = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    moved = rocchio(q, best, 1.0)
    assert np.linalg.norm(moved) == pytest.approx(1.0)
    assert moved == pytest.approx(np.array([1.0, 0.5, 0.5]) / np.sqrt(1.5))
    assert rocchio(q, best, 0.0) is q and rocchio(q, best[:0], 1.0) is q
