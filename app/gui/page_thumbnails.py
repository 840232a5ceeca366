"""Small pictures of PDF pages for the source cards, rendered off the GUI thread.

Why QtPdf and not pypdfium2 (which reads the PDFs for the index): PDFium is not
thread-safe -- two threads calling it at once, even on different documents, can crash
the process -- and the ingest calls pypdfium2 on its worker threads while the window
shows answers.  QtPdf carries its own copy of PDFium (its symbols are not exported, so
it shares no state with pypdfium2's) and serialises every call to it with one mutex, the
one the document viewer's QtPdf calls go through as well.  A page renders in about
10 ms, so the one worker thread here is never a queue worth speaking of.

Each picture is cached by (path, page, width in device pixels), in a small LRU shared by
every panel.  A request belongs to a batch (one answer's sources); starting a new batch
drops the queued renders of the old one and its late results are cached but not shown.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from functools import partial

from PySide6.QtCore import QObject, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPdf import QPdfDocument

log = logging.getLogger(__name__)

CACHE_SIZE = 64  # pictures; one of 144 x 186 device pixels is ~100 KB

ThumbKey = tuple[str, int, int]  # path, page (1-based), width in device pixels


def render_page(path: str, page: int, width: int) -> QImage | None:
    """Page ``page`` (1-based) of the PDF at ``path``, ``width`` pixels wide, on white;
    None when the file is missing or unreadable or has no such page.  Safe on any thread
    (see the module's docstring)."""
    doc = QPdfDocument()
    try:
        if doc.load(path) != QPdfDocument.Error.None_:
            return None
        index = page - 1
        if not 0 <= index < doc.pageCount():
            return None
        size = doc.pagePointSize(index)
        if size.width() <= 0 or size.height() <= 0:
            return None
        height = max(1, round(width * size.height() / size.width()))
        rendered = doc.render(index, QSize(width, height))
        if rendered.isNull():
            return None
        image = QImage(rendered.size(), QImage.Format_RGB32)  # pages without a ground
        image.fill(Qt.white)                                   # are transparent
        painter = QPainter(image)
        painter.drawImage(0, 0, rendered)
        painter.end()
        return image
    except Exception:  # a picture is never worth an error
        log.exception("cannot render page %s of %s", page, path)
        return None
    finally:
        doc.close()


class ThumbnailCache:
    """The last ``capacity`` pictures, least recently used dropped first (GUI thread)."""

    def __init__(self, capacity: int = CACHE_SIZE):
        self.capacity = capacity
        self._images: OrderedDict[ThumbKey, QImage] = OrderedDict()

    def get(self, key: ThumbKey) -> QImage | None:
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
        return image

    def put(self, key: ThumbKey, image: QImage) -> None:
        self._images[key] = image
        self._images.move_to_end(key)
        while len(self._images) > self.capacity:
            self._images.popitem(last=False)

    def __len__(self) -> int:
        return len(self._images)


SHARED_CACHE = ThumbnailCache()


class _Batch:
    """One answer's requests; ``cancelled`` once another answer is shown."""

    cancelled = False


class _Relay(QObject):
    """Carries a result from the worker thread to the loader's thread (queued)."""

    rendered = Signal(object, object, object)  # batch, key, QImage or None


def _render_job(relay: _Relay, batch: _Batch, key: ThumbKey) -> None:
    if batch.cancelled:
        return
    path, page, width = key
    relay.rendered.emit(batch, key, render_page(path, page, width))


class ThumbnailLoader(QObject):
    """Renders page pictures on a worker thread; ``ready(key, image or None)`` arrives on
    the GUI thread for the current batch's requests only."""

    ready = Signal(object, object)

    def __init__(self, parent: QObject | None = None, cache: ThumbnailCache | None = None):
        super().__init__(parent)
        self.cache = SHARED_CACHE if cache is None else cache
        self._pool = QThreadPool(self)  # its destructor waits for a render under way
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay()
        self._relay.rendered.connect(self._rendered)
        self._batch = _Batch()
        self._pending: set[ThumbKey] = set()

    def new_batch(self) -> None:
        """Forget the requests so far: their queued renders are dropped, their results
        not delivered."""
        self._batch.cancelled = True
        self._batch = _Batch()
        self._pool.clear()
        self._pending.clear()

    def request(self, key: ThumbKey) -> QImage | None:
        """The cached picture now, or None and ``ready`` later."""
        image = self.cache.get(key)
        if image is None and key not in self._pending:
            self._pending.add(key)
            self._pool.start(partial(_render_job, self._relay, self._batch, key))
        return image

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @Slot(object, object, object)
    def _rendered(self, batch: _Batch, key: ThumbKey, image: QImage | None) -> None:
        if image is not None:
            self.cache.put(key, image)  # an earlier answer's picture may be asked again
        if batch is not self._batch:
            return
        self._pending.discard(key)
        self.ready.emit(key, image)
