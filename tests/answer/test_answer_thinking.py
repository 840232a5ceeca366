"""Reasoning models' thinking: split from the answer however the tags arrive, and kept
out of the answer, its citations and checks, the saved history and the chat title --
with the real bundled model behind a chat template that opens a thinking block."""

from __future__ import annotations

import pytest

from answer.thinking import ThinkSplitter, split_thinking

STREAM = "  <think>The sources say M2.\nSo: M2.</think>\n\nThe M2 chip [1]."


def _run(pieces: list[str]) -> tuple[str, str, list]:
    s = ThinkSplitter()
    out = [p for piece in pieces for p in s.feed(piece)] + s.close()
    return s.thinking, s.answer, out


@pytest.mark.parametrize("cut", range(1, len(STREAM)))
def test_thinking_is_split_off_wherever_a_piece_ends(cut):
    thinking, answer, out = _run([STREAM[:cut], STREAM[cut:]])
    assert thinking == "The sources say M2.\nSo: M2."
    assert answer == "The M2 chip [1]."
    assert "".join(t for k, t in out if k == "answer") == answer
    assert all("<" not in t or k == "answer" and "<" not in t for k, t in out)


def test_one_character_at_a_time_and_other_forms():
    assert _run(list(STREAM))[:2] == ("The sources say M2.\nSo: M2.", "The M2 chip [1].")
    # no thinking: everything is the answer, an opening "<" included
    assert _run(["<b>Bold</b> answer"])[:2] == ("", "<b>Bold</b> answer")
    # a <think> after the answer began is text
    assert _run(["Answer <think>x</think>"])[:2] == ("", "Answer <think>x</think>")
    # thinking cut off by the length limit stays thinking
    assert _run(["<think>still thinking"])[:2] == ("still thinking", "")
    assert split_thinking("<think>a</think>b") == ("a", "b")


THINKING_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n<think>\n{% endif %}")


@pytest.fixture(scope="module")
def thinking_engine(answer_retriever, tmp_path_factory):
    """The bundled model with a template that opens a thinking block (as DeepSeek-R1
    distills' templates do), so whatever it writes first is thinking."""
    from answer.engine import AnswerEngine
    from models.bundled import ensure_chat_model
    from models.model_manager import ModelManager
    from tests.models.conftest import add_string_metadata

    base = ensure_chat_model(tmp_path_factory.getbasetemp() / "wenji-model-cache" / "models")
    path = tmp_path_factory.mktemp("thinking") / "gemma-thinking.gguf"
    add_string_metadata(base, path, {"tokenizer.chat_template": THINKING_TEMPLATE})
    manager = ModelManager(threads=2)
    manager.load(path, context_length=2048, seed=1234)
    yield AnswerEngine(answer_retriever, manager, kb_name="default", top_k=3,
                       max_answer_tokens=12, thinking_tokens=12, max_context_tokens=300,
                       sampling={"temperature": 0.0})
    manager.unload()


@pytest.mark.slow
def test_thinking_stays_out_of_the_answer_history_and_title(thinking_engine, tmp_path):
    from answer.chats import ChatStore
    from answer.conversation import Conversation
    from answer.engine import AnswerDone, TextPiece, ThinkingPiece

    from tests.answer.conftest import M2_QUESTION

    assert thinking_engine._reasons()
    with ChatStore(tmp_path / "chats.sqlite") as chats:
        conversation = Conversation(chats)
        events = list(conversation.ask(M2_QUESTION, "default").stream(thinking_engine))
        thoughts = [e.text for e in events if isinstance(e, ThinkingPiece)]
        done = events[-1]
        assert isinstance(done, AnswerDone) and done.generated
        assert thoughts and len(thoughts) >= 2, "the thinking streams in pieces"
        assert done.thinking == "".join(thoughts).strip()
        shown = "".join(e.text for e in events if isinstance(e, TextPiece))
        assert done.thinking not in done.answer and "<think>" not in shown + done.answer
        # neither the citations nor the checks look at the thinking
        for c in done.citations:
            assert c.sentence in done.answer
        for f in done.check.figures:
            assert done.answer[f.start:f.end] == f.text
        # saved apart, never sent back as history, not the chat's title
        chat = conversation.chat
        message = chats.messages(chat.id)[-1]
        assert message.meta["thinking"] == done.thinking
        assert all(done.thinking not in h["content"] for h in chats.history(chat.id))
        title = chats.get(chat.id).title
        assert title and M2_QUESTION.startswith(title.rstrip("…"))
        assert done.thinking not in chats.export_markdown(chat.id)
