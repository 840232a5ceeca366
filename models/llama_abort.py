"""A flag that stops llama.cpp inside its compute graph, not only between tokens.

llama.cpp calls ``abort_callback(data)`` between the nodes of every compute graph and
stops the decode when it returns true.  A Python callback there would take the GIL
hundreds of times per token (a few % of throughput), so the callback is libc's
``strlen`` and ``data`` a two-byte buffer: "\\0" -> 0 (go on), "\\1" -> 1 (abort).
Cancel is then immediate even in the middle of evaluating a long prompt.
"""

from __future__ import annotations

import ctypes
import sys

import llama_cpp


def _strlen_address() -> int | None:
    try:
        libc = ctypes.cdll.msvcrt if sys.platform == "win32" else ctypes.CDLL(None)
        return ctypes.cast(libc.strlen, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


_STRLEN = _strlen_address()


class AbortFlag:
    """The abort flag of one llama.cpp context; without libc's ``strlen`` (``active``
    False) only the checks between tokens stop generation."""

    def __init__(self, ctx) -> None:
        self.buffer = ctypes.create_string_buffer(2)
        self.active = False
        if _STRLEN is not None:
            self._callback = llama_cpp.ggml_abort_callback(_STRLEN)
            llama_cpp.llama_set_abort_callback(ctx, self._callback,
                                               ctypes.cast(self.buffer, ctypes.c_void_p))
            self.active = True

    def set(self, value: bool) -> None:
        self.buffer[0] = b"\x01" if value else b"\x00"

    def is_set(self) -> bool:
        return self.buffer[0] == b"\x01"
