"""Screenshots of the real window for the README: run under Xvfb.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/screenshots.py [--out docs]

Ingests a few real documents from ../shared/data into a temporary data folder, opens the
window, waits until it is ready, and saves PNGs of its states.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=REPO / "docs")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from app.context import Context
    from app.gui.main_window import MainWindow
    from app.home import Home
    from app.settings import Settings

    home = Home.open(tempfile.mkdtemp(prefix="wenji-shots-"))
    app = QApplication(sys.argv[:1])
    window = MainWindow(Context(home=home, settings=Settings()))
    window.resize(1200, 760)
    window.show()

    def wait(predicate, seconds):
        end = time.time() + seconds
        while time.time() < end and not predicate():
            app.processEvents()
            time.sleep(0.05)

    wait(lambda: window.statusBar().currentMessage() == "Ready", 120)
    docs = [DATA / "sec10q/docs/2023 Q3 AAPL.pdf", DATA / "pdfs/pymupdf_tests/test_3863.pdf",
            DATA / "fastapi_docs_md/en/docs/tutorial/first-steps.md",
            DATA / "fastapi_docs_md/zh/docs/tutorial/first-steps.md"]
    window.ingest([str(p) for p in docs])
    wait(lambda: window.last_report is not None, 600)
    for i in range(window.library_tree.columnCount()):
        window.library_tree.resizeColumnToContents(i)
    wait(lambda: False, 0.5)
    window.grab().save(str(args.out / "screenshot-library.png"))
    window.chat.question.setPlainText("What were Apple's total net sales in the quarter?")
    window.chat.send()
    wait(lambda: window.chat.last_done is not None and not window.chat.busy, 600)
    wait(lambda: False, 0.5)
    path = args.out / "screenshot.png"
    window.grab().save(str(path))
    print(path)


if __name__ == "__main__":
    main()
