"""kill -9 during ingest, at random moments: the stores stay consistent and a new run
completes the rest."""

import os
import random
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from tests.conftest import MD_DIR, REPO, SEC_DIR, require
from tests.ingest.helpers import check_store_in_fresh_process

TRIALS = 10


@pytest.mark.slow
def test_kill_9_at_random_moments(tmp_path, wenji_home):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ["2022 Q3 AAPL.pdf", "2023 Q3 AAPL.pdf"]:  # named to come last
        shutil.copy(require(SEC_DIR / name), folder / f"zz {name}")
    notes = (sorted(require(MD_DIR / "en/docs/tutorial").glob("*.md"))
             + sorted(require(MD_DIR / "en/docs").glob("*.md")))
    for i, md in enumerate(notes):  # enough documents for ten kills with work left
        shutil.copy(md, folder / f"{i:02d} {md.name}")
    total = len(notes) + 2
    cmd = [sys.executable, "-m", "app", "--home", str(wenji_home), "ingest", str(folder),
           "--kb", "crash"]
    rng = random.Random(20261123)
    progress = []
    completed_early = 0
    for trial in range(TRIALS):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        # Start-up and speed vary with the machine's load, so the kill is placed by the
        # run's own progress: after a random number of files reported (the documents
        # still to do this trial), plus a random fraction of a second -- mid-file, mid-batch
        # or mid-commit.
        reached = threading.Event()
        target = 1

        def watch(stream=proc.stderr, target=target, reached=reached):
            seen = 0
            for line in stream:
                if line.startswith("[") and "] added:" in line:
                    seen += 1
                    if seen >= target:
                        reached.set()
            reached.set()  # the run ended
        threading.Thread(target=watch, daemon=True).start()
        reached.wait(timeout=300)
        try:
            proc.wait(timeout=rng.uniform(0.0, 1.0))
            completed_early += 1
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        counts = check_store_in_fresh_process(wenji_home / "store")
        progress.append(counts.get("crash", {}).get("ready", 0))
        if completed_early:
            break
    print("ready documents after each kill:", progress)
    # the kills landed at different moments with work left (otherwise it proved nothing)
    assert completed_early == 0, f"the run finished before the 10th kill: {progress}"
    assert progress[0] < total and len(set(progress)) >= 3, progress
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    final = check_store_in_fresh_process(wenji_home / "store")
    assert final["crash"]["ready"] == final["crash"]["docs"] == total, (final, progress)
    assert final["crash"]["chunks"] > 300
