"""The words of a reasoning model's thinking line: one collapsed line that opens.

Why collapsed: the thinking of a reasoning model is often longer than its answer and is
not the answer (:mod:`answer.thinking`); the reader should see the answer first and the
reasoning only on request.  While it streams, the line counts the words thought so far;
a click on "Reasoning" opens or closes the full text under it
(:class:`app.gui.chat_messages.AnswerBubble`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def tr(text: str) -> str:
    return QCoreApplication.translate("", text)  # lupdate files module-level tr() under ""


def words(text: str) -> int:
    from ingest.analyzer import cjk_share

    n = len(text.split())
    # Chinese has no spaces: count characters as words there
    return max(n, len(text)) if cjk_share(text) > 0.3 else n


def streaming_label(text: str) -> str:
    return tr("Thinking… ({n} words)").format(n=words(text))


def toggle_label(text: str, expanded: bool) -> str:
    if expanded:
        return tr("▾ Reasoning ({n} words) — hide").format(n=words(text))
    return tr("▸ Reasoning ({n} words) — show").format(n=words(text))
