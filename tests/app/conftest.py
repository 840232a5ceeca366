"""Window tests: the default embedder's one-time ONNX exports (minutes on a loaded machine)
are made by the session fixture before the first window starts, so no window's start-up
timeout has to cover them."""

import pytest


@pytest.fixture(autouse=True)
def _embedder_prepared(request):
    if "qtbot" in request.fixturenames:
        request.getfixturevalue("pair")
