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
    for md in sorted(require(MD_DIR / "en/docs/tutorial").glob("*.md"))[:30]:
        shutil.copy(md, folder / md.name)
    cmd = [sys.executable, "-m", "app", "--home", str(wenji_home), "ingest", str(folder),
           "--kb", "crash"]
    rng = random.Random(20261123)
    progress = []
    completed_early = 0
    for trial in range(TRIALS):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        # Start-up (imports, model load) takes seconds and varies with the machine's load;
        # the kill comes at a random moment after the run has reported its first file.
        started = threading.Event()

        def watch(stream=proc.stderr):
            for line in stream:
                if line.startswith("["):
                    started.set()
        threading.Thread(target=watch, daemon=True).start()
        started.wait(timeout=120)
        delay = rng.uniform(0.0, 8.0)
        try:
            proc.wait(timeout=delay)
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
    assert completed_early == 0 or len(progress) > 3, progress
    assert progress[0] < 32 and len(set(progress)) >= 3, progress
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    final = check_store_in_fresh_process(wenji_home / "store")
    assert final["crash"]["ready"] == final["crash"]["docs"] == 32, (final, progress)
    assert final["crash"]["chunks"] > 300
