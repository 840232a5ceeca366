"""Read a GGUF file's header (metadata and tensor table) without touching the weights.

Why not ``gguf.GGUFReader``?  It builds a numpy view for every element of every array
field, so a Gemma 3 file with a 262k-token vocabulary takes ~13 s to open on a small
machine.  Listing the models folder must be instant, so this module walks the header
with ``struct.unpack_from`` over an ``mmap``: large arrays (the vocabulary, scores,
merges) are skipped, not decoded, and only their length is kept.  The ``gguf`` package
is still the source of truth for the enums (value types, quantization types, file types).

It also checks that every tensor's data lies inside the file, which is how a truncated
download is caught before llama.cpp is asked to load it.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gguf

from models.reasons import Explained, Reason

GGUF_MAGIC = b"GGUF"
# Arrays longer than this are skipped (only their length is recorded).
MAX_ARRAY_ITEMS = 64

_VT = gguf.GGUFValueType
_SCALAR = {
    _VT.UINT8: "B", _VT.INT8: "b", _VT.UINT16: "H", _VT.INT16: "h",
    _VT.UINT32: "I", _VT.INT32: "i", _VT.FLOAT32: "f", _VT.BOOL: "?",
    _VT.UINT64: "Q", _VT.INT64: "q", _VT.FLOAT64: "d",
}


class GGUFError(Explained, ValueError):
    """The file is not a usable GGUF; the message names the file and the problem."""


@dataclass
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int  # relative to the start of the data section

    @property
    def n_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def n_bytes(self) -> int:
        try:
            block, type_size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(self.ggml_type)]
        except (ValueError, KeyError):
            raise GGUFError(f"tensor {self.name!r} has unknown type {self.ggml_type}") from None
        return self.n_elements // block * type_size


@dataclass
class ArraySummary:
    """A long array that was skipped: its element type and length."""

    item_type: int
    length: int


@dataclass
class GGUFHeader:
    path: Path
    version: int
    metadata: dict[str, Any]
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0
    file_size: int = 0
    kv_end: int = 0  # byte offset where the metadata ends and the tensor table starts
    tensor_table_end: int = 0

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def arch_value(self, key: str, default: Any = None) -> Any:
        """``<arch>.<key>``, e.g. ``arch_value("context_length")``."""
        return self.metadata.get(f"{self.architecture}.{key}", default)

    @property
    def parameter_count(self) -> int:
        return sum(t.n_elements for t in self.tensors)


class _Cursor:
    def __init__(self, buf, path: Path, endian: str):
        self.buf, self.pos, self.path, self.endian = buf, 0, path, endian
        self.size = len(buf)

    def need(self, n: int, what: str) -> None:
        if self.pos + n > self.size:
            raise GGUFError(_corrupt(self.path, f"file ends inside the header ({what} at "
                                            f"byte {self.pos}); the file is truncated"))

    def unpack(self, fmt: str, what: str):
        fmt = self.endian + fmt
        n = struct.calcsize(fmt)
        self.need(n, what)
        value = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return value[0] if len(value) == 1 else value

    def string(self, what: str) -> str:
        n = self.unpack("Q", what)
        if n > 1 << 30:
            raise GGUFError(_corrupt(self.path, f"implausible string length {n} in {what}; "
                                            "the header is corrupt"))
        self.need(n, what)
        raw = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, count: int, what: str) -> None:
        fmt = self.endian + "Q"
        buf, pos, size = self.buf, self.pos, self.size
        for _ in range(count):
            if pos + 8 > size:
                self.pos = pos
                self.need(8, what)
            (n,) = struct.unpack_from(fmt, buf, pos)
            pos += 8 + n
        self.pos = pos
        self.need(0, what)
        if pos > size:
            raise GGUFError(_corrupt(self.path, f"file ends inside the header ({what}); "
                                            "the file is truncated"))

    def value(self, vtype: int, key: str, depth: int = 0) -> Any:
        try:
            vt = _VT(vtype)
        except ValueError:
            raise GGUFError(_corrupt(self.path, f"unknown value type {vtype} for key "
                                            f"{key!r}; the header is corrupt")) from None
        if vt == _VT.STRING:
            return self.string(key)
        if vt in _SCALAR:
            return self.unpack(_SCALAR[vt], key)
        if depth > 2:
            raise GGUFError(_corrupt(self.path, f"arrays nested too deeply in {key!r}"))
        item_type = self.unpack("I", key)
        count = self.unpack("Q", key)
        if count <= MAX_ARRAY_ITEMS:
            return [self.value(item_type, key, depth + 1) for _ in range(count)]
        try:
            it = _VT(item_type)
        except ValueError:
            raise GGUFError(_corrupt(self.path, f"unknown array type {item_type} for "
                                            f"{key!r}")) from None
        if it == _VT.STRING:
            self.skip_strings(count, key)
        elif it in _SCALAR:
            n = struct.calcsize(_SCALAR[it]) * count
            self.need(n, key)
            self.pos += n
        else:  # arrays of arrays are rare; walk them
            for _ in range(count):
                self.value(item_type, key, depth + 1)
        return ArraySummary(item_type, count)


def _not_gguf(path: Path) -> Reason:
    return Reason("not_gguf", "{path}: not a GGUF file (it does not start with 'GGUF')",
                  path=str(path))


def _corrupt(path: Path, what: str) -> Reason:
    """A damaged header: the English says where; the window only needs that it is."""
    return Reason.worded("gguf_corrupt", f"{path}: {what}", path=str(path))


def read_header(path: str | os.PathLike) -> GGUFHeader:
    """Parse the header of ``path``; raise :class:`GGUFError` naming the file and cause."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < 24:
                head = fh.read(4)
                if head != GGUF_MAGIC:
                    raise GGUFError(_not_gguf(path))
                raise GGUFError(Reason("gguf_too_small", "{path}: file is only {size} bytes; "
                                       "it is truncated", path=str(path), size=size))
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _parse(buf, path, size)
    except GGUFError:
        raise
    except IsADirectoryError:
        raise GGUFError(Reason("model_is_folder", "{path}: is a folder, not a GGUF file",
                               path=str(path))) from None
    except FileNotFoundError:
        raise GGUFError(Reason("model_not_found", "{path}: file not found",
                               path=str(path))) from None
    except PermissionError:
        raise GGUFError(Reason("model_permission_denied", "{path}: permission denied",
                               path=str(path))) from None
    except OSError as exc:
        raise GGUFError(Reason("model_cannot_read", "{path}: cannot be read: {error}",
                               path=str(path), error=exc.strerror or str(exc))) from None


def read_model_header(path: str | os.PathLike) -> GGUFHeader:
    """:func:`read_header`, and refuse GGUF files that are not language models (an
    embedding-only or vocabulary file has no ``general.architecture``)."""
    header = read_header(path)
    if not header.architecture:
        raise GGUFError(Reason("not_a_language_model", "{path}: the GGUF header has no "
                               "general.architecture; it is not a language model file",
                               path=str(Path(path))))
    return header


def _parse(buf, path: Path, size: int) -> GGUFHeader:
    if bytes(buf[:4]) != GGUF_MAGIC:
        raise GGUFError(_not_gguf(path))
    (version,) = struct.unpack_from("<I", buf, 4)
    endian = "<"
    if version & 0xFFFF == 0 and version != 0:  # a big-endian file read little-endian
        endian = ">"
        (version,) = struct.unpack_from(">I", buf, 4)
    if version not in (2, 3):
        raise GGUFError(Reason("gguf_version", "{path}: unsupported GGUF version {version} "
                               "(only 2 and 3 are supported)", path=str(path), version=version))
    cur = _Cursor(buf, path, endian)
    cur.pos = 8
    n_tensors = cur.unpack("Q", "tensor count")
    n_kv = cur.unpack("Q", "metadata count")
    if n_tensors > 1_000_000 or n_kv > 1_000_000:
        raise GGUFError(_corrupt(path, f"implausible header counts ({n_tensors} tensors, "
                                  f"{n_kv} keys); the header is corrupt"))
    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        key = cur.string("metadata key")
        vtype = cur.unpack("I", key)
        metadata[key] = cur.value(vtype, key)
    kv_end = cur.pos
    tensors = []
    for _ in range(n_tensors):
        name = cur.string("tensor name")
        n_dims = cur.unpack("I", name)
        if n_dims > 8:
            raise GGUFError(_corrupt(path, f"tensor {name!r} has {n_dims} dimensions; the "
                                      "header is corrupt"))
        shape = tuple(cur.unpack("Q", name) for _ in range(n_dims))
        ggml_type = cur.unpack("I", name)
        offset = cur.unpack("Q", name)
        tensors.append(TensorInfo(name, shape, ggml_type, offset))
    alignment = int(metadata.get("general.alignment", 32) or 32)
    data_offset = (cur.pos + alignment - 1) // alignment * alignment
    header = GGUFHeader(path, version, metadata, tensors, data_offset, size, kv_end, cur.pos)
    _check_tensor_bounds(header)
    return header


def _check_tensor_bounds(header: GGUFHeader) -> None:
    """Every tensor's bytes must lie inside the file: catches truncated downloads."""
    end = header.data_offset
    last = None
    for t in header.tensors:
        t_end = header.data_offset + t.offset + t.n_bytes
        if t_end > end:
            end, last = t_end, t
    if end > header.file_size:
        missing = round((end - header.file_size) / 2**20, 1)
        raise GGUFError(Reason.worded(
            "model_truncated",
            f"{header.path}: file is truncated: tensor {last.name!r} ends at byte {end:,} "
            f"but the file has only {header.file_size:,} bytes ({missing:.1f} MiB missing)",
            path=str(header.path), missing_mib=missing))
