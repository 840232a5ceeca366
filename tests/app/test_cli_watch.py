"""``wenji watch``, run as a user runs it: folders added by ``wenji ingest`` are watched,
``--once`` applies what changed, the watch can be paused, resumed and removed, and a
``kill -9`` while a watched folder is being updated leaves the stores consistent."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.app.test_cli import wenji
from tests.conftest import MD_DIR, REPO, require
from tests.ingest.helpers import check_store_in_fresh_process


def notes(folder, n=2):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"n{i}.md").write_text(f"# Note {i}\n\nA note about lanterns number {i}.\n")


def test_ingest_watches_the_folder_and_watch_once_applies_changes(wenji_home, tmp_path):
    folder = tmp_path / "notes"
    notes(folder)
    res = wenji("ingest", str(folder), home=wenji_home)
    assert res.returncode == 0 and f"watching {folder}" in res.stderr, res.stderr
    res = wenji("watch", "--list", home=wenji_home)
    assert res.stdout.strip() == f"default\twatched\t{folder}"
    (folder / "n0.md").unlink()
    (folder / "new.md").write_text("# New\n\nA note about kites.\n")
    res = wenji("watch", "--once", home=wenji_home)
    assert res.returncode == 0, res.stderr
    assert f"added: {folder / 'new.md'}" in res.stdout
    assert f"removed: {folder / 'n0.md'}" in res.stdout
    docs = wenji("docs", home=wenji_home).stdout
    assert "new.md" in docs and "n0.md" not in docs
    # pause, resume, remove; unknown folders are named
    assert wenji("watch", "--pause", str(folder), home=wenji_home).returncode == 0
    assert "paused" in wenji("watch", "--list", home=wenji_home).stdout
    assert wenji("watch", "--resume", str(folder), home=wenji_home).returncode == 0
    res = wenji("watch", "--pause", str(tmp_path / "elsewhere"), home=wenji_home)
    assert res.returncode != 0 and "is not watched" in res.stderr
    res = wenji("watch", "--remove", str(folder), home=wenji_home)
    assert res.returncode == 0 and "documents stay" in res.stdout
    res = wenji("watch", home=wenji_home)
    assert res.returncode != 0 and "no watched folders" in res.stderr


@pytest.mark.slow
def test_kill_9_while_a_watched_folder_is_updated(wenji_home, tmp_path):
    """The watcher applies changes with the same generations as any ingest: killed at a
    random moment of an update, the stores stay consistent and the next start finishes
    the job."""
    import random

    folder = tmp_path / "watched"
    notes(folder, 1)
    assert wenji("ingest", str(folder), home=wenji_home).returncode == 0
    sources = sorted(require(MD_DIR / "en" / "docs" / "tutorial").glob("*.md"))[:30]
    rng = random.Random(20261202)
    for trial in range(3):
        proc = subprocess.Popen([sys.executable, "-m", "app", "--home", str(wenji_home),
                                 "watch"], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        time.sleep(1)
        for md in sources[trial * 10:(trial + 1) * 10]:  # ten new notes arrive
            shutil.copy(md, folder / f"{trial}-{md.name}")
        deadline = time.monotonic() + 300
        for line in proc.stdout:  # killed once the update is under way
            if line.startswith("added:") or time.monotonic() > deadline:
                break
        time.sleep(rng.uniform(0.0, 1.5))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        check_store_in_fresh_process(wenji_home / "store")
    res = wenji("watch", "--once", home=wenji_home)  # the next start finishes the job
    assert res.returncode == 0, res.stderr
    check_store_in_fresh_process(wenji_home / "store")
    docs = wenji("docs", home=wenji_home).stdout
    assert docs.count(" ready ") == 31, docs
