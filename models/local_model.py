"""One loaded GGUF in llama.cpp: prompt formatting, token counting, streaming generation.

Why this wraps ``llama_cpp.Llama`` instead of calling it directly:

* **Fast cancel.**  A ``threading.Event`` stops generation between tokens *and inside*
  llama.cpp's compute graph (:class:`models.llama_abort.AbortFlag`), so cancel is
  immediate even in the middle of evaluating a long prompt on a slow machine.
* **Correct prefix reuse.**  The next prompt that starts like the previous one only
  evaluates the new tokens.  llama-cpp-python's own reuse is *silently wrong* for models
  with sliding-window attention (Gemma 2/3, ...) because llama.cpp's default SWA cache
  forgets old positions: measured on the bundled Gemma 3, a reused prefix gave a
  different greedy answer than a fresh evaluation.  So SWA models are loaded with a
  full-size SWA cache (``swa_full``), and before reusing a prefix we check llama.cpp's
  memory still holds the positions the window needs; otherwise the prompt is evaluated
  from scratch.
* **Chat formatting.**  A GGUF's own ``tokenizer.chat_template`` is rendered with
  llama-cpp-python's ``Jinja2ChatFormatter``.  Base models without a template (the
  bundled gemma-3-270m) use :func:`models.plain_prompt.plain_chat_prompt`.
"""

from __future__ import annotations

import codecs
import gc
import logging
import os
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from models.embedder import physical_cores
from models.generator import GenerationError, GenerationStats, Request
from models.gguf_header import GGUFHeader, read_header
from models.llama_abort import AbortFlag
from models.llama_log import errors_since, log_mark
from models.model_validation import ModelLoadError
from models.plain_prompt import PLAIN_STOPS, plain_chat_prompt
from models.reasons import Reason

log = logging.getLogger(__name__)


def default_gpu_layers() -> int:
    """All layers (-1) when this llama.cpp build can offload to a GPU, else 0."""
    try:
        return -1 if llama_cpp.llama_supports_gpu_offload() else 0
    except (AttributeError, OSError):
        return 0


def _after(first: str, pieces: Iterator[str]) -> Iterator[str]:
    yield first
    yield from pieces


class LocalModel:
    """A loaded GGUF: formatting, token counting and streaming generation.

    One generation runs at a time (a lock); :class:`models.model_manager.ModelManager`
    is what callers use.
    """

    def __init__(self, path: str | os.PathLike, *, n_ctx: int, n_threads: int = 0,
                 n_gpu_layers: int | None = None, header: GGUFHeader | None = None,
                 seed: int = llama_cpp.LLAMA_DEFAULT_SEED, n_batch: int = 512) -> None:
        self.path = Path(path)
        self.header = header or read_header(self.path)
        self.n_threads = n_threads or physical_cores()
        self.n_gpu_layers = default_gpu_layers() if n_gpu_layers is None else n_gpu_layers
        n_swa = int(self.header.arch_value("attention.sliding_window", 0) or 0)
        mark = log_mark()
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.path), n_ctx=n_ctx, n_batch=min(n_batch, n_ctx),
                n_threads=self.n_threads, n_threads_batch=self.n_threads,
                n_gpu_layers=self.n_gpu_layers, use_mmap=True, verbose=False, seed=seed,
                swa_full=True if n_swa else None)
        except (ValueError, RuntimeError, OSError) as exc:
            cause = errors_since(mark) or str(exc)
            raise ModelLoadError(Reason("llama_failed_to_load", "{path}: llama.cpp failed to "
                                        "load it: {cause}", path=str(self.path),
                                        cause=cause)) from None
        self.n_ctx = self.llm.n_ctx()
        self.n_swa = llama_cpp.llama_model_n_swa(self.llm.model) if n_swa else 0
        self.swa_full = bool(n_swa)
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._bos = self.llm.token_bos()
        self._eos = self.llm.token_eos()
        self._add_bos = bool(self.llm._model.add_bos_token())
        template = self.header.metadata.get("tokenizer.chat_template")
        self.chat_template = template if isinstance(template, str) else None
        self._opens_thinking = False
        self._formatter = None
        if self.chat_template:
            eos_text = self.llm._model.token_get_text(self._eos) if self._eos != -1 else ""
            bos_text = self.llm._model.token_get_text(self._bos) if self._bos != -1 else ""
            try:
                self._formatter = Jinja2ChatFormatter(self.chat_template, eos_token=eos_text,
                                                      bos_token=bos_text)
            except Exception as exc:  # a template Jinja cannot parse: plain prompts
                log.warning("%s: its chat template cannot be used (%s); using Wenji's "
                            "plain-text prompt format", self.path, exc)
                self.chat_template = None
            self._template_stops = [eos_text] if eos_text else []
        self._abort = AbortFlag(self.llm.ctx)
        self._lock = threading.Lock()
        self.last_stats = GenerationStats()

    @property
    def name(self) -> str:
        return self.path.name

    def close(self) -> None:
        """Free llama.cpp's memory now rather than whenever the GC runs."""
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            llm.close()
            del llm
            gc.collect()

    def reset_cache(self) -> None:
        """Forget the KV cache: the next prompt is evaluated from scratch."""
        with self._lock:
            self.llm.reset()
            self.llm._ctx.kv_cache_clear()

    # --- tokens -------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes with this model's tokenizer (no BOS)."""
        if not text:
            return 0
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, request: Request) -> tuple[list[int], list[str]]:
        """Tokens for a plain prompt string or a list of chat messages, and stop strings."""
        if isinstance(request, str):
            return self.llm.tokenize(request.encode("utf-8"), add_bos=self._add_bos,
                                     special=False), []
        messages = list(request)
        if self._formatter is not None:
            try:
                text = self._formatter(messages=messages).prompt
            except Exception as exc:  # a template that rejects the conversation
                raise GenerationError(f"{self.name}: its chat template failed: {exc}") from exc
            # a reasoning model's template may open the thinking block itself
            self._opens_thinking = text.rstrip().endswith("<think>")
            tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
            if self._add_bos and self._bos != -1 and (not tokens or tokens[0] != self._bos):
                tokens.insert(0, self._bos)
            return tokens, list(self._template_stops)
        text = plain_chat_prompt(messages)
        return (self.llm.tokenize(text.encode("utf-8"), add_bos=self._add_bos, special=False),
                list(PLAIN_STOPS))

    def format_prompt(self, request: Request) -> str:
        """The prompt text the model sees (for logs and debugging)."""
        tokens, _ = self.prompt_tokens(request)
        return self.llm.detokenize(tokens, special=True).decode("utf-8", errors="replace")

    # --- prefix reuse --------------------------------------------------------------

    def _reusable_prefix(self, tokens: list[int]) -> int:
        """How many leading prompt tokens are already correctly in the KV cache."""
        llm = self.llm
        if llm.n_tokens == 0:
            return 0
        cached = llm._input_ids
        common = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            common += 1
        if common >= len(tokens):
            common = len(tokens) - 1  # re-evaluate the last token to get fresh logits
        if common <= 0:
            return 0
        if llm._is_recurrent or llm._is_hybrid:
            return common if common == llm.n_tokens else 0  # state cannot be rewound
        if self.n_swa and not self.swa_full:
            mem = llama_cpp.llama_get_memory(llm.ctx)
            pos_min = llama_cpp.llama_memory_seq_pos_min(mem, 0)
            if pos_min < 0 or pos_min > max(0, common - self.n_swa):
                return 0  # the window's old positions were dropped: evaluate afresh
        return common

    def _prefill(self, tokens: list[int], stats: GenerationStats) -> bool:
        """Evaluate the prompt (reusing the cached prefix); False if cancelled."""
        llm = self.llm
        reuse = self._reusable_prefix(tokens)
        if reuse and not llm._ctx.kv_cache_seq_rm(-1, reuse, -1):
            reuse = 0
        if reuse:
            llm.n_tokens = reuse
        else:
            llm.reset()
            llm._ctx.kv_cache_clear()
        stats.reused_tokens = reuse
        # One eval call (llama-cpp-python splits it into n_batch batches); a cancel in
        # the middle is handled by the C abort flag, which makes llama_decode fail.
        n_before = llm.n_tokens
        try:
            if not self._abort.is_set():
                llm.eval(tokens[reuse:])
        finally:
            stats.evaluated_tokens = llm.n_tokens - n_before
        return not self._abort.is_set()

    # --- generation -----------------------------------------------------------------

    def stream(self, request: Request, cancel_event: threading.Event | None = None, *,
               max_tokens: int = 512, temperature: float = 0.2, top_p: float = 0.95,
               top_k: int = 40, min_p: float = 0.05, repeat_penalty: float = 1.1,
               stop: Sequence[str] = ()) -> Iterator[str]:
        """Yield the answer's text piece by piece.

        ``request`` is a prompt string (used as is) or chat messages (formatted with the
        model's template, or :func:`plain_chat_prompt`).  Setting ``cancel_event`` stops
        generation promptly (inside llama.cpp's compute, not only between tokens); the
        iterator then simply ends.  Figures land in :attr:`last_stats`.
        """
        self._opens_thinking = False
        tokens, stops = self.prompt_tokens(request)
        stops = [s for s in list(stops) + list(stop) if s]
        if len(tokens) >= self.n_ctx:
            raise GenerationError(f"{self.name}: the prompt has {len(tokens)} tokens but the "
                                  f"context holds {self.n_ctx}; shorten it")
        budget = min(max_tokens, self.n_ctx - len(tokens))
        pieces = self._generate(tokens, stops, cancel_event, budget, dict(
            temp=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
            repeat_penalty=repeat_penalty))
        # the thinking the template opened is delivered as the stream's own <think> block
        # (answer.thinking reads one form of thinking for every backend)
        return _after("<think>", pieces) if self._opens_thinking else pieces

    def _generate(self, tokens, stops, cancel_event, budget, sampling) -> Iterator[str]:
        with self._lock:
            if self.llm is None:
                raise GenerationError(f"{self.name} was unloaded before the answer started")
            stats = GenerationStats(prompt_tokens=len(tokens))
            self.last_stats = stats
            self._abort.set(False)
            done = threading.Event()
            if cancel_event is not None:
                if cancel_event.is_set():
                    stats.stop_reason = "cancelled"
                    return
                watcher = threading.Thread(target=self._watch, args=(cancel_event, done),
                                           name="wenji-cancel-watch", daemon=True)
                watcher.start()
            llm = self.llm
            gen = None
            try:
                t0 = time.perf_counter()
                try:
                    ok = self._prefill(tokens, stats)
                except RuntimeError as exc:
                    if not self._abort.is_set():
                        raise GenerationError(f"{self.name}: llama.cpp failed on the prompt: "
                                              f"{exc}") from exc
                    ok = False
                stats.prompt_seconds = time.perf_counter() - t0
                if not ok:
                    stats.stop_reason = "cancelled"
                    return
                decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
                hold = max((len(s) for s in stops), default=1) - 1
                pending = ""
                t_first = t_last = t0
                gen = llm.generate(tokens, **sampling)
                while True:
                    try:
                        tok = next(gen)
                    except StopIteration:
                        stats.stop_reason = stats.stop_reason or "eos"
                        break
                    except RuntimeError as exc:
                        if self._abort.is_set():
                            stats.stop_reason = "cancelled"
                            break
                        raise GenerationError(f"{self.name}: llama.cpp failed while "
                                              f"generating: {exc}") from exc
                    t_last = time.perf_counter()
                    if self._abort.is_set():
                        stats.stop_reason = "cancelled"
                        break
                    if llama_cpp.llama_vocab_is_eog(self._vocab, tok):
                        stats.stop_reason = "eos"
                        break
                    stats.generated_tokens += 1
                    if stats.generated_tokens == 1:
                        t_first = t_last
                        stats.time_to_first_token = t_first - t0
                    pending += decoder.decode(llm.detokenize([tok]))
                    cut = min((i for i in (pending.find(s) for s in stops) if i >= 0),
                              default=-1)
                    if cut >= 0:
                        pending = pending[:cut]
                        stats.stop_reason = "stop"
                        break
                    if stats.generated_tokens >= budget:
                        stats.stop_reason = ("context" if llm.n_tokens + 1 >= self.n_ctx
                                             else "length")
                        break
                    emit = pending[:len(pending) - hold] if hold else pending
                    stats.wrapper_seconds += time.perf_counter() - t_last
                    if emit:
                        pending = pending[len(emit):]
                        yield emit
                        if self._abort.is_set():
                            stats.stop_reason = "cancelled"
                            break
                stats.generation_seconds = t_last - t_first
                if stats.stop_reason != "cancelled":
                    pending += decoder.decode(b"", final=True)
                    if pending:
                        yield pending
            finally:
                done.set()
                if gen is not None:
                    # the caller may have stopped reading (an answer cut by a stream guard)
                    if not stats.generation_seconds and stats.generated_tokens:
                        stats.generation_seconds = t_last - t_first
                    gen.close()
                self._abort.set(False)

    def _watch(self, cancel_event: threading.Event, done: threading.Event) -> None:
        """Copy the caller's event into the C abort flag (polled every 5 ms)."""
        while not done.is_set():
            if cancel_event.wait(0.005):
                self._abort.set(True)
                return

    def cancel(self) -> None:
        """Stop the running generation (same effect as setting its cancel event)."""
        self._abort.set(True)
