"""The ``wenji`` command, run as a user runs it: a subprocess."""

import signal
import subprocess
import sys

from tests.conftest import MD_DIR, PDF_DIR, REPO


def wenji(*args, home=None, timeout=600):
    cmd = [sys.executable, "-m", "app"]
    if home is not None:
        cmd += ["--home", str(home)]
    return subprocess.run(cmd + list(args), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def test_help_lists_the_commands():
    res = wenji("--help")
    assert res.returncode == 0
    for command in ("doctor", "ingest", "docs", "remove", "kb", "gui"):
        assert command in res.stdout


def test_console_script_is_installed():
    exe = REPO / ".venv" / "bin" / "wenji"
    candidates = [exe] if exe.exists() else []
    import shutil

    found = shutil.which("wenji")
    if found:
        candidates.append(found)
    assert candidates, "the wenji console script is not installed"
    res = subprocess.run([str(candidates[0]), "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and "wenji" in res.stdout


def test_doctor_reports_a_working_installation(wenji_home):
    res = wenji("doctor", home=wenji_home)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert str(wenji_home) in out
    assert "gemma-3-270m-q4_k_m.gguf" in out
    assert "GPU offload" in out
    assert "sentence-transformers" in out and "MISSING" not in out
    assert (wenji_home / "models" / "gemma-3-270m-q4_k_m.gguf").exists()
    assert "PDFium" in out and "RapidOCR" in out and "unavailable" not in out


def test_doctor_names_file_key_and_problem_of_broken_settings(wenji_home):
    settings = wenji_home / "settings.toml"
    settings.write_text('[retrieval]\ntop_k = "many"\n')
    res = wenji("doctor", home=wenji_home)
    assert res.returncode == 1
    assert str(settings) in res.stdout
    assert "top_k" in res.stdout and "whole number" in res.stdout
    # other commands refuse with the same one-line reason
    res = wenji("docs", home=wenji_home)
    assert res.returncode == 2 and "top_k" in res.stderr and str(settings) in res.stderr


def test_wenji_home_environment_variable_is_used(wenji_home):
    res = subprocess.run([sys.executable, "-m", "app", "kb", "list"], cwd=REPO,
                         capture_output=True, text=True)
    assert res.returncode == 0
    assert (wenji_home / "store" / "catalog.sqlite3").exists()
    assert (wenji_home / "logs" / "wenji.log").exists()


def test_ingest_docs_remove_and_kb_commands(wenji_home):
    md = MD_DIR / "en/docs/tutorial/first-steps.md"
    scanned = PDF_DIR / "pymupdf_tests/test_3863.pdf"
    (wenji_home / "settings.toml").write_text("[ingest]\nocr = false\n")  # OCR: test_pdf_ocr.py
    res = wenji("ingest", str(md), str(scanned), "--kb", "notes", home=wenji_home)
    assert res.returncode == 0, res.stderr
    assert "1 added" in res.stdout and "1 failed" in res.stdout
    assert "scanned, no text layer" in res.stdout

    res = wenji("docs", "--kb", "notes", home=wenji_home)
    assert "ready" in res.stdout and "first-steps.md" in res.stdout
    assert "OCR is off" in res.stdout

    assert wenji("kb", "rename", "notes", "papers", home=wenji_home).returncode == 0
    res = wenji("kb", "list", home=wenji_home)
    assert "papers" in res.stdout and "notes" not in res.stdout

    res = wenji("remove", str(md), "--kb", "papers", home=wenji_home)
    assert res.returncode == 0 and "removed 1" in res.stdout
    res = wenji("kb", "delete", "papers", home=wenji_home)
    assert res.returncode == 0
    res = wenji("docs", "--kb", "papers", home=wenji_home)
    assert res.returncode == 2 and "no knowledge base named 'papers'" in res.stderr


def test_verbose_logs_to_console(wenji_home):
    res = wenji("-v", "kb", "list", home=wenji_home)
    assert res.returncode == 0
    assert "INFO" in res.stderr and str(wenji_home) in res.stderr
    quiet = wenji("kb", "list", home=wenji_home)
    assert "INFO" not in quiet.stderr
    assert "data folder" in (wenji_home / "logs" / "wenji.log").read_text()


def test_ctrl_c_stops_the_answer_and_saves_it_as_stopped(wenji_home):
    """Ctrl+C during ``wenji ask`` stops the answer as the window's Esc does: it says
    "(cancelled)", exits 130, and the chat keeps the question and the stopped answer."""
    from answer.chats import ChatStore

    question = "How do I create a FastAPI app?"
    res = wenji("ingest", "--quiet", str(MD_DIR / "en/docs/tutorial/first-steps.md"),
                home=wenji_home)
    assert res.returncode == 0, res.stderr
    proc = subprocess.Popen([sys.executable, "-m", "app", "--home", str(wenji_home), "-v",
                             "ask", question], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen = []
    for line in proc.stderr:  # -v: the search is announced just before the model writes
        seen.append(line)
        if line.startswith("[searching:"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, "".join(seen) + err
    assert out.rstrip().endswith("(cancelled)")
    with ChatStore(wenji_home / "chats.sqlite3") as chats:
        [chat] = chats.list()
        saved_question, answer = chats.messages(chat.id)
    assert saved_question.content == question
    assert answer.role == "assistant" and answer.meta["cancelled"]


def test_ask_with_a_reasoning_model_shows_thinking_apart(wenji_home, bundled_gguf):
    """A model whose chat template opens a thinking block (as DeepSeek-R1 distills' do):
    `wenji ask` says "(thinking…)" on stderr instead of printing the thinking, and the
    answer on stdout carries no <think> tag."""
    from tests.answer.test_answer_thinking import THINKING_TEMPLATE
    from tests.models.conftest import add_string_metadata

    models = wenji_home / "models"
    models.mkdir(parents=True, exist_ok=True)
    add_string_metadata(bundled_gguf, models / "gemma-thinking.gguf",
                        {"tokenizer.chat_template": THINKING_TEMPLATE})
    (models / "model_settings.json").write_text(
        '{"gemma-thinking.gguf": {"max_tokens": 16, "thinking_tokens": 16, "context_length": 2048}}')
    res = wenji("ingest", "--quiet", str(MD_DIR / "en/docs/tutorial/first-steps.md"),
                home=wenji_home)
    assert res.returncode == 0, res.stderr
    res = wenji("ask", "--model", "gemma-thinking.gguf", "How do I create a FastAPI app?",
                home=wenji_home)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("(thinking…)") == 1, res.stderr
    assert "<think>" not in res.stdout and "</think>" not in res.stdout


def test_summarize_and_ask_about_chosen_documents(wenji_home):
    """`wenji summarize` prints a summary whose lines cite sections, then the sources;
    `wenji ask --doc` keeps to the chosen document; both name a document they do not
    know, and a file name two documents share."""
    en = MD_DIR / "en/docs/tutorial/first-steps.md"
    zh = MD_DIR / "zh/docs/tutorial/first-steps.md"
    res = wenji("ingest", "--quiet", str(en), str(zh), home=wenji_home)
    assert res.returncode == 0, res.stderr
    res = wenji("summarize", str(en), home=wenji_home)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("# ") and "[1]" in res.stdout and "Sources:" in res.stdout
    assert "[section " in res.stderr and "summarized now" in res.stderr
    again = wenji("summarize", str(en), home=wenji_home)
    assert again.returncode == 0 and "0 summarized now" in again.stderr
    both = wenji("summarize", "first-steps.md", home=wenji_home)
    assert both.returncode != 0 and "several documents are named first-steps.md" in both.stderr
    gone = wenji("summarize", "nothing.pdf", home=wenji_home)
    assert gone.returncode != 0 and "not a ready document" in gone.stderr

    res = wenji("ask", "--doc", str(zh), "--max-tokens", "8", "How do I run the app?",
                home=wenji_home)
    assert res.returncode == 0, res.stderr
    assert "(only 1 document" in res.stderr
    listed = [l for l in res.stdout.splitlines() if l.strip().startswith("/")]
    assert listed and all(str(zh) in l for l in listed)
    bad = wenji("ask", "--doc", "/no/such.pdf", "anything", home=wenji_home)
    assert bad.returncode != 0 and "none of the chosen documents" in bad.stderr
