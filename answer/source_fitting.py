"""Source fitting: as many of the best sources as the model's context window holds.

Why real token counts: the prompt is measured with the loaded model's own tokenizer
and chat template, not estimated from characters, whose ratio to tokens differs widely
between English, Chinese and number-heavy filings.  Sources are added in rank
order while the prompt still leaves the answer its tokens; earlier turns give way
first, and a first source too long for the window is cut rather than sending no
context at all.  The question itself is never cut: if it does not fit, that is an error
the user can act on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from answer.citations import Source
from answer.history import Turn
from answer.prompts import source_block

SAFETY_TOKENS = 16  # formatting slack between our count and the template's
MIN_CUT_TOKENS = 32  # a first source is cut to fit only when more room than this is left

# The prompt's token count with these history turns and sources.
PromptTokens = Callable[[list[Turn], list[Source]], int]


def fit_sources(sources: list[Source], history: list[Turn], *, prompt_tokens: PromptTokens,
                count_tokens: Callable[[str], int], n_ctx: int, answer_tokens: int,
                max_context_tokens: int | None = None
                ) -> tuple[list[Source], list[Turn], int]:
    """The sources (renumbered 1..n) and history turns that fit an ``n_ctx``-token
    window with ``answer_tokens`` to spare, and the prompt's token count.

    ``max_context_tokens`` caps the sources' share (None: whatever the window allows).
    Raises :class:`models.generator.GenerationError` when not even the question fits.
    """
    limit = n_ctx - answer_tokens - SAFETY_TOKENS
    while history and prompt_tokens(history, sources[:1]) > limit:
        history = history[2:] if len(history) > 1 else []
    room = limit - prompt_tokens(history, [])
    if max_context_tokens is not None:
        room = min(room, max_context_tokens)
    chosen: list[Source] = []
    for s in sources:
        n = len(chosen) + 1
        # a passage widened by its neighbouring text gives that up before it is dropped
        s, cost = _fitting_version(count_tokens, s, n, room)
        if cost <= room:
            chosen.append(_renumbered(s, n))
            room -= cost
        elif not chosen and room > MIN_CUT_TOKENS:
            chosen.append(_renumbered(s, n, text=_cut(count_tokens, s, n, room)))
            break
        else:
            break
    # The real count, with the template: drop sources until it fits.
    total = prompt_tokens(history, chosen)
    while len(chosen) > 1 and total > limit:
        chosen.pop()
        total = prompt_tokens(history, chosen)
    if total > limit:
        from models.generator import GenerationError

        raise GenerationError(
            f"the question does not fit the model's {n_ctx}-token context with "
            f"{answer_tokens} tokens left for the answer; shorten it or load "
            "the model with a longer context")
    return chosen, history, total


def _block_tokens(count_tokens: Callable[[str], int], n: int, label: str, text: str) -> int:
    """What source ``[n]`` adds to the prompt: its block and the blank line after it."""
    return count_tokens(source_block(n, label, text) + "\n\n") + 1


def _fitting_version(count_tokens: Callable[[str], int], s: Source, n: int,
                     room: int) -> tuple[Source, int]:
    """``s`` whole if it fits ``room``, else only the text that matched (if widened);
    with the tokens its block costs."""
    cost = _block_tokens(count_tokens, n, s.label, s.text)
    focused = s.focused()
    if focused is None or cost <= room:
        return s, cost
    return focused, _block_tokens(count_tokens, n, focused.label, focused.text)


def _cut(count_tokens: Callable[[str], int], s: Source, n: int, room: int) -> str:
    """The longest prefix of ``s.text`` whose block fits ``room`` tokens."""
    lo, hi = 0, len(s.text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _block_tokens(count_tokens, n, s.label, s.text[:mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    return s.text[:lo]


def _renumbered(s: Source, n: int, text: str | None = None) -> Source:
    if text is None:
        return replace(s, n=n)
    return replace(s, n=n, text=text, end=s.start + len(text))
