"""Citation parsing and after-the-fact attribution (real jieba / Porter tokenizer)."""

from __future__ import annotations

from answer.citations import (Citation, Source, cited_numbers, explicit_citations,
                              infer_citations, resolve_citations)
from answer.prompts import question_language, source_label


def _src(n, text, page=None, title="doc", coverage=1.0):
    return Source(n=n, chunk_id=f"d1g1c{n}", doc_id=1, path=f"/docs/{title}.pdf", title=title,
                  page=page, heading=None, start=0, end=len(text), text=text,
                  label=f"{title}, page {page}", coverage=coverage)


SOURCES = [
    _src(1, "Apple announced the MacBook Air powered by the new Apple M2 chip.", 17),
    _src(2, "NVIDIA data center revenue was a record $4.28 billion in the first quarter.", 25),
    _src(3, "北京冬奥会于2022年2月4日开幕，闭幕式在2月20日举行。", 3),
]


def test_cited_numbers_in_several_styles():
    assert cited_numbers("Sales grew [2]. Costs fell [1, 3] and [2][4]. 见【5】") == [2, 1, 3, 4, 5]
    assert cited_numbers("no markers, 2022 and (1)") == []


def test_explicit_citations_drop_numbers_without_a_source():
    cites = explicit_citations("It was the M2 [1], see also [9].", SOURCES)
    assert [c.n for c in cites] == [1]
    assert not cites[0].inferred and cites[0].source.page == 17


def test_inferred_citations_match_sentences_to_sources():
    answer = "The new MacBook Air uses the Apple M2 chip. Data center revenue hit a record."
    cites = infer_citations(answer, SOURCES)
    assert [(c.n, c.inferred) for c in cites] == [(1, True), (2, True)]
    assert "M2" in cites[0].sentence and cites[0].overlap >= 0.5


def test_inferred_citations_in_chinese():
    cites = infer_citations("冬奥会在2022年2月4日开幕。", SOURCES)
    assert [c.n for c in cites] == [3]
    assert cites[0].source.page == 3


def test_unrelated_answer_gets_no_citation():
    assert infer_citations("I like turtles very much.", SOURCES) == []
    assert resolve_citations("", SOURCES) == []


def test_explicit_citations_win_over_inference():
    cites = resolve_citations("Revenue was a record [2].", SOURCES)
    assert [(c.n, c.inferred) for c in cites] == [(2, False)]


def test_citation_round_trips_through_dict():
    c = Citation(1, SOURCES[0], inferred=True, sentence="x", overlap=0.7)
    assert Citation.from_dict(c.to_dict()) == c


def test_question_language_and_labels():
    assert question_language("如何运行 FastAPI 应用？") == "zh"
    assert question_language("What does 文集 mean in this app?") == "en"
    assert source_label("0000320193-22-000070", "/x/2022 Q3 AAPL.pdf", 17, None) == \
        "2022 Q3 AAPL.pdf (0000320193-22-000070), page 17"
    assert source_label("First Steps { #first-steps }", "/d/first-steps.md", None,
                        "First Steps { #first-steps } > Recap { #recap }", "zh") == \
        "first-steps.md (First Steps), Recap"
    assert source_label("t", "/d/t.pdf", 3, None, "zh") == "t.pdf, 第 3 页"


def test_short_verbatim_answer_is_attributed():
    cites = infer_citations("2月20日", SOURCES)
    assert [(c.n, c.inferred, c.overlap) for c in cites] == [(3, True, 1.0)]
    assert infer_citations("是", SOURCES) == []  # too short to mean anything


def test_an_echoed_question_is_not_evidence():
    question = "北京冬奥会什么时候开幕？"
    assert infer_citations("北京冬奥会什么时候开幕？", SOURCES, ignore=[question]) == []
    cites = infer_citations("北京冬奥会什么时候开幕？ 2022年2月4日开幕。", SOURCES,
                            ignore=[question])
    assert [c.n for c in cites] == [3] and "2月4日" in cites[0].sentence


def test_an_answer_taken_from_the_question_cites_nothing():
    question = "北京冬奥会的闭幕式在哪天举行？"
    cites = infer_citations("2月20日举行", SOURCES, ignore=[question])
    assert [c.n for c in cites] == [3]
    # an entity copied from the question adds nothing the source had to supply
    assert infer_citations("北京冬奥会", SOURCES, ignore=[question]) == []
    assert infer_citations("北京冬奥会闭幕式。", SOURCES, ignore=[question]) == []
    # ... but the same words with the answer next to them do cite
    cites = infer_citations("北京冬奥会闭幕式在2月20日举行。", SOURCES, ignore=[question])
    assert [c.n for c in cites] == [3]


def test_an_echo_with_an_answer_label_is_not_evidence():
    question = "北京冬奥会什么时候开幕？"
    answer = "北京冬奥会什么时候开幕？\n\n答： 北京冬奥会什么时候开幕？"
    assert resolve_citations(answer, SOURCES, [question]) == []


def test_a_written_number_counts_only_where_its_source_supports_the_sentence():
    # right number: kept as the model's own citation
    cites = resolve_citations("冬奥会在2022年2月4日开幕 [3]。", SOURCES)
    assert [(c.n, c.inferred) for c in cites] == [(3, False)]
    # wrong number: the source that does support the sentence, marked inferred
    cites = resolve_citations("冬奥会在2022年2月4日开幕 [1]。", SOURCES)
    assert [(c.n, c.inferred) for c in cites] == [(3, True)]
    # a marker on an echo, or on words no source has, cites nothing
    question = "北京冬奥会什么时候开幕？"
    assert resolve_citations("[1] 北京冬奥会什么时候开幕？", SOURCES, [question]) == []
    assert resolve_citations("[1] 答案： [2]", SOURCES, [question]) == []
    assert resolve_citations("[2] 停车场", SOURCES, [question]) == []


def test_each_sentence_cites_its_own_source():
    answer = "Apple's new MacBook Air has the M2 chip [1]. Data center revenue was $4.28 billion [1]."
    cites = resolve_citations(answer, SOURCES, ["What did Apple and NVIDIA report?"])
    assert [(c.n, c.inferred) for c in cites] == [(1, False), (2, True)]
    assert "4.28" in cites[1].sentence


def test_evidence_units_are_bigrams_for_chinese_and_words_for_english():
    from answer.citations import evidence_units

    assert evidence_units("上海申花") == {"上海", "海申", "申花"}
    assert evidence_units("Apple M2 chips") >= {"appl", "m2", "chip"}
    assert evidence_units("2009年加盟") == {"20", "00", "09", "9年", "年加", "加盟"}


def test_a_number_added_to_the_question_is_evidence():
    question = "北京冬奥会的闭幕式在几月几日举行？"
    cites = infer_citations("北京冬奥会的闭幕式在2月20日举行。", SOURCES, ignore=[question])
    assert [c.n for c in cites] == [3]


def test_base_model_prompt_shows_a_worked_example_first():
    from answer.prompts import EXAMPLE, completion_prompt

    msgs = [{"role": "system", "content": "SYS"},
            {"role": "user", "content": "资料：\n\n[1] a.md\n正文\n\n问题：什么？"}]
    text = completion_prompt(msgs, "zh")
    assert text.startswith("SYS\n\n" + EXAMPLE["zh"]) and text.endswith("问题：什么？\n回答：")
    assert "[2]" in EXAMPLE["zh"].rsplit("回答：", 1)[1], "the example cites a source"
    assert EXAMPLE["zh"] not in completion_prompt(msgs, "zh", example=False)


def test_base_model_prompt_ends_with_the_opener_and_a_matching_example():
    from answer.prompts import EXAMPLE_OPENED, OPENER, completion_prompt

    msgs = [{"role": "system", "content": "SYS"},
            {"role": "user", "content": "Sources:\n\n[1] a.md\ntext\n\nQuestion: What?"}]
    text = completion_prompt(msgs, "en", opener=OPENER["en"])
    assert text.endswith("Question: What?\nAnswer: According to source [")
    assert EXAMPLE_OPENED["en"] in text
    # the example's answer begins the way the real answer is made to begin
    for lang in ("zh", "en"):
        shown = EXAMPLE_OPENED[lang].rsplit("\n", 1)[1]
        assert OPENER[lang] in shown and "[2]" in shown


def test_an_opener_with_a_number_counts_only_where_that_source_supports_the_sentence():
    question = "北京冬奥会什么时候开幕？"
    ignore = [question, "根据资料["]
    cites = resolve_citations("根据资料[3]，北京冬奥会于2022年2月4日开幕。", SOURCES, ignore)
    assert [(c.n, c.inferred) for c in cites] == [(3, False)]
    cites = resolve_citations("根据资料[1]，北京冬奥会于2022年2月4日开幕。", SOURCES, ignore)
    assert [(c.n, c.inferred) for c in cites] == [(3, True)]
    # the opener with an echo of the question behind it is no evidence for anything
    assert resolve_citations("根据资料[3]，北京冬奥会什么时候开幕？", SOURCES, ignore) == []


def test_a_word_joining_two_markers_is_not_part_of_the_sentence():
    from answer.citations import _segments

    assert _segments("冬奥会在2022年2月4日开幕 [1]和[2]。") == [
        ("冬奥会在2022年2月4日开幕  。", [1, 2])]
    [(text, nums)] = _segments("It has the M2 chip [1] and [2].")
    assert text.split() == ["It", "has", "the", "M2", "chip", "."] and nums == [1, 2]
    cites = resolve_citations("根据资料[1]和[3]，冬奥会在2022年2月4日开幕。", SOURCES,
                              ["北京冬奥会什么时候开幕？", "根据资料["])
    assert [(c.n, c.inferred) for c in cites] == [(3, False)]


def test_an_echo_is_recognised():
    from answer.citations import adds_to, echo_units
    from answer.prompts import OPENER

    question = "罗店镇全镇面积是多大？"
    echo = echo_units([question, OPENER["zh"]])
    assert not adds_to("根据资料[1] 罗店镇全镇面积是多大？", echo)
    assert not adds_to("根据资料[2", echo)  # a number being written says nothing yet
    assert adds_to("根据资料[1]，罗店镇全镇面积是72平方公里。", echo)


def test_the_opener_naming_a_source_is_not_part_of_the_sentence():
    from answer.citations import _segments

    assert _segments("根据资料[1]和[2]，冬奥会开幕。") == [("冬奥会开幕。", [1, 2])]
    assert _segments("根据资料[3] 所示，冬奥会开幕。") == [("冬奥会开幕。", [3])]
    assert _segments("According to source [2], it opened.") == [("it opened.", [2])]
    # so a phrase copied word for word still matches its source verbatim
    question = "北京冬奥会什么时候开幕？"
    cites = resolve_citations("根据资料[3]，2月4日开幕。", SOURCES, [question, "根据资料["])
    assert [(c.n, c.inferred) for c in cites] == [(3, False)]


def test_the_closest_sentence_to_the_question_is_quoted_from_its_source():
    from answer.citations import closest_sentence

    sources = [
        _src(1, "辽道宗在位四十六年。他晚年信任奸臣，朝政日益腐败。", 4),
        _src(2, "耶律乙辛专权多年。他在试图铲除皇太孙耶律延禧的时候被辽道宗察觉，随后被贬。"
                "此后他又因私藏兵器被处死。", 9),
    ]
    q = closest_sentence("耶律乙辛在试图铲除谁的时候被辽道宗察觉？", sources)
    assert q is not None and q.quoted and not q.inferred
    assert q.n == 2 and q.source.page == 9
    assert q.sentence.startswith("他在试图铲除皇太孙耶律延禧") and q.sentence in sources[1].text
    english = closest_sentence("What was NVIDIA's data center revenue?", SOURCES)
    assert english is not None and english.n == 2 and "$4.28 billion" in english.sentence
    assert Citation.from_dict(q.to_dict()).quoted


def test_no_quote_when_no_sentence_covers_the_question():
    from answer.citations import closest_sentence

    assert closest_sentence("Who painted the Mona Lisa?", SOURCES) is None
    assert closest_sentence("蒙娜丽莎是谁画的？", SOURCES) is None
    assert closest_sentence("anything", []) is None
    # a passage sharing only a common word with the question is not quoted from
    picasso = _src(1, "毕卡索的蓝色时期常使用失明这个题材，像是盲人的晚餐。", 3, coverage=0.2)
    assert closest_sentence("吕凯是什么时期的人？", [picasso]) is None
    # nor is a sentence that only repeats the question's words (a heading)
    assert closest_sentence("岑朗天的职业都有哪些？", [_src(1, "岑朗天\n\n他出生于香港。", 1)]) is None


def test_a_long_quoted_sentence_is_cut_but_stays_verbatim():
    from answer.citations import MAX_QUOTE_CHARS, closest_sentence

    long = "The quarterly revenue of the widget division " + "grew steadily and " * 30 + "ended."
    q = closest_sentence("widget division quarterly revenue", [_src(1, long, 2)])
    assert q is not None and q.sentence.endswith("…")
    assert len(q.sentence) <= MAX_QUOTE_CHARS + 1 and q.sentence[:-1] in long
