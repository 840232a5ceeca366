"""Shared test set-up: a temporary data folder for every test, Qt offscreen, and no
network: any socket connection to a non-loopback address raises (and is recorded)."""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("WENJI_HOME", None)

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO.parent / "shared" / "data").resolve()
SEC_DIR = DATA / "sec10q" / "docs"
PDF_DIR = DATA / "pdfs"
MD_DIR = DATA / "fastapi_docs_md"

from tests.backends import BACKENDS  # noqa: E402

LOCK_LINE = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)\s*(?:#\s*via\s+(.*))?$")


def lock_entries() -> dict[str, tuple[str, str]]:
    """{canonical name: (version, via)} from requirements.lock."""
    entries = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        m = LOCK_LINE.match(line.strip())
        if m:
            entries[canonicalize_name(m[1])] = (m[2], m[3] or "")
    return entries


def locked_version(package: str) -> str | None:
    """The version requirements.lock pins for ``package`` (None if it is not there)."""
    entry = lock_entries().get(canonicalize_name(package))
    return entry[0] if entry else None


# --- network guard ------------------------------------------------------------------

NETWORK_ATTEMPTS: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host)
    if host in ("localhost", "", "0.0.0.0"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address) -> None:
    if isinstance(address, tuple) and address and not _is_local(address[0]):
        NETWORK_ATTEMPTS.append(str(address))
        raise ConnectionRefusedError(f"test network guard: connection to {address} blocked")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        NETWORK_ATTEMPTS.append(f"resolve {host}")
        raise socket.gaierror(f"test network guard: name lookup of {host} blocked")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo


# --- data folders -------------------------------------------------------------------

@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """Caches worth sharing between tests' data folders (the ONNX exports)."""
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture(autouse=True)
def wenji_home(tmp_path, monkeypatch, shared_cache) -> Path:
    """Every test gets its own empty data folder, also for subprocesses."""
    home = tmp_path / "wenji-home"
    (home / "models").mkdir(parents=True)
    (shared_cache / "embedders").mkdir(exist_ok=True)
    (home / "models" / "embedders").symlink_to(shared_cache / "embedders")
    monkeypatch.setenv("WENJI_HOME", str(home))
    return home


@pytest.fixture(scope="session", params=BACKENDS)
def store_backend(request) -> str:
    """"embedded" or "server": a test taking it (or a library fixture built on it) runs
    on both (``tests/backends.py``)."""
    return request.param


@pytest.fixture(scope="session")
def embedder(shared_cache):
    """The bundled English embedder, all-MiniLM-L6-v2, with the default backend (the
    cheap one most tests use), loaded once."""
    from app.settings import Settings
    from models.embedder import Embedder

    (shared_cache / "embedders").mkdir(exist_ok=True)
    e = Embedder(backend=Settings().models.embedder_backend,
                 cache_dir=shared_cache / "embedders")
    e.load()
    return e


@pytest.fixture(scope="session")
def multilingual(shared_cache):
    """The bundled multilingual embedder (multilingual-e5-small, int8 ONNX: its fast
    runtime), made and loaded once."""
    from models.bundled import MULTILINGUAL_NAME
    from models.embedder import Embedder

    (shared_cache / "embedders").mkdir(exist_ok=True)
    e = Embedder(MULTILINGUAL_NAME, backend="onnx", cache_dir=shared_cache / "embedders")
    e.load()
    return e


@pytest.fixture(scope="session")
def pair(shared_cache, multilingual):
    """The default embedder (e5 and MiniLM in one vector, what a new data folder uses),
    loaded once."""
    from app.settings import Settings
    from models.embedder_pair import open_embedder

    e = open_embedder(None, backend=Settings().models.embedder_backend,
                      cache_dir=shared_cache / "embedders")
    e.load()
    return e


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "wenji-model-cache"


@pytest.fixture(scope="session")
def bundled_gguf(model_cache) -> Path:
    """The bundled chat model's GGUF, assembled once per session."""
    from models.bundled import ensure_chat_model

    return ensure_chat_model(model_cache / "models")


def require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"test data missing: {path} (is ../shared/data next to the checkout?)")
    return path


# --- shared libraries on real servers (tests/servers.py) --------------------------------

from tests.server_fixtures import chroma_server, pg_server  # noqa: E402,F401


@pytest.fixture(scope="session")
def make_shared_store(pg_server, chroma_server):
    """A function making a new shared library: its own database owned by a new role,
    on the session's PostgreSQL server, and the session's Chroma server as a writer."""
    import secrets

    from ingest.store.shared import SharedStore

    made = iter(range(1, 10_000))

    def make(label: str = "kb") -> SharedStore:
        n = next(made)
        role, password = f"wenji_{label}_{n}", secrets.token_urlsafe(12)
        pg_server.create_role(role, password)
        pg_server.create_database(role, owner=role)
        return SharedStore(postgres=pg_server.dsn(user=role, password=password, dbname=role),
                           chroma_url=chroma_server.url,
                           chroma_token=chroma_server.token("alice"))

    return make
