"""Grounded answers: question (+ recent turns) -> retrieval -> sources that fit the
model's context -> streamed answer -> citations.

    engine = AnswerEngine.for_loaded_model(retriever, manager, kb_name="default")
    for event in engine.ask("What were Apple's net sales?", history, cancel_event):
        if isinstance(event, Retrieved): show_sources(event.sources)
        elif isinstance(event, TextPiece): append(event.text)
        elif isinstance(event, AnswerDone): show_citations(event.citations)

The engine only puts the steps in order; each step's rule lives in a module of its own:
what a follow-up searches for (:mod:`answer.followups`), whether anything retrieved is
relevant enough to answer from (:mod:`answer.grounding`: if not, the model is *not
called* and a fixed, honest "not in your documents" message in the question's language
comes with the closest passages), how many sources fit the window by real token counts
(:mod:`answer.source_fitting`), the prompt's wording (:mod:`answer.prompts`), where a
small model's streamed answer stops being an answer (:mod:`answer.stream_guards`) and
what the answer cites (:mod:`answer.citations`).

What the engine itself decides:

* **The loaded model's settings.**  :meth:`AnswerEngine.for_loaded_model` takes the
  model's saved ``max_tokens`` as the answer's length and its ``system_prompt`` as the
  instructions (:func:`answer.prompts.system_message` keeps the source and citation
  rules in front of them).
* **Small base models.**  They get a worked example before the question and, for
  Chinese questions, an answer opener ("根据资料[") that makes them name a source and
  copy from it.  A Chinese answer is held back until a source supports it; one that no
  source supports by its end (mostly a restatement of the question) is written once
  more without the opener, and only that one is shown.  Citations are checked against
  what the answer itself says, so an echo of the question cites nothing.
* **Cancel.**  The ``threading.Event`` goes to llama.cpp, which stops inside its
  compute; the final event then has ``cancelled=True``.

No Qt here; the GUI runs :meth:`AnswerEngine.ask` in a worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterator, Sequence, Union

from answer import source_fitting
from answer.checks import AnswerCheck, check_answer
from answer.citations import (Citation, Source, adds_to, closest_sentence,
                              closest_sentences, echo_units,
                              resolve_citations)
from answer.compare import Comparer
from answer.cross_language import CrossLanguageCheck, cross_language_check
from answer.followups import is_follow_up, retrieval_query
from answer.grounding import MIN_COVERAGE, GroundingGate, grounded_sources
from answer.history import Turn, as_turns, copies_earlier
from answer.intent import comparison_request, list_request, whole_document_request
from answer.listing import list_mentions
from answer.names import NameCheck, check_names, question_names
from answer.prompts import (ANSWER_HINT, DOCUMENT_FIRST, EXAMPLE, EXAMPLE_OPENED,
                            MODEL_ATTEMPT, NO_ANSWER, OPENER, QUOTE_NOTE, completion_prompt,
                            document_lead, question_language, source_block, system_message,
                            user_message)
from answer.stream_guards import answer_end, label_tail, shown_end, stop_strings
from answer.summaries import (Summarizer, Summary, SummaryCancelled, SummaryProgress,
                              document_name, section_line)
from answer.thinking import ThinkSplitter
from ingest.analyzer import has_cjk, tokenize
from models import cpu_share
from models.generator import GenerationError, Generator, no_model_loaded

CLOSEST_SHOWN = 3  # passages shown with "not in your documents"
HISTORY_CHARS = 400  # each earlier turn is shortened to this in the prompt
LIST_DOCUMENTS = 10  # "list every …" reads at most this many documents of a scope


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
class Working:
    """Where a long answer stands (a whole-document summary): ``done`` of ``total``
    sections read, about ``eta`` seconds left (None: not known yet)."""

    done: int
    total: int
    eta: float | None
    what: str = ""


@dataclass
class TextPiece:
    """A piece of the answer text, in order."""

    text: str


@dataclass
class ThinkingPiece:
    """A piece of a reasoning model's thinking (before its answer; not part of it)."""

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
    stats: object = None  # models.generator.GenerationStats of the generation, if any
    model: str = ""
    retried: bool = False  # no source supported the first answer; this is the second
    # invalid references, figures and sentence support of the model's text
    # (answer.checks); its spans index ``answer``
    check: AnswerCheck = field(default_factory=AnswerCheck)
    thinking: str = ""  # a reasoning model's thinking, kept out of everything above

    @property
    def inferred(self) -> bool:
        return bool(self.citations) and all(c.inferred for c in self.citations)

    @property
    def quoted(self) -> bool:
        """The model's own answer cited nothing; a source sentence was quoted after it."""
        return any(c.quoted for c in self.citations)


AnswerEvent = Union[Retrieved, Working, ThinkingPiece, TextPiece, AnswerDone]


def _merged(quotes: list[Citation], citations: list[Citation]) -> list[Citation]:
    """The lead's quoted sentences first, then the answer's own citations of other
    sources."""
    quoted = {q.n for q in quotes}
    return list(quotes) + [c for c in citations if c.n not in quoted]


def _split(stream, splitter: ThinkSplitter):
    """The model's pieces as ("think" | "answer", text), the thinking split off."""
    for raw in stream:
        yield from splitter.feed(raw)
    yield from splitter.close()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


# --- the engine -----------------------------------------------------------------------

@dataclass
class AnswerEngine:
    """Answers questions from one knowledge base with the currently loaded model.

    ``retriever``: a :class:`retrieval.retriever.Retriever`; ``models``: a
    :class:`models.model_manager.ModelManager` with a model loaded.
    ``max_context_tokens`` caps the sources' share of the prompt (None: whatever the
    window allows) -- useful on slow machines, where every prompt token costs time.
    """

    retriever: object
    models: Generator
    kb_name: str | None = None
    top_k: int = 6
    max_answer_tokens: int = 256
    # the model's own instructions (its saved system_prompt); empty: Wenji's default
    # instructions.  The source and citation rules are kept either way
    # (answer.prompts.system_message).
    system_prompt: str = ""
    max_context_tokens: int | None = None
    history_turns: int = 2  # earlier question/answer pairs shown to the model
    min_coverage: float = MIN_COVERAGE
    # None: the embedder's own relevance level (Retriever.relevant_similarity_for)
    min_similarity: float | None = None
    sampling: dict = field(default_factory=dict)  # temperature, top_p, ... for stream()
    few_shot: bool = True  # base models: a worked example before the question
    # base models: the answer's first words, per language (see answer.prompts.OPENER);
    # None or an empty dict: the model starts the answer itself.  Chinese only: in
    # English ("According to source [") the bundled model copied the worked example's
    # answer instead (bench/RESULTS.md)
    opener: dict | None = field(default_factory=lambda: {"zh": OPENER["zh"]})
    # base models, Chinese questions: an answer no source supports (mostly a restatement
    # of the question) is held back and written once more without the opener
    echo_retry: bool = True
    # base models: sources listed from last to first, so the best-ranked [1] stands next
    # to the question (where a base model's attention, and its opener's number, go).
    # None: for Chinese questions only, where it was measured (bench/RESULTS.md, CMRC
    # 2018); English is unmeasured
    best_source_last: bool | None = None
    # an answer no source supports gets the source sentence closest to the question
    # quoted after it (answer.prompts.QUOTE_NOTE), so there is always something to check
    quote_when_uncited: bool = True
    # base models: the answer starts with the sources' sentences closest to the question
    # (up to document_quotes, verbatim, with their numbers), then the model's attempt,
    # marked as such -- what the reader sees first is the documents' text
    document_first: bool = True
    document_quotes: int = 2
    # the gate requires the question's names (answer.names); False: keywords and
    # similarity alone, as before
    check_names: bool = True
    # reasoning models: room for the thinking on top of max_answer_tokens
    thinking_tokens: int = 1024
    # the chat's scope: document ids or paths (a folder: every document under it) that
    # retrieval keeps to; None: the whole knowledge base
    documents: Sequence[int | str] | None = None
    # section summaries kept between questions (answer.summaries.SummaryCache), for a
    # question about a whole document; None: summarized afresh each time
    summary_cache: object = None

    @classmethod
    def for_loaded_model(cls, retriever, models: Generator, *,
                         max_answer_tokens: int | None = None, **options) -> AnswerEngine:
        """An engine that answers with the loaded model's saved settings
        (:class:`models.registry.GenerationSettings`, models/model_settings.json): its
        ``max_tokens`` is the answer's length unless ``max_answer_tokens`` is given,
        ``thinking_tokens`` a reasoning model's room to think, and a non-empty
        ``system_prompt`` replaces Wenji's default instructions.
        ``options``: the other fields."""
        loaded = models.loaded
        saved = loaded.settings if loaded is not None else {}
        answer_tokens = max_answer_tokens or saved.get("max_tokens")
        if answer_tokens:
            options["max_answer_tokens"] = int(answer_tokens)
        options.setdefault("system_prompt", saved.get("system_prompt") or "")
        if saved.get("thinking_tokens") is not None:
            options.setdefault("thinking_tokens", int(saved["thinking_tokens"]))
        return cls(retriever, models, **options)

    # --- retrieval and relevance -----------------------------------------------------

    def find_sources(self, query: str, lang: str, kb_name: str | None = None
                     ) -> tuple[list[Source], bool]:
        """Retrieved passages as numbered sources, and whether any of them is relevant
        enough to answer from (:mod:`answer.grounding`).

        Raises :class:`retrieval.retriever.RetrievalError` (unknown or empty knowledge
        base, empty question) with a message for the user.
        """
        kb_name = kb_name or self.kb_name
        hits = self.retriever.search(query, kb_name=kb_name, k=self.top_k,
                                     documents=self.documents)
        terms = set(tokenize(query))
        gate = GroundingGate(terms, self.retriever.term_weights(terms, kb_name),
                             self.retriever.dense_trust(query, kb_name),
                             self.min_coverage,
                             self.min_similarity if self.min_similarity is not None
                             else self.retriever.relevant_similarity_for(query, kb_name),
                             names=self.names(query, kb_name),
                             cross=self.cross_language(query, kb_name))
        return grounded_sources(hits, gate, lang)

    def cross_language(self, query: str, kb_name: str | None = None
                       ) -> CrossLanguageCheck | None:
        """The word-by-word check of a Chinese question on a knowledge base without
        Chinese text (:mod:`answer.cross_language`); None for any other question, or
        without a multilingual embedder."""
        kb_name = kb_name or self.kb_name
        if not (self.check_names and has_cjk(query)) or self.retriever.holds_chinese(kb_name):
            return None
        return cross_language_check(query, self.retriever.word_embedder(kb_name),
                                    self.retriever.cover_names(kb_name))

    def names(self, query: str, kb_name: str | None = None) -> NameCheck:
        """What the knowledge base knows of the names in ``query`` (:mod:`answer.names`)."""
        kb_name = kb_name or self.kb_name
        if not self.check_names:
            return NameCheck()
        names = question_names(query, chinese=has_cjk(query)
                               and self.retriever.holds_chinese(kb_name))
        if not names:
            return NameCheck()
        covers = self.retriever.cover_words(kb_name)
        vocabulary = set().union(*covers.values()) if covers else set()
        return check_names(names, lambda t: self.retriever.documents_with(t, kb_name),
                           self.retriever.document_count(kb_name),
                           lambda doc_id: covers.get(doc_id, set()), vocabulary,
                           lambda text: self.retriever.text_contains(text, kb_name))

    # --- the whole document ----------------------------------------------------------

    def whole_document(self, question: str, kb_name: str | None = None):
        """The document a summary-style question is about (:mod:`answer.intent`): the
        chat's scope if it holds one document, else the one document the question names;
        None for any other question."""
        if not whole_document_request(question) or comparison_request(question):
            return None
        docs = self._asked_documents(question, kb_name)
        return docs[0] if len(docs) == 1 else None

    def documents_to_compare(self, question: str, kb_name: str | None = None) -> list:
        """The two documents a comparison question is about (the chat's scope, else the
        ones the question names); [] for any other question."""
        if not comparison_request(question):
            return []
        docs = self._asked_documents(question, kb_name)
        return docs if len(docs) == 2 else []

    def documents_to_list(self, question: str, kb_name: str | None = None
                          ) -> tuple[str, list]:
        """What a "list every …" question asks for and the documents to read for it (the
        chat's scope, else the ones the question names; :mod:`answer.listing`);
        ("", []) for any other question."""
        thing = list_request(question)
        if not thing or whole_document_request(question) or comparison_request(question):
            return "", []
        return thing, self._asked_documents(question, kb_name, most=LIST_DOCUMENTS)

    def _asked_documents(self, question: str, kb_name: str | None, most: int = 2) -> list:
        kb_name = kb_name or self.kb_name
        ids = (self.retriever.scope(kb_name, self.documents) if self.documents
               else self.retriever.named_documents(question, kb_name))
        if not 1 <= len(ids) <= most:
            return []
        by_id = {d.id: d for d in self.retriever.library.catalog.documents()}
        return sorted((by_id[i] for i in ids if i in by_id), key=lambda d: d.path)

    def _model_name(self) -> str:
        loaded = self.models.loaded
        return loaded.name if loaded else ""

    def _summarizer(self) -> Summarizer:
        """The loaded model's summarizer, with the cache kept between questions."""
        return Summarizer(self.models, self.summary_cache, model_name=self._model_name())

    def _compare(self, question: str, lang: str, documents: list,
                 cancel_event: threading.Event | None) -> Iterator[AnswerEvent]:
        """Two documents compared section by section (:mod:`answer.compare`)."""
        catalog = self.retriever.library.catalog
        first, second = documents
        yield Retrieved(question, question, [], True, lang)
        try:
            result = Comparer(self._summarizer()).compare(
                first, catalog.document_chunks(first.id), second,
                catalog.document_chunks(second.id), lang, cancel=cancel_event)
        except SummaryCancelled:
            yield AnswerDone(question, "", [], [], True, lang, question, cancelled=True)
            return
        yield TextPiece(result.text)
        citations = resolve_citations(result.text, result.sources)
        yield AnswerDone(question, result.text, citations, result.sources, True, lang,
                         question, generated=True, model=self._model_name(),
                         check=check_answer(result.text, result.sources, citations))

    def _list(self, question: str, lang: str, thing: str, documents: list
              ) -> Iterator[AnswerEvent]:
        """Every sentence of the documents that mentions ``thing``, cited by page
        (:mod:`answer.listing`); no model call."""
        catalog = self.retriever.library.catalog
        yield Retrieved(question, question, [], True, lang)
        texts: list[str] = []
        sources: list[Source] = []
        for document in documents:
            found = list_mentions(document, catalog.document_chunks(document.id), thing,
                                  lang, title=document_name(document), first=len(sources) + 1)
            texts.append(found.text)
            sources += found.sources
        text = "\n\n".join(texts)
        yield TextPiece(text)
        # every item is its page's own sentence: cited as written, nothing inferred
        citations = [Citation(s.n, s) for s in sources if f"[{s.n}]" in text]
        yield AnswerDone(question, text, citations, sources, True, lang, question)

    def _summarize(self, question: str, lang: str, document,
                   cancel_event: threading.Event | None) -> Iterator[AnswerEvent]:
        """The document summarized section by section (:mod:`answer.summaries`): each
        section's line streams in as it is done; the sources are its sections."""
        chunks = self.retriever.library.catalog.document_chunks(document.id)
        yield Retrieved(question, question, [], True, lang)
        try:
            lines = 0
            for item in self._summarizer().stream(document, chunks, lang, cancel_event):
                if isinstance(item, SummaryProgress):
                    yield Working(item.done, item.total, item.eta, item.section)
                elif isinstance(item, Summary):
                    yield AnswerDone(question, item.text, item.citations, item.sources, True,
                                     lang, question, generated=item.generated > 0,
                                     model=self._model_name(), check=item.check)
                    return
                else:
                    lines += 1
                    yield TextPiece(("" if lines == 1 else "\n") + section_line(lines, item))
        except SummaryCancelled:
            yield AnswerDone(question, "", [], [], True, lang, question, cancelled=True)

    # --- prompt --------------------------------------------------------------------

    def _system(self, lang: str) -> str:
        return system_message(lang, self.system_prompt)

    def _messages(self, question: str, lang: str, history: list[Turn],
                  sources: list[Source]) -> list[dict]:
        msgs = [{"role": "system", "content": self._system(lang)}]
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
        reading-comprehension text (:func:`answer.prompts.completion_prompt`) that ends
        with the answer's opener."""
        if not self._base_model():
            return messages
        return completion_prompt(messages, lang, example=self.few_shot,
                                 opener=self._opener(lang) if opener is None else opener)

    def _prompt_tokens(self, messages: list[dict], lang: str) -> int:
        return len(self.models.model.prompt_tokens(self._request(messages, lang))[0])

    def fit_sources(self, question: str, lang: str, history: list[Turn],
                    sources: list[Source]) -> tuple[list[Source], list[Turn], int]:
        """The sources (renumbered 1..n) and history turns that fit the loaded model's
        window with ``max_answer_tokens`` to spare; and the prompt's token count
        (:func:`answer.source_fitting.fit_sources`)."""
        model = self.models.model
        if model is None:
            raise GenerationError(no_model_loaded())
        recent = history[-2 * self.history_turns:] if self.history_turns > 0 else []
        return source_fitting.fit_sources(
            sources, recent,
            prompt_tokens=lambda turns, chosen: self._prompt_tokens(
                self._messages(question, lang, turns, chosen), lang),
            count_tokens=model.count_tokens, n_ctx=model.n_ctx,
            answer_tokens=self.max_answer_tokens, max_context_tokens=self.max_context_tokens)

    # --- asking --------------------------------------------------------------------

    def ask(self, question: str, history: Sequence = (),
            cancel_event: threading.Event | None = None,
            kb_name: str | None = None) -> Iterator[AnswerEvent]:
        """Stream the answer to ``question``: :class:`Retrieved`, :class:`TextPiece`\\ s,
        then :class:`AnswerDone`.  ``history``: earlier turns, oldest first (dicts with
        ``role`` and ``content``, or :class:`answer.history.Turn`\\ s)."""
        with cpu_share.foreground():  # background work yields the cores meanwhile
            yield from self._ask(question, history, cancel_event, kb_name)

    def _ask(self, question: str, history: Sequence,
             cancel_event: threading.Event | None, kb_name: str | None
             ) -> Iterator[AnswerEvent]:
        question = (question or "").strip()
        lang = question_language(question)
        pair = self.documents_to_compare(question, kb_name)
        if pair:
            yield from self._compare(question, lang, pair, cancel_event)
            return
        thing, documents = self.documents_to_list(question, kb_name)
        if documents:
            yield from self._list(question, lang, thing, documents)
            return
        document = self.whole_document(question, kb_name)
        if document is not None:
            yield from self._summarize(question, lang, document, cancel_event)
            return
        turns = as_turns(history)
        query = retrieval_query(question, turns)
        sources, grounded = self.find_sources(query, lang, kb_name)
        if not grounded:
            closest = sources[:CLOSEST_SHOWN]
            yield Retrieved(question, query, closest, False, lang)
            message = NO_ANSWER[lang]
            yield TextPiece(message)
            yield AnswerDone(question, message, [], closest, False, lang, query)
            return
        # earlier turns go into the prompt only for a question that leans on them: a
        # small model copies the previous answer for an unrelated question
        earlier = [t.content for t in turns if t.role == "assistant"]
        context = self.prompt_turns(question, turns)
        used, context, n_prompt = self.fit_sources(question, lang, context, sources)
        yield Retrieved(question, query, used, True, lang)
        messages = self._messages(question, lang, context, used)
        copy_check = bool(context and earlier)

        def fresh(t: str) -> bool:  # not (yet) a copy of an earlier answer
            return not copy_check or not copies_earlier(t, earlier)

        loaded = self.models.loaded
        opener = self._opener(lang)
        ignore = [question, self._system(lang), ANSWER_HINT[lang], EXAMPLE[lang],
                  EXAMPLE_OPENED[lang], opener]
        # a base model's reader gets the documents' own sentences first (see document_first)
        lead_quotes = (closest_sentences(question, used, self.document_quotes)
                       if self.document_first and self._base_model() else [])
        lead = document_lead(lead_quotes, lang) if lead_quotes else ""
        if lead:
            yield TextPiece(lead)
            ignore += [DOCUMENT_FIRST[lang], MODEL_ATTEMPT[lang]]
        retry = self.echo_retry and lang == "zh" and bool(opener)
        if retry:
            # hold the answer back until a source supports it; if none does by the end
            # (mostly a restatement of the question), write it once more without the
            # opener -- the user sees only the second answer
            echo = echo_units(ignore)

            def supported(t: str) -> bool:
                return adds_to(t, echo) and bool(resolve_citations(t, used, ignore))

            text, sent, thinking = yield from self._attempt(
                messages, lang, opener, 0, cancel_event,
                hold=lambda t: supported(t) and fresh(t))
            retried = not self._cancelled(cancel_event) and not (
                supported(text) and not self._copied(text, earlier, copy_check))
            if retried:
                text, sent, thinking = yield from self._attempt(
                    self._messages(question, lang, [], used), lang, "", 0, cancel_event)
        else:
            if opener:
                yield TextPiece(opener)  # the answer's fixed first words, shown at once
            text, sent, thinking = yield from self._attempt(
                messages, lang, opener, len(opener), cancel_event,
                hold=fresh if copy_check else None)
            # a copy of an earlier answer is written once more without the earlier turns
            retried = (not self._cancelled(cancel_event)
                       and self._copied(text, earlier, copy_check))
            if retried:
                text, sent, thinking = yield from self._attempt(
                    self._messages(question, lang, [], used), lang, opener, sent,
                    cancel_event)
        if len(text) > sent:
            yield TextPiece(text[sent:])
        answer = text.strip()
        stats = self.models.last_stats
        citations = resolve_citations(answer, used, ignore) if answer else []
        check = check_answer(answer, used, citations, ignore) if answer else AnswerCheck()
        if lead:
            citations = _merged(lead_quotes, citations)
            check = check.shifted(len(lead))
            answer = lead + answer
        elif not citations and self.quote_when_uncited and not self._cancelled(cancel_event):
            quote = closest_sentence(question, used)
            if quote is not None:
                note = QUOTE_NOTE[lang].format(quote=quote.sentence, n=quote.n)
                yield TextPiece(note if answer else note.lstrip())
                answer = (answer + note).strip()
                citations = [quote]
        yield AnswerDone(question, answer, citations, used, True, lang, query,
                         cancelled=self._cancelled(cancel_event), generated=True,
                         prompt_tokens=n_prompt, stats=stats,
                         model=loaded.name if loaded else "", retried=retried,
                         check=check, thinking=thinking)

    @staticmethod
    def prompt_turns(question: str, turns: list[Turn]) -> list[Turn]:
        """The earlier turns the prompt gets: all of them (up to ``history_turns``) for a
        follow-up (:func:`answer.followups.is_follow_up`), none for a question that
        stands on its own -- given the previous answer, a small model copies it."""
        return list(turns) if is_follow_up(question) else []

    @staticmethod
    def _copied(text: str, earlier: list[str], check: bool) -> bool:
        return check and copies_earlier(text, earlier, finished=True)

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
        is the caller's to show.  A reasoning model's thinking (:mod:`answer.thinking`)
        is passed on as :class:`ThinkingPiece` events and returned third, apart from the
        text."""
        budget = self.max_answer_tokens + (self.thinking_tokens if self._reasons() else 0)
        stream = self.models.stream(self._request(messages, lang, prefix), cancel_event,
                                    max_tokens=budget, stop=stop_strings(lang),
                                    **self.sampling)
        text = prefix
        splitter = ThinkSplitter()
        try:
            for kind, piece in _split(stream, splitter):
                if kind == "think":
                    yield ThinkingPiece(piece)
                    continue
                if not text.strip():  # the answer starts at its first word
                    piece = piece.lstrip()
                text += piece
                cut = answer_end(text, lang)
                if cut is not None:  # listing sources again, or repeating itself: stop here
                    text = text[:max(cut, sent)]
                    break
                if hold is not None:
                    if not hold(text):
                        continue
                    hold = None
                safe = shown_end(text, lang)
                if safe > sent:
                    yield TextPiece(text[sent:safe])
                    sent = safe
        finally:
            stream.close()  # ends generation (and frees the model) if we stopped early
        return text[:max(sent, label_tail(text, lang))], sent, splitter.thinking.strip()

    def _reasons(self) -> bool:
        """Whether the loaded model thinks before answering (its template knows
        ``<think>``): it gets :attr:`thinking_tokens` more room to write."""
        return "<think>" in (getattr(self.models.model, "chat_template", None) or "")

    def answer(self, question: str, history: Sequence = (),
               cancel_event: threading.Event | None = None,
               kb_name: str | None = None) -> AnswerDone:
        """The final event only (for scripts and benchmarks)."""
        done = None
        for event in self.ask(question, history, cancel_event, kb_name):
            if isinstance(event, AnswerDone):
                done = event
        return done
