"""The answer pipeline with the real bundled model, embedder and Chroma on SEC 10-Q PDFs
and FastAPI docs: streaming, citations to the right page, "not in your documents",
follow-ups, context fitting and cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from models.answer import AnswerDone, Retrieved, TextPiece, is_follow_up, retrieval_query
from models.prompts import NO_ANSWER, OPENER, SYSTEM

from tests.answer.conftest import M2_PAGE, M2_QUESTION


def _done(events) -> AnswerDone:
    assert isinstance(events[-1], AnswerDone)
    return events[-1]


def test_answer_streams_text_then_citations(m2_events, chat_manager):
    assert isinstance(m2_events[0], Retrieved) and m2_events[0].grounded
    pieces = [e for e in m2_events if isinstance(e, TextPiece)]
    assert len(pieces) >= 2, "the answer should arrive in several pieces"
    done = _done(m2_events)
    assert done.generated and not done.cancelled and done.grounded
    assert done.answer == "".join(p.text for p in pieces).strip()
    # English answers have no opener (the bundled model copied the worked example after it)
    assert not done.answer.startswith(OPENER["en"])
    assert chat_manager.last_stats.generated_tokens >= 2
    # the prompt measured with the model's tokenizer leaves room for the answer
    assert done.prompt_tokens + 40 <= chat_manager.loaded.n_ctx


def test_citation_points_to_the_right_page_of_the_right_pdf(m2_events):
    done = _done(m2_events)
    assert done.citations, f"no citation for answer {done.answer!r}"
    first = done.citations[0].source
    assert Path(first.path).name == "2022 Q3 AAPL.pdf"
    assert first.page == M2_PAGE
    assert "M2" in first.text
    assert 0 <= first.start < first.end
    assert any(s.page == M2_PAGE for s in m2_events[0].sources)


@pytest.mark.parametrize("question, lang", [
    ("What is the recipe for a chocolate cake?", "en"),
    ("如何制作巧克力蛋糕？", "zh"),
    ("Who won the 2018 World Cup?", "en"),
    ("珠穆朗玛峰有多高？", "zh"),
])
def test_off_topic_question_gets_the_fixed_message_without_generation(engine, chat_manager,
                                                                      question, lang):
    before = chat_manager.model.last_stats  # a new object for every generation
    events = list(engine.ask(question))
    done = _done(events)
    assert not done.grounded and not done.generated
    assert done.answer == NO_ANSWER[lang]
    assert [e.text for e in events if isinstance(e, TextPiece)] == [NO_ANSWER[lang]]
    assert done.language == lang
    assert 1 <= len(done.sources) <= 3, "the closest passages are shown"
    assert all(s.text for s in done.sources)
    assert done.citations == []
    assert chat_manager.model.last_stats is before, "the model must not be called"


def test_on_topic_questions_are_grounded_in_both_languages(engine):
    for question, lang, name in (("How do I create a FastAPI app?", "en", "first-steps.md"),
                                 ("如何运行 FastAPI 应用？", "zh", "first-steps.md")):
        gen = engine.ask(question)
        first = next(gen)
        gen.close()  # stop before generation: only retrieval is checked here
        assert isinstance(first, Retrieved)
        assert first.grounded, question
        assert first.language == lang
        assert Path(first.sources[0].path).name == name
    zh_path = first.sources[0].path
    assert "/zh/" in zh_path, "the Chinese question should find the Chinese page"


def test_prompt_language_follows_the_question(engine, answer_retriever):
    from models.answer import Turn

    sources, _ = engine.find_sources("FastAPI 应用", "zh")
    msgs = engine._messages("如何运行 FastAPI 应用？", "zh", [Turn("user", "hi")], sources[:1])
    assert msgs[0]["content"] == SYSTEM["zh"]
    assert "问题：" in msgs[-1]["content"] and "[1]" in msgs[-1]["content"]
    msgs = engine._messages("How do I run it?", "en", [], sources[:1])
    assert msgs[0]["content"] == SYSTEM["en"] and "Question:" in msgs[-1]["content"]


def test_best_source_last_lists_the_sources_from_last_to_first(engine):
    from dataclasses import replace

    sources, _ = engine.find_sources(M2_QUESTION, "en")
    assert len(sources) >= 2
    text = engine._messages(M2_QUESTION, "en", [], sources[:2])[-1]["content"]
    assert text.index("[1] ") < text.index("[2] ")
    text = replace(engine, best_source_last=True)._messages(
        M2_QUESTION, "en", [], sources[:2])[-1]["content"]
    assert text.index("[2] ") < text.index("[1] ") < text.index("Question:")
    # by default only Chinese questions get the best source last (measured on CMRC 2018)
    zh = engine._messages("苹果公司发布了哪款芯片？", "zh", [], sources[:2])[-1]["content"]
    assert zh.index("[2] ") < zh.index("[1] ") < zh.index("问题：")
    zh = replace(engine, best_source_last=False)._messages(
        "苹果公司发布了哪款芯片？", "zh", [], sources[:2])[-1]["content"]
    assert zh.index("[1] ") < zh.index("[2] ")


def test_follow_up_retrieves_with_the_earlier_turn(engine):
    first_q = "What was Apple's total net sales in the third quarter of 2022?"
    history = [{"role": "user", "content": first_q},
               {"role": "assistant", "content": "Apple's total net sales were $82,959 million [1]."}]
    alone = next(engine.ask("What about 2023?"))
    gen = engine.ask("What about 2023?", history)
    follow = next(gen)
    gen.close()
    assert follow.retrieval_query.startswith(first_q)
    assert follow.retrieval_query.endswith("What about 2023?")
    assert alone.retrieval_query == "What about 2023?"
    # alone, "2023" finds the NVIDIA 2023 report; after the Apple question, Apple's
    assert Path(alone.sources[0].path).name == "2023 Q1 NVDA.pdf"
    assert Path(follow.sources[0].path).name == "2022 Q3 AAPL.pdf"


def test_follow_up_detection():
    assert is_follow_up("What about 2023?")
    assert is_follow_up("那么2023年呢？")
    assert is_follow_up("Why did it grow?")
    assert is_follow_up("How did that change in the third quarter?")
    assert not is_follow_up("Which chip powers the MacBook Air that Apple announced at "
                            "its developer conference in June?")
    assert not is_follow_up("其他国家的半导体公司在第三季度的营业收入分别是多少？")
    assert not is_follow_up("What was NVIDIA's data center revenue in fiscal 2023 first quarter?")
    h = [{"role": "user", "content": "Apple revenue 2022"}, {"role": "assistant", "content": "x"}]
    assert retrieval_query("What was NVIDIA's gaming revenue last quarter?", h) == \
        "What was NVIDIA's gaming revenue last quarter?"


def test_sources_fit_the_window_by_real_token_counts(engine, chat_manager):
    model = chat_manager.model
    sources, grounded = engine.find_sources(M2_QUESTION, "en")
    assert grounded and len(sources) >= 2
    used, _, total = engine.fit_sources(M2_QUESTION, "en", [], sources)
    msgs = engine._messages(M2_QUESTION, "en", [], used)
    request = engine._request(msgs, "en")
    # base model: no template; English prompts end with the answer label (no opener)
    assert isinstance(request, str) and request.endswith("Answer:")
    assert total == len(model.prompt_tokens(request)[0])
    assert total <= model.n_ctx - engine.max_answer_tokens
    assert [s.n for s in used] == list(range(1, len(used) + 1))
    # a tiny budget cuts the first source instead of sending no context
    from dataclasses import replace

    small = replace(engine, max_context_tokens=60)
    used, _, total_small = small.fit_sources(M2_QUESTION, "en", [], sources)
    assert len(used) == 1 and 0 < len(used[0].text) < len(sources[0].text)
    assert used[0].end == used[0].start + len(used[0].text)
    assert model.count_tokens(used[0].text) <= 60
    # a window too small for any answer room is a clear error, not a silent overflow
    from models.llm import GenerationError

    with pytest.raises(GenerationError, match="does not fit"):
        replace(engine, max_answer_tokens=model.n_ctx).fit_sources(M2_QUESTION, "en", [],
                                                                    sources)


def test_cancel_passes_through_to_generation(engine, chat_manager):
    cancel = threading.Event()
    pieces = []
    done = None
    for event in engine.ask(M2_QUESTION, cancel_event=cancel):
        if isinstance(event, TextPiece):
            pieces.append(event.text)
            cancel.set()
        elif isinstance(event, AnswerDone):
            done = event
    assert done is not None and done.cancelled
    assert len(pieces) <= 3
    assert chat_manager.last_stats.stop_reason == "cancelled"
    # stopped long before the 40-token limit (a few tokens may be in flight)
    assert chat_manager.last_stats.generated_tokens <= 8


def test_unknown_knowledge_base_is_a_clear_error(engine):
    from retrieval.retriever import RetrievalError

    with pytest.raises(RetrievalError, match="no knowledge base named 'nope'"):
        list(engine.ask("anything", kb_name="nope"))


def test_an_answer_citing_nothing_is_followed_by_the_closest_source_sentence(engine):
    """One generated token ("The", "Apple" ...) supports nothing: the reader gets the
    sentence of the sources closest to the question, quoted with its number."""
    from dataclasses import replace

    from models.prompts import QUOTE_NOTE

    events = list(replace(engine, max_answer_tokens=1).ask(M2_QUESTION))
    done = _done(events)
    assert done.generated and done.quoted
    assert done.answer == "".join(e.text for e in events if isinstance(e, TextPiece)).strip()
    (quote,) = done.citations
    assert quote.quoted and not quote.inferred
    assert Path(quote.source.path).name == "2022 Q3 AAPL.pdf" and quote.source.page == M2_PAGE
    # verbatim, the PDF's line breaks inside the sentence joined
    assert "M2" in quote.sentence
    assert quote.sentence.rstrip("…") in " ".join(quote.source.text.split())
    assert done.answer.endswith(QUOTE_NOTE["en"].format(quote=quote.sentence, n=quote.n).strip())
    plain = _done(list(replace(engine, max_answer_tokens=1, quote_when_uncited=False)
                       .ask(M2_QUESTION)))
    assert not plain.quoted and plain.citations == [] and "M2" not in plain.answer
