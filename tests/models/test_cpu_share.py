"""An answer being written gets the cores: a real ingest (real PDFs, embedder, Chroma)
started meanwhile embeds nothing until the answer ends, and cancel still works."""

from __future__ import annotations

import threading
import time

from models import cpu_share
from tests.conftest import SEC_DIR, require


def test_the_ingest_waits_while_an_answer_is_written(tmp_path, embedder):
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library

    pdf = require(SEC_DIR / "2023 Q1 NVDA.pdf")
    library = Library(tmp_path / "store")
    seen: list[int] = []
    result = {}

    def run():
        result["report"] = Ingestor(library, embedder).run(
            [pdf], kb_name="default", on_progress=lambda p: seen.append(p.chunks_done))

    with cpu_share.foreground():
        assert cpu_share.answering()
        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(4.0)  # parsing one filing takes about a second; embedding must wait
        assert max(seen, default=0) == 0, "nothing is embedded while an answer is written"
        assert worker.is_alive()
    assert not cpu_share.answering()
    worker.join(300)
    assert result["report"].count("added") == 1 and max(seen) > 0
    library.close()


def test_a_waiting_ingest_still_cancels_and_a_lost_answer_does_not_block_it():
    cancel = threading.Event()
    with cpu_share.foreground():
        t = time.monotonic()
        threading.Timer(0.3, cancel.set).start()
        cpu_share.wait_while_answering(cancel)
        assert time.monotonic() - t < 1.0
        t = time.monotonic()
        cpu_share.wait_while_answering(None, max_wait=0.5)  # an answer never closed
        assert 0.4 < time.monotonic() - t < 1.5
    cpu_share.enabled = False
    try:
        with cpu_share.foreground():
            assert not cpu_share.answering()
    finally:
        cpu_share.enabled = True
