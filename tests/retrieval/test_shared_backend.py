"""The same library on a team's servers (PostgreSQL + Chroma server) answers every
question with the same passages, in the same order, as the embedded one."""

from __future__ import annotations

import pytest

from ingest.store.library import Library
from retrieval_data import fill_library

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared_library(tmp_path_factory, make_shared_store, embedder, slices):
    lib = Library(tmp_path_factory.mktemp("shared-local"), make_shared_store("retrieval"))
    fill_library(lib, embedder, slices)
    yield lib
    lib.close()


def _top(retriever, query, kb):
    return [(h.path, h.start, h.end, round(h.score, 4)) for h in
            retriever.search(query, kb_name=kb, k=10)]


@pytest.mark.parametrize("kb", ["scifact", "rgb"])
def test_same_hits_as_the_embedded_library(kb, library, shared_library, embedder, slices):
    from retrieval.retriever import Retriever

    here, there = Retriever(library, embedder), Retriever(shared_library, embedder)
    # the benchmark's questions, and documents' titles as look-alike questions
    queries = list(slices[kb].queries.values()) + [(t or x[:30]) for _, t, x in slices[kb].docs[:25]]
    assert len(queries) >= 20
    same = sum(_top(here, q, kb) == _top(there, q, kb) for q in queries)
    assert same == len(queries), f"{same}/{len(queries)} queries gave the same top 10"


@pytest.mark.parametrize("kb", ["scifact", "rgb"])
def test_the_keyword_statistics_agree(kb, library, shared_library):
    from retrieval.keyword import open_keyword_index
    from retrieval.keyword_postings import PostingsKeywordIndex

    a_kb, b_kb = library.kb(kb), shared_library.kb(kb)
    fts5, postings = (open_keyword_index(library.catalog, a_kb),
                      open_keyword_index(shared_library.catalog, b_kb))
    assert isinstance(postings, PostingsKeywordIndex)
    n, avgdl = fts5.sizes()
    assert postings.sizes() == (n, pytest.approx(avgdl))
    words = sorted({t for q in ("protein cells mice", "冬奥会 开幕 北京 日期")
                    for t in q.split()})
    from ingest.analyzer import tokenize

    terms = [t for w in words for t in tokenize(w)]
    assert fts5.doc_freqs(terms, n) == postings.doc_freqs(terms, n)
    assert fts5.has_cjk_terms() == postings.has_cjk_terms() == (kb == "rgb")


def test_consistency_report_on_the_servers(shared_library):
    for kb in ("scifact", "rgb"):
        report = shared_library.consistency_report(shared_library.kb(kb))
        assert report["mismatch"] == 0 and report["chroma"] == report["ready"] > 0
        assert report["keyword"] == report["ready"]
