"""Conversations kept in SQLite (the data folder's ``chats.sqlite3``).

Why SQLite and not JSON files: one file that survives crashes (WAL, one transaction per
message), cheap listing of many chats, and safe use from the GUI thread and an answer
worker at the same time (one connection behind a lock).  Each assistant message keeps
its sources and citations as JSON, so a reopened chat still shows where answers came
from, and export to Markdown can list them.

    store = ChatStore(home.chats_path)
    chat = store.create(title="Apple 10-Q", model="gemma-3-270m", kb="default")
    store.add_message(chat.id, "user", "What were net sales?")
    store.add_answer(chat.id, done_event)          # an answer.engine.AnswerDone
    store.history(chat.id)                         # [{"role": ..., "content": ...}, ...]
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from answer.checks import AnswerCheck, marked_text, summary

SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    kb TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    sources TEXT NOT NULL DEFAULT '[]',
    citations TEXT NOT NULL DEFAULT '[]',
    meta TEXT NOT NULL DEFAULT '{}',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_chat ON messages(chat_id, id);
"""

TITLE_CHARS = 60


class ChatError(Exception):
    """A chat that does not exist, or a bad title; the message is for the user."""


@dataclass
class Chat:
    id: int
    title: str
    model: str
    kb: str
    created: float
    updated: float
    message_count: int = 0


@dataclass
class ChatMessage:
    id: int
    chat_id: int
    role: str
    content: str
    sources: list[dict[str, Any]] = field(default_factory=list)  # Source.to_dict()s
    citations: list[dict[str, Any]] = field(default_factory=list)  # Citation.to_dict()s
    meta: dict[str, Any] = field(default_factory=dict)  # grounded, language, model, ...
    created: float = 0.0


class ChatStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(self.path), check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self.db.commit()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def __enter__(self) -> "ChatStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- chats ---------------------------------------------------------------------

    def create(self, title: str = "", model: str = "", kb: str = "") -> Chat:
        now = time.time()
        with self._lock, self.db:
            cur = self.db.execute("INSERT INTO chats (title, model, kb, created, updated) "
                                  "VALUES (?, ?, ?, ?, ?)", (title.strip(), model, kb, now, now))
        return self.get(cur.lastrowid)

    def get(self, chat_id: int) -> Chat:
        with self._lock:
            row = self.db.execute(
                "SELECT c.id, c.title, c.model, c.kb, c.created, c.updated, "
                "(SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id) "
                "FROM chats c WHERE c.id = ?", (int(chat_id),)).fetchone()
        if row is None:
            raise ChatError(f"no chat with id {chat_id} (see: wenji chats list)")
        return Chat(*row)

    def list(self) -> list[Chat]:
        """All chats, most recently updated first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT c.id, c.title, c.model, c.kb, c.created, c.updated, "
                "(SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id) "
                "FROM chats c ORDER BY c.updated DESC, c.id DESC").fetchall()
        return [Chat(*r) for r in rows]

    def rename(self, chat_id: int, title: str) -> Chat:
        title = (title or "").strip()
        if not title:
            raise ChatError("a chat title cannot be empty")
        self.get(chat_id)
        with self._lock, self.db:
            self.db.execute("UPDATE chats SET title = ? WHERE id = ?", (title, int(chat_id)))
        return self.get(chat_id)

    def set_model(self, chat_id: int, model: str = "", kb: str = "") -> None:
        with self._lock, self.db:
            if model:
                self.db.execute("UPDATE chats SET model = ? WHERE id = ?", (model, int(chat_id)))
            if kb:
                self.db.execute("UPDATE chats SET kb = ? WHERE id = ?", (kb, int(chat_id)))

    def delete(self, chat_id: int) -> None:
        self.get(chat_id)
        with self._lock, self.db:
            self.db.execute("DELETE FROM messages WHERE chat_id = ?", (int(chat_id),))
            self.db.execute("DELETE FROM chats WHERE id = ?", (int(chat_id),))

    # --- messages ------------------------------------------------------------------

    def add_message(self, chat_id: int, role: str, content: str,
                    sources: list[dict] | None = None, citations: list[dict] | None = None,
                    meta: dict | None = None) -> ChatMessage:
        if role not in ("user", "assistant", "system"):
            raise ChatError(f"unknown message role {role!r}")
        chat = self.get(chat_id)
        now = time.time()
        with self._lock, self.db:
            cur = self.db.execute(
                "INSERT INTO messages (chat_id, role, content, sources, citations, meta, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (chat.id, role, content, json.dumps(sources or [], ensure_ascii=False),
                 json.dumps(citations or [], ensure_ascii=False),
                 json.dumps(meta or {}, ensure_ascii=False), now))
            self.db.execute("UPDATE chats SET updated = ? WHERE id = ?", (now, chat.id))
            if role == "user" and not chat.title:  # the first question names the chat
                title = " ".join(content.split())
                if len(title) > TITLE_CHARS:
                    title = title[:TITLE_CHARS - 1].rstrip() + "…"
                self.db.execute("UPDATE chats SET title = ? WHERE id = ?", (title, chat.id))
        return ChatMessage(cur.lastrowid, chat.id, role, content, list(sources or []),
                           list(citations or []), dict(meta or {}), now)

    def add_answer(self, chat_id: int, done) -> ChatMessage:
        """Store an :class:`answer.engine.AnswerDone` as the assistant's message."""
        meta = {"grounded": done.grounded, "language": done.language,
                "retrieval_query": done.retrieval_query, "cancelled": done.cancelled,
                "generated": done.generated, "model": done.model,
                "prompt_tokens": done.prompt_tokens, "check": done.check.to_dict()}
        if getattr(done, "thinking", ""):
            meta["thinking"] = done.thinking  # shown on request; never sent back as history
        if done.model:
            self.set_model(chat_id, model=done.model)
        return self.add_message(chat_id, "assistant", done.answer,
                                sources=[s.to_dict() for s in done.sources],
                                citations=[c.to_dict() for c in done.citations], meta=meta)

    def messages(self, chat_id: int) -> list[ChatMessage]:
        self.get(chat_id)
        with self._lock:
            rows = self.db.execute(
                "SELECT id, chat_id, role, content, sources, citations, meta, created "
                "FROM messages WHERE chat_id = ? ORDER BY id", (int(chat_id),)).fetchall()
        return [ChatMessage(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]),
                            json.loads(r[6]), r[7]) for r in rows]

    def history(self, chat_id: int, turns: int | None = None) -> list[dict[str, str]]:
        """Messages as ``{"role", "content"}`` for :meth:`AnswerEngine.ask`; the last
        ``turns`` question/answer pairs when given."""
        msgs = [{"role": m.role, "content": m.content} for m in self.messages(chat_id)
                if m.role in ("user", "assistant")]
        return msgs[-2 * turns:] if turns else msgs

    # --- export --------------------------------------------------------------------

    def export_markdown(self, chat_id: int, answer: int | None = None) -> str:
        """The conversation as Markdown, each answer followed by its sources; with
        ``answer``, only that answer (0 is the first) and its question."""
        chat = self.get(chat_id)
        out = [f"# {chat.title or f'Chat {chat.id}'}", ""]
        facts = [f"Exported {time.strftime('%Y-%m-%d %H:%M', time.localtime())}"]
        if chat.model:
            facts.append(f"model: {chat.model}")
        if chat.kb:
            facts.append(f"knowledge base: {chat.kb}")
        out += ["*" + " · ".join(facts) + "*", ""]
        answers = -1
        question: list[str] = []
        for m in self.messages(chat_id):
            if m.role == "user":
                question = [f"## Q: {' '.join(m.content.split())}", ""]
                if answer is None:
                    out += question
                continue
            if m.role != "assistant":
                continue
            answers += 1
            if answer is not None:
                if answers != answer:
                    continue
                out += question
            check = AnswerCheck.from_dict(m.meta.get("check"))
            out += [marked_text(m.content, check, "markdown").strip() or "*(no answer)*", ""]
            if summary(check):
                out += [f"*{summary(check)}*", ""]
            cited = {c["n"]: c for c in m.citations}
            if m.sources:
                heading = "Sources" if m.meta.get("grounded", True) else "Closest passages"
                out += [f"**{heading}**", ""]
                for s in m.sources:
                    c = cited.get(s.get("n"))
                    mark = ""
                    if c is not None:
                        mark = (" — quoted (its sentence closest to the question is shown "
                                "with the answer)"
                                if c.get("quoted") else
                                " — cited (inferred)" if c.get("inferred") else " — cited")
                    span = f", characters {s.get('start')}–{s.get('end')}"
                    out.append(f"{s.get('n')}. {s.get('label') or s.get('title')}{span}{mark}")
                    out.append(f"   `{s.get('path')}`")
                    excerpt = " ".join(str(s.get("text", "")).split())
                    if excerpt:
                        excerpt = excerpt[:300] + ("…" if len(excerpt) > 300 else "")
                        out.append(f"   > {excerpt}")
                out.append("")
        return "\n".join(out).rstrip() + "\n"
