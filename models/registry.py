"""The GGUF models Wenji can use: the data folder's ``models`` folder plus extra folders.

Listing only reads GGUF headers (see :mod:`models.gguf_header`), never weights, and is
cached per (path, size, mtime), so the model picker opens instantly.  A broken file is
listed with an ``error`` instead of breaking the listing: the user sees which file is
bad and why, and can remove it.

Per-model settings (context length, sampling, system prompt) live in one JSON file in the
models folder, keyed by model name, so they travel with the models and survive a
settings-file reset.  Qt-free.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import gguf

from models.gguf_header import GGUFError, GGUFHeader, read_header, read_model_header
from models.reasons import Explained, Reason

log = logging.getLogger(__name__)

SETTINGS_FILE = "model_settings.json"


class RegistryError(Explained, ValueError):
    """A model operation the user asked for cannot be done; the message says why."""


@dataclass
class ModelInfo:
    """What the model picker shows about one GGUF file (read from its header)."""

    name: str  # file name, unique within the registry
    path: Path
    size_bytes: int
    display_name: str = ""
    architecture: str = ""
    parameter_count: int = 0
    quantization: str = ""
    context_length: int = 0  # trained context (``<arch>.context_length``)
    has_chat_template: bool = False
    folder: str = "models"  # "models" (the data folder) or "extra"
    error: str = ""  # non-empty: the file cannot be used, and why

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def size_label(self) -> str:
        """``270M``, ``7.2B``: the parameter count for people."""
        n = self.parameter_count
        if n >= 1e9:
            return f"{n / 1e9:.1f}B"
        if n >= 1e6:
            return f"{n / 1e6:.0f}M"
        return str(n)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["path"] = str(self.path)
        return d


def quantization_name(file_type: Any) -> str:
    """``general.file_type`` as llama.cpp names it (``Q4_K_M``, ``F16`` ...)."""
    if file_type is None:
        return ""
    try:
        name = gguf.LlamaFileType(int(file_type)).name
    except (ValueError, TypeError):
        return f"type {file_type}"
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def _quantization_from_tensors(header: GGUFHeader) -> str:
    """No ``general.file_type``: name the most common weight type."""
    counts: dict[int, int] = {}
    for t in header.tensors:
        if len(t.shape) >= 2:
            counts[t.ggml_type] = counts.get(t.ggml_type, 0) + t.n_elements
    if not counts:
        return ""
    top = max(counts, key=counts.get)
    try:
        return gguf.GGMLQuantizationType(top).name
    except ValueError:
        return f"type {top}"


def info_from_header(header: GGUFHeader, name: str, folder: str = "models") -> ModelInfo:
    md = header.metadata
    display = md.get("general.name") or Path(name).stem
    ctx = header.arch_value("context_length", 0)
    quant = quantization_name(md.get("general.file_type")) or _quantization_from_tensors(header)
    return ModelInfo(
        name=name, path=header.path, size_bytes=header.file_size, display_name=str(display),
        architecture=header.architecture, parameter_count=header.parameter_count,
        quantization=quant, context_length=int(ctx) if isinstance(ctx, int) else 0,
        has_chat_template=isinstance(md.get("tokenizer.chat_template"), str),
        folder=folder,
    )


_cache: dict[tuple[str, int, int], tuple[GGUFHeader | None, str]] = {}
_cache_lock = threading.Lock()


def inspect_file(path: str | os.PathLike, name: str | None = None, folder: str = "models") -> ModelInfo:
    """A :class:`ModelInfo` for one file; never raises for a bad file (sets ``error``)."""
    path = Path(path)
    name = name or path.name
    try:
        st = path.stat()
    except OSError as exc:
        return ModelInfo(name, path, 0, display_name=path.stem, folder=folder,
                         error=Reason("model_cannot_read", "{path}: cannot be read: {error}",
                                      path=str(path), error=exc.strerror or str(exc)))
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is None:
        try:
            cached = (read_header(path), "")
        except GGUFError as exc:
            cached = (None, exc.reason)
        with _cache_lock:
            if len(_cache) > 512:  # files replaced many times: start over
                _cache.clear()
            _cache[key] = cached
    header, error = cached
    if header is None:
        return ModelInfo(name, path, st.st_size, display_name=path.stem, folder=folder,
                         error=error)
    return info_from_header(header, name, folder)


@dataclass
class GenerationSettings:
    """Per-model generation settings; 0 / empty means "Wenji's default"."""

    context_length: int = 0  # 0 = min(trained context, 8192)
    n_gpu_layers: int | None = None  # None = all layers if a GPU backend exists, else 0
    temperature: float = 0.2
    top_p: float = 0.95
    repeat_penalty: float = 1.1
    max_tokens: int = 256  # the longest answer, in tokens
    # a reasoning model's room to think before the answer, on top of max_tokens
    thinking_tokens: int = 1024
    system_prompt: str = ""

    def validate(self, name: str) -> None:
        problems = []
        if self.context_length < 0:
            problems.append("context_length must be 0 (automatic) or positive")
        if not 0 <= self.temperature <= 5:
            problems.append("temperature must be between 0 and 5")
        if not 0 < self.top_p <= 1:
            problems.append("top_p must be above 0 and at most 1")
        if not 0.5 <= self.repeat_penalty <= 3:
            problems.append("repeat_penalty must be between 0.5 and 3")
        if self.max_tokens < 1:
            problems.append("max_tokens must be at least 1")
        if self.thinking_tokens < 0:
            problems.append("thinking_tokens must be 0 or more")
        if problems:
            raise RegistryError(f"settings for {name}: " + "; ".join(problems))


class Registry:
    """GGUF files in ``models_dir`` (where ``add`` puts them) plus ``extra_dirs``.

    Names are file names; when two folders hold the same file name the models folder
    wins and the other is skipped (logged), so ``get(name)`` is never ambiguous.
    """

    def __init__(self, models_dir: str | os.PathLike, extra_dirs: Iterable[str | os.PathLike] = ()):
        self.models_dir = Path(models_dir)
        self.extra_dirs = [Path(d).expanduser() for d in extra_dirs]
        self._settings_lock = threading.Lock()

    # --- listing -------------------------------------------------------------------

    def _files(self) -> list[tuple[str, Path, str]]:
        seen: dict[str, tuple[str, Path, str]] = {}
        for folder, kind in [(self.models_dir, "models")] + [(d, "extra") for d in self.extra_dirs]:
            try:
                entries = sorted(folder.iterdir())
            except FileNotFoundError:
                if kind == "extra":
                    log.warning("extra model folder %s does not exist", folder)
                continue
            except OSError as exc:
                log.warning("cannot list model folder %s: %s", folder, exc)
                continue
            for p in entries:
                if p.suffix.lower() != ".gguf" or p.name.startswith("."):
                    continue
                if p.name in seen:
                    log.info("skipping %s: a model named %s is already listed from %s",
                             p, p.name, seen[p.name][1].parent)
                    continue
                seen[p.name] = (p.name, p, kind)
        return list(seen.values())

    def list(self) -> list[ModelInfo]:
        """Every ``.gguf`` file, sorted by name; broken files carry ``error``."""
        return sorted((inspect_file(p, name, kind) for name, p, kind in self._files()),
                      key=lambda m: m.name.lower())

    def get(self, name: str) -> ModelInfo:
        """The model called ``name`` (a file name; ``.gguf`` may be left off)."""
        for fname, p, kind in self._files():
            if fname == name or fname == f"{name}.gguf" or Path(fname).stem == name:
                return inspect_file(p, fname, kind)
        known = ", ".join(n for n, _, _ in self._files()) or "none"
        raise RegistryError(Reason("no_model_named", "no model named {name!r} (known models: "
                                   "{known})", name=name, known=known))

    def resolve(self, name_or_path: str | os.PathLike) -> Path:
        """A model name or a path to a GGUF file -> the file's path."""
        p = Path(name_or_path).expanduser()
        if p.suffix.lower() == ".gguf" and (p.is_absolute() or os.sep in str(name_or_path)):
            return p
        return self.get(str(name_or_path)).path

    # --- adding and removing ---------------------------------------------------------

    def add(self, path: str | os.PathLike, link: bool = False) -> ModelInfo:
        """Copy (or symlink, with ``link``) a GGUF file into the models folder.

        The file is checked first (readable, GGUF header intact, tensors inside the
        file), so a bad download is refused here rather than failing at load time.
        """
        src = Path(path).expanduser()
        if not src.exists():
            raise RegistryError(f"{src}: file not found")
        if not src.is_file():
            raise RegistryError(f"{src}: not a file")
        if src.suffix.lower() != ".gguf":
            raise RegistryError(f"{src}: not a .gguf file (Wenji runs GGUF models; convert "
                                "other formats with llama.cpp's convert_hf_to_gguf.py)")
        try:
            read_model_header(src)
        except GGUFError as exc:
            raise RegistryError(exc.reason) from None
        self.models_dir.mkdir(parents=True, exist_ok=True)
        target = self.models_dir / src.name
        if target.exists() or target.is_symlink():
            if target.resolve() == src.resolve():
                return inspect_file(target, target.name)
            raise RegistryError(f"a model named {src.name} already exists in {self.models_dir}; "
                                "remove it first or rename the file")
        if link:
            try:
                target.symlink_to(src.resolve())
            except OSError as exc:
                raise RegistryError(f"cannot link {src} into {self.models_dir}: "
                                    f"{exc.strerror or exc}") from None
        else:
            tmp = target.with_name(f".{target.name}.partial")
            try:
                shutil.copyfile(src, tmp)
                tmp.replace(target)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise RegistryError(f"cannot copy {src} into {self.models_dir}: "
                                    f"{exc.strerror or exc}") from None
        log.info("added model %s (%s)", target, "link" if link else "copy")
        return inspect_file(target, target.name)

    def remove(self, name: str) -> Path:
        """Delete a model from the models folder (a symlink: only the link).

        Models in extra folders belong to the user's own folders and are never deleted.
        """
        info = self.get(name)
        if info.folder != "models":
            raise RegistryError(f"{info.name} is in {info.path.parent}, an extra model folder; "
                                "Wenji only deletes models in its own models folder")
        info.path.unlink()
        self._drop_settings(info.name)
        log.info("removed model %s", info.path)
        return info.path

    # --- per-model settings ------------------------------------------------------------

    @property
    def settings_path(self) -> Path:
        return self.models_dir / SETTINGS_FILE

    def _read_all_settings(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise RegistryError(f"{self.settings_path}: cannot be read: {exc}") from None
        if not isinstance(raw, dict):
            raise RegistryError(f"{self.settings_path}: expected a JSON object of model names")
        return raw

    def _write_all_settings(self, data: dict[str, Any]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.settings_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.settings_path)

    def load_model_settings(self, name: str) -> GenerationSettings:
        """Saved settings for ``name``, defaults for anything not saved."""
        with self._settings_lock:
            raw = self._read_all_settings().get(name, {})
        known = {f.name for f in dataclasses.fields(GenerationSettings)}
        unknown = set(raw) - known
        if unknown:
            log.warning("%s: ignoring unknown settings for %s: %s", self.settings_path, name,
                        ", ".join(sorted(unknown)))
        try:
            settings = GenerationSettings(**{k: v for k, v in raw.items() if k in known})
        except TypeError as exc:
            raise RegistryError(f"{self.settings_path}: settings for {name}: {exc}") from None
        settings.validate(name)
        return settings

    def save_model_settings(self, name: str, settings: GenerationSettings) -> None:
        settings.validate(name)
        with self._settings_lock:
            data = self._read_all_settings()
            data[name] = dataclasses.asdict(settings)
            self._write_all_settings(data)

    def _drop_settings(self, name: str) -> None:
        with self._settings_lock:
            data = self._read_all_settings()
            if data.pop(name, None) is not None:
                self._write_all_settings(data)
