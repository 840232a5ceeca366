"""Grounding a question asked in one language on a library written in another.

Why: the grounding gate judges a passage by the share of the question's keywords it
holds, and by the question's names (:mod:`answer.names`).  A Chinese question on English
filings shares no keyword with any passage, so only embedding similarity could admit it
-- and the multilingual embedder does not separate "苹果的净销售额是多少？" from
"如何制作巧克力蛋糕？" on those filings (bench/RESULTS.md, "Grounding gate").  Word by
word it does: the multilingual model puts 苹果 next to "apple" and 收入 next to "income",
while 巧克力 is near nothing a filing says.  So each content word of the question is
matched with the closest word of the passage, and a word counts as held when that match
is as close as a translation is.  A word that names something (jieba's proper nouns:
特斯拉, 亚马逊) must match a name the library uses -- a word of a document's cover, or of
the passage -- at a stricter level, or the library cannot answer.

The levels come from the embedder itself, not from constants tuned on one library: the
similarity of a few everyday Chinese-English translation pairs (天气/weather, 医院/hospital)
against the same words paired wrongly (:func:`match_levels`).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ingest.analyzer import EN_STOPWORDS, ZH_STOPWORDS, has_cjk, proper_nouns

# everyday words, none from a domain the benchmarks use: the embedder's translation level
PROBE_ZH = ("天气", "医生", "学校", "音乐", "河流", "汽车", "政府", "合同", "价格", "森林", "医院",
            "桥梁")
PROBE_EN = ("weather", "doctor", "school", "music", "river", "car", "government",
            "contract", "price", "forest", "hospital", "bridge")
# where between a wrong pair (0) and a translation (1) a word counts as held, and where a
# name counts as the same name
WORD_LEVEL = 0.5
NAME_LEVEL = 0.75

_LETTER_WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
# a question that opens with whose figures it asks for: "小米2023年…", "谷歌的…" (the
# Chinese of "Tesla's"): the opening words, a name's length, name the subject
_OPENING_SUBJECT = re.compile(r"^\s*([\u3400-\u4dbf\u4e00-\u9fff]{2,4}?)(?:的|(?:19|20)\d\d)")
_PUNCTUATION = re.compile(r"[\W_]+")


def question_words(question: str) -> list[str]:
    """The question's content words: Chinese words of two characters or more (one
    character, 年 or 高, matches some word of any text) and other tokens as written, in
    order without repeats."""
    from ingest.analyzer import _jieba

    words = []
    for word in _jieba().lcut(question):
        word = word.strip()
        if not word or word in ZH_STOPWORDS or _PUNCTUATION.fullmatch(word):
            continue
        if has_cjk(word) and len(word) < 2:
            continue
        if not has_cjk(word) and (len(word) < 2 or word.lower() in EN_STOPWORDS):
            continue
        words.append(word)
    return list(dict.fromkeys(words))


def question_names(question: str) -> list[str]:
    """The names a Chinese question uses: jieba's proper nouns, and the subject it opens
    with when what follows is its figures ("小米2023年的…", "谷歌的…")."""
    names = proper_nouns(question)
    opening = _OPENING_SUBJECT.match(question)
    if opening:
        names.append(opening.group(1))
    return list(dict.fromkeys(names))


def passage_words(text: str) -> set[str]:
    """A passage's words as the matcher sees them: letter words of three or more,
    lower case, without stop words."""
    return {w.lower() for w in _LETTER_WORD.findall(text)} - EN_STOPWORDS


class WordVectors:
    """Word embeddings of one multilingual embedder, kept for the words seen last (a
    passage's words come back with every question on its topic)."""

    def __init__(self, embedder, keep: int = 20000):
        self.embedder = embedder
        self.keep = keep
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._levels: tuple[float, float] | None = None

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        with self._lock:
            new = [w for w in dict.fromkeys(words) if w not in self._cache]
            if new:
                for w, v in zip(new, self.embedder.encode(new, role="query", batch_size=64)):
                    self._cache[w] = v
            for w in words:
                self._cache.move_to_end(w)
            vecs = np.array([self._cache[w] for w in words], dtype=np.float32)
            while len(self._cache) > self.keep:
                self._cache.popitem(last=False)
            return vecs

    def levels(self) -> tuple[float, float]:
        """(word level, name level): the similarities from which a word counts as held
        and a name as the same name (:func:`match_levels`)."""
        if self._levels is None:
            self._levels = match_levels(self(PROBE_ZH) @ self(PROBE_EN).T)
        return self._levels


def match_levels(probe: np.ndarray) -> tuple[float, float]:
    """The word and name levels from the similarity matrix of translation pairs (its
    diagonal) and wrong pairs (the rest)."""
    right = float(np.mean(np.diag(probe)))
    wrong = float(np.mean(probe[~np.eye(len(probe), dtype=bool)]))
    gap = max(right - wrong, 0.0)
    return wrong + WORD_LEVEL * gap, wrong + NAME_LEVEL * gap


@dataclass
class CrossLanguageCheck:
    """One question's words and names, matched against passages in another language."""

    words: list[str]
    names: list[str]
    vectors: WordVectors
    library_names: set[str] = field(default_factory=set)  # cover words as written
    _names_known: bool | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.word_level, self.name_level = self.vectors.levels()
        # names the library's covers already hold: known for every passage
        self._covered = {n for n in self.names
                         if self._best(n, sorted(self.library_names)) >= self.name_level}

    def _best(self, word: str, others: Sequence[str]) -> float:
        if not others:
            return 0.0
        if word.lower() in others:
            return 1.0
        return float((self.vectors([word]) @ self.vectors(list(others)).T).max())

    def judge(self, passage: str) -> tuple[float, bool]:
        """(the share of the question's words the passage holds, whether every name the
        question uses is one the library or the passage uses)."""
        held = passage_words(passage)
        others = sorted(held)
        lowered = passage.lower()
        names_ok = all(n in self._covered or self._best(n, others) >= self.name_level
                       for n in self.names)
        if not self.words:
            return 0.0, names_ok
        sims = (self.vectors(self.words) @ self.vectors(others).T) if others else None
        count = 0
        for i, word in enumerate(self.words):
            if not has_cjk(word):  # iPhone, AWS, 2023: as written
                count += word.lower() in lowered
            elif sims is not None and sims[i].max() >= self.word_level:
                count += 1
        return count / len(self.words), names_ok


_VECTORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_VECTORS_LOCK = threading.Lock()


def word_vectors(embedder) -> WordVectors:
    """The word vectors of ``embedder``, one cache per embedder for the process."""
    with _VECTORS_LOCK:
        vectors = _VECTORS.get(embedder)
        if vectors is None:
            vectors = _VECTORS[embedder] = WordVectors(embedder)
        return vectors


def cross_language_check(question: str, embedder, library_names: set[str]
                         ) -> CrossLanguageCheck | None:
    """The check for a Chinese ``question`` on a library without Chinese text, or None
    when there is no multilingual ``embedder`` to match words with."""
    if embedder is None or not has_cjk(question):
        return None
    return CrossLanguageCheck(question_words(question), question_names(question),
                              word_vectors(embedder), library_names)
