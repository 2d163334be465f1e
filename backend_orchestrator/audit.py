"""The audit log: one JSON line per tool call (time, tool, task, outcome), never arguments' values.

The outcome is ``ok``, the ``kind`` of the OrchestratorError the call answered with, ``crash`` for
an unexpected exception (its traceback is in ``logs/errors.log``, see ``crash.py``), or the name of
a cancellation.

The log file is kept open in append mode for the life of the process (a tool call is on the hot
path); each line is flushed as it is written.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .errors import InternalError, OrchestratorError
from .state import Project

_handles: dict[Path, TextIO] = {}
_lock = threading.Lock()


@atexit.register
def _close_all() -> None:
    with _lock:
        while _handles:
            _handles.popitem()[1].close()


def _handle(project: Project) -> TextIO:
    root = project.root
    handle = _handles.get(root)
    if handle is None:
        path = project.store.dir / "logs" / "audit.jsonl"
        if not path.parent.is_dir():
            with contextlib.suppress(OSError):  # a broken layout must not cost the log (crash.py needs it too)
                project.store.ensure_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
        while len(_handles) >= 8:  # one per project in practice; bound it for long-lived test processes
            _handles.pop(next(iter(_handles))).close()
        handle = _handles[root] = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open on purpose
    return handle


@contextmanager
def audited(project: Project, tool: str, task_id: str | None = None) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = outcome_of(exc)
        raise
    finally:
        write_entry(project, tool, task_id, outcome, started)


def outcome_of(exc: BaseException) -> str:
    if isinstance(exc, OrchestratorError | InternalError):
        return exc.kind
    return "crash" if isinstance(exc, Exception) else type(exc).__name__


def write_entry(project: Project, tool: str, task_id: str | None, outcome: str, started: float) -> None:
    """Append one line; ``started`` is the call's ``time.perf_counter()`` at its start."""
    entry = {"time": project.clock().isoformat().replace("+00:00", "Z"), "tool": tool, "task": task_id,
             "outcome": outcome, "ms": round((time.perf_counter() - started) * 1000, 2)}
    try:
        with _lock:
            handle = _handle(project)
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
    except OSError:  # an unwritable log must not fail the call it records
        pass
