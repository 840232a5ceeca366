"""``wenji kb export`` / ``wenji kb import``, run as a user runs them: subprocesses, two
data folders, a real 10-Q."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from tests.app.test_cli import wenji
from tests.conftest import SEC_DIR, require

SETTINGS = '[models]\nembedder = "all-MiniLM-L6-v2"\n[ingest]\nocr = false\n'
QUERIES = ["iPhone net sales", "share repurchase program"]


def search(home, query: str, kb: str) -> list[tuple]:
    res = wenji("search", query, "--kb", kb, "--json", home=home)
    assert res.returncode == 0, res.stderr
    return [(h["text"], h["page"], round(h["score"], 5))
            for h in json.loads(res.stdout)["hits"]]


@pytest.fixture
def exported(tmp_path, wenji_home, embedder):
    """A data folder with the knowledge base 'filings' (one 10-Q), exported with its
    file; ``embedder`` has made the ONNX export the subprocesses load."""
    (wenji_home / "settings.toml").write_text(SETTINGS)
    doc = tmp_path / "docs" / "2023 Q2 AAPL.pdf"
    doc.parent.mkdir()
    shutil.copy(require(SEC_DIR / doc.name), doc)
    res = wenji("ingest", str(doc), "--kb", "filings", home=wenji_home)
    assert res.returncode == 0, res.stderr
    file = tmp_path / "filings.wenjikb"
    res = wenji("kb", "export", "filings", str(file), "--with-files", home=wenji_home)
    assert res.returncode == 0, res.stderr
    return file, res


def new_home(tmp_path, wenji_home, name: str, settings: str = SETTINGS):
    home = tmp_path / name
    (home / "models").mkdir(parents=True)
    (home / "models" / "embedders").symlink_to((wenji_home / "models" / "embedders").resolve())
    (home / "settings.toml").write_text(settings)
    return home


def test_export_then_import_into_another_data_folder(exported, tmp_path, wenji_home):
    file, res = exported
    assert f"exported 'filings' to {file}: 1 documents" in res.stdout
    assert "1 files" in res.stdout and " in " in res.stdout
    assert "vectors" in res.stderr  # the progress lines (not a terminal: one per stage)
    with zipfile.ZipFile(file) as zf:
        assert "files/2023 Q2 AAPL.pdf" in zf.namelist()

    home = new_home(tmp_path, wenji_home, "other-home")
    res = wenji("kb", "import", str(file), home=home)
    assert res.returncode == 0, res.stderr
    assert f"imported 'filings' from {file}: 1 documents" in res.stdout
    assert "vectors as archived" in res.stdout
    assert str(home / "files" / "filings") in res.stdout
    assert (home / "files" / "filings" / "2023 Q2 AAPL.pdf").is_file()
    res = wenji("kb", "list", home=home)
    assert res.returncode == 0 and res.stdout.startswith("filings\t1/1 documents ready")
    for query in QUERIES:
        assert search(home, query, "filings") == search(wenji_home, query, "filings")


def test_import_refusals_and_their_way_out(exported, tmp_path, wenji_home):
    file, _ = exported
    home = new_home(tmp_path, wenji_home, "other-home")
    assert wenji("kb", "import", str(file), home=home).returncode == 0

    res = wenji("kb", "import", str(file), home=home)
    assert res.returncode == 2
    assert str(file) in res.stderr and "already exists" in res.stderr
    assert "--as NAME" in res.stderr

    res = wenji("kb", "import", str(file), "--as", "filings again", "--reembed", home=home)
    assert res.returncode == 0, res.stderr
    assert "imported 'filings again'" in res.stdout and "re-embedded" in res.stdout
    assert search(home, QUERIES[0], "filings again")[:3] == search(home, QUERIES[0],
                                                                   "filings")[:3]

    not_archive = tmp_path / "notes.txt"
    not_archive.write_text("just some notes\n")
    res = wenji("kb", "import", str(not_archive), home=home)
    assert res.returncode == 2
    assert str(not_archive) in res.stderr and "not a Wenji knowledge-base archive" in res.stderr

    other = new_home(tmp_path, wenji_home, "e5-home",
                     '[models]\nembedder = "multilingual-e5-small"\n')
    res = wenji("kb", "import", str(file), home=other)
    assert res.returncode == 2
    assert "'all-MiniLM-L6-v2'" in res.stderr and "'multilingual-e5-small'" in res.stderr
    assert "--reembed" in res.stderr
    assert "filings" not in wenji("kb", "list", home=other).stdout

    res = wenji("kb", "export", "nope", str(tmp_path / "nope.wenjikb"), home=wenji_home)
    assert res.returncode == 2 and "no knowledge base named 'nope'" in res.stderr
    assert not (tmp_path / "nope.wenjikb").exists()
