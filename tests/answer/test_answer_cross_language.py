"""Chinese questions on English filings: the gate matches words across the languages
(real e5 word vectors, real filings, real Chroma)."""

from __future__ import annotations

import numpy as np
import pytest

from answer.cross_language import (match_levels, passage_words, question_names,
                                   question_words, word_vectors)
from tests.answer.conftest import AAPL, NVDA
from tests.conftest import require


def test_the_words_and_names_of_a_chinese_question():
    assert question_words("苹果的iPhone销售收入是多少？") == ["苹果", "iPhone", "销售收入"]
    # one character (年) matches a word of any text: not a word to hold
    assert "年" not in question_words("特斯拉2023年第三季度的营收是多少？")
    # the subject a question opens with, as in "Tesla's": a name even where jieba's
    # tagger does not say so
    assert question_names("小米2023年第二季度的智能手机出货量是多少？") == ["小米"]
    assert question_names("谷歌的广告收入是多少？") == ["谷歌"]
    assert "特斯拉" in question_names("特斯拉2023年第三季度的营收是多少？")
    # a longer opening is a phrase, not a name; no opening subject before a verb
    assert question_names("外汇汇率对亚马逊的财务表现有什么影响？") == ["亚马逊"]
    assert question_names("苹果在报告期内是否进行了股票回购？") == []
    assert passage_words("Apple Inc. reported Net Sales of $82,959 in the quarter") == {
        "apple", "inc", "reported", "net", "sales", "quarter"}


def test_levels_lie_between_wrong_pairs_and_translations():
    probe = np.array([[0.9, 0.8], [0.8, 0.9]])
    word, name = match_levels(probe)
    assert word == pytest.approx(0.85) and name == pytest.approx(0.875)


def test_translations_match_and_other_names_do_not(multilingual):
    vectors = word_vectors(multilingual)
    word, name = vectors.levels()
    assert 0.5 < word < name < 1.0
    sims = vectors(["苹果", "收入", "特斯拉", "巧克力"]) @ vectors(["apple", "income", "nvidia"]).T
    assert sims[0, 0] >= name and sims[1, 1] >= word  # 苹果/apple, 收入/income
    assert sims[2].max() < name  # Tesla is not NVIDIA
    assert sims[3].max() < word  # nothing a filing says is chocolate
    assert vectors(["苹果"]).shape == (1, multilingual.dimension)


@pytest.fixture(scope="module")
def filings_engine(tmp_path_factory, pair):
    """Two English filings (Apple, NVIDIA) with the default embedder: a library with no
    Chinese text, asked in Chinese."""
    from answer.engine import AnswerEngine
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from retrieval.retriever import Retriever

    lib = Library(tmp_path_factory.mktemp("filings"))
    report = Ingestor(lib, pair).run([require(AAPL), require(NVDA)], kb_name="filings")
    assert report.count("added") == 2, report
    yield AnswerEngine(Retriever(lib, pair), None, kb_name="filings", top_k=6)
    lib.close()


def test_chinese_questions_on_english_filings(filings_engine):
    engine = filings_engine
    assert not engine.retriever.holds_chinese("filings")
    for q in ["苹果的iPhone销售收入是多少？", "苹果的服务业务净销售额是多少？"]:
        sources, grounded = engine.find_sources(q, "zh")
        assert grounded, (q, [s.label for s in sources])
    for q in ["特斯拉2023年第三季度的营收是多少？", "小米2023年第二季度的智能手机出货量是多少？",
              "如何制作巧克力蛋糕？", "珠穆朗玛峰有多高？"]:
        sources, grounded = filings_engine.find_sources(q, "zh")
        assert not grounded, (q, [s.label for s in sources])
    # why: the check is made, and the library's names are the covers' words as written
    check = engine.cross_language("特斯拉2023年第三季度的营收是多少？")
    assert check is not None and "特斯拉" in check.names
    assert "apple" in engine.retriever.cover_names("filings")
    # an English question is judged as before
    assert engine.cross_language("What were Apple's net sales?") is None
    passage = "Apple Inc. iPhone net sales were $40,665 million in the quarter"
    assert not check.judge(passage)[1]  # Tesla is a name this passage and library lack
    share, names_known = engine.cross_language("苹果的iPhone销售收入是多少？").judge(passage)
    assert names_known and share == 1.0
