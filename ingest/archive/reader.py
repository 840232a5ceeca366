"""Open an archive and check it before anything is imported.

A zip keeps its table of contents at its end, so a truncated archive is refused at
once; the manifest is read first and a newer format refused before any other member is
read; then every member is read through once and compared with the SHA-256 the manifest
holds (a changed, missing or extra member is refused).  Only an archive that passed all
of this is imported, so a bad one never touches the library.

Reading then streams: documents, then chunks with their keyword tokens and vectors a
batch at a time (three members read side by side), then files.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ingest.archive.errors import ArchiveError
from ingest.archive.files import safe_relative
from ingest.archive.layout import (CHUNKS, DOCUMENTS, FILES, KEYWORDS, MANIFEST, VECTORS,
                                   VECTOR_DTYPE, Manifest, read_npy_header)

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"


@dataclass
class ChunkBatch:
    """Consecutive chunks: their lines of chunks.jsonl, keyword tokens and vectors (None
    when the vectors are not read, for an import that embeds again)."""

    chunks: list[dict]
    tokens: list[str]
    vectors: np.ndarray | None


class ArchiveReader:
    """An opened archive whose manifest has been read (``open``); ``verify`` checks the
    members against it.  Use as a context manager."""

    def __init__(self, file: Path, zf: zipfile.ZipFile, manifest: Manifest):
        self.file, self.zf, self.manifest = file, zf, manifest
        self.dimension: int | None = None

    # --- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, file: str | Path) -> "ArchiveReader":
        file = Path(file).expanduser()
        try:
            with open(file, "rb") as fh:
                head = fh.read(4)
        except OSError as exc:
            raise ArchiveError(file, f"cannot read it: {exc.strerror or exc}") from exc
        try:
            zf = zipfile.ZipFile(file)
        except zipfile.BadZipFile:
            if head == _ZIP_MAGIC:
                raise ArchiveError(file, "the archive is truncated or damaged: its end (the "
                                         "zip's table of contents) is missing; copy it "
                                         "again") from None
            raise ArchiveError(file, "not a Wenji knowledge-base archive (not a zip "
                                     "file)") from None
        except OSError as exc:
            raise ArchiveError(file, f"cannot read it: {exc.strerror or exc}") from exc
        try:
            names = zf.namelist()
            if MANIFEST not in names:
                raise ArchiveError(file, "not a Wenji knowledge-base archive (a zip file "
                                         "without manifest.json)")
            manifest = Manifest.from_json(file, _read_small(file, zf, MANIFEST))
            if len(names) != len(set(names)):
                raise ArchiveError(file, "a member name occurs twice: the archive was "
                                         "changed after it was made")
            extra = sorted(set(names) - set(manifest.members) - {MANIFEST})
            if extra:
                raise ArchiveError(file, f"it holds {extra[0]!r}, which its manifest does "
                                         "not list: the archive was changed after it was "
                                         "made")
            for name in manifest.members:
                if name.startswith(FILES) and safe_relative(name) is None:
                    raise ArchiveError(file, f"the file name {name!r} would be written "
                                             "outside its folder; refused")
        except BaseException:
            zf.close()
            raise
        return cls(file, zf, manifest)

    def close(self) -> None:
        self.zf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- checking ------------------------------------------------------------------

    def verify(self, step: Callable[[int, str], None] | None = None) -> None:
        """Read every member once and compare it with the manifest's SHA-256 and size;
        ``step(n, what)`` hears progress in passages (and files) checked."""
        m = self.manifest
        names = set(self.zf.namelist())
        for name, expected in m.members.items():
            if name not in names:
                raise ArchiveError(self.file, f"{name} is missing from the archive")
            digest, size, lines = hashlib.sha256(), 0, 0
            with self._member(name) as fh:
                for block in iter(lambda: self._read(fh, name, 1 << 20), b""):
                    digest.update(block)
                    size += len(block)
                    if name == CHUNKS:
                        n = block.count(b"\n")
                        lines += n
                        if step and n:
                            step(n, "checking the archive")
            if digest.hexdigest() != expected["sha256"] or size != expected["size"]:
                raise ArchiveError(self.file, f"{name} does not match its checksum: the "
                                              "archive was changed or damaged after it was "
                                              "made")
            if step and name.startswith(FILES):
                step(1, "checking the archive")
        with self._member(VECTORS) as fh:
            rows, dim = read_npy_header(self.file, fh)
            header = fh.tell()
        if rows != m.vectors or m.vectors != m.chunks:
            raise ArchiveError(self.file, f"{VECTORS} has {rows} rows for {m.chunks} passages")
        if m.chunks and m.dimension is not None and dim != m.dimension:
            raise ArchiveError(self.file, f"{VECTORS} has {dim} dimensions, the manifest says "
                                          f"{m.dimension}")
        self.dimension = dim or None
        expected_size = rows * dim * VECTOR_DTYPE.itemsize
        if m.members[VECTORS]["size"] != header + expected_size:
            raise ArchiveError(self.file, f"{VECTORS} is {m.members[VECTORS]['size']} bytes, "
                                          f"not {header + expected_size} for its shape")

    # --- reading -------------------------------------------------------------------

    def documents(self) -> list[dict]:
        """The document rows (a few hundred bytes each: read at once)."""
        out = []
        with self._member(DOCUMENTS) as fh:
            for line in io.TextIOWrapper(fh, encoding="utf-8"):
                out.append(self._json(line, DOCUMENTS))
        if len(out) != self.manifest.documents:
            raise ArchiveError(self.file, f"{DOCUMENTS} has {len(out)} rows, the manifest "
                                          f"says {self.manifest.documents}")
        return out

    def chunk_batches(self, size: int, with_vectors: bool = True) -> Iterator[ChunkBatch]:
        """Chunks, their tokens and (``with_vectors``) vectors, ``size`` at a time."""
        with self._member(CHUNKS) as cf, self._member(KEYWORDS) as kf, \
                self._member(VECTORS) as vf:
            chunk_lines = io.TextIOWrapper(cf, encoding="utf-8")
            token_lines = io.TextIOWrapper(kf, encoding="utf-8")
            rows, dim = read_npy_header(self.file, vf)
            done = 0
            while True:
                chunks = [self._json(line, CHUNKS) for _, line in zip(range(size), chunk_lines)]
                if not chunks:
                    break
                tokens = []
                for c in chunks:
                    t = self._json(token_lines.readline() or "null", KEYWORDS)
                    if not isinstance(t, dict) or t.get("id") != c.get("id"):
                        raise ArchiveError(self.file, f"{KEYWORDS} does not line up with "
                                                      f"{CHUNKS} at passage {done + 1}")
                    tokens.append(str(t.get("tokens") or ""))
                    done += 1
                vectors = None
                if with_vectors:
                    want = len(chunks) * dim * VECTOR_DTYPE.itemsize
                    data = self._read_exact(vf, VECTORS, want)
                    vectors = np.frombuffer(data, dtype=VECTOR_DTYPE).reshape(len(chunks), dim)
                yield ChunkBatch(chunks, tokens, vectors)
            if done != self.manifest.chunks:
                raise ArchiveError(self.file, f"{CHUNKS} has {done} passages, the manifest "
                                              f"says {self.manifest.chunks}")

    def extract(self, member: str, target: Path) -> None:
        """Copy a file member to ``target`` (its folder must exist)."""
        with self._member(member) as src, open(target, "wb") as out:
            for block in iter(lambda: self._read(src, member, 1 << 20), b""):
                out.write(block)

    # --- helpers -------------------------------------------------------------------

    def _member(self, name: str):
        try:
            return self.zf.open(name)
        except (zipfile.BadZipFile, zlib.error, OSError, KeyError) as exc:
            raise ArchiveError(self.file, f"{name} cannot be read ({exc}): the archive is "
                                          "damaged") from exc

    def _read(self, fh, name: str, n: int) -> bytes:
        try:
            return fh.read(n)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ArchiveError(self.file, f"{name} cannot be read ({exc}): the archive is "
                                          "truncated or damaged") from exc

    def _read_exact(self, fh, name: str, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            block = self._read(fh, name, n - got)
            if not block:
                raise ArchiveError(self.file, f"{name} ends early: the archive is damaged")
            parts.append(block)
            got += len(block)
        return b"".join(parts)

    def _json(self, line: str, name: str):
        try:
            return json.loads(line)
        except ValueError as exc:
            raise ArchiveError(self.file, f"{name} has a line that is not JSON ({exc})") from exc


def _read_small(file: Path, zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > 10_000_000:
        raise ArchiveError(file, f"{name} is {info.file_size} bytes; not a Wenji manifest")
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise ArchiveError(file, f"{name} cannot be read ({exc}): the archive is "
                                 "damaged") from exc

