"""``wenji ask "question"`` and ``wenji chats ...``: grounded answers in the terminal.

``ask`` streams the answer to stdout, then lists its sources with page numbers or
headings; every question and answer is saved in the data folder's chats.sqlite3 (through
``answer.conversation``, as the window saves them), so ``--chat ID`` continues a
conversation (follow-up questions use the earlier turns).  Ctrl+C stops the answer and
saves what was written, marked as stopped; a second Ctrl+C interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path

from app.context import Context, UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("ask", help="answer a question from your documents, with sources",
                              description="Answer a question from a knowledge base with the "
                              "local chat model, streaming the answer, then listing the sources.")
    p.add_argument("question", help="the question (Chinese or English)")
    p.add_argument("--kb", metavar="NAME", help="knowledge base (default: 'default')")
    p.add_argument("--model", metavar="NAME",
                   help="chat model name or .gguf path (default: settings, else the bundled model)")
    p.add_argument("--doc", metavar="PATH", action="append",
                   help="only this document or folder (repeat for more): the answer comes "
                        "from these alone")
    p.add_argument("--chat", metavar="ID", type=int,
                   help="continue this conversation (see: wenji chats list)")
    p.add_argument("--max-tokens", type=int, metavar="N",
                   help="longest answer in tokens (default: the model's max_tokens, "
                   "see: wenji models show)")
    p.add_argument("--context", type=int, metavar="N",
                   help="model context length in tokens (default: the model's, up to 8192)")
    p.set_defaults(func=run_ask)

    c = subparsers.add_parser("chats", help="list, show, export, rename or delete conversations",
                              description="Saved conversations (data folder's chats.sqlite3).")
    sub = c.add_subparsers(dest="chats_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="all conversations, newest first").set_defaults(func=run_list)
    s = sub.add_parser("show", help="print a conversation with its sources")
    s.add_argument("id", type=int)
    s.set_defaults(func=run_show)
    e = sub.add_parser("export", help="export a conversation to Markdown")
    e.add_argument("id", type=int)
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    e.set_defaults(func=run_export)
    d = sub.add_parser("delete", help="delete a conversation")
    d.add_argument("id", type=int)
    d.set_defaults(func=run_delete)
    r = sub.add_parser("rename", help="give a conversation a new title")
    r.add_argument("id", type=int)
    r.add_argument("title")
    r.set_defaults(func=run_rename)


def open_chats(ctx: Context):
    from answer.chats import ChatStore

    return ChatStore(ctx.home.chats_path)


def _load_model(ctx: Context, name: str | None, context: int | None):
    from models import bundled
    from models.model_manager import ModelManager
    from models.model_validation import ModelLoadError
    from app.services import make_registry

    manager = ModelManager(make_registry(ctx), threads=ctx.settings.models.threads)
    chosen = name or ctx.settings.models.chat_model
    try:
        if not chosen:
            chosen = str(bundled.ensure_chat_model(ctx.home.models_dir))
        manager.load(chosen, context_length=context,
                     on_status=lambda stage, msg: print(f"[{msg}]", file=sys.stderr)
                     if ctx.verbose else None)
    except (ModelLoadError, bundled.BundledModelError) as exc:
        raise UserError(str(exc)) from exc
    return manager


def _cited_mark(quoted: bool, inferred: bool) -> str:
    if quoted:
        return "  [quoted: its sentence closest to the question is shown with the answer]"
    return "  [cited, inferred]" if inferred else "  [cited]"


def print_sources(done, out=None) -> None:
    out = out or sys.stdout  # looked up per call: tests and GUIs replace sys.stdout
    cited = {c.n: c for c in done.citations}
    title = "Sources" if done.grounded else "Closest passages"
    if not done.sources:
        print("\n(no passages found)", file=out)
        return
    print(f"\n{title}:", file=out)
    for s in done.sources:
        c = cited.get(s.n)
        mark = _cited_mark(c.quoted, c.inferred) if c else ""
        print(f"  [{s.n}] {s.label}{mark}", file=out)
        print(f"      {s.path}  (characters {s.start}-{s.end})", file=out)


@contextlib.contextmanager
def _ctrl_c_stops(cancel: threading.Event):
    """Ctrl+C sets ``cancel`` instead of raising, so the engine ends the answer itself
    (and it is saved as stopped); the previous handler is back for a second Ctrl+C."""
    def stop(signum, frame) -> None:
        cancel.set()
        signal.signal(signal.SIGINT, previous)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_ask(args, ctx: Context) -> int:
    from app.services import make_embedder, open_library
    from answer.checks import summary
    from answer.conversation import Conversation
    from answer.engine import AnswerDone, AnswerEngine, Retrieved, TextPiece, ThinkingPiece
    from answer.chats import ChatError
    from answer.summaries import SummaryCache
    from models.generator import GenerationError
    from retrieval.retriever import RetrievalError, Retriever

    if not args.question.strip():
        raise UserError("the question is empty")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise UserError("--max-tokens must be at least 1")
    chats = open_chats(ctx)
    library = open_library(ctx)
    try:
        conversation = Conversation(chats)
        if args.chat is not None:
            try:
                conversation = Conversation.resume(chats, args.chat)
            except ChatError as exc:
                raise UserError(str(exc)) from exc
        chat = conversation.chat
        kb = args.kb or (chat.kb if chat is not None and chat.kb else None)
        retriever = Retriever(library, make_embedder(ctx), ctx.settings.retrieval)
        try:  # check the knowledge base before spending seconds on loading a model
            retriever.check_kb(kb)
            if args.doc:
                scoped = retriever.scope(kb, args.doc)
                print(f"(only {len(scoped)} document{'s' if len(scoped) != 1 else ''} of "
                      f"the knowledge base: {', '.join(args.doc)})", file=sys.stderr)
        except RetrievalError as exc:
            raise UserError(str(exc)) from exc
        manager = _load_model(ctx, args.model, args.context)
        engine = AnswerEngine.for_loaded_model(retriever, manager, kb_name=kb,
                                               top_k=ctx.settings.retrieval.top_k,
                                               max_answer_tokens=args.max_tokens,
                                               documents=args.doc,
                                               summary_cache=SummaryCache(
                                                   ctx.home.summaries_path))
        exchange = conversation.ask(args.question, kb)
        cancel = threading.Event()
        done = None
        try:
            with _ctrl_c_stops(cancel):
                thinking = False
                for event in exchange.stream(engine, cancel):
                    if isinstance(event, ThinkingPiece):  # a reasoning model's thinking
                        if ctx.verbose:
                            sys.stderr.write(event.text)
                        elif not thinking:
                            print("(thinking…)", file=sys.stderr, flush=True)
                        thinking = True
                    elif isinstance(event, TextPiece):
                        sys.stdout.write(event.text)
                        sys.stdout.flush()
                    elif isinstance(event, AnswerDone):
                        done = event
                    elif isinstance(event, Retrieved) and ctx.verbose:
                        print(f"[searching: {event.retrieval_query}]", file=sys.stderr)
        except KeyboardInterrupt:  # a second Ctrl+C: gone without waiting for the answer
            done = None
        except (RetrievalError, GenerationError) as exc:
            raise UserError(str(exc)) from exc
        if done is None or done.cancelled:
            print("\n(cancelled)")
            return 130
        print()
        line = summary(done.check)
        if line:
            print(f"\n{line}")
        print_sources(done)
        chat_id = exchange.chat_id
        print(f"\n(chat {chat_id}; continue with: wenji ask --chat {chat_id} \"...\")")
        manager.unload()
        return 0
    finally:
        library.close()
        chats.close()


def _fmt_time(t: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def run_list(args, ctx: Context) -> int:
    chats = open_chats(ctx)
    try:
        rows = chats.list()
        if not rows:
            print("no conversations yet (start one with: wenji ask \"question\")")
            return 0
        print(f"{'ID':>4}  {'UPDATED':<16}  {'MSGS':>4}  {'KB':<12}  TITLE")
        for c in rows:
            print(f"{c.id:>4}  {_fmt_time(c.updated):<16}  {c.message_count:>4}  "
                  f"{c.kb[:12]:<12}  {c.title}")
        return 0
    finally:
        chats.close()


def _with_chat(ctx: Context, fn):
    from answer.chats import ChatError

    chats = open_chats(ctx)
    try:
        return fn(chats)
    except ChatError as exc:
        raise UserError(str(exc)) from exc
    finally:
        chats.close()


def run_show(args, ctx: Context) -> int:
    from answer.checks import AnswerCheck, marked_text, summary

    def show(chats):
        chat = chats.get(args.id)
        print(f"# {chat.title}  (chat {chat.id}, model {chat.model or '?'}, kb {chat.kb or '?'})")
        for m in chats.messages(chat.id):
            if m.role == "user":
                print(f"\nQ: {m.content}")
            else:
                check = AnswerCheck.from_dict(m.meta.get("check"))
                print(f"A: {marked_text(m.content, check)}")
                if summary(check):
                    print(f"   {summary(check)}")
                cited = {c['n']: c for c in m.citations}
                for s in m.sources:
                    c = cited.get(s["n"])
                    mark = _cited_mark(c.get("quoted"), c.get("inferred")) if c else ""
                    print(f"   [{s['n']}] {s['label']}{mark}")
        return 0
    return _with_chat(ctx, show)


def run_export(args, ctx: Context) -> int:
    def export(chats):
        text = chats.export_markdown(args.id)
        if args.output:
            try:
                Path(args.output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
            print(f"exported chat {args.id} to {args.output}")
        else:
            sys.stdout.write(text)
        return 0
    return _with_chat(ctx, export)


def run_delete(args, ctx: Context) -> int:
    def delete(chats):
        chats.delete(args.id)
        print(f"deleted chat {args.id}")
        return 0
    return _with_chat(ctx, delete)


def run_rename(args, ctx: Context) -> int:
    def rename(chats):
        chat = chats.rename(args.id, args.title)
        print(f"chat {chat.id} is now called {chat.title!r}")
        return 0
    return _with_chat(ctx, rename)
