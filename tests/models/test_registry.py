"""The GGUF registry: header-only listing, add/remove, per-model settings."""

from __future__ import annotations

import shutil
import time

import pytest

from models.gguf_header import GGUFError, read_header
from models.registry import GenerationSettings, Registry, RegistryError


@pytest.fixture
def models_dir(tmp_path, bundled_gguf):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / bundled_gguf.name).symlink_to(bundled_gguf)
    return folder


def test_header_reader_matches_the_file(bundled_gguf):
    t0 = time.perf_counter()
    header = read_header(bundled_gguf)
    elapsed = time.perf_counter() - t0
    assert header.architecture == "gemma3"
    assert header.arch_value("context_length") == 32768
    assert len(header.tensors) == 236
    assert header.metadata["tokenizer.ggml.tokens"].length == 262144  # skipped, counted
    # the last tensor ends exactly where the file ends: offsets and sizes are right
    last = max(header.tensors, key=lambda t: t.offset)
    assert header.data_offset + last.offset + last.n_bytes == header.file_size
    assert elapsed < 2.0, f"header read took {elapsed:.2f} s; it must not read weights"


def test_list_reads_header_fields(models_dir, bundled_gguf):
    reg = Registry(models_dir)
    t0 = time.perf_counter()
    models = reg.list()
    assert time.perf_counter() - t0 < 2.0
    assert [m.name for m in models] == [bundled_gguf.name]
    m = models[0]
    assert m.ok, m.error
    assert m.display_name == "Gemma 3 270m"
    assert m.architecture == "gemma3"
    assert m.parameter_count == 268_098_176
    assert m.size_label == "268M"
    assert m.quantization == "Q4_K_M"
    assert m.size_bytes == bundled_gguf.stat().st_size
    assert m.context_length == 32768
    assert m.has_chat_template is False


def test_chat_template_is_detected(tmp_path, templated_gguf):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / templated_gguf.name).symlink_to(templated_gguf)
    (info,) = Registry(folder).list()
    assert info.has_chat_template is True
    assert info.parameter_count == 268_098_176


def test_broken_files_are_listed_with_an_error(models_dir, broken_files):
    for f in (broken_files["truncated"], broken_files["random"]):
        shutil.copy(f, models_dir / f.name)
    (models_dir / "empty.gguf").write_bytes(b"")
    (models_dir / "notes.txt").write_text("not a model")
    models = {m.name: m for m in Registry(models_dir).list()}
    assert set(models) == {"empty.gguf", "gemma-3-270m-q4_k_m.gguf", "random.gguf",
                           "truncated.gguf"}
    assert models["gemma-3-270m-q4_k_m.gguf"].ok
    assert "truncated" in models["truncated.gguf"].error
    assert str(models_dir / "truncated.gguf") in models["truncated.gguf"].error
    assert "not a GGUF file" in models["random.gguf"].error
    assert "random.gguf" in models["random.gguf"].error
    assert not models["empty.gguf"].ok


def test_truncated_header_error_names_the_file(tmp_path, bundled_gguf):
    cut = tmp_path / "cut-in-header.gguf"
    cut.write_bytes(bundled_gguf.read_bytes()[:100_000])  # inside the vocabulary
    with pytest.raises(GGUFError, match="cut-in-header.gguf.*truncated"):
        read_header(cut)


def test_add_copy_link_and_remove(tmp_path, bundled_gguf, templated_gguf):
    reg = Registry(tmp_path / "models")
    linked = reg.add(templated_gguf, link=True)
    assert (tmp_path / "models" / templated_gguf.name).is_symlink()
    assert linked.has_chat_template
    small = tmp_path / "src" / "copy-me.gguf"
    small.parent.mkdir()
    shutil.copy(bundled_gguf, small)
    copied = reg.add(small)
    assert not (tmp_path / "models" / "copy-me.gguf").is_symlink()
    assert copied.size_bytes == bundled_gguf.stat().st_size
    assert reg.get("copy-me").name == "copy-me.gguf"
    with pytest.raises(RegistryError, match="already exists"):
        reg.add(_renamed_copy(small, tmp_path / "other" / "copy-me.gguf"))
    reg.remove("copy-me.gguf")
    reg.remove(templated_gguf.name)
    assert reg.list() == []
    assert templated_gguf.exists(), "removing a link must not delete the linked file"


def _renamed_copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    return dst


def test_add_refuses_bad_files_with_a_clear_error(tmp_path, broken_files):
    reg = Registry(tmp_path / "models")
    with pytest.raises(RegistryError, match="random.gguf: not a GGUF file"):
        reg.add(broken_files["random"])
    with pytest.raises(RegistryError, match="truncated.gguf: file is truncated"):
        reg.add(broken_files["truncated"])
    text = tmp_path / "model.bin"
    text.write_bytes(b"GGUF")
    with pytest.raises(RegistryError, match="model.bin: not a .gguf file"):
        reg.add(text)
    with pytest.raises(RegistryError, match="missing.gguf: file not found"):
        reg.add(tmp_path / "missing.gguf")
    assert not (tmp_path / "models").exists() or reg.list() == []


def test_extra_folders_are_listed_but_never_deleted(tmp_path, models_dir, templated_gguf):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / templated_gguf.name).symlink_to(templated_gguf)
    reg = Registry(models_dir, [extra, tmp_path / "does-not-exist"])
    folders = {m.name: m.folder for m in reg.list()}
    assert folders == {"gemma-3-270m-q4_k_m.gguf": "models", templated_gguf.name: "extra"}
    with pytest.raises(RegistryError, match="extra model folder"):
        reg.remove(templated_gguf.name)
    assert (extra / templated_gguf.name).exists()
    with pytest.raises(RegistryError, match="no model named 'nope'"):
        reg.get("nope")


def test_model_settings_round_trip(models_dir, bundled_gguf):
    reg = Registry(models_dir)
    assert reg.load_model_settings(bundled_gguf.name) == GenerationSettings()
    saved = GenerationSettings(context_length=2048, n_gpu_layers=0, temperature=0.7,
                               top_p=0.9, repeat_penalty=1.2, max_tokens=64,
                               system_prompt="Answer briefly. 简短回答。")
    reg.save_model_settings(bundled_gguf.name, saved)
    assert (models_dir / "model_settings.json").exists()
    assert Registry(models_dir).load_model_settings(bundled_gguf.name) == saved
    assert reg.load_model_settings("other.gguf") == GenerationSettings()
    with pytest.raises(RegistryError, match="temperature must be between 0 and 5"):
        reg.save_model_settings(bundled_gguf.name, GenerationSettings(temperature=9))
    (models_dir / "model_settings.json").write_text("{not json")
    with pytest.raises(RegistryError, match="model_settings.json: cannot be read"):
        reg.load_model_settings(bundled_gguf.name)
