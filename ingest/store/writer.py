"""Every change to a document that touches both stores, and the recovery of changes an
interrupted run left half-done.

The SQLite catalog (chunk texts and keyword index, in one transaction) and Chroma (the
vectors) cannot share a transaction, so a document is written as a *generation*:

* ``begin`` marks the next generation as pending; its chunk ids carry the generation, so
  its vectors never collide with the current ones;
* ``add_vectors`` puts the pending generation's vectors in Chroma, batch by batch; the
  catalog does not point at them yet, so searches do not see them;
* ``commit`` swaps the chunks, keyword rows and status in one catalog transaction -- the
  moment the document becomes searchable, with all of its chunks already in Chroma --
  then deletes the previous generation's vectors;
* ``abandon`` undoes a pending generation that will not be committed (cancel, failure).

Removing a document marks it ``removing`` before either store is touched, and deleting a
knowledge base marks it ``deleting``, so that after a crash (even ``kill -9``) ``recover``
can finish the job at the next start:

* a document with a pending generation was being (re)indexed: vectors of any generation
  but the current one are deleted and the pending mark is cleared;
* a document marked ``removing`` is removed from both stores;
* a knowledge base marked ``deleting`` is dropped.

* a committed document whose previous generation's vectors were not deleted yet (the
  mark stays until they are) loses them; a failed document loses all of its vectors.

A document still marked when a new generation of it begins (a write that failed and
could not be undone then) is settled the same way first, so that no vectors outlive
their mark.  On a shared library other clients write at the same time; the server
catalog keeps them apart (``ingest.store.pg_catalog``): ``begin`` raises
:class:`~ingest.store.errors.DocumentBusy` for a document another client is writing,
recovery settles only the marks of clients that are gone, and a client whose mark was
settled while its connection was down deletes the vectors of its lost generation.

Importing a whole knowledge base (``ingest.archive``) is all or nothing at the level of
the knowledge base instead: ``begin_import`` makes it hidden (status ``importing``, a
name no user can type, holding the importing process's id), ``import_chunks`` fills both
stores batch by batch (vectors first, as for a document), and ``publish_import`` gives
it its name and makes it visible in one catalog transaction.  ``abandon_import`` drops a
failed one at once; ``recover`` drops one whose process is gone (killed, power cut).

Every ready document then has all of its chunks in both stores, and nothing else is in
either.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ingest.store.catalog import (IMPORTING_PREFIX, Catalog, ChunkRow, DocumentRow,
                                  KnowledgeBase)
from ingest.store.chunk_ids import chunk_id
from ingest.store.errors import LeftBehind, ServerLost
from ingest.store.vectors import VectorStore

if TYPE_CHECKING:  # the stores do not need the loaders at run time
    from ingest.prepare import Prepared
    from ingest.splitter import Chunk

log = logging.getLogger(__name__)


class StoreWriter:
    """The one place that changes a document in both stores."""

    def __init__(self, catalog: Catalog, vectors: VectorStore):
        self.catalog = catalog
        self.vectors = vectors

    # --- a new generation of a document ---------------------------------------------

    def begin(self, kb: KnowledgeBase, prepared: Prepared) -> DocumentRow:
        """The document's row with its pending generation (the row is made if new).  A
        half-done earlier write of it is settled first; ``DocumentBusy`` passes on."""
        for _ in range(3):  # settled, then begun (unless another write came between)
            try:
                return self.catalog.begin_document(kb.id, prepared.path,
                                                   prepared.content_hash or "",
                                                   prepared.size or 0, prepared.mtime or 0.0)
            except LeftBehind as left:
                self._settle_marked(kb, left.doc)
        raise RuntimeError(f"{prepared.path} stays half-written")

    def add_vectors(self, kb: KnowledgeBase, chunks: Sequence[tuple[DocumentRow, Chunk]],
                    vectors: np.ndarray) -> None:
        """Vectors of chunks of begun documents, as their pending generation."""
        ids = [chunk_id(doc.id, doc.pending_gen, c.index) for doc, c in chunks]
        metas = [{"doc_id": doc.id, "gen": doc.pending_gen, "idx": c.index,
                  **({"page": c.page} if c.page is not None else {})}
                 for doc, c in chunks]
        self.vectors.add(kb.collection, ids, np.asarray(vectors), metas)

    def commit(self, kb: KnowledgeBase, doc: DocumentRow, prepared: Prepared, *,
               reason: str | None, embedder: str) -> None:
        """Make the pending generation current; every vector of it must be added."""
        rows = [ChunkRow(id=chunk_id(doc.id, doc.pending_gen, c.index), doc_id=doc.id,
                         kb_id=kb.id, index=c.index, page=c.page, heading=c.heading,
                         start=c.start, end=c.end, text=c.text, page_label=c.page_label,
                         ocr=c.ocr)
                for c in prepared.chunks]
        self.catalog.commit_document(doc, kb, title=prepared.title, kind=prepared.kind or "",
                                     content_hash=prepared.content_hash or "",
                                     size=prepared.size or 0, mtime=prepared.mtime or 0.0,
                                     pages=prepared.pages, empty_pages=prepared.empty_pages,
                                     reason=reason, embedder=embedder, chunks=rows,
                                     tokens=prepared.tokens, ocr_pages=prepared.ocr_pages)
        if doc.gen:  # the previous generation's vectors are no longer current
            self.vectors.delete_document(kb.collection, doc.id, keep_gen=doc.pending_gen)
            self.catalog.abandon_pending(doc)  # clears the mark commit_document left

    def abandon(self, kb: KnowledgeBase, docs: Sequence[DocumentRow]) -> list[DocumentRow]:
        """Undo the pending generations of ``docs`` (as ``begin`` returned them) not yet
        committed, in both stores; returns those documents.  Never raises: what it
        cannot undo now, ``recover`` (or the next ``begin`` of the document) undoes."""
        abandoned, lost = [], False
        for doc in docs:
            if lost:  # the server is away: the next start (or begin) settles the rest
                abandoned.append(doc)
                continue
            try:
                row = self.catalog.document_by_id(doc.id)
                committed = row is not None and row.gen == doc.pending_gen
                if row is not None and row.pending_gen == doc.pending_gen \
                        and row.owner == doc.owner:
                    self._settle_marked(kb, row)  # ours still: undo (or finish) it
                elif not committed:
                    # settled by another client meanwhile (our lease had lapsed), or the
                    # document removed: the vectors of our generation are all that is ours
                    self.vectors.delete_generation(kb.collection, doc.id, doc.pending_gen)
            except Exception as exc:
                log.warning("cleanup after an interrupted document failed (%s); it will be "
                            "reconciled at the next start", exc, exc_info=True)
                row, committed, lost = None, False, isinstance(exc, ServerLost)
            if not committed:
                abandoned.append(row or doc)
        return abandoned

    # --- other changes --------------------------------------------------------------

    def record_failure(self, kb: KnowledgeBase, prepared: Prepared,
                       previous: DocumentRow | None) -> None:
        """A file that cannot be indexed keeps its row with the reason, and no chunks."""
        self.catalog.record_failure(kb, prepared.path, code=prepared.code or "error",
                                    reason=prepared.reason or "", kind=prepared.kind,
                                    content_hash=prepared.content_hash, size=prepared.size,
                                    mtime=prepared.mtime)
        if previous is not None and previous.gen:
            self.vectors.delete_document(kb.collection, previous.id)
            self.catalog.abandon_pending(previous)  # clears the mark record_failure left

    def remove_document(self, kb: KnowledgeBase, doc: DocumentRow) -> None:
        self.catalog.mark_removing(doc)
        self.vectors.delete_document(kb.collection, doc.id)
        self.catalog.delete_document(doc, kb)

    def delete_kb(self, kb: KnowledgeBase) -> None:
        self.catalog.mark_kb_deleting(kb)
        self._drop_kb(kb)

    def _drop_kb(self, kb: KnowledgeBase) -> None:
        self.vectors.drop(kb.collection)
        self.catalog.drop_kb_rows(kb)

    # --- a whole imported knowledge base --------------------------------------------

    def begin_import(self, embedder: str | None) -> KnowledgeBase:
        """A hidden, empty knowledge base to import into (see the module docstring)."""
        kb = self.catalog.create_importing_kb(embedder)
        self.vectors.collection(kb.collection)
        return kb

    def import_chunks(self, kb: KnowledgeBase, chunks: Sequence[ChunkRow],
                      tokens: Sequence[str], vectors: np.ndarray, gen: int) -> None:
        """Chunks of imported documents (rows made by ``catalog.add_imported_document``)
        with their keyword tokens and vectors; ``gen`` is the generation their ids carry."""
        metas = [{"doc_id": c.doc_id, "gen": gen, "idx": c.index,
                  **({"page": c.page} if c.page is not None else {})} for c in chunks]
        self.vectors.add(kb.collection, [c.id for c in chunks], np.asarray(vectors), metas)
        self.catalog.add_imported_chunks(kb, chunks, tokens)

    def publish_import(self, kb: KnowledgeBase, name: str) -> bool:
        """Make the imported knowledge base visible as ``name`` (False: name taken, or
        the import was dropped meanwhile)."""
        return self.catalog.publish_kb(kb, name)

    def abandon_import(self, kb: KnowledgeBase) -> bool:
        """Drop an import that will not be published; False if that failed now (a full
        disk, say), and it is left to the next start.  Never raises."""
        try:
            self.catalog.mark_kb_deleting(kb)
            self._drop_kb(kb)
            return True
        except Exception:
            log.exception("dropping an interrupted import failed; it will be dropped at the "
                          "next start")
            return False

    # --- the next start -------------------------------------------------------------

    def recover(self) -> None:
        """Finish or undo what an interrupted run left."""
        fixed = 0
        importer_alive = getattr(self.catalog, "importer_alive", _importer_alive)
        for kb in self.catalog.kbs(include_deleting=True):
            if kb.status == "deleting" or (kb.status == "importing"
                                           and not importer_alive(kb.name)):
                self._drop_kb(kb)
                fixed += 1
        for doc in self.catalog.dirty_documents():
            kb = self.catalog.kb_by_id(doc.kb_id)
            if kb is None:
                continue
            fixed += self._settle_marked(kb, doc)
        if fixed:
            log.warning("reconciled %d item(s) left by an interrupted run", fixed)

    def _settle_marked(self, kb: KnowledgeBase, doc: DocumentRow) -> bool:
        """Settle the document if it is still half-done when looked at again, with other
        clients kept off it meanwhile (``catalog.settling``); whether it was."""
        with self.catalog.settling(doc) as row:
            if row is None:
                return False
            self._settle(kb, row)
            return True

    def _settle(self, kb: KnowledgeBase, doc: DocumentRow) -> None:
        """Finish or undo what a marked document was in the middle of: only the vectors
        of its current generation stay (none if it failed or is being removed)."""
        if doc.status == "removing":
            self.vectors.delete_document(kb.collection, doc.id)
            self.catalog.delete_document(doc, kb)
        elif doc.status == "failed":  # no chunks: none of its vectors is current
            self.vectors.delete_document(kb.collection, doc.id)
            self.catalog.abandon_pending(doc)
        else:
            self.vectors.delete_document(kb.collection, doc.id, keep_gen=doc.gen)
            self.catalog.abandon_pending(doc)


def _importer_alive(name: str) -> bool:
    """Whether the process importing under this hidden name still runs (then its import
    is under way, not interrupted).  No process id in the name counts as gone."""
    try:
        pid = int(name[len(IMPORTING_PREFIX):].split("-", 1)[0])
    except ValueError:
        return False
    return process_alive(pid)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs.  This very process counts (its import is
    under way in another thread); on systems other than POSIX, where probing a process
    could end it, every other process counts as gone."""
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: leave it be, it may be one
        return True
    except OSError:
        return False
    return True
