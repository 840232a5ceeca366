"""The retrieval knobs, in one place.

The settings file's ``[retrieval]`` section is this object (``app.settings`` reads and
checks the user-facing keys: ``top_k``, ``fusion``, ``rrf_k``, ``mmr``, ``reranker``,
``min_relevance``); the other fields are tuned defaults that only ``wenji eval`` and the
benchmarks change.  Qt-free, and light to import: the settings are read before the window
paints.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.fusion import DENSE_WEIGHT, RRF_K
from retrieval.keyword import B as KEYWORD_B
from retrieval.keyword import K1 as KEYWORD_K1


@dataclass
class RetrievalOptions:
    top_k: int = 6
    fusion: str = "adaptive"  # "adaptive" | "rrf" | "keyword" | "embedding"
    rrf_k: int = RRF_K
    mmr: bool = False  # maximal marginal relevance: more varied passages
    reranker: str = ""  # path of a local cross-encoder folder; empty = off
    min_relevance: float = 0.0  # score below which a hit is dropped (0 = keep all)
    named_documents: bool = True  # a question naming documents searches those first
    window: int = 1  # neighbouring chunks (each side, same page) shown with a passage
    depth: int = 100  # candidates per lane
    dense_weight: float = DENSE_WEIGHT
    # Feedback from the best hits, for Chinese questions (scaled by their share of Han
    # characters) and wherever the embedding lane cannot read the question:
    prf_weight: float = 0.4  # keyword lane: RM3-like feedback terms
    prf_docs: int = 10
    prf_terms: int = 10
    dense_prf_weight: float = 1.0  # embedding lane: Rocchio, the query plus the best chunks
    dense_prf_chunks: int = 3
    mmr_lambda: float = 0.7
    dedupe_threshold: float = 0.9
    # The keyword lane runs in a worker thread while the query is embedded and Chroma
    # searched: the same hits, sooner (bench/RESULTS.md).
    parallel_lanes: bool = True
    bm25_k1: float = KEYWORD_K1
    bm25_b: float = KEYWORD_B
