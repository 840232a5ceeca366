"""Local models: the sentence-transformers embedder, the GGUF registry, llama.cpp
generation and answering.  Never imports Qt."""

from models import offline as _offline  # noqa: F401  (must run before HF / Chroma imports)
