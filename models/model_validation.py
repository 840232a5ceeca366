"""Check a GGUF can be loaded before anything is unloaded or allocated.

A model switch must not lose the current model to a file that was never going to
load, so everything that can be checked cheaply is checked first: the GGUF header
(magic, tensors inside the file), the architecture (known to this llama.cpp), the
context length and the memory it needs.  Every failure is a :class:`ModelLoadError`
naming the file and the cause.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import llama_cpp

from models.gguf_header import GGUFError, GGUFHeader, read_model_header
from models.llama_log import errors_since, log_mark
from models.model_memory import (available_memory_bytes, estimate_memory, format_bytes,
                                 kv_cache_bytes)
from models.reasons import Explained, Reason

log = logging.getLogger(__name__)

DEFAULT_MAX_CONTEXT = 8192


class ModelLoadError(Explained, RuntimeError):
    """A model could not be loaded; the message names the file and the cause (``reason``:
    its code and parameters)."""


def check_architecture(path: Path) -> None:
    """Let llama.cpp itself read the header and vocabulary (no weights): this is the
    real test that its version knows the architecture."""
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    mark = log_mark()
    model = llama_cpp.llama_model_load_from_file(str(path).encode("utf-8"), params)
    if not model:
        cause = errors_since(mark) or "llama.cpp could not read it"
        raise ModelLoadError(Reason("llama_cannot_load", "{path}: llama.cpp cannot load this "
                                    "model: {cause}", path=str(path), cause=cause))
    llama_cpp.llama_model_free(model)


def validate_model(path: str | os.PathLike, n_ctx: int | None = None,
                   extra_available: int = 0) -> tuple[GGUFHeader, int]:
    """Check ``path`` can be loaded with ``n_ctx`` tokens of context (None: the default).

    Returns the header and the context length to use.  Raises :class:`ModelLoadError`.
    ``extra_available`` is memory that will be freed before loading (the current model).
    """
    path = Path(path)
    try:
        header = read_model_header(path)
    except GGUFError as exc:
        raise ModelLoadError(exc.reason) from None
    trained = int(header.arch_value("context_length", 0) or 0)
    if not n_ctx:
        n_ctx = min(trained, DEFAULT_MAX_CONTEXT) if trained else 4096
    if n_ctx < 64:
        raise ModelLoadError(Reason("context_too_small", "{path}: context length {n_ctx} is too "
                                    "small (at least 64)", path=str(path), n_ctx=n_ctx))
    if trained and n_ctx > trained:
        log.warning("%s: context %d is longer than the %d tokens it was trained on; "
                    "answers may degrade", path, n_ctx, trained)
    check_architecture(path)
    need = estimate_memory(header, n_ctx)
    avail = available_memory_bytes()
    if avail is not None and need > avail + extra_available:
        raise ModelLoadError(Reason(
            "not_enough_memory", "{path}: not enough memory for a {n_ctx:,}-token context: "
            "needs about {need} (weights {weights}, context cache {cache}) but only "
            "{available} is available; choose a shorter context",
            path=str(path), n_ctx=n_ctx, need=format_bytes(need),
            weights=format_bytes(header.file_size),
            cache=format_bytes(kv_cache_bytes(header, n_ctx)),
            available=format_bytes(avail + extra_available)))
    return header, n_ctx
