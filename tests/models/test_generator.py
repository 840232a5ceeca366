"""The local model manager and the remote backend are one kind of generator to the
answer layer."""

from __future__ import annotations

from models.generator import GenerationStats, Generator
from models.model_manager import ModelManager
from models.remote import RemoteBackend


def test_local_and_remote_backends_are_generators():
    local, remote = ModelManager(), RemoteBackend("http://127.0.0.1:9")
    assert isinstance(local, Generator) and isinstance(remote, Generator)
    # before any generation both report empty figures
    assert local.last_stats == remote.last_stats == GenerationStats()
    # nothing loaded: no template; a server formats chat messages with its own
    assert local.has_chat_template is False and remote.has_chat_template is True
