"""The OpenAI-compatible backend against a real ``python -m llama_cpp.server`` on loopback.

Needs llama-cpp-python's server extras (fastapi, sse-starlette, starlette-context,
uvicorn, pydantic-settings); skipped with the reason when they are missing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from models.remote import RemoteBackend, RemoteError, approx_tokens, iter_sse


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(bundled_gguf, tmp_path_factory):
    try:
        import llama_cpp.server.app  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"llama_cpp.server needs its extras: {exc}")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf),
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024",
             "--chat_format", "gemma", "--seed", "1"],
            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/v1/models", timeout=2).close()
                break
            except OSError:
                if time.time() > deadline:
                    pytest.fail("llama_cpp.server did not start within 90 s")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_completion_and_chat_stream(server, bundled_gguf):
    backend = RemoteBackend(server)
    assert backend.models() == [str(bundled_gguf)]
    pieces = list(backend.stream("The capital of France is", temperature=0.0, max_tokens=8))
    assert len(pieces) >= 2
    assert backend.last_stats.generated_tokens == len(pieces)
    assert backend.last_stats.stop_reason == "length"
    text = "".join(pieces)
    assert text.strip()
    chat = backend.generate([{"role": "user", "content": "Say hello."}],
                            temperature=0.0, max_tokens=8)
    assert chat.strip(), "the chat endpoint streamed no text"
    assert backend.last_stats.stop_reason in {"eos", "length"}


@pytest.mark.slow
def test_remote_cancel_within_100ms(server):
    backend = RemoteBackend(server)
    cancel = threading.Event()
    set_at: list[float] = []
    pieces = []
    for piece in backend.stream("Once upon a time", cancel, temperature=0.9, max_tokens=500):
        pieces.append(piece)
        if len(pieces) == 2:
            def fire():
                time.sleep(0.1)
                set_at.append(time.perf_counter())
                cancel.set()
            threading.Thread(target=fire, daemon=True).start()
    ended = time.perf_counter()
    assert set_at, "the stream ended before cancel was requested"
    assert backend.last_stats.stop_reason == "cancelled"
    assert ended - set_at[0] < 0.1, f"remote cancel took {(ended - set_at[0]) * 1000:.0f} ms"
    # the server is still usable afterwards
    assert "".join(backend.stream("Hello", temperature=0.0, max_tokens=3)).strip()


def test_unreachable_server_error_names_the_url():
    port = _free_port()
    backend = RemoteBackend(f"http://127.0.0.1:{port}", timeout=5)
    with pytest.raises(RemoteError, match=rf"127.0.0.1:{port}/v1/chat/completions: cannot "
                                          r"reach the server"):
        list(backend.stream([{"role": "user", "content": "hi"}]))


def test_sse_parser_and_token_estimate():
    raw = [b": keep-alive\n", b"\n", b"data: {\"a\": 1}\n", b"\n", b"data: line1\n",
           b"data: line2\r\n", b"\r\n", b"data: [DONE]\n", b"\n"]
    assert list(iter_sse(raw)) == ['{"a": 1}', "line1\nline2", "[DONE]"]
    assert approx_tokens("") == 0
    assert approx_tokens("文集回答问题") == 6
    assert 8 <= approx_tokens("Wenji answers questions from your own documents.") <= 12


def test_a_servers_reasoning_field_arrives_as_a_thinking_block():
    """A server that sends its reasoning apart (``reasoning_content``, as DeepSeek's API
    and llama.cpp's server with --reasoning-format do), on a real socket: the backend
    delivers it as one ``<think>`` block before the answer."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from answer.thinking import split_thinking

    deltas = [{"role": "assistant"}, {"reasoning_content": "The sources "},
              {"reasoning_content": "say M2."}, {"content": "The M2 "}, {"content": "chip."}]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i, d in enumerate(deltas):
                choice = {"index": 0, "delta": d,
                          "finish_reason": "stop" if i == len(deltas) - 1 else None}
                self.wfile.write(f"data: {json.dumps({'choices': [choice]})}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        backend = RemoteBackend(f"http://127.0.0.1:{server.server_address[1]}", timeout=5)
        text = "".join(backend.stream([{"role": "user", "content": "Which chip?"}]))
    finally:
        server.shutdown()
    assert text == "<think>The sources say M2.</think>The M2 chip."
    assert split_thinking(text) == ("The sources say M2.", "The M2 chip.")
