"""Reasoning models' thinking, split from their answer as the text streams.

Why: DeepSeek-R1 distills, Qwen3 and other reasoning models write ``<think>…</think>``
before the answer.  The thinking is worth showing (collapsed) but it is not the answer:
left in, it would be cited, checked, sent back to the model as history and searched as
a follow-up.  The model backends deliver every model's thinking the same way -- as a
``<think>`` block at the start of the stream (a remote server's separate
``reasoning_content`` field, and a chat template that opens the block in the prompt, are
turned into one; see :mod:`models.remote` and :mod:`models.local_model`) -- and
:class:`ThinkSplitter` splits it off, piece by piece, with tags that arrive split across
tokens ("<thi", "nk>").
"""

from __future__ import annotations

OPEN, CLOSE = "<think>", "</think>"


def _partial_tail(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that begins ``tag`` (a tag still arriving)."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ThinkSplitter:
    """Feed the streamed text in pieces; get back ("think" | "answer", text) pieces that
    are safe to show.  Only a block at the very start (after white space) is thinking;
    a ``<think>`` later in an answer is text."""

    def __init__(self) -> None:
        self.mode = "start"  # start -> think -> after -> answer, or start -> answer
        self.buffer = ""
        self.thinking = ""
        self.answer = ""

    def feed(self, piece: str) -> list[tuple[str, str]]:
        self.buffer += piece
        out: list[tuple[str, str]] = []
        if self.mode == "start":
            head = self.buffer.lstrip()
            if head.startswith(OPEN):
                self.mode, self.buffer = "think", head[len(OPEN):]
            elif OPEN.startswith(head):
                return out  # white space, or "<thi" still arriving
            else:
                self.mode = "answer"
        if self.mode == "think":
            end = self.buffer.find(CLOSE)
            if end < 0:
                keep = _partial_tail(self.buffer, CLOSE)
                text, self.buffer = self.buffer[:len(self.buffer) - keep], \
                    self.buffer[len(self.buffer) - keep:]
                self._emit(out, "think", text)
                return out
            self._emit(out, "think", self.buffer[:end])
            self.mode, self.buffer = "after", self.buffer[end + len(CLOSE):]
        if self.mode == "after":  # the white space between thinking and answer is dropped
            self.buffer = self.buffer.lstrip()
            if not self.buffer:
                return out
            self.mode = "answer"
        if self.mode == "answer":
            self._emit(out, "answer", self.buffer)
            self.buffer = ""
        return out

    def close(self) -> list[tuple[str, str]]:
        """The rest at the end of the stream (thinking cut off by the length limit stays
        thinking)."""
        out: list[tuple[str, str]] = []
        kind = "think" if self.mode == "think" else "answer"
        text = self.buffer.lstrip() if self.mode in ("start", "after") else self.buffer
        self.buffer = ""
        self._emit(out, kind, text)
        return out

    def _emit(self, out: list, kind: str, text: str) -> None:
        if not text:
            return
        if kind == "think":
            if not self.thinking:
                text = text.lstrip()
            self.thinking += text
        else:
            self.answer += text
        if text:
            out.append((kind, text))


def split_thinking(text: str) -> tuple[str, str]:
    """(thinking, answer) of a whole text."""
    splitter = ThinkSplitter()
    splitter.feed(text)
    splitter.close()
    return splitter.thinking.strip(), splitter.answer
