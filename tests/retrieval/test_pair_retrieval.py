"""Retrieval with the default embedder (the e5 + MiniLM pair): both slices rank as well as
with MiniLM, and a Chinese question gets pseudo-relevance feedback on both lanes (an
English one on neither)."""

from __future__ import annotations

import numpy as np
import pytest



def _ids(hits, prefix: str) -> list[str]:
    return [h.path[len(prefix):] for h in hits if h.path.startswith(prefix)]


@pytest.fixture(scope="module")
def pair_library(tmp_path_factory, pair, slices):
    from ingest.pipeline import Ingestor
    from ingest.prepare import prepare_text
    from ingest.store.library import Library

    lib = Library(tmp_path_factory.mktemp("pair-store"))
    ingestor = Ingestor(lib, pair, chunk_tokens=200, overlap=0.15, embed_batch=64)
    for kb, prefix in (("scifact", "scifact:"), ("rgb", "rgb:")):
        records = [prepare_text(prefix + i, title, text, model_dir=str(pair.ensure_folder()),
                                chunk_tokens=200, overlap=0.15)
                   for i, title, text in slices[kb].docs]
        assert ingestor.ingest_prepared(records, kb, total=len(records)).count("added") == len(records)
    yield lib
    lib.close()


def test_both_languages_find_their_passages(pair_library, pair, slices):
    from retrieval.retriever import Retriever

    r = Retriever(pair_library, pair)
    assert r.multilingual and r.dense_trust("北京冬奥会开幕日期") == 1
    for kb, k in (("scifact", 5), ("rgb", 3)):
        sl = slices[kb]
        good = sum(1 for qid, text in sl.queries.items()
                   if set(_ids(r.search(text, kb_name=kb, k=k), f"{kb}:")) & sl.qrels[qid])
        assert good >= len(sl.queries) - 1, (kb, good, len(sl.queries))


def test_feedback_is_for_chinese_questions_on_both_lanes(pair_library, pair, slices):
    from retrieval.dense import DenseIndex, rocchio
    from retrieval.retriever import Retriever

    r = Retriever(pair_library, pair)
    zh, en = "印控克什米尔地区寺庙踩踏事故死亡人数", next(iter(slices["scifact"].queries.values()))
    assert r.feedback_share(zh) == 1.0 and r.feedback_share(en) == 0.0
    assert 0 < r.feedback_share("RCEP具体包括哪些国家") <= 1

    kb = pair_library.kb("rgb")
    index = DenseIndex(pair_library.vectors, kb.collection)
    vec = pair.encode_queries([zh])[0]
    plain = index.search(vec, 20)
    best = index.vectors_of([h.chunk_id for h in plain[: r.options.dense_prf_chunks]])
    # the lane reads them with its first search; the same vectors, best first
    assert np.allclose(index.nearest_vectors(vec, r.options.dense_prf_chunks), best)
    ids = [h.chunk_id for h in plain]
    assert np.allclose(index.nearest_vectors(vec, 2, chunk_ids=ids[::-1]), best[:2])
    moved = rocchio(vec, pair.passages_as_queries(vec, best), r.options.dense_prf_weight)
    assert not moved[384:].any()  # the question keeps its e5-only layout
    assert not np.allclose(moved, vec)
    lane, _, _ = r._dense_lane(zh, kb, None, 20)
    assert [h.chunk_id for h in lane] == [h.chunk_id for h in index.search(moved, 20)]

    kb = pair_library.kb("scifact")
    lane, _, _ = r._dense_lane(en, kb, None, 20)
    plain = DenseIndex(pair_library.vectors, kb.collection).search(pair.encode_queries([en])[0], 20)
    assert [h.chunk_id for h in lane] == [h.chunk_id for h in plain]


def test_keyword_feedback_follows_the_question_language(pair_library, pair):
    """The keyword lane of a Chinese question differs from the same search without
    feedback; an English question's does not."""
    import dataclasses

    from retrieval.retriever import Retriever

    r = Retriever(pair_library, pair)
    off = Retriever(pair_library, pair, dataclasses.replace(r.options, prf_weight=0.0))
    kb = pair_library.kb("rgb")
    zh = "第七届香港立法会议员宣誓仪式的时间"
    with_fb, _, _ = r._keyword_lane(zh, kb, None, 50)
    without, _, _ = off._keyword_lane(zh, kb, None, 50)
    assert [(h.rowid, round(h.score, 6)) for h in with_fb] != \
        [(h.rowid, round(h.score, 6)) for h in without]
    kb = pair_library.kb("scifact")
    en = "diffusion tensor imaging of white matter in newborns"
    assert [h.rowid for h in r._keyword_lane(en, kb, None, 50)[0]] == \
        [h.rowid for h in off._keyword_lane(en, kb, None, 50)[0]]


def test_a_knowledge_base_built_with_minilm_keeps_working(library, embedder, pair, slices):
    """The session library was built with MiniLM alone: with the pair configured it is
    searched with the pair's own MiniLM (nothing new is loaded), exactly as before."""
    from retrieval.retriever import Retriever

    r = Retriever(library, pair)
    assert library.kb("scifact").embedder == embedder.name != pair.name
    assert r.for_kb("scifact").embedder is pair.english
    before = Retriever(library, embedder)
    for text in list(slices["scifact"].queries.values())[:3] + ["RCEP具体包括哪些国家"]:
        kb = "rgb" if "RCEP" in text else "scifact"
        assert [(h.chunk_id, round(h.score, 5)) for h in r.search(text, kb_name=kb, k=5)] == \
            [(h.chunk_id, round(h.score, 5)) for h in before.search(text, kb_name=kb, k=5)]
    assert r.dense_trust("北京冬奥会开幕日期", "rgb") == 0  # MiniLM's trust, not the pair's
    assert r.relevant_similarity_for("protein", "scifact") == embedder.relevant_similarity
    assert r.check_kb("scifact").name == "scifact"
    # a model that is not bundled cannot be opened by name: such a knowledge base is
    # refused as before (the message names `wenji kb reembed`)
    from retrieval.retriever import _bundled_embedder

    assert _bundled_embedder("some-other-model", pair) is None
    assert _bundled_embedder("multilingual-e5-small", pair) is pair.wide
