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
    window.show()
    return app.exec()
