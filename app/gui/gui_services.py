"""The core objects the window uses, created lazily and shared.

torch, Chroma and llama.cpp take seconds to import and load, so nothing is built until
first needed (the start-up loader asks for them on a worker thread).  Every object reads
``ctx.settings`` when it is made or used, so saved settings apply to the next question
or the next files added without restarting.
"""

from __future__ import annotations

import threading

from app.context import Context


class Services:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._lock = threading.Lock()
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
                from models.llm import ModelManager

                self._models = ModelManager(self.registry(), threads=self.ctx.settings.models.threads)
            return self._models

    def default_model(self) -> str:
        from models import bundled

        return self.ctx.settings.models.chat_model or str(
            bundled.ensure_chat_model(self.ctx.home.models_dir))

    def answer_engine(self, kb_name: str | None):
        from models.answer import AnswerEngine
        from retrieval.retriever import Retriever

        manager = self.models()
        if manager.loaded is None:
            raise RuntimeError("no chat model is loaded yet (see the status bar)")
        retriever = Retriever(self.library(), self.embedder(), self.ctx.settings.retrieval)
        return AnswerEngine(retriever, manager, kb_name=kb_name,
                            top_k=self.ctx.settings.retrieval.top_k)

    def chats(self):
        with self._lock:
            if self._chats is None:
                from models.chats import ChatStore

                self._chats = ChatStore(self.ctx.home.chats_path)
            return self._chats
