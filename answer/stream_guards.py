"""Stream guards: where a small model's streamed answer stops being an answer.

Why: a small base model given a reading-comprehension prompt does not stop when it has
answered.  It goes on listing the numbered sources it was shown, repeats a sentence, or
starts the next exercise with the prompt's own instruction or labels.  These functions
find where that begins in the text streamed so far, so the answer is cut there, and hold
back a tail that may still turn into it, so the user never sees text that is then taken
back.  Each looks only at the text; :meth:`answer.engine.AnswerEngine.ask` applies them.
"""

from __future__ import annotations

import re

from answer.prompts import ANSWER_HINT, ANSWER_LABEL, QUESTION_LABEL, SOURCES_HEADER


def stop_strings(lang: str) -> list[str]:
    """Where generation stops: a new question, answer or source list, or the prompt's
    instruction on a new line -- the model is writing a new exercise."""
    return ["\nQuestion:", "\n问题：", "\nSources:", "\n资料：", "\nAnswer:", "\n回答：",
            "\n" + ANSWER_HINT[lang][:8]]


def answer_end(text: str, lang: str) -> int | None:
    """Where the answer in ``text`` ends because the model lists the sources again,
    repeats itself or starts the next exercise; None while it is still answering."""
    cut = echo_start(text)
    if cut is None:
        cut = repeat_start(text)
    if cut is None:
        cut = restart_start(text, lang)
    return cut


def shown_end(text: str, lang: str) -> int:
    """How much of ``text`` can be shown now: all but a tail that may still become an
    echo of the source list or the start of the next exercise."""
    return min(safe_end(text), label_tail(text, lang))


# A new line starting with "[n]" after some answer text: a base model continuing the
# numbered source list it was shown, not answering.  Cited numbers inside a sentence
# ("... record revenue [2].") are not at a line start and are kept.
_ECHO = re.compile(r"\n[ \t]*[\[【]\d{1,3}[\]】]")
_ECHO_PREFIX = re.compile(r"\n[ \t]*(?:[\[【]\d{0,3})?$")


def echo_start(text: str) -> int | None:
    """Where the model starts listing the sources again after some answer text."""
    for m in _ECHO.finditer(text):
        if text[:m.start()].strip():
            return m.start()
    return None


def safe_end(text: str) -> int:
    """How much of ``text`` can be shown: all but a tail that may become an echo."""
    m = _ECHO_PREFIX.search(text)
    return m.start() if m and text[:m.start()].strip() else len(text)


_PIECE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n")
_ANSWER_LABEL = re.compile(r"^\s*(答案?[：:]|回答[：:]|answer:)\s*", re.IGNORECASE)
# Shorter pieces ("是。", "1.") repeat in honest answers too.
MIN_REPEAT_CHARS = 4


def repeat_start(text: str) -> int | None:
    """Where a finished sentence or line repeats an earlier one (a small model looping:
    "答： 罗店镇…？\n\n答： 罗店镇…？"); None if nothing repeats.  A leading "答：" /
    "Answer:" is ignored in the comparison."""
    seen: set[str] = set()
    start = 0
    for m in _PIECE_END.finditer(text):  # the unfinished last piece is not compared
        piece, begin, start = text[start:m.start()], start, m.end()
        key = _ANSWER_LABEL.sub("", piece).strip()
        if len(key) < MIN_REPEAT_CHARS:
            continue
        if key in seen:
            return begin if text[:begin].strip() else None
        seen.add(key)
    return None


def restart_start(text: str, lang: str) -> int | None:
    """Where a base model starts the next exercise with the prompt's instruction line
    ("…科。\n\n请根据资料回答，…"), which the stop strings alone do not always catch."""
    i = text.find("\n" + ANSWER_HINT[lang][:6])
    return i if i >= 0 and text[:i].strip() else None


def label_tail(text: str, lang: str) -> int:
    """Where a last line that begins the prompt's instruction or one of its labels starts
    ("…为主。\n\n请根据资料" when the length limit cut the next exercise short); the
    text's length if there is none."""
    i = text.rfind("\n")
    tail = text[i + 1:].strip()
    if i < 0 or not tail or not text[:i].strip():
        return len(text)
    words = (ANSWER_HINT[lang], QUESTION_LABEL[lang], SOURCES_HEADER[lang], ANSWER_LABEL[lang])
    return i if any(w.lower().startswith(tail.lower()) for w in words) else len(text)
