"""Answer checks against real sources retrieved from a real 10-Q: invalid references,
figures found on the right page or found nowhere, sentence support; the Markdown export
and the terminal's marks; and the checks of a real answer of the bundled model."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from answer.checks import AnswerCheck, check_answer, marked_text, summary
from answer.citations import Source, resolve_citations

from tests.answer.conftest import AAPL

QUESTION = "What were Apple's total net sales for the quarter?"


@pytest.fixture(scope="module")
def sales_sources(engine) -> list[Source]:
    sources, grounded = engine.find_sources(QUESTION, "en")
    assert grounded and sources
    return sources


def _page_text(path: Path, page: int) -> str:
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return pdf[page - 1].get_textpage().get_text_range()
    finally:
        pdf.close()


def test_a_made_up_figure_and_reference_are_marked_and_a_real_one_is_found_on_its_page(
        sales_sources):
    table = next(s for s in sales_sources if "82,959" in s.text)
    n = table.n
    bad = max(s.n for s in sales_sources) + 1
    answer = (f"According to source [{bad}], Apple's total net sales for the quarter were "
              f"$12.3 billion. Total net sales were $83.0 billion [{n}].")
    citations = resolve_citations(answer, sales_sources, [QUESTION])
    check = check_answer(answer, sales_sources, citations, [QUESTION])

    assert [r.n for r in check.invalid_refs] == [bad]
    assert answer[check.invalid_refs[0].start:check.invalid_refs[0].end] == f"[{bad}]"
    assert bad not in {c.n for c in citations}

    missing, found = check.figures
    assert (missing.text, missing.found) == ("$12.3 billion", False)
    assert (found.text, found.found, found.n, found.where) == ("$83.0 billion", True, n, "cited")
    assert "82,959" in found.source_text
    assert table.text[found.source_start:found.source_end] == found.source_text
    # the passage is on the page the link opens
    assert Path(table.path).name == AAPL.name
    assert "82,959" in _page_text(AAPL, table.page)

    plain = marked_text(answer, check)
    assert f"[{bad}?]" in plain and "$12.3 billion (not in the sources)" in plain
    assert "$83.0 billion [" in plain  # a figure that was found is left as written
    line = summary(check)
    assert "1 of 2 figures" in line and "$12.3 billion" in line and f"[{bad}]" in line
    assert AnswerCheck.from_dict(check.to_dict()) == check


def test_sentences_are_supported_partly_or_not_at_all(sales_sources):
    table = next(s for s in sales_sources if "82,959" in s.text)
    answer = (f"Total net sales were $83.0 billion [{table.n}]. "
              "The company also launched a lunar colony on Mars.")
    check = check_answer(answer, sales_sources, resolve_citations(answer, sales_sources,
                                                                   [QUESTION]), [QUESTION])
    assert [s.support for s in check.sentences] == ["supported", "unsupported"]
    assert check.sentences[0].n == table.n


def test_the_export_and_the_terminal_never_show_an_invalid_reference_as_a_citation(
        wenji_home, sales_sources, capsys):
    from answer.chats import ChatStore
    from answer.engine import AnswerDone
    from app.cli import main

    answer = "Net sales were $12.3 billion [9]."
    check = check_answer(answer, sales_sources[:2])
    done = AnswerDone(QUESTION, answer, [], sales_sources[:2], True, "en", QUESTION,
                      generated=True, check=check)
    with ChatStore(wenji_home / "chats.sqlite3") as chats:
        chat = chats.create(kb="default")
        chats.add_message(chat.id, "user", QUESTION)
        chats.add_answer(chat.id, done)
        text = chats.export_markdown(chat.id)
    assert "~~[9]~~ *(no source 9)*" in text
    assert "**$12.3 billion** ⚠ *(not in the sources)*" in text
    assert "Checks: 0 of 1 figures found" in text
    # wenji chats show: the same marks, as plain text
    assert main(["chats", "show", str(chat.id)]) == 0
    shown = capsys.readouterr().out
    assert "A: Net sales were $12.3 billion (not in the sources) [9?]." in shown
    assert "Checks: 0 of 1 figures found in the sources; not in the sources: $12.3 billion; " \
           "no such source: [9]" in shown


def test_a_real_answer_is_checked_where_it_stands(m2_events):
    done = m2_events[-1]
    assert done.generated and done.answer
    known = {s.n for s in done.sources}
    for r in done.check.invalid_refs:
        assert r.n not in known
    for f in done.check.figures:
        assert done.answer[f.start:f.end] == f.text
        if f.found:
            assert f.n in known
    for s in done.check.sentences:
        assert s.support in ("supported", "partly", "unsupported")
        assert 0 <= s.start < s.end <= len(done.answer)
    # the M2 answer comes from the page of the M2 chip, so some sentence is supported
    assert any(s.support != "unsupported" for s in done.check.sentences), done.answer
