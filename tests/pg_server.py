"""A throwaway PostgreSQL server for the tests (issue 6): ``initdb`` into a temporary folder,
``pg_ctl start`` on a free loopback port with its unix socket in that folder, a fresh database
per test, and ``pg_ctl stop`` at the end (also when a test failed).

The binaries are looked up on ``PATH`` and in ``/usr/lib/postgresql/*/bin`` (Debian's place).
``initdb`` refuses to run as root: as root the server runs as the ``postgres`` user (``runuser``
or ``setpriv``), and the folder is handed to that user. Without the binaries the PostgreSQL tests
are skipped with ``MISSING`` as the reason; ``.ci/run`` installs PostgreSQL, so CI runs them.

The server is for tests only: trust authentication on loopback, ``fsync`` off.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

MISSING = (
    "PostgreSQL not found (initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin): "
    "install postgresql (e.g. apt-get install postgresql) to run the PostgreSQL tests"
)
SERVER_USER = "postgres"
_START_TIMEOUT_SECONDS = 60


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (PATH first, then the newest Debian one)."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        folder = Path(initdb).resolve().parent
        if (folder / "pg_ctl").exists():
            return folder
    candidates = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if (path.parent / "pg_ctl").exists()
    ]
    return max(candidates, key=_version, default=None)


def _version(folder: Path) -> int:
    match = re.fullmatch(r"\d+", folder.parent.name)
    return int(match.group()) if match else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PgServer:
    """One running server; ``url(name)`` for SQLAlchemy, ``create_database``/``drop_database``."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.log = root / "server.log"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as_user: list[str] = []

    # ----- lifecycle -----

    def _as_user_prefix(self) -> list[str]:
        """How to run the server's programs: as ``postgres`` when we are root."""
        return _switch_user_prefix(SERVER_USER) if os.geteuid() == 0 else []

    def start(self) -> None:
        self.sockets.mkdir()
        self._as_user = self._as_user_prefix()
        if self._as_user:
            entry = pwd.getpwnam(SERVER_USER)
            for path in (self.root, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb", "-D", self.data, "-U", SERVER_USER, "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w",
                  "-t", str(_START_TIMEOUT_SECONDS), "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)

    def _run(self, program: str, *args: str | Path, check: bool = True) -> None:
        command = [*self._as_user, str(self.bin_dir / program), *map(str, args)]
        result = subprocess.run(
            command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        if check and result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}\n{log[-2000:]}"
            )

    # ----- databases -----

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3, TCP on loopback)."""
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres", autocommit=True
        )

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (connections still open are ended)."""
        name = url.rsplit("/", 1)[1]
        with self._admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _switch_user_prefix(user: str) -> list[str]:
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", user, "--"]
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        return [setpriv, f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
    raise RuntimeError(f"running as root: need runuser or setpriv to start PostgreSQL as {user}")


#: Run by the watchdog: wait until the test process is gone (its end of the pipe closes, also
#: when it is killed), then stop the server and remove its folder.
_WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.buffer.read()
command, root = sys.argv[1:-1], sys.argv[-1]
subprocess.run(command, capture_output=True, check=False)
shutil.rmtree(root, ignore_errors=True)
"""


@contextlib.contextmanager
def running_server(bin_dir: Path) -> Iterator[PgServer]:
    """Start a server in a new temporary folder (under ``/tmp``: the ``postgres`` user must be
    able to reach it), yield it, stop it and remove the folder, whatever happened: also when the
    test process is killed (a watchdog process does it then)."""
    root = Path(tempfile.mkdtemp(prefix="verzuim-pg-"))
    server = PgServer(bin_dir, root)
    stop = [*server._as_user_prefix(), str(bin_dir / "pg_ctl"), "-D", str(server.data),
            "-m", "immediate", "-w", "stop"]  # fmt: skip
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, *stop, str(root)],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        assert watchdog.stdin is not None
        watchdog.stdin.close()
        watchdog.wait(timeout=60)
