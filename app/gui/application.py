"""Start the Qt application: paint the window first, load the heavy parts after."""

from __future__ import annotations

import sys

from app.context import Context


def run(ctx: Context) -> int:
    import os

    if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        print("wenji: no display found (DISPLAY/WAYLAND_DISPLAY unset): start it from a desktop "
              "session, or use the command line: wenji --help", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Wenji")
    app.setApplicationDisplayName("Wenji 文集")
    window = MainWindow(ctx)
    if os.environ.get(FIRST_PAINT_ENV):
        _record_start_up(window, os.environ[FIRST_PAINT_ENV])
    window.show()
    return app.exec()


FIRST_PAINT_ENV = "WENJI_FIRST_PAINT_FILE"


def _record_start_up(window, path: str) -> None:
    """Start-up probe for ``bench/ui.py``: only when ``WENJI_FIRST_PAINT_FILE`` is set.

    Appends JSON lines to ``path``: the ``time.monotonic()`` of the window's first paint
    event (and of the end of that first frame) with the top-level modules imported by then (to prove torch, Chroma and
    llama.cpp load after the paint), and of each status bar message until the library and
    models are loaded (``window.started``: the "Ready" message)."""
    import json
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer

    def write(record: dict) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                t = time.monotonic()
                window.removeEventFilter(self)
                modules = sorted({m.split(".")[0] for m in list(sys.modules)})
                # "done": back in the event loop, the whole first frame painted and flushed
                QTimer.singleShot(0, lambda: write({"event": "paint", "t": t,
                                                    "done": time.monotonic(),
                                                    "modules": modules}))
            return False

    def on_status(message: str) -> None:
        ready = bool(getattr(window, "started", False))
        write({"event": "status", "t": time.monotonic(), "message": message, "ready": ready})
        if ready or message.startswith("Start-up problem"):
            window.statusBar().messageChanged.disconnect(on_status)

    window._first_paint_probe = FirstPaint(window)
    window.installEventFilter(window._first_paint_probe)
    window.statusBar().messageChanged.connect(on_status)
