"""The default embedder: multilingual-e5-small and all-MiniLM-L6-v2 side by side, in one
vector per passage.

e5 reads Chinese and English in one space (cross-language questions work), but on English
text alone it ranks worse than MiniLM; MiniLM reads English only.  Together they rank
English better than either, and Chinese as well as e5 (bench/RESULTS.md).  Rather than
two collections and two searches, each vector is both models' unit vectors side by side::

    passage  [e5(p) ; m(p)] / sqrt(2)        question  [a * e5(q) ; b * minilm(q)]
    cosine = (a * cos_e5 + b * cos_minilm) / sqrt(2)

The question decides the blend, by how English it is (``models.scripts.english_trust``,
``b² = trust / 2``, ``a² + b² = 1``): an English question gets the two models' mean, a
Chinese one (``b = 0``) e5 alone, at the same scale over every passage whatever its
language.  A passage's MiniLM half ``m(p)`` is MiniLM's vector for English text and a
fixed neutral vector for Chinese text (blended in between): MiniLM's vector of Chinese
text is noise, which would disturb an English question's ranking of Chinese passages;
the neutral vector adds the same to all of them.  MiniLM is not even run on a passage
without Latin letters.

The e5 half runs int8 under both ONNX backends: 2.6x faster than fp32 at -0.0004 nDCG
(bench/RESULTS.md); MiniLM runs the configured backend.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from models import bundled
from models.embedder import RELEVANT_SIMILARITY, Embedder
from models.scripts import english_trust


# Bump when the vector layout or the passage cutting changes: evaluation caches built with
# another are rebuilt.
VECTOR_FORMAT = "pair/4"


# The squared MiniLM weight of a wholly English question (the e5 weight's square is the
# rest).
ENGLISH_QUESTION_SHARE = 0.5


def half_weights(text: str) -> tuple[float, float]:
    """(e5 weight, MiniLM weight) of a question's vector; their squares sum to 1."""
    b2 = english_trust(text) * ENGLISH_QUESTION_SHARE
    return math.sqrt(1.0 - b2), math.sqrt(b2)


@functools.lru_cache(maxsize=None)
def neutral_vector(dim: int) -> np.ndarray:
    """The MiniLM half of a Chinese passage: a fixed unit vector of signs (the Thue-Morse
    sequence), nearly orthogonal to what MiniLM makes of real text.  Cached: do not
    modify it."""
    signs = [1.0 if bin(i).count("1") % 2 == 0 else -1.0 for i in range(dim)]
    return np.asarray(signs, dtype=np.float32) / math.sqrt(dim)


class EmbedderPair:
    """Same interface as :class:`models.embedder.Embedder` (what ingest, retrieval and the
    window use), over two models."""

    name = bundled.PAIR_NAME
    multilingual = True
    vector_format = VECTOR_FORMAT

    def __init__(self, backend: str = "onnx-fp32", threads: int = 0,
                 cache_dir: str | Path | None = None):
        wide_backend = "onnx" if backend.startswith("onnx") else backend
        self.wide = Embedder(bundled.MULTILINGUAL_NAME, backend=wide_backend,
                             threads=threads, cache_dir=cache_dir)
        self.english = Embedder(bundled.EMBEDDER_NAME, backend=backend, threads=threads,
                                cache_dir=cache_dir)
        self.backend = backend
        self.threads = self.wide.threads
        self.cache_dir = self.wide.cache_dir

    # --- what the single embedder offers ---------------------------------------------

    @property
    def model_dir(self) -> Path:
        """The folder whose tokenizer and limit cut passages: MiniLM's, the stricter
        (256 tokens against e5's 512), so both models read all of every passage.  Cut in
        e5's tokens, passages of figures and tables come out shorter (XLM-R splits
        numbers finely) and the SEC questions find fewer of their figures
        (bench/RESULTS.md)."""
        return self.english.model_dir

    def ensure_folder(self, progress=None) -> Path:
        """Make e5's folder if needed; return the folder that cuts passages."""
        self.wide.ensure_folder(progress)
        return self.english.ensure_folder(progress)

    @property
    def prompts(self) -> dict[str, str]:
        return self.wide.prompts

    @property
    def loaded(self) -> bool:
        return self.wide.loaded and self.english.loaded

    @property
    def prepared(self) -> bool:
        return self.wide.prepared and self.english.prepared

    @property
    def onnx_precision(self) -> str | None:
        return self.english.onnx_precision

    def load(self):
        self.wide.load()
        self.english.load()
        return self

    @property
    def dimension(self) -> int:
        return self.wide.dimension + self.english.dimension

    @property
    def relevant_similarity(self) -> float | None:
        """For an English question over English passages; see
        :meth:`relevant_similarity_for`."""
        return self.relevant_similarity_for("")

    def relevant_similarity_for(self, query: str) -> float:
        """The relevance level of a passage in the question's own language: each model's
        level (``RELEVANT_SIMILARITY``) weighted as their cosines are."""
        a, b = half_weights(query)
        return (a * RELEVANT_SIMILARITY[bundled.MULTILINGUAL_NAME]
                + b * RELEVANT_SIMILARITY[bundled.EMBEDDER_NAME]) / math.sqrt(2.0)

    def encode(self, texts: Sequence[str], batch_size: int = 32,
               threads: int | None = None, role: str = "document") -> np.ndarray:
        texts = list(texts)
        wide = self.wide.encode(texts, batch_size=batch_size, threads=threads, role=role)
        trust = np.array([english_trust(t) for t in texts], dtype=np.float32)
        english = np.zeros((len(texts), self.english.dimension), dtype=np.float32)
        latin = np.flatnonzero(trust > 0)
        if len(latin):
            english[latin] = self.english.encode([texts[i] for i in latin],
                                                 batch_size=batch_size, threads=threads,
                                                 role=role)
        if role == "query":
            weights = np.array([half_weights(t) for t in texts], dtype=np.float32)
            return np.hstack([wide * weights[:, :1], english * weights[:, 1:]])
        neutral = neutral_vector(self.english.dimension)
        english = trust[:, None] * english + (1.0 - trust[:, None]) * neutral
        english /= np.clip(np.linalg.norm(english, axis=1, keepdims=True), 1e-12, None)
        return np.hstack([wide, english]) / np.float32(math.sqrt(2.0))

    def passages_as_queries(self, query: np.ndarray, passages: np.ndarray) -> np.ndarray:
        """Passage vectors laid out as ``query`` is (each model's half at the weight the
        question gives it), for pseudo-relevance feedback: moving a Chinese question
        towards its best passages must not give it a MiniLM half."""
        n = self.wide.dimension
        a = float(np.linalg.norm(query[:n]))
        b = float(np.linalg.norm(query[n:]))
        out = np.array(passages, dtype=np.float32) * np.float32(math.sqrt(2.0))
        out[:, :n] *= a
        out[:, n:] *= b
        return out

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.encode(texts, batch_size=batch_size, role="query")

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]

    def abort(self) -> None:
        self.wide.abort()
        self.english.abort()


def open_embedder(spec: str | None = None, backend: str = "onnx-fp32", threads: int = 0,
                  cache_dir: str | Path | None = None):
    """The embedder a setting names: None/"" or ``bundled.PAIR_NAME`` is the default pair;
    a bundled model's name or a folder is that single model."""
    if not spec or spec == bundled.PAIR_NAME:
        return EmbedderPair(backend=backend, threads=threads, cache_dir=cache_dir)
    return Embedder(spec, backend=backend, threads=threads, cache_dir=cache_dir)
