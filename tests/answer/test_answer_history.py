"""Earlier turns in the prompt only for follow-ups, and an answer that copies an earlier
one caught while it streams."""

from __future__ import annotations

from answer.engine import AnswerEngine
from answer.history import Turn, copies_earlier

EARLIER = "可以把参数的默认值设为 None，来声明可选的查询参数 [1]。"
TURNS = [Turn("user", "如何声明可选的查询参数？"), Turn("assistant", EARLIER)]


def test_only_a_follow_up_gets_the_earlier_turns():
    assert AnswerEngine.prompt_turns("FastAPI 怎么处理文件上传？", TURNS) == []
    assert AnswerEngine.prompt_turns("How does FastAPI handle file uploads?", TURNS) == []
    assert AnswerEngine.prompt_turns("那么必需的参数呢？", TURNS) == TURNS
    assert AnswerEngine.prompt_turns("why?", TURNS) == TURNS


def test_a_copy_of_an_earlier_answer_is_held_then_caught():
    # while it streams, a start that matches the earlier answer is held back ...
    assert copies_earlier("可以把参数的", [EARLIER])
    assert copies_earlier("", [EARLIER])
    # ... and a finished copy (other source numbers and spacing aside) is caught
    assert copies_earlier("可以把参数的默认值设为 None，来声明可选的查询参数 [2]。", [EARLIER],
                          finished=True)
    # a new answer, or one that only begins like the earlier one, is not
    assert not copies_earlier("使用 File 和 UploadFile 接收上传的文件 [1]。", [EARLIER])
    assert not copies_earlier("可以把", [EARLIER], finished=True)
    assert not copies_earlier("可以把参数的默认值设为 None，另外还可以用 Query。", [EARLIER])
