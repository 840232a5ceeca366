"""Follow-up questions: detection, and retrieval with the earlier turn (real embedder
and Chroma)."""

from __future__ import annotations

from pathlib import Path

from answer.followups import is_follow_up, retrieval_query


def test_follow_up_detection():
    assert is_follow_up("What about 2023?")
    assert is_follow_up("那么2023年呢？")
    assert is_follow_up("Why did it grow?")
    assert is_follow_up("How did that change in the third quarter?")
    assert not is_follow_up("Which chip powers the MacBook Air that Apple announced at "
                            "its developer conference in June?")
    assert not is_follow_up("其他国家的半导体公司在第三季度的营业收入分别是多少？")
    assert not is_follow_up("What was NVIDIA's data center revenue in fiscal 2023 first quarter?")
    assert is_follow_up("why?") and is_follow_up("2023 revenue?")
    assert not is_follow_up("FastAPI 怎么处理文件上传？")
    assert not is_follow_up("How does FastAPI handle file uploads?")
    h = [{"role": "user", "content": "Apple revenue 2022"}, {"role": "assistant", "content": "x"}]
    assert retrieval_query("What was NVIDIA's gaming revenue last quarter?", h) == \
        "What was NVIDIA's gaming revenue last quarter?"


def test_follow_up_retrieves_with_the_earlier_turn(engine):
    first_q = "What was Apple's total net sales in the third quarter of 2022?"
    history = [{"role": "user", "content": first_q},
               {"role": "assistant", "content": "Apple's total net sales were $82,959 million [1]."}]
    alone = next(engine.ask("What about 2023?"))
    gen = engine.ask("What about 2023?", history)
    follow = next(gen)
    gen.close()
    assert follow.retrieval_query.startswith(first_q)
    assert follow.retrieval_query.endswith("What about 2023?")
    assert alone.retrieval_query == "What about 2023?"
    # alone, "2023" finds the NVIDIA 2023 report; after the Apple question, Apple's
    assert Path(alone.sources[0].path).name == "2023 Q1 NVDA.pdf"
    assert Path(follow.sources[0].path).name == "2022 Q3 AAPL.pdf"
