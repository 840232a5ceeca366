"""The terms SQLite's FTS5 ``unicode61 remove_diacritics 2`` tokenizer makes of an
indexed token string, for the keyword postings on a server.

The embedded catalog lets FTS5 split each chunk's analyzer tokens (``ingest.analyzer``);
the server catalog keeps postings of the same terms so that document frequencies, row
lengths and so BM25 are the same in both.  The analyzer's tokens are already runs of
letters and digits in lower case, so FTS5 only splits them at the spaces and folds the
diacritics of Latin letters ("café" -> "cafe"); that is what this does.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def _latin(ch: str) -> bool:
    o = ord(ch)
    return o < 0x250 or 0x1E00 <= o < 0x1F00


@lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """``token`` with the diacritics of its Latin letters removed."""
    if token.isascii():
        return token
    out = []
    for ch in token:
        if ch.isascii() or not _latin(ch):
            out.append(ch)
            continue
        base = unicodedata.normalize("NFD", ch)
        out.append(base[0] if all(unicodedata.category(c) == "Mn" for c in base[1:]) else ch)
    return "".join(out)


def fts5_terms(tokens: str) -> list[str]:
    """The FTS5 terms of a space-separated token string, in order (repeats kept)."""
    return [fold(t) for t in tokens.split()]
