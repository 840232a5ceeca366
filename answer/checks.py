"""Checks of a finished answer against its sources: what a reader should look at twice.

Why: a small model writes "According to source [7], net sales were $12.3 billion" with
six sources shown, none of them number 7 and none containing 12.3.  The answer looks
checkable and is not.  Three checks, for every model, each with the span of the answer
it concerns so every face (chat, terminal, export) can mark it in place:

* **references**: a ``[n]`` with no source n is invalid -- never shown as a citation;
* **figures**: every number, amount, percentage and date (:mod:`answer.figures`) is
  looked for in the sources the sentence cites, then in all cited sources, then in all
  sources given to the model; found, it points at the passage where it occurs;
* **sentences**: each sentence is supported, partly supported or unsupported by its best
  source (the evidence measure of :mod:`answer.citations`); a sentence that only repeats
  the question claims nothing and gets no mark.

Pure functions over text and :class:`answer.citations.Source` lists: no model, no Qt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Sequence

from answer.citations import (Citation, Evidence, Source, cited_numbers, echo_units,
                              is_supported, marker_spans, segment_spans, sentence_text)
from answer.figures import Figure, figure_in, figures

# A sentence whose best source holds at least this IDF-weighted share of its own words
# (but not enough to support it, answer.citations.MIN_OVERLAP) is partly supported.
PARTLY_OVERLAP = 0.25


@dataclass
class InvalidRef:
    """A written source number that matches no source given to the model."""

    n: int
    start: int  # the marker's span in the answer
    end: int


@dataclass
class FigureCheck:
    """One figure of the answer and where the sources have it."""

    text: str
    start: int
    end: int
    kind: str  # number | percent | year | date
    found: bool
    n: int | None = None  # the source it occurs in
    where: str = ""  # "cited": a source the answer cites; "sources": another one given
    source_start: int | None = None  # its span in that source's text
    source_end: int | None = None
    source_text: str = ""  # how the source writes it ("82,959")


@dataclass
class SentenceCheck:
    """How well the best source supports one answer sentence."""

    start: int
    end: int
    support: str  # supported | partly | unsupported
    n: int | None = None  # the best source
    overlap: float = 0.0


@dataclass
class AnswerCheck:
    invalid_refs: list[InvalidRef] = field(default_factory=list)
    figures: list[FigureCheck] = field(default_factory=list)
    sentences: list[SentenceCheck] = field(default_factory=list)

    @property
    def missing_figures(self) -> list[FigureCheck]:
        return [f for f in self.figures if not f.found]

    def count(self, support: str) -> int:
        return sum(1 for s in self.sentences if s.support == support)

    def shifted(self, offset: int) -> "AnswerCheck":
        """The same checks for the answer with ``offset`` characters put in front."""
        def move(x):
            return replace(x, start=x.start + offset, end=x.end + offset)

        return AnswerCheck([move(r) for r in self.invalid_refs],
                           [move(f) for f in self.figures],
                           [move(s) for s in self.sentences])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "AnswerCheck":
        d = d or {}
        return cls([InvalidRef(**r) for r in d.get("invalid_refs", [])],
                   [FigureCheck(**f) for f in d.get("figures", [])],
                   [SentenceCheck(**s) for s in d.get("sentences", [])])


def invalid_refs(answer: str, sources: Sequence[Source]) -> list[InvalidRef]:
    """The written source numbers that match no source (one entry per number and marker)."""
    known = {s.n for s in sources}
    return [InvalidRef(n, a, b) for a, b, nums in marker_spans(answer)
            for n in nums if n not in known]


def _search_order(sentence_nums: list[int], citations: Sequence[Citation],
                  sources: Sequence[Source]) -> list[tuple[Source, str]]:
    """Sources in the order a figure is looked for: those its sentence cites, the other
    cited ones, then every other source given to the model."""
    by_n = {s.n: s for s in sources}
    order: list[tuple[Source, str]] = []
    seen: set[int] = set()
    for n in list(sentence_nums) + [c.n for c in citations]:
        if n in by_n and n not in seen:
            order.append((by_n[n], "cited"))
            seen.add(n)
    order += [(s, "sources") for s in sources if s.n not in seen]
    return order


def check_figure(figure: Figure, order: list[tuple[Source, str]]) -> FigureCheck:
    """Look for ``figure`` in the sources, in ``order``."""
    for source, where in order:
        hit = figure_in(figure, source.text)
        if hit is not None:
            return FigureCheck(figure.text, figure.start, figure.end, figure.kind, True,
                               source.n, where, hit.start, hit.end, hit.text)
    return FigureCheck(figure.text, figure.start, figure.end, figure.kind, False)


def check_sentences(answer: str, sources: Sequence[Source], ignore: Sequence[str] = (),
                    figure_checks: Sequence[FigureCheck] = ()) -> list[SentenceCheck]:
    """Each sentence's support by its best source; sentences that add nothing to
    ``ignore`` (the question, the prompt's wording) are left out.

    A sentence's figures (``figure_checks``) are judged by their own check, not as words
    ("$83.0 billion" shares no word with "82,959", yet it is that figure): a sentence
    whose words are all the question's is as good as its figures; a figure found nowhere
    keeps a sentence from being supported; figures all found lift a partly supported one.
    """
    if not sources:
        return []
    ev, echo = Evidence.of(sources), echo_units(ignore)
    out = []
    for start, end, text, _ in segment_spans(answer):
        own = [f for f in figure_checks if start <= f.start < end]
        words = answer[start:end]
        for f in sorted(own, key=lambda f: -f.start):
            words = words[:f.start - start] + " " + words[f.end - start:]
        support = ev.support(sentence_text(words), echo)
        figures_ok = bool(own) and all(f.found for f in own)
        if not support:
            if own:
                out.append(SentenceCheck(start, end,
                                         "supported" if figures_ok else "unsupported",
                                         own[0].n, 1.0 if figures_ok else 0.0))
            continue
        share, shared, verbatim, s = max(support, key=lambda x: (
            is_supported(*x[:3]), x[2], x[0], -x[3].n))
        if is_supported(share, shared, verbatim):
            level = "supported" if not own or figures_ok else "partly"
        elif share >= PARTLY_OVERLAP and shared >= 1:
            level = "supported" if figures_ok else "partly"
        else:
            level = "unsupported"
        out.append(SentenceCheck(start, end, level, s.n if shared else None,
                                 round(1.0 if verbatim else share, 3)))
    return out


def check_answer(answer: str, sources: Sequence[Source],
                 citations: Sequence[Citation] = (), ignore: Sequence[str] = ()
                 ) -> AnswerCheck:
    """All three checks of ``answer`` (the model's text, without notes Wenji adds)."""
    markers = marker_spans(answer)
    skip = [(a, b) for a, b, _ in markers]
    spans = segment_spans(answer)
    checked = []
    for figure in figures(answer, skip):
        nums = next((n for a, b, _, n in spans if a <= figure.start < b), [])
        checked.append(check_figure(figure, _search_order(nums, citations, sources)))
    return AnswerCheck(invalid_refs(answer, sources), checked,
                       check_sentences(answer, sources, ignore, checked))


# --- the checks written into text (terminal, Markdown export) --------------------------

_MARKS = {
    "plain": ("[{n}?]", "{text} (not in the sources)"),
    "markdown": ("~~[{n}]~~ *(no source {n})*", "**{text}** ⚠ *(not in the sources)*"),
}


def marked_text(answer: str, check: AnswerCheck, style: str = "plain") -> str:
    """``answer`` with its invalid references and the figures found in no source marked
    in place (``style``: "plain" for the terminal, "markdown" for the export)."""
    ref_mark, figure_mark = _MARKS[style]
    edits: dict[tuple[int, int], str] = {}
    for r in check.invalid_refs:
        a, b = r.start, r.end
        if (a, b) in edits:  # "[3, 9]": every number of the marker is invalid
            continue
        bad = [x.n for x in check.invalid_refs if (x.start, x.end) == (a, b)]
        marker = answer[a:b]
        good = [n for n in cited_numbers(marker) if n not in bad]
        kept = f"[{', '.join(map(str, good))}]" if good else ""
        edits[(a, b)] = " ".join([kept] + [ref_mark.format(n=n) for n in bad]).strip()
    for f in check.missing_figures:
        if answer[f.start:f.end] == f.text:
            edits[(f.start, f.end)] = figure_mark.format(text=f.text)
    out = answer
    for (a, b), replacement in sorted(edits.items(), reverse=True):
        out = out[:a] + replacement + out[b:]
    return out


def summary(check: AnswerCheck) -> str:
    """One line for the terminal and the export: what to look at twice."""
    parts = []
    if check.figures:
        found = len(check.figures) - len(check.missing_figures)
        part = f"{found} of {len(check.figures)} figures found in the sources"
        if check.missing_figures:
            part += "; not in the sources: " + ", ".join(f.text for f in check.missing_figures)
        parts.append(part)
    if check.invalid_refs:
        refs = ", ".join(f"[{n}]" for n in dict.fromkeys(r.n for r in check.invalid_refs))
        parts.append(f"no such source: {refs}")
    if check.sentences:
        parts.append(f"sentences: {check.count('supported')} supported, "
                     f"{check.count('partly')} partly, {check.count('unsupported')} unsupported")
    return "Checks: " + "; ".join(parts) + "." if parts else ""
