"""The Chroma side of a knowledge base: one persistent collection per knowledge base.

We always pass embeddings we computed ourselves and create collections with
``embedding_function=None``: Chroma's default embedding function would download a model,
which Wenji must never do.  Telemetry is off.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

# Chroma's add() refuses batches above its max batch size (~5k); stay well below.
WRITE_BATCH = 2000
# HNSW candidate list per query (Chroma's ``ef_search``; at least the number of results
# asked for).  Wide enough that the approximate top 200 is the exact one in practice:
# missed neighbours shift the embedding lane's min-max range and so the fused ranking.
# Recall, quality and latency per value are in bench/RESULTS.md; collections made with
# an older value are updated when opened.
EF_SEARCH = 1000


class VectorStore:
    def __init__(self, path: Path):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(
            path=str(self.path),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )
        self._collections: dict[str, object] = {}

    def collection(self, name: str):
        col = self._collections.get(name)
        if col is None:
            col = self.client.get_or_create_collection(
                name=name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_construction": 128,
                                        "ef_search": EF_SEARCH, "max_neighbors": 16}},
            )
            hnsw = (col.configuration_json or {}).get("hnsw") or {}
            if hnsw and hnsw.get("ef_search") != EF_SEARCH:  # made by an older version
                col.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
            self._collections[name] = col
        return col

    def drop(self, name: str) -> None:
        self._collections.pop(name, None)
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # already gone (an interrupted delete finished it)
            log.debug("delete_collection(%s): %s", name, exc)

    def add(self, name: str, ids: Sequence[str], embeddings: np.ndarray,
            metadatas: Sequence[dict]) -> None:
        col = self.collection(name)
        for i in range(0, len(ids), WRITE_BATCH):
            col.upsert(ids=list(ids[i:i + WRITE_BATCH]),
                       embeddings=np.asarray(embeddings[i:i + WRITE_BATCH], dtype=np.float32),
                       metadatas=list(metadatas[i:i + WRITE_BATCH]))

    def delete_document(self, name: str, doc_id: int, keep_gen: int | None = None) -> None:
        """Delete a document's vectors, all of them or all but generation ``keep_gen``."""
        where: dict = {"doc_id": doc_id}
        if keep_gen is not None:
            where = {"$and": [{"doc_id": doc_id}, {"gen": {"$ne": keep_gen}}]}
        self.collection(name).delete(where=where)

    def ids(self, name: str) -> set[str]:
        col = self.collection(name)
        out: set[str] = set()
        total = col.count()
        for offset in range(0, total, 10_000):
            out.update(col.get(include=[], limit=10_000, offset=offset)["ids"])
        return out

    def embeddings(self, name: str, ids: Sequence[str]) -> np.ndarray:
        """The vectors of ``ids``, in that order, as one float32 array (an export reads a
        knowledge base batch by batch).  KeyError names an id that has no vector."""
        got = self.collection(name).get(ids=list(ids), include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise KeyError(missing[0])
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def count(self, name: str) -> int:
        return self.collection(name).count()

    def query(self, name: str, embedding: np.ndarray, k: int,
              where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with their cosine distances, nearest first."""
        col = self.collection(name)
        n = col.count()
        if n == 0:
            return []
        res = col.query(query_embeddings=[np.asarray(embedding, dtype=np.float32)],
                        n_results=min(k, n), where=where, include=["distances"])
        return list(zip(res["ids"][0], res["distances"][0]))
