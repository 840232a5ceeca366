"""Answers as Markdown in the conversation view, with citation markers as links.

Why a cursor and not ``setMarkdown``: the conversation is one document; re-rendering all
of it for each answer (let alone each token) would make long chats slow.  An answer
streams in as plain text and only its own range is replaced by the rendered Markdown
when it is complete.  Raw HTML in a model's answer is shown as text, never interpreted.
"""

from __future__ import annotations

import html
import re

from PySide6.QtGui import QTextCursor, QTextDocument

MARKDOWN_FEATURES = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value
    | QTextDocument.MarkdownFeature.MarkdownNoHTML.value)

# [1], [1, 2], 【1】: the same markers answer.citations reads
_MARK = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、;]\s*\d{1,3})*)\s*[\]】]")


def cite_url(answer_index: int, n: int) -> str:
    """The link of source ``n`` of the ``answer_index``-th answer in the view."""
    return f"cite:{answer_index}.{n}"


def figure_url(answer_index: int, n: int) -> str:
    """The link of a figure found in source ``n`` (opens it like a citation)."""
    return f"figure:{answer_index}.{n}"


def parse_cite_url(url: str) -> tuple[int, int] | None:
    """(answer, source) of a citation's or a found figure's link."""
    m = re.fullmatch(r"(?:cite|figure):(\d+)\.(\d+)", url)
    return (int(m.group(1)), int(m.group(2))) if m else None


def link_citations(answer: str, answer_index: int, known: set[int]) -> str:
    """``[2]`` in the answer becomes a link to source 2.  A number with no source is
    never a link: it stays plain text (and is struck through by
    :mod:`app.gui.answer_marks`)."""

    def repl(m: re.Match) -> str:
        parts = [p.strip() for p in re.split(r"[,，、;]", m.group(1))]
        if not any(int(p) in known for p in parts):
            return f"\\[{', '.join(parts)}\\]"
        links = ", ".join(f"[{p}]({cite_url(answer_index, int(p))})" if int(p) in known
                          else p for p in parts)
        return f"\\[{links}\\]"

    return _MARK.sub(repl, answer)


def insert_markdown(cursor: QTextCursor, markdown: str) -> None:
    """Insert rendered Markdown at the cursor (GitHub dialect, HTML shown as text)."""
    cursor.insertMarkdown(markdown, MARKDOWN_FEATURES)


def escape(text: str) -> str:
    return html.escape(text, quote=True)
