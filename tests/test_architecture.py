"""Design rules that keep Wenji easy to change and private."""

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import NETWORK_ATTEMPTS, REPO

CORE = ["ingest", "retrieval", "models"]


def test_core_packages_never_import_qt():
    """Import every module of the core with PySide6 imports made to fail."""
    code = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name == "PySide6" or name.startswith(("PySide6.", "shiboken6")):
                    raise ImportError("Qt is not allowed in the core: " + name)
        sys.meta_path.insert(0, BlockQt())
        count = 0
        for pkg_name in {CORE!r}:
            pkg = importlib.import_module(pkg_name)
            for info in pkgutil.walk_packages(pkg.__path__, pkg_name + "."):
                importlib.import_module(info.name)
                count += 1
        import app.settings, app.home, app.cli, app.services  # the CLI side is Qt-free too
        assert not any(m.startswith("PySide6") for m in sys.modules), "Qt got imported"
        print("modules", count)
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert int(res.stdout.split()[-1]) >= 8  # the check really walked the packages


def test_block_qt_check_can_fail():
    """The blocker used above really blocks (so the test above can fail)."""
    code = textwrap.dedent("""
        import sys
        class BlockQt:
            def find_spec(self, name, path=None, target=None):
                if name == "PySide6" or name.startswith("PySide6."):
                    raise ImportError("blocked")
        sys.meta_path.insert(0, BlockQt())
        import app.gui.main_window
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode != 0 and "blocked" in res.stderr


def test_offline_switches_are_set_by_the_core():
    code = ("import os; import models; "
            "print(os.environ['HF_HUB_OFFLINE'], os.environ['ANONYMIZED_TELEMETRY'])")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "ANONYMIZED_TELEMETRY")}
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env=env, timeout=60)
    assert res.stdout.split() == ["1", "False"], res.stderr


def test_network_guard_blocks_public_addresses():
    before = len(NETWORK_ATTEMPTS)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        s.connect(("93.184.215.14", 443))
    s.close()
    assert len(NETWORK_ATTEMPTS) == before + 1
    del NETWORK_ATTEMPTS[before:]


def test_pipelines_run_without_network(tmp_path, embedder):
    """Ingest and search with every non-loopback connection made to raise."""
    from ingest.library import Library
    from ingest.pipeline import Ingestor
    from tests.conftest import MD_DIR, PDF_DIR

    before = len(NETWORK_ATTEMPTS)
    library = Library(tmp_path / "store")
    assert library.vectors.client.get_settings().anonymized_telemetry is False
    report = Ingestor(library, embedder).run(
        [MD_DIR / "en/docs/tutorial/first-steps.md", PDF_DIR / "pymupdf_tests/2201.00069.pdf"])
    assert report.count("added") == 2
    kb = library.kb(None)
    hits = library.vectors.query(kb.collection, embedder.encode_query("path operation"), 3)
    assert hits
    try:
        from retrieval.retriever import Retriever
    except ImportError:
        Retriever = None
    if Retriever is not None:
        from app.settings import Settings

        assert Retriever(library, embedder, Settings().retrieval).search("path operation", k=3)
    # generation with the bundled GGUF through llama.cpp
    from models.bundled import ensure_chat_model
    from models.llm import ModelManager

    manager = ModelManager()
    manager.load(ensure_chat_model(tmp_path / "models"), context_length=1024)
    text = manager.generate("The capital of France is", max_tokens=8)
    assert text.strip()
    manager.unload()
    assert NETWORK_ATTEMPTS[before:] == []
