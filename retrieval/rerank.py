"""Optional cross-encoder reranking from a local sentence-transformers folder (off by
default).  Scores are passed through a sigmoid when the model returns logits, so
``min_relevance`` (0..1) can say "nothing relevant found"."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Sequence


class RerankerError(RuntimeError):
    pass


class Reranker:
    def __init__(self, model_dir: str):
        path = Path(model_dir).expanduser()
        if not (path / "config.json").exists():
            raise RerankerError(f"{path}: not a local cross-encoder folder (no config.json)")
        self.path = path
        self._model = None
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                try:
                    self._model = CrossEncoder(str(self.path), device="cpu",
                                               local_files_only=True)
                except Exception as exc:
                    raise RerankerError(f"{self.path}: cannot load the reranker: {exc}") from exc
        return self._model

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        raw = self.load().predict([(query, t) for t in texts], show_progress_bar=False)
        out = []
        for s in raw:
            s = float(s)
            out.append(s if 0.0 <= s <= 1.0 else 1.0 / (1.0 + math.exp(-s)))
        return out
