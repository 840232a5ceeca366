"""PySide6 6.12 on Python 3.11 drops a reference to None per void Qt call; the GUI
package's guard must keep a long session alive."""

import subprocess
import sys

from tests.conftest import REPO

LOOP = """
import sys
{guard}
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for _ in range(20_000):
    label.setObjectName("x")
    app.processEvents()
print("survived", flush=True)
"""


def run(guard: str):
    return subprocess.run([sys.executable, "-c", LOOP.format(guard=guard)], cwd=REPO,
                          capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})


def test_a_long_session_of_qt_calls_survives_with_the_gui_package_loaded():
    guarded = run("import app.gui")
    assert guarded.returncode == 0 and "survived" in guarded.stdout, guarded.stderr[-2000:]
    if sys.version_info < (3, 12):
        # the guard is what keeps it alive: without it the same loop aborts
        bare = run("")
        assert bare.returncode != 0 and "none_dealloc" in bare.stderr, bare.stderr[-2000:]
