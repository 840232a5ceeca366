"""Figures in text: numbers, amounts, percentages and dates, read to comparable values.

Why: a small model writes "$12.3 billion" where its sources say "94,836" in a table "in
millions", or "1.2亿" where they say "12,000万元".  To tell the reader whether a figure of
the answer is in the sources at all (:mod:`answer.checks`), both sides are read into
values with the precision they were written with, and compared as values rather than as
strings.  Pure functions over text: no model, no store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# --- scale words ----------------------------------------------------------------------

_SCALES = {
    "thousand": 1e3, "thousands": 1e3, "k": 1e3, "千": 1e3,
    "million": 1e6, "millions": 1e6, "mn": 1e6, "m": 1e6, "百万": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9,
    "trillion": 1e12, "trillions": 1e12,
    "万": 1e4, "千万": 1e7, "亿": 1e8, "万亿": 1e12,
}
# single letters count as scales only right after a currency amount ("$5m")
_LETTER_SCALES = {"k", "m", "b"}
# How tables state the unit of their numbers: "(in millions, except per-share amounts)",
# "单位：万元", "人民币千元"
_TABLE_SCALE = re.compile(
    r"\bin\s+(thousands|millions|billions)\b|(?:单位|金额)\s*[：:]\s*(?:人民币)?\s*(千|万|百万|亿)?元"
    r"|(千|万|百万|亿)元", re.IGNORECASE)
# A table often loses its "in millions" line to the chunk boundary; a number written
# without a unit may then stand for any of these (see :func:`figure_in`).
IMPLICIT_SCALES = (1e3, 1e4, 1e6, 1e8, 1e9)

# --- patterns -------------------------------------------------------------------------

_MONTHS = {m: i + 1 for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")]) for m in names}
_MONTH = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
          r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_YEAR = r"(?P<year>(?:1[89]|20|21)\d{2})"
_DATES = [
    # March 31, 2023 / Mar. 31 2023
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I),
    # 31 March 2023
    re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}\s+{_YEAR}\b", re.I),
    # 2023年3月31日 / 2023年3月
    re.compile(rf"{_YEAR}\s*年\s*(?P<m>\d{{1,2}})\s*月(?:\s*(?P<day>\d{{1,2}})\s*[日号])?"),
    # 2023-03-31
    re.compile(rf"(?<![\d-]){_YEAR}-(?P<m>\d{{2}})-(?P<day>\d{{2}})(?![\d-])"),
    # 3/31/2023 (US order)
    re.compile(rf"(?<![\d/])(?P<m>\d{{1,2}})/(?P<day>\d{{1,2}})/{_YEAR}(?![\d/])"),
    # March 2023
    re.compile(rf"\b{_MONTH}\s+{_YEAR}\b", re.I),
]

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.\-/])"
    r"(?:(?P<cur>US\$|HK\$|\$|€|£|¥|￥|RMB|USD|CNY)\s?)?"
    r"(?P<neg>[-−])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![0-9,]\d)"
    r"(?:\s?(?P<scale>thousands?|millions?|billions?|trillions?|bn|mn|[kmb](?![A-Za-z])"
    r"|万亿|千万|百万|亿|万|千))?"
    r"(?:\s?(?P<pct>%|％|percent|per\s+cent|个百分点|percentage\s+points?))?"
    r"(?![A-Za-z0-9_\-])", re.IGNORECASE)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMERAL = "零〇一二两三四五六七八九十百千"
# A Chinese numeral counts as a figure when it is a percentage (百分之五), carries a
# scale (三千万, 两亿) or a unit that makes it a quantity or a date (五年, 十二月) -- so
# words such as 一些, 统一, 第一 are not read as numbers.
_CN_FIGURE = re.compile(
    rf"(?P<pct>百分之)?(?P<num>[{_CN_NUMERAL}]+(?:点[{_CN_NUMERAL}]+)?)"
    r"(?P<scale>万亿|亿|万)?(?P<unit>元|年|月|日|倍|岁|%)?")


@dataclass(frozen=True)
class Figure:
    """One figure as written, and what it stands for.

    ``kind``: "number", "percent", "year" or "date".  ``value``: the absolute amount with
    its scale word applied ("$12.3 billion" -> 12.3e9); ``raw``: the number as written
    (12.3); ``tolerance``: half a unit of its last written digit (see :meth:`near`);
    ``date``: (year, month, day or None) for dates.
    """

    text: str
    start: int
    end: int
    kind: str
    value: float = 0.0
    raw: float = 0.0
    unit: float = 1.0
    tolerance: float = 0.5
    approximate: bool = False  # written with a scale word: may be truncated, not rounded
    date: tuple | None = None
    digits: str = ""  # significant digits as written ("123" for 12.3 and 1,230)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _significant(text: str) -> str:
    return text.replace(",", "").replace(".", "").lstrip("0").rstrip("0") or "0"


def _tolerance(num: str, unit: float) -> float:
    """Half a unit of the last written digit."""
    places = len(num.split(".", 1)[1]) if "." in num else 0
    return 10.0 ** -places * unit / 2


def chinese_number(text: str) -> float | None:
    """A Chinese numeral as a number: 三千五百 -> 3500, 十二 -> 12, 二〇二三 -> 2023,
    十二点五 -> 12.5; None when it is not one."""
    whole, _, frac = text.partition("点")
    if not whole or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in whole):
        return None
    if all(c in _CN_DIGITS for c in whole) and len(whole) > 1:  # read digit by digit
        value = float("".join(str(_CN_DIGITS[c]) for c in whole))
    else:
        value, digit = 0, None
        for c in whole:
            if c in _CN_DIGITS:
                digit = _CN_DIGITS[c]
            else:
                value += (1 if digit is None else digit) * _CN_UNITS[c]
                digit = None
        value = float(value + (digit or 0))
    if frac:
        if any(c not in _CN_DIGITS for c in frac):
            return None
        value += float("0." + "".join(str(_CN_DIGITS[c]) for c in frac))
    return value


def _dates(text: str) -> list[Figure]:
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            g = m.groupdict()
            month = _MONTHS.get((g.get("mon") or "").lower().rstrip(".")) or int(g.get("m") or 0)
            day = int(g["day"]) if g.get("day") else None
            if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
                continue
            year = int(g["year"])
            out.append(Figure(m.group(0), m.start(), m.end(), "date", raw=year,
                              value=year, date=(year, month, day)))
            taken.append((m.start(), m.end()))
    return out


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < end and start < b for a, b in spans)


def figures(text: str, skip: list[tuple[int, int]] | None = None) -> list[Figure]:
    """The figures of ``text`` in order, dates first claimed; nothing inside the ``skip``
    spans (citation markers, say)."""
    found = _dates(text)
    spans = [(f.start, f.end) for f in found] + list(skip or [])
    for m in _NUMBER.finditer(text):
        if _inside(m.start(), m.end(), spans):
            continue
        num = m.group("num")
        raw = _decimal(num)
        if raw is None:
            continue
        scale_word = (m.group("scale") or "").lower()
        end = m.end()
        if scale_word in _LETTER_SCALES and not m.group("cur"):
            scale_word = ""  # "5 m" is metres as often as millions
            end = m.start("scale")
        unit = _SCALES.get(scale_word, 1.0)
        if not scale_word and m.group("scale"):
            end = m.start("scale")
        pct = bool(m.group("pct"))
        if pct and end < m.end("pct"):
            end = m.end("pct")
        start = m.start()
        shown = text[start:end].rstrip()
        value = float(raw) * unit
        if pct:
            kind = "percent"
        elif (not m.group("cur") and unit == 1.0 and "," not in num and "." not in num
              and 1800 <= value <= 2199 and len(num) == 4):
            kind = "year"
        else:
            kind = "number"
        found.append(Figure(shown, start, start + len(shown), kind, value=value,
                            raw=float(raw), unit=unit,
                            tolerance=_tolerance(num, unit),
                            approximate=bool(scale_word),
                            digits=_significant(num)))
        spans.append((start, start + len(shown)))
    for m in _CN_FIGURE.finditer(text):
        if _inside(m.start(), m.end(), spans):
            continue
        num, scale, cn_unit = m.group("num"), m.group("scale"), m.group("unit")
        has_digit = any(c in _CN_DIGITS for c in num)
        if not has_digit or not (m.group("pct") or scale or cn_unit or len(num) >= 2):
            continue
        raw = chinese_number(num)
        if raw is None:
            continue
        unit = _SCALES.get(scale or "", 1.0)
        if m.group("pct") or cn_unit == "%":
            kind, value = "percent", raw
        elif cn_unit == "年" and not scale and 1800 <= raw <= 2199:
            kind, value = "year", raw
        else:
            kind, value = "number", raw * unit
        arabic = f"{raw:g}"
        end = m.end("scale") if scale else m.end("num")
        if kind == "percent":
            end = m.end()
        found.append(Figure(text[m.start():end], m.start(), end, kind, value=value,
                            raw=raw, unit=unit,
                            tolerance=_tolerance(arabic, unit),
                            approximate=bool(scale),
                            digits=_significant(arabic)))
        spans.append((m.start(), end))
    return sorted(found, key=lambda f: f.start)


def table_scales(text: str) -> set[float]:
    """The units a passage states for its table numbers ("in millions" -> 1e6)."""
    out = set()
    for m in _TABLE_SCALE.finditer(text):
        word = next(g for g in m.groups() if g is not None) if any(m.groups()) else ""
        out.add(_SCALES.get(word.lower(), 1.0))
    return out


def _same_digits(a: Figure, b: Figure) -> bool:
    """Whether the shorter of the two digit strings starts the longer one (12.3 vs
    12,345): the leading digits agree, whatever the magnitude."""
    x, y = sorted((a.digits, b.digits), key=len)
    return bool(x) and y.startswith(x)


def matches(figure: Figure, other: Figure, scales: set[float] = frozenset()) -> bool:
    """Whether ``other`` (found in a source, whose tables state ``scales``) is
    ``figure`` at the precision ``figure`` was written with."""
    if figure.kind == "date":
        if other.kind != "date" or other.date[:2] != figure.date[:2]:
            return False
        return figure.date[2] is None or other.date[2] == figure.date[2]
    if figure.kind == "year":
        return other.raw == figure.raw and other.kind in ("year", "date", "number")
    if figure.kind == "percent":
        return other.kind != "date" and other.unit == 1.0 and near(figure, other.raw)
    if other.kind in ("date", "percent"):
        return False
    if near(figure, other.value):
        return True
    if other.unit != 1.0:
        return False
    # a bare table number: under the passage's own "in millions", or any usual unit when
    # the leading digits agree
    if any(near(figure, other.raw * scale) for scale in scales):
        return True
    return _same_digits(figure, other) and any(near(figure, other.raw * s)
                                               for s in IMPLICIT_SCALES)


def near(figure: Figure, value: float) -> bool:
    """Whether ``value`` written at ``figure``'s precision is ``figure``: rounded to it,
    or -- for figures with a scale word, "$94.8 billion" for 94,862 millions -- cut off
    to it."""
    d = value - figure.value
    tol = figure.tolerance * (1 + 1e-9)
    return -tol <= d <= tol or (figure.approximate and 0 <= d < 2 * figure.tolerance)


def figure_in(figure: Figure, text: str) -> Figure | None:
    """The first figure of ``text`` that is ``figure`` (see :func:`matches`), or None."""
    scales = table_scales(text)
    for other in figures(text):
        if matches(figure, other, scales):
            return other
    return None
