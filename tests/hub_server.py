"""A real HTTP server on loopback that answers like the Hugging Face Hub for single files.

Point ``huggingface_hub`` at it with ``endpoint=hub.endpoint``::

    with FakeHub() as hub:
        url = hub.add_file("org/repo", "model.gguf", Path("model.gguf"))
        meta = huggingface_hub.get_hf_file_metadata(url)       # HEAD
        huggingface_hub.file_download.http_get(url, fileobj)     # GET (+ Range)

What it serves, for every file added with :meth:`FakeHub.add_file`, at
``/{repo_id}/resolve/{revision}/{filename}`` (and at ``/{repo_id}/resolve/{commit}/...``,
as the hub does):

* ``HEAD``: ``200`` (no redirect: the real hub answers an LFS file with a 302 to its CDN,
  but huggingface_hub reads the same headers from a 200 and then downloads from the
  request URL) with ``X-Repo-Commit`` (40 hex), ``X-Linked-Etag`` and ``ETag``
  (``"<sha256>"``), ``X-Linked-Size`` and ``Content-Length`` (the size) and
  ``Accept-Ranges: bytes``.
* ``GET``: the bytes; ``Range: bytes=N-`` / ``bytes=N-M`` / ``bytes=-N`` gives ``206``
  with ``Content-Range``, an unsatisfiable range ``416``.  Files given as a ``Path``
  are streamed from disk in chunks (never held in memory).

Errors, as the hub sends them (``X-Error-Code`` / ``X-Error-Message`` headers and a JSON
body): a path that is not ``/.../resolve/...`` of a known repo is ``404 RepoNotFound``;
a known repo with an unknown revision ``404 RevisionNotFound``; a known repo and
revision without that file ``404 EntryNotFound`` (with ``X-Repo-Commit``).

Failure modes (per file with ``path=``, a URL or URL path, or for every file):

* :meth:`FakeHub.fail_after` - the next GET(s) send their headers and ``n`` body bytes,
  then drop the connection (a FIN by default, an RST with ``reset=True``);
* :meth:`FakeHub.status_for` - answer with a status code (404 = ``EntryNotFound``);
* :meth:`FakeHub.throttle` - stream at most ``n`` bytes per second (changeable while a
  download runs; ``None`` lifts it);
* :attr:`FakeHub.requests` - every request as ``Request(method, path, range)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, NamedTuple
from urllib.parse import quote, unquote, urlsplit

__all__ = ["FakeHub", "HubFile", "Request"]

CHUNK = 1 << 20  # bytes read from disk / written to the socket at a time
RESOLVE = re.compile(r"^/(?P<repo>.+?)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")

# What the hub puts in X-Error-Code and the JSON body for a status set with status_for.
_ERRORS = {
    401: ("RepoNotFound", "Invalid username or password."),
    404: ("EntryNotFound", "Entry not found"),
}


class Request(NamedTuple):
    """One request the server received (``path`` as sent, still URL-quoted)."""

    method: str
    path: str
    range: str | None


@dataclass(frozen=True)
class HubFile:
    repo_id: str
    filename: str
    revision: str
    commit: str
    size: int
    sha256: str  # what the server states (ETag), not necessarily the bytes' real hash
    data: bytes | None = None
    path: Path | None = None

    def chunks(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start..end`` (inclusive), at most :data:`CHUNK` at a time."""
        if self.data is not None:
            view = memoryview(self.data)
            for pos in range(start, end + 1, CHUNK):
                yield bytes(view[pos:min(pos + CHUNK, end + 1)])
            return
        with open(self.path, "rb") as fh:
            fh.seek(start)
            left = end + 1 - start
            while left > 0:
                block = fh.read(min(CHUNK, left))
                if not block:
                    return
                left -= len(block)
                yield block


@dataclass
class _Rule:
    path: str | None  # normalised URL path; None = every file
    value: object
    remaining: int | None  # None = for ever
    reset: bool = False


def _norm(path_or_url: str | None) -> str | None:
    """A URL or URL path -> its unquoted path; None / "*" / "all" -> None (every path)."""
    if path_or_url is None or path_or_url in ("*", "all"):
        return None
    return unquote(urlsplit(str(path_or_url)).path)


def fake_commit(repo_id: str, revision: str) -> str:
    """A stable 40-hex commit id for a repo and revision."""
    return hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    hub: "FakeHub"

    def handle_error(self, request, client_address):  # clients hanging up are normal here
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects of the hub
    server_version = "FakeHub/1.0"
    sys_version = ""
    server: _Server

    def setup(self):
        super().setup()
        self.server.hub._track(self.connection, add=True)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.hub._track(self.connection, add=False)

    def do_HEAD(self):
        self.server.hub._handle(self, "HEAD")

    def do_GET(self):
        self.server.hub._handle(self, "GET")

    def log_message(self, format, *args):  # quiet
        pass


class FakeHub:
    """The fake hub: ``with FakeHub() as hub:`` or ``hub.start()`` ... ``hub.stop()``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[tuple[str, str, str], HubFile] = {}
        self._revisions: dict[str, dict[str, str]] = {}  # repo -> {revision: commit}
        self._status: list[_Rule] = []
        self._failures: list[_Rule] = []
        self._throttle: dict[str | None, float] = {}
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[Request] = []

    # --- life cycle -------------------------------------------------------------------

    def start(self) -> "FakeHub":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"FakeHub:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # wake handlers blocked on keep-alive reads or slow writes
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> "FakeHub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeHub is not running (call start() or use `with`)")
        return self._server.server_address[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- content ----------------------------------------------------------------------

    def add_file(self, repo_id: str, filename: str, data: bytes | Path | str,
                 revision: str = "main", sha256: str | None = None, *,
                 commit: str | None = None) -> str:
        """Serve ``data`` (bytes, or a file streamed from disk) as ``repo_id/filename``.

        ``sha256`` is what the server states in ``ETag`` / ``X-Linked-Etag`` (default: the
        real hash of the bytes; pass another to simulate a file that does not match its
        stated hash).  Returns the file's URL (as ``hf_hub_url`` builds it), or its URL
        path if the server is not started yet (both are accepted as ``path=``).
        """
        if isinstance(data, (bytes, bytearray, memoryview)):
            blob, path = bytes(data), None
            size = len(blob)
            real = None if sha256 else hashlib.sha256(blob).hexdigest()
        else:
            blob, path = None, Path(os.fspath(data))
            size = path.stat().st_size
            real = None
            if not sha256:
                with open(path, "rb") as fh:
                    real = hashlib.file_digest(fh, "sha256").hexdigest()
        with self._lock:
            revs = self._revisions.setdefault(repo_id, {})
            commit = commit or revs.get(revision) or fake_commit(repo_id, revision)
            revs[revision] = commit
            revs[commit] = commit  # the hub resolves a commit id as a revision too
            entry = HubFile(repo_id, filename, revision, commit, size,
                            (sha256 or real).lower(), blob, path)
            self._files[(repo_id, revision, filename)] = entry
            self._files[(repo_id, commit, filename)] = entry
        if self._server is None:
            return self.path(repo_id, filename, revision)
        return self.url(repo_id, filename, revision)

    def url(self, repo_id: str, filename: str, revision: str = "main") -> str:
        """The URL ``hf_hub_url(repo_id, filename, revision=..., endpoint=hub.endpoint)``."""
        return f"{self.endpoint}{self.path(repo_id, filename, revision)}"

    @staticmethod
    def path(repo_id: str, filename: str, revision: str = "main") -> str:
        return f"/{repo_id}/resolve/{quote(revision, safe='')}/{quote(filename)}"

    def file(self, repo_id: str, filename: str, revision: str = "main") -> HubFile:
        return self._files[(repo_id, revision, filename)]

    def commit(self, repo_id: str, revision: str = "main") -> str:
        return self._revisions[repo_id][revision]

    # --- failure modes ----------------------------------------------------------------

    def fail_after(self, n_bytes: int, times: int | None = 1, *, path: str | None = None,
                   reset: bool = False) -> None:
        """The next ``times`` GETs (None: all) of ``path`` (None: any file) send their
        headers and ``n_bytes`` of body, then drop the connection: a clean close (FIN),
        or with ``reset=True`` an RST (SO_LINGER 0)."""
        with self._lock:
            self._failures.append(_Rule(_norm(path), int(n_bytes), times, reset))

    def status_for(self, path_or_all: str | None, code: int, times: int | None = None) -> None:
        """Answer ``code`` to the next ``times`` requests (None: all), HEAD or GET, for
        ``path_or_all`` (a URL or URL path; ``"*"`` / ``None``: every path)."""
        with self._lock:
            self._status.append(_Rule(_norm(path_or_all), int(code), times))

    def throttle(self, bytes_per_second: float | None, *, path: str | None = None) -> None:
        """Stream GET bodies of ``path`` (None: every file) at most this fast; None or 0
        lifts the limit.  Read per chunk, so it can be changed mid-download."""
        with self._lock:
            if bytes_per_second:
                self._throttle[_norm(path)] = float(bytes_per_second)
            else:
                self._throttle.pop(_norm(path), None)

    def clear_faults(self) -> None:
        """Drop every failure, status and throttle setting."""
        with self._lock:
            self._status.clear()
            self._failures.clear()
            self._throttle.clear()

    # --- serving ----------------------------------------------------------------------

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _take(self, rules: list[_Rule], path: str) -> _Rule | None:
        """The first live rule for this path (file-specific before global), consumed once."""
        with self._lock:
            for want in (path, None):
                for rule in rules:
                    if rule.path == want and rule.remaining != 0:
                        if rule.remaining is not None:
                            rule.remaining -= 1
                        return rule
        return None

    def _rate(self, path: str) -> float | None:
        with self._lock:
            return self._throttle.get(path, self._throttle.get(None))

    def _handle(self, h: _Handler, method: str) -> None:
        rng = h.headers.get("Range")
        with self._lock:
            self.requests.append(Request(method, h.path, rng))
        path = _norm(h.path)

        m = RESOLVE.match(urlsplit(h.path).path)
        entry = None
        if m:
            repo, rev, name = m["repo"], unquote(m["rev"]), unquote(m["file"])
            entry = self._files.get((repo, rev, name))

        forced = self._take(self._status, path)
        if forced is not None:
            code = forced.value
            error_code, message = _ERRORS.get(code, (None, HTTPStatus(code).phrase))
            return self._error(h, method, code, error_code, message,
                               commit=entry.commit if entry else None)

        if entry is None:
            revisions = self._revisions.get(m["repo"]) if m else None
            if revisions is None:
                return self._error(h, method, 404, "RepoNotFound", "Repository not found")
            if rev not in revisions:
                return self._error(h, method, 404, "RevisionNotFound", f"Invalid rev id: {rev}")
            return self._error(h, method, 404, "EntryNotFound", "Entry not found",
                               commit=revisions[rev])

        start, end, status = 0, entry.size - 1, 200
        if method == "GET" and rng:
            parsed = RANGE.match(rng)
            if parsed and (parsed[1] or parsed[2]):  # anything else: ignored, as RFC 9110
                first, last = parsed[1], parsed[2]
                if first:
                    start = int(first)
                    end = min(int(last), entry.size - 1) if last else entry.size - 1
                else:  # bytes=-N: the last N bytes
                    start = max(entry.size - int(last), 0)
                if start >= entry.size or start > end:
                    return self._error(h, method, 416, None, "Range Not Satisfiable",
                                       extra={"Content-Range": f"bytes */{entry.size}"})
                status = 206
        length = max(end - start + 1, 0)

        h.send_response(status)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(length if method == "GET" else entry.size))
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("ETag", f'"{entry.sha256}"')
        h.send_header("X-Linked-Etag", f'"{entry.sha256}"')
        h.send_header("X-Linked-Size", str(entry.size))
        h.send_header("X-Repo-Commit", entry.commit)
        name = entry.filename.rsplit("/", 1)[-1]
        h.send_header("Content-Disposition",
                      f"inline; filename*=UTF-8''{quote(name)}; filename=\"{name}\";")
        if status == 206:
            h.send_header("Content-Range", f"bytes {start}-{end}/{entry.size}")
        h.end_headers()
        if method == "HEAD" or length == 0:
            return

        failure = self._take(self._failures, path)
        limit = min(failure.value, length) if failure else length
        self._stream(h, entry, start, start + limit - 1, path)
        if failure is not None:
            self._drop(h, failure.reset)

    def _stream(self, h: _Handler, entry: HubFile, start: int, end: int, path: str) -> None:
        due = time.monotonic()
        try:
            for block in entry.chunks(start, end) if end >= start else ():
                view = memoryview(block)
                while view:
                    if self._stopping.is_set():
                        raise ConnectionAbortedError("FakeHub stopping")
                    rate = self._rate(path)
                    piece = view[:max(1, int(rate // 20))] if rate else view
                    h.wfile.write(piece)
                    view = view[len(piece):]
                    if rate:  # paced per piece, so a rate change applies at once
                        due = max(due, time.monotonic() - 0.05) + len(piece) / rate
                        self._sleep_until(due)
        except OSError:  # client went away (cancelled download) or we are stopping
            self._drop(h, reset=False)

    def _sleep_until(self, due: float) -> None:
        while not self._stopping.is_set():
            wait = due - time.monotonic()
            if wait <= 0:
                return
            time.sleep(min(wait, 0.05))

    @staticmethod
    def _drop(h: _Handler, reset: bool) -> None:
        """End the connection abruptly: no more bytes of the promised body follow."""
        h.close_connection = True
        conn = h.connection
        try:
            if reset:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()  # RST
            else:
                conn.shutdown(socket.SHUT_RDWR)  # FIN
        except OSError:
            pass

    @staticmethod
    def _error(h: _Handler, method: str, code: int, error_code: str | None, message: str,
               commit: str | None = None, extra: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        if error_code:
            h.send_header("X-Error-Code", error_code)
        h.send_header("X-Error-Message", message)
        if commit:
            h.send_header("X-Repo-Commit", commit)
        for key, value in (extra or {}).items():
            h.send_header(key, value)
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(body)
