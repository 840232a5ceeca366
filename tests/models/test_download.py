"""Downloading a catalog model from a real HTTP server on 127.0.0.1 that answers as the
Hugging Face hub does (tests/hub_server.py), serving the bundled GGUF: full download,
resume after a dropped connection and after a pause, checksum mismatch, 404, server
error, cancel, no space, a second download at once; the downloaded model loads and
answers."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from huggingface_hub import constants

from models.catalog import CatalogEntry
from models.download import (DOWNLOADS, DownloadError, DownloadStopped, ModelDownload,
                             partial_downloads)
from tests.conftest import NETWORK_ATTEMPTS
from tests.hub_server import FakeHub

REPO = "wenji-test/gemma-3-270m-GGUF"


def entry_for(path: Path, name: str = "gemma-test") -> CatalogEntry:
    """A catalog entry written for the test, naming the bundled GGUF's file."""
    return CatalogEntry(name=name, display="Gemma 3 270M (test)", repo=REPO, file=path.name,
                        revision="main", params_b=0.27, quant="Q4_K_M",
                        size_bytes=path.stat().st_size, context=32768, languages=("en",),
                        licence="Gemma", reasoning=False, gated=False)


@pytest.fixture(scope="module")
def gguf_sha(bundled_gguf) -> str:
    digest = hashlib.sha256()
    with open(bundled_gguf, "rb") as fh:
        while chunk := fh.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture
def hub(bundled_gguf):
    with FakeHub() as server:
        server.add_file(REPO, bundled_gguf.name, bundled_gguf)
        yield server


@pytest.fixture(autouse=True)
def stays_on_loopback():
    before = len(NETWORK_ATTEMPTS)
    yield
    assert NETWORK_ATTEMPTS[before:] == [], "the download tried to leave loopback"
    assert constants.HF_HUB_OFFLINE, "the hub switch was left on after the download"


def test_a_full_download_is_verified_and_lands_in_the_models_folder(
        hub, bundled_gguf, gguf_sha, tmp_path):
    seen = []
    dl = ModelDownload(entry_for(bundled_gguf), tmp_path / "models", endpoint=hub.endpoint,
                       progress=seen.append)
    path = dl.run()
    assert path == tmp_path / "models" / bundled_gguf.name
    assert path.stat().st_size == bundled_gguf.stat().st_size
    stages = [p.stage for p in seen]
    assert stages[0] == "connecting" and stages[-1] == "done" and "verifying" in stages
    downloading = [p for p in seen if p.stage == "downloading"]
    assert downloading and downloading[-1].done == downloading[-1].total
    assert all(p.rate >= 0 for p in downloading)
    assert not list((tmp_path / "models" / DOWNLOADS).glob("*.part"))
    # a second download of a model already there is refused, by name
    with pytest.raises(DownloadError, match="already in your models folder"):
        ModelDownload(entry_for(bundled_gguf), tmp_path / "models", endpoint=hub.endpoint).run()


def test_a_dropped_connection_is_resumed_with_a_range_request(hub, bundled_gguf, tmp_path):
    # a reset 30 MB in (past huggingface_hub's 10 MiB chunks): the rest comes by Range
    hub.fail_after(30_000_000, reset=True)
    path = ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint).run()
    assert path.stat().st_size == bundled_gguf.stat().st_size
    gets = [r for r in hub.requests if r[0] == "GET"]
    assert len(gets) == 2 and gets[1][2] and gets[1][2].startswith("bytes=")
    assert int(gets[1][2][6:].rstrip("-")) >= 20_000_000


def test_pause_keeps_the_partial_file_and_a_new_run_goes_on(hub, bundled_gguf, tmp_path):
    hub.throttle(20_000_000)  # bytes/s: time to pause mid-file
    first = ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint,
                          progress=lambda p: p.done > 40_000_000 and first.pause())
    with pytest.raises(DownloadStopped, match="paused"):
        first.run()
    kept = partial_downloads(tmp_path)[bundled_gguf.name]
    assert 40_000_000 <= kept < bundled_gguf.stat().st_size
    hub.throttle(None)
    # as after closing the app: a new object, the same folder
    path = ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint).run()
    assert path.stat().st_size == bundled_gguf.stat().st_size
    assert hub.requests[-1][2] == f"bytes={kept}-"
    assert partial_downloads(tmp_path) == {}


def test_cancel_deletes_the_partial_file(hub, bundled_gguf, tmp_path):
    hub.throttle(20_000_000)
    dl = ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint)
    worker = threading.Thread(target=lambda: pytest.raises(DownloadStopped, dl.run))
    worker.start()
    deadline = time.monotonic() + 30
    while dl.partial_size() < 15_000_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    t0 = time.monotonic()
    dl.cancel()
    worker.join(30)
    assert not worker.is_alive() and time.monotonic() - t0 < 5
    assert not dl.partial.exists() and not (tmp_path / bundled_gguf.name).exists()


def test_a_tampered_file_is_deleted_and_named(bundled_gguf, tmp_path):
    with FakeHub() as hub:
        hub.add_file(REPO, bundled_gguf.name, bundled_gguf, sha256="0" * 64)
        dl = ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint)
        with pytest.raises(DownloadError, match="did not match the checksum.*deleted"):
            dl.run()
    assert not dl.partial.exists() and not (tmp_path / bundled_gguf.name).exists()


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(200_000))
    with FakeHub() as hub:
        hub.add_file(REPO, junk.name, junk)
        with pytest.raises(DownloadError, match="not a usable GGUF file"):
            ModelDownload(entry_for(junk), tmp_path / "models", endpoint=hub.endpoint).run()
    assert not (tmp_path / "models" / junk.name).exists()


def test_server_errors_are_named(hub, bundled_gguf, tmp_path):
    missing = entry_for(bundled_gguf).__class__(**{**entry_for(bundled_gguf).__dict__,
                                                 "file": "no-such-file.gguf"})
    with pytest.raises(DownloadError, match="has no file no-such-file.gguf"):
        ModelDownload(missing, tmp_path, endpoint=hub.endpoint).run()
    hub.status_for("*", 503)
    with pytest.raises(DownloadError, match=r"error \(503\)"):
        ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint).run()
    hub.clear_faults()
    # nothing listening: the address is named
    with pytest.raises(DownloadError, match="cannot reach the model hub at http://127.0.0.1:9"):
        ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint="http://127.0.0.1:9").run()
    assert not (tmp_path / bundled_gguf.name).exists()


def test_not_enough_disk_space_is_said_before_downloading(hub, bundled_gguf, tmp_path,
                                                          monkeypatch):
    import models.download as download

    # the disk is as full as it is; the model is made to need more than is free
    monkeypatch.setattr(download, "SPARE_BYTES",
                        download.shutil.disk_usage(tmp_path).free)
    with pytest.raises(DownloadError, match="not enough free disk space"):
        ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint).run()
    assert [r for r in hub.requests if r[0] == "GET"] == []


def test_one_download_of_a_file_at_a_time(hub, bundled_gguf, tmp_path):
    hub.throttle(20_000_000)
    first = ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint)
    errors = []
    worker = threading.Thread(target=lambda: errors.append(pytest.raises(DownloadStopped,
                                                                          first.run)))
    worker.start()
    deadline = time.monotonic() + 30
    while first.partial_size() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(DownloadError, match="already being downloaded"):
        ModelDownload(entry_for(bundled_gguf), tmp_path, endpoint=hub.endpoint).run()
    first.pause()
    worker.join(30)
    assert errors


def test_the_downloaded_model_loads_and_answers(hub, bundled_gguf, tmp_path):
    from models.model_manager import ModelManager
    from models.registry import Registry

    path = ModelDownload(entry_for(bundled_gguf), tmp_path / "models",
                         endpoint=hub.endpoint).run()
    info = Registry(tmp_path / "models").get(bundled_gguf.name)
    assert info.ok and info.path == path
    manager = ModelManager()
    manager.load(path, context_length=512)
    try:
        assert manager.generate("The capital of France is", max_tokens=8).strip()
    finally:
        manager.unload()


def test_a_disk_that_fills_up_mid_file_is_named_and_the_part_kept(hub, bundled_gguf,
                                                                   tmp_path):
    """A small filesystem (tmpfs, 40 MB) fills during the download: the person is told
    the disk is full, and what came is kept for a resume."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs root)")
    try:
        import models.download as download

        dl = ModelDownload(entry_for(bundled_gguf), mount, endpoint=hub.endpoint)
        old = download.SPARE_BYTES
        download.SPARE_BYTES = -bundled_gguf.stat().st_size  # pass the up-front check
        try:
            with pytest.raises(DownloadError, match="disk filled up.*is kept"):
                dl.run()
        finally:
            download.SPARE_BYTES = old
        assert dl.partial_size() > 0
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)
