"""The keyword lane on a PostgreSQL server: BM25 over the postings table that
``ingest.store.pg_catalog`` keeps.

It answers the questions :class:`~retrieval.keyword.KeywordIndex` asks FTS5 -- document
frequencies, row and token totals, the top ``k`` rows by FTS5's own BM25 -- from the
postings, with FTS5's formula and constants, so the planning, the re-scoring and the
feedback in ``retrieval.keyword`` are shared and both stores rank alike.
"""

from __future__ import annotations

import math
from typing import Sequence

from ingest.store.fts5_terms import fts5_terms
from retrieval.keyword import KeywordIndex, KeywordQuery

# FTS5's bm25() constants (fts5_aux.c): candidates are chosen with them, as embedded.
FTS5_K1 = 1.2
FTS5_B = 0.75


def fts5_idf(df: int, n: int) -> float:
    """FTS5's IDF: log((N - n + 0.5) / (n + 0.5)), or 1e-6 where that is not positive."""
    value = math.log((n - df + 0.5) / (df + 0.5))
    return value if value > 0 else 1e-6


class PostingsKeywordIndex(KeywordIndex):
    """BM25 search in one knowledge base's postings (thread-safe; read-only)."""

    def __init__(self, catalog, kb):
        super().__init__(catalog.db, f"kb{kb.id}", catalog._lock)
        self.catalog = catalog
        self.kb = kb

    def _ensure_vocab(self) -> None:
        pass

    def has_cjk_terms(self) -> bool:
        with self.lock:
            return self.db.execute(
                "SELECT 1 FROM keyword_postings WHERE kb_id = ? AND term >= ? AND term < ? "
                "LIMIT 1", (self.kb.id, "\u3400", "\ua000")).fetchone() is not None

    def sizes(self) -> tuple[int, float]:
        rows, tokens = self.catalog.keyword_sizes(self.kb)
        return rows, (tokens / rows if rows and tokens else 1.0)

    def doc_freqs(self, terms: Sequence[str], total: int) -> dict[str, int]:
        if self._df_total != total or len(self._df) > 50_000:
            self._df, self._df_total = {}, total
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if missing:
            found = dict(self.db.execute(
                "SELECT term, COUNT(*) FROM keyword_postings WHERE kb_id = ? AND "
                "term = ANY(?) GROUP BY term", (self.kb.id, missing)).fetchall())
            for t in missing:
                self._df[t] = int(found.get(t, 0))
        return {t: self._df[t] for t in terms}

    def documents_with(self, term: str) -> int:
        """Documents with ``term`` in some chunk; several words must follow each other
        (a phrase, as FTS5 matches it)."""
        words = fts5_terms(term)
        if not words:
            return 0
        with self.lock:
            if len(words) == 1:
                return self.db.execute(
                    "SELECT COUNT(DISTINCT c.doc_id) FROM keyword_postings p JOIN chunks c "
                    "ON c.rowid = p.rowid WHERE p.kb_id = ? AND p.term = ?",
                    (self.kb.id, words[0])).fetchone()[0]
            rows = self.db.execute(
                "SELECT c.doc_id, r.tokens FROM keyword_postings p "
                "JOIN keyword_rows r ON r.rowid = p.rowid JOIN chunks c ON c.rowid = p.rowid "
                "WHERE p.kb_id = ? AND p.term = ANY(?) GROUP BY c.doc_id, r.rowid, r.tokens "
                "HAVING COUNT(DISTINCT p.term) = ?",
                (self.kb.id, list(set(words)), len(set(words)))).fetchall()
        docs = set()
        n = len(words)
        for doc_id, tokens in rows:
            terms = fts5_terms(tokens)
            if any(terms[i:i + n] == words for i in range(len(terms) - n + 1)):
                docs.add(doc_id)
        return len(docs)

    def _candidates(self, plan: KeywordQuery, k: int,
                    doc_ids: Sequence[int] | None) -> list[tuple[int, float, str]]:
        n, avgdl = self.sizes()
        df = self.doc_freqs(plan.terms, n)
        terms = list(plan.terms)
        idfs = [fts5_idf(df[t], n) for t in terms]
        where = ""
        args: list = [terms, idfs, self.kb.id, FTS5_K1, FTS5_K1, 1 - FTS5_B, FTS5_B,
                      avgdl or 1.0]
        if doc_ids is not None:
            where = "WHERE p.rowid IN (SELECT rowid FROM chunks WHERE doc_id = ANY(?))"
            args.append(list(doc_ids))
        args.append(k)
        rows = self.db.execute(
            "WITH q(term, idf) AS (SELECT * FROM unnest(?::text[], ?::float8[])), "
            "p AS (SELECT kp.rowid, kp.tf, kp.length, q.idf FROM keyword_postings kp JOIN q "
            "ON kp.term = q.term WHERE kp.kb_id = ?) "
            "SELECT p.rowid, -SUM(p.idf * p.tf * (? + 1) / "
            "(p.tf + ? * (? + ? * p.length / ?))) AS s "
            "FROM p " + where +
            " GROUP BY p.rowid ORDER BY s, p.rowid LIMIT ?", args).fetchall()
        tokens = self.tokens_of([r[0] for r in rows])
        return [(r[0], float(r[1]), tokens.get(r[0], "")) for r in rows]

    def tokens_of(self, rowids: Sequence[int]) -> dict[int, str]:
        return self.catalog.keyword_tokens(self.kb, rowids)
