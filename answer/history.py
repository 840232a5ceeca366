"""The earlier turns of a conversation, in the one shape the answer pipeline reads.

Why a module of its own: callers hand the engine their history as dicts (the CLI, from
the chat store), as saved message objects (the GUI) or as :class:`Turn`\\ s (tests), and
both follow-up detection and the prompt read it; normalising it once here keeps those
two from each guessing at the shape.
"""

from __future__ import annotations

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
