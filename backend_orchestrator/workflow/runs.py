"""Validation runs in the background: one thread per run, attachable, cancellable, recorded on disk.

A run executes outside the call that started it. The MCP tool waits a bounded time and
returns ``running`` with the run id; a second call for the same task attaches to the same run —
in this process through memory, from another server process through the run's ``run.json``
(``artifacts/<owner>/runs/<run_id>/run.json``: pid and start time of the server process that runs
it, per-gate progress, status) and its ``report.json`` once written.

Static gates run in parallel threads next to the runtime gates (tests, performance, database),
which run one after another; two ``performance`` gates never run at once in this process.

Limitation: a run.json does not record the process groups of the gates' subprocesses, so when a
server process dies mid-run its children (each in its own process group, see ``process.py``) are
not killed by the next start; the run is only marked ``error``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contracts.common import RUN_ID_PATTERN
from ..contracts.report import Environment, GateResult, LoadSettings, RunProgress, ValidationReport
from ..gates import GATES, GateContext, get_gate, run_gate

if TYPE_CHECKING:
    from ..state.store import Store
    from .judge import Judge

RUNTIME_GATES = tuple(g.id for g in GATES if g.runtime)  # compete for CPU, ports and the database
RECORD = "run.json"
DIED = "the server that ran it stopped before it finished"
REFRESH_S = 0.5

_performance = threading.Lock()  # never two load tests at once across runs in this process


def process_start(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (/proc/<pid>/stat field 22), if known."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces: split after its end
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int, started: int | None) -> bool:
    """Whether the process that wrote a record still runs (same pid and, when known, start time)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if started is None:
        return True
    now = process_start(pid)
    return now is None or now == started


_SELF = (os.getpid(), process_start(os.getpid()))


@dataclass
class Run:
    run_id: str
    task_id: str | None
    root: Path
    gates: list[str]
    started_at: datetime
    evidence_dir: Path
    store: Store | None = None  # writes run.json when set
    remote: bool = False  # runs in another server process: read from disk
    pid: int = _SELF[0]
    pid_start: int | None = _SELF[1]
    done_event: threading.Event = field(default_factory=threading.Event)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    results: list[GateResult] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    gate_times: dict[str, dict[str, float]] = field(default_factory=dict)
    report: ValidationReport | None = None
    report_path: str | None = None
    commit: str | None = None  # taken when the gates start (environment.json), for the report
    dirty: bool | None = None
    environment: Environment | None = None
    load: LoadSettings | None = None
    failure: str | None = None  # an infrastructure fault that stopped the run
    scope: str = "project"  # change: judged against a base (``judge``); project: every finding counts
    required: list[str] = field(default_factory=list)  # the gates a verdict of pass needs
    notes: list[str] = field(default_factory=list)  # what limits the verdict
    tree_hash: str | None = None  # the project's files when the gates started (treehash.py)
    judge: Judge | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _saving: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gate_events: list[threading.Event] = field(default_factory=list, repr=False)
    _disk_progress: RunProgress | None = field(default=None, repr=False)
    _refreshed: float = field(default=0.0, repr=False)

    @property
    def current(self) -> str | None:
        return ", ".join(self.running) or None

    @property
    def record_path(self) -> Path:
        return self.evidence_dir / RECORD

    @property
    def progress(self) -> RunProgress:
        if self.remote:
            return self._disk_progress or RunProgress(done=0, total=len(self.gates))
        return RunProgress(done=len(self.results), total=len(self.gates), current=self.current)

    def wait(self, seconds: float | None) -> bool:
        return self.done_event.wait(seconds)

    def finished(self) -> bool:
        """Whether the run has ended; a remote run is re-read from disk (at most every half second)."""
        if self.remote and not self.done_event.is_set() and time.monotonic() - self._refreshed >= REFRESH_S:
            self._refreshed = time.monotonic()
            self._refresh()
        return self.done_event.is_set()

    def cancel(self) -> None:
        """Tell every gate to stop (gates kill their subprocesses through ``ctx.cancelled``)."""
        with self._lock:
            self.cancel_event.set()
            for event in self._gate_events:
                event.set()

    # -- run.json -----------------------------------------------------------------------------
    def record(self, status: str, message: str = "") -> dict[str, Any]:
        finished = {r.gate: r.status for r in self.results}
        return {
            "schema_version": 1, "run_id": self.run_id, "task_id": self.task_id, "pid": self.pid,
            "pid_start": self.pid_start, "started_at": self.started_at.isoformat(), "gates": self.gates,
            "status": status, "message": message,
            "progress": {"done": len(self.results), "total": len(self.gates), "current": self.current},
            "gate_progress": {g: {"state": "done" if g in finished else "running" if g in self.running else "pending",
                                  **({"status": finished[g]} if g in finished else {}), **self.gate_times.get(g, {})}
                              for g in self.gates},
        }

    def save(self, status: str = "running", message: str = "") -> None:
        if self.store is not None and not self.remote:
            with self._saving:  # snapshots reach the disk in the order they were taken
                with self._lock:
                    data = self.record(status, message)
                self.store.write_json(self.record_path, None, data)

    def _refresh(self) -> None:
        data = read_record(self.record_path)
        if data is not None:
            p = data.get("progress") or {}
            self._disk_progress = RunProgress(done=int(p.get("done", 0)), total=int(p.get("total", len(self.gates))),
                                              current=p.get("current"))
        report = self.evidence_dir / "report.json"
        if report.exists():
            try:
                self.report = ValidationReport.model_validate_json(report.read_text(encoding="utf-8"))
            except ValueError:
                return  # being replaced: read it next time
            self.report_path = report.relative_to(self.root).as_posix()
            self.done_event.set()
        elif data is None or data.get("status") != "running":
            self.failure = (data or {}).get("message") or "its run.json is gone"
            self.done_event.set()
        elif not pid_alive(int(data["pid"]), data.get("pid_start")):
            self.failure = DIED
            self.done_event.set()


def read_record(path: Path) -> dict[str, Any] | None:
    """A run.json's content, or None when it is unreadable or not one (then it is left alone)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("run_id"), str) and re.match(RUN_ID_PATTERN, data["run_id"])
            and isinstance(data.get("pid"), int) and isinstance(data.get("started_at"), str)):
        return None
    return data


def records(store: Store, owner: str | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """run.json files of ``owner`` (None: every owner), oldest first."""
    base = store.artifacts("project").parent
    pattern = f"{owner}/runs/*/{RECORD}" if owner else f"*/runs/*/{RECORD}"
    found = [(p, d) for p in base.glob(pattern) if (d := read_record(p)) is not None]
    return sorted(found, key=lambda item: (str(item[1].get("started_at", "")), item[0].stat().st_mtime_ns))


def is_ours(data: dict[str, Any]) -> bool:
    return (data.get("pid"), data.get("pid_start")) == _SELF


def orphaned(data: dict[str, Any]) -> bool:
    """A record that says ``running`` although no process runs it any more."""
    if data.get("status") != "running":
        return False
    if is_ours(data):  # this very process: running only if it is in memory
        with _lock:
            return not any(r.run_id == data.get("run_id") and not r.done_event.is_set() for r in _runs.values())
    return not pid_alive(int(data.get("pid", 0)), data.get("pid_start"))


def remote(root: Path, path: Path, data: dict[str, Any]) -> Run:
    """A handle on a run that another live server process executes."""
    run = Run(run_id=data["run_id"], task_id=data.get("task_id"), root=root, gates=list(data.get("gates", [])),
              started_at=datetime.fromisoformat(data["started_at"]), evidence_dir=path.parent, remote=True,
              pid=int(data["pid"]), pid_start=data.get("pid_start"))
    run._refresh()
    run._refreshed = time.monotonic()
    return run


_runs: dict[tuple[Path, str], Run] = {}
_lock = threading.Lock()


def active(root: Path, owner: str) -> Run | None:
    with _lock:
        run = _runs.get((root, owner))
        return run if run and not run.done_event.is_set() else None


def _run_one(run: Run, gate_id: str, ctx: GateContext) -> GateResult:
    """One gate, judged on the change when the run has a judge (the base's own run of the gate included)."""
    gate = get_gate(gate_id)
    inapplicable = run.judge.not_applicable(gate_id) if run.judge else None
    if inapplicable is not None:
        return GateResult(gate=gate.id, title=gate.title, status="not-applicable", summary=inapplicable)
    if gate_id == "performance":
        with _performance:
            result = run_gate(gate, ctx)
    else:
        result = run_gate(gate, ctx)
    if run.judge is not None and not ctx.cancelled.is_set():
        try:
            result = run.judge(gate_id, result)
        except Exception as exc:  # judging is our code: a bug in it must not pass the gate
            result = result.model_copy(update={"status": "error", "summary": f"{result.summary}; judging the "
                                               f"change failed: {type(exc).__name__}: {exc}"})
    return result


def _execute(run: Run, base: GateContext) -> None:
    """Static gates each in a thread, next to one thread running the runtime gates in order."""
    static = [g for g in run.gates if g not in RUNTIME_GATES]
    runtime = [g for g in run.gates if g in RUNTIME_GATES]
    if len(static) > 1:
        with contextlib.suppress(Exception):  # else each gate meets (and reports) the same problem itself
            base.registries()  # scan once, shared by the static gates
    done: dict[str, GateResult] = {}

    def one(gate_id: str) -> None:
        event = threading.Event()
        with run._lock:
            if run.cancel_event.is_set():
                return
            run._gate_events.append(event)
            run.running.append(gate_id)
            run.gate_times[gate_id] = {"started": time.time()}
        run.save()
        ctx = replace(base, cancelled=event)  # a gate's time limit stops that gate, not the run
        try:
            result = _run_one(run, gate_id, ctx)
        finally:
            with run._lock:
                run.running.remove(gate_id)
                run.gate_times[gate_id]["finished"] = time.time()
        with run._lock:
            done[gate_id] = result
            run.results.append(result)
        run.save()

    def in_order() -> None:
        for gate_id in runtime:
            one(gate_id)

    workers = [threading.Thread(target=one, args=(g,), name=f"gate-{run.run_id}-{g}", daemon=True) for g in static]
    if runtime:
        workers.append(threading.Thread(target=in_order, name=f"gates-{run.run_id}-runtime", daemon=True))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with run._lock:
        run.results[:] = [done[g] for g in run.gates if g in done]  # the requested order


def start(run: Run, ctx_for: Callable[[Run], GateContext],
          finish: Callable[[Run, list[GateResult]], None]) -> Run:
    """Register ``run``, record it on disk and execute its gates in a daemon thread; ``finish`` writes
    the outcome."""
    key = (run.root, run.task_id or "project")
    with _lock:
        _runs[key] = run
    run.save()

    def work() -> None:
        try:
            _execute(run, ctx_for(run))
            finish(run, run.results)
            run.save(run.report.verdict if run.report else "error")
        except Exception as exc:  # keep the run's end observable even when writing it failed
            run.failure = f"{type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):  # the state itself is broken: the in-memory failure is all we have
                run.save("error", f"the run stopped before writing its report: {run.failure}")
        finally:
            run.done_event.set()

    threading.Thread(target=work, name=f"validate-{run.run_id}", daemon=True).start()
    return run
