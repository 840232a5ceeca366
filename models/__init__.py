"""Model runtimes: the sentence-transformers embedder, the GGUF registry, llama.cpp
generation and an OpenAI-compatible remote backend; no documents.  Never imports Qt."""

from models import offline as _offline  # noqa: F401  (must run before HF / Chroma imports)
