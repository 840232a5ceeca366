"""How much of a text is written in Han characters: the measure every layer uses to tell
a Chinese text from an English one (keyword analysis, fusion trust, the embedder pair's
halves, the answer's language)."""

from __future__ import annotations

import re

# Han characters (CJK unified ideographs, extension A, compatibility), for a regex class
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
IS_CJK = re.compile(rf"[{CJK_CHARS}]")


def has_cjk(text: str) -> bool:
    return bool(IS_CJK.search(text))


def cjk_share(text: str) -> float:
    """Share of CJK characters among the letters and CJK characters of ``text``."""
    cjk = len(IS_CJK.findall(text))
    letters = sum(1 for ch in text if ch.isalpha())  # CJK characters count as alpha too
    return cjk / letters if letters else 0.0


def latin_trust(text: str) -> float:
    """How far a model that reads English only can be trusted with ``text``, 0..1: 1 for
    English, 0 for Chinese, and falling fast in between (a few Latin words in a Chinese
    sentence do not make it readable)."""
    return max(0.0, 1.0 - cjk_share(text)) ** 2


def english_trust(text: str) -> float:
    """How far an English-only model should add its reading of ``text`` to a multilingual
    model's, 0..1: 1 for English, 0 once half of the letters are Han characters (a
    Chinese question naming "RCEP" is read by the multilingual model alone: the English
    model would match the acronym and nothing else)."""
    return max(0.0, 1.0 - 2.0 * cjk_share(text)) ** 2
