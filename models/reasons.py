"""Why something could not be used, as a stable code with parameters and its English.

The core says why a file, a model or a search failed; the command line and the logs
print the English sentence, and the window words it in the interface's language from the
code and the parameters (``app.gui.reasons``).  A :class:`Reason` *is* its English
sentence (a ``str``), so everything that printed, joined, compared or stored the plain
sentences keeps working; ``code`` and ``params`` ride along, through worker processes
(pickling) and the catalog (:meth:`Reason.to_json`, :func:`restore`).

This is the lowest layer because model errors carry reasons too.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

JOINED = "joined"  # the code of several reasons shown as one line (a document's notes)


class Reason(str):
    """An English sentence with the ``code`` and ``params`` it was made from.

    ``Reason("too_large", "file is {mb} MB", mb=312)`` fills the template with the
    parameters (plain values: text and numbers, or other reasons).  A parameter may be
    another :class:`Reason` (the cause inside a sentence); ``parts`` holds the reasons of
    a :func:`joined` line."""

    code: str
    params: dict[str, Any]
    parts: tuple[str, ...]

    def __new__(cls, code: str, template: str, /, **params: Any) -> "Reason":
        return cls.worded(code, template.format(**params), **params)

    @classmethod
    def worded(cls, code: str, text: str, /, **params: Any) -> "Reason":
        """A reason whose English is already written (a list the template cannot say)."""
        self = str.__new__(cls, text)
        self.code, self.params, self.parts = code, params, ()
        return self

    def english(self) -> str:
        return str.__str__(self)

    def __reduce__(self):
        """Pickle code, parameters and parts too (worker processes send reasons back)."""
        return _rebuild, (self.code, self.english(), self.params, self.parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "text": self.english(),
                               "params": {k: _param_to_json(v) for k, v in self.params.items()}}
        if self.parts:
            out["parts"] = [p.to_dict() if isinstance(p, Reason) else str(p) for p in self.parts]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reason":
        params = {k: _param_from_json(v) for k, v in (data.get("params") or {}).items()}
        parts = tuple(cls.from_dict(p) if isinstance(p, dict) else str(p)
                      for p in data.get("parts") or ())
        return _rebuild(str(data["code"]), str(data.get("text", "")), params, parts)


def _rebuild(code: str, text: str, params: dict, parts: tuple) -> Reason:
    reason = Reason.worded(code, text, **params)
    reason.parts = tuple(parts)
    return reason


def _param_to_json(value: Any) -> Any:
    return {"reason": value.to_dict()} if isinstance(value, Reason) else value


def _param_from_json(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("reason"), dict):
        return Reason.from_dict(value["reason"])
    return value


def joined(reasons: Iterable[str], sep: str = "; ") -> str | None:
    """Several reasons as one line (a document's notes); None for none, the reason itself
    for one.  Plain strings may be among them: they stay as they are."""
    reasons = [r for r in reasons if r]
    if not reasons:
        return None
    if len(reasons) == 1:
        return reasons[0]
    line = Reason.worded(JOINED, sep.join(reasons))
    line.parts = tuple(reasons)
    return line


def to_json(reason: str | None) -> str | None:
    """What the catalog stores beside the English: None for a plain sentence."""
    return reason.to_json() if isinstance(reason, Reason) else None


def restore(text: str | None, data: str | None) -> str | None:
    """The reason the catalog stored: a :class:`Reason` when its code was stored with it,
    else the plain English (catalogs written before reasons had codes)."""
    if not data or text is None:
        return text
    try:
        reason = Reason.from_dict(json.loads(data))
    except (ValueError, TypeError, KeyError):
        return text
    return reason if reason.english() == text else text


class Explained:
    """For an exception raised with a :class:`Reason` as its message: ``.reason`` gives
    it back (a plain message: the message itself)."""

    @property
    def reason(self) -> str:
        first = self.args[0] if getattr(self, "args", None) else ""
        return first if isinstance(first, Reason) else str(self)


def reason_of(error: BaseException) -> str:
    """The reason an exception carries (``.reason`` or a :class:`Reason` message), else its
    message."""
    carried = getattr(error, "reason", None)
    if isinstance(carried, Reason):
        return carried
    first = error.args[0] if error.args else None
    if isinstance(first, Reason):
        return first
    return str(error) or type(error).__name__
