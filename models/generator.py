"""What the answer layer needs from a text generator, local or remote.

The answer pipeline streams text, counts tokens, cancels and reads figures without caring
whether llama.cpp runs in this process (:class:`models.model_manager.ModelManager`) or
behind an OpenAI-compatible server (:class:`models.remote.RemoteBackend`).  Both
implement :class:`Generator`, and the types they exchange live here so the remote
backend does not have to import llama.cpp to speak the same language.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Iterator, Protocol, Sequence, Union, runtime_checkable

from models.reasons import Explained, Reason

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}
Request = Union[str, Sequence[Message]]


class GenerationError(Explained, RuntimeError):
    """Generation could not run (no model, prompt too long, llama.cpp failure)."""


def no_model_loaded() -> Reason:
    return Reason("no_model_loaded", "no chat model is loaded")


@dataclass
class GenerationStats:
    """Figures for the last ``stream`` call (for the UI and benchmarks)."""

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


@runtime_checkable
class Generator(Protocol):
    """A source of streamed text the answer layer can ask, measure and stop."""

    @property
    def last_stats(self) -> GenerationStats:
        """Figures of the most recent generation."""

    @property
    def has_chat_template(self) -> bool:
        """Whether chat messages are formatted by the model's own template; False means
        a base model, which the answer layer prompts with one plain text instead."""

    def stream(self, request: Request, cancel_event: threading.Event | None = None,
               **sampling: Any) -> Iterator[str]:
        """Yield the answer piece by piece for a prompt string or chat messages.

        ``sampling``: ``max_tokens``, ``temperature``, ``top_p``, ``repeat_penalty``,
        ``stop``.  Setting ``cancel_event`` ends the iterator promptly."""

    def generate(self, request: Request, cancel_event: threading.Event | None = None,
                 **sampling: Any) -> str:
        """The whole answer as one string."""

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in a prompt (exact or estimated, as the backend can)."""

    def cancel(self) -> None:
        """Stop the running generation."""
