"""The names a question is about, and whether the library and a passage hold them.

Why: the grounding gate (:mod:`answer.grounding`) judged a passage by the share of the
question's keywords it holds, so "What was Tesla's revenue in the third quarter of 2023?"
was answered from an NVIDIA page of a library without Tesla (coverage 0.38 from
"revenue", "third quarter", "2023").  A look-alike question differs from a real one in
its names.  So: a name no document of the library uses means the library cannot answer
(the model is not asked); and where the question names something only some documents
hold, a passage counts only if it -- or its document's cover (file name, title, first
passages: :mod:`retrieval.named_documents`) -- holds one of those names.

Names are the question's capitalised, upper-case or mixed-case words (Tesla, NVIDIA,
iPhone, Q3) and, for Chinese, the proper nouns jieba's tagger finds (people, places,
organisations, other proper names).  A capitalised word that is not a name ("Total" at
the start) is harmless: it is in most documents, so it is never required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ingest.analyzer import has_cjk, proper_nouns, tokenize

# a word, not the tail of another ("Qs" of "10-Qs")
_WORD = re.compile(r"(?<![A-Za-z0-9\-])[A-Za-z][A-Za-z0-9&\-]*")
# Capitalised words that never name what a question is about.
_NOT_NAMES = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are",
    "was", "were", "did", "does", "do", "can", "could", "should", "would", "will", "in",
    "on", "for", "of", "the", "a", "an", "and", "or", "to", "by", "from", "with", "as",
    "at", "i", "ii", "iii", "iv", "v", "list", "give", "tell", "describe", "explain",
    "summarize", "compare", "please", "according", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday",
}


def question_names(question: str, chinese: bool = True) -> list[str]:
    """The names in ``question``, as written, in order, without repeats; Chinese proper
    nouns only with ``chinese`` (a library without Chinese text cannot hold them as
    written: "亚马逊" names Amazon in an English filing)."""
    names: list[str] = []
    for m in _WORD.finditer(question):
        word = m.group(0).strip("-&")
        if word.lower() in _NOT_NAMES or word.islower() or len(word) < 2:
            continue
        # a sentence's first word is capitalised anyway ("Analyze how ..."): a name only
        # when it is one by its letters (NVIDIA, iPhone) or owns something ("Tesla's")
        first = not question[:m.start()].strip(" \t\"'“‘(")
        if first and word[1:].islower() and not question[m.end():].startswith(("'s", "’s")):
            continue
        names.append(word)
    if chinese:
        names += proper_nouns(question)
    return list(dict.fromkeys(names))


def _key(name: str) -> str:
    return " ".join(tokenize(name))


@dataclass
class NameCheck:
    """What the library knows of a question's names.

    ``unknown``: names no document uses -- the library cannot answer the question;
    ``distinctive``: names held by at most half of the documents -- a passage must hold
    one of them (in its text or its document's cover) to count."""

    unknown: list[str] = field(default_factory=list)
    distinctive: list[str] = field(default_factory=list)
    cover_words: Callable[[int], set[str]] = lambda doc_id: set()

    def holds(self, doc_id: int, passage: str) -> bool:
        """Whether the passage (or its document's cover) holds a distinctive name; True
        when there is none to hold."""
        if not self.distinctive:
            return True
        words = set(tokenize(passage)) | self.cover_words(doc_id)
        for name in self.distinctive:
            if has_cjk(name) and name in passage:
                return True
            if set(tokenize(name)) <= words:
                return True
        return False


def check_names(names: Iterable[str], documents_with: Callable[[str], int],
                n_documents: int, cover_words: Callable[[int], set[str]],
                cover_vocabulary: set[str] = frozenset(),
                contains: Callable[[str], bool] | None = None) -> NameCheck:
    """Sort ``names`` by how many of the ``n_documents`` hold them (``documents_with``
    counts the documents whose text holds a token sequence); a name on some document's
    cover (``cover_vocabulary``: "Q3" in "2023 Q3 NVDA.pdf") is known even when no text
    says it; ``contains`` looks for a Chinese name as written in the passages."""
    check = NameCheck(cover_words=cover_words)
    for name in names:
        key = _key(name)
        if not key:
            continue
        held = documents_with(key)
        if held == 0 and has_cjk(name) and contains is not None and contains(name):
            # a Chinese name alone may be split unlike the same characters in a passage
            # (高氏前肛鳗): written as it is, it is known
            held = 1
        if held == 0 and not set(key.split()) <= cover_vocabulary:
            check.unknown.append(name)
        elif n_documents >= 2 and held <= n_documents / 2:
            check.distinctive.append(name)
    return check
