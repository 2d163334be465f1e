"""The audit log: one JSON line per tool call (time, tool, task, outcome), never arguments' values."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .state import Project


@contextmanager
def audited(project: Project, tool: str, task_id: str | None = None) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = getattr(exc, "kind", type(exc).__name__)
        raise
    finally:
        entry = {"time": project.clock().isoformat().replace("+00:00", "Z"), "tool": tool, "task": task_id,
                 "outcome": outcome, "ms": round((time.perf_counter() - started) * 1000, 2)}
        try:
            path = project.store.dir / "logs" / "audit.jsonl"
            if not path.parent.is_dir():
                project.store.ensure_layout()
                path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(entry, sort_keys=True) + "\n")
        except OSError:  # an unwritable log must not fail the call it records
            pass
