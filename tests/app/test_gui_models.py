"""The "Get models…" dialog with a real window (offscreen) and a real HTTP server on
127.0.0.1 answering as the Hugging Face hub does: the list with its fit markers, a
download paused and resumed with its progress, cancel, a server error's text, and the
downloaded model switched to."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.gui import theme
from app.settings import Settings
from tests.app.test_gui_shell import loaded_name, make_window
from tests.hub_server import FakeHub

REPO = "wenji-test/tiny-GGUF"


def catalog_entry(name: str, file: str, size: int) -> str:
    return f'''
[[model]]
name = "{name}"
display = "{name} model"
repo = "{REPO}"
file = "{file}"
params_b = 0.27
quant = "Q4_K_M"
size_bytes = {size}
context = 32768
languages = ["zh", "en"]
licence = "Gemma"
reasoning = false
notes = "A catalog entry written for the test."
'''


@pytest.fixture
def hub_window(qtbot, wenji_home, bundled_gguf):
    size = bundled_gguf.stat().st_size
    (Path(wenji_home) / "catalog.toml").write_text(
        catalog_entry("tiny-download", "tiny-download.gguf", size)
        + catalog_entry("tiny-cancel", "tiny-cancel.gguf", size)
        + catalog_entry("gone", "gone.gguf", 1000), encoding="utf-8")
    with FakeHub() as hub:
        for file in ("tiny-download.gguf", "tiny-cancel.gguf"):
            hub.add_file(REPO, file, bundled_gguf)
        settings = Settings()
        settings.models.hub_endpoint = hub.endpoint
        window = make_window(qtbot, wenji_home, settings)
        yield window, hub
        window.close()


def row_of(dialog, name: str) -> int:
    from PySide6.QtCore import Qt

    return next(r for r in range(dialog.table.rowCount())
                if dialog.table.item(r, 0).data(Qt.UserRole) == name)


def test_the_catalog_lists_models_with_fit_and_downloads_one(hub_window, qtbot):
    window, hub = hub_window
    dialog = window.open_model_catalog()
    assert dialog.isVisible()
    assert dialog.table.rowCount() >= 13  # the shipped catalog and the test's entries
    qwen = row_of(dialog, "qwen2.5-7b-instruct-q4_k_m")
    assert dialog.table.item(qwen, 2).text().startswith("中文 · English")
    assert dialog.table.item(qwen, 3).text() in ("✓ fits", "tight", "✗ too big")
    assert "needs about" in dialog.table.item(qwen, 3).toolTip()
    assert "memory" in dialog.table.item(qwen, 3).toolTip()
    assert dialog.table.item(qwen, 4).text() in ("slow", "moderate", "fast", "very slow")
    assert dialog.selected_entry() is not None  # a recommendation is preselected

    # a server error is said in the dialog, in words
    dialog.select("gone")
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "Download failed" in dialog.status.text(), timeout=30_000)
    assert "has no file gone.gguf (404)" in dialog.status.text()
    assert theme.colors()["error"] in dialog.status.styleSheet()

    # download, pause half-way, resume: progress with rate, then the model is there
    hub.throttle(15_000_000)
    dialog.select("tiny-download")
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "/s" in dialog.status.text() and dialog.progress.value() > 100,
                    timeout=60_000)
    assert " of " in dialog.status.text() and dialog.pause_button.isEnabled()
    dialog.pause_button.click()
    qtbot.waitUntil(lambda: "Paused" in dialog.status.text(), timeout=30_000)
    assert dialog.table.item(row_of(dialog, "tiny-download"), 6).text().startswith("paused at")
    assert dialog.download_button.text() == "Resume"
    hub.throttle(None)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "downloaded and checked" in dialog.status.text(), timeout=120_000)
    assert hub.requests[-1][2] and hub.requests[-1][2].startswith("bytes=")
    assert (window.ctx.home.models_dir / "tiny-download.gguf").exists()
    assert dialog.table.item(row_of(dialog, "tiny-download"), 6).text() == "downloaded"
    paths = [window.model_picker.itemData(i) for i in range(window.model_picker.count())]
    assert str(window.ctx.home.models_dir / "tiny-download.gguf") in paths

    # cancel deletes what was downloaded
    hub.throttle(10_000_000)
    dialog.select("tiny-cancel")
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 50, timeout=60_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in dialog.status.text(), timeout=30_000)
    assert not list((window.ctx.home.models_dir / ".downloads").glob("tiny-cancel*.part"))
    assert not (window.ctx.home.models_dir / "tiny-cancel.gguf").exists()

    # "Use this model" loads it
    dialog.select("tiny-download")
    assert dialog.use_button.isEnabled()
    dialog.use_button.click()
    qtbot.waitUntil(lambda: loaded_name(window) == "tiny-download.gguf"
                    and not window.loading_model, timeout=120_000)
    assert not dialog.isVisible()


def test_closing_the_window_pauses_a_download(hub_window, qtbot):
    window, hub = hub_window
    hub.throttle(10_000_000)
    dialog = window.open_model_catalog()
    dialog.select("tiny-download")
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() > 50, timeout=60_000)
    window.close()
    qtbot.waitUntil(lambda: not window.background.running, timeout=30_000)
    from models.download import partial_downloads

    kept = partial_downloads(window.ctx.home.models_dir)
    assert kept.get("tiny-download.gguf", 0) > 0
    assert not (window.ctx.home.models_dir / "tiny-download.gguf").exists()
