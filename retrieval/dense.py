"""The embedding lane: nearest chunks of the query vector in the knowledge base's Chroma
collection (cosine space, our own L2-normalised embeddings).

The collection is queried directly for ids and distances only: texts and metadata come
from the SQLite catalog, and no ``count()`` is asked first (Chroma returns fewer results
when the collection is smaller than ``k``; a ``count()`` costs ~65 ms at 100k chunks,
30 times the HNSW search itself -- bench/RESULTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass
class DenseHit:
    chunk_id: str
    rank: int  # 1-based
    distance: float  # cosine distance, lower is better

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance


class DenseIndex:
    def __init__(self, vectors, collection: str):
        self.vectors = vectors
        self.collection = collection

    def search(self, embedding: np.ndarray, k: int = 100,
               doc_ids: Sequence[int] | None = None,
               chunk_ids: Sequence[str] | None = None) -> list[DenseHit]:
        """Nearest ``k`` chunks; ``doc_ids`` limits them to those documents (Chroma's
        filtered HNSW search), ``chunk_ids`` to those chunks (exact search over their
        vectors, read by id: ~5x cheaper than the filtered search for a few hundred
        chunks at 100k -- bench/RESULTS.md)."""
        if chunk_ids is not None:
            return self.exact(embedding, k, chunk_ids)
        res = self._query(embedding, k, doc_ids, ["distances"])
        if res is None:
            return []
        ids_, dists = res["ids"][0], res["distances"][0]
        return [DenseHit(cid, i + 1, float(d)) for i, (cid, d) in enumerate(zip(ids_, dists))]

    def nearest_vectors(self, embedding: np.ndarray, k: int,
                        doc_ids: Sequence[int] | None = None,
                        chunk_ids: Sequence[str] | None = None) -> np.ndarray:
        """The stored vectors of the nearest ``k`` chunks, best first (feedback's
        material): read by the search itself, not by a second request."""
        if chunk_ids is not None:
            return self.vectors_of([h.chunk_id for h in self.exact(embedding, k, chunk_ids)])
        if not self.vectors.query_returns_embeddings:  # a server: ids, then their vectors
            return self.vectors_of([h.chunk_id for h in self.search(embedding, k, doc_ids)])
        res = self._query(embedding, k, doc_ids, ["embeddings"])
        if res is None or not len(res["ids"][0]):
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray(res["embeddings"][0], dtype=np.float32)

    def _query(self, embedding: np.ndarray, k: int, doc_ids: Sequence[int] | None,
               include: list[str]) -> dict | None:
        """Chroma's HNSW search, limited to ``doc_ids``; None for an empty filter."""
        where = None
        if doc_ids is not None:
            ids = [int(d) for d in doc_ids]
            if not ids:
                return None
            where = {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
        col = self.vectors.collection(self.collection)
        return col.query(query_embeddings=[np.asarray(embedding, dtype=np.float32)],
                         n_results=max(1, int(k)), where=where, include=include)

    def vectors_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of these chunks (those found), as rows."""
        if not chunk_ids:
            return np.zeros((0, 0), dtype=np.float32)
        got = self.vectors.collection(self.collection).get(ids=list(chunk_ids),
                                                           include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        return np.asarray([by_id[c] for c in chunk_ids if c in by_id], dtype=np.float32)

    def exact(self, embedding: np.ndarray, k: int, chunk_ids: Sequence[str]) -> list[DenseHit]:
        ids = list(chunk_ids)
        if not ids:
            return []
        got = self.vectors.collection(self.collection).get(ids=ids, include=["embeddings"])
        if not got["ids"]:
            return []
        m = np.asarray(got["embeddings"], dtype=np.float32)
        q = np.asarray(embedding, dtype=np.float32)
        sims = (m @ q) / np.maximum(np.linalg.norm(m, axis=1) * float(np.linalg.norm(q)), 1e-12)
        order = np.argsort(-sims, kind="stable")[:k]
        return [DenseHit(got["ids"][j], i + 1, float(1.0 - sims[j])) for i, j in enumerate(order)]


def rocchio(query: np.ndarray, best: np.ndarray, weight: float) -> np.ndarray:
    """Pseudo-relevance feedback for the embedding lane: the query vector moved towards
    the mean of the best chunks' vectors (``weight`` 1: as far as its own length),
    normalised.  Like keyword feedback it helps when the best hits agree on a topic."""
    if weight <= 0 or len(best) == 0:
        return query
    moved = np.asarray(query, dtype=np.float32) + weight * best.mean(axis=0)
    return moved / max(float(np.linalg.norm(moved)), 1e-12)
