"""Chat history in SQLite: survives a restart, list/rename/delete, Markdown export with
sources; and the ``wenji chats`` / ``wenji ask`` commands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from answer.chats import ChatError, ChatStore
from tests.answer.conftest import M2_PAGE, M2_QUESTION


@pytest.fixture(scope="module")
def m2_done(m2_events):
    return m2_events[-1]


def test_history_survives_a_restart(tmp_path, m2_done):
    path = tmp_path / "chats.sqlite3"
    store = ChatStore(path)
    chat = store.create(model="gemma", kb="default")
    store.add_message(chat.id, "user", M2_QUESTION)
    store.add_answer(chat.id, m2_done)
    store.close()

    store = ChatStore(path)  # a new process would do exactly this
    chat2 = store.get(chat.id)
    assert chat2.title == M2_QUESTION[:59] + "…" if len(M2_QUESTION) > 60 else M2_QUESTION
    assert chat2.message_count == 2 and chat2.kb == "default"
    user, answer = store.messages(chat.id)
    assert (user.role, user.content) == ("user", M2_QUESTION)
    assert answer.role == "assistant" and answer.content == m2_done.answer
    assert [s["page"] for s in answer.sources] == [s.page for s in m2_done.sources]
    assert answer.citations == [c.to_dict() for c in m2_done.citations]
    assert answer.meta["grounded"] is True and answer.meta["generated"] is True
    assert store.history(chat.id) == [{"role": "user", "content": M2_QUESTION},
                                      {"role": "assistant", "content": m2_done.answer}]
    store.close()


def test_export_markdown_lists_the_sources(tmp_path, m2_done):
    store = ChatStore(tmp_path / "chats.sqlite3")
    chat = store.create(kb="default")
    store.add_message(chat.id, "user", M2_QUESTION)
    store.add_answer(chat.id, m2_done)
    md = store.export_markdown(chat.id)
    assert md.startswith("# ")
    assert f"## Q: {M2_QUESTION}" in md
    assert "**Sources**" in md
    assert f"2022 Q3 AAPL.pdf (0000320193-22-000070), page {M2_PAGE}" in md
    assert "— cited" in md or "— quoted" in md, "the cited source is marked"
    assert f"`{m2_done.sources[0].path}`" in md and "characters " in md
    assert m2_done.answer.strip()[:40] in md


def test_list_rename_delete(tmp_path):
    store = ChatStore(tmp_path / "c.sqlite3")
    a = store.create()
    b = store.create(title="second")
    store.add_message(a.id, "user", "first question")  # also names the chat
    assert [c.id for c in store.list()] == [a.id, b.id]  # most recently updated first
    assert store.get(a.id).title == "first question"
    assert store.rename(b.id, "  renamed ").title == "renamed"
    with pytest.raises(ChatError, match="cannot be empty"):
        store.rename(b.id, " ")
    store.delete(a.id)
    assert [c.id for c in store.list()] == [b.id]
    with pytest.raises(ChatError, match=f"no chat with id {a.id}"):
        store.messages(a.id)
    # the messages went with the chat
    assert sqlite3.connect(tmp_path / "c.sqlite3").execute(
        "SELECT COUNT(*) FROM messages WHERE chat_id = ?", (a.id,)).fetchone()[0] == 0


def test_chats_commands(wenji_home, m2_done, capsys, tmp_path):
    from app.cli import main

    store = ChatStore(wenji_home / "chats.sqlite3")
    chat = store.create(kb="default")
    store.add_message(chat.id, "user", M2_QUESTION)
    store.add_answer(chat.id, m2_done)
    store.close()
    assert main(["chats", "list"]) == 0
    assert M2_QUESTION[:30] in capsys.readouterr().out
    out_file = tmp_path / "chat.md"
    assert main(["chats", "export", str(chat.id), "-o", str(out_file)]) == 0
    assert f"page {M2_PAGE}" in out_file.read_text(encoding="utf-8")
    assert main(["chats", "rename", str(chat.id), "M2 chip"]) == 0
    assert main(["chats", "show", str(chat.id)]) == 0
    shown = capsys.readouterr().out
    assert "# M2 chip" in shown and f"page {M2_PAGE}" in shown
    assert main(["chats", "delete", str(chat.id)]) == 0
    capsys.readouterr()
    assert main(["chats", "show", str(chat.id)]) == 2
    assert f"no chat with id {chat.id}" in capsys.readouterr().err


def test_ask_on_an_empty_data_folder_is_a_user_error(capsys):
    from app.cli import main

    assert main(["ask", "What is FastAPI?"]) == 2
    err = capsys.readouterr().err
    assert "empty" in err or "no knowledge base" in err


@pytest.mark.slow
def test_ask_command_streams_answer_and_sources(wenji_home, capsys):
    from app.cli import main
    from tests.answer.conftest import MD_EN

    # --quiet: knowledge.py binds sys.stderr at import time (a closed capture here)
    assert main(["ingest", "--quiet", str(MD_EN)]) == 0
    capsys.readouterr()
    assert main(["ask", "How do I create a FastAPI app?", "--max-tokens", "16"]) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out and "first-steps.md" in out
    assert "(chat 1;" in out
    store = ChatStore(wenji_home / "chats.sqlite3")
    assert [m.role for m in store.messages(1)] == ["user", "assistant"]
    # off-topic: the fixed message, closest passages, and no model needed
    assert main(["ask", "Who won the 2018 World Cup?", "--chat", "1"]) == 0
    out = capsys.readouterr().out
    assert "could not find this in your documents" in out and "Closest passages:" in out
    assert store.get(1).message_count == 4
    store.close()



def test_a_quoted_citation_survives_a_restart_and_is_named_in_the_export(tmp_path, m2_done):
    from dataclasses import replace

    from answer.citations import closest_sentence

    quote = closest_sentence(M2_QUESTION, m2_done.sources)
    assert quote is not None and quote.quoted
    path = tmp_path / "chats.sqlite3"
    with ChatStore(path) as store:
        chat = store.create(model="gemma", kb="default")
        store.add_message(chat.id, "user", M2_QUESTION)
        store.add_answer(chat.id, replace(m2_done, citations=[quote]))
    with ChatStore(path) as store:
        (saved,) = [c for m in store.messages(chat.id) for c in m.citations]
        assert saved["quoted"] and saved["sentence"] == quote.sentence
        md = store.export_markdown(chat.id)
    assert f"{quote.n}. " in md and "quoted (its sentence closest to the question is shown with the answer)" in md
