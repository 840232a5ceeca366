"""Follow-up questions: what to search for when a question leans on the previous one.

Why: "what about 2023?" or "why did it grow?" say nothing the retriever can find on their
own; searched together with the previous user question, the retriever knows what "it"
is.  Questions that stand on their own are searched as written, so an unrelated new
question is not pulled towards the last topic.
"""

from __future__ import annotations

import re
from typing import Sequence

from answer.history import as_turns
from ingest.analyzer import tokenize

# Openings that make a question depend on the previous one ("what about 2023?") ...
_FOLLOW_START = re.compile(
    r"^\s*(what about|how about|and\b|also\b|then\b|what if|same\b)|"
    r"^\s*(那|那么|还有|而|然后|并且|同样)", re.IGNORECASE)
# ... and words that refer back, which count only in shortish questions (long ones
# usually say what "this" is themselves).
_REFERS_BACK = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|there)\b|"
    r"它|他们|她们|这个|那个|这些|那些|该公司", re.IGNORECASE)
REFERS_BACK_MAX_TOKENS = 8
# A question this short names too little to be searched alone ("why?", "and 2023?").
# Three keywords already make a question of their own ("FastAPI 怎么处理文件上传？" is
# fastapi/处理/文件/上传): taken for a follow-up, it got the previous answer copied.
FOLLOW_UP_MAX_TOKENS = 2


def is_follow_up(question: str) -> bool:
    """Short questions and ones that refer back ("it", "那么") need the previous turn."""
    n = len(tokenize(question))
    return (n <= FOLLOW_UP_MAX_TOKENS or bool(_FOLLOW_START.search(question))
            or (n <= REFERS_BACK_MAX_TOKENS and bool(_REFERS_BACK.search(question))))


def retrieval_query(question: str, history: Sequence) -> str:
    """The text to search for: the question, preceded by the previous user question when
    this one is a follow-up."""
    question = question.strip()
    previous = [t.content.strip() for t in as_turns(history) if t.role == "user"]
    if previous and is_follow_up(question):
        return f"{previous[-1]} {question}"
    return question
