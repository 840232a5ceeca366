"""Source fitting by the bundled model's real token counts: as many sources as the
window holds, a first source cut rather than none, and a clear error when nothing fits."""

from __future__ import annotations

import pytest

from tests.answer.conftest import M2_QUESTION


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
    from models.generator import GenerationError

    with pytest.raises(GenerationError, match="does not fit"):
        replace(engine, max_answer_tokens=model.n_ctx).fit_sources(M2_QUESTION, "en", [],
                                                                    sources)


def test_a_widened_passage_gives_up_its_neighbouring_text_before_it_is_dropped(
        engine, chat_manager):
    """Passages come with the chunks around them; when the whole of one does not fit,
    the text that matched is sent, and the M2 sentence is still in the first source."""
    from dataclasses import replace

    sources, _ = engine.find_sources(M2_QUESTION, "en")
    widened = [s for s in sources if s.focused() is not None]
    assert widened, "the passages carry their neighbouring chunks"
    first = sources[0]
    core = first.focused() or first
    assert "M2" in core.text and core.text in first.text
    budget = chat_manager.model.count_tokens(core.text) + 40
    assert chat_manager.model.count_tokens(first.text) > budget or first.focused() is None
    used, _, _ = replace(engine, max_context_tokens=budget).fit_sources(
        M2_QUESTION, "en", [], sources)
    assert used[0].text == core.text and "M2" in used[0].text
    assert (used[0].start, used[0].end) == (core.start, core.end)
