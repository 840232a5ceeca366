"""The core objects the window uses, created lazily and shared.

torch, Chroma and llama.cpp take seconds to import and load, so nothing is built until
first needed (:meth:`Services.warm_up` builds them on a worker thread after the window
has painted).  Every object reads ``ctx.settings`` when it is made or used, so saved
settings apply to the next question or the next files added without restarting.
"""

from __future__ import annotations

import threading
from typing import Callable

from app.context import Context


class Services:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._lock = threading.RLock()  # watcher() opens the library inside it
        self._library = None
        self._embedder = None
        self._models = None
        self._chats = None

    def library(self):
        with self._lock:
            if self._library is None:
                from app.services import open_library

                self._library = open_library(self.ctx)
            return self._library

    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from app.services import make_embedder

                self._embedder = make_embedder(self.ctx)
            return self._embedder

    def ingestor(self):
        from app.services import make_ingestor

        return make_ingestor(self.ctx, self.library(), self.embedder())

    def registry(self):
        from app.services import make_registry

        return make_registry(self.ctx)

    def models(self):
        """The one ModelManager; switching models goes through it (failures keep the
        previous model loaded)."""
        with self._lock:
            if self._models is None:
                from models.model_manager import ModelManager

                self._models = ModelManager(self.registry(), threads=self.ctx.settings.models.threads)
            return self._models

    def default_model(self) -> str:
        from models import bundled

        return self.ctx.settings.models.chat_model or str(
            bundled.ensure_chat_model(self.ctx.home.models_dir))

    def answer_engine(self, kb_name: str | None):
        from answer.engine import AnswerEngine
        from retrieval.retriever import Retriever

        manager = self.models()
        if manager.loaded is None:
            raise RuntimeError("no chat model is loaded yet (see the status bar)")
        retriever = Retriever(self.library(), self.embedder(), self.ctx.settings.retrieval)
        return AnswerEngine.for_loaded_model(retriever, manager, kb_name=kb_name,
                                             top_k=self.ctx.settings.retrieval.top_k,
                                             summary_cache=self.summaries())

    def summaries(self):
        """Section summaries kept for the next question on the same document."""
        from answer.summaries import SummaryCache

        with self._lock:
            if getattr(self, "_summaries", None) is None:
                self._summaries = SummaryCache(self.ctx.home.summaries_path)
            return self._summaries

    def watcher(self, **callbacks):
        """The folder watcher of the library's watched folders (made once; started by the
        window after the library is open).  ``callbacks``: those of
        :class:`ingest.watcher.FolderWatcher`, called on its thread."""
        from ingest.watcher import FolderWatcher

        with self._lock:
            if getattr(self, "_watcher", None) is None:
                s = self.ctx.settings.ingest
                self._watcher = FolderWatcher(self.library(), self.ingestor,
                                              quiet=s.watch_quiet_s, poll_seconds=s.watch_poll_s,
                                              **callbacks)
            return self._watcher

    def chats(self):
        with self._lock:
            if self._chats is None:
                from answer.chats import ChatStore

                self._chats = ChatStore(self.ctx.home.chats_path)
            return self._chats

    def warm_up(self, on_stage: Callable[[str], None]) -> None:
        """Open and load what the first question needs: the library, the chat store, the
        embedder and the default chat model.  Slow (seconds to a minute): call it off the
        GUI thread.  ``on_stage`` hears each step as it starts: "library", "embedder" (or
        "embedder-export" when it is first made for this computer) and "chat-model"."""
        on_stage("library")
        self.library()
        self.chats()  # the SQLite schema check, off the GUI thread
        embedder = self.embedder()
        on_stage("embedder" if embedder.prepared else "embedder-export")
        embedder.load()
        on_stage("chat-model")
        self.models().load(self.default_model())
        self.registry().list()  # GGUF headers read here, not in the window's slot
        import answer.engine  # noqa: F401  (imported here, not by the first answer's slot)
