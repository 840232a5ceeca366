"""What an archive holds and how it is laid out: member names, the manifest, the vector
file's header.  Export writes and import reads through these definitions only, so the
format has one description (and one version number to bump).

Members (all but the manifest are listed in it with their SHA-256 and size):

* ``manifest.json``   -- format version, app version, time, the knowledge base's name,
  embedder (name, dimension), tokenizer version, counts, and the members' checksums;
* ``documents.jsonl`` -- one catalog row per document (ready, failed or never indexed),
  keyed by its id in the exporting library;
* ``chunks.jsonl``    -- one chunk per line (document key, position, page, heading,
  span, text), ready documents only, in document then reading order;
* ``keyword.jsonl``   -- the keyword index: line *i* holds chunk *i*'s tokens as the
  tokenizer of ``manifest.tokenizer`` wrote them;
* ``vectors.npy``     -- float32, row *i* is chunk *i*'s vector (NumPy's .npy format:
  a short text header with the shape, then raw little-endian rows, so it can be written
  and read a batch at a time);
* ``files/...``       -- with ``with_files``: the source files, under their paths
  relative to the folder they shared.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.archive.errors import ArchiveError

# Bump when a reader of the previous version would misread an archive of the new one.
FORMAT_VERSION = 1
APP = "wenji"
# The suggested file name ending (a zip archive; any name is read).
ARCHIVE_SUFFIX = ".wenjikb"

MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
CHUNKS = "chunks.jsonl"
KEYWORDS = "keyword.jsonl"
VECTORS = "vectors.npy"
FILES = "files/"

VECTOR_DTYPE = np.dtype("<f4")


@dataclass
class Manifest:
    kb_name: str
    embedder: str | None
    dimension: int | None
    tokenizer: str | None
    documents: int
    chunks: int
    vectors: int
    files: int
    format: int = FORMAT_VERSION
    app_version: str = ""
    created: str = ""
    kb_created: float | None = None
    # member name -> {"sha256": hex, "size": bytes}
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        doc = {"format": self.format, "app": APP, "app_version": self.app_version,
               "created": self.created,
               "kb": {"name": self.kb_name, "created": self.kb_created},
               "embedder": {"name": self.embedder, "dimension": self.dimension},
               "tokenizer": self.tokenizer,
               "counts": {"documents": self.documents, "chunks": self.chunks,
                          "vectors": self.vectors, "files": self.files},
               "members": self.members}
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, file: str | Path, data: bytes) -> "Manifest":
        """Parse and check a manifest; a newer format is refused before anything else
        is read, since its other fields may mean something else."""
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ArchiveError(file, f"its manifest is not valid JSON ({exc}); the archive "
                                     "is damaged") from exc
        if not isinstance(doc, dict) or doc.get("app") != APP:
            raise ArchiveError(file, "not a Wenji knowledge-base archive (its manifest is "
                                     "not Wenji's)")
        fmt = doc.get("format")
        if not isinstance(fmt, int) or fmt < 1:
            raise ArchiveError(file, f"its manifest has no valid format version ({fmt!r})")
        if fmt > FORMAT_VERSION:
            raise ArchiveError(file, f"made by a newer Wenji (format {fmt}, Wenji "
                                     f"{doc.get('app_version') or '?'}); this version reads "
                                     f"up to format {FORMAT_VERSION}: update Wenji to "
                                     "import it")
        try:
            kb, emb, counts = doc["kb"], doc["embedder"], doc["counts"]
            members = doc["members"]
            m = cls(kb_name=str(kb["name"]), kb_created=kb.get("created"),
                    embedder=emb.get("name"), dimension=emb.get("dimension"),
                    tokenizer=doc.get("tokenizer"), documents=int(counts["documents"]),
                    chunks=int(counts["chunks"]), vectors=int(counts["vectors"]),
                    files=int(counts["files"]), format=fmt,
                    app_version=str(doc.get("app_version") or ""),
                    created=str(doc.get("created") or ""),
                    members={str(k): {"sha256": str(v["sha256"]), "size": int(v["size"])}
                             for k, v in members.items()})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArchiveError(file, f"its manifest lacks a field or has a wrong one "
                                     f"({type(exc).__name__}: {exc}); the archive is "
                                     "damaged") from exc
        for name in (DOCUMENTS, CHUNKS, KEYWORDS, VECTORS):
            if name not in m.members:
                raise ArchiveError(file, f"its manifest does not list {name}; the archive "
                                         "is damaged")
        return m


# --- the vector file -----------------------------------------------------------------

def npy_header(rows: int, dim: int) -> bytes:
    """The .npy header of a (rows, dim) float32 array, written before its rows."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": np.lib.format.dtype_to_descr(VECTOR_DTYPE), "fortran_order": False,
              "shape": (rows, dim)})
    return buf.getvalue()


def read_npy_header(file: str | Path, fh) -> tuple[int, int]:
    """(rows, dim) of a .npy stream positioned at its start; leaves it at the first row."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    except (ValueError, OSError) as exc:
        raise ArchiveError(file, f"{VECTORS} is not a vector file ({exc})") from exc
    if dtype != VECTOR_DTYPE or fortran or len(shape) != 2:
        raise ArchiveError(file, f"{VECTORS} holds {dtype} {shape}, not float32 rows")
    return int(shape[0]), int(shape[1])
