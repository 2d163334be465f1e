"""The error tree.

Every problem a caller (a model, a person, a CI job) can fix raises a subclass of
:class:`OrchestratorError`. The MCP server turns these into tool errors the model reads; the
CLI prints them and exits 2. Anything else is an operator fault and reaches the boundary as a
protocol error (server) or a traceback (CLI).

    OrchestratorError
      ├── InvalidArgument          a bad value for a parameter (names the valid choices)
      │     └── PathOutsideProject a path that escapes the project root
      ├── NotFound                 an unknown task, run, skill, registry, standard clause
      ├── InvalidTransition        a status change the state machine does not allow
      ├── DependencyError          a task that cannot proceed because of its dependencies
      ├── ConfigError              the project's [tool.backend-orchestrator] table is invalid
      └── StateError               a state file is corrupt or fails its schema (never overwritten)
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
