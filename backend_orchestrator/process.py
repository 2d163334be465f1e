"""Running target code (tests, app imports, servers): a subprocess in its own process group, with a
timeout and cancellation. Used by discovery and by the gates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Variables of ours that must not leak into the target's interpreter.
# PYTEST_CURRENT_TEST: set when a pytest runs US; inherited, it would make the target look like it runs
# under that test (the SQL timer tags statements with it).
_DROP = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "COVERAGE_PROCESS_START", "PYTHONSTARTUP", "PYTEST_CURRENT_TEST")


@dataclass
class Completed:
    returncode: int | None  # None: killed (timeout or cancelled)
    output: str
    timed_out: bool = False
    cancelled: bool = False
    duration_s: float = 0.0


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has Linux kill the child when the thread that started it dies.

    Children run in their own process group (so a timeout can kill the whole group), which also
    means they would outlive a server killed mid-run; ``PR_SET_PDEATHSIG`` closes that gap. libc is
    loaded here, in the parent: the function the child runs between fork and exec calls into C only.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def arm() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)

    return arm


def target_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP}
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def run(argv: list[str], *, cwd: Path, timeout: float, log: Path, env: dict[str, str] | None = None,
        cancelled: threading.Event | None = None) -> Completed:
    """Run ``argv`` (a list: never a shell string) and keep its combined output in ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env or target_env(), start_new_session=True, preexec_fn=die_with_parent())
        timed_out = was_cancelled = False
        while True:
            try:
                proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancelled is not None and cancelled.is_set():
                    was_cancelled = True
                elif time.monotonic() - started > timeout:
                    timed_out = True
                else:
                    continue
                _kill_group(proc)
                break
    output = log.read_text(encoding="utf-8", errors="replace")
    return Completed(None if (timed_out or was_cancelled) else proc.returncode, output, timed_out,
                     was_cancelled, round(time.monotonic() - started, 3))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue
