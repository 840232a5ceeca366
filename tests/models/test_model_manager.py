"""Loading and switching models with the real bundled gemma-3-270m: defaults, saved
settings, status in a background thread, and bad files refused while the old model keeps
answering."""

from __future__ import annotations

import threading

import llama_cpp
import pytest

from models.embedder import physical_cores
from models.generator import GenerationError
from models.local_model import default_gpu_layers
from models.model_manager import ModelManager
from models.model_validation import DEFAULT_MAX_CONTEXT, ModelLoadError, validate_model

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
GREEDY = dict(temperature=0.0, max_tokens=12)


def test_defaults_follow_the_model_and_machine(bundled_gguf, bundled_loaded):
    header, n_ctx = validate_model(bundled_gguf)
    assert n_ctx == min(header.arch_value("context_length"), DEFAULT_MAX_CONTEXT) == 8192
    loaded = bundled_loaded.loaded
    assert loaded.n_threads == physical_cores()
    assert loaded.n_gpu_layers == default_gpu_layers()
    assert loaded.n_ctx == 4096  # the fixture's override
    llm = bundled_loaded.model.llm
    assert llm._model.n_params() == header.parameter_count  # header count == llama.cpp's
    assert llm.model_params.load_mode == llama_cpp.LLAMA_LOAD_MODE_MMAP


@pytest.mark.slow
def test_switch_models_with_status_in_a_background_thread(manager, bundled_gguf,
                                                          templated_gguf):
    stages: list[str] = []
    errors: list[BaseException] = []

    def load():
        try:
            manager.load(templated_gguf, context_length=2048,
                         on_status=lambda stage, msg: stages.append(stage))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    worker = threading.Thread(target=load)
    worker.start()
    worker.join(120)
    assert not errors, errors
    assert stages == ["validating", "unloading", "loading", "ready"]
    assert manager.loaded.name == "gemma-3-270m-chat.gguf"
    assert manager.loaded.chat_template is True and manager.has_chat_template is True
    prompt = manager.model.format_prompt(QUESTION)
    assert prompt == ("<bos><start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n"
                      "<start_of_turn>model\n")
    # the bundled model is a base model, so the answer itself is poor; what matters is
    # that Wenji's formatting + sampling equal llama-cpp-python's own chat completion.
    # Both start from an empty KV cache: a reused prefix is evaluated in other batches,
    # whose rounding can tip a greedy pick that is nearly a tie.
    manager.model.reset_cache()
    answer = manager.generate(QUESTION, temperature=0.0, max_tokens=12, repeat_penalty=1.0)
    manager.model.reset_cache()
    reference = manager.model.llm.create_chat_completion(
        messages=QUESTION, temperature=0.0, max_tokens=12, repeat_penalty=1.0)
    assert answer == reference["choices"][0]["message"]["content"]
    assert answer.strip() and "<end_of_turn>" not in answer
    manager.load(bundled_gguf, context_length=4096, seed=1234)
    assert manager.loaded.path == bundled_gguf
    assert manager.loaded.chat_template is False and manager.has_chat_template is False


@pytest.mark.parametrize("kind, cause", [
    ("truncated", r"file is truncated"),
    ("random", r"not a GGUF file"),
    ("unknown", r"llama.cpp cannot load this model: .*unknown model architecture: "
                r"'notarealarch'"),
])
def test_bad_files_fail_clearly_and_the_old_model_keeps_answering(bundled_loaded,
                                                                  broken_files, kind, cause):
    bad = broken_files[kind]
    before = bundled_loaded.loaded
    with pytest.raises(ModelLoadError, match=cause) as info:
        bundled_loaded.load(bad)
    assert str(bad) in str(info.value)
    assert bundled_loaded.loaded == before
    assert "Paris" in bundled_loaded.generate(QUESTION, **GREEDY)


def test_not_enough_memory_for_the_context_is_refused(bundled_loaded, bundled_gguf):
    before = bundled_loaded.loaded
    with pytest.raises(ModelLoadError, match=r"not enough memory for a 50,000,000-token "
                                             r"context") as info:
        bundled_loaded.load(bundled_gguf, context_length=50_000_000)
    assert str(bundled_gguf) in str(info.value)
    assert bundled_loaded.loaded == before
    assert "Paris" in bundled_loaded.generate(QUESTION, **GREEDY)


def test_missing_model_and_no_model(tmp_path):
    mgr = ModelManager()
    with pytest.raises(GenerationError, match="no chat model is loaded"):
        mgr.generate(QUESTION)
    with pytest.raises(ModelLoadError, match="missing.gguf: file not found"):
        mgr.load(tmp_path / "missing.gguf")


def test_unknown_load_option_is_a_type_error(bundled_gguf):
    with pytest.raises(TypeError, match="unknown load options: ctx"):
        ModelManager().load(bundled_gguf, ctx=512)


def test_load_by_name_applies_saved_model_settings(tmp_path, bundled_gguf):
    from models.registry import GenerationSettings, Registry

    folder = tmp_path / "models"
    folder.mkdir()
    (folder / bundled_gguf.name).symlink_to(bundled_gguf)
    reg = Registry(folder)
    reg.save_model_settings(bundled_gguf.name, GenerationSettings(
        context_length=512, temperature=0.0, max_tokens=3, system_prompt="Be brief."))
    mgr = ModelManager(reg, threads=1)
    try:
        loaded = mgr.load("gemma-3-270m-q4_k_m")
        assert (loaded.n_ctx, loaded.n_threads) == (512, 1)
        mgr.generate(QUESTION)
        assert mgr.last_stats.generated_tokens <= 3
        # the saved system prompt is prepended to chat messages
        with_system = mgr.last_stats.prompt_tokens
        assert with_system == len(mgr.model.prompt_tokens(
            [{"role": "system", "content": "Be brief."}] + QUESTION)[0])
    finally:
        mgr.unload()
