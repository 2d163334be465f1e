"""Step 4: validate the work by running the gates the assignment requires.

``start_validation`` starts (or attaches to) a background run and returns at once;
``validate_results`` waits up to a bounded time and returns the report or a ``running`` status.

A run first rescans the project (so the gates see the code as it is) and takes a content hash of its
files. A task is judged on its **change** (``verdict.scope``, default ``change``): against the commit
it was received at, its findings are new, existing or fixed (``judge.py``, ``baseline.py``) and only
new ones decide. A whole-project run judges every finding, unless ``baseline`` names a ref to judge
the change since. The verdict is ``pass`` only when every required gate ran and passed: a task's
required gates are its assignment's, a whole-project run's are the ones it runs; a required gate not
run, or skipped for something missing, makes the verdict ``incomplete``.

When a run ends, its report is written (JSON, Markdown and SARIF; see ``evidence.py`` for the run
folder's layout) and the task moves: ``done`` on a pass of a tree that did not change while the gates
ran, ``failed`` on fail or error, back to ``in_progress`` when incomplete or cancelled. Tasks waiting
on it are released, and a passing api task publishes ``backend.api.ready``. A run another server
process executes is attached through its run.json; one whose process died is marked ``error`` (and
its task ``failed``) on the first validation call of the next process.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contracts.report import Baseline, GateResult, RunStatus, Scope, ValidationReport
from ..contracts.task import Task, ValidationSummary
from ..errors import InvalidArgument, InvalidTransition, OrchestratorError, invalid_choice
from ..gates import GateContext, gate_ids
from ..gates.base import Registries
from ..state import Project
from ..state.paths import relative
from . import baseline as base_trees
from . import digest as digests
from . import evidence as evidence_files
from . import runs
from .lifecycle import FINAL, require_ready, transition
from .prepare import skill_for_kind
from .tasks import finish as release_after
from .treehash import content_hash

MAX_WAIT_S = 50.0
DEFAULT_WAIT_S = 40.0
VALIDATABLE = ("assigned", "in_progress", "failed", "validating")


SCOPES = ("change", "project")


def _verdict(results: list[GateResult], cancelled: bool, missing: list[str]) -> str:
    if cancelled:
        return "cancelled"
    if any(r.status == "error" for r in results):
        return "error"
    if any(r.status == "fail" for r in results):
        return "fail"
    if missing:
        return "incomplete"
    return "pass"


def _missing(required: list[str], results: list[GateResult]) -> list[str]:
    """Required gates the run did not cover: not run, or skipped for something missing."""
    ran = {r.gate: r.status for r in results}
    return [g for g in required if g not in ran or ran[g] == "skipped"]


def _required(project: Project, task: Task | None, chosen: list[str]) -> list[str]:
    """A task's assignment's gates (else its kind's); a whole-project run's own gates."""
    if task is None:
        return list(chosen)
    return _choose_gates(project, None, task.assignment.gates if task.assignment else None, task.kind)


@dataclass
class _Plan:
    """How a run will be judged: decided when it is started, before anything runs."""

    scope: Scope
    ref: str | None = None  # the base asked for (the task's base commit, --baseline REF)
    commit: str | None = None  # the commit it resolved to
    notes: list[str] = field(default_factory=list)


def _plan(project: Project, task: Task | None, scope: str | None, baseline: str | None) -> _Plan:
    """The scope and base of a run; an unknown ``baseline`` ref or scope is an error, a project that is not a
    git checkout (or a task without a base commit) is judged whole, with a note saying so."""
    if scope is not None and scope not in SCOPES:
        raise invalid_choice("scope", scope, SCOPES)
    if task is not None and baseline is not None:
        raise InvalidArgument(f"baseline {baseline!r} is for whole-project runs; a task is judged against the "
                              f"commit it was received at ({(task.base_commit or 'none recorded')[:12]})")
    if task is None:
        if baseline is None:
            if scope == "change":
                raise InvalidArgument("scope 'change' of a whole-project run needs a baseline to compare with: "
                                      "pass baseline (e.g. 'origin/main' or 'HEAD')")
            return _Plan("project")
        wanted = scope or "change"
    else:
        wanted = scope or project.config.verdict.scope
    if wanted == "project":
        return _Plan("project")
    if not base_trees.is_checkout(project.root):
        return _Plan("project", notes=["the project is not a git checkout, so there is no base to tell existing "
                                       "findings from new ones: judged on every finding (project scope)"])
    if task is not None:
        if not task.base_commit:
            return _Plan("project", notes=[f"{task.id} has no base commit (the project had no commit when it was "
                                           "received): judged on every finding (project scope)"])
        return _Plan("change", task.base_commit, task.base_commit)
    assert baseline is not None
    return _Plan("change", baseline, base_trees.resolve(project.root, baseline))


def _choose_gates(project: Project, requested: list[str] | None, assigned: list[str] | None,
                  kind: str | None) -> list[str]:
    known = gate_ids()
    if requested is not None:
        if not requested:
            raise InvalidArgument("gates is empty; leave it out for the assignment's gates, or pick from: "
                                  + ", ".join(known))
        for gate in requested:
            if gate not in known:
                raise invalid_choice("gate", gate, known)
        return list(dict.fromkeys(requested))
    if assigned:
        return [g for g in assigned if g in known] or known
    if kind is not None:
        configured = project.config.gates.get(kind)
        wanted = configured if configured is not None else skill_for_kind(kind).manifest.gates
        return [g for g in wanted if g in known] or known
    return known


_recovered: set[Path] = set()
_recovering = threading.Lock()


def recover(project: Project) -> list[str]:
    """Once per project and process: mark runs whose server process died ``error``; their tasks, if
    still validating, move to ``failed``. Returns the run ids marked."""
    with _recovering:
        if project.root in _recovered:
            return []
        _recovered.add(project.root)
    found = runs.records(project.store)
    latest = {str(data.get("task_id") or "project"): data.get("run_id") for _, data in found}
    marked = []
    for path, data in found:
        if runs.orphaned(data):
            _mark_dead(project, path, data, latest.get(str(data.get("task_id") or "project")) == data.get("run_id"))
            marked.append(str(data.get("run_id")))
    return marked


def _mark_dead(project: Project, path: Path, data: dict[str, Any], latest: bool) -> None:
    store = project.store
    run_id, task_id = str(data["run_id"]), data.get("task_id")
    data.update(status="error", message=runs.DIED)
    store.write_json(path, None, data)
    if task_id is None or not latest:
        return
    with store.locked():
        task = store.load_task(task_id)
        if task.status != "validating":
            return
        progress = data.get("gate_progress") or {}
        task.validation = ValidationSummary(
            run_id=run_id, verdict="error", finished_at=project.clock(),
            gates={g: str((progress.get(g) or {}).get("status", "error")) for g in data.get("gates", [])},
            findings=0, report_path=relative(project.root, path))
        transition(project, task, "failed", note=f"run {run_id}: error ({runs.DIED})")
        store.save_task(task)
    from ..events import publish

    publish(project, "backend.task.failed", {"task_id": task_id, "run_id": run_id, "verdict": "error",
                                              "report_path": relative(project.root, path)})


def _running(project: Project, owner: str) -> runs.Run | None:
    """The run going on for ``owner``: in this process, or in another live server process (from disk)."""
    existing = runs.active(project.root, owner)
    if existing is not None:
        return existing
    found = runs.records(project.store, owner)
    if not found or found[-1][1].get("status") != "running":
        return None
    path, data = found[-1]
    if runs.orphaned(data):
        _mark_dead(project, path, data, True)
        return None
    if runs.is_ours(data):
        return None  # pragma: no cover - a live run of this process is in memory
    return runs.remote(project.root, path, data)


def start_validation(project: Project, task_id: str | None, gates: list[str] | None = None,
                     scope: str | None = None, baseline: str | None = None,
                     compare_base: bool | None = None) -> tuple[runs.Run, bool]:
    """Start a run for ``task_id`` (None: the whole project), or attach to the one going on.

    ``scope`` overrides ``verdict.scope``; ``baseline`` (whole-project runs) names the ref to judge the
    change since. Both are checked before anything runs."""
    owner = task_id or "project"
    store = project.store
    if task_id is not None:
        store.load_task(task_id)  # unknown ids fail before anything else
    recover(project)
    existing = _running(project, owner)
    task = None
    if task_id is not None:
        task = store.load_task(task_id)  # again: recovery may have moved it
        if gates is not None:
            _choose_gates(project, gates, None, None)
        if existing:
            return existing, True
        require_ready(project, task, "validate_results")
        if task.status not in VALIDATABLE:
            raise InvalidTransition(
                f"{task.id} is {task.status!r}; validate_results runs once a skill is assigned "
                f"(statuses {', '.join(VALIDATABLE)}): call assign_skill first")
        chosen = _choose_gates(project, gates, task.assignment.gates if task.assignment else None, task.kind)
    else:
        chosen = _choose_gates(project, gates, None, None)
        if existing:
            return existing, True
    plan = _plan(project, task, scope, baseline)
    required = _required(project, task, chosen)
    run_id = project.new_id("run")
    evidence = store.artifacts(owner, "runs", run_id)
    if task_id is not None:
        with store.locked():
            task = store.load_task(task_id)
            if task.status == "assigned":
                transition(project, task, "in_progress", note="work handed in for validation")
            if task.status == "failed":
                transition(project, task, "in_progress", note="validating again")
            if task.status == "validating":  # a run that ended with its process: start over
                transition(project, task, "in_progress", note="previous validation did not finish")
            transition(project, task, "validating", note=f"run {run_id}: {', '.join(chosen)}")
            store.save_task(task)
    run = runs.Run(run_id=run_id, task_id=task_id, root=project.root, gates=chosen,
                   started_at=project.clock(), evidence_dir=evidence, store=store, scope=plan.scope,
                   required=required, notes=list(plan.notes))

    def context(r: runs.Run) -> GateContext:
        task = store.load_task(task_id) if task_id else None
        evidence.mkdir(parents=True, exist_ok=True)
        registries = _rescan(project, r)
        r.tree_hash = content_hash(project.root)
        _record_environment(project, r)
        ctx = GateContext(root=project.root, config=project.config, evidence_dir=evidence, task=task,
                          cancelled=r.cancel_event, _registries=registries)
        if plan.scope == "change" and plan.commit and plan.ref:
            from .judge import Judge

            r.judge = Judge(root=project.root, state_dir=store.dir, config=project.config, ref=plan.ref,
                            commit=plan.commit, mode=registries.endpoints.mode, registries=registries, task=task,
                            compare_base=project.config.verdict.compare_base if compare_base is None else compare_base)
            if (task is None and "contract" in r.gates) or "database" in r.gates:
                with contextlib.suppress(base_trees.BaseUnavailable):  # the gates judge it, saying why
                    base = r.judge.base()
                    if task is None and base.openapi is not None:  # the whole project's contract: the base's
                        ctx.base_contract = (base.openapi, f"the contract of the baseline {plan.ref}")
                    ctx.base_revision = base.registries.models.migrations.head
        return ctx

    return runs.start(run, context, lambda r, results: _finish(project, r, results)), False


def _rescan(project: Project, run: runs.Run) -> Registries:
    """The registries of the code as it is now (the gates judge this tree, not the last scan's)."""
    from .registry import load_registries, scan_project

    try:
        scan_project(project)
    except OrchestratorError as exc:  # the stored registries, if any, are all there is: say so
        run.notes.append(f"the project could not be rescanned before the gates ran ({exc}); they used the "
                         "registries of the last scan")
    found, _ = load_registries(project)
    return Registries(found.endpoints, found.models, found.services)


def _record_environment(project: Project, run: runs.Run) -> None:
    """The commit, the machine and the load profile, taken when the gates start (environment.json)."""
    run.commit, run.dirty = evidence_files.git_state(project.root)
    run.environment = evidence_files.environment(project.root, project.config)
    run.load = evidence_files.load_settings(project.config) if "performance" in run.gates else None
    record = {"schema_version": 1, "run_id": run.run_id, "task_id": run.task_id, "commit": run.commit,
              "dirty": run.dirty, "gates": run.gates, "environment": run.environment.model_dump(mode="json"),
              "load": run.load.model_dump(mode="json") if run.load else None,
              "thresholds": project.config.thresholds.model_dump(mode="json"), "scope": run.scope,
              "tree_hash": run.tree_hash}
    project.store.write_json(run.evidence_dir / evidence_files.ENVIRONMENT, None, record)


def _finish(project: Project, run: runs.Run, results: list[GateResult]) -> None:
    store = project.store
    judge = run.judge
    notes = list(dict.fromkeys([*run.notes, *(judge.notes if judge else [])]))
    missing = _missing(run.required, results)
    verdict = _verdict(results, run.cancel_event.is_set(), missing)
    changed_during = run.tree_hash is not None and content_hash(project.root) != run.tree_hash
    if changed_during:
        notes.append("the project's files changed while the gates ran: this report describes no single tree, "
                     "so it cannot make the task done; validate again")
    if missing and verdict == "incomplete":
        notes.append(_missing_note(missing, results))
    base = None
    if judge is not None:
        seconds = judge._base.seconds if judge._base else 0.0
        base = Baseline(ref=judge.ref, commit=judge.commit, cached=bool(judge._base and judge._base.cached),
                        scan_mode=judge.mode, seconds=round(seconds, 3))
    report = ValidationReport(
        run_id=run.run_id, task_id=run.task_id, commit=run.commit, dirty=run.dirty, started_at=run.started_at,
        finished_at=project.clock(), verdict=verdict, gates=results,
        thresholds={k: float(v) for k, v in project.config.thresholds.model_dump().items()},
        environment=run.environment, load=run.load, evidence_dir=relative(project.root, run.evidence_dir),
        scope="change" if judge is not None else "project", baseline=base, notes=notes,
        required_gates=run.required, missing_gates=missing, tree_hash=run.tree_hash,
    )
    path = run.evidence_dir / "report.json"
    store.write_json(path, "validation-report", report.model_dump(mode="json"))
    evidence_files.write_reports(run.evidence_dir, report)
    run.report, run.report_path = report, relative(project.root, path)
    if run.task_id is None:
        return
    counts = [g.counts for g in results]
    with store.locked():
        task = store.load_task(run.task_id)
        task.validation = ValidationSummary(
            run_id=run.run_id, verdict=verdict, finished_at=report.finished_at,
            gates={r.gate: r.status for r in results}, findings=sum(len(r.findings) for r in results),
            report_path=run.report_path, scope=report.scope, new_findings=sum(c.new for c in counts),
            existing_findings=sum(c.existing for c in counts), fixed_findings=sum(c.fixed for c in counts),
            missing_gates=missing, tree_hash=run.tree_hash,
        )
        if task.status == "validating":
            if verdict == "pass" and not changed_during:
                transition(project, task, "done", note=f"run {run.run_id} passed")
            elif verdict == "pass":
                transition(project, task, "in_progress", note=f"run {run.run_id} passed, but the files changed while "
                                                              "it ran; validate again")
            elif verdict == "cancelled":
                transition(project, task, "in_progress", note=f"run {run.run_id} was cancelled")
            elif verdict == "incomplete":
                transition(project, task, "in_progress", note=f"run {run.run_id} is incomplete: {notes[-1]}")
            else:
                failing = [r.gate for r in results if r.status in ("fail", "error")]
                transition(project, task, "failed", note=f"run {run.run_id}: {verdict} ({', '.join(failing)})")
        store.save_task(task)
        if task.status == "done":
            release_after(project, task)
    from ..events import publish

    if task.status in ("done", "failed"):
        publish(project, f"backend.task.{task.status}", {"task_id": task.id, "run_id": run.run_id,
                                                         "verdict": verdict, "report_path": run.report_path})
    if task.status == "done" and task.kind == "api" and task.endpoints:
        publish(project, "backend.api.ready", {
            "task_id": task.id, "endpoints": task.endpoints, "run_id": run.run_id,
            "report_path": run.report_path, "commit": report.commit,
        })


def _missing_note(missing: list[str], results: list[GateResult]) -> str:
    """What the required gates the run did not cover need, in one sentence."""
    by_gate = {r.gate: r for r in results}
    not_run = [g for g in missing if g not in by_gate]
    parts = [f"{g} skipped: {by_gate[g].summary}" for g in missing if g in by_gate]
    if not_run:
        parts.insert(0, f"not run: {', '.join(not_run)} (validate with all the task's gates)")
    return "required gates not covered — " + "; ".join(parts)


def status_of(run: runs.Run, attached: bool, full: bool = True) -> RunStatus:
    """Where ``run`` stands. ``full=False`` (the MCP result) carries a digest of the report: the findings
    that decide, the rest counted, and where to page through them."""
    if not run.finished():
        progress = run.progress
        return RunStatus(run_id=run.run_id, task_id=run.task_id, status="running", attached=attached,
                         progress=progress,
                         message=f"validation is running ({progress.done}/{progress.total} gates done"
                                 + (f", now {progress.current}" if progress.current else "")
                                 + (f"; in server process {run.pid}" if run.remote else "")
                                 + "); call validate_results again with the same task_id to attach")
    if run.report is None:
        return RunStatus(run_id=run.run_id, task_id=run.task_id, status="error", attached=attached,
                         progress=run.progress, message=f"the run stopped before writing its report: {run.failure}")
    report = run.report if full else digests.digest(run.report)
    message = f"verdict {report.verdict}; " + _verdict_line(report) + f"; report at {run.report_path}"
    if not full:
        more = digests.more_line(report, f"backend://reports/{run.task_id or 'project'}")
        message += f"; {more}" if more else ""
    return RunStatus(run_id=run.run_id, task_id=run.task_id, status=report.verdict, attached=attached,
                     progress=run.progress, report=report, report_path=run.report_path, message=message)


def _verdict_line(report: ValidationReport) -> str:
    """What decided the verdict, in one line."""
    new = sum(g.counts.new for g in report.gates)
    blocking = sum(g.counts.blocking for g in report.gates)
    existing = sum(g.counts.existing for g in report.gates)
    fixed = sum(g.counts.fixed for g in report.gates)
    if report.scope == "change":
        line = (f"judged on the change since {report.baseline.commit[:12] if report.baseline else '?'}: {new} new "
                f"finding(s) ({blocking} blocking), {existing} existing (not blocking), {fixed} fixed")
    else:
        line = f"judged on the whole project: {new} finding(s), {blocking} blocking"
    if report.missing_gates:
        line += f"; required gates not covered: {', '.join(report.missing_gates)}"
    return line


def check_wait(wait_seconds: float | None) -> float:
    if wait_seconds is None:
        return DEFAULT_WAIT_S
    if not 0 <= wait_seconds <= MAX_WAIT_S:
        raise InvalidArgument(f"wait_seconds {wait_seconds!r} is out of range; use 0..{MAX_WAIT_S:g} "
                              "(longer runs keep going: call again to attach)")
    return float(wait_seconds)


def validate_results(project: Project, task_id: str | None, gates: list[str] | None = None,
                     wait_seconds: float | None = None,
                     on_progress: Callable[[runs.Run], None] | None = None, *, scope: str | None = None,
                     baseline: str | None = None, compare_base: bool | None = None) -> RunStatus:
    """Start or attach, wait up to ``wait_seconds`` (None: until done) and report. ``on_progress`` is
    called about every 0.2 s while the run goes on (a display decides what to redraw), and once at
    the end."""
    run, attached = start_validation(project, task_id, gates, scope, baseline, compare_base)
    deadline = None if wait_seconds is None else time.monotonic() + wait_seconds
    while not run.finished():
        if on_progress:
            on_progress(run)
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            break
        run.wait(0.2 if left is None else min(0.2, left))
    if on_progress:
        on_progress(run)
    return status_of(run, attached)


def cancel(project: Project, task_id: str | None, wait_seconds: float = DEFAULT_WAIT_S) -> RunStatus:
    """Cancel the run going on for ``task_id``: its gates stop and kill their subprocesses; the run ends
    ``cancelled`` and the task returns to ``in_progress``. Waits up to ``wait_seconds`` for the end."""
    owner = task_id or "project"
    status = project.store.load_task(task_id).status if task_id is not None else None
    run = _running(project, owner)
    if run is None:
        what = f"{task_id} is {status!r}" if task_id is not None else "the project"
        raise InvalidTransition(f"{what}; no validation run is going on to cancel")
    if run.remote:
        raise InvalidTransition(f"run {run.run_id} of {owner} runs in another server process (pid {run.pid}); "
                                "cancel it through that server")
    run.cancel()
    run.wait(wait_seconds)
    return status_of(run, True)


__all__ = ["FINAL", "cancel", "check_wait", "start_validation", "status_of", "validate_results"]
