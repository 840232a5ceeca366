"""Downloading a catalog model (:mod:`models.catalog`) into the models folder.

Why this shape: the download is the one network use of the app, made only when the
person asks.  huggingface_hub speaks the hub's protocol -- the file's URL under a mirror
(``HF_ENDPOINT`` or the ``models.hub_endpoint`` setting), the HEAD that states size and
SHA-256, proxies from the environment, errors named by the hub, ranged GETs that retry
a dropped connection.  Its ``hf_hub_download`` deletes a partial file when it stops,
though, and a person pausing a 5 GB download, or closing the window, expects to go on
where it stopped.  So the bytes go to ``<models>/.downloads/<file>.part`` through
``http_get`` with the size already there, and a small JSON file beside it remembers which
hub file (SHA-256) they belong to.  The finished file is checked against the SHA-256 the
hub states and against the GGUF format before it is moved into the models folder, so the
registry never lists a half or a wrong file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from models.catalog import CatalogEntry
from models.gguf_header import GGUFError, read_model_header

log = logging.getLogger(__name__)

DOWNLOADS = ".downloads"  # under the models folder: partial files and their notes
SPARE_BYTES = 200 * 1024 * 1024  # free space kept on the disk after a download
RETRIES = 4  # dropped connections in a row before the download stops (partial kept)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HUB_SWITCH = threading.Lock()
_online = 0


class DownloadError(RuntimeError):
    """A download that cannot go on; the message says why, for the person."""


class DownloadStopped(DownloadError):
    """Paused (the partial file is kept) or cancelled (it is deleted) on request."""


@dataclass
class Progress:
    """Where a download is: ``stage`` is "connecting", "downloading", "verifying" or
    "done"; ``rate`` in bytes per second over the last seconds; ``eta`` seconds left."""

    stage: str
    done: int = 0
    total: int = 0
    rate: float = 0.0
    eta: float | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@contextlib.contextmanager
def hub_access():
    """Let huggingface_hub reach the network for the duration (every other moment the
    app is offline: :mod:`models.offline`).  Nested and concurrent downloads share one
    switch, turned back off by the last to finish."""
    from huggingface_hub import constants

    global _online
    with _HUB_SWITCH:
        _online += 1
        constants.HF_HUB_OFFLINE = False
    try:
        yield
    finally:
        with _HUB_SWITCH:
            _online -= 1
            if _online == 0:
                constants.HF_HUB_OFFLINE = True


def describe_error(exc: BaseException, entry: CatalogEntry, endpoint: str) -> str:
    """One sentence for the person about what went wrong talking to the hub."""
    from huggingface_hub import errors

    where = f"{entry.repo}/{entry.file}"
    if isinstance(exc, errors.GatedRepoError):
        return (f"{entry.repo} asks you to accept its licence on Hugging Face first "
                "(and a token in HF_TOKEN)")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return f"the model hub at {endpoint} has no repository {entry.repo} (404)"
    if isinstance(exc, errors.RevisionNotFoundError):
        return f"{entry.repo} has no revision {entry.revision!r} (404)"
    if isinstance(exc, errors.EntryNotFoundError):
        return f"{entry.repo} has no file {entry.file} (404)"
    if isinstance(exc, errors.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", None)
        return f"the model hub answered with an error{f' ({status})' if status else ''} for {where}"
    if isinstance(exc, errors.OfflineModeIsEnabled):
        return "downloads are switched off (offline mode)"
    return f"cannot reach the model hub at {endpoint}: {exc}"


class ModelDownload:
    """One catalog model's download into ``models_dir``; ``run()`` in a worker thread,
    ``pause()``/``cancel()`` from any other.  ``progress`` is called with a
    :class:`Progress` as bytes arrive (from the worker thread)."""

    def __init__(self, entry: CatalogEntry, models_dir: str | os.PathLike,
                 endpoint: str | None = None, progress: Callable[[Progress], None] | None = None,
                 token: str | None = None):
        from huggingface_hub import constants

        self.entry = entry
        self.models_dir = Path(models_dir)
        self.endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
        self.progress = progress or (lambda p: None)
        self.token = token
        self._stop: str | None = None  # "pause" | "cancel"
        self._samples: list[tuple[float, int]] = []

    # --- where things go ---------------------------------------------------------------

    @property
    def target(self) -> Path:
        return self.models_dir / self.entry.file

    @property
    def partial(self) -> Path:
        return self.models_dir / DOWNLOADS / f"{self.entry.file}.part"

    @property
    def note(self) -> Path:
        return self.partial.with_suffix(".json")

    def partial_size(self) -> int:
        """Bytes already downloaded (by this or an earlier run)."""
        try:
            return self.partial.stat().st_size
        except FileNotFoundError:
            return 0

    # --- control -----------------------------------------------------------------------

    def pause(self) -> None:
        """Stop soon, keeping the partial file for the next ``run()``."""
        self._stop = self._stop or "pause"

    def cancel(self) -> None:
        """Stop soon and delete the partial file."""
        self._stop = "cancel"

    @property
    def stopped(self) -> str | None:
        """"pause" or "cancel" once asked to stop; None otherwise."""
        return self._stop

    # --- the download ------------------------------------------------------------------

    def run(self) -> Path:
        """Download (or go on downloading), verify and move the file into the models
        folder; return its path.  Raises :class:`DownloadError` with the reason, or
        :class:`DownloadStopped` after ``pause()``/``cancel()``."""
        if self.target.exists():
            raise DownloadError(f"{self.entry.file} is already in your models folder "
                                f"({self.models_dir})")
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            try:
                return self._run()
            except DownloadStopped:
                if self._stop == "cancel":
                    self.discard()
                raise

    def discard(self) -> None:
        """Delete the partial file and its note."""
        self.partial.unlink(missing_ok=True)
        self.note.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _exclusive(self):
        """One download of a file at a time, across windows and commands."""
        lock_path = self.partial.with_suffix(".lock")
        with open(lock_path, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DownloadError(f"{self.entry.file} is already being downloaded "
                                    "(in another window or command)") from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _run(self) -> Path:
        from huggingface_hub import get_hf_file_metadata, hf_hub_url

        self.progress(Progress("connecting", self.partial_size(), self.entry.size_bytes))
        url = hf_hub_url(self.entry.repo, self.entry.file, revision=self.entry.revision,
                         endpoint=self.endpoint)
        with hub_access():
            try:
                meta = get_hf_file_metadata(url, token=self.token)
            except Exception as exc:  # every failure to ask becomes a sentence
                raise DownloadError(describe_error(exc, self.entry, self.endpoint)) from exc
            size = meta.size or self.entry.size_bytes
            sha256 = (meta.etag or "").strip('"').lower()
            sha256 = sha256 if _SHA256.match(sha256) else ""
            self._forget_other_file(sha256, size)
            self._check_space(size - self.partial_size())
            self._fetch(meta.location or url, size)
        self._check_stop()
        self.progress(Progress("verifying", size, size))
        if sha256:
            got = _file_sha256(self.partial, self._check_stop)
            if got != sha256:
                self.discard()
                raise DownloadError(f"{self.entry.file} did not match the checksum the hub "
                                    f"states (SHA-256 {got[:12]}… instead of {sha256[:12]}…): "
                                    "the file was deleted; try again")
        try:
            read_model_header(self.partial)
        except GGUFError as exc:
            self.discard()
            raise DownloadError(f"{self.entry.file} is not a usable GGUF file ({exc}): "
                                "it was deleted") from None
        self.partial.replace(self.target)
        self.note.unlink(missing_ok=True)
        self.progress(Progress("done", size, size))
        log.info("downloaded %s from %s (%d bytes)", self.target, self.entry.repo, size)
        return self.target

    def _forget_other_file(self, sha256: str, size: int) -> None:
        """A partial file of another version of the file (the hub's changed) starts over."""
        try:
            known = json.loads(self.note.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            known = None
        mine = {"repo": self.entry.repo, "file": self.entry.file, "sha256": sha256,
                "size": size}
        if known != mine or self.partial_size() > size:
            if self.partial_size():
                log.info("starting %s over: the hub's file differs from the partial one",
                         self.entry.file)
            self.partial.unlink(missing_ok=True)
            self.note.write_text(json.dumps(mine), encoding="utf-8")

    def _check_space(self, needed: int) -> None:
        free = shutil.disk_usage(self.models_dir).free
        if needed + SPARE_BYTES > free:
            raise DownloadError(f"not enough free disk space for {self.entry.file}: it needs "
                                f"{human_size(needed)} more and {human_size(free)} is free on "
                                f"{self.models_dir}")

    def _fetch(self, url: str, size: int) -> None:
        """The bytes, resumed from the partial file; dropped connections are resumed
        again up to RETRIES times in a row."""
        import httpx
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.file_download import http_get
        from huggingface_hub.utils import build_hf_headers

        headers = build_hf_headers(token=self.token)
        failures = 0
        while True:
            have = self.partial_size()
            if have >= size:
                return
            self._samples = [(time.monotonic(), have)]
            try:
                with open(self.partial, "ab") as fh:
                    http_get(url, _Counting(fh, self, size), resume_size=have,
                             headers=headers, expected_size=size,
                             displayed_filename=self.entry.file)
                return
            except DownloadStopped:
                raise
            except HfHubHTTPError as exc:
                raise DownloadError(describe_error(exc, self.entry, self.endpoint)
                                    + "; the part already downloaded is kept") from exc
            except (httpx.HTTPError, OSError) as exc:
                if getattr(exc, "errno", None) == errno.ENOSPC:
                    raise DownloadError(f"the disk filled up while downloading "
                                        f"{self.entry.file}; {human_size(self.partial_size())} is "
                                        "kept: free some space and resume") from exc
                grew = self.partial_size() > have
                failures = 0 if grew else failures + 1
                if failures >= RETRIES:
                    raise DownloadError(f"the connection to {self.endpoint} keeps failing "
                                        f"({exc}); {human_size(self.partial_size())} of "
                                        f"{human_size(size)} is kept: resume later") from exc
                log.warning("download of %s interrupted (%s); resuming", self.entry.file, exc)
                time.sleep(min(2 ** failures, 8) * 0.25)
                self._check_stop()

    def _check_stop(self) -> None:
        if self._stop:
            raise DownloadStopped(f"download of {self.entry.file} "
                                  f"{'cancelled' if self._stop == 'cancel' else 'paused'}")

    def _advance(self, done: int, total: int) -> None:
        """Report bytes arrived; rate over the last 5 seconds."""
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > 5:
            self._samples.pop(0)
        t0, d0 = self._samples[0]
        rate = (done - d0) / (now - t0) if now > t0 else 0.0
        eta = (total - done) / rate if rate > 0 else None
        self.progress(Progress("downloading", done, total, rate, eta))


class _Counting:
    """The partial file as ``http_get`` writes it: counts, reports, and stops the
    download between chunks when asked."""

    def __init__(self, fh, download: ModelDownload, total: int):
        self.fh, self.download, self.total = fh, download, total

    def write(self, data: bytes) -> int:
        self.download._check_stop()
        n = self.fh.write(data)
        self.fh.flush()
        self.download._advance(self.fh.tell(), self.total)
        return n

    def tell(self) -> int:
        return self.fh.tell()

    def seek(self, *args) -> int:
        return self.fh.seek(*args)

    def truncate(self, *args) -> int:
        return self.fh.truncate(*args)


def _file_sha256(path: Path, check_stop: Callable[[], None]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(8 * 1024 * 1024):
            digest.update(chunk)
            check_stop()
    return digest.hexdigest()


def human_size(n: float) -> str:
    """A file size or rate as people read it: "4.7 GB", "312 MB"."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def human_duration(seconds: float) -> str:
    """"42 s", "3 min 5 s", "1 h 12 min": time left, as a progress line says it."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def partial_downloads(models_dir: str | os.PathLike) -> dict[str, int]:
    """File name -> bytes of the downloads that were paused or interrupted."""
    folder = Path(models_dir) / DOWNLOADS
    if not folder.is_dir():
        return {}
    return {p.name[:-len(".part")]: p.stat().st_size for p in folder.glob("*.part")}
