"""Whether a question asks about a document as a whole (a summary, an overview, a
comparison, "list every deadline"), which six retrieved passages cannot answer.

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


_LIST_EN = re.compile(
    r"\b(?:list|enumerate|show(?: me)?|find|extract|give me|what are|which are|where are)\s+"
    r"(?:out\s+)?(?:all|every|each)(?:\s+of)?(?:\s+the)?\s+(?P<thing>[a-z][\w\s'&/-]{1,40}?)"
    r"(?=\s+(?:in|of|from|mentioned|stated|named|listed|that|which|this|these|the|it)\b|"
    r"\s*[?.!]|\s*$)|"
    r"(?:^|[.?!]\s+|\bplease\s+|\bcan you\s+|\bcould you\s+)(?:list|enumerate)\s+"
    r"(?:out\s+)?(?:the\s+)?(?P<thing2>[a-z][\w\s'&/-]{1,40}?)"
    r"(?=\s+(?:in|of|from|mentioned|stated|named|listed|that|which)\b|\s*[?.!]|\s*$)|"
    r"\b(?:all|every)\s+(?:the\s+)?(?P<thing3>[a-z][\w\s'&/-]{1,40}?)\s+"
    r"(?:in|mentioned in|stated in|listed in|of)\s+(?:this|the|these)\b",
    re.I)
_ZH_END = r"(?=都?(?:列出来|列举出来|找出来|整理出来)?[吗呢吧]?(?:[？?。！!，,；;]|$))"
_LIST_ZH = re.compile(
    r"(?:列出|列举|罗列|找出|整理出?)(?:[\u4e00-\u9fff]{0,8}?[中里]的?)?"
    r"(?P<thing>[\u4e00-\u9fff]{2,12}?)" + _ZH_END +
    r"|(?:所有|全部|每一?[个项条])的?(?P<thing2>[\u4e00-\u9fff]{2,10}?)" + _ZH_END +
    r"|(?:文件|文档|合同|报告|协议|文中|其中)[中里内]?都?(?:有哪些|有什么)"
    r"(?P<thing3>[\u4e00-\u9fff]{2,10}?)(?=[？?。！!，,；;]|$)")
_LEADING = re.compile(r"^(?:the|of|this|these|that)\s+", re.I)
_ZH_LEADING = re.compile(r"^(?:(?:这份|这个|这篇|本|该)?(?:文件|文档|合同|报告|协议)[中里内]的?)?"
                         r"(?:所有|全部|每一?[个项条])?的?")


def list_request(question: str) -> str | None:
    """What a question asks to have listed from a whole document ("deadlines" for "List
    every deadline in this contract"), or None."""
    for pattern, leading in ((_LIST_EN, _LEADING), (_LIST_ZH, _ZH_LEADING)):
        m = pattern.search(question)
        if m:
            thing = next(g for g in m.groups() if g)
            thing = leading.sub("", thing.strip()).strip()
            if thing and not re.fullmatch(r"(?:the|it|them|this|that|文件|文档|内容|要点)",
                                          thing):
                return thing
    return None
