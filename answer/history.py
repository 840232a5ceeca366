"""The earlier turns of a conversation, in the one shape the answer pipeline reads.

Why a module of its own: callers hand the engine their history as dicts (the CLI, from
the chat store), as saved message objects (the GUI) or as :class:`Turn`\\ s (tests), and
both follow-up detection and the prompt read it; normalising it once here keeps those
two from each guessing at the shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str


def as_turns(history: Sequence) -> list[Turn]:
    """``history`` as :class:`Turn`\\ s, oldest first; other roles and empty turns
    are dropped (they say nothing the model or the retriever could use)."""
    out = []
    for h in history or ():
        if isinstance(h, Turn):
            out.append(h)
        elif isinstance(h, dict):
            out.append(Turn(h.get("role", "user"), str(h.get("content", ""))))
        else:
            out.append(Turn(getattr(h, "role", "user"), str(getattr(h, "content", ""))))
    return [t for t in out if t.role in ("user", "assistant") and t.content.strip()]


# An answer copies an earlier one when, without white space and source numbers, its
# text is the start of that earlier answer and at least this long ...
MIN_COPY_CHARS = 12
_NOISE = re.compile(r"[\s\[\]【】\d,，、;]+")


def _plain(text: str) -> str:
    return _NOISE.sub("", text).lower()


def copies_earlier(text: str, earlier: Sequence[str], finished: bool = False) -> bool:
    """Whether ``text`` (an answer being written) is so far a copy of the start of one
    of the ``earlier`` answers -- a small model given the previous turn in its prompt
    writes it out again for a new question.  While writing (``finished`` False) a
    short start counts, so it can be held back; a finished answer must be at least
    :data:`MIN_COPY_CHARS` long and most of the earlier one."""
    mine = _plain(text)
    if not mine:
        return not finished
    for answer in earlier:
        theirs = _plain(answer)
        if not theirs.startswith(mine):
            continue
        if not finished or (len(mine) >= MIN_COPY_CHARS and len(mine) >= 0.8 * len(theirs)):
            return True
    return False
