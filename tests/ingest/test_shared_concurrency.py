"""Two people ingesting into one shared knowledge base at once (real PostgreSQL and
Chroma servers, two ``wenji`` processes): overlapping folders give each document once and
lose none."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.store.library import Library
from tests.conftest import MD_DIR, REPO, require
from tests.ingest.helpers import assert_consistent

pytestmark = pytest.mark.slow


@pytest.fixture
def team(make_shared_store, tmp_path, shared_cache, monkeypatch):
    """Two data folders set up for one shared library; the secrets in the environment."""
    store = make_shared_store("concurrent")
    info = conninfo_to_dict(store.postgres)
    monkeypatch.setenv("WENJI_SHARED_PASSWORD", info.pop("password"))
    monkeypatch.setenv("WENJI_SHARED_TOKEN", store.chroma_token)
    homes = []
    for name in ("one", "two"):
        home = tmp_path / name
        (home / "models").mkdir(parents=True)
        (home / "models" / "embedders").symlink_to(shared_cache / "embedders")
        (home / "settings.toml").write_text(
            f'[shared]\npostgres = "{make_conninfo(**info)}"\n'
            f'chroma_url = "{store.chroma_url}"\n')
        homes.append(home)
    docs = tmp_path / "docs"
    notes = sorted(require(MD_DIR / "en/docs/tutorial").glob("*.md"))
    for i, md in enumerate(notes):  # docs/a: the first half, docs/b: the rest
        part = docs / ("a" if i < len(notes) // 2 else "b")
        part.mkdir(parents=True, exist_ok=True)
        shutil.copy(md, part / f"{i:02d} {md.name}")
    return store, homes, docs, len(notes)


def _ingest(home, folder):
    return subprocess.Popen([sys.executable, "-m", "app", "--home", str(home), "--shared",
                             "ingest", str(folder), "--kb", "team"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _check(store, tmp_path) -> dict:
    """Open the library as a new client would (it finishes or undoes what dead clients
    left), check both stores agree, and count."""
    library = Library(tmp_path / "checker", store)
    try:
        assert_consistent(library)
        kb = library.catalog.kb("team")
        docs = library.documents(kb) if kb else []
        paths = [d.path for d in docs]
        assert len(paths) == len(set(paths)), "a document twice"
        return {"ready": sum(d.status == "ready" for d in docs), "docs": len(docs)}
    finally:
        library.close()


def test_overlapping_folders_at_once_give_each_document_once(team, tmp_path):
    store, homes, docs, total = team
    # one client takes docs/a, the other all of docs (docs/a again, and docs/b)
    runs = [_ingest(homes[0], docs / "a"), _ingest(homes[1], docs)]
    for run in runs:
        _, err = run.communicate(timeout=900)
        assert run.returncode == 0, err[-3000:]
    counts = _check(store, tmp_path)
    assert counts == {"ready": total, "docs": total}, counts
