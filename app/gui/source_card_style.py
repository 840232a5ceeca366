"""The source cards' colours, taken from the palette so that light and dark themes both
read well.

Why not a style sheet of ``palette(...)`` roles alone: the cards need colours no role
gives -- a muted text colour for the secondary lines, a tint for the selected card, a
marker behind the matched words -- and a marker that suits a white card (pale yellow)
makes light text unreadable on a dark one.  So they are derived here from the palette
and held to WCAG's 4.5:1 contrast for body text; a dark theme (the window's lightness
below the middle) gets a dark amber marker under white text.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette

from app.gui.theme import contrast_ratio, palette_is_dark

MIN_CONTRAST = 4.5  # WCAG 2 AA, body text
MARKER_LIGHT = (QColor("#ffe27a"), QColor("#000000"))  # background, text
MARKER_DARK = (QColor("#665200"), QColor("#ffffff"))


@dataclass(frozen=True)
class CardColours:
    background: QColor  # a card
    text: QColor
    muted: QColor  # the secondary lines: where, why
    border: QColor
    selected: QColor  # the selected card's background
    accent: QColor  # the selected and the focused card's border, the number badge
    accent_text: QColor  # the number on the badge
    marker: QColor  # behind matched words
    marker_text: QColor


def blend(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved the share ``t`` of the way towards ``b``."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


def readable_text(text: QColor, background: QColor) -> QColor:
    """``text`` if it is readable on ``background``, else black or white, whichever is."""
    if contrast_ratio(text, background) >= MIN_CONTRAST:
        return text
    black, white = QColor("#000000"), QColor("#ffffff")
    return max((black, white), key=lambda c: contrast_ratio(c, background))


def muted_text(text: QColor, background: QColor, *others: QColor) -> QColor:
    """``text`` faded towards ``background`` as far as it stays readable on it (and on
    the ``others``: the selected card's tint)."""
    for t in (0.35, 0.28, 0.2, 0.12, 0.0):
        colour = blend(text, background, t)
        if all(contrast_ratio(colour, b) >= MIN_CONTRAST for b in (background, *others)):
            return colour
    return text


def card_colours(palette: QPalette) -> CardColours:
    background = palette.color(QPalette.Base)
    text = readable_text(palette.color(QPalette.Text), background)
    accent = palette.color(QPalette.Highlight)
    selected = background
    for t in (0.16, 0.1, 0.05):  # a tint of the accent that the text still reads on
        tint = blend(background, accent, t)
        if contrast_ratio(text, tint) >= MIN_CONTRAST:
            selected = tint
            break
    marker, marker_text = MARKER_DARK if palette_is_dark(palette) else MARKER_LIGHT
    return CardColours(
        background=background, text=text, muted=muted_text(text, background, selected),
        border=blend(background, text, 0.22), selected=selected, accent=accent,
        accent_text=readable_text(palette.color(QPalette.HighlightedText), accent),
        marker=marker, marker_text=marker_text)


def marker_style(colours: CardColours) -> str:
    """The inline CSS of a matched word."""
    return f"background-color:{colours.marker.name()}; color:{colours.marker_text.name()}"


def card_style_sheet(c: CardColours) -> str:
    """The cards' style sheet (set on the list that holds them).  The focused card's
    border is one pixel wider and its padding one narrower, so nothing moves."""
    return f"""
QFrame#sourceCard {{ background: {c.background.name()}; border: 1px solid {c.border.name()};
                     border-radius: 8px; padding: 1px; }}
QFrame#sourceCard[selected="true"] {{ background: {c.selected.name()};
                                      border: 1px solid {c.accent.name()}; }}
QFrame#sourceCard:focus {{ border: 2px solid {c.accent.name()}; padding: 0px; }}
QFrame#sourceCard QLabel {{ color: {c.text.name()}; background: transparent; }}
QFrame#sourceCard QLabel#sourceWhere, QFrame#sourceCard QLabel#sourceWhy {{
    color: {c.muted.name()}; }}
QFrame#sourceCard QLabel#sourceBadge {{ background: {c.accent.name()};
    color: {c.accent_text.name()}; border-radius: 4px; padding: 0px 5px; font-weight: bold; }}
QFrame#sourceCard QLabel#sourceName, QFrame#sourceCard QLabel#sourceMark {{
    font-weight: bold; }}
QFrame#sourceCard QLabel#sourceThumb {{ border: 1px solid {c.border.name()};
                                        background: {c.background.name()}; }}
"""
