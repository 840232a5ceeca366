"""The Chroma server's recipe for Docker users cannot drift from the one the tests run:
compose.yaml sets exactly ``server_environment``'s settings, and its image pins the
lock's versions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from app.chroma_server import server_environment
from tests.conftest import REPO, locked_version


def test_compose_sets_what_the_tested_server_gets():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    env = compose["services"]["chroma"]["environment"]
    assert env == server_environment(Path("/auth"), Path("/data"))
    assert "./wenji-server/chroma:/auth:ro" in compose["services"]["chroma"]["volumes"]


def test_the_image_pins_the_locked_versions():
    text = (REPO / "server" / "chroma.Dockerfile").read_text()
    pins = dict(re.findall(r'"([a-z0-9-]+)==([^"]+)"', text))
    assert pins and all(locked_version(name) == version for name, version in pins.items())
