"""Taking turns with the other clients of a shared library, and riding out its servers'
restarts: the pipeline's rules for both (``ingest.pipeline``).

* A file another client is writing right now (``DocumentBusy`` when it is begun) waits:
  the run goes on with its other files and comes back to it at the end, once that
  client is done.  The other client's version then counts if it is of the same content
  (the file is unchanged), else this run writes its own.  Waiting on the spot could
  deadlock two clients, each holding documents the other wants; at the end of its run a
  client holds none.
* A group of documents whose writing met a server that restarted, or stayed away longer
  than the stores' retries wait (``ServerLost``), is written once more.  Failing again,
  its files are reported failed, naming the server, and the run stops: the stores still
  agree, and the next run adds them.
"""

from __future__ import annotations

import threading
import time

from ingest.store.catalog import Catalog, DocumentRow
from models.reasons import Reason

WAIT_FOR_OTHERS = 600.0  # seconds a file waits for another client to finish it
ROUNDS = 5  # times a run comes back to files other clients were writing
POLL = 0.2  # seconds between looks at such a file


def wait_turn(catalog: Catalog, kb_id: int, path: str, cancel: threading.Event,
              timeout: float | None = None) -> bool:
    """Wait until no other live client writes ``path``; False if cancelled or still
    busy after ``timeout`` seconds (default :data:`WAIT_FOR_OTHERS`)."""
    deadline = time.monotonic() + (WAIT_FOR_OTHERS if timeout is None else timeout)
    while True:
        row = catalog.document(kb_id, path)
        if row is None or not catalog.written_by_another(row):
            return True
        if cancel.is_set() or time.monotonic() > deadline:
            return False
        cancel.wait(POLL)


def theirs_counts(row: DocumentRow | None, content_hash: str | None, embedder: str) -> bool:
    """Whether the document another client finished is this file's version: ready, of
    the same content and embedder, and not being written again."""
    return (row is not None and row.status == "ready" and row.pending_gen is None
            and bool(content_hash) and row.content_hash == content_hash
            and row.embedder == embedder)


def still_busy() -> Reason:
    return Reason("written_elsewhere", "another client was still writing it; ingest it "
                  "again later")


def lost_reason(server: str) -> Reason:
    return Reason("server_lost_file", "the server {server} restarted or could not be "
                  "reached while this file was written; it was not added (ingest it again)",
                  server=server)
