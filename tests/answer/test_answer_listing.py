""""List every deadline in this document": which questions ask for a list, every item a
sentence of the document that mentions the thing, on the page it cites, in the section
it names; a real 10-Q, a Markdown page, a Chinese contract's sentences."""

from __future__ import annotations

import dataclasses
import re
import time

from answer.engine import AnswerDone, TextPiece
from answer.figures import figures
from answer.intent import list_request
from answer.listing import kind_of, list_mentions
from answer.sections import table_of_contents
from answer.summaries import find_document
from tests.answer.conftest import AAPL, MD_EN, NVDA


def flat(text: str) -> str:
    return " ".join(text.split())


def test_which_questions_ask_for_a_list():
    asked = {"List every deadline in this contract": "deadline",
             "list all the risk factors mentioned in the filing": "risk factors",
             "What are all the dates in this document?": "dates",
             "Find all payment deadlines.": "payment deadlines",
             "list the deadlines": "deadlines",
             "列出这份合同中所有的截止日期": "截止日期",
             "把全部风险因素列出来": "风险因素",
             "文件中有哪些期限？": "期限"}
    for question, thing in asked.items():
        assert list_request(question) == thing, question
    for question in ["What were Apple's net sales?", "Summarize this filing",
                     "What is the list price of the iPhone?", "这份文件有哪些内容",
                     "苹果有哪些产品？", "Which chip did Apple announce?"]:
        assert list_request(question) is None, question
    assert [kind_of(t) for t in ("payment deadlines", "截止日期", "dates", "金额", "risks")] \
        == ["deadline", "deadline", "date", "amount", None]


def test_every_deadline_of_a_10q_is_a_sentence_on_its_cited_page(answer_library):
    doc = find_document(answer_library, "default", str(NVDA))
    chunks = answer_library.catalog.document_chunks(doc.id)
    t0 = time.perf_counter()
    found = list_mentions(doc, chunks, "deadlines")
    assert time.perf_counter() - t0 < 5  # no model: a 10-Q is read in well under a second
    by_n = {s.n: s for s in found.sources}
    assert len(found.items) >= 10
    for item in found.items:
        page = flat(by_n[item.source].text)
        assert flat(item.text).strip("…") in page, item  # the document's own words
        assert any(f.kind in ("date", "year") for f in figures(item.text)) or \
            re.search(r"within \d+ (days|months|years)", item.text), item
        # a limiting word right before the date ("due 2026", "until October 2023")
        assert re.search(r"\b(due|until|by|expir\w*|matur\w*|within|no later than)\s+"
                         r"(\w+\s+){0,5}?(\d|January|April|October)", item.text, re.I), item
    texts = " | ".join(i.text for i in found.items)
    for note in ("Notes Due 2023", "Notes Due 2060"):  # the notes' maturities, row by row
        assert note in texts
    assert "until October 2023" in texts  # a deadline in prose (deferred tax payments)
    # each item under the section it stands in; the cited pages exist in the filing
    sections = {i.section for i in found.items}
    assert any(s.startswith("ITEM 1.") for s in sections) and \
        any(s.startswith("ITEM 2.") for s in sections)
    pages = {c.page for c in chunks}
    assert all(s.page in pages for s in found.sources)
    assert re.match(r"\*\*\d+ mentions of “deadlines” in ", found.text)
    assert all(f"[{s.n}]" in found.text for s in found.sources)


def test_a_listed_phrase_needs_all_its_words_and_a_table_of_contents_lists_nothing(
        answer_library):
    doc = find_document(answer_library, "default", str(AAPL))
    chunks = answer_library.catalog.document_chunks(doc.id)
    found = list_mentions(doc, chunks, "legal proceedings")
    assert found.items
    for item in found.items:
        assert re.search(r"legal", item.text, re.I) and re.search(r"proceeding", item.text, re.I)
    toc_pages = {c.page for c in chunks if table_of_contents(c.text)}
    assert toc_pages and not toc_pages & {s.page for s in found.sources}
    # Part II opens four sections on one page: "Item 1. Legal Proceedings" is one of them,
    # not a table of contents, and not Part I's "Item 1."
    assert any(i.section == "Item 1. Legal Proceedings" and "other legal proceedings" in i.text
               for i in found.items)
    none = list_mentions(doc, chunks, "unicorns")
    assert not none.items and none.text.startswith("Nothing in 2022 Q3 AAPL.pdf mentions “unicorns”")


def test_a_markdown_page_is_listed_by_heading(answer_library):
    doc = find_document(answer_library, "default", str(MD_EN))
    found = list_mentions(doc, answer_library.catalog.document_chunks(doc.id), "path operations")
    assert found.items and all(s.page is None for s in found.sources)
    assert all(i.section for i in found.items)  # its heading
    assert not found.paged


def test_chinese_deadlines_are_limits_not_dates_as_of():
    from ingest.store.catalog import ChunkRow

    contract = ("第一章 付款\n甲方应于2024年3月31日前支付首期款。截至2023年12月31日，甲方已支付定金5万元。"
                "\n第二章 交付\n乙方收到通知后30日内完成交付。一年内到期的非流动资产 1,000。"
                "本合同有效期届满前，双方可协商续签。")
    doc = type("Doc", (), {"id": 1, "path": "/docs/合同.pdf"})()
    rows = [ChunkRow(id="c0", doc_id=1, kb_id=1, index=0, page=1, heading=None, start=0,
                     end=len(contract), text=contract)]
    found = list_mentions(doc, rows, "截止日期", "zh")
    assert [i.text for i in found.items] == ["甲方应于2024年3月31日前支付首期款。",
                                             "乙方收到通知后30日内完成交付。"]
    assert [i.section for i in found.items] == ["第一章 付款", "第二章 交付"]
    assert found.text.startswith("**合同.pdf 中提到“截止日期”的地方共 2 处**")


def test_a_list_question_on_a_scoped_chat_reads_the_whole_document(engine):
    scoped = dataclasses.replace(engine, documents=[str(NVDA)])
    t0 = time.perf_counter()
    events = list(scoped.ask("List every deadline in this filing"))
    assert time.perf_counter() - t0 < 10
    done = events[-1]
    assert isinstance(done, AnswerDone) and not done.generated  # no model call
    assert done.answer.startswith("**") and "Notes Due 2060" in done.answer
    assert [e.text for e in events if isinstance(e, TextPiece)] == [done.answer]
    assert done.citations and all(c.source.path == str(NVDA) for c in done.citations)
    assert not any(c.inferred for c in done.citations)
    # two documents in scope: one list each, sources numbered on
    both = dataclasses.replace(engine, documents=[str(AAPL), str(NVDA)])
    done = list(both.ask("列出所有的截止日期"))[-1]
    assert done.answer.count("中提到“截止日期”的地方共") == 2
    assert len({s.n for s in done.sources}) == len(done.sources)
    # without a scope or a named document, the question goes to retrieval as before
    assert engine.documents_to_list("List every deadline") == ("deadline", [])


def test_a_chinese_quarterly_report_is_read_by_its_sections(tmp_path, embedder):
    """A real Chinese filing (22 pages): its 第一节…第四节 lines open the sections, for
    summaries and lists alike."""
    from answer.sections import document_sections
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from tests.conftest import PDF_DIR, require

    path = require(PDF_DIR / "pdfplumber_tests" / "issue-67-example.pdf")
    lib = Library(tmp_path / "store")
    try:
        Ingestor(lib, embedder).run([path], kb_name="default")
        doc = find_document(lib, "default", str(path))
        chunks = lib.catalog.document_chunks(doc.id)
        sections = document_sections(chunks, 10 ** 9, lambda t: 0)
        assert [(s.title, s.pages) for s in sections][1:] == [
            ("第一节 重要提示", "p. 2"), ("第二节 公司基本情况", "pp. 3–5"),
            ("第三节 重要事项", "pp. 6–8"), ("第四节 财务报表", "pp. 9–22")]
        found = list_mentions(doc, chunks, "金额", "zh")
        assert any(i.section == "第三节 重要事项" and "272,727,700元" in i.text
                   for i in found.items)
    finally:
        lib.close()
