"""Local generation with llama.cpp: load a GGUF safely, stream text, cancel fast.

Why this module exists instead of calling ``llama_cpp.Llama`` directly:

* **Safe switching.**  :meth:`ModelManager.load` validates the new file first (GGUF magic,
  header, tensors inside the file, architecture known to this llama.cpp, memory for the
  requested context) and only then unloads the current model.  Any failure raises
  :class:`ModelLoadError` naming the file and the cause, and the previous model keeps
  answering.  If llama.cpp itself fails after the old model was unloaded, the old model
  is loaded again.
* **Fast cancel.**  A ``threading.Event`` stops generation between tokens *and inside*
  llama.cpp's compute graph (a C-level abort callback), so cancel is immediate even in
  the middle of evaluating a long prompt on a slow machine.
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
  bundled gemma-3-270m) use :func:`plain_chat_prompt`.

Never imports Qt; callers run :meth:`ModelManager.load` in a worker thread if they like
and follow it through the ``on_status`` callback.
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import dataclasses
import gc
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, Union

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from models.embedder import physical_cores
from models.gguf_header import GGUFError, GGUFHeader, read_header, read_model_header

log = logging.getLogger(__name__)
llama_log = logging.getLogger("llama.cpp")

DEFAULT_MAX_CONTEXT = 8192
# Added to the estimate for llama.cpp's compute buffers and allocator slack.
MEMORY_OVERHEAD_BYTES = 256 * 2**20

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}
Request = Union[str, Sequence[Message]]
StatusCallback = Callable[[str, str], None]  # (stage, human-readable message)


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message names the file and the cause."""


class GenerationError(RuntimeError):
    """Generation could not run (no model, prompt too long, llama.cpp failure)."""


# --- llama.cpp's log: into Python logging, and kept for error messages ----------------

# ggml's log levels (ggml.h of the llama.cpp bundled with llama-cpp-python 0.3.36):
# NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5.  (llama_cpp/_logger.py still uses the
# older numbering, which is why its filtering is wrong.)  llama.cpp's errors also reach
# the caller as exceptions, so they are logged as warnings; routine facts as debug.
_GGML_WARN, _GGML_ERROR, _GGML_CONT = 3, 4, 5
_LOG_LEVELS = {_GGML_WARN: logging.INFO, _GGML_ERROR: logging.WARNING}
_recent_log: collections.deque[tuple[int, int, str]] = collections.deque(maxlen=200)
_last_level = 1
_log_seq = 0


@llama_cpp.llama_log_callback
def _llama_log_callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _last_level, _log_seq
    msg = text.decode("utf-8", errors="replace")
    if level == _GGML_CONT:  # continues the previous line
        level = _last_level
    _last_level = level
    _log_seq += 1
    _recent_log.append((_log_seq, level, msg))
    py_level = _LOG_LEVELS.get(level, logging.DEBUG)
    if llama_log.isEnabledFor(py_level) and msg.strip():
        llama_log.log(py_level, "%s", msg.rstrip())


llama_cpp.llama_log_set(_llama_log_callback, ctypes.c_void_p(0))


def _log_mark() -> int:
    return _log_seq


def _errors_since(mark: int) -> str:
    """The llama.cpp error lines logged after ``mark`` (the cause of a failed load)."""
    errors = [m.strip() for seq, lvl, m in list(_recent_log)
              if seq > mark and m.strip() and (lvl == _GGML_ERROR or (
                  lvl == _GGML_WARN and "error" in m.lower()))]
    return "; ".join(dict.fromkeys(errors))


# --- the C-level abort flag -------------------------------------------------------------
#
# llama.cpp calls ``abort_callback(data)`` between the nodes of every compute graph and
# stops the decode when it returns true.  A Python callback there would take the GIL
# hundreds of times per token (a few % of throughput), so the callback is libc's
# ``strlen`` and ``data`` a two-byte buffer: "\0" -> 0 (go on), "\1" -> 1 (abort).

def _strlen_address() -> int | None:
    try:
        libc = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
        return ctypes.cast(libc.strlen, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


_STRLEN = _strlen_address()


class _AbortFlag:
    def __init__(self, ctx) -> None:
        self.buffer = ctypes.create_string_buffer(2)
        self.active = False
        if _STRLEN is not None:
            self._callback = llama_cpp.ggml_abort_callback(_STRLEN)
            llama_cpp.llama_set_abort_callback(ctx, self._callback,
                                               ctypes.cast(self.buffer, ctypes.c_void_p))
            self.active = True

    def set(self, value: bool) -> None:
        self.buffer[0] = b"\x01" if value else b"\x00"

    def is_set(self) -> bool:
        return self.buffer[0] == b"\x01"


# --- memory and defaults ------------------------------------------------------------------

def default_gpu_layers() -> int:
    """All layers (-1) when this llama.cpp build can offload to a GPU, else 0."""
    try:
        return -1 if llama_cpp.llama_supports_gpu_offload() else 0
    except (AttributeError, OSError):
        return 0


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


def _fmt_bytes(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


# --- validation -----------------------------------------------------------------------

def check_architecture(path: Path) -> None:
    """Let llama.cpp itself read the header and vocabulary (no weights): this is the
    real test that its version knows the architecture."""
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    mark = _log_mark()
    model = llama_cpp.llama_model_load_from_file(str(path).encode("utf-8"), params)
    if not model:
        cause = _errors_since(mark) or "llama.cpp could not read it"
        raise ModelLoadError(f"{path}: llama.cpp cannot load this model: {cause}")
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
        raise ModelLoadError(str(exc)) from None
    trained = int(header.arch_value("context_length", 0) or 0)
    if not n_ctx:
        n_ctx = min(trained, DEFAULT_MAX_CONTEXT) if trained else 4096
    if n_ctx < 64:
        raise ModelLoadError(f"{path}: context length {n_ctx} is too small (at least 64)")
    if trained and n_ctx > trained:
        log.warning("%s: context %d is longer than the %d tokens it was trained on; "
                    "answers may degrade", path, n_ctx, trained)
    check_architecture(path)
    need = estimate_memory(header, n_ctx)
    avail = available_memory_bytes()
    if avail is not None and need > avail + extra_available:
        raise ModelLoadError(
            f"{path}: not enough memory for a {n_ctx:,}-token context: needs about "
            f"{_fmt_bytes(need)} (weights {_fmt_bytes(header.file_size)}, context cache "
            f"{_fmt_bytes(kv_cache_bytes(header, n_ctx))}) but only "
            f"{_fmt_bytes(avail + extra_available)} is available; choose a shorter context")
    return header, n_ctx


# --- prompt formats -------------------------------------------------------------------

PLAIN_STOPS = ["\nUser:", "\nSystem:"]


def plain_chat_prompt(messages: Sequence[Message]) -> str:
    """The prompt for base models without a chat template.

    Format (one block per message, then an open assistant turn)::

        <system content>            (only if there is a system message)

        User: <content>
        Assistant: <content>
        User: <content>
        Assistant:

    Generation stops at ``\\nUser:`` (the model starting the next user turn), so a
    base model that continues the dialogue does not answer for the user.
    """
    parts = []
    for m in messages:
        role, content = m.get("role", "user"), str(m.get("content", "")).strip()
        if role == "system":
            parts.append(f"{content}\n")
        elif role == "assistant":
            parts.append(f"Assistant: {content}")
        else:
            parts.append(f"User: {content}")
    parts.append("Assistant:")
    return "\n".join(parts)


# --- statistics -----------------------------------------------------------------------

@dataclass
class GenerationStats:
    """Figures for the last :meth:`LocalModel.stream` call (for the UI and benchmarks)."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens already in the KV cache (not re-evaluated)
    evaluated_tokens: int = 0  # prompt tokens evaluated this time
    generated_tokens: int = 0
    prompt_seconds: float = 0.0
    time_to_first_token: float = 0.0
    generation_seconds: float = 0.0  # first token to last token
    # time spent in Wenji's own per-token code (EOG check, detokenize, UTF-8, stop
    # strings): the wrapper's overhead over llama-cpp-python, measured directly
    wrapper_seconds: float = 0.0
    stop_reason: str = ""  # "eos" | "stop" | "length" | "cancelled" | "context"

    @property
    def tokens_per_second(self) -> float:
        if self.generated_tokens < 2 or self.generation_seconds <= 0:
            return 0.0
        return (self.generated_tokens - 1) / self.generation_seconds


# --- one loaded model -------------------------------------------------------------------

class LocalModel:
    """A loaded GGUF: formatting, token counting and streaming generation.

    One generation runs at a time (a lock); :class:`ModelManager` is what callers use.
    """

    def __init__(self, path: str | os.PathLike, *, n_ctx: int, n_threads: int = 0,
                 n_gpu_layers: int | None = None, header: GGUFHeader | None = None,
                 seed: int = llama_cpp.LLAMA_DEFAULT_SEED, n_batch: int = 512) -> None:
        self.path = Path(path)
        self.header = header or read_header(self.path)
        self.n_threads = n_threads or physical_cores()
        self.n_gpu_layers = default_gpu_layers() if n_gpu_layers is None else n_gpu_layers
        n_swa = int(self.header.arch_value("attention.sliding_window", 0) or 0)
        mark = _log_mark()
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.path), n_ctx=n_ctx, n_batch=min(n_batch, n_ctx),
                n_threads=self.n_threads, n_threads_batch=self.n_threads,
                n_gpu_layers=self.n_gpu_layers, use_mmap=True, verbose=False, seed=seed,
                swa_full=True if n_swa else None)
        except (ValueError, RuntimeError, OSError) as exc:
            cause = _errors_since(mark) or str(exc)
            raise ModelLoadError(f"{self.path}: llama.cpp failed to load it: {cause}") from None
        self.n_ctx = self.llm.n_ctx()
        self.n_swa = llama_cpp.llama_model_n_swa(self.llm.model) if n_swa else 0
        self.swa_full = bool(n_swa)
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._bos = self.llm.token_bos()
        self._eos = self.llm.token_eos()
        self._add_bos = bool(self.llm._model.add_bos_token())
        template = self.header.metadata.get("tokenizer.chat_template")
        self.chat_template = template if isinstance(template, str) else None
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
        self._abort = _AbortFlag(self.llm.ctx)
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
        tokens, stops = self.prompt_tokens(request)
        stops = [s for s in list(stops) + list(stop) if s]
        if len(tokens) >= self.n_ctx:
            raise GenerationError(f"{self.name}: the prompt has {len(tokens)} tokens but the "
                                  f"context holds {self.n_ctx}; shorten it")
        budget = min(max_tokens, self.n_ctx - len(tokens))
        return self._generate(tokens, stops, cancel_event, budget, dict(
            temp=temperature, top_p=top_p, top_k=top_k, min_p=min_p,
            repeat_penalty=repeat_penalty))

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


# --- the manager the app uses ------------------------------------------------------------

@dataclass
class LoadedModel:
    name: str
    path: Path
    n_ctx: int
    n_threads: int
    n_gpu_layers: int
    chat_template: bool
    settings: dict = field(default_factory=dict)


LOAD_OPTIONS = {"context_length", "n_ctx", "n_gpu_layers", "threads", "seed", "temperature",
                "top_p", "repeat_penalty", "max_tokens", "system_prompt"}


class ModelManager:
    """Holds the current chat model; thread-safe; swaps models without losing the old
    one on failure.

    ``registry`` (a :class:`models.registry.Registry`) resolves names and supplies the
    saved per-model settings; without one, ``load`` takes paths only.
    """

    def __init__(self, registry=None, threads: int = 0,
                 on_status: StatusCallback | None = None) -> None:
        self.registry = registry
        self.threads = threads or physical_cores()
        self.on_status = on_status
        self._model: LocalModel | None = None
        self._load_lock = threading.Lock()  # one load at a time
        self._swap_lock = threading.RLock()  # guards self._model

    # --- loading ------------------------------------------------------------------

    def _status(self, cb: StatusCallback | None, stage: str, message: str) -> None:
        log.info("model %s: %s", stage, message)
        for fn in (cb, self.on_status):
            if fn is not None:
                try:
                    fn(stage, message)
                except Exception:  # a UI callback must never break loading
                    log.exception("status callback failed")

    def _resolve(self, name_or_path: str | os.PathLike) -> tuple[Path, str]:
        p = Path(name_or_path).expanduser()
        if self.registry is not None and not (p.suffix.lower() == ".gguf" and p.exists()):
            from models.registry import RegistryError

            try:
                p = self.registry.resolve(name_or_path)
            except RegistryError as exc:
                raise ModelLoadError(str(exc)) from None
        return p, p.name

    def load(self, name_or_path: str | os.PathLike, *, on_status: StatusCallback | None = None,
             **overrides) -> LoadedModel:
        """Load a model by registry name or path; the old one stays loaded on failure.

        ``overrides``: ``context_length`` (or ``n_ctx``), ``n_gpu_layers``, ``threads``,
        ``seed`` and the sampling settings (``temperature``, ``top_p``, ``repeat_penalty``,
        ``max_tokens``, ``system_prompt``) that :meth:`stream` then uses by default.
        Stages reported to ``on_status``: validating, unloading, loading, ready, failed.
        """
        unknown = set(overrides) - LOAD_OPTIONS
        if unknown:
            raise TypeError(f"unknown load options: {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(sorted(LOAD_OPTIONS))})")
        with self._load_lock:
            path, name = self._resolve(name_or_path)
            settings = {}
            if self.registry is not None:
                try:
                    settings = dataclasses.asdict(self.registry.load_model_settings(name))
                except Exception as exc:  # bad saved settings: defaults, but say so
                    log.warning("ignoring saved settings for %s: %s", name, exc)
            settings.update({k: v for k, v in overrides.items() if v is not None})
            n_ctx = settings.pop("n_ctx", None) or settings.pop("context_length", 0) or None
            settings.pop("context_length", None)
            n_gpu_layers = settings.pop("n_gpu_layers", None)
            threads = settings.pop("threads", None) or self.threads
            seed = settings.pop("seed", llama_cpp.LLAMA_DEFAULT_SEED)
            self._status(on_status, "validating", f"checking {path}")
            try:
                current = self._model
                freed = estimate_memory(current.header, current.n_ctx) if current else 0
                header, n_ctx = validate_model(path, n_ctx, extra_available=freed)
            except ModelLoadError as exc:
                self._status(on_status, "failed", str(exc))
                raise
            with self._swap_lock:
                previous = self._model
                if previous is not None:
                    self._status(on_status, "unloading", f"unloading {previous.name}")
                    restore = dict(path=previous.path, n_ctx=previous.n_ctx,
                                   n_threads=previous.n_threads,
                                   n_gpu_layers=previous.n_gpu_layers,
                                   header=previous.header)
                    restore_settings = getattr(previous, "settings", {})
                    self._model = None
                    previous.cancel()  # a running answer of the old model ends now
                    with previous._lock:  # wait for a running generation to end
                        previous.close()
                self._status(on_status, "loading", f"loading {name} ({n_ctx:,}-token context)")
                try:
                    model = LocalModel(path, n_ctx=n_ctx, n_threads=threads,
                                       n_gpu_layers=n_gpu_layers, header=header, seed=seed)
                except ModelLoadError as exc:
                    if previous is not None:
                        self._status(on_status, "restoring", f"reloading {previous.name}")
                        self._model = LocalModel(**restore)
                        self._model.settings = restore_settings
                    self._status(on_status, "failed", str(exc))
                    raise
                model.settings = settings
                self._model = model
            self._status(on_status, "ready", f"{name} ready")
            return self.loaded

    def unload(self) -> None:
        with self._swap_lock:
            model, self._model = self._model, None
        if model is not None:
            with model._lock:
                model.close()

    @property
    def model(self) -> LocalModel | None:
        return self._model

    @property
    def loaded(self) -> LoadedModel | None:
        m = self._model
        if m is None:
            return None
        return LoadedModel(m.name, m.path, m.n_ctx, m.n_threads, m.n_gpu_layers,
                           m.chat_template is not None, dict(getattr(m, "settings", {})))

    def _require(self) -> LocalModel:
        m = self._model
        if m is None:
            raise GenerationError("no chat model is loaded")
        return m

    # --- generation ----------------------------------------------------------------

    def stream(self, request: Request, cancel_event: threading.Event | None = None,
               **sampling) -> Iterator[str]:
        """Stream from the current model; see :meth:`LocalModel.stream`.

        Sampling arguments default to the model's saved settings; a ``system_prompt``
        setting is prepended to chat messages that do not start with a system message.
        """
        with self._swap_lock:
            model = self._require()
            settings = dict(getattr(model, "settings", {}))
        defaults = {k: settings[k] for k in ("temperature", "top_p", "repeat_penalty",
                                             "max_tokens") if k in settings}
        defaults.update(sampling)
        system = settings.get("system_prompt")
        if system and not isinstance(request, str):
            request = list(request)
            if not request or request[0].get("role") != "system":
                request = [{"role": "system", "content": system}] + request
        return model.stream(request, cancel_event, **defaults)

    def generate(self, request: Request, cancel_event: threading.Event | None = None,
                 **sampling) -> str:
        """The whole answer as one string (convenience for tests and the CLI)."""
        return "".join(self.stream(request, cancel_event, **sampling))

    def count_tokens(self, text: str) -> int:
        return self._require().count_tokens(text)

    def cancel(self) -> None:
        m = self._model
        if m is not None:
            m.cancel()

    @property
    def last_stats(self) -> GenerationStats:
        m = self._model
        return m.last_stats if m is not None else GenerationStats()
