"""How much memory a GGUF needs at a given context, and how much the machine has.

Loading a model too big for the machine can swap it to a standstill or get the app
killed, and llama.cpp does not check first; these figures let a load be refused with a
reason before anything is allocated.
"""

from __future__ import annotations

import os

from models.gguf_header import GGUFHeader

# Added to the estimate for llama.cpp's compute buffers and allocator slack.
MEMORY_OVERHEAD_BYTES = 256 * 2**20


def available_memory_bytes() -> int | None:
    """Memory the OS could give us now (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        import psutil  # optional, for macOS and Windows

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _per_layer(value, n_layer: int) -> list[int]:
    if isinstance(value, list):
        return [int(v) for v in value[:n_layer]] + [0] * max(0, n_layer - len(value))
    return [int(value or 0)] * n_layer


def kv_cache_bytes(header: GGUFHeader, n_ctx: int) -> int:
    """f16 K and V for every attention layer at full context (SWA layers included,
    since Wenji loads SWA models with a full-size cache)."""
    n_layer = int(header.arch_value("block_count", 0) or 0)
    n_head = header.arch_value("attention.head_count", 0)
    if not n_layer or not n_head:
        return 0  # recurrent models keep a small fixed state
    heads = _per_layer(n_head, n_layer)
    kv_heads = _per_layer(header.arch_value("attention.head_count_kv", n_head), n_layer)
    n_embd = int(header.arch_value("embedding_length", 0) or 0)
    max_heads = max(heads) or 1
    k_len = int(header.arch_value("attention.key_length", n_embd // max_heads) or 0)
    v_len = int(header.arch_value("attention.value_length", k_len) or 0)
    per_token = sum(h * (k_len + v_len) for h in kv_heads) * 2
    return per_token * n_ctx


def estimate_memory(header: GGUFHeader, n_ctx: int, n_batch: int = 512) -> int:
    """Bytes needed to run ``header``'s model with ``n_ctx`` tokens of context: weights
    + KV cache + the compute buffer (dominated by one batch of logits: measured
    515 MiB for Gemma 3's 262k vocabulary at n_batch 512) + a margin."""
    n_vocab = 0
    tokens = header.metadata.get("tokenizer.ggml.tokens")
    if tokens is not None:
        n_vocab = getattr(tokens, "length", None) or len(tokens)
    logits = n_vocab * min(n_batch, n_ctx) * 4
    return header.file_size + kv_cache_bytes(header, n_ctx) + logits + MEMORY_OVERHEAD_BYTES


def format_bytes(n: int) -> str:
    """``n`` bytes as GiB or MiB, for messages."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"
