"""Running the probes with the target's interpreter and reading what they wrote.

Each probe is a standalone script (``probe.py``, ``probe_database.py``) started as a list argv in
its own process group, with the project root as working directory, a timeout and its own log;
what it prints (the target's own output, a traceback) stays in the log, URL passwords masked.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ...process import run, target_env
from ..dependencies import AUTH_NAME
from .target import Target, sys_paths

PROBE = Path(__file__).with_name("probe.py")
DATABASE_PROBE = Path(__file__).with_name("probe_database.py")
DATABASE_ENV = "BACKEND_ORCHESTRATOR_DATABASE_URL"
# a dependency with an auth-like name that only provides a database session is not auth
DB_SESSION = (r"^(get_|create_|new_|provide_)?(async_|db_|sql_|orm_)*sessions?"
              r"(_?local|_?maker|_?factory|_?dep)?$")
_CREDENTIALS = re.compile(r"(?P<head>\b[a-z][\w+.-]*://[^:/@\s]*):(?P<password>[^@\s/]*)@", re.IGNORECASE)


class ProbeFailed(Exception):
    """A probe could not do its job; the message says why (first line of the error, no secrets)."""


def redact(text: str) -> str:
    """Mask the password of every URL in ``text``: ``postgresql://u:***@host/db``."""
    return _CREDENTIALS.sub(r"\g<head>:***@", text)


def probe_app(root: Path, python: str, target: Target, *, folder: Path, timeout: float,
              auth_names: list[str]) -> dict[str, Any]:
    """Import the target's app in ``python`` and return the probe's inventory."""
    what = ["--app", target.value] if target.kind == "app" else ["--framework", "django", "--settings", target.value]
    out = _scratch(folder)
    argv = [python, str(PROBE), *what, "--out", str(out), "--auth-pattern", AUTH_NAME.pattern,
            "--session-pattern", DB_SESSION]
    for entry in sys_paths(root):
        argv += ["--sys-path", entry]
    for name in auth_names:
        argv += ["--auth-name", name]
    return _run(argv, root, out, folder / "probe.log", timeout, None)


def probe_database(root: Path, python: str, url: str, *, folder: Path, timeout: float) -> dict[str, Any]:
    """Introspect the database at ``url`` in ``python``; the URL travels in the environment only."""
    out = _scratch(folder)
    argv = [python, str(DATABASE_PROBE), "--out", str(out)]
    return _run(argv, root, out, folder / "database.log", timeout, {DATABASE_ENV: url})


def _scratch(folder: Path) -> Path:
    """A fresh, empty file for one probe's output (two scans at once never share one)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".probe-", suffix=".json", dir=folder)
    os.close(fd)
    return Path(name)


def _run(argv: list[str], root: Path, out: Path, log: Path, timeout: float,
         env: dict[str, str] | None) -> dict[str, Any]:
    try:
        done = run(argv, cwd=root, timeout=timeout, log=log, env=target_env(env))
        text = out.read_text(encoding="utf-8")
    finally:
        out.unlink(missing_ok=True)
    if redact(done.output) != done.output:  # the target printed a URL with a password: not in our logs
        log.write_text(redact(done.output), encoding="utf-8")
    if done.timed_out:
        raise ProbeFailed(f"timed out after {timeout:g} s (timeouts.discovery_s)")
    try:
        data = json.loads(text)
    except ValueError:
        last = next((line for line in reversed(done.output.splitlines()) if line.strip()), "no output")
        raise ProbeFailed(redact(f"the probe exited with status {done.returncode}: {last.strip()}")) from None
    if not isinstance(data, dict):
        raise ProbeFailed("the probe wrote something that is not a JSON object")
    if data.get("error"):
        raise ProbeFailed(redact(str(data["error"])))
    return data
