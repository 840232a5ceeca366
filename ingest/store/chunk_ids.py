"""Chunk ids, shared by the catalog and Chroma: ``d<document>g<generation>c<index>``.

Chroma returns only ids, so the id itself carries the document; the generation keeps a
document's new chunks apart from its current ones while both are in Chroma during a
re-index.  Ids are built and read back only here, so the format has one definition.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_FORMAT = re.compile(r"^d(\d+)g(\d+)c(\d+)$")


class ChunkKey(NamedTuple):
    doc_id: int
    gen: int
    index: int


def chunk_id(doc_id: int, gen: int, index: int) -> str:
    return f"d{doc_id}g{gen}c{index}"


def parse_chunk_id(chunk_id: str) -> ChunkKey | None:
    """The parts of a chunk id; None for an id not made by ``chunk_id``."""
    m = _FORMAT.match(chunk_id)
    return ChunkKey(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
