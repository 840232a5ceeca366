"""Stream guards: where a small model's streamed answer stops being an answer (pure text
functions, no model)."""

from __future__ import annotations

from answer.stream_guards import (answer_end, echo_start, label_tail, repeat_start,
                                  restart_start, safe_end, shown_end)


def test_source_list_echo_ends_the_answer():
    text = "齿河盗龙属\n[4] 龙骨\n龙骨属"
    assert text[:echo_start(text)] == "齿河盗龙属"
    # a citation inside a sentence, or an echo before any answer text, is kept
    assert echo_start("Revenue was a record [2].\nIt grew.") is None
    assert echo_start("\n[1] 2022 Q3 AAPL.pdf, page 17: the M2 chip") is None
    # a tail that may still become an echo is held back while streaming
    assert safe_end("The M2 chip.\n[") == len("The M2 chip.")
    assert safe_end("The M2 chip [1") == len("The M2 chip [1")


def test_a_repeated_sentence_or_line_ends_the_answer():
    text = "罗店镇全镇面积是多大？\n\n答： 罗店镇全镇面积是多大？\n\n答： 罗"
    assert text[:repeat_start(text)].strip() == "罗店镇全镇面积是多大？"
    text = "放射性是人体内的放射性。放射性是人体内的放射性。放射"
    assert text[:repeat_start(text)] == "放射性是人体内的放射性。"
    assert repeat_start("Revenue grew [1]. Costs fell [2].\nRevenue grew") is None  # unfinished
    text = "It grew. It grew. "
    assert text[:repeat_start(text)] == "It grew."


def test_the_instruction_line_starting_a_new_exercise_ends_the_answer():
    text = "隐面龙属属于兽脚亚目阿贝力龙科。\n\n请根据资料回答，并用方括号"
    assert text[:restart_start(text, "zh")].strip() == "隐面龙属属于兽脚亚目阿贝力龙科。"
    assert restart_start("请根据资料回答", "zh") is None  # nothing answered yet
    assert restart_start("The M2 chip [1].", "en") is None


def test_a_last_line_beginning_the_next_exercise_is_held_back_and_dropped():
    text = "该频道以播放电影为主。\n\n请根据资料"
    assert text[:label_tail(text, "zh")].strip() == "该频道以播放电影为主。"
    assert label_tail("It is the M2 chip [1].\nQues", "en") == len("It is the M2 chip [1].")
    assert label_tail("该频道以播放电影为主。", "zh") == len("该频道以播放电影为主。")
    assert label_tail("第一行\n第二行", "zh") == len("第一行\n第二行")
    assert label_tail("请根据资料", "zh") == len("请根据资料")  # nothing answered yet


def test_the_first_guard_that_fires_ends_the_answer_and_the_tail_waits():
    assert answer_end("The M2 chip [1].", "en") is None
    text = "The M2 chip [1].\n[2] 2022 Q3 AAPL.pdf"
    assert text[:answer_end(text, "en")] == "The M2 chip [1]."
    text = "隐面龙属属于阿贝力龙科。\n\n请根据资料回答"
    assert text[:answer_end(text, "zh")].strip() == "隐面龙属属于阿贝力龙科。"
    # shown so far: neither a possible echo nor a possible label line
    assert shown_end("The M2 chip.\n[", "en") == len("The M2 chip.")
    assert shown_end("The M2 chip.\nQues", "en") == len("The M2 chip.")
    assert shown_end("The M2 chip.", "en") == len("The M2 chip.")
