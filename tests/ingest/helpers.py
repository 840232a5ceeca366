"""Checks shared by the ingest tests."""

from ingest.store.library import Library


def assert_consistent(library: Library) -> None:
    """Chroma ids = keyword-index rows = chunks of ready documents; nothing else."""
    db = library.catalog.db
    for kb in library.kbs():
        chroma = library.vectors.ids(kb.collection)
        ready = library.catalog.chunk_ids(kb.id, ready_only=True)
        every = library.catalog.chunk_ids(kb.id, ready_only=False)
        assert chroma == ready, (f"{kb.name}: {len(chroma - ready)} vectors not ready, "
                                 f"{len(ready - chroma)} ready chunks without vectors")
        assert every == ready, f"{kb.name}: chunk rows of documents that are not ready"
        rowids = {r[0] for r in db.execute("SELECT rowid FROM chunks WHERE kb_id = ?", (kb.id,))}
        assert library.catalog.keyword_rowids(kb) == rowids
        assert library.vectors.count(kb.collection) == len(chroma)  # no duplicate ids
        for doc in library.documents(kb):
            if doc.status == "ready":
                n = db.execute("SELECT COUNT(*) FROM chunks WHERE doc_id = ?", (doc.id,)).fetchone()[0]
                assert n == doc.chunks > 0, doc.path
            assert doc.pending_gen is None, doc.path


def check_store_in_fresh_process(store_dir) -> dict:
    """Open the library in a new process (as the next start of the app would), let it
    reconcile, check consistency there and return counts."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, sys\n"
        "from ingest.store.library import Library\n"
        "from tests.ingest.helpers import assert_consistent\n"
        f"lib = Library({str(store_dir)!r})\n"
        "assert_consistent(lib)\n"
        "out = {}\n"
        "for kb in lib.kbs():\n"
        "    docs = lib.documents(kb)\n"
        "    out[kb.name] = {'ready': sum(d.status == 'ready' for d in docs), 'docs': len(docs),\n"
        "                    'chunks': len(lib.catalog.chunk_ids(kb.id))}\n"
        "print(json.dumps(out))\n")
    repo = Path(__file__).resolve().parents[2]
    res = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-4000:]
    return json.loads(res.stdout.strip().splitlines()[-1])
