"""The Chroma side of a knowledge base: the HNSW search must find (nearly) the exact
nearest chunks, also in collections made by an older Wenji with a smaller ``ef_search``."""

from __future__ import annotations

import numpy as np

from ingest.store.vectors import EF_SEARCH, VectorStore

K = 200


def _vectors(n: int, dim: int = 384, seed: int = 7) -> np.ndarray:
    # Clustered like real embeddings (topics), not uniform noise.
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    v = centres[rng.integers(0, len(centres), n)] + 0.8 * rng.normal(size=(n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _recall(store: VectorStore, name: str, vecs: np.ndarray, queries: np.ndarray) -> float:
    found = 0
    for q in queries:
        exact = set(np.argsort(-(vecs @ q))[:K].tolist())
        got = {int(cid) for cid, _ in store.query(name, q, K)}
        found += len(exact & got)
    return found / (K * len(queries))


def test_old_collections_get_the_wider_search_and_find_the_exact_neighbours(tmp_path):
    import chromadb
    from chromadb.config import Settings

    vecs = _vectors(6000)
    queries = _vectors(20, seed=11)
    path = tmp_path / "chroma"
    old = chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False,
                                                                       allow_reset=False))
    col = old.create_collection("kb1", embedding_function=None, configuration={
        "hnsw": {"space": "cosine", "ef_construction": 128, "ef_search": 96, "max_neighbors": 16}})
    ids = [str(i) for i in range(len(vecs))]
    for i in range(0, len(ids), 2000):
        col.add(ids=ids[i:i + 2000], embeddings=vecs[i:i + 2000],
                metadatas=[{"doc_id": 1}] * len(ids[i:i + 2000]))
    found = 0
    for q in queries:
        exact = set(np.argsort(-(vecs @ q))[:K].tolist())
        res = col.query(query_embeddings=[q], n_results=K, include=[])
        found += len(exact & {int(c) for c in res["ids"][0]})
    old_recall = found / (K * len(queries))
    # A new start of the app: the old client closed, as when the app quits (left open,
    # its system could hold Chroma's SQLite file while the new one changes the
    # configuration: once, under load, the change was refused and ef_search stayed 96).
    from chromadb.api.client import SharedSystemClient

    old.close()
    SharedSystemClient.clear_system_cache()

    store = VectorStore(path)
    assert store.collection("kb1").configuration_json["hnsw"]["ef_search"] == EF_SEARCH
    new_recall = _recall(store, "kb1", vecs, queries)
    # (these clustered vectors are harder for HNSW than real embeddings: 0.85 -> 0.99)
    assert new_recall >= 0.98, (old_recall, new_recall)
    assert new_recall > old_recall + 0.05  # the old setting really missed neighbours here

    # The change is stored with the collection, not only in this process.
    SharedSystemClient.clear_system_cache()
    reopened = chromadb.PersistentClient(path=str(path), settings=Settings(
        anonymized_telemetry=False, allow_reset=False)).get_collection("kb1")
    assert reopened.configuration_json["hnsw"]["ef_search"] == EF_SEARCH


def test_new_collections_are_made_with_the_wider_search(tmp_path):
    store = VectorStore(tmp_path / "chroma")
    vecs = _vectors(3000)
    store.add("kb2", [str(i) for i in range(len(vecs))], vecs, [{"doc_id": 1}] * len(vecs))
    assert store.collection("kb2").configuration_json["hnsw"]["ef_search"] == EF_SEARCH
    assert _recall(store, "kb2", vecs, _vectors(10, seed=5)) >= 0.98
