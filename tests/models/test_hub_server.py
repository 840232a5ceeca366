"""The fake hub (tests/hub_server.py) answers as the Hugging Face Hub does, as far as
huggingface_hub (1.33) can tell: metadata from HEAD, downloads and Range resumes from
GET, and the hub's errors mapped to huggingface_hub's exception classes.

Observed with huggingface_hub 1.33 (asserted below):

* The only switch that keeps huggingface_hub off the network is
  ``huggingface_hub.constants.HF_HUB_OFFLINE`` (read on every request by the httpx event
  hook ``utils._http.hf_request_event_hook`` through ``constants.is_offline_mode()``);
  with it on, any request raises ``OfflineModeIsEnabled`` before a socket is opened.
  The ``online`` fixture turns only that off, for one test.
* ``http_get`` retries a body cut short by a clean close (``httpx.RemoteProtocolError``)
  on its own, after sleeping 1 s, with ``Range: bytes=<bytes written>-``; but it reads
  in ``DOWNLOAD_CHUNK_SIZE`` (10 MiB) chunks and only counts bytes it has written, so a
  cut inside the first 10 MiB restarts from byte 0 (no Range header).  A connection
  reset (RST -> ``httpx.ReadError``) is not retried: it raises.
* 404 ``EntryNotFound`` -> ``RemoteEntryNotFoundError`` (an ``HfHubHTTPError`` and an
  ``EntryNotFoundError``); 404 ``RepoNotFound`` -> ``RepositoryNotFoundError``; 404
  ``RevisionNotFound`` -> ``RevisionNotFoundError``; 500/503 -> plain ``HfHubHTTPError``
  (no retry: ``get_hf_file_metadata`` defaults to ``retry_on_errors=False`` and
  ``http_get`` retries only 408/429).
* ``hf_hub_download`` trusts the ETag: a file whose bytes do not match the stated sha256
  is stored under the stated hash without complaint.
"""

from __future__ import annotations

import hashlib
import io
import os
import time

import httpx
import huggingface_hub
import pytest
from huggingface_hub import constants
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import http_get

from tests.conftest import NETWORK_ATTEMPTS
from tests.hub_server import FakeHub, Request

REPO_ID = "wenji-test/tiny"
FILENAME = "weights.bin"
DATA = os.urandom(300_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def online(monkeypatch):
    """huggingface_hub allowed to make requests, for this test only (loopback still the
    only place the network guard in tests/conftest.py lets a socket go)."""
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    # Not an offline switch, but it must stay on: with telemetry enabled, building the
    # user agent fetches an agent registry from huggingface.co.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
    before = len(NETWORK_ATTEMPTS)
    yield
    assert NETWORK_ATTEMPTS[before:] == [], "huggingface_hub tried to leave loopback"


@pytest.fixture
def hub():
    with FakeHub() as h:
        h.add_file(REPO_ID, FILENAME, DATA)
        yield h


@pytest.fixture
def url(hub):
    return huggingface_hub.hf_hub_url(REPO_ID, FILENAME, revision="main", endpoint=hub.endpoint)


def test_offline_switch_still_blocks_without_the_fixture(hub, url):
    assert constants.HF_HUB_OFFLINE is True  # set by models/offline.py via conftest
    with pytest.raises(OfflineModeIsEnabled):
        huggingface_hub.get_hf_file_metadata(url)
    assert hub.requests == []


def test_url_and_metadata(online, hub, url):
    assert url == hub.url(REPO_ID, FILENAME) == f"{hub.endpoint}/{REPO_ID}/resolve/main/{FILENAME}"
    meta = huggingface_hub.get_hf_file_metadata(url)
    assert meta.size == len(DATA)
    assert meta.etag == SHA
    assert meta.commit_hash == hub.commit(REPO_ID) and len(meta.commit_hash) == 40
    int(meta.commit_hash, 16)
    assert meta.location == url  # 200, no redirect: download from the same URL
    assert meta.xet_file_data is None  # plain HTTP download path
    assert hub.requests == [Request("HEAD", f"/{REPO_ID}/resolve/main/{FILENAME}", None)]


def test_raw_headers(hub, url):
    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["X-Linked-Etag"] == head.headers["ETag"] == f'"{SHA}"'
    assert head.headers["X-Linked-Size"] == head.headers["Content-Length"] == str(len(DATA))
    assert head.headers["Accept-Ranges"] == "bytes"
    part = httpx.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    assert part.content == DATA[1000:2000]
    assert httpx.get(url, headers={"Range": f"bytes={len(DATA)}-"}).status_code == 416
    full = httpx.get(url)
    assert full.status_code == 200 and full.content == DATA


def test_metadata_at_the_commit_revision(online, hub):
    commit = hub.commit(REPO_ID)
    url = huggingface_hub.hf_hub_url(REPO_ID, FILENAME, revision=commit, endpoint=hub.endpoint)
    assert huggingface_hub.get_hf_file_metadata(url).commit_hash == commit


def test_http_get_full(online, hub, url, tmp_path):
    target = tmp_path / "out.bin"
    with open(target, "wb") as f:
        http_get(url, f, expected_size=len(DATA))
    assert target.read_bytes() == DATA
    assert hub.requests[-1] == ("GET", f"/{REPO_ID}/resolve/main/{FILENAME}", None)


def test_http_get_resumes_with_range(online, hub, url, tmp_path):
    k = 123_456
    target = tmp_path / "part.bin"
    target.write_bytes(DATA[:k])
    with open(target, "ab") as f:
        http_get(url, f, resume_size=k, expected_size=len(DATA))
    assert target.read_bytes() == DATA
    assert hub.requests == [Request("GET", f"/{REPO_ID}/resolve/main/{FILENAME}", f"bytes={k}-")]


def test_cut_connection_is_retried_from_zero_under_10_mib(online, hub, url):
    # Observed: http_get catches httpx.RemoteProtocolError ("peer closed connection
    # without sending complete message body"), sleeps 1 s and retries by itself - but the
    # 100 000 bytes it received were still in httpx's 10 MiB chunk buffer, never written,
    # so the retry starts again at 0 without a Range header.
    hub.fail_after(100_000)
    out = io.BytesIO()
    http_get(url, out, expected_size=len(DATA))
    assert out.getvalue() == DATA
    assert [r.range for r in hub.requests] == [None, None]


def test_cut_connection_past_10_mib_resumes_with_range(online):
    big = os.urandom(12 << 20)
    chunk = constants.DOWNLOAD_CHUNK_SIZE
    assert chunk == 10 << 20
    with FakeHub() as hub:
        url = hub.add_file(REPO_ID, "big.bin", big)
        hub.fail_after(11 << 20)
        out = io.BytesIO()
        http_get(url, out, expected_size=len(big))
    assert out.getvalue() == big
    assert [r.range for r in hub.requests] == [None, f"bytes={chunk}-"]


def test_connection_reset_is_not_retried(online, hub, url):
    # Observed: an RST surfaces as httpx.ReadError, which http_get does not retry.
    hub.fail_after(100_000, reset=True)
    with pytest.raises(httpx.ReadError):
        http_get(url, io.BytesIO(), expected_size=len(DATA))
    assert len(hub.requests) == 1
    out = io.BytesIO()  # the next request is served normally
    http_get(url, out, expected_size=len(DATA))
    assert out.getvalue() == DATA


def test_404_entry_not_found(online, hub, url):
    hub.status_for(url, 404, times=1)
    with pytest.raises(RemoteEntryNotFoundError) as err:
        huggingface_hub.get_hf_file_metadata(url)
    assert isinstance(err.value, HfHubHTTPError) and isinstance(err.value, EntryNotFoundError)
    assert err.value.response.status_code == 404
    assert err.value.response.headers["X-Error-Code"] == "EntryNotFound"
    assert huggingface_hub.get_hf_file_metadata(url).etag == SHA  # times=1 used up


def test_404_for_paths_the_hub_does_not_have(online, hub):
    with pytest.raises(RemoteEntryNotFoundError):  # known repo, unknown file
        huggingface_hub.get_hf_file_metadata(hub.url(REPO_ID, "missing.bin"))
    with pytest.raises(RevisionNotFoundError):
        huggingface_hub.get_hf_file_metadata(hub.url(REPO_ID, FILENAME, revision="v9"))
    with pytest.raises(RepositoryNotFoundError) as err:
        huggingface_hub.get_hf_file_metadata(hub.url("nobody/nothing", FILENAME))
    assert err.value.response.headers["X-Error-Code"] == "RepoNotFound"
    assert httpx.get(hub.endpoint + "/favicon.ico").headers["X-Error-Code"] == "RepoNotFound"


@pytest.mark.parametrize("code", [500, 503])
def test_server_errors(online, hub, url, code):
    hub.status_for("*", code, times=2)
    with pytest.raises(HfHubHTTPError) as err:
        huggingface_hub.get_hf_file_metadata(url)
    assert type(err.value) is HfHubHTTPError and err.value.response.status_code == code
    with pytest.raises(HfHubHTTPError) as err:
        http_get(url, io.BytesIO())
    assert err.value.response.status_code == code
    assert len(hub.requests) == 2  # neither call retried


def test_throttle_and_cancel(online, hub, url):
    hub.throttle(100_000)
    start = time.monotonic()
    with httpx.stream("GET", url) as response:
        got = 0
        for block in response.iter_bytes():
            got += len(block)
            if got >= 30_000:
                break  # the client gives up mid-file
    assert time.monotonic() - start >= 0.2
    hub.throttle(None)
    assert httpx.get(url).content == DATA  # the server survived the hang-up


def test_hf_hub_download_from_a_path(online, tmp_path):
    blob = tmp_path / "model.gguf"
    with open(blob, "wb") as f:
        for _ in range(3):
            f.write(os.urandom(1 << 20))
    with FakeHub() as hub:
        hub.add_file(REPO_ID, "model.gguf", blob)
        got = huggingface_hub.hf_hub_download(REPO_ID, "model.gguf", endpoint=hub.endpoint,
                                              cache_dir=tmp_path / "cache")
        assert [r.method for r in hub.requests] == ["HEAD", "GET"]
    assert open(got, "rb").read() == blob.read_bytes()
    assert f"/snapshots/{hub.commit(REPO_ID)}/" in got


def test_tampered_hash_is_not_noticed_by_hf_hub_download(online, tmp_path):
    fake = "0" * 64
    with FakeHub() as hub:
        hub.add_file(REPO_ID, FILENAME, DATA, sha256=fake)
        assert httpx.head(hub.url(REPO_ID, FILENAME)).headers["ETag"] == f'"{fake}"'
        got = huggingface_hub.hf_hub_download(REPO_ID, FILENAME, endpoint=hub.endpoint,
                                              cache_dir=tmp_path / "cache")
    assert open(got, "rb").read() == DATA
    assert os.path.basename(os.path.realpath(got)) == fake  # blob named by the stated hash
    assert hashlib.sha256(DATA).hexdigest() != fake
