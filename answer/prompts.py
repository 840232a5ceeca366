"""Prompt text for grounded answers, in Chinese and English.

Why a module of its own: the wording is what decides whether a small local model stays
on its sources and cites them, so it is kept in one place where it can be tuned and
tested; the answer pipeline only assembles the pieces.  The answer follows the
question's language (:func:`question_language`), not the UI's.
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.analyzer import cjk_share

# A question counts as Chinese when at least this share of its letters is CJK (so
# "FastAPI 怎么运行？" is Chinese, "What does 文集 mean?" is English).
CJK_QUESTION_SHARE = 0.3

# The system message is the source rules followed by the instructions (see
# system_message).  The rules are what makes an answer checkable: only the numbered
# sources, each cited by its number, and "the documents do not say" rather than a guess.
SOURCE_RULES = {
    "en": ("You answer questions using only the numbered sources below, which come from "
           "the user's own documents. Cite the sources you use with their numbers in "
           "square brackets, like [1] or [2]. If the sources do not contain the answer, say "
           "that the documents do not say."),
    "zh": ("你只根据下面编号的资料回答问题，这些资料来自用户自己的文档。引用所用资料时在句末写上"
           "方括号编号，例如 [1] 或 [2]。如果资料里没有答案，就说文档中没有提到。"),
}
# Wenji's own instructions: how long, and in which language.  A model's saved system
# prompt replaces them.
INSTRUCTIONS = {"en": "Answer briefly, in English.", "zh": "请用中文简洁回答。"}
_SENTENCE_GAP = {"en": " ", "zh": ""}

SOURCES_HEADER = {"en": "Sources:", "zh": "资料："}
QUESTION_LABEL = {"en": "Question:", "zh": "问题："}
ANSWER_LABEL = {"en": "Answer:", "zh": "回答："}
# No digits here: small models echo the hint, and an echoed "[1]" would look like a citation.
ANSWER_HINT = {"en": "Answer from the sources and cite their numbers in square brackets.",
               "zh": "请根据资料回答，并用方括号里的编号注明出处。"}

NO_ANSWER = {
    "en": ("I could not find this in your documents. The closest passages are listed "
           "below, but none of them seems to answer the question."),
    "zh": "在你的文档中没有找到相关内容。下面列出了最接近的段落，但它们似乎都没有回答这个问题。",
}

PAGE = {"en": "page {n}", "zh": "第 {n} 页"}

# After an answer that cites nothing: the source sentence closest to the question, quoted
# (answer.citations.closest_sentence), so the reader has something to check.
QUOTE_NOTE = {
    "en": "\n\n(No source supports the answer above. The closest passage in your "
          "documents: \u201c{quote}\u201d [{n}])",
    "zh": "\n\n（上面的回答没有资料支持。文档中最接近问题的原文：「{quote}」[{n}]）",
}


# With a base model (no chat template) the reader first gets the sentences of the sources
# that best answer the question, verbatim with their numbers, and then the model's
# attempt, marked as such (answer.engine.AnswerEngine.document_first).
DOCUMENT_FIRST = {"en": "From your documents:", "zh": "文档原文："}
MODEL_ATTEMPT = {"en": "The small model's answer (check it against the passages above):",
                 "zh": "小模型的回答（请对照上面的原文核对）："}


def document_lead(quotes, lang: str) -> str:
    """The block shown before a base model's answer: the quoted source sentences
    (quoted :class:`answer.citations.Citation` objects), then the attempt's label."""
    lines = [DOCUMENT_FIRST[lang], ""]
    for q in quotes:
        lines += [f"“{q.sentence}” [{q.n}]" if lang == "en" else f"「{q.sentence}」[{q.n}]", ""]
    return "\n".join(lines + [MODEL_ATTEMPT[lang], "", ""])


def system_message(lang: str, instructions: str = "") -> str:
    """The system message: :data:`SOURCE_RULES`, then ``instructions`` (a model's saved
    system prompt, used as written for both languages) or, when that is empty, Wenji's
    default :data:`INSTRUCTIONS`.

    Why a model's own prompt replaces only the instructions: citations are how Wenji
    checks an answer against the documents (:mod:`answer.citations`) and how the user
    finds the page, and "the documents do not say" is what keeps a model from guessing.
    A prompt written for chatting ("You are a helpful assistant.") would drop both, so
    the rules stay in front of it; the sources, the question and the citation hint are
    in the user message (:func:`user_message`) either way.
    """
    custom = (instructions or "").strip()
    return f"{SOURCE_RULES[lang]}{_SENTENCE_GAP[lang]}{custom or INSTRUCTIONS[lang]}"


def question_language(text: str) -> str:
    """``"zh"`` when the text is mostly Chinese characters, else ``"en"``."""
    return "zh" if cjk_share(text or "") >= CJK_QUESTION_SHARE else "en"


_ANCHOR = re.compile(r"\s*\{\s*#[^}]*\}")


def _clean(text: str | None) -> str:
    """Markdown headings carry ``{ #anchor }`` ids: not for people or models."""
    return _ANCHOR.sub("", text or "").strip()


def source_label(title: str, path: str, page: int | None, heading: str | None,
                 lang: str = "en", page_label: str | None = None) -> str:
    """``title, page N`` or ``title > heading path`` -- what the model and the user see.
    A page with a label ("iv", "A-3") is named by it, as the reader's viewer names it.

    PDFs often carry a meaningless metadata title (an SEC accession number, say), so the
    file name is shown too when it differs from the title.
    """
    title, heading = _clean(title), _clean(heading)
    if heading and title and heading.startswith(title + " > "):
        heading = heading[len(title) + 3:]
    pseudo = bool(re.match(r"^[a-z]{2,}:", path or ""))  # corpus keys such as beir:4983
    name = Path(path).name if path and not pseudo else ""
    label = title or name or path
    if name and (not title or Path(name).stem == title):
        label = name
    elif name and title:
        label = f"{name} ({title})" if len(title) < 60 else name
    parts = [label]
    if page is not None:
        parts.append(PAGE.get(lang, PAGE["en"]).format(n=page_label or page))
    if heading and heading != title:
        parts.append(heading)
    return ", ".join(parts)


def source_block(n: int, label: str, text: str) -> str:
    return f"[{n}] {label}\n{' '.join(text.split())}"


def user_message(question: str, blocks: list[str], lang: str) -> str:
    """The user turn: the instruction, the numbered sources, then the question last --
    measured with the bundled base model: an instruction after the question was often
    echoed instead of answered."""
    return (f"{ANSWER_HINT[lang]}\n\n{SOURCES_HEADER[lang]}\n\n" + "\n\n".join(blocks)
            + f"\n\n{QUESTION_LABEL[lang]} {question.strip()}")


# One worked exercise shown before the real one to base models: the answer copies the
# phrase that answers the question out of the right source and names it.  The cited
# source is [2], not [1], so the example does not teach "always write [1]".
EXAMPLE = {
    "zh": ("资料：\n\n[1] 黄河.md\n黄河是中国第二长河，全长约5464公里，最后注入渤海。\n\n"
           "[2] 长江.md\n长江是中国第一长河，全长约6300公里，发源于青藏高原，在上海注入东海。\n\n"
           "问题：长江在哪里注入大海？\n回答：长江在上海注入东海 [2]。"),
    "en": ("Sources:\n\n[1] rivers.md\nThe Yellow River is about 5,464 km long and flows "
           "into the Bohai Sea.\n\n[2] yangtze.md\nThe Yangtze is about 6,300 km long; it "
           "rises on the Tibetan Plateau and flows into the East China Sea at Shanghai.\n\n"
           "Question: Where does the Yangtze flow into the sea?\nAnswer: It flows into the "
           "East China Sea at Shanghai [2]."),
}


# The first words of a base model's answer, written into the prompt after "回答：" so the
# model starts by naming a source and goes on copying from it; the opener is part of the
# answer the user sees ("根据资料[2]，……").  The worked example's answer starts the same
# way (:data:`EXAMPLE_OPENED`).
OPENER = {"zh": "根据资料[", "en": "According to source ["}

# The worked example for prompts with an opener: the same exercise, answered the way the
# opener begins.
EXAMPLE_OPENED = {
    "zh": EXAMPLE["zh"].rsplit("回答：", 1)[0] + "回答：根据资料[2]，长江在上海注入东海。",
    "en": (EXAMPLE["en"].rsplit("Answer:", 1)[0]
           + "Answer: According to source [2], it flows into the East China Sea at Shanghai."),
}


def completion_prompt(messages: list[dict], lang: str, example: bool = True,
                      opener: str = "") -> str:
    """One text ending in ``Answer:`` (and the ``opener``, if any) for base models
    without a chat template.

    Why not the generic ``User:/Assistant:`` format: measured on CMRC 2018 with the
    bundled gemma-3-270m base model, it mostly echoed the question or the instruction;
    a reading-comprehension layout ending in "回答：" / "Answer:" is what base models have
    seen in pre-training.  A worked exercise (:data:`EXAMPLE`) before the real one shows
    the model what an answer looks like: a phrase copied from one source, then its
    number.
    """
    parts = []
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    for i, m in enumerate(messages):
        role, content = m.get("role"), str(m.get("content", "")).strip()
        if role == "assistant":
            parts.append(f"{ANSWER_LABEL[lang]} {content}")
        elif role == "user" and i != last_user:
            parts.append(f"{QUESTION_LABEL[lang]} {content}")
        else:
            parts.append(content)
        if role == "system" and example:
            parts.append((EXAMPLE_OPENED if opener else EXAMPLE)[lang])
    end = f"\n{ANSWER_LABEL[lang]}"
    if opener:
        end += (" " if lang == "en" else "") + opener
    return "\n\n".join(parts) + end
