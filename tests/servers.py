"""Throwaway REAL database servers on 127.0.0.1 for the tests: PostgreSQL and Chroma.

Each server lives in a temporary folder of its own (data, sockets, config, log), made
at :meth:`start` and removed at :meth:`stop`, and runs in its own session / process
group.  Both classes are context managers::

    with PostgresServer() as pg:
        pg.create_role("kb", "secret")
        pg.create_database("kb", owner="kb")
        with psycopg.connect(pg.dsn(user="kb", dbname="kb")) as conn: ...

    with ChromaServer(users={"alice": ("tok-a", "writer"), "bob": ("tok-b", "reader")}) as ch:
        col = ch.client("tok-a").create_collection("c", embedding_function=None)

Both offer ``start()``, ``stop()``, ``kill()`` (SIGKILL, to test crashes), ``restart()``
(same data, same port), ``wait_ready(timeout)``, ``host`` and ``port``.  A server that
cannot start because software is missing raises :class:`ServerUnavailable`; one that
starts but fails raises :class:`ServerStartError` with the tail of its log.

Clean-up is layered so that neither processes nor folders are left behind:

* ``stop()`` (and leaving the ``with`` block) shuts the server down and removes its folder;
* an ``atexit`` hook (and, with :func:`install_signal_cleanup`, SIGTERM/SIGHUP) does the
  same for every server still running when the interpreter exits;
* each server process gets a parent-death signal (``setpriv --pdeathsig``), so it also
  goes away when the test process is SIGKILLed; the folder left behind by such a death
  is swept by the next :meth:`start` (each folder records its owner's pid).

The parent-death signal fires when the *thread* that started the server ends: start
servers from the main thread (as pytest fixtures do), not from a short-lived thread.
"""

from __future__ import annotations

import atexit
import glob
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = [
    "ServerUnavailable",
    "ServerStartError",
    "PostgresServer",
    "ChromaServer",
    "find_pg_bindir",
    "cleanup_all",
    "install_signal_cleanup",
    "sweep_stale_folders",
]

HOST = "127.0.0.1"
OWNER_FILE = "wenji-owner.json"
PG_PREFIX = "wenji-pg-"
CHROMA_PREFIX = "wenji-chroma-"
LOG_TAIL_LINES = 40


class ServerUnavailable(RuntimeError):
    """The software a server needs is not installed (says what is missing)."""


class ServerStartError(RuntimeError):
    """A server was started but did not come up (the message ends with its log's tail)."""


# --- helpers ----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file, without terminal colour codes."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as e:
        return f"(no log: {e})"
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc; empty where there is no /proc)."""
    kids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.split("/")[2]))
    return kids


def _wait_gone(pids, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if not any(_alive(p) for p in pids):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _pdeathsig_prefix(sig: str) -> list[str]:
    """``setpriv --pdeathsig SIG`` when setpriv (util-linux) is there, else nothing."""
    setpriv = shutil.which("setpriv")
    return [setpriv, f"--pdeathsig={sig}"] if setpriv else []


def _make_folder(prefix: str, root: Path | None) -> Path:
    base = Path(root) if root is not None else Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    sweep_stale_folders(base)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    (folder / OWNER_FILE).write_text(json.dumps({"pid": os.getpid()}))
    return folder


def sweep_stale_folders(base: Path | None = None) -> list[Path]:
    """Remove server folders in ``base`` (default: the temp dir) whose owning test
    process is dead, stopping the server still running there if any.  Returns the
    folders removed."""
    base = Path(base) if base is not None else Path(tempfile.gettempdir())
    removed = []
    for folder in list(base.glob(PG_PREFIX + "*")) + list(base.glob(CHROMA_PREFIX + "*")):
        try:
            owner = json.loads((folder / OWNER_FILE).read_text())["pid"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or being made right now
        if _alive(owner):
            continue
        for pidfile in (folder / "data" / "postmaster.pid", folder / "server.pid"):
            try:
                pid = int(pidfile.read_text().split()[0])
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except (OSError, ValueError, IndexError):
                continue
            if str(folder).encode() in cmdline:  # that pid really is our server
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                _wait_gone([pid], 5)
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


# --- registry for clean-up at exit ------------------------------------------------

_LIVE: set = set()
_LIVE_LOCK = threading.RLock()  # re-entrant: the signal handler may interrupt a holder


def _register(server) -> None:
    with _LIVE_LOCK:
        _LIVE.add(server)


def _unregister(server) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(server)


def cleanup_all() -> None:
    """Stop every server still running and remove its folder (atexit, signals)."""
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        try:
            server.stop(timeout=10)
        except Exception:  # noqa: BLE001 - best effort at exit
            try:
                server.kill()
            except Exception:  # noqa: BLE001
                pass
            if server.folder is not None:
                shutil.rmtree(server.folder, ignore_errors=True)
            _unregister(server)


atexit.register(cleanup_all)

_SIGNALS_INSTALLED = False


def install_signal_cleanup() -> None:
    """On SIGTERM / SIGHUP (which skip atexit), clean up the servers, then die of the
    signal as before.  Only installs where the handler is still the default, and only
    from the main thread."""
    global _SIGNALS_INSTALLED
    if _SIGNALS_INSTALLED or threading.current_thread() is not threading.main_thread():
        return

    def handler(signum, frame):
        cleanup_all()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, handler)
    _SIGNALS_INSTALLED = True


# --- PostgreSQL -------------------------------------------------------------------


def _pg_version(bindir: str) -> tuple[int, ...]:
    m = re.search(r"/postgresql/([0-9.]+)/bin", bindir)
    return tuple(int(x) for x in m[1].split(".") if x) if m else (0,)


PG_PROGRAMS = ("initdb", "postgres")


def _check_pg_bindir(bindir: Path) -> Path:
    missing = [p for p in PG_PROGRAMS if not os.access(Path(bindir, p), os.X_OK)]
    if missing:
        raise ServerUnavailable(f"PostgreSQL's {' and '.join(missing)} not found in "
                                f"{bindir}")
    return Path(bindir)


def find_pg_bindir() -> Path:
    """The folder with PostgreSQL's ``initdb`` and ``postgres``: the newest
    ``/usr/lib/postgresql/*/bin`` (Debian's layout), else ``pg_config --bindir``."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_pg_version, reverse=True):
        if os.access(Path(d, "initdb"), os.X_OK) and os.access(Path(d, "postgres"), os.X_OK):
            return Path(d)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            d = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                               timeout=30, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            d = ""
        if d and os.access(Path(d, "initdb"), os.X_OK) and os.access(Path(d, "postgres"), os.X_OK):
            return Path(d)
    raise ServerUnavailable(
        "PostgreSQL server binaries (initdb, postgres) not found in "
        "/usr/lib/postgresql/*/bin nor in `pg_config --bindir`: install Debian's "
        "postgresql package (apt-get install postgresql)")


def _utf8_locale() -> str | None:
    """C.UTF-8 if the system has it (so that the text-search parser classifies
    non-ASCII letters), else None (initdb --no-locale)."""
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = {n.strip().lower() for n in out.splitlines()}
    return "C.UTF-8" if names & {"c.utf8", "c.utf-8"} else None


class _ThrowawayServer:
    """What both throwaway servers share: a process started in its own session, a
    temporary folder, and stop / restart / ``with`` built on the subclass's ``start``
    and ``_shutdown``."""

    START_TIMEOUT = 60.0
    STOP_TIMEOUT = 30.0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def restart(self, timeout: float | None = None):
        """Stop (if running) and start again on the same data and port."""
        self._shutdown()
        return self.start(timeout or self.START_TIMEOUT)

    def stop(self, timeout: float | None = None) -> None:
        """Shut the server down and remove its folder."""
        try:
            self._shutdown(timeout or self.STOP_TIMEOUT)
        finally:
            self._remove_folder()

    def _remove_folder(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
        _unregister(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class PostgresServer(_ThrowawayServer):
    """A throwaway PostgreSQL cluster on 127.0.0.1, password (scram-sha-256) only.

    ``root`` is the folder in which the cluster's temporary folder is made (default:
    the system temp dir, ``tempfile.mkdtemp(prefix="wenji-pg-")``); the folder holds
    ``data/`` (the cluster), ``sock/`` (the unix socket) and ``server.log``.

    PostgreSQL refuses to run as root.  When the tests run as root (CI does), initdb and
    postgres run as ``nobody:nogroup`` through ``setpriv --reuid=nobody
    --regid=nogroup --clear-groups``: nobody exists on every Debian system, and needs
    nothing but ownership of the cluster folder (which is chown'ed to it).  That is why
    the folder cannot be under pytest's ``tmp_path`` (inside a 0700 root-owned folder
    nobody cannot enter): every folder above it must be enterable by others, which
    :meth:`start` checks.  A dedicated user would need useradd and would buy nothing
    here: the cluster is throwaway and reachable only with its random password.  When
    not root, everything runs as the current user.

    ``bindir`` overrides where initdb and postgres are looked for (default:
    :func:`find_pg_bindir`).  The port is picked at the first start and kept by
    :meth:`restart`.  The superuser
    is ``postgres`` with a random password (:attr:`superuser`, :attr:`superuser_password`).
    """

    host = HOST

    def __init__(self, root: Path | None = None, *, superuser: str = "postgres",
                 port: int | None = None, bindir: Path | None = None) -> None:
        self.root = Path(root) if root is not None else None
        self.given_bindir = Path(bindir) if bindir is not None else None
        self.superuser = superuser
        self.superuser_password = secrets.token_urlsafe(18)
        self.port: int | None = port
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.passwords: dict[str, str] = {superuser: self.superuser_password}
        self.bindir: Path | None = None

    # paths
    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "sock"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    # running as someone else when root
    def _as_user(self) -> list[str]:
        if not _is_root():
            return []
        setpriv = shutil.which("setpriv")
        if not setpriv:
            raise ServerUnavailable(
                "running as root, and PostgreSQL refuses to run as root: setpriv "
                "(util-linux) is needed to run it as nobody, and it is missing")
        return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

    def _chown(self, path: Path) -> None:
        if _is_root():
            import grp
            import pwd

            try:
                os.chown(path, pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
            except KeyError as e:
                raise ServerUnavailable(f"running as root, and user/group {e} is missing "
                                        "(needed to run PostgreSQL unprivileged)") from None

    def _check_reachable(self) -> None:
        """As root, nobody must be able to enter every folder above the cluster's."""
        if not _is_root():
            return
        for parent in self.folder.parents:
            if not os.stat(parent).st_mode & 0o001:
                raise ServerStartError(
                    f"{parent} cannot be entered by others, so PostgreSQL (running as "
                    f"nobody) cannot reach {self.folder}: give a root= whose every "
                    "parent folder is world-enterable (the default temp dir is)")

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"  # English messages in the log
        return env

    # lifecycle
    def start(self, timeout: float = 60) -> "PostgresServer":
        if self.running:
            return self
        self.bindir = (_check_pg_bindir(self.given_bindir) if self.given_bindir
                       else find_pg_bindir())
        as_user = self._as_user()
        if self.folder is None:
            self.passwords = {self.superuser: self.superuser_password}  # a new cluster
            self.folder = _make_folder(PG_PREFIX, self.root)
            _register(self)
            try:
                self._chown(self.folder)
                self._check_reachable()
                self._initdb(as_user)
            except BaseException:
                self._remove_folder()
                raise
        if self.port is None:
            self.port = free_port()
        try:
            self._launch(as_user)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _initdb(self, as_user: list[str]) -> None:
        self.socket_dir.mkdir()
        self._chown(self.socket_dir)
        pwfile = self.folder / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        self._chown(pwfile)
        locale_args = ["--locale=" + loc] if (loc := _utf8_locale()) else ["--no-locale"]
        cmd = as_user + [
            str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", self.superuser,
            f"--pwfile={pwfile}", "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256", "--encoding=UTF8", *locale_args,
            "--no-sync",  # initdb's own fsyncs; the server itself keeps fsync on
            "--no-instructions",
        ]
        with open(self.log_path, "ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            r = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=self._env(),
                               cwd=self.folder, timeout=300)
        pwfile.unlink()
        if r.returncode != 0:
            raise ServerStartError(f"initdb failed (exit {r.returncode}); log "
                                   f"{self.log_path}:\n{log_tail(self.log_path)}")
        (self.data_dir / "pg_hba.conf").write_text(
            "# written by tests/servers.py: password auth only, loopback only\n"
            "local all all scram-sha-256\n"
            f"host  all all {HOST}/32 scram-sha-256\n")
        sock = str(self.socket_dir).replace("'", "''")
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# --- tests/servers.py ---\n"
                f"listen_addresses = '{HOST}'\n"
                f"unix_socket_directories = '{sock}'\n"
                "max_connections = 120\n"
                "shared_buffers = 32MB\n"
                "fsync = on\n"
                "synchronous_commit = on\n"
                "password_encryption = 'scram-sha-256'\n"
                "logging_collector = off\n"
                "log_destination = 'stderr'\n"
                "log_line_prefix = '%m [%p] '\n")

    def _launch(self, as_user: list[str]) -> None:
        if not port_is_free(self.port):
            raise ServerStartError(f"port {self.port} on {HOST} is taken")
        cmd = as_user + _pdeathsig_prefix("INT") + [
            str(self.bindir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)]
        with open(self.log_path, "ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self._env(),
                                         cwd=self.folder, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until the superuser can connect and run a query; raise
        :class:`ServerStartError` (with the log's tail) if the server dies or the time
        runs out."""
        import psycopg

        deadline = time.monotonic() + timeout
        last = None
        while True:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise ServerStartError(f"postgres exited (code {code}) before it was "
                                       f"ready; log {self.log_path}:\n{log_tail(self.log_path)}")
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as e:
                last = e
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"postgres not ready after {timeout:.0f} s ({last}); log "
                    f"{self.log_path}:\n{log_tail(self.log_path)}")
            time.sleep(0.1)

    def _shutdown(self, timeout: float = 30) -> None:
        """Stop the server (fast shutdown, then immediate, then SIGKILL); keep data."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5)):
                try:
                    self.proc.send_signal(sig)
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                self.kill()
        self.proc = None

    def kill(self) -> None:
        """Crash the server: SIGKILL the postmaster and its backends at once (as a power
        cut would), keeping the data folder; :meth:`restart` then runs crash recovery.

        The postmaster is stopped first so that it forks no new backend meanwhile
        (backends are session leaders of their own, so a process-group kill would
        miss them)."""
        if self.proc is None:
            return
        pid = self.proc.pid
        if self.proc.poll() is None:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
            kids = _children(pid)
            for p in [pid, *kids]:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(10)
            if not _wait_gone(kids, 10):
                raise RuntimeError(f"postgres backends {kids} outlived SIGKILL")
        self.proc = None

    # connecting
    def dsn(self, user: str | None = None, password: str | None = None,
            dbname: str = "postgres", **extra) -> str:
        """A libpq conninfo string for psycopg 3 (``psycopg.connect(dsn)``).  Without
        ``password``, the one given to :meth:`create_role` (or the superuser's) is used."""
        from psycopg.conninfo import make_conninfo

        user = user or self.superuser
        if password is None:
            password = self.passwords.get(user)
        params = dict(host=self.host, port=self.port, user=user, dbname=dbname, **extra)
        if password is not None:
            params["password"] = password
        return make_conninfo(**params)

    def connect(self, user: str | None = None, password: str | None = None,
                dbname: str = "postgres", **kwargs):
        """A psycopg connection (as the superuser by default)."""
        import psycopg

        return psycopg.connect(self.dsn(user, password, dbname), **kwargs)

    def create_role(self, name: str, password: str, login: bool = True) -> None:
        """CREATE ROLE with a (scram-sha-256) password, as the superuser."""
        from psycopg import sql

        stmt = sql.SQL("CREATE ROLE {} WITH {} PASSWORD {}").format(
            sql.Identifier(name), sql.SQL("LOGIN" if login else "NOLOGIN"),
            sql.Literal(password))
        with self.connect(autocommit=True) as conn:
            conn.execute(stmt)
        self.passwords[name] = password

    def create_database(self, name: str, owner: str | None = None) -> None:
        """CREATE DATABASE (UTF8), owned by ``owner`` if given, as the superuser."""
        from psycopg import sql

        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if owner:
            stmt = stmt + sql.SQL(" OWNER {}").format(sql.Identifier(owner))
        with self.connect(autocommit=True) as conn:
            conn.execute(stmt)

    def __repr__(self) -> str:
        return f"<PostgresServer {self.host}:{self.port} folder={self.folder}>"


# --- Chroma -----------------------------------------------------------------------

from app.chroma_server import (RBAC_AUTHZ, ROLES, TOKEN_AUTHN, TOKEN_CLIENT,  # noqa: E402,F401
                               server_environment, write_auth_files)

_TOKEN_CHARS = re.compile(r"^[!-~]+$")  # what chromadb's _check_token accepts


# Runs Chroma's FastAPI server the way a team runs it (app/chroma_server.py says why
# that one and what it mends).  argv: host port folder (the folder is there so that a
# sweep can tell this process is ours).
CHROMA_LAUNCHER = """\
import sys
from app.chroma_server import main
main(sys.argv[1:3])
"""


class ChromaServer(_ThrowawayServer):
    """A throwaway Chroma server on 127.0.0.1 with token authentication and a role per
    user.

    ``users`` maps a user id to ``(token, role)`` with role ``"reader"`` (list, get,
    query, count) or ``"writer"`` (that plus create/update/delete collections and add/
    update/upsert/delete records); default: ``alice`` (writer) and ``bob`` (reader)
    with random tokens (see :attr:`users` / :meth:`token`).

    Which server: chromadb 1.5 ships two.  ``chroma run`` (the Rust frontend) starts in
    about 1 s but does NOT enforce authentication: with
    ``CHROMA_SERVER_AUTHN_PROVIDER=...TokenAuthenticationServerProvider`` and
    ``CHROMA_SERVER_AUTHN_CREDENTIALS`` set, a client with a wrong token, or with none,
    could still create collections and add records (and its log says nothing about
    auth).  So this runs the Python FastAPI server of the same package (``python -m
    uvicorn chromadb.app:app``), whose token authn provider reads the users from a YAML
    credentials file and whose SimpleRBACAuthorizationProvider maps users to roles and
    roles to actions.  Its storage is the same Rust engine (``IS_PERSISTENT`` +
    ``PERSIST_DIRECTORY``).  It is started through :data:`CHROMA_LAUNCHER` (see there
    for the one module it may have to stand in for).

    Refusals: a wrong or missing token gets HTTP 403 ``{"error": "AuthError", "message":
    "Forbidden"}``, which the client raises as ``chromadb.errors.ChromaAuthError``
    (already when it is created, as it checks the tenant); an action outside the user's
    role gets HTTP 403 ``{"detail": "Forbidden"}``, which the client raises as a plain
    ``Exception('{"detail":"Forbidden"} (trace ID: ...)')``.

    Telemetry is off and nothing is fetched at start-up.
    """

    host = HOST
    START_TIMEOUT = 90.0
    STOP_TIMEOUT = 20.0

    def __init__(self, root: Path | None = None,
                 users: dict[str, tuple[str, str]] | None = None, *,
                 port: int | None = None, python: str | None = None) -> None:
        if users is None:
            users = {"alice": (secrets.token_urlsafe(18), "writer"),
                     "bob": (secrets.token_urlsafe(18), "reader")}
        if not users:
            raise ValueError("ChromaServer needs at least one user")
        seen = set()
        for user, (token, role) in users.items():
            if role not in ROLES:
                raise ValueError(f"user {user!r}: role must be one of {sorted(ROLES)}, "
                                 f"not {role!r}")
            if not _TOKEN_CHARS.match(token):
                raise ValueError(f"user {user!r}: a token may hold only ASCII letters, "
                                 "digits and punctuation")
            if token in seen:
                raise ValueError(f"user {user!r}: token already used by another user")
            seen.add(token)
        self.users = dict(users)
        self.root = Path(root) if root is not None else None
        self.port: int | None = port
        self.python = python or sys.executable
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.start_seconds: float | None = None  # of the last start, until ready

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "server.log"

    def token(self, user: str) -> str:
        return self.users[user][0]

    def _check_software(self) -> None:
        probe = ("import importlib.util as u, sys; "
                 "sys.exit(0 if all(u.find_spec(m) for m in ('uvicorn', 'fastapi', "
                 "'chromadb')) else 1)")
        try:
            ok = subprocess.run([self.python, "-c", probe], timeout=60,
                                capture_output=True).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if not ok:
            raise ServerUnavailable(
                f"{self.python} cannot import uvicorn, fastapi and chromadb, which the "
                "Chroma server needs (pip install chromadb)")

    def _write_config(self) -> None:
        write_auth_files(self.folder, self.users)

    def _env(self) -> dict[str, str]:
        # Drop anything chromadb's Settings would read from our environment.
        try:
            from chromadb.config import Settings

            fields = {f.upper() for f in Settings.model_fields}
        except ImportError:
            fields = set()
        env = {k: v for k, v in os.environ.items()
               if k.upper() not in fields and not k.upper().startswith("CHROMA_")}
        env.update(server_environment(self.folder, self.folder / "data"))
        env.update({"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"})
        return env

    def start(self, timeout: float = 90) -> "ChromaServer":
        if self.running:
            return self
        t0 = time.monotonic()
        self._check_software()
        if self.folder is None:
            self.folder = _make_folder(CHROMA_PREFIX, self.root)
            _register(self)
            (self.folder / "data").mkdir()
            self._write_config()
        if self.port is None:
            self.port = free_port()
        try:
            if not port_is_free(self.port):
                raise ServerStartError(f"port {self.port} on {HOST} is taken")
            cmd = _pdeathsig_prefix("TERM") + [
                self.python, "-c", CHROMA_LAUNCHER, HOST, str(self.port), str(self.folder)]
            with open(self.log_path, "ab") as log:
                log.write(f"$ {' '.join(cmd)}\n".encode())
                log.flush()
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=self._env(),
                                             cwd=self.folder, start_new_session=True)
            (self.folder / "server.pid").write_text(str(self.proc.pid))
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def heartbeat(self, timeout: float = 2) -> bool:
        """True if GET /api/v2/heartbeat answers 200 (no token needed)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", "/api/v2/heartbeat")
            return conn.getresponse().status == 200
        except OSError:
            return False
        finally:
            conn.close()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise ServerStartError(f"chroma exited (code {code}) before it was "
                                       f"ready; log {self.log_path}:\n{log_tail(self.log_path)}")
            if self.heartbeat():
                return
            if time.monotonic() > deadline:
                raise ServerStartError(f"chroma not ready after {timeout:.0f} s; log "
                                       f"{self.log_path}:\n{log_tail(self.log_path)}")
            time.sleep(0.1)

    def _shutdown(self, timeout: float = 20) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()  # whatever is left of the group

    def kill(self) -> None:
        """SIGKILL the server's whole process group, keeping its data."""
        if self.proc is None:
            return
        _signal_group(self.proc.pid, signal.SIGKILL)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"chroma server {self.proc.pid} outlived SIGKILL") from None
        self.proc = None

    def client(self, token: str | None):
        """A ``chromadb.HttpClient`` sending ``token`` (None: no token), telemetry off.
        Creating it already talks to the server (it checks the tenant and database),
        so a refused token raises here."""
        import chromadb
        from chromadb.config import Settings

        if token is None:
            settings = Settings(anonymized_telemetry=False)
        else:
            settings = Settings(chroma_client_auth_provider=TOKEN_CLIENT,
                                chroma_client_auth_credentials=token,
                                anonymized_telemetry=False)
        return chromadb.HttpClient(host=self.host, port=self.port, settings=settings)

    def __repr__(self) -> str:
        return f"<ChromaServer {self.url} folder={self.folder}>"
