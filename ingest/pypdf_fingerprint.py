"""Recognise the exact pypdf code that a faster reimplementation was checked against.

:mod:`ingest.pdf_fast` and :mod:`ingest.pdf_fast_text` reproduce pieces of pypdf's
behaviour.  They are proven identical for one pypdf version only, so each keeps the
sha256 of the source (or value) of every pypdf function and constant it mirrors, and
stays switched off when any of them differs: a pypdf upgrade then costs speed, never
text, and the test of the fingerprints says what to re-check.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from typing import Any, Callable


def sha256_of(thing: Any) -> str:
    """Of a function's or class's source; of a compiled pattern's pattern; else of repr."""
    if isinstance(thing, property):
        thing = thing.fget
    if isinstance(thing, re.Pattern):
        text = repr(thing.pattern)
    elif inspect.isfunction(thing) or inspect.ismethod(thing) or inspect.isclass(thing):
        text = inspect.getsource(thing)
    else:
        text = repr(thing)
    return hashlib.sha256(text.encode()).hexdigest()


def differences(expected: dict[str, str], current: Callable[[], dict[str, Any]]) -> list[str]:
    """Names whose pypdf code differs from ``expected`` (all, if it cannot be read)."""
    try:
        things = current()
        return [name for name, digest in expected.items()
                if name not in things or sha256_of(things[name]) != digest]
    except Exception:  # renamed internals, no source files: treat as different
        return list(expected)


def fingerprints(current: Callable[[], dict[str, Any]]) -> dict[str, str]:
    """The digests to write into ``expected`` after checking a new pypdf version."""
    return {name: sha256_of(thing) for name, thing in current().items()}
