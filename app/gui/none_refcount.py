"""Keep ``None`` alive under PySide6 6.12 on Python 3.11.

PySide6 6.12's bindings drop one reference to ``None`` each time a Python call to a Qt
method that returns nothing (``setObjectName``, ``processEvents``, ...) completes.  Before
Python 3.12 made ``None`` immortal, its count starts near 5,000, so a long session (a few
hundred answers, or a busy loop) takes it to zero and the interpreter aborts with "Fatal
Python error: none_dealloc".  Raising the count once, far beyond what any session can
drop, removes the crash.  Python 3.12+ needs nothing (the count is ignored there).
"""

from __future__ import annotations

import ctypes
import sys

HEADROOM = 1 << 48  # reference drops a session would need to reach zero: never


def keep_none_alive() -> bool:
    """Raise ``None``'s reference count once per process; True if it was needed."""
    if sys.version_info >= (3, 12) or getattr(sys, "_wenji_none_guard", False):
        return False
    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt: the object's first field
    refcount.value += HEADROOM
    sys._wenji_none_guard = True
    return True
