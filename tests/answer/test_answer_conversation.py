"""Conversations with the real bundled model, embedder and Chroma: the question is saved
first, the answer is streamed and saved with its sources, a saved chat is continued with
its earlier turns, and a stopped answer is saved as stopped."""

from __future__ import annotations

import threading

import pytest

from answer.chats import ChatError, ChatStore
from answer.conversation import Conversation
from answer.engine import AnswerDone, Retrieved, TextPiece
from tests.answer.conftest import M2_PAGE, M2_QUESTION

FOLLOW_UP = "And what about the MacBook Pro?"


@pytest.fixture
def chats(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite3")
    yield store
    store.close()


def test_the_first_question_creates_the_chat_and_the_answer_is_saved(chats, engine):
    conversation = Conversation(chats)
    assert conversation.chat_id is None
    exchange = conversation.ask(M2_QUESTION, kb_name="default")
    chat = chats.get(conversation.chat_id)
    assert chat.kb == "default"
    assert chat.title == M2_QUESTION[:59] + "…"  # the first question names it
    assert [m.role for m in chats.messages(chat.id)] == ["user"]  # saved before answering
    assert exchange.history == []

    events = []
    for event in exchange.stream(engine):
        if isinstance(event, AnswerDone):  # saved before it is passed on
            assert [m.role for m in chats.messages(chat.id)] == ["user", "assistant"]
        events.append(event)
    assert isinstance(events[0], Retrieved)
    assert any(isinstance(e, TextPiece) for e in events)
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.grounded and not done.cancelled
    question, answer = chats.messages(chat.id)
    assert question.content == M2_QUESTION
    assert answer.content == done.answer and not answer.meta["cancelled"]
    assert answer.sources == [s.to_dict() for s in done.sources]
    assert answer.citations == [c.to_dict() for c in done.citations]
    assert any(s["page"] == M2_PAGE for s in answer.sources)
    assert chats.get(chat.id).model == done.model != ""


def test_a_resumed_chat_gives_the_engine_its_earlier_turns(chats, engine, m2_events):
    first = chats.create(kb="default")
    chats.add_message(first.id, "user", M2_QUESTION)
    chats.add_answer(first.id, m2_events[-1])

    conversation = Conversation.resume(chats, first.id)
    exchange = conversation.ask(FOLLOW_UP, kb_name="default")
    assert exchange.history == [{"role": "user", "content": M2_QUESTION},
                                {"role": "assistant", "content": m2_events[-1].answer}]
    events = list(exchange.stream(engine))
    # a follow-up is searched together with the question before it
    assert events[0].retrieval_query == f"{M2_QUESTION} {FOLLOW_UP}"
    assert [m.content for m in chats.messages(first.id)] == [
        M2_QUESTION, m2_events[-1].answer, FOLLOW_UP, events[-1].answer]


def test_a_stopped_answer_is_saved_as_stopped(chats, engine):
    cancel = threading.Event()
    exchange = Conversation(chats).ask(M2_QUESTION)
    for event in exchange.stream(engine, cancel):
        if isinstance(event, TextPiece):
            cancel.set()  # as the window's Esc or the terminal's Ctrl+C do
    done = event
    assert isinstance(done, AnswerDone) and done.cancelled
    saved = chats.messages(exchange.chat_id)[-1]
    assert saved.role == "assistant" and saved.meta["cancelled"]
    assert saved.content == done.answer


def test_an_answer_goes_to_the_chat_it_was_asked_in(chats, engine):
    """The window may show another chat while an answer is written: it is saved where its
    question is."""
    first = Conversation(chats)
    exchange = first.ask("Who won the 2018 World Cup?")  # not in the documents: no model call
    second = Conversation(chats)
    second.ask("Another question")
    done = list(exchange.stream(engine))[-1]
    assert not done.grounded
    assert [m.role for m in chats.messages(first.chat_id)] == ["user", "assistant"]
    assert [m.role for m in chats.messages(second.chat_id)] == ["user"]
    assert chats.messages(first.chat_id)[-1].meta["grounded"] is False


def test_resuming_an_unknown_chat_is_a_clear_error(chats):
    with pytest.raises(ChatError, match="no chat with id 42"):
        Conversation.resume(chats, 42)
