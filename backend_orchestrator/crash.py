"""The error log: the traceback of every unexpected exception the adapters catch.

A tool, resource or CLI command that fails with anything but an :class:`OrchestratorError` is a
bug (or the environment failing under us). :func:`record` appends one block to
``ai-state/active/backend/logs/errors.log`` (git-ignored, like the audit log) and returns the
:class:`InternalError` both adapters show: what failed, the exception in one line, and where the
traceback is — or, when the log cannot be written, why not.

A block holds the time, what failed (tool, resource template or command), the task id and the
traceback: never the call's arguments. Credentials that look like ``scheme://user:pass@``,
``password=…`` or ``Bearer …`` are masked in it.
"""

from __future__ import annotations

import contextlib
import re
import threading
import traceback
from datetime import UTC, datetime

from . import __version__
from .errors import InternalError, OrchestratorError, describe
from .state import Project
from .state.paths import check_task_id

LOG_PARTS = ("logs", "errors.log")

_lock = threading.Lock()
_URL_PASSWORD = re.compile(r"(\b[a-z][\w+.-]*://[^:/@\s]*):[^@\s/]*@", re.IGNORECASE)
_KEY_VALUE = re.compile(r"\b(password|passwd|pwd|secret|token|api_?key)(\s*[=:]\s*)(['\"]?)[^\s'\"&,;]+",
                        re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer\s+)[\w.~+/=-]+", re.IGNORECASE)


def mask(text: str) -> str:
    """``text`` with URL passwords, ``password=…``-style values and bearer tokens replaced by ``***``."""
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    text = _KEY_VALUE.sub(r"\1\2\3***", text)
    return _BEARER.sub(r"\1***", text)


def task_of(value: object) -> str | None:
    """``value`` when it is a well-formed task id (the one argument a log block may name), else None."""
    try:
        return check_task_id(value)
    except OrchestratorError:
        return None


def record(project: Project | None, where: str, exc: BaseException, task_id: str | None = None) -> InternalError:
    """Log ``exc``'s traceback for the project and return the one-line error that says so.

    ``where`` names what failed ("receive_task", "resource backend://workflow", "task add"). Never
    raises: a log that cannot be written is named in the message instead.
    """
    task_id = task_of(task_id)
    summary = f"{where} failed unexpectedly: {mask(describe(exc))}"
    if project is None:
        return InternalError(f"{summary}; the traceback was not logged (no project)")
    try:
        path = project.store.path(*LOG_PARTS)
        shown = project.store.display(path)
    except Exception as problem:  # ai-state leads outside the project, or cannot be resolved
        shown_problem = problem if isinstance(problem, OrchestratorError) else describe(problem, 120)
        return InternalError(f"{summary}; the traceback was not logged: {shown_problem}")
    try:
        when = project.clock()
    except Exception:  # the clock is injectable; the log must not depend on it
        when = datetime.now(UTC)
    block = (f"=== {when.isoformat().replace('+00:00', 'Z')}  {where}  task {task_id or '-'}  "
             f"(backend-orchestrator {__version__})\n"
             + mask("".join(traceback.format_exception(exc))).rstrip("\n") + "\n\n")
    try:
        # the .gitignore that keeps logs/ out of git; if the layout cannot be made, the write says why
        with contextlib.suppress(OSError):
            project.store.ensure_layout()
        with _lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(block)
    except OSError as problem:
        return InternalError(f"{summary}; the traceback could not be logged: ai-state is not writable "
                             f"({describe(problem, 120)})")
    return InternalError(f"{summary}; the traceback is in {shown}", shown)
