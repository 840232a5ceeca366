"""The PySide6 face of Wenji.  The only package that imports Qt."""

from app.gui.none_refcount import keep_none_alive

keep_none_alive()  # before any Qt call: see the module's docstring
