"""The same library on a team's servers (PostgreSQL + Chroma server) answers every
question with the same passages, in the same order, as the embedded one."""

from __future__ import annotations

import pytest


pytestmark = pytest.mark.slow


def _top(retriever, query, kb):
    return [(h.path, h.start, h.end, round(h.score, 4)) for h in
            retriever.search(query, kb_name=kb, k=10)]


@pytest.mark.parametrize("kb", ["scifact", "rgb"])
def test_same_hits_as_the_embedded_library(kb, embedded_library, server_library, embedder,
                                          slices):
    from retrieval.retriever import Retriever

    here, there = Retriever(embedded_library, embedder), Retriever(server_library, embedder)
    # the benchmark's questions, and documents' titles as look-alike questions
    queries = list(slices[kb].queries.values()) + [(t or x[:30]) for _, t, x in slices[kb].docs[:25]]
    assert len(queries) >= 20
    same = sum(_top(here, q, kb) == _top(there, q, kb) for q in queries)
    assert same == len(queries), f"{same}/{len(queries)} queries gave the same top 10"


@pytest.mark.parametrize("kb", ["scifact", "rgb"])
def test_the_keyword_statistics_agree(kb, embedded_library, server_library):
    from retrieval.keyword import open_keyword_index
    from retrieval.keyword_postings import PostingsKeywordIndex

    a_kb, b_kb = embedded_library.kb(kb), server_library.kb(kb)
    fts5, postings = (open_keyword_index(embedded_library.catalog, a_kb),
                      open_keyword_index(server_library.catalog, b_kb))
    assert isinstance(postings, PostingsKeywordIndex)
    n, avgdl = fts5.sizes()
    assert postings.sizes() == (n, pytest.approx(avgdl))
    words = sorted({t for q in ("protein cells mice", "冬奥会 开幕 北京 日期")
                    for t in q.split()})
    from ingest.analyzer import tokenize

    terms = [t for w in words for t in tokenize(w)]
    assert fts5.doc_freqs(terms, n) == postings.doc_freqs(terms, n)
    assert fts5.has_cjk_terms() == postings.has_cjk_terms() == (kb == "rgb")


def test_consistency_report_on_the_servers(server_library):
    for kb in ("scifact", "rgb"):
        report = server_library.consistency_report(server_library.kb(kb))
        assert report["mismatch"] == 0 and report["chroma"] == report["ready"] > 0
        assert report["keyword"] == report["ready"]


@pytest.mark.parametrize("kb", ["scifact", "rgb"])
def test_documents_read_back_the_same(kb, embedded_library, server_library):
    """What summaries, comparisons and the viewer read: each document's row and its
    passages in order (the model-heavy tests over them run on the embedded store)."""
    fields = ("path", "title", "kind", "status", "pages", "chunks", "content_hash")
    here, there = embedded_library.kb(kb), server_library.kb(kb)
    a, b = embedded_library.documents(here), server_library.documents(there)
    assert [[getattr(d, f) for f in fields] for d in a] == \
        [[getattr(d, f) for f in fields] for d in b]
    for x, y in zip(a, b):
        assert ([(c.index, c.page, c.heading, c.start, c.end, c.text)
                 for c in embedded_library.catalog.document_chunks(x.id)]
                == [(c.index, c.page, c.heading, c.start, c.end, c.text)
                    for c in server_library.catalog.document_chunks(y.id)])
