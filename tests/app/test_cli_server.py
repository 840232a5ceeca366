"""``wenji server`` and ``wenji --shared``, as a team uses them: an administrator prepares
a real PostgreSQL database and the Chroma server's token files, a writer logs in and
pushes a knowledge base of their own folder without re-embedding, a reader searches it
and is refused a change in words.  Subprocesses, as people run the command."""

from __future__ import annotations

import shutil
import stat

import pytest

from tests.app.test_cli import wenji
from tests.conftest import MD_DIR, REPO, require
from tests.servers import ChromaServer

pytestmark = pytest.mark.slow


def _home(tmp_path, name, shared_cache, settings=""):
    home = tmp_path / name
    (home / "models").mkdir(parents=True)
    (home / "models" / "embedders").symlink_to(shared_cache / "embedders")
    (home / "settings.toml").write_text(settings)
    return home


def test_init_login_push_search_and_a_readers_refusal(pg_server, tmp_path, monkeypatch,
                                                      shared_cache):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.file_keyring.FileKeyring")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pg_server.create_database("team_cli")
    out = tmp_path / "server-files"
    res = wenji("server", "init", "--admin", pg_server.dsn(dbname="team_cli"),
                "--chroma-url", "http://127.0.0.1:1", "--writer", "carol", "--reader", "dave",
                "--out", str(out), home=tmp_path / "admin")
    assert res.returncode == 0, res.stderr
    assert "python -m app.chroma_server" in res.stdout
    secrets = {}
    for name in ("carol", "dave"):
        assert stat.S_IMODE((out / "people" / f"{name}.secrets").stat().st_mode) == 0o600
        password, token = (out / "people" / f"{name}.secrets").read_text().split()
        secrets[name] = (password, token)
        settings = (out / "people" / f"{name}.toml").read_text()
        assert password not in settings and token not in settings and "user=" in settings
    assert secrets["carol"][1] in (out / "chroma" / "credentials.yaml").read_text()

    # the Chroma server with exactly the files init wrote
    with ChromaServer(users={"carol": (secrets["carol"][1], "writer"),
                             "dave": (secrets["dave"][1], "reader")}) as chroma:
        for name in ("credentials.yaml", "authz.yaml"):  # it runs on init's very files
            assert (chroma.folder / name).read_text() == (out / "chroma" / name).read_text()
        homes = {}
        for name in ("carol", "dave"):
            toml = (out / "people" / f"{name}.toml").read_text().replace(
                "http://127.0.0.1:1", chroma.url)
            homes[name] = _home(tmp_path, name, shared_cache, toml)
            monkeypatch.setenv("WENJI_TEST_KEYRING", str(homes[name] / "keyring.json"))
            res = _login(homes[name], secrets[name])
            assert res.returncode == 0, res.stderr
            assert ("a writer" if name == "carol" else "a reader") in res.stdout
            assert secrets[name][0] not in (homes[name] / "settings.toml").read_text()

        monkeypatch.setenv("WENJI_TEST_KEYRING", str(homes["carol"] / "keyring.json"))
        note = tmp_path / "notes" / "first-steps.md"
        note.parent.mkdir()
        shutil.copy(require(MD_DIR / "en/docs/tutorial/first-steps.md"), note)
        assert wenji("ingest", str(note), home=homes["carol"]).returncode == 0
        res = wenji("kb", "push", "default", "--as", "tutorial", "-q", home=homes["carol"])
        assert res.returncode == 0, res.stderr
        assert "pushed 'default'" in res.stdout and "as 'tutorial'" in res.stdout
        # a folder added to the team library is added once: not watched, since the
        # shared catalog would name carol's folder to every member's watcher
        more = tmp_path / "more-notes"
        more.mkdir()
        shutil.copy(require(MD_DIR / "en/docs/tutorial/body.md"), more / "body.md")
        res = wenji("--shared", "ingest", str(more), "--kb", "tutorial", home=homes["carol"])
        assert res.returncode == 0 and "watching" not in res.stderr, res.stderr
        res = wenji("--shared", "watch", "--list", home=homes["carol"])
        assert res.returncode == 2 and "this computer's library" in res.stderr, res.stderr

        monkeypatch.setenv("WENJI_TEST_KEYRING", str(homes["dave"] / "keyring.json"))
        res = wenji("--shared", "search", "how do I run the app with uvicorn", "--kb",
                    "tutorial", home=homes["dave"])
        assert res.returncode == 0, res.stderr
        assert "first-steps.md" in res.stdout
        res = wenji("server", "status", home=homes["dave"])
        assert "a reader" in res.stdout and "tutorial" in res.stdout
        res = wenji("--shared", "ingest", str(note), "--kb", "tutorial", home=homes["dave"])
        assert res.returncode == 2
        assert "reader" in res.stderr and "Traceback" not in res.stderr


def _login(home, secret):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "app", "--home", str(home), "server",
                           "login", "--stdin"], input="\n".join(secret) + "\n", cwd=REPO,
                          capture_output=True, text=True, timeout=300)
