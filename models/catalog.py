"""The shipped catalog of chat models to download, and whether each suits this machine.

Why a curated list: a person who wants a better model than the bundled one should not
have to know Hugging Face repository names, which of a repo's dozen quantizations to
take, or which files are split into parts.  ``catalog.toml`` beside this module names
one single-file GGUF per entry, with what the model is good for, its licence and
whether it "thinks" (writes ``<think>`` before answering).  The file is checked when
loaded, so a typo in it fails loudly naming the entry and field instead of surfacing as
a failed download later.

Why fit-to-machine here and not in :mod:`models.model_memory`: that module reads a GGUF
header, which needs the file; the catalog has to advise *before* a multi-gigabyte
download, from the published size and the parameter count alone.  Once a file is on
disk, :func:`models.model_memory.estimate_memory` gives the exact figure.

Standard library only (``tomllib``), no Qt: the command line and the window share it.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("catalog.toml")

GIB = 2**30

# memory_needed(): KV cache per 1024 tokens of context = base + per billion parameters,
# plus a fixed overhead for compute buffers and allocator slack (see its docstring).
KV_GIB_PER_1K_BASE = 0.12
KV_GIB_PER_1K_PER_B = 0.01
OVERHEAD_GIB = 0.3

# fit(): share of total RAM the model may take.  "fits" leaves room for the OS, the app,
# the embedder and the vector store; past "tight" the machine swaps or kills the app.
FITS_SHARE = 0.60
TIGHT_SHARE = 0.85

LEVELS = ("fits", "tight", "too_big")
SPEEDS = ("fast", "moderate", "slow", "very slow")

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SPLIT = re.compile(r"-\d{5}-of-\d{5}\.gguf$", re.IGNORECASE)


class CatalogError(ValueError):
    """The catalog is broken or has no such model; the message names the entry and why."""


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model, as ``catalog.toml`` describes it (fields explained there)."""

    name: str
    display: str
    repo: str
    file: str
    revision: str
    params_b: float
    quant: str
    size_bytes: int
    context: int
    languages: tuple[str, ...]
    licence: str
    reasoning: bool
    gated: bool
    notes: str = ""

    @property
    def chinese(self) -> bool:
        """Whether the model card lists Chinese (Wenji's documents often are)."""
        return "zh" in self.languages


# field -> (accepted types, default or _REQUIRED)
_REQUIRED = object()
_FIELDS: dict[str, tuple[tuple[type, ...], Any]] = {
    "name": ((str,), _REQUIRED),
    "display": ((str,), _REQUIRED),
    "repo": ((str,), _REQUIRED),
    "file": ((str,), _REQUIRED),
    "revision": ((str,), "main"),
    "params_b": ((int, float), _REQUIRED),
    "quant": ((str,), _REQUIRED),
    "size_bytes": ((int,), _REQUIRED),
    "context": ((int,), _REQUIRED),
    "languages": ((list,), _REQUIRED),
    "licence": ((str,), _REQUIRED),
    "reasoning": ((bool,), _REQUIRED),
    "gated": ((bool,), False),
    "notes": ((str,), ""),
}


def _entry(raw: Any, index: int) -> CatalogEntry:
    """One ``[[model]]`` table checked and turned into an entry."""
    if not isinstance(raw, dict):
        raise CatalogError(f"catalog entry #{index}: expected a [[model]] table")
    name = raw.get("name")
    label = f"#{index} {name!r}" if isinstance(name, str) and name else f"#{index}"

    def bad(field: str, problem: str) -> CatalogError:
        return CatalogError(f"catalog entry {label}: field {field!r} {problem}")

    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise bad(unknown[0], f"is not a catalog field (known: {', '.join(_FIELDS)})")
    values: dict[str, Any] = {}
    for field, (types, default) in _FIELDS.items():
        if field not in raw:
            if default is _REQUIRED:
                raise bad(field, "is missing")
            values[field] = default
            continue
        value = raw[field]
        # bool is an int in Python: a number field given true/false is still wrong
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            kinds = " or ".join(t.__name__ for t in types)
            raise bad(field, f"must be {kinds}, not {type(value).__name__}")
        if isinstance(value, str) and field != "notes" and not value.strip():
            raise bad(field, "is empty")
        values[field] = value

    if not _NAME.match(values["name"]):
        raise bad("name", "must be lowercase letters, digits, '.', '_' and '-'")
    if values["repo"].count("/") != 1 or values["repo"].startswith("/") \
            or values["repo"].endswith("/"):
        raise bad("repo", f"must be 'owner/name', not {values['repo']!r}")
    file = values["file"]
    if not file.lower().endswith(".gguf"):
        raise bad("file", f"must be a .gguf file, not {file!r}")
    if _SPLIT.search(file):
        raise bad("file", f"is one part of a split GGUF ({file!r}); use a single-file quant")
    for field in ("params_b", "size_bytes", "context"):
        value = values[field]
        if not (math.isfinite(value) and value > 0):
            raise bad(field, f"must be positive, not {value!r}")
    langs = values["languages"]
    if not langs or not all(isinstance(x, str) and x.strip() for x in langs):
        raise bad("languages", "must be a non-empty list of language codes")
    values["languages"] = tuple(langs)
    values["params_b"] = float(values["params_b"])
    return CatalogEntry(**values)


def load_catalog(path: str | os.PathLike | None = None) -> list[CatalogEntry]:
    """The entries of ``path`` (default: the shipped ``catalog.toml``), in file order.

    Every entry is checked: required fields present and of the right type, no unknown
    field (a misspelt one would otherwise be silently ignored), names unique
    (case-insensitively, since :func:`find` is), a single ``.gguf`` file, positive sizes.
    Raises :class:`CatalogError` naming the entry and the field.
    """
    path = Path(path) if path is not None else CATALOG_PATH
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise CatalogError(f"cannot read the model catalog {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"the model catalog {path} is not valid TOML: {exc}") from exc
    models = data.get("model")
    if not isinstance(models, list) or not models:
        raise CatalogError(f"the model catalog {path} has no [[model]] entries")
    entries: list[CatalogEntry] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(models, 1):
        entry = _entry(raw, index)
        key = entry.name.lower()
        if key in seen:
            raise CatalogError(f"catalog entry #{index} {entry.name!r}: field 'name' repeats "
                               f"entry #{seen[key]}; names must be unique")
        seen[key] = index
        entries.append(entry)
    return entries


def full_catalog(home_catalog: str | os.PathLike | None = None) -> list[CatalogEntry]:
    """The shipped entries, then those of ``home_catalog`` (a ``catalog.toml`` in the data
    folder, if there is one: models a person or their organisation adds, such as a file
    on an internal mirror); an added entry of a shipped name replaces it."""
    entries = load_catalog()
    if home_catalog is None or not Path(home_catalog).is_file():
        return entries
    added = load_catalog(home_catalog)
    names = {e.name.lower() for e in added}
    return [e for e in entries if e.name.lower() not in names] + added


def find(name: str, entries: list[CatalogEntry]) -> CatalogEntry:
    """The entry called ``name`` (any case).  Unknown: :class:`CatalogError` suggesting
    the closest names, so a typo on the command line is one step from fixed."""
    wanted = name.strip().lower()
    for entry in entries:
        if entry.name.lower() == wanted:
            return entry
    names = [e.name for e in entries]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
    if not close:  # a short prefix such as "qwen3" scores low but is clearly meant
        close = [n for n in names if n.startswith(wanted)][:3] if wanted else []
    hint = (f"; did you mean {', '.join(close)}?" if close
            else f"; the catalog has {', '.join(names)}")
    raise CatalogError(f"no model {name!r} in the catalog{hint}")


# --- fit to machine --------------------------------------------------------------------


def _memory() -> tuple[int, int]:
    """(total, available) RAM in bytes; 0 where unknown."""
    try:
        import psutil  # not a dependency: used where installed (macOS and Windows)

        vm = psutil.virtual_memory()
        return int(vm.total), int(vm.available)
    except ImportError:
        pass
    total = available = 0
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    value = int(rest.split()[0]) * 1024
                    if key == "MemTotal":
                        total = value
                    else:
                        available = value
    except (OSError, ValueError, IndexError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = total or os.sysconf("SC_PHYS_PAGES") * page
        available = available or os.sysconf("SC_AVPHYS_PAGES") * page
    except (ValueError, OSError, AttributeError):
        pass
    return max(0, total), max(0, available)


def _gpu_offload() -> bool:
    """Whether this llama.cpp build can put layers on a GPU (False if it cannot load)."""
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # no wheel, a missing shared library, an old binding...
        return False


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class MachineInfo:
    """What the fit advice needs to know about the computer.  Made by hand in tests."""

    total_ram_bytes: int
    available_ram_bytes: int
    gpu_offload: bool = False
    vram_bytes: int | None = None  # None: unknown (llama.cpp does not report it)
    cores: int = 1

    @classmethod
    def detect(cls) -> MachineInfo:
        """This computer: RAM from psutil if installed, else ``/proc/meminfo`` and
        ``os.sysconf``; GPU offload as the installed llama.cpp reports it."""
        total, available = _memory()
        return cls(total_ram_bytes=total, available_ram_bytes=available,
                   gpu_offload=_gpu_offload(), vram_bytes=None, cores=_cores())


def memory_needed(entry: CatalogEntry, n_ctx: int = 4096) -> int:
    """Bytes of RAM to run ``entry`` with ``n_ctx`` tokens of context, estimated before
    downloading: the file (weights are mapped whole) + KV cache + a fixed overhead.

    KV cache: ``n_ctx / 1024 * (0.12 + 0.01 * params_b)`` GiB.  An f16 cache holds
    ``2 (K and V) * layers * kv_heads * head_dim * 2 bytes`` per token; for the
    grouped-query-attention models in the catalog that is 0.05-0.2 MB a token, e.g.
    Qwen3 (8 KV heads x 128, 28-40 layers) 0.11-0.16 MB, Llama 3.1 8B 0.13 MB,
    Qwen2.5-14B 0.19 MB.  It depends on the KV-head layout more than on size (Qwen3-0.6B
    keeps as much per token as Qwen3-8B), hence a base term with a small per-billion
    term: 0.5-1.1 GiB at 4k for 0.5B-14B, at or above the true figure for each model.

    Overhead: 0.3 GiB for llama.cpp's compute buffers (mostly one batch of logits,
    0.3-0.5 GB for 150k-260k vocabularies at batch 512) and allocator slack; the
    KV term's margin covers the larger vocabularies.

    ``n_ctx`` beyond the model's trained context is counted as the trained context:
    a longer window is not offered.
    """
    if n_ctx <= 0:
        raise ValueError(f"n_ctx must be positive, not {n_ctx}")
    ctx = min(n_ctx, entry.context)
    kv_gib = ctx / 1024 * (KV_GIB_PER_1K_BASE + KV_GIB_PER_1K_PER_B * entry.params_b)
    return int(entry.size_bytes + (kv_gib + OVERHEAD_GIB) * GIB)


@dataclass(frozen=True)
class Fit:
    """Advice for one model on one machine: ``level`` is one of :data:`LEVELS`;
    ``gpu`` is True when the whole model would fit in known GPU memory."""

    level: str
    reason: str
    needed_bytes: int
    gpu: bool = False


def memory_size(n: int, whole: bool = False) -> str:
    """Bytes as people read RAM sizes: '3.1 GB', and '24 GB' for a whole machine."""
    gib = n / GIB
    if whole and (gib >= 10 or abs(gib - round(gib)) < 0.05):
        return f"{gib:.0f} GB"
    return f"{gib:.1f} GB"


def fit(entry: CatalogEntry, machine: MachineInfo, n_ctx: int = 4096) -> Fit:
    """Whether ``entry`` suits ``machine`` at ``n_ctx``: "fits" when it needs at most
    60% of total RAM, "tight" up to 85%, else "too_big".  Total rather than available
    RAM decides, since what is free changes by the minute; a reason mentions it when
    it is short now.  With GPU offload and known VRAM, ``gpu`` says whether the whole
    model fits there."""
    needed = memory_needed(entry, n_ctx)
    total = machine.total_ram_bytes
    gpu = bool(machine.gpu_offload and machine.vram_bytes and needed <= machine.vram_bytes)
    if total <= 0:
        return Fit("tight", f"needs about {memory_size(needed)}; this machine's RAM is unknown",
                   needed, gpu)
    share = needed / total
    level = "fits" if share <= FITS_SHARE else "tight" if share <= TIGHT_SHARE else "too_big"
    reason = f"needs about {memory_size(needed)} of {memory_size(total, whole=True)} RAM"
    if level != "too_big" and 0 < machine.available_ram_bytes < needed:
        reason += f" (only {memory_size(machine.available_ram_bytes)} free now)"
    if gpu:
        reason += f"; fits in {memory_size(machine.vram_bytes, whole=True)} of GPU memory"
    return Fit(level, reason, needed, gpu)


def speed_class(entry: CatalogEntry, gpu: bool = False) -> str:
    """How quickly answers come, in words (one of :data:`SPEEDS`), from the parameter
    count: on CPU up to 1B "fast", 4B "moderate", 9B "slow", larger "very slow";
    with GPU offload one class faster.  Token speed on CPU is bound by memory
    bandwidth, which scales with the weights read per token, i.e. with size."""
    p = entry.params_b
    index = 0 if p <= 1.0 else 1 if p <= 4.0 else 2 if p <= 9.0 else 3
    if gpu:
        index = max(0, index - 1)
    return SPEEDS[index]
