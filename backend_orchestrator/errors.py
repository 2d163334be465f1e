"""The error tree.

Every problem a caller (a model, a person, a CI job) can fix raises a subclass of
:class:`OrchestratorError`. The MCP server turns these into tool errors the model reads; the
CLI prints them and exits 2. A corrupt state file or a bad config (``StateError``,
``ConfigError``) is an operator fault: a protocol error from the server.

Anything else is unexpected (a bug, or the environment failing under us) and is never answered
with a bare "Error executing tool": the adapters append its traceback to
``ai-state/active/backend/logs/errors.log`` (``backend_orchestrator/crash.py``) and answer with an
:class:`InternalError` — one line naming what failed, the exception and where the traceback is.
The server returns it as a tool error (audit outcome ``crash``) and keeps serving; the CLI prints
it and exits 3.

    OrchestratorError
      ├── InvalidArgument          a bad value for a parameter (names the valid choices)
      │     └── PathOutsideProject a path that escapes the project root
      ├── NotFound                 an unknown task, run, skill, registry, standard clause
      ├── InvalidTransition        a status change the state machine does not allow
      ├── DependencyError          a task that cannot proceed because of its dependencies
      ├── ConfigError              the project's [tool.backend-orchestrator] table is invalid
      └── StateError               a state file is corrupt or fails its schema (never overwritten)

    InternalError                  an unexpected exception, logged; not an OrchestratorError (nothing to fix
                                   in the arguments)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class OrchestratorError(Exception):
    """Base of every error a caller can act on. ``kind`` is stable and machine-readable."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgument(OrchestratorError):
    kind = "invalid_argument"


class PathOutsideProject(InvalidArgument):
    kind = "path_outside_project"


class NotFound(OrchestratorError):
    kind = "not_found"


class InvalidTransition(OrchestratorError):
    kind = "invalid_transition"


class DependencyError(OrchestratorError):
    kind = "dependency"


class ConfigError(OrchestratorError):
    kind = "config"


class StateError(OrchestratorError):
    kind = "state"


class InternalError(Exception):
    """An unexpected failure, already logged: ``message`` is the one line the adapters show (what
    failed, the exception's type and message, where the traceback is); ``log`` is the log file
    relative to the project root, or None when it could not be written."""

    kind = "crash"

    def __init__(self, message: str, log: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.log = log

    def __str__(self) -> str:
        return self.message


def describe(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line, the message shortened to ``limit`` characters."""
    text = " ".join(str(exc).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def choices_hint(value: object, choices: Iterable[str]) -> str:
    """``valid choices: a, b, c (did you mean 'b'?)`` for an error message."""
    options = sorted(set(choices))
    text = "valid choices: " + (", ".join(options) if options else "(none)")
    if isinstance(value, str) and options:
        close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
        if close:
            text += f" (did you mean {close[0]!r}?)"
    return text


def invalid_choice(what: str, value: object, choices: Iterable[str]) -> InvalidArgument:
    """An :class:`InvalidArgument` for a value that is not one of ``choices``."""
    return InvalidArgument(f"unknown {what} {value!r}; {choices_hint(value, choices)}")
