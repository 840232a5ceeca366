"""The answer checks (:mod:`answer.checks`) marked in the conversation view.

Why marks on the rendered text and not in the Markdown: the checks' spans index the
answer as the model wrote it, and the reader should see the answer as written, only
underlined where it needs a second look.  After an answer's Markdown is rendered, each
checked piece is found again in the rendered text (in answer order) and its character
format is merged: a figure found in the sources becomes a link to the passage (dotted
green underline on a pale green ground), one found nowhere gets a red wavy underline, a
reference to a source that does not exist is struck through, and sentences that are only
partly or not at all supported get a faint underline.  Each mark has a tooltip that says
why.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QToolTip

from app.gui import theme
from app.gui.markdown_render import figure_url


def _colours() -> dict[str, QColor]:
    """The marks' colours in the theme shown (a pale ground under light text would be
    unreadable in the dark theme)."""
    c = theme.colors()
    return {"found": QColor(c["success"]), "found_background": QColor(c["success_bg"]),
            "missing": QColor(c["error"]), "partly": QColor(c["warning"]),
            "unsupported": QColor(c["muted_text"]), "invalid": QColor(c["muted_text"])}

# what rendered Markdown drops or changes: emphasis marks, code ticks, escapes
_MARKUP = re.compile(r"[*_`#>|~\\]+|\[\d+(?:\s*[,，、;]\s*\d+)*\]|【\d+】")


def tr(text: str) -> str:
    return QCoreApplication.translate("", text)  # lupdate files module-level tr() under ""


class ConversationView(QTextBrowser):
    """The conversation: shows the tooltip of the text under the mouse (a check's
    reason) when the text has one."""

    def event(self, e) -> bool:
        if e.type() == QEvent.ToolTip:
            tip = self.cursorForPosition(self.viewport().mapFrom(self, e.pos())
                                         ).charFormat().toolTip()
            if tip:
                QToolTip.showText(e.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(e)


def _find(shown: str, needle: str, frm: int) -> int:
    needle = needle.strip()
    return shown.find(needle, frm) if needle else -1


def _longest_plain(text: str) -> str:
    """The longest stretch of a sentence that rendering leaves as written."""
    pieces = [p.strip() for p in _MARKUP.split(text)]
    return max(pieces, key=len, default="")


def _merge(doc, start: int, end: int, fmt: QTextCharFormat) -> None:
    cursor = QTextCursor(doc)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.KeepAnchor)
    cursor.mergeCharFormat(fmt)


def _excerpt(text: str, start: int, end: int, context: int = 60) -> str:
    a, b = max(0, start - context), min(len(text), end + context)
    bit = " ".join(text[a:b].split())
    return ("…" if a > 0 else "") + bit + ("…" if b < len(text) else "")


def mark_checks(doc, begin: int, answer: str, check, sources, index: int) -> int:
    """Mark ``check`` (an :class:`answer.checks.AnswerCheck` of ``answer``) on the
    rendered answer that starts at ``begin`` in ``doc``; returns how many marks were
    placed.  ``sources``: the answer's sources, for the tooltips and links."""
    if check is None:
        return 0
    cursor = QTextCursor(doc)
    cursor.setPosition(begin)
    cursor.movePosition(QTextCursor.End, QTextCursor.KeepAnchor)
    shown = cursor.selectedText()  # one character per document position
    by_n = {s.n: s for s in sources}
    placed = 0
    colour = _colours()

    frm = 0
    for s in check.sentences:
        if s.support == "supported":
            continue
        piece = _longest_plain(answer[s.start:s.end])
        at = _find(shown, piece, frm)
        if at < 0 or len(piece) < 4:
            continue
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.DotLine if s.support == "partly"
                              else QTextCharFormat.DashUnderline)
        fmt.setUnderlineColor(colour["partly"] if s.support == "partly"
                              else colour["unsupported"])
        fmt.setToolTip(tr("Partly supported: some of this sentence is not in source {n}.")
                       .format(n=s.n) if s.support == "partly" and s.n else
                       tr("No source supports this sentence: check it before you rely "
                          "on it."))
        _merge(doc, begin + at, begin + at + len(piece), fmt)
        frm = at + len(piece)
        placed += 1

    frm = 0
    for f in check.figures:
        at = _find(shown, f.text, frm)
        if at < 0:
            continue
        fmt = QTextCharFormat()
        if f.found and f.n in by_n:
            src = by_n[f.n]
            fmt.setAnchor(True)
            fmt.setAnchorHref(figure_url(index, f.n))
            fmt.setUnderlineStyle(QTextCharFormat.DotLine)
            fmt.setUnderlineColor(colour["found"])
            fmt.setBackground(colour["found_background"])
            fmt.setToolTip(tr("Found in source {n} ({label}): “{excerpt}”").format(
                n=f.n, label=src.label,
                excerpt=_excerpt(src.text, f.source_start or 0, f.source_end or 0)))
        else:
            fmt.setUnderlineStyle(QTextCharFormat.WaveUnderline)
            fmt.setUnderlineColor(colour["missing"])
            fmt.setForeground(colour["missing"])
            fmt.setToolTip(tr("Not in the sources: no passage given to the model contains "
                              "this figure. Check it before you rely on it."))
        _merge(doc, begin + at, begin + at + len(f.text), fmt)
        frm = at + len(f.text)
        placed += 1

    frm = 0
    for r in check.invalid_refs:
        needle = str(r.n)
        at = shown.find(needle, frm)
        while at >= 0 and not _in_marker(shown, at, len(needle)):
            at = shown.find(needle, at + 1)
        if at < 0:
            continue
        fmt = QTextCharFormat()
        fmt.setFontStrikeOut(True)
        fmt.setForeground(colour["invalid"])
        fmt.setToolTip(tr("There is no source {n}: the model made up this reference.")
                       .format(n=r.n))
        _merge(doc, begin + at, begin + at + len(needle), fmt)
        frm = at + len(needle)
        placed += 1
    return placed


def _in_marker(shown: str, at: int, length: int) -> bool:
    """Whether the digits at ``at`` sit inside a written ``[…]`` / ``【…】`` marker."""
    left = shown[:at].rstrip("0123456789,，、; ")
    right = shown[at + length:].lstrip("0123456789,，、; ")
    return left.endswith(("[", "【")) and right.startswith(("]", "】"))
