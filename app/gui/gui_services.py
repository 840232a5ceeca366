"""The core objects the window uses, created lazily and shared.

torch, Chroma and llama.cpp take seconds to import and load, so nothing is built until
first needed (:meth:`Services.warm_up` builds them on a worker thread after the window
has painted).  Every object reads ``ctx.settings`` when it is made or used, so saved
settings apply to the next question or the next files added without restarting.

Two libraries may be open: this computer's (``LOCAL``) and, when the settings have a
``[shared]`` section, the team's on its servers (``SHARED``).  :meth:`Services.library`
is the one the window shows; :meth:`Services.open` connects to the other (slow: call it
off the GUI thread) and :meth:`Services.use` shows it.  Folders are watched in this
computer's library only: a watched folder is a path on this computer.

A password or token typed in the window's sign-in dialog is kept here, in memory, for
this session (:meth:`Services.use_typed_secrets`): never in settings.toml, never logged.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Callable

from app.context import Context

log = logging.getLogger(__name__)


LOCAL, SHARED = "local", "shared"  # this computer's library, the team's


class Services:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._lock = threading.RLock()  # watcher() opens the library inside it
        self._libraries: dict[str, object] = {}  # LOCAL / SHARED -> its open Library
        self._opening: dict[str, threading.Lock] = {}
        self.which = SHARED if ctx.shared else LOCAL  # the library the window shows
        # why the team library could not be opened at start-up (the window then shows
        # this computer's library and says why)
        self.start_error: Exception | None = None
        self._embedder = None
        self._models = None
        self._chats = None
        self._typed: tuple[str | None, str | None] = (None, None)  # (password, token)

    def library(self):
        """The library the window shows (opened on first use: slow, see :meth:`open`)."""
        return self.open(self.which)

    def open(self, which: str):
        """This computer's library (``LOCAL``) or the team's (``SHARED``), connecting on
        first use (seconds; the team's may raise the core's ``SharedLibraryError``:
        refused login or token, no server).  Kept open for switching back."""
        # one lock per library: a slow server holds up neither the other library nor
        # the other services, and one library is never opened twice at once
        with self._lock:
            opening = self._opening.setdefault(which, threading.Lock())
        with opening:
            with self._lock:
                library = self._libraries.get(which)
            if library is None:
                from app.services import open_library

                with self._lock:
                    typed = self._typed
                library = open_library(dataclasses.replace(self.ctx, shared=which == SHARED),
                                       typed)
                with self._lock:
                    self._libraries[which] = library
            return library

    def use_typed_secrets(self, password: str | None, token: str | None) -> None:
        """The team library's password and token as the person typed them (after the
        server refused the ones Wenji had): used from the next :meth:`open` on, before the
        environment's and the keyring's, for this session only.  A field left empty keeps
        the one typed before, if any."""
        with self._lock:
            self._typed = (password or self._typed[0], token or self._typed[1])

    def is_open(self, which: str) -> bool:
        with self._lock:
            return which in self._libraries

    def use(self, which: str) -> None:
        """Show the library ``which`` from now on (opened already by :meth:`open`)."""
        with self._lock:
            if which not in self._libraries:
                raise RuntimeError(f"the {which} library is not open yet")
            self.which = which

    def shared_configured(self) -> bool:
        from app.services import shared_configured

        return shared_configured(self.ctx)

    def embedder(self):
        with self._lock:
            if self._embedder is None:
                from app.services import make_embedder

                self._embedder = make_embedder(self.ctx)
            return self._embedder

    def ingestor(self):
        from app.services import make_ingestor

        return make_ingestor(self.ctx, self.library(), self.embedder())

    def _local_ingestor(self):
        from app.services import make_ingestor

        return make_ingestor(self.ctx, self.open(LOCAL), self.embedder())

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
        """The folder watcher of this computer's library's watched folders (made once;
        started by the window after the library is open).  ``callbacks``: those of
        :class:`ingest.watcher.FolderWatcher`, called on its thread."""
        from ingest.watcher import FolderWatcher

        local = self.open(LOCAL)  # before the lock: open() takes it after its own
        with self._lock:
            if getattr(self, "_watcher", None) is None:
                s = self.ctx.settings.ingest
                self._watcher = FolderWatcher(local, self._local_ingestor,
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
        GUI thread.  ``on_stage`` hears each step as it starts: "library" (or
        "shared-library": connecting to the team's), "embedder" (or
        "embedder-export" when it is first made for this computer) and "chat-model"."""
        on_stage("shared-library" if self.which == SHARED else "library")
        self.open_start_library()
        self.chats()  # the SQLite schema check, off the GUI thread
        embedder = self.embedder()
        on_stage("embedder" if embedder.prepared else "embedder-export")
        embedder.load()
        on_stage("chat-model")
        self.models().load(self.default_model())
        self.registry().list()  # GGUF headers read here, not in the window's slot
        self.open(LOCAL)  # the folder watcher's, when the window shows the team's
        import answer.engine  # noqa: F401  (imported here, not by the first answer's slot)

    def open_start_library(self):
        """The library the window starts on.  When the team's cannot be opened (a
        refused login or token, a server down, a database not prepared), this
        computer's is shown instead and :attr:`start_error` keeps why."""
        if self.which != SHARED:
            return self.library()
        try:
            return self.open(SHARED)
        except Exception as exc:
            log.warning("cannot open the team library; showing this computer's: %s", exc)
            self.start_error = exc
            with self._lock:
                self.which = LOCAL
            return self.library()
