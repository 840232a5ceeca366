"""The PySide6 face of Wenji.  The only package that imports Qt."""
