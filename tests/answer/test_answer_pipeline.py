"""The answer engine with the real bundled model, embedder and Chroma on SEC 10-Q PDFs
and FastAPI docs: streaming, citations to the right page, the prompt, cancel, and the
loaded model's saved answer length and system prompt."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from answer.engine import AnswerDone, Retrieved, TextPiece
from answer.prompts import OPENER, system_message

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
    assert done.stats.generated_tokens >= 2
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


def test_prompt_language_follows_the_question(engine, answer_retriever):
    from answer.history import Turn

    sources, _ = engine.find_sources("FastAPI 应用", "zh")
    msgs = engine._messages("如何运行 FastAPI 应用？", "zh", [Turn("user", "hi")], sources[:1])
    assert msgs[0]["content"] == system_message("zh")
    assert "问题：" in msgs[-1]["content"] and "[1]" in msgs[-1]["content"]
    msgs = engine._messages("How do I run it?", "en", [], sources[:1])
    assert msgs[0]["content"] == system_message("en") and "Question:" in msgs[-1]["content"]


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

    from answer.prompts import QUOTE_NOTE

    events = list(replace(engine, max_answer_tokens=1, document_first=False).ask(M2_QUESTION))
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
    plain = _done(list(replace(engine, max_answer_tokens=1, quote_when_uncited=False,
                               document_first=False).ask(M2_QUESTION)))
    assert not plain.quoted and plain.citations == [] and "M2" not in plain.answer


def test_a_base_models_answer_starts_with_the_documents_own_sentences(m2_events):
    """The bundled model has no chat template: the reader first gets the source sentences
    closest to the question, verbatim with their numbers, then the model's attempt."""
    from answer.prompts import DOCUMENT_FIRST, MODEL_ATTEMPT

    done = _done(m2_events)
    pieces = [e.text for e in m2_events if isinstance(e, TextPiece)]
    assert pieces[0].startswith(DOCUMENT_FIRST["en"]) and MODEL_ATTEMPT["en"] in pieces[0]
    lead, _, attempt = done.answer.partition(MODEL_ATTEMPT["en"])
    first = done.citations[0]
    assert first.quoted and Path(first.source.path).name == "2022 Q3 AAPL.pdf"
    assert first.source.page == M2_PAGE and "M2" in first.sentence
    assert f"“{first.sentence}” [{first.n}]" in lead
    assert first.sentence.rstrip("…") in " ".join(first.source.text.split())
    # the checks look at the model's attempt only, where it stands in the whole answer
    for f in done.check.figures:
        assert done.answer[f.start:f.end] == f.text and f.start >= len(lead)


# --- the loaded model's saved settings -------------------------------------------------

SAVED_MAX_TOKENS = 5
SAVED_SYSTEM_PROMPT = "You work for the finance team of a small company."


@pytest.fixture(scope="module")
def saved_settings_answer(tmp_path_factory, chat_manager, answer_retriever):
    """The bundled model loaded by name from a registry whose model_settings.json gives it
    a short answer length and a system prompt of its own (the way the app loads a model),
    the engine built the way the app builds it, and one answer."""
    from answer.engine import AnswerEngine
    from models.model_manager import ModelManager
    from models.registry import GenerationSettings, Registry

    folder = tmp_path_factory.mktemp("saved-settings") / "models"
    folder.mkdir()
    gguf = chat_manager.loaded.path
    (folder / gguf.name).symlink_to(gguf)
    registry = Registry(folder)
    registry.save_model_settings(gguf.name, GenerationSettings(
        context_length=2048, temperature=0.0, max_tokens=SAVED_MAX_TOKENS,
        system_prompt=SAVED_SYSTEM_PROMPT))
    manager = ModelManager(registry, threads=2)
    manager.load(gguf.name, seed=1234)
    try:
        engine = AnswerEngine.for_loaded_model(answer_retriever, manager, kb_name="default",
                                               top_k=4, max_context_tokens=450)
        done = engine.answer(M2_QUESTION)
        # what llama.cpp evaluated: the prompt's tokens are the first ones in its cache
        llm = manager.model.llm
        prompt = llm._input_ids[:done.stats.prompt_tokens].tolist()
        received = llm.detokenize(prompt).decode("utf-8", errors="replace")
        yield engine, done, received
    finally:
        manager.unload()


def test_the_models_saved_max_tokens_is_the_answer_length(saved_settings_answer):
    engine, done, _ = saved_settings_answer
    assert engine.max_answer_tokens == SAVED_MAX_TOKENS
    assert done.generated and done.grounded
    assert 1 <= done.stats.generated_tokens <= SAVED_MAX_TOKENS


def test_the_models_saved_system_prompt_reaches_the_model(saved_settings_answer):
    from answer.prompts import INSTRUCTIONS, SOURCE_RULES

    _, done, received = saved_settings_answer
    assert done.prompt_tokens == done.stats.prompt_tokens
    assert SAVED_SYSTEM_PROMPT in received
    # it replaces Wenji's default instructions; the source and citation rules stay
    assert INSTRUCTIONS["en"] not in received
    assert SOURCE_RULES["en"] in received and "Question: " + M2_QUESTION in received


def test_an_explicit_answer_length_wins_over_the_saved_one(saved_settings_answer, engine):
    from answer.engine import AnswerEngine

    saved, _, _ = saved_settings_answer
    chosen = AnswerEngine.for_loaded_model(saved.retriever, saved.models, max_answer_tokens=16)
    assert (chosen.max_answer_tokens, chosen.system_prompt) == (16, SAVED_SYSTEM_PROMPT)
    # without saved settings (a model loaded by path, no registry): Wenji's defaults
    plain = AnswerEngine.for_loaded_model(engine.retriever, engine.models)
    assert plain.system_prompt == "" and plain.max_answer_tokens == AnswerEngine.max_answer_tokens


def test_background_work_yields_while_an_answer_is_written(engine):
    """From retrieval to the last token the answer holds the cores (models.cpu_share)."""
    from models import cpu_share

    assert not cpu_share.answering()
    gen = engine.ask(M2_QUESTION)
    first = next(gen)
    assert isinstance(first, Retrieved) and cpu_share.answering()
    gen.close()
    assert not cpu_share.answering()
