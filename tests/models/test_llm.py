"""llama.cpp generation with the real bundled gemma-3-270m: load, stream, cancel,
switch, refuse bad files while the old model keeps answering, prefix reuse."""

from __future__ import annotations

import threading
import time

import llama_cpp
import pytest

from models.embedder import physical_cores
from models.llm import (DEFAULT_MAX_CONTEXT, GenerationError, ModelLoadError, ModelManager,
                        default_gpu_layers, plain_chat_prompt, validate_model)

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
GREEDY = dict(temperature=0.0, max_tokens=12)


def _filler(n_items: int, seed: int = 0) -> str:
    return " ".join(f"Record {i}: the {['red', 'blue', 'green'][(i + seed) % 3]} box holds "
                    f"{(i * 7 + seed) % 13} stones." for i in range(n_items))


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


def test_stream_yields_pieces_of_a_real_answer(bundled_loaded):
    pieces = list(bundled_loaded.stream(QUESTION, **GREEDY))
    assert len(pieces) >= 2, pieces
    assert "Paris" in "".join(pieces)
    stats = bundled_loaded.last_stats
    assert stats.generated_tokens >= 2
    assert stats.stop_reason in {"eos", "stop", "length"}
    assert stats.time_to_first_token > 0


def test_plain_prompt_format_for_models_without_template(bundled_loaded):
    msgs = [{"role": "system", "content": "Be brief."}] + QUESTION + [
        {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And Italy?"}]
    assert plain_chat_prompt(msgs) == ("Be brief.\n\nUser: What is the capital of France?\n"
                                       "Assistant: Paris.\nUser: And Italy?\nAssistant:")
    assert bundled_loaded.model.format_prompt(msgs) == "<bos>" + plain_chat_prompt(msgs)
    # the model continuing the dialogue is cut at the next "User:" turn
    answer = bundled_loaded.generate(msgs, temperature=0.0, max_tokens=60)
    assert "User:" not in answer


def test_count_tokens_uses_the_model_tokenizer(bundled_loaded):
    model = bundled_loaded.model
    text = "Wenji answers questions from your own documents. 文集回答问题。"
    expected = len(model.llm.tokenize(text.encode(), add_bos=False))
    assert bundled_loaded.count_tokens(text) == expected > 5
    assert bundled_loaded.count_tokens("") == 0


def _run_and_cancel(manager, request, after_pieces=0, after_seconds=0.0):
    """Stream, set the cancel event from another thread, return (latency, pieces)."""
    cancel = threading.Event()
    set_at: list[float] = []

    def fire():
        time.sleep(after_seconds)
        set_at.append(time.perf_counter())
        cancel.set()

    pieces = []
    if after_pieces == 0:
        threading.Thread(target=fire, daemon=True).start()
    for piece in manager.stream(request, cancel, temperature=0.8, max_tokens=2000):
        pieces.append(piece)
        if len(pieces) == after_pieces:
            threading.Thread(target=fire, daemon=True).start()
    ended = time.perf_counter()
    assert set_at, "the stream ended before cancel was requested; make it longer"
    return ended - set_at[0], pieces


def test_cancel_during_generation_stops_within_100ms(bundled_loaded):
    latency, pieces = _run_and_cancel(bundled_loaded, "Write a very long story about a cat.",
                                      after_pieces=3, after_seconds=0.15)
    assert bundled_loaded.last_stats.stop_reason == "cancelled"
    assert latency < 0.1, f"cancel took {latency * 1000:.0f} ms"
    assert len(pieces) >= 3


@pytest.mark.slow
def test_cancel_during_a_long_prompt_stops_within_100ms(bundled_loaded):
    long_prompt = _filler(250, seed=5) + "\nWhich box holds the most stones?"
    latency, pieces = _run_and_cancel(bundled_loaded, long_prompt, after_seconds=0.3)
    stats = bundled_loaded.last_stats
    assert stats.stop_reason == "cancelled"
    assert pieces == [] and stats.generated_tokens == 0
    assert stats.evaluated_tokens < stats.prompt_tokens, "cancel did not interrupt the prompt"
    assert latency < 0.1, f"cancel took {latency * 1000:.0f} ms"
    # the cache is consistent afterwards: the model still answers correctly
    assert "Paris" in bundled_loaded.generate(QUESTION, **GREEDY)


@pytest.mark.slow
def test_prefix_reuse_in_a_conversation(bundled_loaded):
    doc = _filler(40)
    turn1 = [{"role": "system", "content": "Use these records:\n" + doc},
             {"role": "user", "content": "What does the red box hold?"}]
    answer = bundled_loaded.generate(turn1, **GREEDY)
    first = bundled_loaded.last_stats
    turn2 = turn1 + [{"role": "assistant", "content": answer},
                     {"role": "user", "content": "And the blue box?"}]
    bundled_loaded.generate(turn2, **GREEDY)
    second = bundled_loaded.last_stats
    assert second.reused_tokens >= first.prompt_tokens - 1
    assert second.evaluated_tokens == second.prompt_tokens - second.reused_tokens
    assert second.evaluated_tokens < 40 < first.evaluated_tokens


@pytest.mark.slow
def test_prefix_reuse_is_correct_past_the_sliding_window(bundled_loaded):
    """Gemma 3 attends within 512-token windows.  After a ~1250-token prompt, a new
    prompt sharing only its first ~150 tokens must give the same greedy answer whether
    the prefix is reused or evaluated afresh.  llama-cpp-python's default (a 1024-cell
    SWA cache) drops the positions the window needs, and then reuses the prefix anyway
    (measured: a different greedy answer on a 3000-token variant of this test, too slow
    to run here).  So also check the mechanism: position 0 is still in the cache."""
    shared = "Records:\n" + _filler(10)
    first = shared + " " + _filler(110, seed=1) + "\nQuestion: what does record 3 hold?\nAnswer:"
    second = shared + " " + _filler(3, seed=2) + "\nQuestion: what does record 5 hold?\nAnswer:"
    bundled_loaded.generate(first, temperature=0.0, max_tokens=4)
    assert bundled_loaded.last_stats.prompt_tokens > 1024 + 150 + 50
    mem = llama_cpp.llama_get_memory(bundled_loaded.model.llm.ctx)
    assert llama_cpp.llama_memory_seq_pos_min(mem, 0) == 0  # nothing dropped
    reused_answer = bundled_loaded.generate(second, temperature=0.0, max_tokens=16)
    reused = bundled_loaded.last_stats
    bundled_loaded.model.reset_cache()
    fresh_answer = bundled_loaded.generate(second, temperature=0.0, max_tokens=16)
    fresh = bundled_loaded.last_stats
    assert fresh.reused_tokens == 0
    assert 120 < reused.reused_tokens < 200, reused
    assert reused.evaluated_tokens == reused.prompt_tokens - reused.reused_tokens
    assert reused_answer == fresh_answer
    # (timings are asserted in bench/generate.py; on a shared 2-core machine they are noise)


def test_prompt_longer_than_context_is_refused(bundled_loaded):
    with pytest.raises(GenerationError, match="context holds 4096"):
        list(bundled_loaded.stream(_filler(600)))


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
    assert manager.loaded.chat_template is True
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
    assert manager.loaded.chat_template is False


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
