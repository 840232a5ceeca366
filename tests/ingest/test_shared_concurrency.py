"""Two people ingesting into one shared knowledge base at once (real PostgreSQL and
Chroma servers, two ``wenji`` processes): overlapping folders give each document once and
lose none; ``kill -9`` of one client at random moments leaves the stores consistent once
another client opens them, while the other client goes on."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.store.library import Library
from tests.conftest import MD_DIR, REPO, require
from tests.ingest.helpers import assert_consistent

pytestmark = pytest.mark.slow

TRIALS = 10


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


def test_kill_9_of_one_client_at_random_moments(team, tmp_path):
    store, homes, docs, total = team
    rng = random.Random(20261202)
    seen_ready = []
    for trial in range(TRIALS):
        victim, other = _ingest(homes[0], docs), _ingest(homes[1], docs / "b")
        reached = threading.Event()

        def watch(stream=victim.stderr, reached=reached):
            for line in stream:
                if line.startswith("[") and ("] added:" in line or "] updated:" in line
                                             or "unchanged" in line):
                    reached.set()
            reached.set()
        threading.Thread(target=watch, daemon=True).start()
        reached.wait(timeout=300)
        try:
            victim.wait(timeout=rng.uniform(0.0, 1.5))
        except subprocess.TimeoutExpired:
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait()
        _, err = other.communicate(timeout=900)
        assert other.returncode == 0, err[-3000:]
        counts = _check(store, tmp_path)
        seen_ready.append(counts["ready"])
        # docs/b is always complete: the other client finished it
        assert counts["ready"] >= total - total // 2, (trial, counts)
        if trial % 3 == 2:  # start again from nothing now and then, so kills land early
            library = Library(tmp_path / "checker", store)
            library.delete_kb("team")
            library.close()
    print("ready documents after each trial:", seen_ready)
    done = _ingest(homes[0], docs)
    _, err = done.communicate(timeout=900)
    assert done.returncode == 0, err[-3000:]
    assert _check(store, tmp_path) == {"ready": total, "docs": total}
