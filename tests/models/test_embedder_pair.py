"""The default embedder: e5 and MiniLM in one vector.  Its cosine is each model's own
cosine weighted by how English the question is, so an English question ranks by both
models, a Chinese one by e5 alone (at one scale over passages of either language), and
MiniLM never runs on Chinese text."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models import bundled
from models.embedder import Embedder, EmbedderError
from models.embedder_pair import EmbedderPair, half_weights, neutral_vector, open_embedder

EN = "Apple's total net sales rose in the third quarter."
ZH = "北京冬奥会于2022年2月4日开幕。"


def test_the_default_setting_opens_the_pair_and_single_models_stay_selectable(tmp_path):
    assert bundled.DEFAULT_EMBEDDER == bundled.PAIR_NAME
    for spec in (None, "", bundled.PAIR_NAME):
        assert isinstance(open_embedder(spec, cache_dir=tmp_path), EmbedderPair)
    assert open_embedder(bundled.EMBEDDER_NAME, cache_dir=tmp_path).name == bundled.EMBEDDER_NAME
    e5 = open_embedder(bundled.MULTILINGUAL_NAME, cache_dir=tmp_path)
    assert isinstance(e5, Embedder) and e5.name == bundled.MULTILINGUAL_NAME
    with pytest.raises(EmbedderError, match="pair"):
        Embedder(bundled.PAIR_NAME)


def test_half_weights_follow_the_script():
    assert half_weights(EN) == pytest.approx((math.sqrt(0.5), math.sqrt(0.5)))
    assert half_weights(ZH) == (1.0, 0.0)
    a, b = half_weights("Apple 的 total revenue")  # mostly English
    assert 0 < b < math.sqrt(0.5) and a * a + b * b == pytest.approx(1.0)
    assert half_weights("RCEP具体包括哪些国家") == (1.0, 0.0)  # mostly Chinese


def test_passage_vectors_are_both_models_side_by_side(pair, multilingual, embedder):
    vecs = pair.encode([EN, ZH])
    assert vecs.shape == (2, 768) and pair.dimension == 768
    assert np.linalg.norm(vecs, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    half = math.sqrt(0.5)
    # the e5 half is e5's own vector (int8 runtime) for every passage ...
    e5 = multilingual.encode([EN, ZH])
    assert vecs[0, :384] / half @ e5[0] > 0.999 and vecs[1, :384] / half @ e5[1] > 0.999
    # ... the MiniLM half MiniLM's for English, the neutral vector for Chinese
    mini = Embedder(bundled.EMBEDDER_NAME, backend=pair.english.backend,
                    cache_dir=pair.cache_dir).encode([EN])
    assert vecs[0, 384:] / half @ mini[0] > 0.999
    assert vecs[1, 384:] / half == pytest.approx(neutral_vector(384), abs=1e-6)
    # which is nearly orthogonal to what MiniLM makes of real English questions
    qs = pair.english.encode_queries(["What happened to Apple's net sales?",
                                      "How do I declare query parameters?",
                                      "Does vitamin D lower the risk of fractures?"])
    assert np.abs(qs @ neutral_vector(384)).max() < 0.15


def test_an_english_question_gets_the_mean_cosine_a_chinese_one_e5s(pair, multilingual):
    q_en = "What happened to Apple's net sales?"
    q_zh = "北京冬奥会哪天开幕？"
    docs = pair.encode([EN, ZH])
    qs = pair.encode_queries([q_en, q_zh])
    assert np.linalg.norm(qs, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    e5_docs = multilingual.encode([EN, ZH])
    e5_q = multilingual.encode_queries([q_en, q_zh])
    mini_docs = pair.english.encode([EN])
    mini_q = pair.english.encode_queries([q_en])
    assert qs[0] @ docs[0] == pytest.approx((e5_q[0] @ e5_docs[0] + mini_q[0] @ mini_docs[0]) / 2,
                                            abs=2e-3)
    # a Chinese question ranks passages of both languages by e5 alone, at one scale
    half = math.sqrt(0.5)
    assert qs[1] @ docs[1] == pytest.approx(e5_q[1] @ e5_docs[1] * half, abs=2e-3)
    assert qs[1] @ docs[0] == pytest.approx(e5_q[1] @ e5_docs[0] * half, abs=2e-3)


def test_feedback_passages_take_the_questions_layout(pair):
    docs = pair.encode([EN, ZH])
    q_zh, q_en = pair.encode_queries(["北京冬奥会哪天开幕？", "When did the Olympics open?"])
    as_zh = pair.passages_as_queries(q_zh, docs)
    assert not as_zh[:, 384:].any()  # a Chinese question keeps no MiniLM half
    assert np.linalg.norm(as_zh, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    as_en = pair.passages_as_queries(q_en, docs)
    assert as_en == pytest.approx(docs, abs=1e-6)  # an English one is laid out as passages


def test_the_relevance_level_is_the_models_levels_weighted_alike(pair):
    from models.embedder import RELEVANT_SIMILARITY

    e5, mini = (RELEVANT_SIMILARITY[bundled.MULTILINGUAL_NAME],
                RELEVANT_SIMILARITY[bundled.EMBEDDER_NAME])
    assert pair.relevant_similarity_for("北京冬奥会哪天开幕？") == pytest.approx(e5 / math.sqrt(2))
    assert pair.relevant_similarity_for("When did it open?") == pytest.approx((e5 + mini) / 2)
    assert pair.multilingual and pair.name == bundled.PAIR_NAME
