"""The Chroma side of a knowledge base: one persistent collection per knowledge base.

We always pass embeddings we computed ourselves and create collections with
``embedding_function=None``: Chroma's default embedding function would download a model,
which Wenji must never do.  Telemetry is off.

On a Chroma server every request that fails for want of the server (a restart, a
dropped connection) is sent again after growing pauses, for a bounded time
(``ingest.store.outage``), then fails with ``ServerLost``: each request may safely run
twice (upserts and deletes are idempotent, the others read).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import numpy as np

from ingest.store.outage import ride_out

log = logging.getLogger(__name__)

# Chroma's add() refuses batches above its max batch size (~5k); stay well below.
WRITE_BATCH = 2000
# HNSW candidate list per query (Chroma's ``ef_search``; at least the number of results
# asked for).  Wide enough that the approximate top 200 is the exact one in practice:
# missed neighbours shift the embedding lane's min-max range and so the fused ranking.
# Recall, quality and latency per value are in bench/RESULTS.md; collections made with
# an older value are updated when opened.
EF_SEARCH = 1000

T = TypeVar("T")


def _transient(error: BaseException) -> bool:
    """No answer from the server (refused, reset, cut off, timed out): worth sending
    again.  An answer that refuses (a wrong token, a bad request) is not."""
    import httpx

    return isinstance(error, (httpx.TransportError, ConnectionError))


class VectorStore:
    """A knowledge base's vectors: in a folder (embedded Chroma), or on a Chroma server
    (:meth:`on_server`), where every collection name carries ``prefix`` so that several
    shared libraries can use one server."""

    def __init__(self, path: Path | None = None, *, client=None, prefix: str = ""):
        self.prefix = prefix
        self.path = None if path is None else Path(path)
        if client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            self.path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(
                path=str(self.path),
                settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
            )
        self.client = client
        self.url = None  # a server's, for messages
        self._collections: dict[str, object] = {}
        # Chroma's server (1.5) fails a query that asks for embeddings (an AttributeError
        # in its FastAPI layer): there they are read by id after the query.
        self.query_returns_embeddings = path is not None

    @classmethod
    def on_server(cls, url: str, token: str | None, prefix: str) -> "VectorStore":
        """Vectors on the Chroma server at ``url`` (http[s]://host:port), as the user
        whose token this is."""
        from urllib.parse import urlsplit

        import chromadb
        from chromadb.config import Settings as ChromaSettings

        parts = urlsplit(url)
        settings = {"anonymized_telemetry": False}
        if token:
            settings.update(
                chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
                chroma_client_auth_credentials=token)
        client = chromadb.HttpClient(host=parts.hostname or "127.0.0.1",
                                     port=parts.port or (443 if parts.scheme == "https" else 8000),
                                     ssl=parts.scheme == "https",
                                     settings=ChromaSettings(**settings))
        store = cls(client=client, prefix=prefix)
        store.url = url
        return store

    def _call(self, request: Callable[[], T]) -> T:
        """``request()``, sent again while a server does not answer (see the module
        docstring); in a folder, just ``request()``."""
        if self.url is None:
            return request()
        return ride_out(request, transient=_transient, server=self.url)

    def collection(self, name: str):
        col = self._collections.get(name)
        if col is None:
            col = self._call(lambda: self._open_collection(name))
        return col

    def _open_collection(self, name: str):
        col = self._collections.get(name)
        if col is None:
            col = self._existing(name) if self.path is None else None
            if col is None:
                col = self._create(name)
            hnsw = (col.configuration_json or {}).get("hnsw") or {}
            if hnsw and hnsw.get("ef_search") != EF_SEARCH:  # made by an older version
                try:
                    col.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
                except Exception as exc:  # a reader's token on a server may not
                    log.log(logging.INFO if self.path is None else logging.WARNING,
                            "ef_search of %s left at %s: %s", name, hnsw.get("ef_search"), exc)
            self._collections[name] = col
        return col

    def _create(self, name: str):
        try:
            return self.client.get_or_create_collection(
                name=self.prefix + name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_construction": 128,
                                        "ef_search": EF_SEARCH, "max_neighbors": 16}},
            )
        except Exception:
            # two clients of one server may create the same collection at once: the
            # server checks, then inserts, and the later insert fails; the other's is it
            col = self._existing(name) if self.path is None else None
            if col is None:
                raise
            return col

    def _existing(self, name: str):
        """The server's collection if it exists (a reader's token may read it but not
        ask for it to be created)."""
        from chromadb.errors import NotFoundError

        try:
            return self.client.get_collection(name=self.prefix + name, embedding_function=None)
        except (NotFoundError, ValueError):
            return None

    def drop(self, name: str) -> None:
        self._collections.pop(name, None)

        def delete():
            try:
                self.client.delete_collection(self.prefix + name)
            except Exception as exc:  # already gone (an interrupted delete finished it)
                if _transient(exc):
                    raise
                log.debug("delete_collection(%s): %s", name, exc)

        self._call(delete)

    def add(self, name: str, ids: Sequence[str], embeddings: np.ndarray,
            metadatas: Sequence[dict]) -> None:
        col = self.collection(name)
        for i in range(0, len(ids), WRITE_BATCH):
            batch = dict(ids=list(ids[i:i + WRITE_BATCH]),
                         embeddings=np.asarray(embeddings[i:i + WRITE_BATCH], dtype=np.float32),
                         metadatas=list(metadatas[i:i + WRITE_BATCH]))
            self._call(lambda: col.upsert(**batch))

    def delete_document(self, name: str, doc_id: int, keep_gen: int | None = None) -> None:
        """Delete a document's vectors, all of them or all but generation ``keep_gen``."""
        where: dict = {"doc_id": doc_id}
        if keep_gen is not None:
            where = {"$and": [{"doc_id": doc_id}, {"gen": {"$ne": keep_gen}}]}
        col = self.collection(name)
        self._call(lambda: col.delete(where=where))

    def delete_generation(self, name: str, doc_id: int, gen: int) -> None:
        """Delete the vectors of one generation of a document (one that will never be
        current: a shared library hands out each generation number once)."""
        col = self.collection(name)
        self._call(lambda: col.delete(where={"$and": [{"doc_id": doc_id}, {"gen": gen}]}))

    def ids(self, name: str) -> set[str]:
        col = self.collection(name)
        out: set[str] = set()
        total = self._call(col.count)
        for offset in range(0, total, 10_000):
            out.update(self._call(lambda: col.get(include=[], limit=10_000,
                                                  offset=offset))["ids"])
        return out

    def embeddings(self, name: str, ids: Sequence[str]) -> np.ndarray:
        """The vectors of ``ids``, in that order, as one float32 array (an export reads a
        knowledge base batch by batch).  KeyError names an id that has no vector."""
        col = self.collection(name)
        got = self._call(lambda: col.get(ids=list(ids), include=["embeddings"]))
        by_id = dict(zip(got["ids"], got["embeddings"]))
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise KeyError(missing[0])
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def count(self, name: str) -> int:
        col = self.collection(name)
        return self._call(col.count)

    def query(self, name: str, embedding: np.ndarray, k: int,
              where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with their cosine distances, nearest first."""
        col = self.collection(name)
        n = self._call(col.count)
        if n == 0:
            return []
        res = self._call(lambda: col.query(
            query_embeddings=[np.asarray(embedding, dtype=np.float32)], n_results=min(k, n),
            where=where, include=["distances"]))
        return list(zip(res["ids"][0], res["distances"][0]))
