"""Serve the target app for the runtime gates (``performance``, ``contract-tests``): one context manager.

``serve(ctx, out, startup_s)`` prepares a scratch database when it can (a relative SQLite
``database_url`` with ``alembic_config``: ``alembic upgrade head`` in a scratch folder under ``out``,
so the project's own database is never touched), runs the configured seed (``serve.seed``,
``module:function``) there, then serves the configured ``app`` in a subprocess of the TARGET's
interpreter on 127.0.0.1 and a free port (own process group, dies with us), waits until it listens,
yields a :class:`Served`, and stops the whole process group on exit.

Both steps run ``_sqltimer/bo_serve.py`` in the target's interpreter with the scratch folder as the
working directory and the same environment (the seed without the SQL timer, so that its inserts are
not counted as the load's statements). The server is uvicorn for an ASGI app; for a WSGI app
(Flask, Django) gunicorn, else waitress, else uvicorn's WSGI interface, whichever the target has
(``Served.server`` / ``Served.interface`` say which). Each request is tagged for the SQL timer
(``bo_request.current``), and every statement the server runs is timed (``querytiming``; log
``out/sql-timing.jsonl``).

The seed's headers are credentials: they reach us through a 0600 file in the scratch folder that is
deleted as soon as it is read, are kept out of every repr, and any log or JSON file under ``out``
that still contains one when the server stops has it replaced by ``[redacted]``.

Failures raise :class:`ServeError` with a message that names the cause and the log to read.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import process
from ..config import target_python
from ..contracts.config import ProjectConfig
from . import querytiming
from .base import GateContext
from .secret_files import REDACTED as REDACTED
from .secret_files import redact
from .secret_files import secret_texts as secret_texts
from .secret_files import write_private as write_private

BO_SERVE = querytiming.TIMER_DIR / "bo_serve.py"

# Runs in the target's interpreter: `alembic upgrade head` with the ini's script_location made absolute,
# so that the working directory can be the scratch folder (where a relative sqlite URL then points).
ALEMBIC_UPGRADE = """
import os, sys
from alembic import command
from alembic.config import Config
ini = sys.argv[1]
cfg = Config(ini)
loc = cfg.get_main_option("script_location") or ""
if loc and ":" not in loc and not os.path.isabs(loc):
    cfg.set_main_option("script_location", os.path.join(os.path.dirname(ini), loc).replace("%", "%%"))
command.upgrade(cfg, "head")
"""


class ServeError(Exception):
    """The app could not be served; ``evidence`` lists the project-relative logs written so far."""

    def __init__(self, message: str, evidence: list[str]) -> None:
        super().__init__(message)
        self.evidence = evidence


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    port: int
    python: str
    sql_log: Path
    scratch: Path  # the server's working directory; the place for files only the run may read
    server: str = "unknown"  # uvicorn, gunicorn, waitress
    interface: str = "unknown"  # asgi, wsgi
    detail: str = ""  # e.g. the WSGI adapter uvicorn uses, or the threads
    evidence: list[str] = field(default_factory=list)  # project-relative logs (server, alembic, seed)
    # Sent with requests that need credentials (from the seed step). Secret: never log or report.
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    # Values for {placeholders} in configured request paths (from the seed step).
    values: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a process started in its own session, and everything in its group."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)  # reap it: no zombie left behind


def tail(path: Path, lines: int = 12) -> str:
    if not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])


def scratch_database(cfg: ProjectConfig) -> str | None:
    """The relative SQLite path of ``database_url`` when a migrated scratch copy can stand in for it."""
    url = cfg.database_url or ""
    if not cfg.alembic_config or not url.startswith("sqlite:///"):
        return None
    rel = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not rel or rel.startswith("/") or rel == ":memory:":
        return None
    return rel


def _prepare_database(ctx: GateContext, out: Path, scratch: Path, python: str, extra: dict[str, str],
                      evidence: list[str]) -> None:
    """Point the app at a fresh, migrated scratch SQLite database (when the config allows one)."""
    cfg, root = ctx.config, ctx.root
    db_rel = scratch_database(cfg)
    if db_rel is None:
        return
    db = (scratch / db_rel).resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    extra["DATABASE_URL"] = url
    database_env = cfg.database_env or os.environ.get("BO_DATABASE_ENV", "").strip()
    if database_env:
        extra[database_env] = url
    ini = (root / (cfg.alembic_config or "alembic.ini")).resolve()
    migrated = process.run([python, "-c", ALEMBIC_UPGRADE, str(ini)], cwd=scratch, timeout=120,
                           log=out / "alembic.log", env=process.target_env(extra), cancelled=ctx.cancelled)
    evidence.append(ctx.rel(out / "alembic.log"))
    if migrated.cancelled:
        raise ServeError("cancelled", evidence)
    if migrated.returncode != 0:
        raise ServeError(f"`alembic upgrade head` on the scratch database failed: {tail(out / 'alembic.log', 5)}",
                         evidence)


def _wait_ready(server: subprocess.Popen[bytes], port: int, limit_s: int, ctx: GateContext) -> str | None:
    """None once the server accepts connections; else why it never did."""
    import time

    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if ctx.cancelled.is_set():
            return "cancelled"
        if server.poll() is not None:
            return f"the app server exited with code {server.returncode} before it listened"
        if listening(port):  # uvicorn binds only after the app's start-up (lifespan) completed
            return None
        ctx.cancelled.wait(0.1)
    return f"the app server did not listen on 127.0.0.1:{port} within {limit_s} s (load.startup_s)"


def _seed(ctx: GateContext, out: Path, scratch: Path, python: str, env: dict[str, str],
          evidence: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Run ``serve.seed`` on the scratch database; its headers and values (empty without a seed)."""
    spec, limit = ctx.config.serve.seed, ctx.config.serve.seed_timeout_s
    if not spec:
        return {}, {}
    handed = scratch / ".bo-seed.json"
    handed.unlink(missing_ok=True)
    try:
        done = process.run([python, str(BO_SERVE), "seed", spec, str(handed)], cwd=scratch, timeout=limit,
                           log=out / "seed.log", env=env, cancelled=ctx.cancelled)
        evidence.append(ctx.rel(out / "seed.log"))
        if done.cancelled:
            raise ServeError("cancelled", evidence)
        last = tail(out / "seed.log")
        if done.timed_out:
            raise ServeError(f"the seed {spec!r} did not finish within {limit} s (serve.seed_timeout_s)"
                             + (f"; last lines of seed.log:\n{last}" if last else ""), evidence)
        if done.returncode != 0 or not handed.is_file():
            raise ServeError(f"the seed {spec!r} failed (exit code {done.returncode})"
                             + (f"; last lines of seed.log:\n{last}" if last else ""), evidence)
        data = json.loads(handed.read_text(encoding="utf-8"))
    finally:
        handed.unlink(missing_ok=True)
    return dict(data["headers"]), dict(data["values"])


@contextlib.contextmanager
def serve(ctx: GateContext, out: Path, startup_s: int) -> Iterator[Served]:
    """Serve ``ctx.config.app`` on loopback for the duration of the ``with`` block."""
    cfg, root = ctx.config, ctx.root
    out.mkdir(parents=True, exist_ok=True)
    scratch = out / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)  # each run starts from nothing: the seed may not be idempotent
    scratch.mkdir()
    for stale in ("server.log", "alembic.log", "seed.log"):
        (out / stale).unlink(missing_ok=True)
    python = target_python(root, cfg)
    extra = {"PYTHONPATH": str(root), "BO_APP_DIR": str(root)}
    evidence: list[str] = []
    _prepare_database(ctx, out, scratch, python, extra, evidence)
    headers, values = _seed(ctx, out, scratch, python, process.target_env(extra), evidence)
    sql_log = out / "sql-timing.jsonl"
    env = querytiming.timer_env(sql_log, root, process.target_env(
        {**extra, "BO_TARGET_APP": cfg.app or "", "BO_SERVE_INTERFACE": cfg.serve.interface}))
    port = free_port()
    info = scratch / ".bo-serve.json"
    info.unlink(missing_ok=True)
    server: subprocess.Popen[bytes] | None = None
    try:
        with open(out / "server.log", "w", encoding="utf-8") as log:
            server = subprocess.Popen(
                [python, str(BO_SERVE), "serve", str(port), str(info)],
                cwd=scratch, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True, preexec_fn=process.die_with_parent())
        evidence.append(ctx.rel(out / "server.log"))
        problem = _wait_ready(server, port, startup_s, ctx)
        if problem is not None:
            last = tail(out / "server.log")
            raise ServeError(problem + (f"; last lines of its log:\n{last}" if last else ""), evidence)
        chosen = json.loads(info.read_text(encoding="utf-8")) if info.is_file() else {}
        info.unlink(missing_ok=True)
        yield Served(url=f"http://127.0.0.1:{port}", port=port, python=python, sql_log=sql_log, scratch=scratch,
                     server=str(chosen.get("server", "unknown")), interface=str(chosen.get("interface", "unknown")),
                     detail=str(chosen.get("detail", "")),
                     evidence=evidence, headers=headers, values=values, process=server)
    finally:
        stop(server)
        redact(out, headers)
