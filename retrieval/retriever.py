"""Hybrid retrieval over one knowledge base: keyword (BM25) and embedding lanes, fusion,
then neighbour merging, near-duplicate removal, optional MMR and optional reranking.

    retriever = Retriever(library, embedder, settings.retrieval)
    hits = retriever.search("北京冬奥会开幕日期", kb_name="default", k=6)
    for hit in hits:
        print(hit.source, hit.location, hit.score, hit.explain())

``as_langchain()`` wraps it as a LangChain ``BaseRetriever`` returning ``Document``s with
the same information in their metadata.  Qt-free.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from ingest.catalog import ChunkRow, KnowledgeBase
from retrieval import expansion as expansion_mod
from retrieval.dense import DenseHit, DenseIndex
from retrieval.fusion import DENSE_WEIGHT, Fused, dense_trust, fuse
from retrieval.keyword import B as KEYWORD_B
from retrieval.keyword import K1 as KEYWORD_K1
from retrieval.keyword import KeywordHit, KeywordIndex, feedback

log = logging.getLogger(__name__)

_CHUNK_ID = re.compile(r"^d(\d+)g(\d+)c(\d+)$")

# Names of embedders that read Chinese (and other languages) as well as English.
_MULTILINGUAL_HINTS = ("multilingual", "m3", "labse", "xlm", "chinese", "-zh", "zh-", "text2vec",
                       "e5-", "gte-", "jina", "qwen", "bce-")


# A document filter with at most this many chunks is searched exactly (vectors read by id)
# instead of through Chroma's filtered HNSW search: 400 chunks at 100k cost 15 ms CPU
# that way against 78 ms (bench/RESULTS.md).
EXACT_FILTER_CHUNKS = 1000


class RetrievalError(Exception):
    """A search that cannot be run; the message is for the user."""


@dataclass
class Hit:
    """One passage found, with where it comes from and why it was found."""

    chunk_id: str
    doc_id: int
    path: str  # document path (or pseudo-path such as beir:4983)
    title: str
    text: str
    page: int | None
    heading: str | None
    start: int  # character span within the page / section text
    end: int
    score: float  # fused (or reranked) score, higher is better
    rank: int = 0
    keyword_rank: int | None = None
    keyword_score: float | None = None  # BM25
    dense_rank: int | None = None
    dense_distance: float | None = None  # cosine distance
    fused_score: float = 0.0
    rerank_score: float | None = None
    matched: list[str] = field(default_factory=list)  # query keywords found in the passage
    chunk_ids: list[str] = field(default_factory=list)  # all chunks merged into this hit
    kb: str = ""

    @property
    def source(self) -> str:
        return self.title or self.path

    @property
    def location(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.heading:
            parts.append(self.heading)
        return ", ".join(parts)

    def explain(self) -> str:
        bits = []
        if self.keyword_rank is not None:
            bits.append(f"keyword #{self.keyword_rank} (BM25 {self.keyword_score:.2f})")
        else:
            bits.append("no keyword match")
        if self.dense_rank is not None:
            bits.append(f"embedding #{self.dense_rank} (distance {self.dense_distance:.3f})")
        else:
            bits.append("not in embedding top list")
        bits.append(f"fused {self.fused_score:.3f}")
        if self.rerank_score is not None:
            bits.append(f"reranker {self.rerank_score:.3f}")
        if self.matched:
            bits.append("matched: " + " ".join(self.matched))
        return "; ".join(bits)

    def metadata(self) -> dict[str, Any]:
        return {"chunk_id": self.chunk_id, "doc_id": self.doc_id, "source": self.path,
                "title": self.title, "page": self.page, "heading": self.heading,
                "start": self.start, "end": self.end, "score": self.score, "rank": self.rank,
                "keyword_rank": self.keyword_rank, "keyword_score": self.keyword_score,
                "dense_rank": self.dense_rank, "dense_distance": self.dense_distance,
                "fused_score": self.fused_score, "rerank_score": self.rerank_score,
                "matched_keywords": list(self.matched), "chunk_ids": list(self.chunk_ids),
                "kb": self.kb}


@dataclass
class Options:
    """Retrieval knobs (defaults follow ``app.settings.RetrievalSettings``)."""

    top_k: int = 6
    fusion: str = "adaptive"
    rrf_k: int = 60
    use_keywords: bool = True  # ChatLaw-style keyword expansion
    mmr: bool = False
    reranker: str = ""
    min_relevance: float = 0.0
    depth: int = 100  # candidates per lane
    dense_weight: float = DENSE_WEIGHT
    # ChatLaw-style expansion, both parts measured to cost nDCG on SciFact and RGB with
    # the bundled embedder (bench/RESULTS.md), so off unless asked for:
    expand_embedding: float = 0.0  # alpha of the keyword-embedding mix (0 = off)
    expand_bm25: bool = False  # extra BM25 weight on extracted keywords (measured: hurts)
    prf_weight: float = 0.4  # keyword feedback, scaled by (1 - trust in the embedding lane)
    prf_docs: int = 10
    prf_terms: int = 10
    mmr_lambda: float = 0.7
    dedupe_threshold: float = 0.9
    # Keyword lane in a worker thread while the query is embedded and Chroma searched:
    # the same hits, p50 -30 % at 100k chunks on a loaded 2-core machine (bench/RESULTS.md).
    parallel_lanes: bool = True
    bm25_k1: float = KEYWORD_K1
    bm25_b: float = KEYWORD_B

    @classmethod
    def from_settings(cls, settings) -> "Options":
        if settings is None:
            return cls()
        if isinstance(settings, Options):
            return settings
        o = cls()
        for name in ("top_k", "fusion", "rrf_k", "use_keywords", "mmr", "reranker",
                     "min_relevance"):
            if hasattr(settings, name):
                setattr(o, name, getattr(settings, name))
        return o


@dataclass
class _Lanes:
    keyword: list[KeywordHit]
    dense: list[DenseHit]
    terms: list[str]
    keywords: list[tuple[str, float]]
    rowid_chunk: dict[int, tuple[str, int]]  # rowid -> (chunk id, doc id)


def is_multilingual(embedder_name: str) -> bool:
    name = (embedder_name or "").lower()
    return any(h in name for h in _MULTILINGUAL_HINTS)


class Retriever:
    def __init__(self, library, embedder, settings=None, *, multilingual: bool | None = None):
        self.library = library
        self.embedder = embedder
        self.options = Options.from_settings(settings)
        self.multilingual = (is_multilingual(getattr(embedder, "name", ""))
                             if multilingual is None else multilingual)
        self._indexes: dict[int, KeywordIndex] = {}
        self._docs: dict[int, tuple[int, dict[int, tuple[str, str]]]] = {}
        self._reranker = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.last_timings: dict[str, float] = {}

    # --- knowledge base and documents ---------------------------------------------

    def _kb(self, kb_name: str | None) -> KnowledgeBase:
        from ingest.library import DEFAULT_KB

        name = kb_name or DEFAULT_KB
        kb = self.library.catalog.kb(name)
        if kb is None:
            known = ", ".join(k.name for k in self.library.kbs()) or "none yet"
            raise RetrievalError(f"no knowledge base named {name!r} (known: {known})")
        return kb

    def _documents(self, kb: KnowledgeBase) -> dict[int, tuple[str, str]]:
        """Ready documents of the knowledge base: id -> (path, title); cached per change."""
        db = self.library.catalog.db
        version = db.execute("PRAGMA data_version").fetchone()[0]
        total = db.total_changes
        key = (version, total)
        cached = self._docs.get(kb.id)
        if cached is None or cached[0] != key:
            rows = db.execute("SELECT id, path, title FROM documents WHERE kb_id = ? AND "
                              "status = 'ready'", (kb.id,)).fetchall()
            cached = (key, {r[0]: (r[1], r[2] or "") for r in rows})
            self._docs[kb.id] = cached
        return cached[1]

    def _doc_filter(self, kb: KnowledgeBase, docs: dict[int, tuple[str, str]],
                    documents: Sequence[int | str] | None) -> list[int] | None:
        if documents is None:
            return None
        by_path = {p: i for i, (p, _) in docs.items()}
        ids = []
        for d in documents:
            if isinstance(d, int) or (isinstance(d, str) and d.isdigit() and int(d) in docs):
                if int(d) in docs:
                    ids.append(int(d))
            else:
                import os

                p = str(d)
                if p not in by_path and not p.startswith("beir:"):
                    p = os.path.abspath(os.path.expanduser(p))
                if p in by_path:
                    ids.append(by_path[p])
                else:  # a folder: every document under it
                    prefix = p.rstrip("/") + "/"
                    ids.extend(i for q, i in by_path.items() if q.startswith(prefix))
        if not ids:
            raise RetrievalError("none of the chosen documents is in the knowledge base "
                                 f"{kb.name!r} (or none is ready yet)")
        return sorted(set(ids))

    def keyword_index(self, kb: KnowledgeBase) -> KeywordIndex:
        idx = self._indexes.get(kb.id)
        if idx is None:
            idx = KeywordIndex(self.library.catalog.db, kb.fts_table, self.library.catalog._lock)
            idx.k1, idx.b = self.options.bm25_k1, self.options.bm25_b
            self._indexes[kb.id] = idx
        return idx

    # --- the two lanes -------------------------------------------------------------

    def _embed(self, query: str, keywords: list[tuple[str, float]]) -> np.ndarray:
        alpha = self.options.expand_embedding if self.options.use_keywords else 0.0
        words = [w for w, _ in keywords] if alpha > 0 else []
        vecs = self.embedder.encode([query, *words])
        return expansion_mod.expand_embedding(vecs[0], vecs[1:], alpha)

    def _dense_weight(self, query: str) -> float:
        """Weight the embedding lane will get in fusion for this query (1 if alone)."""
        o = self.options
        if o.fusion == "keyword":
            return 0.0
        if o.fusion != "adaptive":
            return 1.0
        return o.dense_weight * dense_trust(query, self.multilingual)

    def _keyword_lane(self, query: str, kb: KnowledgeBase, doc_ids: list[int] | None,
                      depth: int, keywords: list[tuple[str, float]]):
        o = self.options
        t0 = time.perf_counter()
        index = self.keyword_index(kb)
        extra = {w: s for w, s in keywords} if (o.use_keywords and o.expand_bm25) else None
        plan = index.plan(query, extra)
        hits = index.search(query, depth, doc_ids=doc_ids, plan=plan)
        prf = o.prf_weight * (1.0 - dense_trust(query, self.multilingual))
        if prf > 0 and hits:
            hits = feedback(index, hits, plan, depth, weight=prf, docs=o.prf_docs,
                            terms=o.prf_terms, doc_ids=doc_ids)
        return hits, plan.scoring_terms, (time.perf_counter() - t0) * 1000

    def _dense_lane(self, query: str, kb: KnowledgeBase, doc_ids: list[int] | None,
                    depth: int, keywords: list[tuple[str, float]]):
        t0 = time.perf_counter()
        vec = self._embed(query, keywords)
        t1 = time.perf_counter()
        chunk_ids = self._filter_chunks(doc_ids)
        hits = DenseIndex(self.library.vectors, kb.collection).search(
            vec, depth, doc_ids=doc_ids, chunk_ids=chunk_ids)
        return hits, (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000

    def _filter_chunks(self, doc_ids: list[int] | None) -> list[str] | None:
        """The chunk ids of a document filter when they are few enough for an exact
        search (``EXACT_FILTER_CHUNKS``); otherwise ``None`` (Chroma filters)."""
        if doc_ids is None:
            return None
        marks = ",".join("?" * len(doc_ids))
        with self.library.catalog._lock:
            rows = self.library.catalog.db.execute(
                f"SELECT id FROM chunks WHERE doc_id IN ({marks}) LIMIT ?",
                [*doc_ids, EXACT_FILTER_CHUNKS + 1]).fetchall()
        return [r[0] for r in rows] if len(rows) <= EXACT_FILTER_CHUNKS else None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="wenji-keyword")
        return self._executor

    def _lanes(self, query: str, kb: KnowledgeBase, doc_ids: list[int] | None,
               depth: int, need: int | None = None) -> _Lanes:
        """Run both lanes.  The embedding lane is skipped when fusion would give it no
        weight (a Chinese query and an English-only embedder) and the keyword lane already
        found ``need`` candidates (``None``: never skipped): it could only pad the list, and at 1M chunks it costs
        the query embedding plus ~100 ms of HNSW search.  With ``parallel_lanes`` the
        keyword lane runs in a worker thread while this one embeds the query and searches
        Chroma (SQLite, ONNX Runtime and Chroma all release the GIL)."""
        o = self.options
        t0 = time.perf_counter()
        expanding = o.use_keywords and (o.expand_embedding > 0 or o.expand_bm25)
        keywords = expansion_mod.extract_keywords(query).keywords if expanding else []
        use_keyword = o.fusion != "embedding"
        use_dense = o.fusion != "keyword"
        dense_useless = use_dense and use_keyword and self._dense_weight(query) <= 0
        keyword_hits: list[KeywordHit] = []
        terms: list[str] = []
        dense_hits: list[DenseHit] = []
        keyword_ms = embed_ms = dense_ms = 0.0
        if use_keyword and use_dense and o.parallel_lanes and not dense_useless:
            future = self._pool().submit(self._keyword_lane, query, kb, doc_ids, depth, keywords)
            try:
                dense_hits, embed_ms, dense_ms = self._dense_lane(query, kb, doc_ids, depth,
                                                                   keywords)
            finally:
                keyword_hits, terms, keyword_ms = future.result()
        else:
            if use_keyword:
                keyword_hits, terms, keyword_ms = self._keyword_lane(query, kb, doc_ids, depth,
                                                                     keywords)
            if use_dense and not (dense_useless and need is not None
                                  and len(keyword_hits) >= need):
                dense_hits, embed_ms, dense_ms = self._dense_lane(query, kb, doc_ids, depth,
                                                                   keywords)
        rowid_chunk = {}
        if keyword_hits:
            marks = ",".join("?" * len(keyword_hits))
            with self.library.catalog._lock:
                rows = self.library.catalog.db.execute(
                    f"SELECT rowid, id, doc_id FROM chunks WHERE rowid IN ({marks})",
                    [h.rowid for h in keyword_hits]).fetchall()
            rowid_chunk = {r[0]: (r[1], r[2]) for r in rows}
        self.last_timings = {"keyword_ms": keyword_ms, "embed_ms": embed_ms,
                             "dense_ms": dense_ms,
                             "total_ms": (time.perf_counter() - t0) * 1000}
        return _Lanes(keyword_hits, dense_hits, terms, keywords, rowid_chunk)

    def _fuse(self, query: str, kw: list[tuple[Any, float]], de: list[tuple[Any, float]]) -> list[Fused]:
        o = self.options
        return fuse(o.fusion, kw, de, query=query, embedder_multilingual=self.multilingual,
                    rrf_k=o.rrf_k, dense_weight=o.dense_weight)

    def _check_kb(self, kb: KnowledgeBase, docs: dict) -> None:
        if not docs:
            raise RetrievalError(f"the knowledge base {kb.name!r} is empty: add documents "
                                 "first (wenji add FILES --kb NAME)")
        if kb.embedder and kb.embedder != getattr(self.embedder, "name", kb.embedder):
            raise RetrievalError(f"the knowledge base {kb.name!r} was built with the embedder "
                                 f"{kb.embedder!r}, not {self.embedder.name!r}")

    def check_kb(self, kb_name: str | None = None) -> KnowledgeBase:
        """Raise :class:`RetrievalError` (unknown, empty, other embedder) before any search."""
        kb = self._kb(kb_name)
        self._check_kb(kb, self._documents(kb))
        return kb

    # --- documents (evaluation) ----------------------------------------------------

    def search_documents(self, query: str, kb_name: str | None = "beir", k: int = 100,
                         depth: int | None = None) -> list[str]:
        """Document paths ranked by their best chunk (each lane first reduced to documents)."""
        kb = self._kb(kb_name)
        docs = self._documents(kb)
        self._check_kb(kb, docs)
        depth = depth or max(self.options.depth, 2 * k)
        lanes = self._lanes(query, kb, None, depth, need=depth)
        kw: dict[int, float] = {}
        for h in lanes.keyword:
            c = lanes.rowid_chunk.get(h.rowid)
            if c and c[1] in docs and c[1] not in kw:
                kw[c[1]] = h.score
        de: dict[int, float] = {}
        for h in lanes.dense:
            m = _CHUNK_ID.match(h.chunk_id)
            if m:
                d = int(m.group(1))
                if d in docs and d not in de:
                    de[d] = h.similarity
        fused = self._fuse(query, list(kw.items()), list(de.items()))
        return [docs[f.key][0] for f in fused[:k]]

    def lanes_for_documents(self, query: str, kb_name: str | None = "beir",
                            depth: int = 200) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(keyword, dense) document rankings with raw scores -- for tuning fusion."""
        kb = self._kb(kb_name)
        docs = self._documents(kb)
        lanes = self._lanes(query, kb, None, depth)
        kw: dict[str, float] = {}
        for h in lanes.keyword:
            c = lanes.rowid_chunk.get(h.rowid)
            if c and c[1] in docs:
                kw.setdefault(docs[c[1]][0], h.score)
        de: dict[str, float] = {}
        for h in lanes.dense:
            m = _CHUNK_ID.match(h.chunk_id)
            if m and int(m.group(1)) in docs:
                de.setdefault(docs[int(m.group(1))][0], h.similarity)
        return list(kw.items()), list(de.items())

    # --- passages ------------------------------------------------------------------

    def search(self, query: str, kb_name: str | None = None, k: int | None = None,
               documents: Sequence[int | str] | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``; ``documents`` limits the search to those
        document ids or paths (a folder path means every document under it)."""
        query = (query or "").strip()
        if not query:
            raise RetrievalError("the question is empty")
        o = self.options
        k = k or o.top_k
        kb = self._kb(kb_name)
        docs = self._documents(kb)
        self._check_kb(kb, docs)
        doc_ids = self._doc_filter(kb, docs, documents)
        lanes = self._lanes(query, kb, doc_ids, max(o.depth // 2, 4 * k), need=max(4 * k, 20))
        kw = []
        for h in lanes.keyword:
            c = lanes.rowid_chunk.get(h.rowid)
            if c and c[1] in docs:
                kw.append((c[0], h.score))
        de = [(h.chunk_id, h.similarity) for h in lanes.dense]
        fused = self._fuse(query, kw, de)
        pool = fused[: max(4 * k, 20)]
        rows = self.library.catalog.chunks_by_ids([f.key for f in pool])
        hits = []
        for f in pool:
            row = rows.get(f.key)
            if row is None or row.doc_id not in docs:
                continue  # a vector of a generation not (or no longer) current
            path, title = docs[row.doc_id]
            hits.append(Hit(chunk_id=row.id, doc_id=row.doc_id, path=path, title=title,
                            text=row.text, page=row.page, heading=row.heading, start=row.start,
                            end=row.end, score=f.score, keyword_rank=f.keyword_rank,
                            keyword_score=f.keyword_score, dense_rank=f.dense_rank,
                            dense_distance=None if f.dense_score is None else 1.0 - f.dense_score,
                            fused_score=f.score, chunk_ids=[row.id], kb=kb.name))
        hits = merge_neighbours(hits, {r.id: r for r in rows.values()})
        wanted = k if not (o.reranker or o.mmr) else max(3 * k, 20)
        hits = drop_near_duplicates(hits, o.dedupe_threshold, limit=wanted)
        self._fill_matches(kb, hits, lanes.terms, rows)
        if o.reranker:
            hits = self._rerank(query, hits)
        if o.mmr and len(hits) > k:
            hits = self._mmr(kb, hits, k)
        if o.min_relevance > 0:
            hits = [h for h in hits if h.score >= o.min_relevance]
        hits = hits[:k]
        for i, h in enumerate(hits):
            h.rank = i + 1
        return hits

    def _fill_matches(self, kb: KnowledgeBase, hits: list[Hit], terms: list[str],
                      rows: dict[str, ChunkRow]) -> None:
        if not hits or not terms:
            return
        db = self.library.catalog.db
        ids = [c for h in hits for c in h.chunk_ids]
        marks = ",".join("?" * len(ids))
        with self.library.catalog._lock:
            found = dict(db.execute(
                f"SELECT c.id, f.tokens FROM chunks c JOIN {kb.fts_table} f ON f.rowid = c.rowid "
                f"WHERE c.id IN ({marks})", ids).fetchall())
        for h in hits:
            toks = set()
            for c in h.chunk_ids:
                toks.update((found.get(c) or "").split())
            h.matched = [t for t in terms if t in toks]

    # --- optional stages ----------------------------------------------------------

    def _rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        if self._reranker is None:
            with self._lock:
                if self._reranker is None:
                    from retrieval.rerank import Reranker

                    self._reranker = Reranker(self.options.reranker)
        scores = self._reranker.score(query, [h.text for h in hits])
        for h, s in zip(hits, scores):
            h.rerank_score = float(s)
            h.score = float(s)
        return sorted(hits, key=lambda h: -h.score)

    def _mmr(self, kb: KnowledgeBase, hits: list[Hit], k: int) -> list[Hit]:
        col = self.library.vectors.collection(kb.collection)
        ids = [h.chunk_ids[0] for h in hits]
        got = col.get(ids=ids, include=["embeddings"])
        vec = {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}
        return mmr(hits, [vec.get(i) for i in ids], k, self.options.mmr_lambda)

    # --- LangChain ---------------------------------------------------------------

    def as_langchain(self, kb_name: str | None = None, k: int | None = None,
                     documents: Sequence[int | str] | None = None):
        from retrieval.langchain import WenjiRetriever

        return WenjiRetriever(retriever=self, kb_name=kb_name, k=k or self.options.top_k,
                              documents=list(documents) if documents is not None else None)


# --- post-processing (pure functions, tested on their own) ------------------------------

def merge_neighbours(hits: list[Hit], rows: dict[str, ChunkRow]) -> list[Hit]:
    """Merge hits whose chunks overlap or touch in the same document, page and section:
    the merged hit keeps the better score and spans both texts."""
    out: list[Hit] = []
    for h in hits:
        target = None
        for o in out:
            if (o.doc_id == h.doc_id and o.page == h.page and o.heading == h.heading
                    and h.start <= o.end and o.start <= h.end):
                target = o
                break
        if target is None:
            out.append(h)
            continue
        a, b = (target, h) if target.start <= h.start else (h, target)
        if b.end <= a.end:
            text, end = a.text, a.end
        else:
            cut = max(0, a.end - b.start)
            text, end = a.text + b.text[cut:], b.end
        target.text, target.start, target.end = text, a.start, end
        target.chunk_ids.extend(h.chunk_ids)
        target.matched = list(dict.fromkeys(target.matched + h.matched))
        for attr in ("keyword_rank", "dense_rank"):
            hv, tv = getattr(h, attr), getattr(target, attr)
            if hv is not None and (tv is None or hv < tv):
                setattr(target, attr, hv)
                if attr == "keyword_rank":
                    target.keyword_score = h.keyword_score
                else:
                    target.dense_distance = h.dense_distance
    return out


def _shingles(text: str, n: int = 3) -> set[str]:
    s = re.sub(r"\s+", " ", text.lower())
    return {s[i:i + n] for i in range(max(1, len(s) - n + 1))}


def drop_near_duplicates(hits: list[Hit], threshold: float = 0.9,
                         limit: int | None = None) -> list[Hit]:
    """Drop a hit whose text is nearly the same (character 3-gram Jaccard) as a better one;
    stop once ``limit`` hits are kept."""
    kept: list[tuple[Hit, set[str]]] = []
    for h in hits:
        if limit is not None and len(kept) >= limit:
            break
        sh = _shingles(h.text)
        n = len(sh)
        dup = False
        for _, s in kept:
            m = len(s)
            # Jaccard <= min/max: skip the set work when the sizes alone rule it out.
            if min(n, m) < threshold * max(n, m):
                continue
            inter = len(sh & s)
            if inter / max(1, n + m - inter) >= threshold:
                dup = True
                break
        if not dup:
            kept.append((h, sh))
    return [h for h, _ in kept]


def mmr(hits: list[Hit], vectors: list[np.ndarray | None], k: int, lam: float = 0.7) -> list[Hit]:
    """Maximal marginal relevance on the hits' own scores (min-max scaled) and vectors."""
    if not hits:
        return hits
    scores = np.array([h.score for h in hits], dtype=np.float32)
    rel = (scores - scores.min()) / (scores.max() - scores.min() + 1e-9)
    chosen: list[int] = []
    rest = list(range(len(hits)))
    while rest and len(chosen) < k:
        best, best_val = rest[0], -1e9
        for i in rest:
            sim = 0.0
            if chosen and vectors[i] is not None:
                sim = max(float(vectors[i] @ vectors[j]) for j in chosen if vectors[j] is not None) \
                    if any(vectors[j] is not None for j in chosen) else 0.0
            val = lam * rel[i] - (1 - lam) * sim
            if val > best_val:
                best, best_val = i, val
        chosen.append(best)
        rest.remove(best)
    return [hits[i] for i in chosen] + [hits[i] for i in rest]
