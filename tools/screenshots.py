"""Screenshots of the real window, one per main state, for the README and reviews.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python tools/screenshots.py [--out docs/screens]

Starts the real app on a temporary data folder with its bundled models, drops the folder
``../shared/data/sec10q/docs`` on the window (as a file manager would), asks a question,
opens the first citation, and saves PNGs:

  01-started.png      the window once the models are loaded
  02-ingesting.png    while the SEC filings are being added (progress, current file)
  03-library.png      the library with statuses, pages and chunks
  04-answer.png       a streamed answer with its citation links and the sources panel
  05-document.png     the cited PDF page in the built-in viewer, passage highlighted
  06-conversations.png the conversation list
  07-settings.png     the settings dialog
  08-chinese.png      the same window in the Chinese interface
  09-checks.png       an answer's checks: a figure found nowhere, a reference to no
                      source, a figure linked to its page, and a reasoning model's
                      collapsed thinking (a saved chat with a written answer over the real
                      Apple 10-Q pages, so the marks are certain to appear)
  10-checks-zh.png    the same in the Chinese interface, the thinking opened
  11-get-models.png   the "Get models" dialog: the catalog, fit markers, a download in
                      progress (from a local server that answers as the hub does)
  12-get-models-zh.png the same in the Chinese interface
  13-summary.png      "Summarize" on a 10-Q: one cited line per section, the sections as
                      sources, the scope bar above the chat
  14-compare.png      "Compare" on two of Apple's 10-Qs: the differing figures, both pages
  15-list.png         "List every deadline in this filing" in a chat scoped to one 10-Q:
                      each sentence that sets one, by section, cited by page
  16-watched.png      a folder of notes, watched: a note written into it appears in the
                      library; "Watched folders" shows the folder up to date
  17-watched-zh.png   the same in the Chinese interface, the folder paused
  18-25               the first-run page and a chat (bubbles, chips, source cards), in
                      English light, Chinese dark, English dark (one filing added: example
                      questions) and Chinese light

  26-team-reader.png  the team's shared library (a real PostgreSQL and Chroma server on
                      127.0.0.1, started and stopped by this tool, as the tests do) as a
                      reader sees it: the team's knowledge bases marked, "Team library ·
                      reader" in the status bar, every change greyed out
  27-team-writer-zh.png the same library as a writer sees it, in the Chinese interface
  28-team-refused-zh.png a refused login at start-up, in Chinese: this computer's library
                      is shown instead (the whole screen, for the message box and its
                      "Sign in…" button)
  29-team-sign-in.png the sign-in dialog that button opens (a password typed: dots)
  30-team-sign-in-zh.png the same in the Chinese interface

``--team-only`` makes only 26 to 30 (needs Debian's postgresql, as the tests do; a few
minutes: a writer adds the notes first).
``--checks-only`` makes only 09 and 10 (no ingest, a few seconds); ``--models-only`` only
11 and 12; ``--summary-only`` only 13 to 15 (a few minutes: the model reads two filings).

``--readme`` also copies the answer/document state to ``docs/screenshot.png``.
``--theme light|dark`` sets ``ui.theme`` of every window (default: the system's).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))
from bench.scratch import scratch_dir  # noqa: E402  (needs the path above)

QUESTION = "What were Apple's total net sales for the quarter?"
THEME = "system"  # ui.theme of every window (--theme)


def shot_settings():
    """The settings of a window in the pictures: the defaults, in the chosen theme."""
    from app.settings import Settings

    settings = Settings()
    settings.ui.theme = THEME
    settings.ui.language = "en"  # English pictures on any machine; the zh ones say so
    return settings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screens")
    ap.add_argument("--docs", type=Path, default=DATA / "sec10q" / "docs",
                    help="folder dropped on the window")
    ap.add_argument("--readme", action="store_true", help="also update docs/screenshot.png")
    ap.add_argument("--home", type=Path, default=None,
                    help="data folder to use (default: a new temporary one; an earlier "
                         "run's folder skips the long ingest)")
    ap.add_argument("--checks-only", action="store_true", help="only 09 and 10")
    ap.add_argument("--models-only", action="store_true", help="only 11 and 12")
    ap.add_argument("--summary-only", action="store_true", help="only 13 to 15")
    ap.add_argument("--watch-only", action="store_true", help="only 16 and 17")
    ap.add_argument("--look-only", action="store_true", help="only 18 to 25")
    ap.add_argument("--team-only", action="store_true", help="only 26 to 30")
    ap.add_argument("--theme", choices=("system", "light", "dark"), default="system",
                    help="the windows' theme (ui.theme)")
    args = ap.parse_args()
    global THEME
    THEME = args.theme
    if not args.docs.is_dir():
        print(f"{args.docs}: folder not found", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QApplication

    from app.context import Context
    from app.gui.main_window import MainWindow
    from app.home import Home

    home = Home.open(args.home or scratch_dir("wenji-shots-"))
    print(f"data folder: {home.root}", flush=True)
    app = QApplication(sys.argv[:1])

    def wait(predicate, seconds: float, what: str) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            if predicate():
                return
            time.sleep(0.05)
        raise SystemExit(f"timed out after {seconds:.0f} s waiting for {what}")

    def settle(seconds: float = 0.5) -> None:
        end = time.time() + seconds
        while time.time() < end:
            app.processEvents()
            time.sleep(0.02)

    def shot(widget, name: str) -> Path:
        settle()
        path = args.out / name
        widget.grab().save(str(path))
        print(path, flush=True)
        return path

    def shot_screen(widget, name: str) -> Path:
        """What the screen shows where ``widget`` is: a window with its message box."""
        settle()
        path = args.out / name
        frame = widget.frameGeometry()
        app.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(),
                                       frame.height()).save(str(path))
        print(path, flush=True)
        return path

    if args.team_only:
        return team_shots(home, wait, shot, shot_screen)
    if args.checks_only:
        return checks_shots(home, args.docs, wait, shot)
    if args.look_only:
        return look_shots(home, args.docs, wait, shot)
    if args.models_only:
        return models_shots(home, wait, shot)
    if args.summary_only:
        return summary_shots(home, args.docs, wait, shot)
    if args.watch_only:
        return watch_shots(home, wait, shot)

    window = MainWindow(Context(home=home, settings=shot_settings()))
    window.resize(1280, 800)
    window.show()
    wait(lambda: window.started, 600, "the models to load")
    shot(window, "01-started.png")

    # a folder dropped on the window, delivered as the window system would
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(args.docs))])
    window.dropEvent(QDropEvent(QPointF(20, 20), Qt.CopyAction, mime, Qt.LeftButton,
                                Qt.NoModifier))
    wait(lambda: window.ingest_view.overall.value() >= 3 or window.last_report is not None,
         900, "the first files to be added")
    shot(window, "02-ingesting.png")
    wait(lambda: window.last_report is not None, 3600, "the folder to be added")
    window.ingest_summary.close()
    for i in range(window.library_panel.tree.columnCount()):
        window.library_panel.tree.resizeColumnToContents(i)
    shot(window, "03-library.png")

    window.chat.question.setPlainText(QUESTION)
    window.chat.send()
    wait(lambda: window.chat.last_done is not None and not window.chat.busy, 900,
         "the answer")
    shot(window, "04-answer.png")
    urls = window.chat.citation_urls()
    if urls:
        window.chat.open_link(urls[0])  # a click on the first citation
    else:  # "Show in document" on the best passage
        print("the answer cited nothing; showing the first source instead", file=sys.stderr)
        window.chat.open_source(window.chat.last_done.sources[0])
    document = shot(window, "05-document.png")
    window.tabs.setCurrentWidget(window.conversations)
    shot(window, "06-conversations.png")
    dialog = window.open_settings()
    shot(dialog, "07-settings.png")
    dialog.close()
    last = window.chat.chat_id
    window.close()

    settings = shot_settings()
    settings.ui.language = "zh"  # the window installs its translation from the settings
    chinese = MainWindow(Context(home=home, settings=settings))
    chinese.resize(1280, 800)
    chinese.show()
    wait(lambda: chinese.started, 600, "the Chinese window to load")
    if last is not None:
        chinese.open_chat(last)
    shot(chinese, "08-chinese.png")
    chinese.close()
    if args.readme:
        shutil.copy(document, REPO / "docs" / "screenshot.png")
    return checks_shots(home, args.docs, wait, shot)


def _page_source(path: Path, n: int, page: int):
    import pypdfium2

    from answer.citations import Source

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        text = pdf[page - 1].get_textpage().get_text_range()
    finally:
        pdf.close()
    return Source(n=n, chunk_id=f"shot{n}", doc_id=0, path=str(path), title=path.stem,
                  page=page, heading=None, start=0, end=len(text), text=text,
                  label=f"{path.name}, page {page}", coverage=1.0)


CHECKED_ANSWER = ("According to source [7], Apple's total net sales for the quarter were "
                  "$12.3 billion. Total net sales were $83.0 billion in the three months "
                  "ended June 25, 2022 [1], and iPhone net sales were $40.7 billion [1].")
THINKING = ("The question asks for total net sales. Source 1 is the statement of "
            "operations: total net sales 82,959 for the three months ended June 25, 2022, "
            "in millions. So about $83.0 billion.")


LOOK_ANSWER = ("Apple's total net sales were **$83.0 billion** for the quarter ended June 25, "
               "2022 [1], against $81.4 billion a year earlier [1].\n\n"
               "| Category | Net sales |\n|---|---|\n| iPhone | $40.7 billion |\n"
               "| Services | $19.6 billion |\n\n"
               "Products made up about 76 % of the total [2].")


def look_shots(home, docs: Path, wait, shot) -> int:
    """18 to 25: the first-run page and a chat, in English and Chinese, light and dark.
    The first-run page of a new data folder (nothing added yet) in the first language,
    then with one filing added (its example questions); the chat is a saved one over the
    real Apple 10-Q pages, so its chips and source cards are certain to appear."""
    from answer.chats import ChatStore
    from answer.checks import check_answer
    from answer.citations import resolve_citations
    from answer.engine import AnswerDone
    from app.context import Context
    from app.gui.main_window import MainWindow

    pdf = docs / "2022 Q3 AAPL.pdf"
    sources = [_page_source(pdf, 1, 4), _page_source(pdf, 2, 17), _page_source(pdf, 3, 18)]
    citations = resolve_citations(LOOK_ANSWER, sources, [QUESTION])
    done = AnswerDone(QUESTION, LOOK_ANSWER, citations, sources, True, "en", QUESTION,
                      generated=True, model="qwen2.5-3b-instruct-q4_k_m.gguf",
                      check=check_answer(LOOK_ANSWER, sources, citations, [QUESTION]))
    with ChatStore(home.chats_path) as chats:
        chat_id = chats.create(kb="default", title="Apple net sales").id
        chats.add_message(chat_id, "user", QUESTION)
        chats.add_answer(chat_id, done)
    number = 18
    for language, theme_name in (("en", "light"), ("zh", "dark"), ("en", "dark"),
                                 ("zh", "light")):
        settings = shot_settings()
        settings.ui.language, settings.ui.theme = language, theme_name
        window = MainWindow(Context(home=home, settings=settings))
        window.resize(1280, 800)
        window.show()
        wait(lambda: window.started, 600, "the window to load")
        if number == 20:  # one filing in: the page offers questions about it
            window.ingest([str(pdf)])
            wait(lambda: window.last_report is not None, 900, "the filing to be added")
        suffix = ("-zh" if language == "zh" else "") + f"-{theme_name}"
        window.new_chat()  # the window reopens the last chat: start a new one
        shot(window, f"{number}-first-run{suffix}.png")
        window.open_chat(chat_id)
        window.chat.show_answer_sources(0, select=1)
        shot(window, f"{number + 1}-chat{suffix}.png")
        window.close()
        number += 2
    return 0


def checks_shots(home, docs: Path, wait, shot) -> int:
    """09 and 10: a saved chat whose answer has every kind of mark, in both languages."""
    from answer.chats import ChatStore
    from answer.checks import check_answer
    from answer.citations import resolve_citations
    from answer.engine import AnswerDone
    from app.context import Context
    from app.gui.main_window import MainWindow

    pdf = docs / "2022 Q3 AAPL.pdf"
    sources = [_page_source(pdf, 1, 4), _page_source(pdf, 2, 17)]
    citations = resolve_citations(CHECKED_ANSWER, sources, [QUESTION])
    done = AnswerDone(QUESTION, CHECKED_ANSWER, citations, sources, True, "en", QUESTION,
                      generated=True, model="a reasoning model",
                      check=check_answer(CHECKED_ANSWER, sources, citations, [QUESTION]),
                      thinking=THINKING)
    with ChatStore(home.chats_path) as chats:
        chat_id = chats.create(kb="default").id
        chats.add_message(chat_id, "user", QUESTION)
        chats.add_answer(chat_id, done)
    for language, name in (("en", "09-checks.png"), ("zh", "10-checks-zh.png")):
        settings = shot_settings()
        settings.ui.language = language
        window = MainWindow(Context(home=home, settings=settings))
        window.resize(1280, 800)
        window.show()
        wait(lambda: window.started, 600, "the window to load")
        window.open_chat(chat_id)
        if language == "zh":
            window.chat.toggle_thinking(0)
        shot(window, name)
        window.close()
    return 0


def models_shots(home, wait, shot) -> int:
    """11 and 12: the catalog with a download under way.  The bytes come from a server on
    127.0.0.1 that answers as the hub does (the bundled GGUF under a catalog entry's
    name, slowed down); the download is cancelled after the picture."""
    from app.context import Context
    from app.gui.main_window import MainWindow
    from models.bundled import ensure_chat_model
    from models.catalog import find, load_catalog
    from tests.hub_server import FakeHub

    entry = find("qwen2.5-1.5b-instruct-q4_k_m", load_catalog())
    gguf = ensure_chat_model(home.models_dir)
    with FakeHub() as hub:
        hub.add_file(entry.repo, entry.file, gguf)
        hub.throttle(3_000_000)
        for language, name in (("en", "11-get-models.png"), ("zh", "12-get-models-zh.png")):
            settings = shot_settings()
            settings.ui.language = language
            settings.models.hub_endpoint = hub.endpoint
            window = MainWindow(Context(home=home, settings=settings))
            window.resize(1280, 800)
            window.show()
            wait(lambda: window.started, 600, "the window to load")
            dialog = window.open_model_catalog()
            dialog.select(entry.name)
            dialog.download_button.click()
            wait(lambda: dialog.progress.value() > 150 and "/" in dialog.status.text(), 120,
                 "the download to be under way")
            shot(dialog, name)
            dialog.cancel_button.click()
            wait(lambda: dialog.download is None, 60, "the download to stop")
            dialog.close()
            window.close()
    return 0


def summary_shots(home, docs: Path, wait, shot) -> int:
    """13 to 15: a filing summarized, two filings compared, from the library's actions;
    a list of every deadline in a chat scoped to one."""
    from app.context import Context
    from app.gui.main_window import MainWindow

    first, second = docs / "2023 Q1 AAPL.pdf", docs / "2023 Q2 AAPL.pdf"
    window = MainWindow(Context(home=home, settings=shot_settings()))
    window.resize(1280, 800)
    window.show()
    wait(lambda: window.started, 600, "the window to load")
    window.ingest([str(first), str(second)])
    wait(lambda: window.last_report is not None, 900, "the filings to be added")
    for name, act in (("13-summary.png", lambda: window.summarize_document(str(second))),
                      ("14-compare.png",
                       lambda: window.compare_documents([str(first), str(second)])),
                      ("15-list.png", lambda: (window.chat.set_scope([str(second)]),
                                               window.chat.ask("List every deadline in this "
                                                               "filing")))):
        window.chat.new_chat()  # each in its own chat: the picture shows its start
        window.chat.last_done = None
        act()
        wait(lambda: window.chat.last_done is not None and not window.chat.busy, 1800,
             "the model to finish")
        window.chat.transcript.verticalScrollBar().setValue(0)  # the answer's start
        shot(window, name)
    window.close()
    return 0


def watch_shots(home, wait, shot) -> int:
    """16 and 17: a watched folder of notes, in English and (paused) in Chinese."""
    import shutil

    from app.context import Context
    from app.gui.main_window import MainWindow

    notes = scratch_dir("wenji-notes-") / "Notes"
    notes.mkdir()
    tutorial = sorted((DATA / "fastapi_docs_md" / "en" / "docs" / "tutorial").glob("*.md"))
    for md in tutorial[:6]:
        shutil.copy(md, notes / md.name)
    for name, lang in (("16-watched.png", "en"), ("17-watched-zh.png", "zh")):
        settings = shot_settings()
        settings.ui.language = lang  # the window installs its translation from the settings
        window = MainWindow(Context(home=home, settings=settings))
        window.resize(1280, 800)
        window.show()
        wait(lambda: window.started, 600, "the window to load")
        if lang == "en":
            window.ingest([str(notes)])
            wait(lambda: window.last_report is not None, 900, "the folder to be added")
            window.ingest_summary.close()
            wait(lambda: window.watch_view.tree.topLevelItemCount() == 1, 60, "the watch")
            (notes / "meeting-2026-12-02.md").write_text(
                "# Meeting notes\n\nThe release moves to Friday; the docs need a new "
                "first-steps page.\n", encoding="utf-8")
            wait(lambda: str(notes / "meeting-2026-12-02.md") in window.documents_shown(),
                 120, "the new note")
        else:
            window.watch_view.pause("default", str(notes))
        wait(lambda: window.watch_view.tree.topLevelItem(0).text(2) in
             ("up to date", "已暂停"), 120, "the folder to settle")
        shot(window, name)
        window.close()
    return 0


TEAM_KBS = {  # knowledge base -> notes a writer adds to the team library
    "api-tutorial": sorted((DATA / "fastapi_docs_md" / "en" / "docs" / "tutorial")
                           .glob("*.md"))[:5],
    "deployment": sorted((DATA / "fastapi_docs_md" / "en" / "docs" / "deployment")
                         .glob("*.md"))[:3],
    "教程": sorted((DATA / "fastapi_docs_md" / "zh" / "docs" / "tutorial").glob("*.md"))[:3],
}


def team_shots(home, wait, shot, shot_screen) -> int:
    """26 to 30: a team library on real servers, started here and stopped at the end
    (also on Ctrl+C or a kill: tests/servers.py's clean-up)."""
    import os
    import secrets

    from psycopg.conninfo import make_conninfo

    from app.context import Context
    from app.gui.main_window import MainWindow
    from app.services import make_embedder
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from ingest.store.pg_roles import add_person, prepare_database
    from ingest.store.shared import SharedStore
    from tests.servers import ChromaServer, PostgresServer, install_signal_cleanup

    install_signal_cleanup()
    tokens = {"carol": secrets.token_urlsafe(18), "dave": secrets.token_urlsafe(18)}
    passwords = {"carol": secrets.token_urlsafe(12), "dave": secrets.token_urlsafe(12)}
    users = {"carol": (tokens["carol"], "writer"), "dave": (tokens["dave"], "reader")}
    with PostgresServer() as pg, ChromaServer(users=users) as chroma:
        db = "wenji_team"
        pg.create_database(db)
        admin = pg.dsn(dbname=db)
        prepare_database(admin)
        for name in ("carol", "dave"):
            add_person(admin, name, passwords[name], writer=name == "carol")

        def conninfo(name: str, password: str | None = None) -> str:
            extra = {"password": password} if password else {}
            return make_conninfo(host=pg.host, port=pg.port, user=name, dbname=db, **extra)

        settings = shot_settings()
        writer = Library(scratch_dir("wenji-team-writer-"),
                         SharedStore(conninfo("carol", passwords["carol"]), chroma.url,
                                     tokens["carol"]))
        try:
            ingestor = Ingestor.from_settings(
                writer, make_embedder(Context(home=home, settings=settings)), settings.ingest)
            for kb, notes in TEAM_KBS.items():
                report = ingestor.run(notes, kb_name=kb)
                print(f"{kb}: {report.count('added')} notes added by the writer", flush=True)
        finally:
            writer.close()

        def window(name: str, language: str, password: str | None = None):
            settings = shot_settings()
            settings.ui.language = language
            settings.shared.postgres, settings.shared.chroma_url = conninfo(name), chroma.url
            os.environ["WENJI_SHARED_PASSWORD"] = password or passwords[name]
            os.environ["WENJI_SHARED_TOKEN"] = tokens[name]
            w = MainWindow(Context(home=home, settings=settings, shared=True))
            w.resize(1280, 800)
            w.show()
            w.move(0, 0)  # on the screen whole (no window manager places it): shot_screen
            wait(lambda: w.started, 600, "the window to load")
            panel = w.library_panel
            wait(lambda: not panel.reading and panel.showing_read == panel.showing, 60,
                 "the library to be read")
            tree = panel.tree
            for i in range(tree.columnCount()):
                tree.resizeColumnToContents(i)
            return w

        def refused(language: str):
            """The writer's window with a password the server refuses, once it says so."""
            w = window("carol", language, password="not-" + passwords["carol"])
            wait(lambda: w._problem_box is not None and w._problem_box.isVisible(), 60,
                 "the refusal")
            return w

        def sign_in_shot(w, name: str) -> None:
            """The problem box's "Sign in…", clicked: the dialog, a password typed."""
            box = w._problem_box
            next(b for b in box.buttons() if b is not box.button(box.StandardButton.Ok)).click()
            wait(lambda: w.sign_in_dialog is not None and w.sign_in_dialog.isVisible(), 10,
                 "the sign-in dialog")
            w.sign_in_dialog.password_edit.setText(secrets.token_urlsafe(9))
            shot(w.sign_in_dialog, name)
            w.sign_in_dialog.reject()

        try:
            w = window("dave", "en")
            w.library_panel.set_current_kb("api-tutorial")
            shot(w, "26-team-reader.png")
            w.close()
            w = window("carol", "zh")
            w.library_panel.set_current_kb("教程")
            shot(w, "27-team-writer-zh.png")
            w.close()
            w = refused("zh")
            shot_screen(w, "28-team-refused-zh.png")
            sign_in_shot(w, "30-team-sign-in-zh.png")
            w.close()
            w = refused("en")
            sign_in_shot(w, "29-team-sign-in.png")
            w.close()
        finally:
            os.environ.pop("WENJI_SHARED_PASSWORD", None)
            os.environ.pop("WENJI_SHARED_TOKEN", None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
