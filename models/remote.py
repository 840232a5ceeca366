"""Generation from an OpenAI-compatible server (llama.cpp server, vLLM, Ollama, ...).

A :class:`models.generator.Generator` like the local model manager, so the answer
pipeline does not care where text comes from.  Only the standard library is used
(``urllib`` and a small Server-Sent-Events parser): a remote backend must not pull in an
HTTP stack the offline app otherwise does not need.

Cancel closes the connection's socket from a watcher thread, which unblocks a read that
is waiting for the server, so it is prompt even when the server is slow.  Token counts
are an estimate (the OpenAI API has no tokenizer endpoint): see :func:`approx_tokens`.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Iterator, Sequence

from models.generator import GenerationError, GenerationStats, Request

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORDS = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")


class RemoteError(GenerationError):
    """The server could not be reached or refused the request; names URL and cause.  A
    GenerationError, so callers handle a failing server like a failing local model."""


def approx_tokens(text: str) -> int:
    """Rough token count: one per CJK character, ~1.3 per word or punctuation mark
    otherwise (typical of BPE vocabularies on English text)."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    return cjk + round(len(_WORDS.findall(rest)) * 1.3)


def iter_sse(lines) -> Iterator[str]:
    """The ``data`` payloads of a Server-Sent-Events byte stream (one per event)."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # comment / keep-alive
        fieldname, _, value = line.partition(":")
        if fieldname == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


class _ReasoningTags:
    """A server's separate reasoning field (``reasoning_content``, as DeepSeek's API and
    llama.cpp's server send it, or ``reasoning``) turned into a ``<think>…</think>``
    block at the start of the text, the one form of thinking the answer pipeline reads
    (:mod:`answer.thinking`)."""

    def __init__(self) -> None:
        self.state = "none"  # none -> open -> closed

    def wrap(self, delta: dict, content: str | None) -> str | None:
        thought = delta.get("reasoning_content") or delta.get("reasoning")
        out = ""
        if thought and isinstance(thought, str) and self.state != "closed":
            out += ("<think>" if self.state == "none" else "") + thought
            self.state = "open"
        if content:
            if self.state == "open":
                out += "</think>"
                self.state = "closed"
            out += content
        return out or content


class RemoteBackend:
    """A chat model behind ``base_url`` (e.g. ``http://127.0.0.1:8080`` or ``.../v1``)."""

    def __init__(self, base_url: str, model: str = "", api_key: str | None = None,
                 timeout: float = 120.0) -> None:
        base = base_url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else base + "/v1"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.last_stats = GenerationStats()
        self._cancel = threading.Event()
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self.model or 'remote'} @ {self.base_url}"

    # --- plumbing ---------------------------------------------------------------------

    def _request(self, path: str, body: dict[str, Any] | None = None):
        url = self.base_url + path
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(url, data=data, headers=headers,
                                     method="POST" if data is not None else "GET")
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", errors="replace").strip()
            raise RemoteError(f"{url}: the server answered HTTP {exc.code} {exc.reason}"
                              + (f": {detail}" if detail else "")) from None
        except urllib.error.URLError as exc:
            raise RemoteError(f"{url}: cannot reach the server: {exc.reason}") from None
        except (TimeoutError, socket.timeout):
            raise RemoteError(f"{url}: no answer within {self.timeout:.0f} s") from None
        except OSError as exc:
            raise RemoteError(f"{url}: {exc}") from None

    def models(self) -> list[str]:
        """Model ids the server offers (``GET /v1/models``)."""
        with self._request("/models") as resp:
            payload = json.loads(resp.read().decode("utf-8"))
        return [m.get("id", "") for m in payload.get("data", [])]

    # --- the backend interface ----------------------------------------------------------

    @property
    def has_chat_template(self) -> bool:
        """Chat messages go to ``/chat/completions``, where the server applies the
        model's own template."""
        return True

    def count_tokens(self, text: str) -> int:
        return approx_tokens(text)

    def cancel(self) -> None:
        self._cancel.set()

    def stream(self, request: Request, cancel_event: threading.Event | None = None, *,
               max_tokens: int = 512, temperature: float = 0.2, top_p: float = 0.95,
               repeat_penalty: float | None = None, stop: Sequence[str] = (),
               **_ignored) -> Iterator[str]:
        """Yield the answer's text as the server streams it.

        A prompt string goes to ``/completions``, chat messages to ``/chat/completions``.
        """
        body: dict[str, Any] = {"stream": True, "max_tokens": max_tokens,
                                "temperature": temperature, "top_p": top_p}
        if self.model:
            body["model"] = self.model
        if stop:
            body["stop"] = list(stop)
        if repeat_penalty is not None:
            body["repeat_penalty"] = repeat_penalty  # llama.cpp extension; others ignore it
        if isinstance(request, str):
            path, body["prompt"] = "/completions", request
            prompt_text = request
        else:
            path, body["messages"] = "/chat/completions", list(request)
            prompt_text = "\n".join(str(m.get("content", "")) for m in request)
        return self._stream(path, body, cancel_event, approx_tokens(prompt_text))

    def generate(self, request: Request, cancel_event: threading.Event | None = None,
                 **sampling) -> str:
        """The whole answer as one string."""
        return "".join(self.stream(request, cancel_event, **sampling))

    def _stream(self, path, body, cancel_event, prompt_tokens) -> Iterator[str]:
        with self._lock:
            self._cancel.clear()
            stats = GenerationStats(prompt_tokens=prompt_tokens,
                                    evaluated_tokens=prompt_tokens)
            self.last_stats = stats
            t0 = time.perf_counter()
            resp = self._request(path, body)
            done = threading.Event()
            watcher = threading.Thread(target=self._watch, args=(resp, cancel_event, done),
                                       name="wenji-remote-cancel", daemon=True)
            watcher.start()
            t_first = t_last = t0
            finished = False
            reasoning = _ReasoningTags()
            try:
                for payload in iter_sse(resp):
                    if self._is_cancelled(cancel_event):
                        stats.stop_reason = "cancelled"
                        break
                    if payload.strip() == "[DONE]":
                        finished = True
                        break
                    try:
                        event = json.loads(payload)
                    except ValueError:
                        raise RemoteError(f"{self.base_url}{path}: the server sent an event "
                                          f"that is not JSON: {payload[:200]!r}") from None
                    if "error" in event:
                        raise RemoteError(f"{self.base_url}{path}: server error: "
                                          f"{event['error']}")
                    for choice in event.get("choices", []):
                        piece = (choice.get("delta") or {}).get("content") \
                            if "delta" in choice else choice.get("text")
                        piece = reasoning.wrap(choice.get("delta") or {}, piece)
                        if choice.get("finish_reason"):
                            finished = True
                            stats.stop_reason = {"stop": "eos"}.get(
                                choice["finish_reason"], choice["finish_reason"])
                        if piece:
                            t_last = time.perf_counter()
                            stats.generated_tokens += 1  # one streamed chunk ~ one token
                            if stats.generated_tokens == 1:
                                t_first = t_last
                                stats.time_to_first_token = t_first - t0
                            yield piece
                            if self._is_cancelled(cancel_event):
                                stats.stop_reason = "cancelled"
                                break
                    if stats.stop_reason == "cancelled":
                        break
                else:  # the stream ended: the server finished, or our cancel cut it
                    if self._is_cancelled(cancel_event) and not finished:
                        stats.stop_reason = "cancelled"
                    elif not finished:
                        raise RemoteError(f"{self.base_url}{path}: the server closed the "
                                          "stream before the answer was complete")
            except (OSError, ValueError) as exc:
                if not self._is_cancelled(cancel_event):
                    raise RemoteError(f"{self.base_url}{path}: connection lost: {exc}") from None
                stats.stop_reason = "cancelled"
            finally:
                done.set()
                stats.generation_seconds = t_last - t_first
                try:
                    resp.close()
                except OSError:
                    pass

    def _is_cancelled(self, cancel_event: threading.Event | None) -> bool:
        return self._cancel.is_set() or (cancel_event is not None and cancel_event.is_set())

    def _watch(self, resp, cancel_event, done: threading.Event) -> None:
        """On cancel, shut the socket down so a blocked read returns at once."""
        while not done.is_set():
            if self._is_cancelled(cancel_event):
                sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
                try:
                    if sock is not None:
                        sock.shutdown(socket.SHUT_RDWR)
                    else:
                        resp.close()
                except OSError:
                    pass
                return
            done.wait(0.01)
