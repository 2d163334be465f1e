"""Validation runs in the background: one thread per run, attachable, cancellable.

A run executes outside the call that started it. The MCP tool waits a bounded time and
returns ``running`` with the run id; a second call for the same task attaches to the same run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..contracts.report import GateResult, RunProgress, ValidationReport
from ..gates import GateContext, get_gate, run_gate


@dataclass
class Run:
    run_id: str
    task_id: str | None
    root: Path
    gates: list[str]
    started_at: datetime
    evidence_dir: Path
    done_event: threading.Event = field(default_factory=threading.Event)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    results: list[GateResult] = field(default_factory=list)
    current: str | None = None
    report: ValidationReport | None = None
    report_path: str | None = None
    failure: str | None = None  # an infrastructure fault that stopped the run

    @property
    def progress(self) -> RunProgress:
        return RunProgress(done=len(self.results), total=len(self.gates), current=self.current)

    def wait(self, seconds: float | None) -> bool:
        return self.done_event.wait(seconds)


_runs: dict[tuple[Path, str], Run] = {}
_lock = threading.Lock()


def active(root: Path, owner: str) -> Run | None:
    with _lock:
        run = _runs.get((root, owner))
        return run if run and not run.done_event.is_set() else None


def start(run: Run, ctx_for: Callable[[Run], GateContext],
          finish: Callable[[Run, list[GateResult]], None]) -> Run:
    """Register ``run`` and execute its gates in a daemon thread; ``finish`` writes the outcome."""
    key = (run.root, run.task_id or "project")
    with _lock:
        _runs[key] = run

    def work() -> None:
        try:
            ctx = ctx_for(run)
            for gate_id in run.gates:
                if run.cancel_event.is_set():
                    break
                run.current = gate_id
                run.results.append(run_gate(get_gate(gate_id), ctx))
            run.current = None
            finish(run, run.results)
        except Exception as exc:  # keep the run's end observable even when writing it failed
            run.failure = f"{type(exc).__name__}: {exc}"
        finally:
            run.done_event.set()

    threading.Thread(target=work, name=f"validate-{run.run_id}", daemon=True).start()
    return run
