"""A reasoning model's thinking in the conversation: one collapsed line that opens.

Why collapsed: the thinking of a reasoning model is often longer than its answer and is
not the answer (:mod:`answer.thinking`); the reader should see the answer first and the
reasoning only on request.  While it streams, the line counts the words thought so far;
a click on "Reasoning" opens or closes the full text in place.  The line is a block of
its own whose start is kept by a :class:`QTextCursor`, which Qt moves along as text
before it changes, so any answer's thinking can be opened, not only the last one's.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QTextBlockFormat, QTextCharFormat, QTextCursor

from app.gui import theme


def tr(text: str) -> str:
    return QCoreApplication.translate("", text)  # lupdate files module-level tr() under ""


def _words(text: str) -> int:
    from ingest.analyzer import cjk_share

    n = len(text.split())
    # Chinese has no spaces: count characters as words there
    return max(n, len(text)) if cjk_share(text) > 0.3 else n


def _muted() -> str:
    """Quiet grey of the theme shown (readable on its ground, light or dark)."""
    return theme.colors()["muted_text"]


def streaming_html(text: str) -> str:
    return (f"<span style='color:{_muted()}'><i>" + html.escape(tr("Thinking… ({n} words)")
                                                          .format(n=_words(text)))
            + "</i></span>")


def block_html(text: str, index: int, expanded: bool) -> str:
    n = _words(text)
    if not expanded:
        label = html.escape(tr("▸ Reasoning ({n} words) — show").format(n=n))
        return (f"<a href='think:{index}' style='color:{_muted()}; text-decoration:none'>"
                f"<i>{label}</i></a>")
    label = html.escape(tr("▾ Reasoning ({n} words) — hide").format(n=n))
    body = html.escape(text.strip()).replace("\n", "<br>")
    muted = _muted()
    return (f"<a href='think:{index}' style='color:{muted}; text-decoration:none'>"
            f"<i>{label}</i></a><br><span style='color:{muted}; font-size:small'>{body}</span>")


def insert(cursor: QTextCursor, fragment: str) -> QTextCursor:
    """Insert ``fragment`` at ``cursor`` as a block of its own (the cursor ends in the
    next block); returns a cursor at the new block's start, for :func:`replace`."""
    start = cursor.position()
    cursor.insertHtml(fragment)
    kept = QTextCursor(cursor.document())
    kept.setPosition(start)
    cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
    return kept


def replace(cursor: QTextCursor, fragment: str) -> QTextCursor:
    """Put ``fragment`` in place of the block that starts at ``cursor`` (the thinking
    line); returns a cursor at that block's start for the next replacement.

    Why the block's start and not a selection: Qt moves a cursor along when text is
    inserted at its position, so a selection's end would grow over every answer added
    after it; nothing is ever inserted at the start of this block."""
    start = cursor.position()
    c = QTextCursor(cursor.document())
    c.setPosition(start)
    c.movePosition(QTextCursor.EndOfBlock, QTextCursor.KeepAnchor)
    c.insertHtml(fragment)
    kept = QTextCursor(cursor.document())
    kept.setPosition(start)
    return kept
