"""Two people ingesting into one shared knowledge base at once (real PostgreSQL and
Chroma servers, two ``wenji`` processes): overlapping folders give each document once and
lose none; ``kill -9`` of one client in the middle of its ingest leaves the stores
consistent once another client opens them, while the other client finishes."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ingest.store.library import Library
from tests.conftest import MD_DIR, REPO, require
from tests.ingest.helpers import assert_consistent

pytestmark = pytest.mark.slow

TRIALS = 10
KILL_SEED = 20261203


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


def _ingest(home, *folders):
    return subprocess.Popen([sys.executable, "-m", "app", "--home", str(home), "--shared",
                             "ingest", *map(str, folders), "--kb", "team"], cwd=REPO,
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


# --- kill -9 of one of two clients ------------------------------------------------------

def _small_notes() -> list:
    """Short Markdown files (a few chunks each): many trials in little time."""
    notes = sorted(require(MD_DIR / "en/docs/tutorial").glob("*.md"))
    return [md for md in notes if md.stat().st_size < 3400]


def _in_turns(first: list, second: list) -> list:
    """first[0], second[0], first[1], second[1], ... then the rest of the longer."""
    out = [x for pair in zip(first, second) for x in pair]
    n = min(len(first), len(second))
    return out + first[n:] + second[n:]


def _states(conn, folder) -> dict[str, tuple[str, bool]]:
    """path -> (status, has a pending generation) of the documents under ``folder``."""
    rows = conn.execute("SELECT path, status, pending_gen FROM documents "
                        "WHERE starts_with(path, %s)", (f"{folder}/",)).fetchall()
    return {path: (status, gen is not None) for path, status, gen in rows}


def _wait_mid_write(conn, folder, done: int, victim, timeout: float = 300) -> None:
    """Wait until the victim, with at least ``done`` documents of ``folder`` (its own
    files) ready, begins writing another one (a new pending generation appears): it is
    then at the start of a group of documents -- embedding, adding vectors, committing."""
    deadline = time.monotonic() + timeout
    pending: set = set()
    while time.monotonic() < deadline:
        states = _states(conn, folder)
        ready = sum(status == "ready" for status, _ in states.values())
        now = {path for path, (_, marked) in states.items() if marked}
        if ready >= done and now - pending:
            return
        pending = now
        if victim.poll() is not None:
            pytest.fail(f"the victim ended (exit {victim.returncode}) before the kill: "
                        f"{victim.stderr.read()[-2000:]}")
        time.sleep(0.01)
    pytest.fail(f"the victim did not begin a document of {folder} in time")


def test_kill_9_of_one_client_at_random_moments(team, tmp_path, embedder):
    """Each trial: the victim ingests a (its own) and b, the survivor b and c, at once;
    the victim is killed while it writes a's documents, after a random number of them
    and a random fraction of a second.  The survivor still finishes, a new client then
    finds both stores consistent with each path at most once, and the victim's run again
    completes everything."""
    store, homes, _, _ = team
    for home in homes:  # the lighter embedder (warmed by the fixture): the trials test
        with open(home / "settings.toml", "a") as settings:  # the writes, not the model
            settings.write(f'[models]\nembedder = "{embedder.name}"\n')
    rng = random.Random(KILL_SEED)
    notes = _small_notes()
    expected, left_behind = 0, []
    started = time.monotonic()
    Library(tmp_path / "checker", store).close()  # the tables, for the watching connection
    with psycopg.connect(store.postgres, autocommit=True) as conn:
        for trial in range(TRIALS):
            folder = tmp_path / "trials" / f"t{trial}"
            picked = rng.sample(notes, 9)
            parts = {"a": picked[:5], "b": picked[5:7], "c": picked[7:]}
            for part, files in parts.items():
                (folder / part).mkdir(parents=True)
                for md in files:
                    shutil.copy(md, folder / part / md.name)
            # the victim names its folders, or (odd trials) its files one by one, a's and
            # b's in turns: then it writes b's documents beside a's, and is killed so
            mine = [folder / "a", folder / "b"] if trial % 2 == 0 else _in_turns(
                [folder / "a" / md.name for md in parts["a"]],
                [folder / "b" / md.name for md in parts["b"]])
            theirs = [folder / "b", folder / "c"]
            rng.shuffle(theirs)  # the survivor meets b first or last
            done, delay = rng.randrange(len(parts["a"]) - 1), rng.uniform(0.0, 0.25)
            print(f"trial {trial} (seed {KILL_SEED}): kill at a begin after {done} of a ready "
                  f"+ {delay:.3f} s; survivor order {[p.name for p in theirs]}")
            victim, survivor = _ingest(homes[0], *mine), _ingest(homes[1], *theirs)
            try:
                _wait_mid_write(conn, folder / "a", done, victim)
                time.sleep(delay)
                assert victim.poll() is None, "the victim finished before the kill"
                os.killpg(victim.pid, signal.SIGKILL)
                assert victim.wait(60) == -signal.SIGKILL
                at_kill = _states(conn, folder / "a")
                b_at_kill = sum(marked for _, marked in _states(conn, folder / "b").values())
                _, err = survivor.communicate(timeout=600)
                assert survivor.returncode == 0, err[-3000:]
            finally:
                for proc in (victim, survivor):
                    if proc.poll() is None:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
            ready_a = sum(status == "ready" for status, _ in at_kill.values())
            pending_a = sum(pending for _, pending in at_kill.values())
            left_behind.append(pending_a)
            assert ready_a < len(parts["a"]), "the victim had finished its own files"
            print(f"  killed with {ready_a} of a ready, {pending_a} half-written "
                  f"(and {b_at_kill} of b)")

            counts = _check(store, tmp_path)  # recovery as a new client; at most once
            survivor_done = {path for path, (status, _) in
                             {**_states(conn, folder / "b"), **_states(conn, folder / "c")}
                             .items() if status == "ready"}
            assert len(survivor_done) == 4, (trial, survivor_done)  # nothing of its lost
            assert counts["docs"] <= expected + 9, counts

            again = _ingest(homes[0], *mine)
            _, err = again.communicate(timeout=600)
            assert again.returncode == 0, err[-3000:]
            expected += 9
            assert _check(store, tmp_path) == {"ready": expected, "docs": expected}
    print(f"{TRIALS} trials in {time.monotonic() - started:.0f} s; half-written documents "
          f"left by each kill: {left_behind}")
    # the kills landed while documents were being written, not only between them
    assert sum(n > 0 for n in left_behind) >= TRIALS // 2, left_behind
