"""The embedding lane: nearest chunks of the query vector in the knowledge base's Chroma
collection (cosine space, our own L2-normalised embeddings)."""

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
               doc_ids: Sequence[int] | None = None) -> list[DenseHit]:
        where = None
        if doc_ids is not None:
            ids = [int(d) for d in doc_ids]
            if not ids:
                return []
            where = {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}
        pairs = self.vectors.query(self.collection, embedding, k, where=where)
        return [DenseHit(cid, i + 1, float(d)) for i, (cid, d) in enumerate(pairs)]
