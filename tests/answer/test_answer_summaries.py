"""Whole-document summaries: sections from a real 10-Q, a summary by the bundled model
whose every line cites a section with real pages, the cache reused and invalidated,
cancel mid-map, and a chat scoped to chosen documents."""

from __future__ import annotations

import dataclasses
import re
import threading
import time

import pytest

from answer.sections import document_sections, joined_pages, section_key
from answer.summaries import (SummaryCache, SummaryCancelled, Summarizer, clean_summary,
                              find_document)
from tests.answer.conftest import AAPL, NVDA
from tests.backends import embedded_only


def chunk(idx, page, start, end, text, heading=None):
    from ingest.store.catalog import ChunkRow

    return ChunkRow(id=f"c{idx}", doc_id=1, kb_id=1, index=idx, page=page, heading=heading,
                    start=start, end=end, text=text)


def test_overlapping_passages_are_joined_once():
    page = "Alpha beta gamma. Delta epsilon zeta. Eta theta iota."
    pieces = joined_pages([chunk(0, 1, 0, 36, page[:36]), chunk(1, 1, 18, len(page), page[18:]),
                           chunk(2, 2, 0, 5, "Kappa")])
    assert [p.text for p in pieces] == [page, "Kappa"]
    assert section_key("ITEM 1A. RISK FACTORS") == "item 1a"
    assert section_key("Part II — Other Information") == "part ii"


def test_filing_lines_open_sections_but_a_table_of_contents_does_not():
    toc = "Item 1. Financial Statements 3\nItem 2. MD&A 10\nItem 3. Market Risk 15\nItem 4. Controls 16"
    pages = [toc, "PART I\nItem 1. Financial Statements\nNet sales 100", "More tables 200",
             "Item 2. Management's Discussion\nSales grew 5%", "Item 4. Controls\nEffective"]
    chunks = [chunk(i, i + 1, 0, len(t), t) for i, t in enumerate(pages)]
    sections = document_sections(chunks, 1000, lambda t: len(t.split()))
    assert [s.key for s in sections] == ["", "item 1", "item 2", "item 4"]
    assert sections[1].pages == "pp. 2–3" and "More tables" in sections[1].text
    # a budget smaller than a page: cut by pages, never a section above the budget
    small = document_sections(chunks, 40, len)
    assert all(len(s.text) <= 64 for s in small) and len(small) > len(sections)
    assert {s.key for s in small} == {"", "item 1", "item 2", "item 4"}


def test_clean_summary_drops_repeats_and_half_sentences():
    assert clean_summary("Sales rose. Sales rose. Costs fell.\n\nUser: more") == \
        "Sales rose. Costs fell."
    assert clean_summary("Sales rose 5%. Then the") == "Sales rose 5%."


@pytest.fixture(scope="module")
def aapl(answer_library):
    doc = find_document(answer_library, "default", str(AAPL))
    return doc, answer_library.catalog.document_chunks(doc.id)


@pytest.mark.slow
@embedded_only
def test_a_10q_summary_cites_real_sections_and_is_cached(aapl, chat_manager, tmp_path):
    doc, chunks = aapl
    cache = SummaryCache(tmp_path / "summaries.sqlite3")
    summarizer = Summarizer(chat_manager, cache, model_name="gemma-3-270m")
    seen = []
    t0 = time.perf_counter()
    first = summarizer.summarize(doc, chunks, "en", progress=seen.append)
    cold = time.perf_counter() - t0
    n = len(first.sections)
    assert n >= 3 and first.generated == n
    assert seen[0].done == 0 and seen[-1].done == n and any(p.eta for p in seen[1:-1])
    for i, (part, source) in enumerate(zip(first.sections, first.sources), 1):
        # every line cites its section, whose pages exist in the filing
        assert f"[{i}]" in first.text
        assert 1 <= source.page <= doc.pages and source.text == part.section.text
        assert part.section.pages and part.section.pages in source.label
        assert part.section.text.split()[0] in " ".join(c.text for c in chunks)
    assert first.check is not None and first.check.sentences
    # the second run reuses every section
    t0 = time.perf_counter()
    again = summarizer.summarize(doc, chunks, "en")
    warm = time.perf_counter() - t0
    assert again.generated == 0 and again.text == first.text
    assert warm < 0.25 * cold, (warm, cold)
    # another version of the document (its content hash changed) is summarized again
    changed = dataclasses.replace(doc, content_hash="another-version")
    assert summarizer.summarize(changed, chunks[:8], "en").generated >= 1
    assert cache.count(doc.path) <= len(summarizer.sections(chunks[:8]))  # old ones gone


@pytest.mark.slow
@embedded_only
def test_cancel_mid_map_keeps_what_was_done(aapl, chat_manager, tmp_path):
    doc, chunks = aapl
    cache = SummaryCache(tmp_path / "summaries.sqlite3")
    summarizer = Summarizer(chat_manager, cache, model_name="gemma-3-270m")
    cancel = threading.Event()
    stopped_at = []

    def progress(p):
        if p.done == 2 and not cancel.is_set():
            cancel.set()
            stopped_at.append(time.perf_counter())

    part = chunks[:20]
    with pytest.raises(SummaryCancelled):
        summarizer.summarize(doc, part, "en", cancel, progress)
    assert time.perf_counter() - stopped_at[0] < 1.0
    assert cache.count(doc.path) == 2
    rest = summarizer.summarize(doc, part, "en")
    assert rest.generated == len(rest.sections) - 2


def test_a_scoped_chat_retrieves_only_its_documents(engine, answer_library):
    scoped = dataclasses.replace(engine, documents=[str(NVDA)])
    sources, _ = scoped.find_sources("What were the total net sales for the quarter?", "en")
    assert sources and {s.path for s in sources} == {str(NVDA)}
    from retrieval.retriever import RetrievalError

    with pytest.raises(RetrievalError, match="none of the chosen documents"):
        engine.retriever.scope("default", ["/no/such/file.pdf"])
    with pytest.raises(ValueError, match="not a ready document"):
        find_document(answer_library, "default", "/no/such/file.pdf")


def test_summary_questions_go_to_the_whole_document(engine):
    from answer.intent import whole_document_request

    for q in ["Summarize this filing", "Give me an overview of the report",
              "What is this document about?", "总结一下这份文件", "这篇文档的主要内容是什么？"]:
        assert whole_document_request(q), q
    for q in ["What were Apple's total net sales?", "Which chip did Apple announce?",
              "苹果的净销售额是多少？"]:
        assert not whole_document_request(q), q
    scoped = dataclasses.replace(engine, documents=[str(AAPL)])
    assert scoped.whole_document("Summarize this filing").path == str(AAPL)
    assert scoped.whole_document("What were the total net sales?") is None
    # without a scope, only a question that names one document
    assert engine.whole_document("Summarize this filing") is None
    both = dataclasses.replace(engine, documents=[str(AAPL), str(NVDA)])
    assert both.whole_document("Summarize these filings") is None


@pytest.fixture(scope="module")
def two_quarters(tmp_path_factory, embedder):
    """Two 10-Qs of one company (Apple, 2023 Q1 and Q2) in their own library."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from tests.conftest import SEC_DIR, require

    lib = Library(tmp_path_factory.mktemp("quarters"))
    paths = [require(SEC_DIR / "2023 Q1 AAPL.pdf"), require(SEC_DIR / "2023 Q2 AAPL.pdf")]
    Ingestor(lib, embedder).run(paths, kb_name="default")
    docs = [find_document(lib, "default", str(p)) for p in paths]
    yield lib, docs
    lib.close()


@pytest.mark.slow
def test_two_10qs_compared_section_by_section(two_quarters, chat_manager, tmp_path):
    from answer.compare import Comparer

    lib, (q1, q2) = two_quarters
    chunks = [lib.catalog.document_chunks(d.id) for d in (q1, q2)]
    comparer = Comparer(Summarizer(chat_manager, SummaryCache(tmp_path / "s.sqlite3"), "g"))
    result = comparer.compare(q1, chunks[0], q2, chunks[1], summaries=False)
    assert {"item 1", "item 2"} <= set(result.matched)
    by_label = {d.label: d for d in result.differences}
    total = by_label["total assets"]  # the balance sheets: 346,747 against 332,160
    assert (total.a.value, total.b.value) == ("346,747", "332,160")
    n_first = sum(1 for s in result.sources if s.path == q1.path)
    for d in result.differences:  # each value is in the section its citation names
        a_source, b_source = result.sources[d.a.section], result.sources[n_first + d.b.section]
        assert d.a.value in a_source.text and d.b.value in b_source.text
        assert f"[{d.a.section + 1}]" in result.text or len(result.differences) > 40
    assert "| total assets | 346,747 (p." in result.text and "2023 Q1 AAPL.pdf" in result.text
    # sentences both filings write alike, with other amounts: only the changed ones
    stated = {d.label: d for d in result.stated}
    owed = next(d for label, d in stated.items() if "manufacturing purchase obligations" in label)
    assert (owed.a.value, owed.b.value) == ("$55.1 billion; $54.8 billion",
                                            "$40.5 billion; $40.1 billion")
    for d in result.stated:
        a_source, b_source = result.sources[d.a.section], result.sources[n_first + d.b.section]
        for value in d.a.value.split("; "):
            assert value in " ".join(a_source.text.split())
        for value in d.b.value.split("; "):
            assert value in " ".join(b_source.text.split())
        assert "Note" not in d.a.value and not re.search(r"\b20\d\d\b", d.a.value)  # no dates
    assert "**Sentences with other figures**" in result.text
    # with the model: the shared sections' summaries, each cited (first pages only: time)
    small = comparer.compare(q1, chunks[0][:12], q2, chunks[1][:12], summaries=True)
    by_section = small.text.split("**Section by section**")[1]
    assert "2023 Q1 AAPL.pdf: " in by_section and "2023 Q2 AAPL.pdf: " in by_section
    assert re.search(r"\[\d+\]", by_section)


def test_comparison_questions_go_to_two_documents(engine):
    from answer.intent import comparison_request

    assert comparison_request("What changed between the Q1 and Q2 reports?")
    assert comparison_request("对比这两份报告的区别")
    assert not comparison_request("What were Apple's total net sales?")
    both = dataclasses.replace(engine, documents=[str(AAPL), str(NVDA)])
    assert [d.path for d in both.documents_to_compare("Compare these two filings")] == \
        sorted([str(AAPL), str(NVDA)])
    assert both.whole_document("Summarize the differences") is None
    one = dataclasses.replace(engine, documents=[str(AAPL)])
    assert one.documents_to_compare("Compare it") == []


def test_a_document_that_fits_is_read_whole(answer_library, chat_manager, tmp_path):
    from tests.answer.conftest import MD_EN

    doc = find_document(answer_library, "default", str(MD_EN))
    chunks = answer_library.catalog.document_chunks(doc.id)[:5]  # its first part
    summarizer = Summarizer(chat_manager, None, "g")
    assert sum(chat_manager.count_tokens(p.text) for p in joined_pages(chunks)) < 1500
    [whole] = summarizer.sections(chunks)
    assert whole.text.split()[0] in chunks[0].text and chunks[-1].text[-20:] in whole.text
    summary = summarizer.summarize(doc, chunks, "en")
    assert summary.whole and summary.text.count("[1]") == 1 and len(summary.sources) == 1
