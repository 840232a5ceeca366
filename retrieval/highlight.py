"""Finding a passage's words again in text: the spans of matched keywords (for the
sources panel's highlight) and search phrases that locate a passage in its rendered
document (for the document viewer).

Both read text the way the keyword index does (``ingest.analyzer``), so what is
highlighted is what retrieval matched.  Qt-free, so they are tested without a display.
"""

from __future__ import annotations

import re
from typing import Iterable

from ingest.analyzer import CJK_CHARS, IS_CJK, SCRIPT_RUNS, has_cjk, stem

PHRASE_WORDS = 7  # words in a search phrase: long enough to be unique on a page
MAX_TRIES = 14  # phrases tried before giving up on the highlight

# a word that survives both text extractors: letters/digits with inner punctuation only
_PLAIN_WORD = re.compile(r"^[^\W_][\w’'.,:;%&/-]*$", re.UNICODE)
_LIST_MARK = re.compile(r"^\s*(?:#{1,6}\s|[-*+>]\s|\d{1,3}[.)]\s)+")


def highlight_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose retrieval token is one of ``terms``.

    Latin words are compared by their index token (lower case, Porter stem), so
    "sales" lights up for the token "sale"; Chinese terms are found as substrings."""
    terms = set(terms)
    cjk_terms = sorted((t for t in terms if has_cjk(t)), key=len, reverse=True)
    spans: list[tuple[int, int]] = []
    for m in SCRIPT_RUNS.finditer(text):
        run = m.group(0)
        if IS_CJK.match(run):
            for term in cjk_terms:
                start = run.find(term)
                while start >= 0:
                    spans.append((m.start() + start, m.start() + start + len(term)))
                    start = run.find(term, start + len(term))
        else:
            word = run.lower()
            if word in terms or stem(word) in terms:
                spans.append((m.start(), m.end()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def search_phrases(passage: str, words: int = PHRASE_WORDS, limit: int = MAX_TRIES
                   ) -> list[str]:
    """Phrases to find ``passage`` with in a rendered document, best first.

    Runs of plain words inside one line (no line break, no hyphenated line end, no
    Markdown syntax), mostly letters rather than table figures, longest first; then
    shorter cuts of the same runs; then long single words.  The passage's first and last
    words are skipped: a chunk may start or end inside a word."""
    lines = [ln for ln in passage.splitlines() if ln.strip()]
    runs: list[list[str]] = []
    cjk: list[str] = []
    for i, line in enumerate(lines):
        line = _LIST_MARK.sub("", line)
        tokens = line.split()
        if i == 0 and tokens:
            tokens = tokens[1:]
        if i == len(lines) - 1 and tokens:
            tokens = tokens[:-1]
        current: list[str] = []
        for tok in tokens:
            if _PLAIN_WORD.match(tok) and not tok.endswith("-"):
                current.append(tok)
            else:
                if len(current) >= 2:
                    runs.append(current)
                current = []
        if len(current) >= 2:
            runs.append(current)
        cjk.extend(m.group(0) for m in re.finditer(f"[{CJK_CHARS}]{{4,}}", line))

    def wordy(run: list[str]) -> bool:
        text = "".join(run)
        return sum(ch.isalpha() for ch in text) >= 0.6 * len(text)

    def key(run: list[str]) -> tuple:
        return (wordy(run), len(" ".join(run[:words])))

    runs.sort(key=key, reverse=True)
    out: list[str] = []

    def add(phrase: str) -> None:
        phrase = phrase.strip().rstrip(",.;:")
        if len(phrase) >= 4 and phrase not in out:
            out.append(phrase)

    for run in runs:
        if len(run) >= 3:
            # a window from the middle of long runs: away from the chunk's cut edges
            start = max(0, (len(run) - words) // 2)
            add(" ".join(run[start:start + words]))
    for text in sorted(cjk, key=len, reverse=True):
        mid = max(0, (len(text) - 12) // 2)
        add(text[mid:mid + 12])
    for run in runs:
        add(" ".join(run[:4]))
        add(" ".join(run[-4:]))
    singles = sorted({w.strip(",.;:") for run in runs for w in run if len(w) >= 8
                      and w.strip(",.;:").isalpha()}, key=len, reverse=True)
    for w in singles:
        add(w)
    return out[:limit]
