"""Watched folders: real files in a real folder, real inotify events through watchdog, the
real ingest into real Chroma; search results follow the folder within seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.change_queue import ChangeQueue, worth_watching
from ingest.watcher import ERROR, MISSING, PAUSED, UP_TO_DATE, FolderWatcher, register_folders
from tests.conftest import MD_DIR, REPO, require

WAIT = 60  # seconds an update may take on a busy 2-core machine


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_a_burst_is_one_change_and_a_growing_file_waits(tmp_path):
    clock = Clock()
    q = ChangeQueue(quiet=1.0, clock=clock)
    f = tmp_path / "a.md"
    for i in range(200):
        f.write_text(f"v{i}")
        q.changed(str(f))
    assert not q.due()  # not quiet yet
    clock.t += 1.1
    assert q.due().changed == [str(f)] and len(q) == 0
    q.changed(str(f))
    f.write_text("longer, still being written")  # after its last event: not settled
    clock.t += 1.1
    assert not q.due() and len(q) == 1
    clock.t += 1.1
    assert q.due().changed == [str(f)]
    # deleted, then written again (an editor's save): changed; gone: deleted
    q.deleted(str(f))
    f.write_text("saved again")
    q.deleted(str(tmp_path / "gone.md"))
    clock.t += 1.1
    due = q.due()
    assert due.changed == [str(f)] and due.deleted == [str(tmp_path / "gone.md")]
    # a folder event wins over the files under it
    q.scan(str(tmp_path))
    q.changed(str(tmp_path))
    clock.t += 1.1
    assert q.due().scans == [str(tmp_path)]
    assert worth_watching("/x/notes.md") and worth_watching("/x/Report.PDF")
    assert not any(worth_watching(p) for p in ("/x/.notes.md", "/x/a.md.swp", "/x/a.pdf.part",
                                                "/x/~$draft.md", "/x/image.png"))


def note(folder: Path, name: str, words: str) -> Path:
    path = folder / name
    path.write_text(f"# {name}\n\nThis note is about {words}.\n", encoding="utf-8")
    return path


@pytest.fixture
def watched(tmp_path, embedder):
    """A library whose folder ``notes`` is watched, the watcher running, and a search."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from retrieval.retriever import Retriever

    folder = tmp_path / "notes"
    folder.mkdir()
    note(folder, "first.md", "apples and pears")
    lib = Library(tmp_path / "store")
    lib.kb("default", create=True, embedder=embedder.name)
    assert register_folders(lib, "default", [folder]) == [str(folder.resolve())]
    reports = []
    watcher = FolderWatcher(lib, lambda: Ingestor(lib, embedder), quiet=0.5,
                            check_seconds=0.5, on_report=lambda s, r: reports.append(r))
    watcher.start()
    retriever = Retriever(lib, embedder)

    def texts(query: str) -> str:
        return " ".join(h.text for h in retriever.search(query, "default", k=5))

    watcher.texts, watcher.folder, watcher.reports, watcher.lib = texts, folder, reports, lib
    assert watcher.wait_idle(WAIT)
    yield watcher
    watcher.stop()
    lib.close()


def paths_of(lib) -> set[str]:
    return {Path(d.path).name for d in lib.documents(lib.kb("default")) if d.status == "ready"}


def test_create_modify_rename_delete_are_searchable_within_seconds(watched):
    folder, lib = watched.folder, watched.lib
    assert paths_of(lib) == {"first.md"}  # the start-up scan found the existing note
    t0 = time.monotonic()
    note(folder, "zebra.md", "zebras crossing the savanna")
    assert watched.wait_idle(WAIT)
    assert "zebras" in watched.texts("zebras savanna")
    assert time.monotonic() - t0 < 15
    note(folder, "zebra.md", "giraffes eating acacia leaves")
    assert watched.wait_idle(WAIT)
    assert "giraffes" in watched.texts("giraffes acacia") and \
        "zebras" not in watched.texts("zebras savanna")
    (folder / "zebra.md").rename(folder / "giraffe.md")
    assert watched.wait_idle(WAIT)
    assert paths_of(lib) == {"first.md", "giraffe.md"}
    moved = [o for r in watched.reports for o in r.outcomes if o.path.endswith("giraffe.md")]
    assert moved[-1].status == "moved"  # kept its vectors: nothing embedded again
    (folder / "giraffe.md").unlink()
    assert watched.wait_idle(WAIT)
    assert paths_of(lib) == {"first.md"} and "giraffes" not in watched.texts("giraffes acacia")
    sub = folder / "sub"  # a folder moved in: everything in it
    sub.mkdir()
    note(sub, "inner.md", "owls hunting at night")
    assert watched.wait_idle(WAIT)
    assert "owls" in watched.texts("owls hunting")
    assert lib.consistency_report(lib.kb("default"))["mismatch"] == 0


def test_two_hundred_writes_to_one_file_are_one_update(watched):
    path = watched.folder / "busy.md"
    before = len(watched.reports)
    for i in range(200):
        path.write_text(f"# Busy\n\nVersion {i} of the plan mentions kiwis.\n")
    assert watched.wait_idle(WAIT)
    runs = [o for r in watched.reports[before:] for o in r.outcomes
            if o.path.endswith("busy.md")]
    assert [o.status for o in runs] == ["added"]
    assert "Version 199" in watched.texts("kiwis plan")


def test_a_pipe_named_like_a_note_is_refused_and_the_rest_goes_on(watched):
    os.mkfifo(watched.folder / "pipe.md")
    note(watched.folder, "after.md", "lighthouses on the coast")
    assert watched.wait_idle(WAIT)
    [status] = watched.statuses()
    assert [Path(o.path).name for o in status.failures] == ["pipe.md"]
    assert "not a regular file" in status.failures[0].reason
    assert "lighthouses" in watched.texts("lighthouses coast")


def test_a_folder_that_goes_away_keeps_its_documents_and_comes_back(watched, tmp_path):
    away = tmp_path / "unplugged"
    shutil.move(str(watched.folder), away)
    deadline = time.monotonic() + 10
    while watched.statuses()[0].state != ERROR and time.monotonic() < deadline:
        time.sleep(0.1)
    status = watched.statuses()[0]
    assert status.state == ERROR and status.detail == MISSING
    assert paths_of(watched.lib) == {"first.md"}  # nothing removed
    note(away, "while-away.md", "penguins on the ice")
    shutil.move(str(away), watched.folder)
    deadline = time.monotonic() + WAIT
    while "penguins" not in watched.texts("penguins ice") and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "penguins" in watched.texts("penguins ice")
    assert watched.wait_idle(WAIT) and watched.statuses()[0].state == UP_TO_DATE


def test_pause_resume_remove(watched):
    folder = str(watched.folder.resolve())
    watched.pause("default", folder)
    assert watched.statuses()[0].state == PAUSED
    note(watched.folder, "paused.md", "volcanoes erupting")
    time.sleep(1.5)
    assert watched.wait_idle(WAIT) and "paused.md" not in paths_of(watched.lib)
    watched.resume("default", folder)  # resuming scans: what changed meanwhile is found
    assert watched.wait_idle(WAIT) and "paused.md" in paths_of(watched.lib)
    assert watched.remove("default", folder) and watched.statuses() == []
    assert watched.lib.catalog.watched_folders() == []
    assert "paused.md" in paths_of(watched.lib)  # its documents stay


def test_changes_made_while_closed_are_found_at_start(tmp_path, embedder):
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    folder = tmp_path / "notes"
    folder.mkdir()
    for name in ("keep.md", "change.md", "delete.md"):
        note(folder, name, name)
    lib = Library(tmp_path / "store")
    Ingestor(lib, embedder).run([folder])
    register_folders(lib, "default", [folder])
    # nothing runs: the person edits the folder
    note(folder, "change.md", "a changed mind")
    (folder / "delete.md").unlink()
    note(folder, "new.md", "news")
    reports = []
    watcher = FolderWatcher(lib, lambda: Ingestor(lib, embedder), quiet=0.3,
                            on_report=lambda s, r: reports.append(r))
    watcher.start()
    try:
        assert watcher.wait_idle(WAIT)
        statuses = {o.path.split("/")[-1]: o.status for r in reports for o in r.outcomes}
        assert statuses == {"keep.md": "unchanged", "change.md": "updated", "new.md": "added",
                            "delete.md": "removed"}
        assert paths_of(lib) == {"keep.md", "change.md", "new.md"}
    finally:
        watcher.stop()
        lib.close()


def test_registering_folds_inner_folders_and_keeps_a_pause(tmp_path, embedder):
    from ingest.store.library import Library

    outer = tmp_path / "docs"
    (outer / "inner").mkdir(parents=True)
    lib = Library(tmp_path / "store")
    try:
        lib.kb("default", create=True)
        assert register_folders(lib, "default", [outer / "inner"])
        assert register_folders(lib, "default", [outer]) == [str(outer.resolve())]
        assert [w.path for w in lib.catalog.watched_folders()] == [str(outer.resolve())]
        assert register_folders(lib, "default", [outer / "inner", tmp_path / "nope"]) == []
        kb = lib.kb("default")
        lib.catalog.set_watch_enabled(kb.id, str(outer.resolve()), False)
        register_folders(lib, "default", [outer])  # dragged in again: still paused
        assert not lib.catalog.watched_folders()[0].enabled
    finally:
        lib.close()


PERMISSION_SCRIPT = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path


def main():
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from ingest.watcher import FolderWatcher, register_folders
    from models.embedder import Embedder

    home, folder = Path(sys.argv[2]), Path(sys.argv[3])
    embedder = Embedder(cache_dir=home / "embedders")
    embedder.load()
    lib = Library(home / "store")
    lib.kb("default", create=True, embedder=embedder.name)
    register_folders(lib, "default", [folder])
    # parsing in this process: the unprivileged user cannot start multiprocessing's
    # resource tracker on this machine; the file is opened by the same code either way
    w = FolderWatcher(lib, lambda: Ingestor(lib, embedder, parse_workers=0), quiet=0.3)
    w.start()
    assert w.wait_idle(120)
    (folder / "open.md").write_text("# Open\n\nAnyone may read about otters.\n")
    assert w.wait_idle(120)
    [status] = w.statuses()
    print("FAILURES", [(Path(o.path).name, o.reason) for o in status.failures])
    print("DOCS", sorted(Path(d.path).name for d in lib.documents() if d.status == "ready"))
    w.stop()


if __name__ == "__main__":  # the parser processes import this file again
    main()
"""


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX users")
def test_a_file_the_user_may_not_read_is_named_and_the_rest_goes_on():
    """Run as an unprivileged user (root reads every file) when this runs as root, in a
    folder of /tmp that user can enter; else as ourselves."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="wenji-permission-"))
    try:
        home, folder = base / "home", base / "watched"
        home.mkdir()
        folder.mkdir()
        secret = folder / "secret.md"
        secret.write_text("# Secret\n\nNot for you.\n")
        secret.chmod(0o000)
        script = base / "check.py"
        script.write_text(PERMISSION_SCRIPT)
        cmd = [sys.executable, str(script), str(REPO), str(home), str(folder)]
        env = dict(os.environ, HOME=str(home), HF_HUB_OFFLINE="1")
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv: cannot be another user")
            for p in (base, home, folder, script):
                p.chmod(0o777)
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        assert "FAILURES [('secret.md', 'cannot read the file: Permission denied')]" in \
            out.stdout, out.stdout + out.stderr[-2000:]
        assert "DOCS ['open.md']" in out.stdout
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_a_thousand_files_at_once_are_queued_in_batches(watched):
    src = require(MD_DIR / "en" / "docs" / "tutorial" / "first-steps.md").read_text()
    progress = []
    watched.on_progress = lambda status, p: progress.append(status.detail)
    batch = watched.folder / "batch"
    batch.mkdir()
    for i in range(1000):
        (batch / f"n{i:04d}.md").write_text(f"# Note {i}\n\nItem number {i} of the pile.\n"
                                             + src[:200])
    assert watched.wait_idle(600)
    assert len(paths_of(watched.lib)) == 1001
    assert watched.lib.consistency_report(watched.lib.kb("default"))["mismatch"] == 0


def test_a_file_changed_during_its_update_is_read_again(watched):
    """Written while it was being indexed: the watcher reads it again afterwards, so the
    index ends with the file as it is, never with the version it was reading."""
    from models.hashing import file_sha256 as file_hash

    tutorial = sorted(require(MD_DIR / "en" / "docs" / "tutorial").glob("*.md"))
    big = watched.folder / "big.md"
    big.write_text("\n\n".join(p.read_text() for p in tutorial[:25]))
    deadline = time.monotonic() + WAIT
    while watched.statuses()[0].state == UP_TO_DATE and time.monotonic() < deadline:
        time.sleep(0.02)  # wait for the update to start
    with big.open("a") as f:
        f.write("\n\n## Late addition\n\nA paragraph about quokkas written during the update.\n")
    assert watched.wait_idle(WAIT * 3)
    doc = watched.lib.catalog.document(watched.lib.kb("default").id, str(big.resolve()))
    assert doc.status == "ready" and doc.content_hash == file_hash(big)
    assert "quokkas" in watched.texts("quokkas late addition")


def test_a_polled_folder_is_scanned_without_events(tmp_path, embedder):
    """Network drives send no events: such a folder is polled (here a local one, asked
    to be polled), and its changes still arrive."""
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from ingest.watcher import needs_polling

    folder = tmp_path / "share"
    folder.mkdir()
    lib = Library(tmp_path / "store")
    lib.kb("default", create=True, embedder=embedder.name)
    watcher = FolderWatcher(lib, lambda: Ingestor(lib, embedder), quiet=0.3, poll_seconds=1.0)
    watcher.start()
    try:
        status = watcher.add("default", str(folder), poll=True)
        assert status.poll and lib.catalog.watched_folders()[0].poll
        assert not needs_polling(str(folder))  # a local disk is not polled by itself
        note(folder, "remote.md", "seals on the rocks")
        deadline = time.monotonic() + WAIT
        while "remote.md" not in paths_of(lib) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert paths_of(lib) == {"remote.md"}
    finally:
        watcher.stop()
        lib.close()
