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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ingest.store.catalog import KnowledgeBase
from models.reasons import Explained, Reason
from models.scripts import latin_trust
from retrieval.dense import DenseHit, DenseIndex, rocchio
from retrieval.fusion import Fused, dense_trust, fuse
from retrieval.hit import Hit
from retrieval.keyword import KeywordHit, KeywordIndex, feedback, idf, open_keyword_index
from retrieval.named_documents import PROFILE_CHUNKS, Named, Profile, build_profiles, resolve
from retrieval.options import RetrievalOptions
from retrieval.postprocess import (drop_near_duplicates, merge_neighbours, mmr,
                                   spread_over_documents, widen)

log = logging.getLogger(__name__)

# Names of embedders that read Chinese (and other languages) as well as English.
_MULTILINGUAL_HINTS = ("multilingual", "m3", "labse", "xlm", "chinese", "-zh", "zh-", "text2vec",
                       "e5-", "gte-", "jina", "qwen", "bce-")


# A document filter with at most this many chunks is searched exactly (vectors read by id)
# instead of through Chroma's filtered HNSW search, which is several times slower for
# small filters (bench/RESULTS.md).
EXACT_FILTER_CHUNKS = 1000


class RetrievalError(Explained, Exception):
    """A search that cannot be run; the message is for the user."""


@dataclass
class Lanes:
    """Both lanes' candidates for one query, before fusion."""

    keyword: list[KeywordHit]
    dense: list[DenseHit]
    terms: list[str]  # the query's keyword terms that scored
    rowid_chunk: dict[int, tuple[str, int]]  # keyword rowid -> (chunk id, doc id)


def is_multilingual(embedder_name: str) -> bool:
    name = (embedder_name or "").lower()
    return any(h in name for h in _MULTILINGUAL_HINTS)


class Retriever:
    def __init__(self, library, embedder, options: RetrievalOptions | None = None, *,
                 multilingual: bool | None = None):
        self.library = library
        self.embedder = embedder
        self.options = options or RetrievalOptions()
        self.multilingual = (is_multilingual(getattr(embedder, "name", ""))
                             if multilingual is None else multilingual)
        self._indexes: dict[int, KeywordIndex] = {}
        self._docs: dict[int, tuple[int, dict[int, tuple[str, str]]]] = {}
        self._profiles: dict[int, tuple[tuple, list[Profile]]] = {}
        # kb id -> (word -> documents holding it, the profiles entry it was counted for)
        self._word_docs: dict[int, tuple[dict[str, int], tuple | None]] = {}
        self.last_named: Named | None = None
        self._reranker = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.last_timings: dict[str, float] = {}
        self._siblings: dict[str, Retriever] = {}

    # --- knowledge base and documents ---------------------------------------------

    def for_kb(self, kb_name: str | None) -> "Retriever":
        """The retriever that searches ``kb_name``: this one, or -- for a knowledge base
        built with another *bundled* embedder (MiniLM before the pair became the default,
        say) -- one over that embedder, so the knowledge base keeps working until it is
        re-embedded.  A model the configured one already holds is shared (the pair holds
        MiniLM and e5); another is opened on first use with the same runtime and cache.
        An unknown knowledge base, or one of a foreign folder, is left to ``_check_kb``."""
        own = getattr(self.embedder, "name", None)
        try:
            kb = self._kb(kb_name)
        except RetrievalError:
            return self
        if not kb.embedder or kb.embedder == own:
            return self
        with self._lock:
            sibling = self._siblings.get(kb.embedder)
            if sibling is None:
                embedder = _bundled_embedder(kb.embedder, self.embedder)
                if embedder is None:
                    return self
                sibling = Retriever(self.library, embedder, self.options)
                sibling._siblings = self._siblings
                self._siblings[kb.embedder] = sibling
        return sibling

    def _kb(self, kb_name: str | None) -> KnowledgeBase:
        from ingest.store.library import DEFAULT_KB

        name = kb_name or DEFAULT_KB
        kb = self.library.catalog.kb(name)
        if kb is None:
            known = ", ".join(k.name for k in self.library.kbs()) or "none yet"
            raise RetrievalError(Reason("no_such_kb", "no knowledge base named {name!r} (known: "
                                        "{known})", name=name, known=known))
        return kb

    def _documents(self, kb: KnowledgeBase) -> dict[int, tuple[str, str]]:
        """Ready documents of the knowledge base: id -> (path, title); cached per change."""
        catalog = self.library.catalog
        key = catalog.change_marker()
        cached = self._docs.get(kb.id)
        if cached is None or cached[0] != key:
            cached = (key, catalog.ready_documents(kb.id))
            self._docs[kb.id] = cached
        return cached[1]

    def profiles(self, kb: KnowledgeBase) -> list[Profile]:
        """Name profiles of the knowledge base's file documents; cached per change."""
        self._documents(kb)
        key = self._docs[kb.id][0]
        cached = self._profiles.get(kb.id)
        if cached is None or cached[0] != key:
            docs = self._docs[kb.id][1]
            openings: dict[int, str] = {}
            for doc_id, text in self.library.catalog.opening_chunks(kb.id, PROFILE_CHUNKS):
                openings[doc_id] = f"{openings.get(doc_id, '')} {text}"
            cached = (key, build_profiles(docs, openings))
            self._profiles[kb.id] = cached
        return cached[1]

    def documents_with(self, term: str, kb_name: str | None = None) -> int:
        """How many ready documents of the knowledge base hold ``term`` (analyzer tokens,
        space-separated: a sequence) in their text; counted once until it changes."""
        return self._documents_with(term, self._kb(kb_name))

    def _documents_with(self, term: str, kb: KnowledgeBase) -> int:
        self.profiles(kb)
        counts = self._word_docs.setdefault(kb.id, ({}, None))
        if counts[1] is not self._profiles[kb.id]:
            counts = self._word_docs[kb.id] = ({}, self._profiles[kb.id])
        if term not in counts[0]:
            counts[0][term] = self.keyword_index(kb).documents_with(term)
        return counts[0][term]

    def text_contains(self, text: str, kb_name: str | None = None) -> bool:
        """Whether some passage of the knowledge base holds ``text`` as written (a scan:
        for the rare word a tokenizer may split unlike the passage, such as a Chinese
        name)."""
        return self.library.catalog.text_contains(self._kb(kb_name).id, text)

    def holds_chinese(self, kb_name: str | None = None) -> bool:
        """Whether the knowledge base's keyword index has Chinese words at all."""
        try:
            return self.keyword_index(self._kb(kb_name)).has_cjk_terms()
        except Exception as exc:  # an index of another version: say yes, check nothing less
            log.warning("keyword vocabulary unavailable: %s", exc)
            return True

    def document_count(self, kb_name: str | None = None) -> int:
        return len(self._documents(self._kb(kb_name)))

    def cover_words(self, kb_name: str | None = None) -> dict[int, set[str]]:
        """Each file document's cover words: file name, title and the name-like words of
        its first passages (:func:`retrieval.named_documents.build_profiles`)."""
        return {p.doc_id: p.words for p in self.profiles(self._kb(kb_name))}

    def cover_names(self, kb_name: str | None = None) -> set[str]:
        """The name-like words of every file document's cover as written (lower case, not
        stemmed): what a question asked in another language is matched against."""
        return set().union(*(p.names for p in self.profiles(self._kb(kb_name))))

    def word_embedder(self, kb_name: str | None = None):
        """The knowledge base's embedder when it places words of different languages in
        one space (a multilingual model, or the multilingual half of the default pair);
        None otherwise."""
        embedder = self.for_kb(kb_name).embedder
        if not getattr(embedder, "multilingual", False):
            return None
        return getattr(embedder, "wide", embedder)

    def named_documents(self, query: str, kb_name: str | None = None) -> list[int]:
        """The ids of the documents ``query`` names by file name, title or period
        ("the Q2 2023 AAPL filing"); [] when it names none."""
        named = self._named(query, self._kb(kb_name))
        return list(named.doc_ids) if named else []

    def _named(self, query: str, kb: KnowledgeBase) -> Named | None:
        """The documents ``query`` names (see :mod:`retrieval.named_documents`).  How many
        documents hold a word is counted once per word until the library changes (the
        profiles' cache key): a search must not repeat the same FTS5 scans."""
        return resolve(query, self.profiles(kb), lambda word: self._documents_with(word, kb))

    def scope(self, kb_name: str | None, documents: Sequence[int | str]) -> list[int]:
        """The ids of the ready documents ``documents`` names (ids, paths, folders);
        :class:`RetrievalError` when it names none of them."""
        kb = self._kb(kb_name)
        return self._doc_filter(kb, self._documents(kb), documents) or []

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
            raise RetrievalError(Reason("documents_not_in_kb", "none of the chosen documents is "
                                        "in the knowledge base {kb!r} (or none is ready yet)",
                                        kb=kb.name))
        return sorted(set(ids))

    def keyword_index(self, kb: KnowledgeBase) -> KeywordIndex:
        idx = self._indexes.get(kb.id)
        if idx is None:
            idx = open_keyword_index(self.library.catalog, kb)
            idx.k1, idx.b = self.options.bm25_k1, self.options.bm25_b
            self._indexes[kb.id] = idx
        return idx

    def term_weights(self, terms: set[str], kb_name: str | None) -> dict[str, float] | None:
        """BM25 IDF of each term in the knowledge base's keyword index; a term the
        documents never use gets the highest weight (its absence matters most).  None if
        the index cannot be read (callers fall back to unweighted terms then)."""
        try:
            index = self.keyword_index(self._kb(kb_name))
            with index.lock:
                n = max(1, index.total_rows())
                df = index.doc_freqs(sorted(terms), n)
            return {t: idf(df.get(t, 0), n) for t in terms}
        except Exception as exc:  # an index of another version, a closed library, ...
            log.warning("keyword weights unavailable: %s", exc)
            return None

    # --- the two lanes -------------------------------------------------------------

    def relevant_similarity_for(self, query: str, kb_name: str | None = None) -> float | None:
        """The cosine similarity at which this embedder (that of ``kb_name`` if given: see
        :meth:`for_kb`) calls a passage relevant to ``query`` (None: not measured for this
        model); see models.embedder.RELEVANT_SIMILARITY."""
        if kb_name is not None and (other := self.for_kb(kb_name)) is not self:
            return other.relevant_similarity_for(query)
        level = getattr(self.embedder, "relevant_similarity_for", None)
        return level(query) if level is not None else None

    def feedback_share(self, query: str) -> float:
        """How much pseudo-relevance feedback the lanes use for ``query``, 0..1: full for
        Chinese questions (short, with few and ambiguous words; the news-style passages
        they ask about agree on a topic) and wherever the embedding lane cannot read the
        question; none for English (it costs scientific abstracts: bench/RESULTS.md)."""
        return max(1.0 - latin_trust(query), 1.0 - self.dense_trust(query))

    def dense_trust(self, query: str, kb_name: str | None = None) -> float:
        """How far the embedding lane is trusted for this query (0..1): an English-only
        embedder is not trusted with a Chinese query, a multilingual one is.  With
        ``kb_name``: the embedder that searches that knowledge base (:meth:`for_kb`)."""
        if kb_name is not None and (other := self.for_kb(kb_name)) is not self:
            return other.dense_trust(query)
        return dense_trust(query, self.multilingual)

    def _dense_weight(self, query: str) -> float:
        """Weight the embedding lane will get in fusion for this query (1 if alone)."""
        o = self.options
        if o.fusion == "keyword":
            return 0.0
        if o.fusion != "adaptive":
            return 1.0
        return o.dense_weight * self.dense_trust(query)

    def _keyword_lane(self, query: str, kb: KnowledgeBase, doc_ids: list[int] | None,
                      depth: int):
        o = self.options
        t0 = time.perf_counter()
        index = self.keyword_index(kb)
        plan = index.plan(query)
        hits = index.search(query, depth, doc_ids=doc_ids, plan=plan)
        prf = o.prf_weight * self.feedback_share(query)
        if prf > 0 and hits:
            hits = feedback(index, hits, plan, depth, weight=prf, docs=o.prf_docs,
                            terms=o.prf_terms, doc_ids=doc_ids)
        return hits, plan.scoring_terms, (time.perf_counter() - t0) * 1000

    def _dense_lane(self, query: str, kb: KnowledgeBase, doc_ids: list[int] | None,
                    depth: int):
        t0 = time.perf_counter()
        vec = self.embedder.encode_queries([query])[0]
        t1 = time.perf_counter()
        chunk_ids = self._filter_chunks(doc_ids)
        index = DenseIndex(self.library.vectors, kb.collection)
        weight = self.options.dense_prf_weight * self.feedback_share(query)
        if weight > 0:
            best = index.nearest_vectors(vec, self.options.dense_prf_chunks, doc_ids=doc_ids,
                                         chunk_ids=chunk_ids)
            if len(best) and best.shape[-1] == len(vec):
                as_queries = getattr(self.embedder, "passages_as_queries", None)
                if as_queries is not None:
                    best = as_queries(vec, best)
                vec = rocchio(vec, best, weight)
        hits = index.search(vec, depth, doc_ids=doc_ids, chunk_ids=chunk_ids)
        return hits, (t1 - t0) * 1000, (time.perf_counter() - t1) * 1000

    def _filter_chunks(self, doc_ids: list[int] | None) -> list[str] | None:
        """The chunk ids of a document filter when they are few enough for an exact
        search (``EXACT_FILTER_CHUNKS``); otherwise ``None`` (Chroma filters)."""
        if doc_ids is None:
            return None
        ids = self.library.catalog.chunk_ids_of(doc_ids, EXACT_FILTER_CHUNKS + 1)
        return ids if len(ids) <= EXACT_FILTER_CHUNKS else None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="wenji-keyword")
        return self._executor

    def _lanes(self, query: str, kb: KnowledgeBase, doc_ids: list[int] | None,
               depth: int, need: int | None = None) -> Lanes:
        """Run both lanes.  The embedding lane is skipped when fusion would give it no
        weight (a Chinese query and an English-only embedder) and the keyword lane already
        found ``need`` candidates (``None``: never skipped): it could only pad the list, and at 1M chunks it costs
        the query embedding plus ~100 ms of HNSW search.  With ``parallel_lanes`` the
        keyword lane runs in a worker thread while this one embeds the query and searches
        Chroma (SQLite, ONNX Runtime and Chroma all release the GIL)."""
        o = self.options
        t0 = time.perf_counter()
        use_keyword = o.fusion != "embedding"
        use_dense = o.fusion != "keyword"
        dense_useless = use_dense and use_keyword and self._dense_weight(query) <= 0
        keyword_hits: list[KeywordHit] = []
        terms: list[str] = []
        dense_hits: list[DenseHit] = []
        keyword_ms = embed_ms = dense_ms = 0.0
        if use_keyword and use_dense and o.parallel_lanes and not dense_useless:
            future = self._pool().submit(self._keyword_lane, query, kb, doc_ids, depth)
            try:
                dense_hits, embed_ms, dense_ms = self._dense_lane(query, kb, doc_ids, depth)
            finally:
                keyword_hits, terms, keyword_ms = future.result()
        else:
            if use_keyword:
                keyword_hits, terms, keyword_ms = self._keyword_lane(query, kb, doc_ids, depth)
            if use_dense and not (dense_useless and need is not None
                                  and len(keyword_hits) >= need):
                dense_hits, embed_ms, dense_ms = self._dense_lane(query, kb, doc_ids, depth)
        rowid_chunk = self.library.catalog.chunk_keys([h.rowid for h in keyword_hits])
        self.last_timings = {"keyword_ms": keyword_ms, "embed_ms": embed_ms,
                             "dense_ms": dense_ms,
                             "total_ms": (time.perf_counter() - t0) * 1000}
        return Lanes(keyword_hits, dense_hits, terms, rowid_chunk)

    def fuse(self, query: str, kw: list[tuple[Any, float]], de: list[tuple[Any, float]]) -> list[Fused]:
        """One ranking of both lanes' (key, score) lists, as this retriever fuses them."""
        o = self.options
        return fuse(o.fusion, kw, de, query=query, embedder_multilingual=self.multilingual,
                    rrf_k=o.rrf_k, dense_weight=o.dense_weight)

    def _check_kb(self, kb: KnowledgeBase, docs: dict) -> None:
        if not docs:
            raise RetrievalError(Reason("kb_empty", "the knowledge base {kb!r} is empty: add "
                                        "documents first (wenji add FILES --kb NAME)",
                                        kb=kb.name))
        if kb.embedder and kb.embedder != getattr(self.embedder, "name", kb.embedder):
            raise RetrievalError(Reason(
                "kb_other_embedder", "the knowledge base {kb!r} was built with the embedder "
                "{built!r}, not {current!r}: re-embed it (`wenji kb reembed {kb}`, or Re-embed "
                "in the window) or choose that embedder in the settings",
                kb=kb.name, built=kb.embedder, current=self.embedder.name))

    def check_kb(self, kb_name: str | None = None) -> KnowledgeBase:
        """Raise :class:`RetrievalError` (unknown, empty, other embedder) before any search."""
        if (other := self.for_kb(kb_name)) is not self:
            return other.check_kb(kb_name)
        kb = self._kb(kb_name)
        self._check_kb(kb, self._documents(kb))
        return kb

    def lanes(self, query: str, kb_name: str | None, depth: int
              ) -> tuple[dict[int, tuple[str, str]], Lanes]:
        """The knowledge base's ready documents (id -> (path, title)) and both lanes'
        unfused candidates for ``query`` over all of them (``depth`` per lane): the
        material of rankings other than passages (``retrieval.evaluation`` ranks whole
        documents)."""
        if (other := self.for_kb(kb_name)) is not self:
            return other.lanes(query, kb_name, depth)
        kb = self._kb(kb_name)
        docs = self._documents(kb)
        self._check_kb(kb, docs)
        return docs, self._lanes(query, kb, None, depth, need=depth)

    # --- passages ------------------------------------------------------------------

    def search(self, query: str, kb_name: str | None = None, k: int | None = None,
               documents: Sequence[int | str] | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``; ``documents`` limits the search to those
        document ids or paths (a folder path means every document under it)."""
        query = (query or "").strip()
        if not query:
            raise RetrievalError(Reason("question_empty", "the question is empty"))
        if (other := self.for_kb(kb_name)) is not self:
            hits = other.search(query, kb_name, k, documents)
            self.last_named, self.last_timings = other.last_named, other.last_timings
            return hits
        o = self.options
        k = k or o.top_k
        kb = self._kb(kb_name)
        docs = self._documents(kb)
        self._check_kb(kb, docs)
        self.last_named = None
        if documents is None and o.named_documents:
            named = self._named(query, kb)
            if named is not None:
                hits = self._search(query, kb, docs, named.doc_ids,
                                    k if len(named.doc_ids) == 1 else 3 * k)
                hits = spread_over_documents(hits, k)
                for h in hits:
                    h.named = named.names
                if len(hits) < k:  # the named documents hold too little: fill up
                    seen = {h.chunk_id for h in hits}
                    hits += [h for h in self._search(query, kb, docs, None, k)
                             if h.chunk_id not in seen][: k - len(hits)]
                self.last_named = named
                return self._ranked(self._widened(hits))
        hits = self._search(query, kb, docs, self._doc_filter(kb, docs, documents), k)
        return self._ranked(self._widened(hits))

    def _widened(self, hits: list[Hit]) -> list[Hit]:
        """The passages with their neighbouring chunks (``options.window``)."""
        window = self.options.window
        if window <= 0 or not hits:
            return hits
        catalog = self.library.catalog
        with catalog._lock:
            rows = catalog.chunks_by_ids([c for h in hits for c in h.chunk_ids])
            index_of = {r.id: (r.doc_id, r.index) for r in rows.values()}
            wanted = {(d, i + step) for d, i in index_of.values()
                      for n in range(1, window + 1) for step in (-n, n)}
            chunk_at = catalog.chunks_at(wanted - set(index_of.values()))
        return widen(hits, index_of, chunk_at, window)

    @staticmethod
    def _ranked(hits: list[Hit]) -> list[Hit]:
        for i, h in enumerate(hits):
            h.rank = i + 1
        return hits

    def _search(self, query: str, kb: KnowledgeBase, docs: dict[int, tuple[str, str]],
                doc_ids: list[int] | None, k: int) -> list[Hit]:
        """The ``k`` best passages among ``doc_ids`` (None: all documents)."""
        o = self.options
        lanes = self._lanes(query, kb, doc_ids, max(o.depth // 2, 4 * k), need=max(4 * k, 20))
        kw = []
        for h in lanes.keyword:
            c = lanes.rowid_chunk.get(h.rowid)
            if c and c[1] in docs:
                kw.append((c[0], h.score))
        de = [(h.chunk_id, h.similarity) for h in lanes.dense]
        fused = self.fuse(query, kw, de)
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
                            fused_score=f.score, chunk_ids=[row.id], kb=kb.name,
                            page_label=row.page_label, ocr=row.ocr))
        hits = merge_neighbours(hits)
        wanted = k if not (o.reranker or o.mmr) else max(3 * k, 20)
        hits = drop_near_duplicates(hits, o.dedupe_threshold, limit=wanted)
        self._fill_matches(kb, hits, lanes.terms)
        if o.reranker:
            hits = self._rerank(query, hits)
        if o.mmr and len(hits) > k:
            hits = self._mmr(kb, hits, k)
        if o.min_relevance > 0:
            hits = [h for h in hits if h.score >= o.min_relevance]
        return hits[:k]

    def _fill_matches(self, kb: KnowledgeBase, hits: list[Hit], terms: list[str]) -> None:
        if not hits or not terms:
            return
        found = self.library.catalog.tokens_by_chunk_id(kb, [c for h in hits
                                                             for c in h.chunk_ids])
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


def _bundled_embedder(name: str, configured):
    """An embedder for the bundled model ``name``: the configured embedder's own part if
    it holds that model (the pair's ``english`` or ``wide``), else a new one with the
    configured runtime and cache; None if ``name`` is no bundled model."""
    from models import bundled

    if not bundled.is_bundled_embedder(name):
        return None
    for part in (getattr(configured, "english", None), getattr(configured, "wide", None)):
        if part is not None and part.name == name:
            return part
    from models.embedder_pair import open_embedder

    return open_embedder(name, backend=getattr(configured, "backend", "onnx-fp32"),
                         threads=getattr(configured, "threads", 0),
                         cache_dir=getattr(configured, "cache_dir", None))
