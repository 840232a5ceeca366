"""The text analyzer shared by the keyword index and the queries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ingest.analyzer import cjk_share, has_cjk, stem, tokenize


def test_english_words_are_porter_stemmed_and_stopwords_dropped():
    assert tokenize("The connections were running in the generalizations") == [
        "connect", "run", "gener"]
    # Porter's own examples (Porter 1980): the original algorithm, not Porter2
    assert [stem(w) for w in ("caresses", "ponies", "relational", "hopefully", "agreed")] == [
        "caress", "poni", "relat", "hopefulli", "agre"]


def test_short_non_ascii_and_alphanumeric_words_are_kept_as_they_are():
    assert [stem(w) for w in ("is", "naïvely", "covid19", "10-q")] == [
        "is", "naïvely", "covid19", "10-q"]
    assert tokenize("GPT4中文模型") == ["gpt4", "中文", "模型"]


def test_chinese_is_segmented_for_search_and_stopwords_dropped():
    tokens = tokenize("我们的冬奥会在北京举办")
    assert {"冬奥", "冬奥会", "北京", "举办"} <= set(tokens)
    assert "我们" not in tokens and "的" not in tokens
    assert has_cjk("年报 2023") and not has_cjk("annual report")
    assert cjk_share("中文ab") == 0.5


def test_threads_get_the_same_tokens():
    texts = ["Relational databases and their generalizations"] * 200
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(tokenize, texts))
    assert all(r == results[0] for r in results)
