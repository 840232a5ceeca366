"""Sentence embeddings from a local sentence-transformers folder.

The default is the bundled all-MiniLM-L6-v2; any local sentence-transformers folder (a
multilingual one, say) can be chosen in settings.  Loading is lazy: torch and
sentence-transformers take seconds to import, and the window must paint before that.
Vectors are L2-normalised float32 so cosine distance in Chroma is 1 - dot product.
"""

from __future__ import annotations

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
        self.model_dir = Path(model_dir) if model_dir else bundled.embedder_dir()
        if not (self.model_dir / "modules.json").exists() and not (
                self.model_dir / "config.json").exists():
            raise EmbedderError(f"{self.model_dir}: not a sentence-transformers model folder "
                                "(no modules.json or config.json)")
        if backend not in BACKENDS:
            raise EmbedderError(f"unknown embedder backend {backend!r} "
                                f"({', '.join(BACKENDS)})")
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.threads = threads or physical_cores()
        self.name = describe_folder(self.model_dir)
        self._model = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def onnx_precision(self) -> str | None:
        """"fp32" or "int8" for the ONNX backends, None for PyTorch."""
        return ONNX_PRECISION.get(self.backend)

    @property
    def prepared(self) -> bool:
        """False when loading will first make the ONNX export (about a minute)."""
        if self.onnx_precision is None:
            return True
        from models.onnx_embedder import export_path

        return export_path(self.model_dir, self.cache_dir, self.onnx_precision).exists()

    def load(self):
        """Import torch and load the weights (seconds); idempotent."""
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
               threads: int | None = None) -> np.ndarray:
        """``threads``: use fewer cores than configured for this call (ingest does while
        its parser processes are busy); honoured by the ONNX backend."""
        model = self.load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
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

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
