"""Window tests: the embedder's one-time ONNX export (minutes on a loaded machine) is
made by the session fixture before the first window starts, so no window's start-up
timeout has to cover it."""

import pytest


@pytest.fixture(autouse=True)
def _embedder_prepared(request):
    if "qtbot" in request.fixturenames:
        request.getfixturevalue("embedder")
