"""Keyword tokens for BM25, the same for indexed chunks and for queries.

Chinese runs go through jieba's search mode (which also emits the shorter words inside
long ones, so 冬奥会 matches 奥会 queries less and 冬奥 queries more); Latin runs are
lower-cased words through the Porter stemmer (Snowball's, via PyStemmer); a boundary is forced between
Chinese and Latin runs; stopwords of both languages are dropped.
"""

from __future__ import annotations

import logging
import re
import threading

import Stemmer

from models.scripts import CJK_CHARS, IS_CJK, cjk_share, has_cjk  # noqa: F401  (re-exported)

# Bump when tokens change: keyword indexes built with another version must be rebuilt.
TOKENIZER_VERSION = "4"  # 4: chunks carry their document's context line (ingest.index_text)

# runs of one script: Han characters, or letters/digits of other scripts
SCRIPT_RUNS = re.compile(rf"[{CJK_CHARS}]+|[^\W_{CJK_CHARS}]+", re.UNICODE)

EN_STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves also may might must shall
""".split())

ZH_STOPWORDS = frozenset("""
的 了 和 是 在 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 它们 这 那 这个 那个 之 也 但 并 把 被
让 给 从 对 向 于 以 其 中 等 为 为了 由 吗 呢 吧 啊 呀 么 什么 怎么 怎样 如何 哪 哪个 哪些 哪里 谁 多少
几 是否 还是 请问 请 问 一下 有 有没有 会 能 可以 要 所 该 此 该 者 上 下 里 个 位 次 年份 时候 时间
""".split())

# PyStemmer's stemmer objects are not thread-safe (each keeps a cache): one per thread.
_stemmers = threading.local()

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def stem(word: str) -> str:
    """English words go through the Porter stemmer, as in the BM25 baselines (Lucene and
    Anserini's "porter"); other words stay as they are."""
    if len(word) <= 2 or not word.isascii() or not word.isalpha():
        return word
    stemmer = getattr(_stemmers, "porter", None)
    if stemmer is None:
        stemmer = _stemmers.porter = Stemmer.Stemmer("porter")
    return stemmer.stemWord(word)


def tokenize(text: str) -> list[str]:
    """Index/query tokens in text order (duplicates kept: BM25 counts them)."""
    tokens: list[str] = []
    for run in SCRIPT_RUNS.findall(text):
        if IS_CJK.match(run):
            for word in _jieba().cut_for_search(run):
                word = word.strip()
                if word and word not in ZH_STOPWORDS:
                    tokens.append(word)
        else:  # "GPT4中文" is already two runs: the pattern never mixes scripts
            word = run.lower()
            if word not in EN_STOPWORDS:
                tokens.append(stem(word))
    return tokens


# jieba part-of-speech flags of proper nouns: person, place, organisation, other
_PROPER_FLAGS = ("nr", "ns", "nt", "nz")


def proper_nouns(text: str) -> list[str]:
    """The Chinese proper nouns of ``text`` (people, places, organisations, other
    names) as jieba's tagger finds them, two characters or longer, in order."""
    if not has_cjk(text):
        return []
    _jieba()
    import jieba.posseg

    return [p.word for p in jieba.posseg.lcut(text)
            if p.flag.startswith(_PROPER_FLAGS) and len(p.word) >= 2 and has_cjk(p.word)]
