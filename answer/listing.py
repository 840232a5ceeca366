"""Every mention of one kind of thing in a document ("list every deadline in this
contract", "列出所有的截止日期"), each with its page.

Why the document's own sentences and not a model's list: "every" is a promise a small
model cannot keep -- it misses items in a long section and invents others -- and a person
who asks for every deadline checks them one by one.  So the document is read page by
page, each sentence that mentions the thing is kept as written, grouped by the section it
stands in and cited by its page.  It is the same for every model, the bundled base model
included, and takes well under a second for a 50-page filing.

What "mentions" means: the sentence holds a word of the request (stemmed and jieba-cut,
as the keyword index reads both), or, for the kinds people ask for most -- deadlines,
dates, amounts, percentages -- what such a mention looks like: a deadline is a date or a
period ("within 30 days", "30日内") next to a word that sets a limit ("due", "no later
than", "expires", "截止", "届满"), never "due to".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from answer.citations import Source
from answer.figures import figures
from answer.sections import (joined_pages, page_sentences, section_key, section_lines,
                             table_of_contents)
from ingest.analyzer import tokenize

MAX_ITEMS = 200  # a list longer than this is cut, and says so
ITEM_CHARS = 320  # a longer sentence (a table row run-on) is shown around its match

# the kinds people ask for most, by how they are written
KINDS = {
    "deadline": {"en": ("deadline", "due date", "due", "time limit", "expir", "cutoff",
                        "cut-off"),
                 "zh": ("截止", "期限", "到期", "最迟", "时限", "届满")},
    "date": {"en": ("date", "day", "when"), "zh": ("日期", "时间", "日子")},
    "amount": {"en": ("amount", "figure", "number", "sum", "dollar", "payment", "price",
                      "fee", "cost"),
               "zh": ("金额", "数字", "数额", "数据", "费用", "价格", "款项")},
    "percentage": {"en": ("percent", "percentage", "rate"), "zh": ("百分比", "比例", "比率")},
}
# a limit is set by one of these words right before a date or a period ("due 2025",
# "no later than March 31, 2024", "expiring in fiscal 2035") ...
_LIMIT_BEFORE = re.compile(
    r"\b(?:due(?!\s+(?:\w+ly\s+)?(?:in part\s+)?to\b)|deadline(?:\s+(?:is|of|for))?|"
    r"no later than|not later than|on or before|by|until|expir\w*|matur\w*|effective through)"
    r"(?:\s+(?:on|in|at|between|from|the end of|fiscal(?: years?)?|calendar(?: years?)?|"
    r"\w+day,?)){0,3}\s*$"
    r"|(?:截止日期|截止时间|最迟|不晚于|到期日?为?|期限为?)(?:到|至|于|是|为)?\s*$", re.I)
# ... or, in Chinese, right after it ("2024年3月31日前", "到期")
_LIMIT_AFTER = re.compile(r"^\s*(?:之前|以前|前|为止|止|截止|到期|届满)")
_PERIOD = re.compile(
    r"\b(?:within|no later than|not later than|no more than)\s+(?:\w+\s+)?\(?\d*\)?\s*"
    r"(?:business\s+|calendar\s+)?(?:days?|weeks?|months?|years?)\b|"
    r"[\d一二三四五六七八九十百]+\s*个?(?:工作日|日|天|周|月|年)[内以之](?!到期的|的)", re.I)
HEADINGS = {"en": ("{n} mentions of “{thing}” in {doc}",
                   "Nothing in {doc} mentions “{thing}” ({parts} read).",
                   "… and {more} more (the first {shown} are shown).",
                   "{n} pages", "{n} sections"),
            "zh": ("{doc} 中提到“{thing}”的地方共 {n} 处",
                   "{doc} 中没有提到“{thing}”的句子（已读 {parts}）。",
                   "……另有 {more} 处（只列出前 {shown} 处）。", "{n} 页", "{n} 节")}
_AMOUNT = re.compile(r"[$€£¥]\s?\d|\d\s?(?:元|美元|万元|亿元)|\b(?:USD|EUR|RMB)\s?\d")


def kind_of(thing: str) -> str | None:
    """Which of :data:`KINDS` a request names ("payment deadlines" -> "deadline")."""
    low = thing.lower()
    for kind, words in KINDS.items():  # in order: "due dates" is a deadline, not a date
        if any(re.search(rf"(?<![a-z]){re.escape(w)}", low) for w in words["en"]) or \
                any(w in low for w in words["zh"]):
            return kind
    return None


def _deadline_at(sentence: str) -> int | None:
    """Where ``sentence`` sets a time limit: a date or year with a limiting word right
    before or (Chinese) right after it, or a period ("within 30 days"); None if nowhere."""
    for f in figures(sentence):
        if f.kind in ("date", "year") and (
                _LIMIT_BEFORE.search(sentence[max(0, f.start - 40):f.start])
                or _LIMIT_AFTER.match(sentence[f.end:f.end + 4])):
            return f.start
    m = _PERIOD.search(sentence)
    return m.start() if m else None


def _mention_at(sentence: str, kind: str | None, words: set[str]) -> int | None:
    """Where in ``sentence`` the thing is mentioned, or None."""
    if kind == "deadline":
        return _deadline_at(sentence)
    if kind in ("date", "percentage"):
        wanted = "date" if kind == "date" else "percent"
        return next((f.start for f in figures(sentence) if f.kind == wanted), None)
    if kind == "amount":
        m = _AMOUNT.search(sentence)
        return m.start() if m else None
    said = set(tokenize(sentence))
    if not words or not words <= said or said <= words:  # all its words, and more
        return None  # (a line of just them is a heading)
    lower = sentence.lower()
    spots = [lower.find(w) for w in words if lower.find(w) >= 0]
    return min(spots) if spots else 0


def _clip(sentence: str, at: int) -> str:
    """The sentence on one line; a run-on (a table read as one line) cut around ``at``,
    where the mention is."""
    head = " ".join(sentence[:at].split())
    flat = " ".join(sentence.split())
    if len(flat) <= ITEM_CHARS:
        return flat
    start = max(0, len(head) - ITEM_CHARS // 3)
    end = start + ITEM_CHARS
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")


@dataclass
class Item:
    text: str
    section: str
    source: int  # the [n] of its page


@dataclass
class Listing:
    """``text``: Markdown with ``[n]`` citing ``sources`` (one per page listed)."""

    path: str
    thing: str
    kind: str | None
    items: list[Item]
    sources: list[Source]
    text: str
    pages_read: int = 0  # pages read (sections, for a document without pages)
    paged: bool = True
    more: int = 0  # found beyond MAX_ITEMS


def list_mentions(document, chunks: Sequence, thing: str, lang: str = "en",
                  title: str | None = None, first: int = 1) -> Listing:
    """Every sentence of ``document`` (from its ``chunks``, in reading order) that
    mentions ``thing``, grouped by section and cited by page (sources numbered from
    ``first``)."""
    kind = kind_of(thing)
    words = {w for w in tokenize(thing) if len(w) > 1}
    pieces = joined_pages(chunks)
    title = title or Path(document.path).name
    sources: dict[tuple, Source] = {}
    items: list[Item] = []
    seen: set[str] = set()
    more = 0
    running = ""  # the section the reading is in (filings: the last "Item n." line)
    keys_seen: set[str] = set()
    part = ""  # filings number their Items again in each PART
    for piece in pieces:
        if table_of_contents(piece.text):  # its lines name sections, they mention nothing
            continue
        opens = section_lines(piece.text) if not piece.heading else []
        cuts = list(opens)
        for at, sentence in page_sentences(piece.text, cuts, ITEM_CHARS):
            hit = _mention_at(sentence, kind, words)
            while opens and opens[0][0] <= at + (hit or len(sentence)):
                line = opens.pop(0)[1]
                key = section_key(line)
                if key.startswith("part"):
                    part = key
                key = key if key.startswith("part") else f"{part} {key}"
                if key not in keys_seen:  # not a running header ("PART I" atop pages)
                    keys_seen.add(key)
                    running = line
            if hit is None or any(at == a for a, _ in cuts):  # a section line: its title
                continue
            text = _clip(sentence, hit)
            if text in seen:  # a running header, a note repeated on every page
                continue
            seen.add(text)
            if len(items) >= MAX_ITEMS:
                more += 1
                continue
            where = piece.heading or running
            key = (piece.page, piece.heading)
            if key not in sources:
                sources[key] = _source(document, title, piece, where, first + len(sources))
            items.append(Item(text, where, sources[key].n))
    listing = Listing(document.path, thing, kind, items, list(sources.values()), "",
                      pages_read=len(pieces), more=more,
                      paged=any(p.page is not None for p in pieces))
    listing.text = render(listing, title, lang)
    return listing


def _source(document, title: str, piece, where: str, n: int) -> Source:
    page = f"p. {piece.label or piece.page}" if piece.page is not None else ""
    label = ", ".join(x for x in (title, where, page) if x)
    return Source(n=n, chunk_id="", doc_id=document.id, path=document.path, title=title,
                  page=piece.page, heading=where or None, start=0, end=len(piece.text),
                  text=piece.text, label=label, page_label=piece.label)


def render(listing: Listing, title: str, lang: str) -> str:
    """The list as Markdown: a line saying how many, then each section's items, each
    cited by its page."""
    found, none, cut, pages, parts = HEADINGS[lang]
    if not listing.items:
        read = (pages if listing.paged else parts).format(n=listing.pages_read)
        return none.format(doc=title, thing=listing.thing, parts=read)
    n = len(listing.items) + listing.more
    lines = [f"**{found.format(n=n, thing=listing.thing, doc=title)}**"]
    current = None
    for item in listing.items:
        if item.section != current:
            current = item.section
            if current:
                lines += ["", f"*{current}*"]
        lines.append(f"- {item.text} [{item.source}]")
    if listing.more:
        lines += ["", cut.format(more=listing.more, shown=len(listing.items))]
    return "\n".join(lines)
