"""Documents a question names: "in Amazon's Q2 2023 10-Q", "the latest report".

People ask about one document of a library of look-alikes (ten quarterly filings, five
versions of a contract), and nothing in a passage says which document it belongs to.
Each document gets a *profile*: the words of its file name and title, and the name-like
words of its first passages (capitalised words, numbers and Chinese words: a cover page
names the company and the period, while its lower-case boilerplate such as "if changed
since last report" says nothing about which document it is).  A question's words that occur
in few profiles, and in the text of at most half of the documents, are names (a word of
every document's body, "period" on one cover page, names nothing); the documents whose profiles hold the most of them (by IDF
over the profiles) are the ones it names.  Quarter phrases ("second quarter", "第二季度")
count as the file-name word "q2".  "latest / most recent / newest / 最新" picks the newest
of the named documents (or of all, if none is named), by the period in the file name or
the latest date on the first passages.

Only documents that are files take part (corpus records of an evaluation set are not
named by anyone), and nothing is named when every document matches equally or the match
is weak: then the search runs over the whole library as before.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from ingest.analyzer import tokenize

# How many leading passages of a document describe it (a PDF's cover page, a note's
# opening paragraph).
PROFILE_CHUNKS = 2
# The least IDF mass (sum over the question's name words a document holds) that names
# documents: one word held by about a third of the documents, or more words.
MIN_NAME_WEIGHT = 1.0
# Documents within this share of the best score are named too: a question may name two
# companies whose names are not equally rare ("compare Apple and Amazon in Q1 2023"),
# while a document holding only part of the names ("Amazon" but not "Q2") stays out.
NEAR_BEST = 0.75

_QUARTERS = {
    "q1": r"first quarter|1st quarter|quarter one|第一季度|一季度|一季报",
    "q2": r"second quarter|2nd quarter|quarter two|第二季度|二季度",
    "q3": r"third quarter|3rd quarter|quarter three|第三季度|三季度|三季报",
    "q4": r"fourth quarter|4th quarter|quarter four|第四季度|四季度",
}
_QUARTER_PATTERNS = {q: re.compile(p, re.I) for q, p in _QUARTERS.items()}
_LATEST = re.compile(r"\b(latest|most recent|newest)\b|最新|最近一期", re.I)
_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
_PERIOD = re.compile(r"(20\d\d|19\d\d)\W{0,3}q([1-4])|q([1-4])\W{0,3}(20\d\d|19\d\d)", re.I)
_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november "
    "december".split())}
_EN_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),?\s+((?:19|20)\d\d)\b", re.I)
_NAME_LIKE = re.compile(r"\b[A-Z][\w&'.-]*|\b\w*\d\w*|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LETTER_WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
_ZH_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?")


@dataclass
class Profile:
    doc_id: int
    path: str
    words: set[str]
    when: tuple  # sortable: (year, quarter or month, day), () when unknown
    # the same name-like words as written (lower case, not stemmed): what a question in
    # another language is matched against (answer.cross_language)
    names: set[str] = field(default_factory=set)


@dataclass
class Named:
    """The documents a question names, and why (for the explanation and the window)."""

    doc_ids: list[int]
    paths: list[str]
    words: list[str]  # the question's name words that chose them
    latest: bool = False  # "latest" narrowed them to the newest

    @property
    def names(self) -> list[str]:
        return [Path(p).name for p in self.paths]


def question_words(question: str) -> set[str]:
    """The question's analyzer tokens plus the quarter it mentions in words."""
    words = set(tokenize(question))
    for q, pattern in _QUARTER_PATTERNS.items():
        if pattern.search(question):
            words.add(q)
    return words


def document_period(path: str, opening: str) -> tuple:
    """When a document is from: the period in its file name ("2023 Q2", else a lone year
    "contract-2023"), else the latest date on its first passages, else unknown."""
    stem = Path(path).stem
    m = _PERIOD.search(stem)
    if m:
        year, quarter = (m[1], m[2]) if m[1] else (m[4], m[3])
        return (int(year), 3 * int(quarter), 31)
    years = set(_YEAR.findall(stem))
    if len(years) == 1:
        return (int(years.pop()), 12, 31)
    dates = []
    for m in _EN_DATE.finditer(opening):
        dates.append((int(m[3]), _MONTHS[m[1].lower()], int(m[2])))
    for m in _ZH_DATE.finditer(opening):
        dates.append((int(m[1]), int(m[2]), int(m[3] or 1)))
    valid = [d for d in dates if 1 <= d[1] <= 12 and 1 <= d[2] <= 31
             and date(*d[:2], 1) <= date.today()]
    return max(valid) if valid else ()


def build_profiles(documents: dict[int, tuple[str, str]], openings: dict[int, str]
                   ) -> list[Profile]:
    """Profiles of the file documents: ``documents`` is id -> (path, title), ``openings``
    id -> the text of the first passages."""
    profiles = []
    for doc_id, (path, title) in documents.items():
        if not Path(path).is_absolute():
            continue  # a corpus record, not a file someone would name
        opening = openings.get(doc_id, "")
        stem = Path(path).stem
        named_in_opening = " ".join(_NAME_LIKE.findall(opening))
        words = set(tokenize(f"{stem} {title if title != path else ''} {named_in_opening}"))
        words |= {f"q{m[2] or m[3]}" for m in _PERIOD.finditer(stem)}
        written = f"{stem} {title if title != path else ''} {named_in_opening}"
        names = {w.lower() for w in _LETTER_WORD.findall(written)}
        profiles.append(Profile(doc_id, path, words, document_period(path, opening), names))
    return profiles


def resolve(question: str, profiles: list[Profile],
            documents_with: Callable[[str], int] | None = None) -> Named | None:
    """The documents ``question`` names among ``profiles``, or None.  ``documents_with``
    counts the documents whose text holds a word (all of a document, not its profile)."""
    if len(profiles) < 2:
        return None
    words = question_words(question)
    n = len(profiles)
    df = {w: sum(1 for p in profiles if w in p.words) for w in words}
    names = {w: math.log(n / df[w]) for w in words if 0 < df[w] <= n / 2}
    if documents_with is not None:  # quarters are named by file names, and said in texts
        names = {w: weight for w, weight in names.items()
                 if w in _QUARTERS or documents_with(w) <= n / 2}
    scores = {p.doc_id: sum(weight for w, weight in names.items() if w in p.words)
              for p in profiles}
    best = max(scores.values(), default=0.0)
    latest = bool(_LATEST.search(question))
    if best >= MIN_NAME_WEIGHT:
        chosen = [p for p in profiles if scores[p.doc_id] >= NEAR_BEST * best]
    elif latest:
        chosen = list(profiles)
    else:
        return None
    years = {int(y) for y in _YEAR.findall(question)}
    of_year = [p for p in chosen if p.when and p.when[0] in years]
    if of_year:  # "Q3 2023": the year is on every cover page, but only some periods match
        chosen = of_year
    if latest:
        dated = [p for p in chosen if p.when]
        if dated:
            newest = max(p.when for p in dated)
            chosen = [p for p in dated if p.when == newest]
    if len(chosen) == n:
        return None  # every document matches alike: nothing is named
    used = sorted(w for w in names if any(w in p.words for p in chosen))
    return Named([p.doc_id for p in chosen], [p.path for p in chosen], used,
                 latest=latest)
