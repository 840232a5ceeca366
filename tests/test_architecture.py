"""Design rules that keep Wenji easy to change and private."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import NETWORK_ATTEMPTS, REPO

PACKAGES = ["app", "answer", "retrieval", "ingest", "models"]


def lint_imports(root) -> subprocess.CompletedProcess:
    """import-linter's check of pyproject.toml's contracts over the packages in ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_layers_hold():
    """Each package imports only those below it; only app.gui imports Qt."""
    res = lint_imports(REPO)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "3 kept, 0 broken" in res.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("models/bundled.py", "from answer import prompts", "The pipeline"),
    ("ingest/splitter.py", "from retrieval import fusion", "The pipeline"),
    ("retrieval/fusion.py", "import PySide6.QtCore", "Only app.gui imports Qt"),
    ("app/services.py", "from app.gui import background", "The faces"),
])
def test_an_upward_import_breaks_the_check(tmp_path, module, line, contract):
    for name in PACKAGES:
        shutil.copytree(REPO / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "i18n"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # a deliberate wrong import\n")
    res = lint_imports(tmp_path)
    assert res.returncode != 0
    assert "2 kept, 1 broken" in res.stdout
    broken = res.stdout[res.stdout.index("Broken contracts"):]
    assert contract in broken and module.replace("/", ".").removesuffix(".py") in broken


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
    from ingest.store.library import Library
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
    from models.model_manager import ModelManager

    manager = ModelManager()
    manager.load(ensure_chat_model(tmp_path / "models"), context_length=1024)
    text = manager.generate("The capital of France is", max_tokens=8)
    assert text.strip()
    manager.unload()
    assert NETWORK_ATTEMPTS[before:] == []
