"""The keyword lane: BM25 over a knowledge base's FTS5 table.

The query is tokenized like the chunks were (``ingest.analyzer``) and becomes an OR of
quoted tokens; FTS5's ``bm25()`` picks the top candidates, which are re-scored with BM25
parameters better suited to chunks (``K1``, ``B``).  FTS5 scores every row that matches any
term, so a term found in a large part of the collection ("study", "表示") costs a lot of
time and adds almost nothing to the ranking (its IDF is near zero): such terms are
dropped when the query has rarer ones (document frequencies come from an ``fts5vocab``
table, cached per connection).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Sequence

from ingest.analyzer import tokenize

# A term in more than this share of the chunks is dropped (if rarer terms remain).
COMMON_SHARE = 0.25
# Never send more than this many distinct terms (rarest first).
MAX_TERMS = 32
# FTS5 scores every row matching any term: its cost grows with the summed document
# frequencies of the terms.  Terms are taken rarest first until this many postings (the
# rarest term is always kept); the terms over budget do not choose candidates but still
# count when the candidates are re-scored, so the budget bounds the query's cost without
# changing the ranking of the candidates (bench/RESULTS.md has the cost and quality per
# budget).  Feedback queries keep to the same budget.
MAX_POSTINGS = 5_000
# BM25 parameters the candidates are re-scored with.  FTS5's bm25() has k1 = 1.2 and
# b = 0.75 built in; k1 = 0.9, b = 0.4 are Anserini's defaults for BEIR-style collections
# (not tuned here).  Weaker length normalisation suits chunks, whose lengths vary less
# than documents' (bench/RESULTS.md).  FTS5 still chooses the candidates (the top ``k``
# by its own BM25).
K1 = 0.9
B = 0.4


@dataclass
class KeywordHit:
    rowid: int
    rank: int  # 1-based
    score: float  # BM25, higher is better
    matched: list[str] = field(default_factory=list)


@dataclass
class KeywordQuery:
    terms: list[str]  # distinct query terms, rarest first, after pruning
    dropped: list[str]  # terms dropped as too common (or unknown)
    # Terms left out of the FTS5 query by the postings budget only: they do not choose
    # candidates but still count when the candidates are re-scored.
    rescored: list[str] = field(default_factory=list)

    @property
    def scoring_terms(self) -> list[str]:
        return self.terms + self.rescored


class KeywordIndex:
    """BM25 search in one knowledge base's FTS5 table (thread-safe; read-only)."""

    def __init__(self, db: sqlite3.Connection, fts_table: str, lock: threading.RLock | None = None):
        self.db = db
        self.table = fts_table
        self.lock = lock or threading.RLock()
        self._vocab_ready = False
        self.max_postings = MAX_POSTINGS
        self.k1, self.b = K1, B
        self._df: dict[str, int] = {}
        self._df_total = -1

    # --- document frequencies ---------------------------------------------------

    def _ensure_vocab(self) -> None:
        if not self._vocab_ready:
            self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{self.table}_vocab "
                            f"USING fts5vocab(main, {self.table}, row)")
            self._vocab_ready = True

    def has_cjk_terms(self) -> bool:
        """Whether any indexed term is Chinese (one range lookup in the vocabulary)."""
        self._ensure_vocab()
        with self.lock:
            return self.db.execute(
                f"SELECT 1 FROM temp.{self.table}_vocab WHERE term >= ? AND term < ? LIMIT 1",
                ("\u3400", "\ua000")).fetchone() is not None

    def total_rows(self) -> int:
        """Rows in the index, read from FTS5's averages record (O(1); COUNT(*) takes
        ~0.5 s at 1M rows)."""
        return self.sizes()[0]

    def sizes(self) -> tuple[int, float]:
        """(rows, mean tokens per row), from FTS5's averages record: the row count and
        the column's token total as varints."""
        try:
            row = self.db.execute(f"SELECT block FROM {self.table}_data WHERE id = 1").fetchone()
        except sqlite3.OperationalError:
            row = None
        if row and row[0]:
            buf = bytes(row[0])
            n, used = _varint_at(buf, 0)
            tokens, _ = _varint_at(buf, used) if used < len(buf) else (0, 0)
            return n, (tokens / n if n and tokens else 1.0)
        n, tokens = self.db.execute(
            f"SELECT COUNT(*), TOTAL(LENGTH(tokens) - LENGTH(REPLACE(tokens, ' ', '')) + 1) "
            f"FROM {self.table}").fetchone()
        return n, (tokens / n if n else 1.0)

    def doc_freqs(self, terms: Sequence[str], total: int) -> dict[str, int]:
        """Chunks containing each term (cached until the index changes size)."""
        self._ensure_vocab()
        if self._df_total != total or len(self._df) > 50_000:
            self._df, self._df_total = {}, total
        out = {}
        for t in terms:
            df = self._df.get(t)
            if df is None:
                row = self.db.execute(f"SELECT doc FROM temp.{self.table}_vocab WHERE term = ?",
                                      (t,)).fetchone()
                df = self._df[t] = row[0] if row else 0
            out[t] = df
        return out

    def documents_with(self, term: str) -> int:
        """How many documents have ``term`` in some chunk."""
        with self.lock:
            return self.db.execute(
                f"SELECT COUNT(DISTINCT c.doc_id) FROM {self.table} f JOIN chunks c "
                f"ON c.rowid = f.rowid WHERE {self.table} MATCH ?",
                ('"' + term.replace('"', '""') + '"',)).fetchone()[0]

    # --- queries ----------------------------------------------------------------

    def plan(self, query: str) -> KeywordQuery:
        """Terms to send: the query's distinct tokens, common ones pruned."""
        tokens = list(dict.fromkeys(tokenize(query)))
        if not tokens:
            return KeywordQuery([], [])
        with self.lock:
            n = max(1, self.total_rows())
            df = self.doc_freqs(tokens, n)
        known = [t for t in tokens if df.get(t, 0) > 0]
        unknown = [t for t in tokens if df.get(t, 0) == 0]
        known.sort(key=lambda t: df[t])
        kept = [t for t in known if df[t] <= COMMON_SHARE * n]
        if not kept:
            kept = known[:3]  # only common words: keep the rarest few
        kept, over_budget = within_budget(kept[:MAX_TERMS], df, self.max_postings)
        dropped = [t for t in known if t not in kept] + unknown
        return KeywordQuery(kept, dropped, over_budget)

    @staticmethod
    def match_expression(plan: KeywordQuery) -> str:
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in plan.terms)

    def search(self, query: str, k: int = 100, *, doc_ids: Sequence[int] | None = None,
               with_matches: int = 0, plan: KeywordQuery | None = None) -> list[KeywordHit]:
        """Top ``k`` chunks by BM25.  ``doc_ids`` restricts to those documents;
        ``with_matches`` fills ``matched`` for the first that many hits."""
        plan = plan or self.plan(query)
        if not plan.terms:
            return []
        if doc_ids is not None:
            doc_ids = [int(d) for d in doc_ids]
            if not doc_ids:
                return []
        with self.lock:
            rows = self._candidates(plan, k, doc_ids)
            n, avgdl = self.sizes() if rows else (0, 1.0)
            df = self.doc_freqs(plan.scoring_terms, n) if rows else {}
        scores = rescore([r[2] or "" for r in rows], plan, df, n, avgdl, self.k1, self.b)
        order = sorted(range(len(rows)), key=lambda i: (-scores[i], i))
        hits = [KeywordHit(rowid=rows[j][0], rank=i + 1, score=scores[j])
                for i, j in enumerate(order)]
        if with_matches and hits:
            self.fill_matches(hits[:with_matches], plan.scoring_terms)
        return hits

    def _candidates(self, plan: KeywordQuery, k: int,
                    doc_ids: Sequence[int] | None) -> list[tuple[int, float, str]]:
        """(rowid, FTS5 bm25, token string) of the top ``k`` rows matching any planned
        term, best first (FTS5's bm25 is negative: lower is better)."""
        expr = self.match_expression(plan)
        # The token strings (for re-scoring) are read for the top k only: selected in
        # the ranking query itself they would be carried through the sort of every match.
        if doc_ids is not None:
            ids = list(doc_ids)
            marks = ",".join("?" * len(ids))
            # "+f.rowid": without the unary plus SQLite hands the rowid list to FTS5,
            # which then runs the whole MATCH once per rowid (100x slower for a few
            # documents' chunks); with it the MATCH runs once (bounded by the postings
            # budget) and the list filters its rows.  Same rows, same scores.
            top = (f"SELECT f.rowid, bm25({self.table}) AS s FROM {self.table} f "
                   f"WHERE {self.table} MATCH ? AND +f.rowid IN "
                   f"(SELECT rowid FROM chunks WHERE doc_id IN ({marks})) ORDER BY s LIMIT ?")
            args = [expr, *ids, k]
        else:
            top = (f"SELECT rowid, bm25({self.table}) AS s FROM {self.table} "
                   f"WHERE {self.table} MATCH ? ORDER BY s LIMIT ?")
            args = [expr, k]
        sql = (f"SELECT t.rowid, t.s, f.tokens FROM ({top}) t "
               f"JOIN {self.table} f ON f.rowid = t.rowid ORDER BY t.s")
        return [tuple(r) for r in self.db.execute(sql, args).fetchall()]

    def tokens_of(self, rowids: Sequence[int]) -> dict[int, str]:
        """The indexed token string of each row."""
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        with self.lock:
            return dict(self.db.execute(
                f"SELECT rowid, tokens FROM {self.table} WHERE rowid IN ({marks})",
                list(rowids)).fetchall())

    def fill_matches(self, hits: Sequence[KeywordHit], terms: Sequence[str]) -> None:
        if not hits:
            return
        rows = self.tokens_of([h.rowid for h in hits])
        for h in hits:
            toks = set((rows.get(h.rowid) or "").split())
            h.matched = [t for t in terms if t in toks]


def open_keyword_index(catalog, kb) -> "KeywordIndex":
    """The keyword index of a knowledge base in this catalog: FTS5 in the embedded SQLite
    catalog, a postings table on a PostgreSQL server (``retrieval.keyword_postings``);
    both choose and score candidates alike."""
    if getattr(catalog, "keyword_postings", False):
        from retrieval.keyword_postings import PostingsKeywordIndex

        return PostingsKeywordIndex(catalog, kb)
    return KeywordIndex(catalog.db, kb.fts_table, catalog._lock)


def feedback(index: "KeywordIndex", hits: Sequence[KeywordHit], plan: KeywordQuery, k: int,
             *, weight: float, docs: int = 10, terms: int = 10,
             doc_ids: Sequence[int] | None = None) -> list[KeywordHit]:
    """Pseudo-relevance feedback (RM3-like): the ``terms`` most characteristic words of the
    ``docs`` best hits (tf share x hit score x IDF) are searched as a second query, and each
    chunk's score becomes ``bm25/best + weight * bm25_feedback/best_feedback``.

    It helps when the best hits agree on a topic (news passages about one event) and hurts
    when they do not (scientific abstracts; bench/RESULTS.md), so the retriever uses it
    for Chinese questions and where the embedding lane cannot give the second opinion
    (``Retriever.feedback_share``)."""
    if weight <= 0 or not hits:
        return list(hits)
    top = list(hits[:docs])
    rows = index.tokens_of([h.rowid for h in top])
    best = top[0].score or 1.0
    w: dict[str, float] = {}
    for h in top:
        toks = (rows.get(h.rowid) or "").split()
        if not toks:
            continue
        share = h.score / best / len(toks)
        for t in toks:
            w[t] = w.get(t, 0.0) + share
    known = set(plan.terms) | set(plan.dropped)
    pool = sorted((t for t in w if t not in known), key=lambda t: -w[t])[: terms * 4]
    with index.lock:
        n = max(1, index.total_rows())
        df = index.doc_freqs(pool, n)
    scored = sorted(((w[t] * math.log((n - df[t] + 0.5) / (df[t] + 0.5)), t) for t in pool
                     if 1 < df[t] <= COMMON_SHARE * n), reverse=True)[:terms]
    if not scored:
        return list(hits)
    # The feedback query keeps to the postings budget too, or it costs more than the
    # query itself.
    chosen, over = within_budget([t for _, t in scored], df, index.max_postings)
    extra = index.search("", k, doc_ids=doc_ids,
                         plan=KeywordQuery(chosen, [], over))
    if not extra:
        return list(hits)
    best2 = extra[0].score or 1.0
    merged: dict[int, KeywordHit] = {}
    for h in hits:
        merged[h.rowid] = KeywordHit(h.rowid, h.rank, h.score / best, h.matched)
    for h in extra:
        m = merged.get(h.rowid)
        if m is None:
            merged[h.rowid] = KeywordHit(h.rowid, 0, weight * h.score / best2)
        else:
            m.score += weight * h.score / best2
    out = sorted(merged.values(), key=lambda h: -h.score)[:k]
    for i, h in enumerate(out):
        h.rank = i + 1
    return out


def within_budget(terms: Sequence[str], df: dict[str, int],
                  budget: int) -> tuple[list[str], list[str]]:
    """(terms for the FTS5 query, terms left to re-scoring only): in the given order, a
    term whose postings would overrun ``budget`` is left out; the first is always sent.
    (Rarest first, as queries are planned, the left-out terms are the common tail.)"""
    chosen, over = [], []
    for t in terms:
        if chosen and budget - df[t] < 0:
            over.append(t)
            continue
        chosen.append(t)
        budget -= df[t]
    return chosen, over


def rescore(token_texts: Sequence[str], plan: KeywordQuery, df: dict[str, int], n: int,
            avgdl: float, k1: float = K1, b: float = B) -> list[float]:
    """BM25 with ``k1``/``b`` of each candidate (its space-separated token string) and the
    IDF as FTS5 computes it."""
    idf_w = {t: idf(df.get(t, 0), n) for t in plan.scoring_terms}
    avgdl = avgdl or 1.0
    out = []
    for text in token_texts:
        toks = text.split()
        norm = k1 * (1.0 - b + b * len(toks) / avgdl)
        score = 0.0
        for t, w in idf_w.items():
            f = toks.count(t)
            if f:
                score += w * f * (k1 + 1.0) / (f + norm)
        out.append(score)
    return out


def _varint_at(buf: bytes, pos: int) -> tuple[int, int]:
    """SQLite's big-endian varint at ``pos`` (as used by FTS5 records): (value, next pos)."""
    v = 0
    for i in range(9):
        if pos + i >= len(buf):
            return v, pos + i
        b = buf[pos + i]
        if i == 8:
            return (v << 8) | b, pos + 9
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            return v, pos + i + 1
    return v, pos + 9


def idf(df: int, n: int) -> float:
    """The BM25 IDF FTS5 uses (for explanations)."""
    return max(1e-6, math.log((n - df + 0.5) / (df + 0.5)))
