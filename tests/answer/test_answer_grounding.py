"""The grounding gate: the rarest-word rule, and with the real embedder, Chroma and
bundled model, off-topic questions answered "not in your documents" without calling the
model while on-topic ones in both languages are grounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from answer.engine import AnswerDone, Retrieved, TextPiece
from answer.grounding import RARE_TERM_COVERAGE, GroundingGate, rarest_chinese_term
from answer.prompts import NO_ANSWER


def test_the_rarest_chinese_term_is_a_word_not_a_character():
    w = {"当惹雍错": 5.0, "又": 1.0, "叫": 2.0}
    assert rarest_chinese_term(set(w), w) == "当惹雍错"
    assert rarest_chinese_term({"叫", "又"}, {"叫": 2.0, "又": 1.0}) == ""
    assert rarest_chinese_term({"fastapi", "运行"}, {"fastapi": 3.0, "运行": 1.0}) == ""
    assert rarest_chinese_term(set(w), None) == ""


def test_the_gate_admits_by_coverage_by_the_rarest_word_or_by_a_trusted_embedding():
    w = {"当惹雍错": 5.0, "又": 1.0, "叫": 2.0}
    gate = GroundingGate(set(w), w, dense_trust=0.0)
    assert gate.rare == "当惹雍错"
    assert gate.admits("无关的段落", gate.min_coverage, None)
    assert not gate.admits("无关的段落", RARE_TERM_COVERAGE, None)
    # the rarest word as written lowers the bar, not below RARE_TERM_COVERAGE
    assert gate.admits("当惹雍错又名", RARE_TERM_COVERAGE, None)
    assert not gate.admits("当惹雍错又名", RARE_TERM_COVERAGE - 0.01, None)
    # embedding similarity counts only where the embedding lane is trusted
    assert not gate.admits("x", 0.0, 0.1)
    trusted = GroundingGate({"chip"}, None, dense_trust=1.0)
    assert trusted.admits("x", 0.0, 0.4) and not trusted.admits("x", 0.0, 0.5)
    assert not trusted.admits("x", 0.0, None)


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
    done = events[-1]
    assert isinstance(done, AnswerDone)
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
