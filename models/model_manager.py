"""The chat model the app uses: load by name or path, switch safely, generate.

Why a manager around :class:`models.local_model.LocalModel`:

* **Safe switching.**  :meth:`ModelManager.load` validates the new file first
  (:func:`models.model_validation.validate_model`: GGUF magic, header, tensors inside
  the file, architecture known to this llama.cpp, memory for the requested context) and
  only then unloads the current model.  Any failure raises :class:`ModelLoadError`
  naming the file and the cause, and the previous model keeps answering.  If llama.cpp
  itself fails after the old model was unloaded, the old model is loaded again.
* **Saved settings.**  Context length, GPU layers, threads and the sampling defaults
  come from the registry's per-model settings unless the caller overrides them.

Never imports Qt; callers run :meth:`ModelManager.load` in a worker thread if they like
and follow it through the ``on_status`` callback.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import llama_cpp

from models.embedder import physical_cores
from models.generator import GenerationError, GenerationStats, Request, no_model_loaded
from models.local_model import LocalModel
from models.model_memory import estimate_memory
from models.model_validation import ModelLoadError, validate_model

log = logging.getLogger(__name__)

StatusCallback = Callable[[str, str], None]  # (stage, human-readable message)


@dataclass
class LoadedModel:
    """What the manager has loaded, as the window and the CLI show it."""

    name: str
    path: Path
    n_ctx: int
    n_threads: int
    n_gpu_layers: int
    chat_template: bool
    settings: dict = field(default_factory=dict)


LOAD_OPTIONS = {"context_length", "n_ctx", "n_gpu_layers", "threads", "seed", "temperature",
                "top_p", "repeat_penalty", "max_tokens", "system_prompt"}


class ModelManager:
    """Holds the current chat model; thread-safe; swaps models without losing the old
    one on failure.  A :class:`models.generator.Generator` for the answer layer.

    ``registry`` (a :class:`models.registry.Registry`) resolves names and supplies the
    saved per-model settings; without one, ``load`` takes paths only.
    """

    def __init__(self, registry=None, threads: int = 0,
                 on_status: StatusCallback | None = None) -> None:
        self.registry = registry
        self.threads = threads or physical_cores()
        self.on_status = on_status
        self._model: LocalModel | None = None
        self._load_lock = threading.Lock()  # one load at a time
        self._swap_lock = threading.RLock()  # guards self._model

    # --- loading ------------------------------------------------------------------

    def _status(self, cb: StatusCallback | None, stage: str, message: str) -> None:
        log.info("model %s: %s", stage, message)
        for fn in (cb, self.on_status):
            if fn is not None:
                try:
                    fn(stage, message)
                except Exception:  # a UI callback must never break loading
                    log.exception("status callback failed")

    def _resolve(self, name_or_path: str | os.PathLike) -> tuple[Path, str]:
        p = Path(name_or_path).expanduser()
        if self.registry is not None and not (p.suffix.lower() == ".gguf" and p.exists()):
            from models.registry import RegistryError

            try:
                p = self.registry.resolve(name_or_path)
            except RegistryError as exc:
                raise ModelLoadError(exc.reason) from None
        return p, p.name

    def load(self, name_or_path: str | os.PathLike, *, on_status: StatusCallback | None = None,
             **overrides) -> LoadedModel:
        """Load a model by registry name or path; the old one stays loaded on failure.

        ``overrides``: ``context_length`` (or ``n_ctx``), ``n_gpu_layers``, ``threads``,
        ``seed`` and the sampling settings (``temperature``, ``top_p``, ``repeat_penalty``,
        ``max_tokens``, ``system_prompt``) that :meth:`stream` then uses by default.
        Stages reported to ``on_status``: validating, unloading, loading, ready, failed.
        """
        unknown = set(overrides) - LOAD_OPTIONS
        if unknown:
            raise TypeError(f"unknown load options: {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(LOAD_OPTIONS))})")
        with self._load_lock:
            path, name = self._resolve(name_or_path)
            settings = {}
            if self.registry is not None:
                try:
                    settings = dataclasses.asdict(self.registry.load_model_settings(name))
                except Exception as exc:  # bad saved settings: defaults, but say so
                    log.warning("ignoring saved settings for %s: %s", name, exc)
            settings.update({k: v for k, v in overrides.items() if v is not None})
            n_ctx = settings.pop("n_ctx", None) or settings.pop("context_length", 0) or None
            settings.pop("context_length", None)
            n_gpu_layers = settings.pop("n_gpu_layers", None)
            threads = settings.pop("threads", None) or self.threads
            seed = settings.pop("seed", llama_cpp.LLAMA_DEFAULT_SEED)
            self._status(on_status, "validating", f"checking {path}")
            try:
                current = self._model
                freed = estimate_memory(current.header, current.n_ctx) if current else 0
                header, n_ctx = validate_model(path, n_ctx, extra_available=freed)
            except ModelLoadError as exc:
                self._status(on_status, "failed", str(exc))
                raise
            with self._swap_lock:
                previous = self._model
                if previous is not None:
                    self._status(on_status, "unloading", f"unloading {previous.name}")
                    restore = dict(path=previous.path, n_ctx=previous.n_ctx,
                                   n_threads=previous.n_threads,
                                   n_gpu_layers=previous.n_gpu_layers,
                                   header=previous.header)
                    restore_settings = getattr(previous, "settings", {})
                    self._model = None
                    previous.cancel()  # a running answer of the old model ends now
                    with previous._lock:  # wait for a running generation to end
                        previous.close()
                self._status(on_status, "loading", f"loading {name} ({n_ctx:,}-token context)")
                try:
                    model = LocalModel(path, n_ctx=n_ctx, n_threads=threads,
                                       n_gpu_layers=n_gpu_layers, header=header, seed=seed)
                except ModelLoadError as exc:
                    if previous is not None:
                        self._status(on_status, "restoring", f"reloading {previous.name}")
                        self._model = LocalModel(**restore)
                        self._model.settings = restore_settings
                    self._status(on_status, "failed", str(exc))
                    raise
                model.settings = settings
                self._model = model
            self._status(on_status, "ready", f"{name} ready")
            return self.loaded

    def unload(self) -> None:
        with self._swap_lock:
            model, self._model = self._model, None
        if model is not None:
            with model._lock:
                model.close()

    @property
    def model(self) -> LocalModel | None:
        return self._model

    @property
    def loaded(self) -> LoadedModel | None:
        m = self._model
        if m is None:
            return None
        return LoadedModel(m.name, m.path, m.n_ctx, m.n_threads, m.n_gpu_layers,
                           m.chat_template is not None, dict(getattr(m, "settings", {})))

    def _require(self) -> LocalModel:
        m = self._model
        if m is None:
            raise GenerationError(no_model_loaded())
        return m

    # --- generation ----------------------------------------------------------------

    def stream(self, request: Request, cancel_event: threading.Event | None = None,
               **sampling) -> Iterator[str]:
        """Stream from the current model; see :meth:`LocalModel.stream`.

        Sampling arguments default to the model's saved settings; a ``system_prompt``
        setting is prepended to chat messages that do not start with a system message.
        """
        with self._swap_lock:
            model = self._require()
            settings = dict(getattr(model, "settings", {}))
        defaults = {k: settings[k] for k in ("temperature", "top_p", "repeat_penalty",
                                             "max_tokens") if k in settings}
        defaults.update(sampling)
        system = settings.get("system_prompt")
        if system and not isinstance(request, str):
            request = list(request)
            if not request or request[0].get("role") != "system":
                request = [{"role": "system", "content": system}] + request
        return model.stream(request, cancel_event, **defaults)

    def generate(self, request: Request, cancel_event: threading.Event | None = None,
                 **sampling) -> str:
        """The whole answer as one string (convenience for tests and the CLI)."""
        return "".join(self.stream(request, cancel_event, **sampling))

    def count_tokens(self, text: str) -> int:
        return self._require().count_tokens(text)

    def cancel(self) -> None:
        m = self._model
        if m is not None:
            m.cancel()

    @property
    def last_stats(self) -> GenerationStats:
        m = self._model
        return m.last_stats if m is not None else GenerationStats()

    @property
    def has_chat_template(self) -> bool:
        """Whether the loaded model has a usable chat template (False for base models,
        which get :func:`models.plain_prompt.plain_chat_prompt`, and with none loaded)."""
        m = self._model
        return m is not None and m.chat_template is not None
