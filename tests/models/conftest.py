"""Shared fixtures for the model layer: the real bundled GGUF and real llama.cpp.

The bundled gemma-3-270m is assembled once per test session into the pytest temp base;
variants (a copy with a chat template written into its header, a truncated copy, random
bytes, an unknown architecture) are derived from it here.  One llama.cpp model is kept
loaded for the session because loading costs seconds on a small machine.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import gguf
import pytest

from models.gguf_header import read_header

# A Gemma-style template (the instruction-tuned Gemma 3 format, simplified).
GEMMA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def add_string_metadata(src: Path, dst: Path, items: dict[str, str]) -> Path:
    """Copy a GGUF, adding string keys to its header (tensor data copied unchanged).

    Tensor offsets are relative to the data section, so only the header grows and the
    data section is re-aligned.
    """
    header = read_header(src)
    assert not set(items) & set(header.metadata), "only new keys are supported"
    extra = b""
    for key, value in items.items():
        k, v = key.encode(), value.encode()
        extra += struct.pack("<Q", len(k)) + k + struct.pack("<I", gguf.GGUFValueType.STRING)
        extra += struct.pack("<Q", len(v)) + v
    alignment = int(header.metadata.get("general.alignment", 32))
    with open(src, "rb") as fin, open(dst, "wb") as out:
        head = fin.read(header.tensor_table_end)
        n_kv = struct.unpack_from("<Q", head, 16)[0]
        out.write(head[:16] + struct.pack("<Q", n_kv + len(items)) + head[24:header.kv_end])
        out.write(extra)
        out.write(head[header.kv_end:])
        out.write(b"\0" * (-out.tell() % alignment))
        fin.seek(header.data_offset)
        shutil.copyfileobj(fin, out, 1 << 22)
    return dst



@pytest.fixture(scope="session")
def templated_gguf(bundled_gguf, model_cache) -> Path:
    """The bundled model with a Gemma chat template in its header, under another name."""
    dst = model_cache / "variants" / "gemma-3-270m-chat.gguf"
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        add_string_metadata(bundled_gguf, dst, {"tokenizer.chat_template": GEMMA_TEMPLATE})
    return dst


@pytest.fixture(scope="session")
def broken_files(bundled_gguf, model_cache) -> dict[str, Path]:
    """A truncated copy, random bytes named .gguf, and an unknown architecture."""
    folder = model_cache / "broken"
    folder.mkdir(parents=True, exist_ok=True)
    truncated = folder / "truncated.gguf"
    with open(bundled_gguf, "rb") as fin, open(truncated, "wb") as out:
        out.write(fin.read(bundled_gguf.stat().st_size // 2))
    random_bytes = folder / "random.gguf"
    random_bytes.write_bytes(os.urandom(1 << 20))
    unknown = folder / "unknown-arch.gguf"
    writer = gguf.GGUFWriter(str(unknown), "notarealarch")
    writer.add_context_length(2048)
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", __import__("numpy").zeros((4, 8), "float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"truncated": truncated, "random": random_bytes, "unknown": unknown}


@pytest.fixture(scope="session")
def manager(bundled_gguf):
    """One ModelManager for the session, loaded with the bundled model."""
    from models.model_manager import ModelManager

    mgr = ModelManager()
    mgr.load(bundled_gguf, context_length=4096, seed=1234)
    yield mgr
    mgr.unload()


@pytest.fixture
def bundled_loaded(manager, bundled_gguf):
    """``manager`` with the bundled model loaded (a previous test may have switched)."""
    if manager.loaded is None or manager.loaded.path != bundled_gguf:
        manager.load(bundled_gguf, context_length=4096, seed=1234)
    return manager
