"""A throwaway PostgreSQL server for the tests that need one (the ``postgres`` fixture in conftest.py).

``BO_TEST_POSTGRES_URL`` (``postgresql://user:password@host:port/db``, a user allowed to CREATE
DATABASE) points the tests at an existing server. Otherwise a cluster is made from Debian's
``postgresql`` binaries (``/usr/lib/postgresql/*/bin``): ``initdb`` into a fresh temporary directory,
``pg_ctl start`` on a free port of 127.0.0.1 with its unix socket in that directory, password
authentication over TCP (so the tests can check the password never shows), no fsync (nothing here
must survive), and ``pg_ctl stop`` plus the directory removed at the end of the session. ``initdb``
refuses to run as root, so as root the server runs as the ``postgres`` user the Debian package
creates (``runuser``), with the directory handed to it.

Without binaries, or when the server does not start, the tests are skipped with the reason;
``BO_REQUIRE_POSTGRES=1`` (set by ``.ci/run`` once it has the binaries) turns that skip into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

URL_ENV = "BO_TEST_POSTGRES_URL"
REQUIRE_ENV = "BO_REQUIRE_POSTGRES"
ADMIN = "bo_admin"


@dataclass
class PgServer:
    """A running server: URLs for new databases on it, and a few admin helpers (psycopg, our interpreter)."""

    host: str
    port: int
    user: str
    password: str
    admin_db: str = "postgres"
    started_s: float = 0.0
    created: list[str] = field(default_factory=list)

    def url(self, database: str, driver: str = "psycopg", host: str | None = None) -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        auth = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"{scheme}://{auth}@{host or self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None) -> Any:
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=database or self.admin_db, autocommit=True, connect_timeout=10)

    def create_database(self, prefix: str = "bo_test") -> str:
        """A new empty database (dropped at the end of the session); its name."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def query(self, database: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.connect(database) as conn:
            cur = conn.execute(sql, params or None)
            return list(cur.fetchall()) if cur.description else []

    def drop_created(self) -> None:
        with self.connect() as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server for these tests: {reason}")


def _bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    found = [b for b in found if (b / "pg_ctl").is_file()]
    return max(found, key=lambda b: int(re.sub(r"\D", "", b.parent.name) or 0), default=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_user() -> str | None:
    """The unprivileged user to run the server as when we are root (initdb refuses root); None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser") is None:
            _unavailable("running as root and runuser (util-linux) is missing to drop to an unprivileged user")
        return name
    _unavailable("running as root and there is no 'postgres' or 'nobody' user to run the server as")
    return None


def _as(user: str | None, argv: list[str]) -> list[str]:
    return argv if user is None else [shutil.which("runuser") or "runuser", "-u", user, "--", *argv]


def _run(argv: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, cwd="/")
    if done.returncode != 0:
        detail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        if log is not None and log.is_file():
            detail += log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        _unavailable(f"{what} failed (exit {done.returncode}): {' | '.join(detail)}")


@contextmanager
def _cluster(bindir: Path) -> Iterator[PgServer]:
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="bo-pg-"))  # under /tmp: the server user can reach it
    password = secrets.token_urlsafe(18)
    (base / "pwfile").write_text(password + "\n", encoding="utf-8")
    data, log = base / "data", base / "server.log"
    user = _server_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (base, base / "pwfile"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    server = None
    try:
        initdb = _as(user, [str(bindir / "initdb"), "-D", str(data), "-U", ADMIN, f"--pwfile={base / 'pwfile'}",
                                     "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                                     "--no-locale", "--no-sync", "--no-instructions"])
        _run(initdb, "initdb")
        port = _free_port()
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{base}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 50\n")
        start = _as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30",
                                    "start"])
        _run(start, f"pg_ctl start (port {port})", log)
        server = PgServer("127.0.0.1", port, ADMIN, password, started_s=time.monotonic() - started)
        yield server
    finally:
        if server is not None:
            stop = _as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
            subprocess.run(stop, capture_output=True, timeout=60, check=False, cwd="/")
        shutil.rmtree(base, ignore_errors=True)


def _existing(url: str) -> PgServer:
    parts = urlsplit(url)
    if not parts.hostname or not parts.username:
        _unavailable(f"{URL_ENV} must look like postgresql://user:password@host:port/db")
    return PgServer(parts.hostname or "", parts.port or 5432, unquote(parts.username or ""),
                    unquote(parts.password or ""), admin_db=parts.path.lstrip("/") or "postgres")


@contextmanager
def postgres_server() -> Iterator[PgServer]:
    """The session's server: ``BO_TEST_POSTGRES_URL``'s, or a throwaway cluster; skips with the reason."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed in the test interpreter (pip install '.[test]')")
    configured = os.environ.get(URL_ENV)
    if configured:
        server = _existing(configured)
        try:
            server.connect().close()
        except Exception as exc:
            _unavailable(f"{URL_ENV} does not answer: {type(exc).__name__}: {exc}")
        try:
            yield server
        finally:
            server.drop_created()
        return
    bindir = _bindir()
    if bindir is None:
        _unavailable("no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql; .ci/run does it)")
        return
    with _cluster(bindir) as server:
        try:
            yield server
        finally:
            server.drop_created()
