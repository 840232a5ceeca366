"""Wenji's icons: ``icon("new-chat")`` for the SVG ``app/gui/icons/new-chat.svg``.

The SVGs are line drawings in ``currentColor`` (24×24, stroke 2).  Why an icon engine
rather than pixmaps made once: the engine renders at the size and device pixel ratio
asked for (crisp on high-DPI screens) and in the palette's text colour at that moment,
so the icons follow a theme switch without being set again (widgets repaint on the
palette change).  Disabled icons take the palette's disabled text colour, icons in a
selected row its highlighted text colour.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_DIR = Path(__file__).with_name("icons")
_CACHE_LIMIT = 512  # rendered pixmaps kept (per name, colour, size and scale)
_pixmaps: dict[tuple, QPixmap] = {}


def names() -> list[str]:
    """Every icon there is."""
    return sorted(p.stem for p in ICON_DIR.glob("*.svg"))


@lru_cache(maxsize=None)
def _svg(name: str) -> str:
    path = ICON_DIR / f"{name}.svg"
    if not path.exists():
        raise KeyError(f"no icon {name!r} in {ICON_DIR}")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=256)
def _renderer(name: str, colour: str) -> QSvgRenderer:
    return QSvgRenderer(QByteArray(_svg(name).replace("currentColor", colour).encode()))


def colour_for(mode: QIcon.Mode) -> QColor:
    """The stroke colour of an icon drawn in ``mode`` with the application's palette."""
    pal = QGuiApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return pal.color(QPalette.Disabled, QPalette.ButtonText)
    if mode == QIcon.Mode.Selected:
        return pal.color(QPalette.Active, QPalette.HighlightedText)
    return pal.color(QPalette.Active, QPalette.ButtonText)


class TintedSvgEngine(QIconEngine):
    """Renders one SVG of ICON_DIR in the palette's colour for the mode asked."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def paint(self, painter: QPainter, rect, mode, state) -> None:
        _renderer(self.name, colour_for(mode).name()).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:
        colour = colour_for(mode).name()
        key = (self.name, colour, size.width(), size.height(), scale)
        cached = _pixmaps.get(key)
        if cached is not None:
            return cached
        image = QImage(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)),
                       QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        _renderer(self.name, colour).render(painter)
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        if len(_pixmaps) >= _CACHE_LIMIT:
            _pixmaps.clear()
        _pixmaps[key] = pixmap
        return pixmap

    def clone(self) -> "TintedSvgEngine":
        return TintedSvgEngine(self.name)

    def key(self) -> str:
        return "wenji-svg"

    def iconName(self) -> str:
        return self.name


def icon(name: str) -> QIcon:
    """The icon ``name`` (a file stem in ICON_DIR); KeyError for an unknown name."""
    _svg(name)  # fail here, not at paint time
    return QIcon(TintedSvgEngine(name))
