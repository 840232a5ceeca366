"""ChatLaw-style query expansion without a language model.

ChatLaw (Cui et al., 2023) lets an LLM extract the keywords of a question, embeds them and
adds their embeddings to the question's.  Here the keywords come from jieba's TF-IDF
extractor for Chinese (its IDF table is built into jieba) and from content words for
English; they are

* embedded in the same batch as the question and mixed into the query vector:
  ``normalize(q + alpha * mean(keyword vectors))``;
* given to the BM25 lane as extra weight on those terms.

Each part can be switched off; ``bench/RESULTS.md`` records what each does.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from retrieval.tokenizer import EN_STOPWORDS, ZH_STOPWORDS, has_cjk

# Extra words common in questions but not content.
_QUESTION_WORDS = frozenset("""
what which who whom whose when where why how does do did is are was were can could should
would will please tell explain describe give list name find show according
""".split()) | EN_STOPWORDS
_ZH_QUESTION = frozenset("什么 哪些 哪个 多少 怎么 怎样 如何 为什么 是否 哪里 哪 时候 时间 日期 请问 吗 呢 几".split())
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]{2,}|\d+(?:\.\d+)?")
_lock = threading.Lock()


@dataclass
class Expansion:
    keywords: list[tuple[str, float]]  # (word, weight 0..1), most important first


def extract_keywords(query: str, top_k: int = 5) -> Expansion:
    words: list[tuple[str, float]] = []
    if has_cjk(query):
        from retrieval.tokenizer import _jieba

        _jieba()
        import jieba.analyse

        with _lock:
            tags = jieba.analyse.extract_tags(query, topK=top_k * 2, withWeight=True)
        tags = [(w, s) for w, s in tags if w not in ZH_STOPWORDS and w not in _ZH_QUESTION]
        if tags:
            top = max(s for _, s in tags)
            words.extend((w, s / top) for w, s in tags[:top_k])
    seen = {w.lower() for w, _ in words}
    latin = []
    for m in _LATIN_WORD.finditer(query):
        w = m.group(0)
        if w.lower() in _QUESTION_WORDS or w.lower() in seen:
            continue
        seen.add(w.lower())
        latin.append(w)
    # Longer words carry more meaning; a crude but LLM-free weight.
    latin.sort(key=lambda w: -len(w))
    for w in latin[: max(0, top_k - len(words)) or 0]:
        words.append((w, min(1.0, len(w) / 10)))
    return Expansion(words)


def expand_embedding(query_vec: np.ndarray, keyword_vecs: np.ndarray, alpha: float) -> np.ndarray:
    """ChatLaw's combination: the question vector plus the keywords' mean, renormalised."""
    if alpha <= 0 or keyword_vecs is None or len(keyword_vecs) == 0:
        return query_vec
    v = query_vec + alpha * keyword_vecs.mean(axis=0)
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else query_vec
