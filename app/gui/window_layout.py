"""Where the window was left: its size and position, the splitters, the tab shown and
the chat open, kept in ``window.json`` in the data folder and written on close.

Why a JSON file in the data folder rather than QSettings' default place: everything of
one library stays in one folder (a test's temporary folder, a second library) and goes
with it when it is backed up or moved.  The file is only a convenience: a damaged or
foreign one is ignored (and logged), never an error.

Splitters are found by ``findChildren`` and named by their object name, or by the
nearest named ancestor and their place under it; so panels built elsewhere (the chat's
``chatSplitter``, the sources panel's) are remembered without knowing about this module.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget

log = logging.getLogger(__name__)

VERSION = 1


@dataclass
class Layout:
    geometry: str = ""  # base64 of QWidget.saveGeometry()
    splitters: dict[str, list[int]] = field(default_factory=dict)
    tabs: dict[str, int] = field(default_factory=dict)  # QTabWidget object name -> index
    chat_id: int | None = None  # the chat open at close


def splitters(root: QWidget) -> dict[str, QSplitter]:
    """The splitters under ``root`` by a name that stays the same from run to run."""
    out: dict[str, QSplitter] = {}
    unnamed: dict[str, int] = {}
    for splitter in root.findChildren(QSplitter):
        name = splitter.objectName()
        if not name:
            owner = splitter.parentWidget()
            while owner is not None and owner is not root and not owner.objectName():
                owner = owner.parentWidget()
            base = owner.objectName() if owner is not None and owner is not root else "window"
            n = unnamed.get(base, 0)
            unnamed[base] = n + 1
            name = f"{base}.splitter{n}"
        out[name] = splitter
    return out


def capture(window: QWidget, tabs: list[QTabWidget], chat_id: int | None) -> Layout:
    return Layout(
        geometry=bytes(window.saveGeometry().toBase64()).decode("ascii"),
        splitters={name: list(s.sizes()) for name, s in splitters(window).items()},
        tabs={t.objectName(): t.currentIndex() for t in tabs if t.objectName()},
        chat_id=chat_id)


def restore(window: QWidget, layout: Layout | None, tabs: list[QTabWidget]) -> None:
    """Put ``window`` back as ``layout`` had it (what no longer fits is left as built)."""
    if layout is None:
        return
    if layout.geometry:
        window.restoreGeometry(QByteArray.fromBase64(layout.geometry.encode("ascii")))
    found = splitters(window)
    for name, sizes in layout.splitters.items():
        splitter = found.get(name)
        if splitter is not None and len(sizes) == splitter.count() and sum(sizes) > 0:
            splitter.setSizes(sizes)
    for t in tabs:
        index = layout.tabs.get(t.objectName())
        if index is not None and 0 <= index < t.count():
            t.setCurrentIndex(index)


def load(path: Path) -> Layout | None:
    """The layout saved at ``path``; None when there is none or it cannot be used."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.warning("%s: ignored, cannot be read: %s", path, exc)
        return None
    try:
        if raw.get("version") != VERSION:
            raise ValueError(f"version {raw.get('version')!r}")
        chat_id = raw.get("chat_id")
        layout = Layout(
            geometry=str(raw.get("geometry") or ""),
            splitters={str(k): [int(x) for x in v] for k, v in raw.get("splitters", {}).items()},
            tabs={str(k): int(v) for k, v in raw.get("tabs", {}).items()},
            chat_id=None if chat_id is None else int(chat_id))
        QByteArray.fromBase64(layout.geometry.encode("ascii"))
    except (AttributeError, TypeError, ValueError, UnicodeEncodeError) as exc:
        log.warning("%s: ignored, not a window layout: %s", path, exc)
        return None
    return layout


def save(path: Path, layout: Layout) -> None:
    """Write atomically; a failure is logged (the layout is not worth an error box)."""
    data = {"version": VERSION, "geometry": layout.geometry, "splitters": layout.splitters,
            "tabs": layout.tabs, "chat_id": layout.chat_id}
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot save the window layout to %s: %s", path, exc)
