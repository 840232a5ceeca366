"""A knowledge base as one portable file: export it, import it into another library.

    report = export_kb(library, "filings", "filings.wenjikb", with_files=True)
    report = import_kb(other_library, "filings.wenjikb", embedder=embedder)

The archive holds everything the knowledge base is made of -- document rows, chunk
texts, the keyword index and the vectors (and, if asked, the source files) -- so an
import needs no parsing and no embedding when both libraries use the same embedder.
Layout and manifest: :mod:`ingest.archive.layout`.

Why a zip and not a tar: a zip's table of contents is at its end and names every
member's offset, so the manifest (and with it the format version) is read first without
reading the rest, and the chunks, their keyword rows and their vectors are read side by
side, a batch at a time, from one file; a truncated zip is recognised at once (its table
of contents is gone).  A tar must be read in order, and writing one needs each member's
size before its bytes, which a streamed member does not have.  Zip's CRC-32 catches
damage; the manifest's SHA-256 per member catches changes.  The vectors (floats) and
the files (PDFs: compressed already) are stored as they are, the JSON lines deflated.

Progress: ``progress(done, total, what)`` counts steps of the whole run -- one per
document row, per passage for each pass over the passages (texts, keyword rows and
vectors on export; checking and writing on import, plus embedding when re-embedding),
one per source file for each pass over the files -- so ``done`` never decreases and
ends equal to ``total``; ``what`` says what is happening, for a label ("vectors",
"checking the archive", "files: 2023 Q1 AAPL.pdf", ...).  It is called from the thread
doing the work, about once per thousand passages and once per file; an exception it
raises is logged and ignored.  ``cancel`` (a ``threading.Event``) is checked at each
step: the run stops with :class:`ArchiveCancelled` and leaves nothing behind.

Errors are :class:`ArchiveError` (a :class:`~ingest.store.library.LibraryError`) with
a message naming the file; :class:`ArchiveNameTaken` and
:class:`ArchiveEmbedderMismatch` let a face offer another name or re-embedding.
"""

from ingest.archive.errors import (ArchiveCancelled, ArchiveEmbedderMismatch, ArchiveError,
                                   ArchiveNameTaken)
from ingest.archive.export import ExportReport, export_kb
from ingest.archive.importer import ImportReport, import_kb
from ingest.archive.layout import ARCHIVE_SUFFIX, FORMAT_VERSION, Manifest
from ingest.archive.progress import ArchiveProgress
from ingest.archive.reader import ArchiveReader


def read_manifest(file) -> Manifest:
    """What an archive holds (name, embedder, counts, format), read without importing
    it; raises :class:`ArchiveError` for a file that is not a readable archive."""
    with ArchiveReader.open(file) as reader:
        return reader.manifest


__all__ = ["ARCHIVE_SUFFIX", "FORMAT_VERSION", "ArchiveCancelled", "ArchiveEmbedderMismatch",
           "ArchiveError", "ArchiveNameTaken", "ArchiveProgress", "ExportReport",
           "ImportReport", "Manifest", "export_kb", "import_kb", "read_manifest"]
