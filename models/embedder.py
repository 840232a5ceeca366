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
    """``encode(texts) -> (n, dim) float32``; safe to call from several threads."""

    def __init__(self, model_dir: str | os.PathLike | None = None, backend: str = "torch",
                 threads: int = 0):
        self.model_dir = Path(model_dir) if model_dir else bundled.embedder_dir()
        if not (self.model_dir / "modules.json").exists() and not (
                self.model_dir / "config.json").exists():
            raise EmbedderError(f"{self.model_dir}: not a sentence-transformers model folder "
                                "(no modules.json or config.json)")
        self.backend = backend
        self.threads = threads or physical_cores()
        self.name = describe_folder(self.model_dir)
        self._model = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self):
        """Import torch and load the weights (seconds); idempotent."""
        with self._lock:
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

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        model = self.load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
