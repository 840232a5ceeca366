"""Whether a question asks about a document as a whole (a summary, an overview, "list
everything"), which six retrieved passages cannot answer.

Why a pattern list: the request is a handful of phrasings in each language, and a
wrong guess costs little -- the whole-document mode is taken only when the question also
names exactly one document (by the chat's scope or by its name: "summarize the Q2 AAPL
10-Q"); any other question goes to retrieval as before.
"""

from __future__ import annotations

import re

_EN = re.compile(
    r"\b(summari[sz]e|summary|overview|outline|gist|key points|main points|tl;?dr|"
    r"what (is|does) (this|the) (document|file|report|filing|paper|contract)\b.{0,20}\babout)\b",
    re.I)
_ZH = re.compile(r"(总结|概括|摘要|概述|综述|要点|大意|主要内容|讲了什么|说了什么|写了什么)")


def whole_document_request(question: str) -> bool:
    """Whether ``question`` asks for the whole document rather than a fact in it."""
    return bool(_EN.search(question) or _ZH.search(question))


_COMPARE_EN = re.compile(r"\b(compare|comparison|differences?|differ|what changed|what has "
                         r"changed|changes between|versus|vs\.?)\b", re.I)
_COMPARE_ZH = re.compile(r"(比较|对比|区别|差异|变化|有何不同|有什么不同)")


def comparison_request(question: str) -> bool:
    """Whether ``question`` asks how documents differ ("what changed between the Q1 and
    Q2 reports?", "对比这两份报告")."""
    return bool(_COMPARE_EN.search(question) or _COMPARE_ZH.search(question))
