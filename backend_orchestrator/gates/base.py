"""What every gate is: a small class with a stable id, run in a context, returning a result.

A gate that raises becomes an ``error`` result carrying the exception — never a pass, never a
failed tool call (see :func:`run_gate`).
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..contracts.config import ProjectConfig
from ..contracts.report import Finding, GateResult, GateStatus
from ..contracts.task import Task


@dataclass
class GateContext:
    root: Path
    config: ProjectConfig
    evidence_dir: Path
    task: Task | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()


class Gate:
    """Base class. Subclasses set ``id``, ``title`` and implement :meth:`run`."""

    id: ClassVar[str]
    title: ClassVar[str]

    def run(self, ctx: GateContext) -> GateResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self, status: GateStatus, summary: str, *, findings: list[Finding] | None = None,
               metrics: dict[str, float | int | str | bool | None] | None = None,
               evidence: list[str] | None = None) -> GateResult:
        return GateResult(gate=self.id, title=self.title, status=status, summary=summary,
                          findings=sorted(findings or [], key=Finding.sort_key), metrics=metrics or {},
                          evidence=evidence or [])


def run_gate(gate: Gate, ctx: GateContext) -> GateResult:
    """Run ``gate``, timing it, and contain any crash as an ``error`` result."""
    started = time.perf_counter()
    try:
        result = gate.run(ctx)
    except Exception as exc:  # a gate's own bug must not pass or crash the run
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        result = GateResult(gate=gate.id, title=gate.title, status="error",
                            summary=f"the gate crashed: {detail}",
                            metrics={"exception": type(exc).__name__})
    result.duration_s = round(time.perf_counter() - started, 3)
    return result
