"""Figures read to values and compared at the precision they were written with."""

from __future__ import annotations

import pytest

from answer.figures import chinese_number, figure_in, figures, table_scales


def _one(text: str):
    found = figures(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, kind, value", [
    ("$12.3 billion", "number", 12.3e9),
    ("1,234.5", "number", 1234.5),
    ("12.3%", "percent", 12.3),
    ("12.3 percent", "percent", 12.3),
    ("1.2亿", "number", 1.2e8),
    ("百分之五", "percent", 5.0),
    ("百分之十二点五", "percent", 12.5),
    ("三千万", "number", 3e7),
    ("两亿", "number", 2e8),
    ("二〇二三年", "year", 2023),
    ("2023", "year", 2023),
    ("$5m", "number", 5e6),
])
def test_a_figure_is_read_to_its_value(text, kind, value):
    f = _one(text)
    assert (f.kind, f.value) == (kind, pytest.approx(value))


@pytest.mark.parametrize("text, date", [
    ("June 25, 2022", (2022, 6, 25)), ("25 June 2022", (2022, 6, 25)),
    ("2022年6月25日", (2022, 6, 25)), ("2022-06-25", (2022, 6, 25)),
    ("6/25/2022", (2022, 6, 25)), ("June 2022", (2022, 6, None)),
])
def test_dates_in_every_usual_form(text, date):
    f = _one(text)
    assert f.kind == "date" and f.date == date


def test_words_that_are_not_figures_are_left_alone():
    assert figures("Form 10-Q, COVID-19, the M2 chip, Qwen2.5, 13-inch, 第一季度，一些，统一") == []
    assert chinese_number("十二") == 12 and chinese_number("三千五百") == 3500
    assert chinese_number("零点五") == 0.5 and chinese_number("十") == 10


TABLE = ("CONDENSED CONSOLIDATED STATEMENTS OF OPERATIONS (In millions, except number of "
         "shares) Three Months Ended June 25, 2022 Total net sales $ 82,959 $ 81,434")


@pytest.mark.parametrize("written, found", [
    ("$83.0 billion", "$ 82,959"),     # rounded, the table "in millions"
    ("$82.9 billion", "$ 82,959"),     # truncated
    ("82,959 million", "$ 82,959"),
    ("$81.4 billion", "$ 81,434"),
    ("June 25, 2022", "June 25, 2022"),
    ("2022", "June 25, 2022"),
    ("$12.3 billion", None),
    ("$84 billion", None),
    ("June 26, 2022", None),
])
def test_an_answer_figure_is_found_in_a_table_in_millions(written, found):
    hit = figure_in(_one(written), TABLE)
    assert (hit.text if hit else None) == found


def test_chinese_amounts_match_whatever_their_unit():
    assert figure_in(_one("1.2亿元"), "营业收入 12,000万元").text == "12,000万"
    assert figure_in(_one("1.2亿"), "单位：万元 营业收入 12,000").text == "12,000"
    assert figure_in(_one("百分之五"), "同比增长5%").text == "5%"
    assert figure_in(_one("5%"), "同比增长百分之五").text == "百分之五"
    assert figure_in(_one("1.3亿"), "营业收入 12,000万元") is None
    assert table_scales("单位：万元") == {1e4} and table_scales("(in thousands)") == {1e3}
