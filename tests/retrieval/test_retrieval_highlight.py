"""Finding a passage's words again: keyword spans to highlight, phrases to search for."""

from __future__ import annotations

from retrieval.highlight import MAX_TRIES, highlight_spans, search_phrases


def test_highlight_spans_match_index_tokens():
    text = "Total net sales were 81,797.\nServices net sales grew."
    spans = highlight_spans(text, ["total", "net", "sale"])
    # "sales" is found through its index token "sale"; "Services" is not a match
    assert [text[i:j] for i, j in spans] == ["Total", "net", "sales", "net", "sales"]


def test_highlight_spans_find_chinese_terms_inside_runs():
    text = "北京冬奥会于2022年2月4日开幕，冬奥会很精彩。"
    spans = highlight_spans(text, ["冬奥会", "开幕"])
    assert [text[i:j] for i, j in spans] == ["冬奥会", "开幕", "冬奥会"]
    assert highlight_spans(text, []) == []


def test_search_phrases_prefer_long_plain_runs_away_from_the_edges():
    passage = ("ing the results of the study were clear\n"
               "- The committee approved the annual budget for the next fiscal year today\n"
               "| 12 | 34 | 56 |\n"
               "and so it ende")
    phrases = search_phrases(passage)
    assert phrases[0] == "approved the annual budget for the next"  # the middle 7 words
    assert all("\n" not in p and "|" not in p for p in phrases)
    assert not any(p.startswith("ing ") or p.endswith(" ende") for p in phrases)
    assert len(search_phrases(passage * 20)) <= MAX_TRIES


def test_search_phrases_cut_chinese_text():
    phrases = search_phrases("开头 香港特区第七届立法会选举投票于2021年12月19日顺利结束 结尾")
    assert phrases and all(len(p) <= 12 for p in phrases)
