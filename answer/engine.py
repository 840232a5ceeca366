"""Grounded answers: question (+ recent turns) -> retrieval -> sources that fit the
model's context -> streamed answer -> citations.

    engine = AnswerEngine(retriever, manager, kb_name="default")
    for event in engine.ask("What were Apple's net sales?", history, cancel_event):
        if isinstance(event, Retrieved): show_sources(event.sources)
        elif isinstance(event, TextPiece): append(event.text)
        elif isinstance(event, AnswerDone): show_citations(event.citations)

Why it is built this way:

* **Real token counts.**  Sources are added in rank order while the prompt, measured
  with the loaded model's own tokenizer, still leaves ``max_answer_tokens`` free in its
  context window; a first source too long for the window is cut, never the question.
* **Never an empty context.**  When retrieval finds nothing relevant (no hits, or no hit
  that shares enough of the question's keywords or is close enough in embedding space)
  the model is *not called*: a fixed, honest "not in your documents" message in the
  question's language is returned with the closest passages.  The thresholds were
  calibrated on SEC 10-Q PDFs, FastAPI docs and CMRC 2018 (see ``MIN_COVERAGE``).
* **Follow-ups.**  A short or referring question ("what about 2023?") is searched
  together with the previous user question, so the retriever knows what "it" is.
* **Small base models.**  They get a worked example before the question and, for
  Chinese questions, an answer opener ("根据资料[") that makes them name a source and
  copy from it; their answer is cut where they start listing sources, repeat a sentence or
  begin the next exercise.  A Chinese answer is held back until a source supports it;
  one that no source supports by its end (mostly a restatement of the question) is
  written once more without the opener, and only that one is shown.  Citations are checked against what the answer
  itself says (:func:`models.citations.resolve_citations`), so an echo of the question
  cites nothing and a written number counts only where its source supports the sentence.
* **Cancel.**  The ``threading.Event`` goes to llama.cpp, which stops inside its
  compute; the final event then has ``cancelled=True``.

No Qt here; the GUI runs :meth:`AnswerEngine.ask` in a worker thread.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Iterator, Sequence, Union

from models.citations import (Citation, Source, adds_to, closest_sentence, echo_units,
                              keyword_coverage, resolve_citations)
from models.prompts import (ANSWER_HINT, ANSWER_LABEL, EXAMPLE, EXAMPLE_OPENED, NO_ANSWER,
                            OPENER, QUOTE_NOTE, QUESTION_LABEL, SOURCES_HEADER, SYSTEM,
                            completion_prompt, question_language, source_block,
                            source_label, user_message)
from retrieval.tokenizer import has_cjk, tokenize

log = logging.getLogger(__name__)

# Relevance = IDF-weighted share of the question's keywords found in a passage.
# Calibrated with the bundled embedder: on CMRC 2018 (Chinese), the best of the top 4
# passages scored >= 0.45 for 92 % of 60 questions whose paragraph was indexed, and
# < 0.45 for 82 % of 60 questions whose paragraph was not (same domain: the hard case);
# off-topic questions (cake recipe, World Cup, Everest, in Chinese and English) stayed
# <= 0.43 there and <= 0.25 on SEC 10-Q PDFs + FastAPI docs, where on-topic questions
# scored 0.8-1.0.  English questions may also pass on embedding similarity
# (on-topic 0.57-0.75, off-topic <= 0.21 on the SEC/FastAPI set).
MIN_COVERAGE = 0.45
# ... or, for Chinese, when the question's rarest word (a name such as 当惹雍错, found
# as written) is in the passage and the coverage is at least RARE_TERM_COVERAGE: the
# segmenter splits question and passage differently ("又叫" vs "又名"), which cost a
# CMRC question its answer.  On the CMRC tuning half this passed 59/60 questions whose
# paragraph was indexed (58 before), and no more of 60 whose paragraph was not (8) or of
# 10 off-topic ones.
RARE_TERM_COVERAGE = 0.40
MIN_SIMILARITY = 0.55  # embedding lane; only trusted for non-CJK questions
CLOSEST_SHOWN = 3
HISTORY_CHARS = 400  # each earlier turn is shortened to this in the prompt
SAFETY_TOKENS = 16  # formatting slack between our count and the template's

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
FOLLOW_UP_MAX_TOKENS = 4


# --- events ---------------------------------------------------------------------------

@dataclass
class Retrieved:
    """First event: what was searched and which passages the answer will use."""

    question: str
    retrieval_query: str
    sources: list[Source]  # the numbered sources in the prompt (closest passages if not grounded)
    grounded: bool  # False: "not in your documents", the model will not be called
    language: str


@dataclass
class TextPiece:
    """A piece of the answer text, in order."""

    text: str


@dataclass
class AnswerDone:
    """Last event: the whole answer and what it cites."""

    question: str
    answer: str
    citations: list[Citation]
    sources: list[Source]
    grounded: bool
    language: str
    retrieval_query: str
    cancelled: bool = False
    generated: bool = False  # the model was called
    prompt_tokens: int = 0
    stats: object = None  # models.llm.GenerationStats of the generation, if any
    model: str = ""
    retried: bool = False  # no source supported the first answer; this is the second

    @property
    def inferred(self) -> bool:
        return bool(self.citations) and all(c.inferred for c in self.citations)

    @property
    def quoted(self) -> bool:
        """The model's own answer cited nothing; a source sentence was quoted after it."""
        return any(c.quoted for c in self.citations)


AnswerEvent = Union[Retrieved, TextPiece, AnswerDone]


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str


# --- helpers --------------------------------------------------------------------------

def _as_turns(history: Sequence) -> list[Turn]:
    out = []
    for h in history or ():
        if isinstance(h, Turn):
            out.append(h)
        elif isinstance(h, dict):
            out.append(Turn(h.get("role", "user"), str(h.get("content", ""))))
        else:
            out.append(Turn(getattr(h, "role", "user"), str(getattr(h, "content", ""))))
    return [t for t in out if t.role in ("user", "assistant") and t.content.strip()]


def is_follow_up(question: str) -> bool:
    """Short questions and ones that refer back ("it", "那么") need the previous turn."""
    n = len(tokenize(question))
    return (n <= FOLLOW_UP_MAX_TOKENS or bool(_FOLLOW_START.search(question))
            or (n <= REFERS_BACK_MAX_TOKENS and bool(_REFERS_BACK.search(question))))


def retrieval_query(question: str, history: Sequence) -> str:
    """The text to search for: the question, preceded by the previous user question when
    this one is a follow-up."""
    question = question.strip()
    previous = [t.content.strip() for t in _as_turns(history) if t.role == "user"]
    if previous and is_follow_up(question):
        return f"{previous[-1]} {question}"
    return question




def _rarest_chinese_term(terms: set[str], weights: dict[str, float] | None) -> str:
    """The question's highest-IDF term if it is a Chinese word of two or more
    characters (a name, usually); "" otherwise or without weights."""
    if not terms or not weights:
        return ""
    rare = max(sorted(terms), key=lambda t: (weights.get(t, 1.0), len(t)))
    return rare if len(rare) >= 2 and has_cjk(rare) else ""


def _dense_trust(query: str) -> float:
    from retrieval.fusion import dense_trust

    return dense_trust(query, False)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


# --- the engine -----------------------------------------------------------------------

@dataclass
class AnswerEngine:
    """Answers questions from one knowledge base with the currently loaded model.

    ``retriever``: a :class:`retrieval.retriever.Retriever`; ``models``: a
    :class:`models.llm.ModelManager` with a model loaded.  ``max_context_tokens`` caps
    the sources' share of the prompt (None: whatever the window allows) -- useful on
    slow machines, where every prompt token costs time.
    """

    retriever: object
    models: object
    kb_name: str | None = None
    top_k: int = 6
    max_answer_tokens: int = 256
    max_context_tokens: int | None = None
    history_turns: int = 2  # earlier question/answer pairs shown to the model
    min_coverage: float = MIN_COVERAGE
    min_similarity: float = MIN_SIMILARITY
    sampling: dict = field(default_factory=dict)  # temperature, top_p, ... for stream()
    few_shot: bool = True  # base models: a worked example before the question
    # base models: the answer's first words, per language (see models.prompts.OPENER);
    # None or an empty dict: the model starts the answer itself.  Chinese only: measured
    # on CMRC 2018; in English ("According to source [") the bundled model copied the
    # worked example's answer for an Apple 10-Q question
    opener: dict | None = field(default_factory=lambda: {"zh": OPENER["zh"]})
    # base models, Chinese questions: an answer no source supports (mostly a restatement
    # of the question) is held back and written once more without the opener
    echo_retry: bool = True
    # base models: sources listed from last to first, so the best-ranked [1] stands next
    # to the question (where a base model's attention, and its opener's number, go).
    # None: for Chinese questions only -- measured on CMRC 2018 (gold paragraph cited
    # 88 -> 98 % on the tuning half, 78 -> 90 % held out); English is unmeasured
    best_source_last: bool | None = None
    # an answer no source supports gets the source sentence closest to the question
    # quoted after it (models.prompts.QUOTE_NOTE), so there is always something to check
    quote_when_uncited: bool = True

    # --- retrieval and relevance -----------------------------------------------------

    def find_sources(self, query: str, lang: str, kb_name: str | None = None
                     ) -> tuple[list[Source], bool]:
        """Retrieved passages as numbered sources, and whether any of them is relevant.

        Raises :class:`retrieval.retriever.RetrievalError` (unknown or empty knowledge
        base, empty question) with a message for the user.
        """
        hits = self.retriever.search(query, kb_name=kb_name or self.kb_name, k=self.top_k)
        qtoks = set(tokenize(query))
        weights = self.term_weights(qtoks, kb_name or self.kb_name)
        trust = _dense_trust(query)
        rare = _rarest_chinese_term(qtoks, weights)
        sources, grounded = [], False
        for i, h in enumerate(hits):
            passage = f"{h.title} {h.heading or ''} {h.text}"
            cov = keyword_coverage(qtoks, passage, weights)
            sim = None if h.dense_distance is None else 1.0 - h.dense_distance
            if cov >= self.min_coverage or (rare and rare in passage
                                            and cov >= RARE_TERM_COVERAGE) \
                    or (trust >= 0.5 and sim is not None and sim >= self.min_similarity):
                grounded = True
            sources.append(Source(
                n=i + 1, chunk_id=h.chunk_id, doc_id=h.doc_id, path=h.path, title=h.title,
                page=h.page, heading=h.heading, start=h.start, end=h.end, text=h.text,
                label=source_label(h.title, h.path, h.page, h.heading, lang),
                score=round(float(h.score), 4), coverage=round(cov, 3),
                explanation=_explanation(h)))
        return sources, grounded

    def term_weights(self, terms: set[str], kb_name: str | None) -> dict[str, float] | None:
        """BM25 IDF of each query term in the knowledge base's keyword index; a term the
        documents never use gets the highest weight (its absence matters most).  None if
        the index cannot be read (plain coverage is used then)."""
        try:
            from ingest.library import DEFAULT_KB
            from retrieval.keyword import idf

            kb = self.retriever.library.catalog.kb(kb_name or DEFAULT_KB)
            index = self.retriever.keyword_index(kb)
            with index.lock:
                n = max(1, index.total_rows())
                df = index.doc_freqs(sorted(terms), n)
            return {t: idf(df.get(t, 0), n) for t in terms}
        except Exception as exc:  # an index of another version, a closed library, ...
            log.warning("keyword weights unavailable, using plain coverage: %s", exc)
            return None

    # --- prompt --------------------------------------------------------------------

    def _messages(self, question: str, lang: str, history: list[Turn],
                  sources: list[Source]) -> list[dict]:
        msgs = [{"role": "system", "content": SYSTEM[lang]}]
        for t in history:
            msgs.append({"role": t.role, "content": _shorten(t.content, HISTORY_CHARS)})
        blocks = [source_block(s.n, s.label, s.text) for s in sources]
        last = lang == "zh" if self.best_source_last is None else self.best_source_last
        if last and self._base_model():
            blocks.reverse()  # [1] (best ranked) right above the question
        msgs.append({"role": "user", "content": user_message(question, blocks, lang)})
        return msgs

    def _base_model(self) -> bool:
        model = self.models.model
        return model is not None and not model.chat_template

    def _opener(self, lang: str) -> str:
        """The words the answer starts with ("" for models with a chat template)."""
        return (self.opener or {}).get(lang, "") if self._base_model() else ""

    def _request(self, messages: list[dict], lang: str, opener: str | None = None):
        """Chat messages for models with a chat template; for base models one
        reading-comprehension text (:func:`models.prompts.completion_prompt`) that ends
        with the answer's opener."""
        if not self._base_model():
            return messages
        return completion_prompt(messages, lang, example=self.few_shot,
                                 opener=self._opener(lang) if opener is None else opener)

    def _prompt_tokens(self, messages: list[dict]) -> int:
        model = self.models.model
        lang = "zh" if messages and messages[0].get("content") == SYSTEM["zh"] else "en"
        return len(model.prompt_tokens(self._request(messages, lang))[0])

    def fit_sources(self, question: str, lang: str, history: list[Turn],
                    sources: list[Source]) -> tuple[list[Source], list[Turn], int]:
        """The sources (renumbered 1..n) and history turns that fit the loaded model's
        window with ``max_answer_tokens`` to spare; and the prompt's token count."""
        model = self.models.model
        if model is None:
            from models.llm import GenerationError

            raise GenerationError("no chat model is loaded")
        limit = model.n_ctx - self.max_answer_tokens - SAFETY_TOKENS
        history = history[-2 * self.history_turns:] if self.history_turns > 0 else []
        while history and self._prompt_tokens(
                self._messages(question, lang, history, sources[:1])) > limit:
            history = history[2:] if len(history) > 1 else []
        base = self._prompt_tokens(self._messages(question, lang, history, []))
        room = limit - base
        if self.max_context_tokens is not None:
            room = min(room, self.max_context_tokens)
        chosen: list[Source] = []
        for s in sources:
            n = len(chosen) + 1
            cost = model.count_tokens(source_block(n, s.label, s.text) + "\n\n") + 1
            if cost <= room:
                chosen.append(_renumbered(s, n))
                room -= cost
            elif not chosen and room > 32:
                chosen.append(_renumbered(s, n, text=self._cut(s, n, room)))
                break
            else:
                break
        # The real count, with the template: drop sources until it fits.
        total = self._prompt_tokens(self._messages(question, lang, history, chosen))
        while len(chosen) > 1 and total > limit:
            chosen.pop()
            total = self._prompt_tokens(self._messages(question, lang, history, chosen))
        if total > limit:
            from models.llm import GenerationError

            raise GenerationError(
                f"the question does not fit the model's {model.n_ctx}-token context with "
                f"{self.max_answer_tokens} tokens left for the answer; shorten it or load "
                "the model with a longer context")
        return chosen, history, total

    def _cut(self, s: Source, n: int, room: int) -> str:
        """The longest prefix of ``s.text`` whose block fits ``room`` tokens."""
        model = self.models.model
        lo, hi = 0, len(s.text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if model.count_tokens(source_block(n, s.label, s.text[:mid]) + "\n\n") + 1 <= room:
                lo = mid
            else:
                hi = mid - 1
        return s.text[:lo]

    # --- asking --------------------------------------------------------------------

    def ask(self, question: str, history: Sequence = (),
            cancel_event: threading.Event | None = None,
            kb_name: str | None = None) -> Iterator[AnswerEvent]:
        """Stream the answer to ``question``: :class:`Retrieved`, :class:`TextPiece`\\ s,
        then :class:`AnswerDone`.  ``history``: earlier turns, oldest first (dicts with
        ``role`` and ``content``, or :class:`Turn`\\ s)."""
        question = (question or "").strip()
        lang = question_language(question)
        turns = _as_turns(history)
        query = retrieval_query(question, turns)
        sources, grounded = self.find_sources(query, lang, kb_name)
        if not grounded:
            closest = sources[:CLOSEST_SHOWN]
            yield Retrieved(question, query, closest, False, lang)
            message = NO_ANSWER[lang]
            yield TextPiece(message)
            yield AnswerDone(question, message, [], closest, False, lang, query)
            return
        used, turns, n_prompt = self.fit_sources(question, lang, turns, sources)
        yield Retrieved(question, query, used, True, lang)
        messages = self._messages(question, lang, turns, used)
        loaded = self.models.loaded
        opener = self._opener(lang)
        ignore = [question, SYSTEM[lang], ANSWER_HINT[lang], EXAMPLE[lang],
                  EXAMPLE_OPENED[lang], opener]
        retry = self.echo_retry and lang == "zh" and bool(opener)
        if retry:
            # hold the answer back until a source supports it; if none does by the end
            # (mostly a restatement of the question), write it once more without the
            # opener -- the user sees only the second answer
            echo = echo_units(ignore)

            def supported(t: str) -> bool:
                return adds_to(t, echo) and bool(resolve_citations(t, used, ignore))

            text, sent = yield from self._attempt(messages, lang, opener, 0, cancel_event,
                                                  hold=supported)
            retried = not self._cancelled(cancel_event) and not supported(text)
            if retried:
                text, sent = yield from self._attempt(messages, lang, "", 0, cancel_event)
        else:
            if opener:
                yield TextPiece(opener)  # the answer's fixed first words, shown at once
            text, sent = yield from self._attempt(messages, lang, opener, len(opener),
                                                  cancel_event)
            retried = False
        if len(text) > sent:
            yield TextPiece(text[sent:])
        answer = text.strip()
        stats = self.models.last_stats
        citations = resolve_citations(answer, used, ignore) if answer else []
        if not citations and self.quote_when_uncited and not self._cancelled(cancel_event):
            quote = closest_sentence(question, used)
            if quote is not None:
                note = QUOTE_NOTE[lang].format(quote=quote.sentence, n=quote.n)
                yield TextPiece(note if answer else note.lstrip())
                answer = (answer + note).strip()
                citations = [quote]
        yield AnswerDone(question, answer, citations, used, True, lang, query,
                         cancelled=self._cancelled(cancel_event), generated=True,
                         prompt_tokens=n_prompt, stats=stats,
                         model=loaded.name if loaded else "", retried=retried)

    def _cancelled(self, cancel_event: threading.Event | None) -> bool:
        stats = self.models.last_stats
        return bool(cancel_event is not None and cancel_event.is_set()) or \
            getattr(stats, "stop_reason", "") == "cancelled"

    def _attempt(self, messages: list[dict], lang: str, prefix: str, sent: int,
                 cancel_event: threading.Event | None, hold=None):
        """Generate the answer after ``prefix`` (the opener, for base models; "" for
        none), yielding :class:`TextPiece`\\ s of what lies beyond ``sent`` characters;
        returns the text and how much of it was shown.  With ``hold`` (a test of the
        text so far), nothing is shown until the test passes, so an answer no source
        supports can be replaced without the user having seen it.  The rest of the text
        is the caller's to show."""
        # a new question, answer or source list: the model is writing a new exercise
        stops = ["\nQuestion:", "\n问题：", "\nSources:", "\n资料：", "\nAnswer:", "\n回答：",
                 "\n" + ANSWER_HINT[lang][:8]]  # (base models restart the exercise)
        stream = self.models.stream(self._request(messages, lang, prefix), cancel_event,
                                    max_tokens=self.max_answer_tokens, stop=stops,
                                    **self.sampling)
        text = prefix
        try:
            for piece in stream:
                text += piece
                cut = _echo_start(text)
                if cut is None:
                    cut = _repeat_start(text)
                if cut is None:
                    cut = _restart_start(text, lang)
                if cut is not None:  # listing sources again, or repeating itself: stop here
                    text = text[:max(cut, sent)]
                    break
                if hold is not None:
                    if not hold(text):
                        continue
                    hold = None
                safe = min(_safe_end(text), _label_tail(text, lang))
                if safe > sent:
                    yield TextPiece(text[sent:safe])
                    sent = safe
        finally:
            stream.close()  # ends generation (and frees the model) if we stopped early
        return text[:max(sent, _label_tail(text, lang))], sent

    def answer(self, question: str, history: Sequence = (),
               cancel_event: threading.Event | None = None,
               kb_name: str | None = None) -> AnswerDone:
        """The final event only (for scripts and benchmarks)."""
        done = None
        for event in self.ask(question, history, cancel_event, kb_name):
            if isinstance(event, AnswerDone):
                done = event
        return done


# A new line starting with "[n]" after some answer text: a base model continuing the
# numbered source list it was shown, not answering.  Cited numbers inside a sentence
# ("... record revenue [2].") are not at a line start and are kept.
_ECHO = re.compile(r"\n[ \t]*[\[【]\d{1,3}[\]】]")
_ECHO_PREFIX = re.compile(r"\n[ \t]*(?:[\[【]\d{0,3})?$")


def _explanation(h) -> dict:
    """The retrieval facts the sources panel shows next to a passage."""
    return {"keyword_rank": h.keyword_rank,
            "keyword_score": None if h.keyword_score is None else round(h.keyword_score, 3),
            "dense_rank": h.dense_rank,
            "dense_distance": None if h.dense_distance is None else round(h.dense_distance, 4),
            "fused_score": round(float(h.fused_score), 4), "matched": list(h.matched)}


def _echo_start(text: str) -> int | None:
    for m in _ECHO.finditer(text):
        if text[:m.start()].strip():
            return m.start()
    return None


_PIECE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)(?=\s)|\n")
_ANSWER_LABEL = re.compile(r"^\s*(答案?[：:]|回答[：:]|answer:)\s*", re.IGNORECASE)
MIN_REPEAT_CHARS = 4


def _repeat_start(text: str) -> int | None:
    """Where a finished sentence or line repeats an earlier one (a small model looping:
    "答： 罗店镇…？\n\n答： 罗店镇…？"); None if nothing repeats.  A leading "答：" /
    "Answer:" is ignored in the comparison."""
    seen: set[str] = set()
    start = 0
    for m in _PIECE_END.finditer(text):  # the unfinished last piece is not compared
        piece, begin, start = text[start:m.start()], start, m.end()
        key = _ANSWER_LABEL.sub("", piece).strip()
        if len(key) < MIN_REPEAT_CHARS:
            continue
        if key in seen:
            return begin if text[:begin].strip() else None
        seen.add(key)
    return None


def _restart_start(text: str, lang: str) -> int | None:
    """Where a base model starts the next exercise with the prompt's instruction line
    (seen on CMRC 2018 with the worked example: "…科。\n\n请根据资料回答，…"; the stop
    string alone did not always catch it)."""
    i = text.find("\n" + ANSWER_HINT[lang][:6])
    return i if i >= 0 and text[:i].strip() else None


def _label_tail(text: str, lang: str) -> int:
    """Where a last line that begins the prompt's instruction or one of its labels starts
    ("…为主。\n\n请根据资料" when the length limit cut the next exercise short); the
    text's length if there is none."""
    i = text.rfind("\n")
    tail = text[i + 1:].strip()
    if i < 0 or not tail or not text[:i].strip():
        return len(text)
    words = (ANSWER_HINT[lang], QUESTION_LABEL[lang], SOURCES_HEADER[lang], ANSWER_LABEL[lang])
    return i if any(w.lower().startswith(tail.lower()) for w in words) else len(text)


def _safe_end(text: str) -> int:
    """How much of ``text`` can be shown: all but a tail that may become an echo."""
    m = _ECHO_PREFIX.search(text)
    return m.start() if m and text[:m.start()].strip() else len(text)


def _renumbered(s: Source, n: int, text: str | None = None) -> Source:
    from dataclasses import replace

    if text is None:
        return replace(s, n=n)
    return replace(s, n=n, text=text, end=s.start + len(text))
