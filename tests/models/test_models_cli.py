"""``wenji models ...`` through the real command line in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def wenji(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "app", "--home", str(home), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_list_assembles_the_bundled_model_in_a_fresh_home(tmp_path):
    home = tmp_path / "home"
    result = wenji(home, "models", "list")
    assert result.returncode == 0, result.stderr
    assert (home / "models" / "gemma-3-270m-q4_k_m.gguf").exists()
    line = next(l for l in result.stdout.splitlines() if "gemma-3-270m-q4_k_m.gguf" in l)
    assert line.startswith("*")  # the chat model in use
    assert "gemma3" in line and "268M" in line and "Q4_K_M" in line and "32768" in line


def test_add_show_remove_and_errors(tmp_path, bundled_gguf, broken_files):
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    # pre-seed the bundled model (with its verification stamp) to skip re-hashing
    for f in bundled_gguf.parent.glob("*gemma-3-270m-q4_k_m.gguf*"):
        shutil.copy2(f, home / "models" / f.name)

    bad = wenji(home, "models", "add", str(broken_files["random"]))
    assert bad.returncode == 2
    assert bad.stderr.strip() == (f"wenji: error: {broken_files['random']}: not a GGUF file "
                                  "(it does not start with 'GGUF')")

    src = tmp_path / "mine.gguf"
    src.symlink_to(bundled_gguf)
    added = wenji(home, "models", "add", str(src), "--link")
    assert added.returncode == 0, added.stderr
    assert "added mine.gguf" in added.stdout and "as a link" in added.stdout
    assert (home / "models" / "mine.gguf").is_symlink()

    listed = json.loads(wenji(home, "models", "list", "--json").stdout)
    assert {m["name"]: m["selected"] for m in listed} == {
        "gemma-3-270m-q4_k_m.gguf": True, "mine.gguf": False}

    shown = wenji(home, "models", "show", "mine", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["model"]["architecture"] == "gemma3"
    assert data["settings"]["max_tokens"] == 256

    assert wenji(home, "models", "remove", "mine.gguf").returncode == 0
    assert not (home / "models" / "mine.gguf").exists()
    assert bundled_gguf.exists()
    missing = wenji(home, "models", "show", "mine")
    assert missing.returncode == 2
    assert "no model named 'mine'" in missing.stderr


def test_broken_file_in_folder_is_listed_not_fatal(tmp_path, bundled_gguf, broken_files):
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    for f in bundled_gguf.parent.glob("*gemma-3-270m-q4_k_m.gguf*"):
        shutil.copy2(f, home / "models" / f.name)
    shutil.copy(broken_files["truncated"], home / "models" / "half.gguf")
    result = wenji(home, "models", "list")
    assert result.returncode == 0, result.stderr
    assert "half.gguf" in result.stdout and "ERROR" in result.stdout and \
        "truncated" in result.stdout


def test_catalog_and_download_from_a_hub_on_loopback(tmp_path, bundled_gguf):
    """`wenji models catalog` and `download` against a real HTTP server that answers as
    the hub does, named in settings as the mirror; the entry is the person's own
    catalog.toml in the data folder."""
    from tests.hub_server import FakeHub

    home = tmp_path / "home"
    home.mkdir()
    with FakeHub() as hub:
        hub.add_file("wenji-test/tiny-GGUF", bundled_gguf.name, bundled_gguf)
        (home / "settings.toml").write_text(
            f'[models]\nhub_endpoint = "{hub.endpoint}"\n', encoding="utf-8")
        (home / "catalog.toml").write_text(f'''
[[model]]
name = "tiny-test"
display = "Tiny test model"
repo = "wenji-test/tiny-GGUF"
file = "{bundled_gguf.name}"
params_b = 0.27
quant = "Q4_K_M"
size_bytes = {bundled_gguf.stat().st_size}
context = 32768
languages = ["en"]
licence = "Gemma"
reasoning = false

[[model]]
name = "gone-test"
display = "A file the hub does not have"
repo = "wenji-test/tiny-GGUF"
file = "gone.gguf"
params_b = 0.27
quant = "Q4_K_M"
size_bytes = 1000
context = 2048
languages = ["en"]
licence = "MIT"
reasoning = false
''', encoding="utf-8")
        listed = wenji(home, "models", "catalog")
        assert listed.returncode == 0, listed.stderr
        line = next(l for l in listed.stdout.splitlines() if "tiny-test" in l)
        assert "fits" in line and "fast" in line
        assert "qwen2.5-7b-instruct-q4_k_m" in listed.stdout  # the shipped entries too

        gone = wenji(home, "models", "download", "gone-test")
        assert gone.returncode != 0 and "has no file gone.gguf (404)" in gone.stderr
        typo = wenji(home, "models", "download", "tiny-tset")
        assert typo.returncode != 0 and "did you mean tiny-test" in typo.stderr

        done = wenji(home, "models", "download", "tiny-test", "--use")
        assert done.returncode == 0, done.stderr
        assert (home / "models" / bundled_gguf.name).stat().st_size == bundled_gguf.stat().st_size
        assert "verifying" in done.stderr and "100.0%" in done.stderr
        assert f"models.chat_model = '{bundled_gguf.name}'" in done.stdout
    assert f'chat_model = "{bundled_gguf.name}"' in (home / "settings.toml").read_text()
    again = wenji(home, "models", "catalog", "--json")
    tiny = next(r for r in json.loads(again.stdout) if r["name"] == "tiny-test")
    assert tiny["state"] == "downloaded" and tiny["fit"] == "fits"
