"""llama.cpp's log: into Python logging, and kept so a failure can name its cause.

llama.cpp reports why a model failed to load only in its log, not in the return value.
Importing this module routes that log through the ``llama.cpp`` logger and keeps the
recent lines, so a caller takes :func:`log_mark` before a call and :func:`errors_since`
after it to put the cause into its own error message.
"""

from __future__ import annotations

import collections
import ctypes
import logging

import llama_cpp

llama_log = logging.getLogger("llama.cpp")

# ggml's log levels (ggml.h of the llama.cpp bundled with llama-cpp-python 0.3.36):
# NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5.  (llama_cpp/_logger.py still uses the
# older numbering, which is why its filtering is wrong.)  llama.cpp's errors also reach
# the caller as exceptions, so they are logged as warnings; routine facts as debug.
_GGML_WARN, _GGML_ERROR, _GGML_CONT = 3, 4, 5
_LOG_LEVELS = {_GGML_WARN: logging.INFO, _GGML_ERROR: logging.WARNING}
_recent_log: collections.deque[tuple[int, int, str]] = collections.deque(maxlen=200)
_last_level = 1
_log_seq = 0


@llama_cpp.llama_log_callback
def _llama_log_callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    global _last_level, _log_seq
    msg = text.decode("utf-8", errors="replace")
    if level == _GGML_CONT:  # continues the previous line
        level = _last_level
    _last_level = level
    _log_seq += 1
    _recent_log.append((_log_seq, level, msg))
    py_level = _LOG_LEVELS.get(level, logging.DEBUG)
    if llama_log.isEnabledFor(py_level) and msg.strip():
        llama_log.log(py_level, "%s", msg.rstrip())


llama_cpp.llama_log_set(_llama_log_callback, ctypes.c_void_p(0))


def log_mark() -> int:
    """A position in the log; pass it to :func:`errors_since` after the call."""
    return _log_seq


def errors_since(mark: int) -> str:
    """The llama.cpp error lines logged after ``mark`` (the cause of a failed load)."""
    errors = [m.strip() for seq, lvl, m in list(_recent_log)
              if seq > mark and m.strip() and (lvl == _GGML_ERROR or (
                  lvl == _GGML_WARN and "error" in m.lower()))]
    return "; ".join(dict.fromkeys(errors))
