"""Confined paths: nothing is read or written outside the project root, symlinks included."""

from __future__ import annotations

import re
from pathlib import Path

from ..contracts.common import TASK_ID_PATTERN
from ..errors import InvalidArgument, PathOutsideProject

_TASK_ID = re.compile(TASK_ID_PATTERN)


def confined(root: Path, *parts: str | Path) -> Path:
    """``root / parts``, resolved; an error when the result escapes ``root``."""
    candidate = root.joinpath(*parts).resolve()
    if candidate != root and not candidate.is_relative_to(root):
        shown = "/".join(str(p) for p in parts)
        raise PathOutsideProject(
            f"path {shown!r} resolves to {candidate}, outside the project root {root}; "
            "give a path inside the project (relative paths are taken from the root)"
        )
    return candidate


def check_task_id(task_id: object) -> str:
    if not isinstance(task_id, str) or not _TASK_ID.match(task_id):
        raise InvalidArgument(
            f"invalid task id {task_id!r}: task ids look like 'task-002-api' "
            "(task-<number>-<kind>, kind one of api, database, service, auth, testing)"
        )
    return task_id


def relative(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` in POSIX form, for reports and registries."""
    return path.resolve().relative_to(root).as_posix()
