"""Start the Qt application: paint the window first, load the heavy parts after."""

from __future__ import annotations

import sys

from app.context import Context


def run(ctx: Context) -> int:
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Wenji")
    app.setApplicationDisplayName("Wenji 文集")
    window = MainWindow(ctx)
    window.show()
    return app.exec()
