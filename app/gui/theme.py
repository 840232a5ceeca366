"""The window's colours: a light and a dark theme, following the system by default.

Why explicit palettes instead of the platform's: the platform palettes differ from
desktop to desktop and some pair grey text with grey backgrounds below what people with
weaker eyes can read.  Both palettes here are checked (by a test, with
:func:`contrast_ratio`) against WCAG AA: 4.5:1 for every text/background pair, 3:1 for
disabled text (which WCAG exempts, but which should still be legible).  The Fusion style
draws every widget from the palette, so the two palettes are the whole theme, plus a
small style sheet for spacing that takes its colours from the same palette, and edges
of 3:1 around input fields (:mod:`app.gui.fusion_style`).

``ui.theme`` (settings) is "system", "light" or "dark".  "system" follows
``QStyleHints.colorScheme()`` and changes with it while the app runs.  Widgets that
paint their own colours (chat bubbles, source cards, notice bars) read :func:`colors`
and redraw when :func:`notifier` emits ``changed``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette

THEMES = ("system", "light", "dark")

# QPalette role name -> colour; "Disabled" is the text colour of disabled widgets.
PALETTES: dict[str, dict[str, str]] = {
    "light": {
        "Window": "#f3f4f6", "WindowText": "#1b1f24",
        "Base": "#ffffff", "AlternateBase": "#f3f5f8", "Text": "#1b1f24",
        "Button": "#e9ebef", "ButtonText": "#1b1f24", "BrightText": "#ffffff",
        "Light": "#ffffff", "Midlight": "#f0f1f4", "Mid": "#c4c8cf", "Dark": "#9aa0a8",
        "Shadow": "#5a6068",
        "Highlight": "#2a63b8", "HighlightedText": "#ffffff", "Accent": "#2a63b8",
        "Link": "#0a58ca", "LinkVisited": "#6f42c1",
        "ToolTipBase": "#2b3038", "ToolTipText": "#f5f7fa",
        "PlaceholderText": "#5f6873", "Disabled": "#767c85",
    },
    "dark": {
        "Window": "#1e2126", "WindowText": "#e6e8eb",
        "Base": "#16181c", "AlternateBase": "#1d2025", "Text": "#e6e8eb",
        "Button": "#2b2f36", "ButtonText": "#e6e8eb", "BrightText": "#ffffff",
        "Light": "#3a3f47", "Midlight": "#33373f", "Mid": "#4a505a", "Dark": "#111316",
        "Shadow": "#000000",
        "Highlight": "#2a63b8", "HighlightedText": "#ffffff", "Accent": "#2a63b8",
        "Link": "#8ab4f8", "LinkVisited": "#c3a6ff",
        "ToolTipBase": "#33373f", "ToolTipText": "#f0f2f5",
        "PlaceholderText": "#9aa3ad", "Disabled": "#858d97",
    },
}

# (text, background, least contrast): every pair the widgets paint from the palette
PALETTE_PAIRS = [
    ("WindowText", "Window", 4.5), ("Text", "Base", 4.5), ("Text", "AlternateBase", 4.5),
    ("ButtonText", "Button", 4.5), ("HighlightedText", "Highlight", 4.5),
    ("Link", "Base", 4.5), ("Link", "Window", 4.5), ("LinkVisited", "Base", 4.5),
    ("ToolTipText", "ToolTipBase", 4.5), ("PlaceholderText", "Base", 4.5),
    ("Disabled", "Window", 3.0), ("Disabled", "Base", 3.0), ("Disabled", "Button", 3.0),
]

# Semantic colours for widgets that paint their own (see colors()).  Backgrounds:
# bubble_*, chip, highlight_match, notice_bg; the rest are text colours.
SEMANTIC: dict[str, dict[str, str]] = {
    "light": {
        "bubble_user": "#e7f0fe", "bubble_answer": "#ffffff", "chip": "#e3e7ee",
        "chip_text": "#2b3440", "muted_text": "#5f6873", "accent": "#0a58ca",
        "warning": "#8a5300", "error": "#b3261e", "success": "#1e7a34",
        "success_bg": "#e6f4ea", "highlight_match": "#ffe58f", "notice_bg": "#fff4ce", "notice_text": "#4a3b00",
        "notice_border": "#e0c060", "border": "#c4c8cf", "field_border": "#7d848d",
    },
    "dark": {
        "bubble_user": "#1f3350", "bubble_answer": "#22262c", "chip": "#2f3540",
        "chip_text": "#d5dbe3", "muted_text": "#a0a8b2", "accent": "#8ab4f8",
        "warning": "#f2b84b", "error": "#ff8a80", "success": "#7ddc8a",
        "success_bg": "#1d3524", "highlight_match": "#5c4a00", "notice_bg": "#3a3214", "notice_text": "#f5e6a8",
        "notice_border": "#7a6420", "border": "#4a505a", "field_border": "#727a87",
    },
}

# (text, background) of colors() that must reach 4.5:1 (checked by a test)
COLOR_PAIRS = [
    ("text", "bubble_user"), ("text", "bubble_answer"), ("chip_text", "chip"),
    ("muted_text", "base"), ("muted_text", "window"), ("muted_text", "bubble_answer"),
    ("accent", "base"), ("accent", "window"), ("warning", "base"), ("warning", "window"),
    ("error", "base"), ("error", "window"), ("success", "base"), ("success", "window"),
    ("text", "highlight_match"), ("text", "success_bg"), ("success", "success_bg"),
    ("notice_text", "notice_bg"), ("text", "base"),
]
# (edge, background) of controls that must reach 3:1 (WCAG 1.4.11, non-text contrast)
EDGE_PAIRS = [("field_border", "window"), ("field_border", "base")]


def palette_is_dark(palette: QPalette) -> bool:
    """Whether a widget's palette is a dark one (its window colour is dark)."""
    return palette.color(QPalette.Window).lightness() < 128


def contrast_ratio(c1, c2) -> float:
    """WCAG 2 contrast ratio of two colours (QColor or "#rrggbb"): 1 to 21; AA asks
    4.5 for normal text, 3 for large text."""
    def luminance(c) -> float:
        c = QColor(c)

        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        return (0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF())
                + 0.0722 * channel(c.blueF()))

    a, b = sorted((luminance(c1), luminance(c2)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def palette(mode: str) -> QPalette:
    """The QPalette of "light" or "dark"."""
    colours = PALETTES[mode]
    pal = QPalette()
    for role_name, value in colours.items():
        role = getattr(QPalette.ColorRole, role_name, None)
        if role is not None:
            pal.setColor(role, QColor(value))  # all colour groups
    disabled = QColor(colours["Disabled"])
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText,
                 QPalette.PlaceholderText):
        pal.setColor(QPalette.Disabled, role, disabled)
    pal.setColor(QPalette.Disabled, QPalette.Highlight, QColor(colours["Mid"]))
    pal.setColor(QPalette.Disabled, QPalette.HighlightedText, QColor(colours["Text"]))
    return pal


def stylesheet(mode: str) -> str:
    """Spacing for toolbar buttons, tabs and group boxes, in the palette's colours."""
    p, s = PALETTES[mode], SEMANTIC[mode]
    hover = p["Midlight"] if mode == "light" else p["Light"]
    return f"""
QToolBar {{ spacing: 2px; padding: 3px 6px; border: none;
           border-bottom: 1px solid {s['border']}; }}
QToolBar QToolButton {{ padding: 4px 7px; border: 1px solid transparent; border-radius: 5px; }}
QToolBar QToolButton:hover {{ background: {hover}; border-color: {s['border']}; }}
QToolBar QToolButton:pressed {{ background: {p['Button']}; }}
QToolBar QToolButton:focus {{ border-color: {p['Highlight']}; }}
QTabBar::tab {{ padding: 5px 12px; }}
QGroupBox {{ border: 1px solid {s['border']}; border-radius: 6px; margin-top: 1.3em;
            padding: 6px 6px 4px 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; subcontrol-position: top left; left: 8px;
                   padding: 0 4px; color: {p['WindowText']}; }}
QToolTip {{ color: {p['ToolTipText']}; background: {p['ToolTipBase']};
           border: 1px solid {s['border']}; padding: 3px; }}
"""


class ThemeNotifier(QObject):
    """``changed(mode)``: the theme in use became "light" or "dark"."""

    changed = Signal(str)


_notifier: ThemeNotifier | None = None
_setting = "system"  # ui.theme
_mode = "light"  # what is shown
_app = None  # the application the theme was applied to (for system changes)
_fusion_for = None  # the application given the Fusion style


def notifier() -> ThemeNotifier:
    """The one notifier; connect to ``changed`` to repaint own colours."""
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


def system_is_dark() -> bool:
    """Whether the system asks for dark colours (Unknown counts as light)."""
    hints = QGuiApplication.styleHints()
    return hints is not None and hints.colorScheme() == Qt.ColorScheme.Dark


def resolve(name: str, system_dark: bool | None = None) -> str:
    """"light" or "dark" for a ``ui.theme`` value (``system_dark``: what the system
    reported; None: ask it)."""
    if name == "system" or name not in THEMES:
        dark = system_is_dark() if system_dark is None else system_dark
        return "dark" if dark else "light"
    return name


def apply_theme(app, name: str = "system", system_dark: bool | None = None) -> str:
    """Give ``app`` the theme ``name`` ("system", "light" or "dark") at once; returns the
    mode shown.  Safe to call again (live switching); ``changed`` is emitted when the
    mode differs from the one shown before."""
    global _setting, _mode, _app, _fusion_for
    _setting = name if name in THEMES else "system"
    _app = app
    _follow_system(app)
    mode = resolve(_setting, system_dark)
    if _fusion_for is not app:  # (with a style sheet, app.style() no longer names it)
        from app.gui.fusion_style import FieldBorderStyle

        app.setStyle(FieldBorderStyle(lambda: colors()["field_border"]))
        _fusion_for = app
    app.setPalette(palette(mode))
    app.setStyleSheet(stylesheet(mode))
    if mode != _mode:
        _mode = mode
        notifier().changed.emit(mode)
    return mode


_following = False


def _follow_system(app) -> None:
    global _following
    if _following:
        return
    hints = app.styleHints() if hasattr(app, "styleHints") else None
    if hints is not None:
        hints.colorSchemeChanged.connect(system_scheme_changed)
        _following = True


def system_scheme_changed(scheme) -> None:
    """The system switched between light and dark: follow it when ``ui.theme`` is
    "system"."""
    if _setting == "system" and _app is not None:
        apply_theme(_app, "system", system_dark=scheme == Qt.ColorScheme.Dark)


def current_setting() -> str:
    return _setting


def mode() -> str:
    """"light" or "dark": the theme shown."""
    return _mode


def is_dark() -> bool:
    return _mode == "dark"


def colors(mode: str | None = None) -> dict[str, str]:
    """Semantic colours ("#rrggbb") of the theme shown: the palette's ``text``, ``base``,
    ``window`` and ``link``, and ``bubble_user``, ``bubble_answer`` (backgrounds of the
    question and the answer; text on them: ``text``), ``chip``/``chip_text``,
    ``muted_text``, ``accent``, ``warning``, ``error``, ``success`` (text on ``base`` or
    ``window``), ``success_bg`` (ground of a checked figure, under ``text`` or
    ``success``), ``highlight_match`` (background of a matched word under ``text``),
    ``notice_bg``/``notice_text``/``notice_border`` (a bar that asks for attention),
    ``border`` (of panels) and ``field_border`` (of input fields: 3:1, EDGE_PAIRS).  Each text colour reaches 4.5:1 on its background (COLOR_PAIRS).
    ``mode``: "light" or "dark" instead of the theme shown."""
    mode = mode or _mode
    p = PALETTES[mode]
    out = {"text": p["Text"], "base": p["Base"], "window": p["Window"], "link": p["Link"]}
    out.update(SEMANTIC[mode])
    return out
