"""A saved conversation: the one way a question is put to the engine and kept.

The terminal (``wenji ask``) and the window's chat do the same thing with a question:
start a chat or continue a saved one, give the engine the earlier turns, stream the
answer, and save it with its sources -- an answer that was stopped is saved too, marked
as stopped.  Both go through :class:`Conversation`, so a chat started in one reads the
same in the other.

    conversation = Conversation(chats)                 # or Conversation.resume(chats, id)
    exchange = conversation.ask("What were net sales?", kb_name="default")
    for event in exchange.stream(engine, cancel):      # Retrieved, TextPieces, AnswerDone
        ...

Why two steps: the question is saved at once (on the caller's thread, where a failure
can leave it in the question box), while the answer is slow and is streamed wherever
the caller likes -- the window does it on a worker thread.  An exchange saves its answer
to the chat it was asked in, even if the caller has moved on to another chat meanwhile.
"""

from __future__ import annotations

import threading
from typing import Iterator

from answer.chats import Chat, ChatStore
from answer.engine import AnswerDone, AnswerEngine, AnswerEvent

DEFAULT_KB = "default"


class Conversation:
    """One chat of a :class:`answer.chats.ChatStore`; ``chat`` is None until the first
    question creates it."""

    def __init__(self, chats: ChatStore, chat: Chat | None = None):
        self.chats = chats
        self.chat = chat

    @classmethod
    def resume(cls, chats: ChatStore, chat_id: int) -> "Conversation":
        """Continue a saved chat; raises :class:`answer.chats.ChatError` if there is none
        with this id."""
        return cls(chats, chats.get(chat_id))

    @property
    def chat_id(self) -> int | None:
        return self.chat.id if self.chat is not None else None

    def ask(self, question: str, kb_name: str | None = None) -> "Exchange":
        """Save ``question`` (the first one creates the chat, in ``kb_name``, and names
        it) and return the exchange that answers it with the turns before it."""
        history = self.chats.history(self.chat.id) if self.chat is not None else []
        if self.chat is None:
            self.chat = self.chats.create(kb=kb_name or DEFAULT_KB)
        self.chats.add_message(self.chat.id, "user", question)
        return Exchange(self.chats, self.chat.id, question, history, kb_name)


class Exchange:
    """A saved question waiting for its answer."""

    def __init__(self, chats: ChatStore, chat_id: int, question: str, history: list[dict],
                 kb_name: str | None):
        self.chats, self.chat_id = chats, chat_id
        self.question, self.history, self.kb_name = question, history, kb_name

    def stream(self, engine: AnswerEngine, cancel: threading.Event | None = None
               ) -> Iterator[AnswerEvent]:
        """The engine's events for the question; the answer is saved before its
        :class:`answer.engine.AnswerDone` is passed on, so whoever sees that event finds
        it in the store.  Setting ``cancel`` stops the answer; what was written so far is
        saved as stopped (``cancelled`` in its meta)."""
        for event in engine.ask(self.question, self.history, cancel, kb_name=self.kb_name):
            if isinstance(event, AnswerDone):
                self.chats.add_answer(self.chat_id, event)
            yield event
