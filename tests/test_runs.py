"""Background runs on disk: run.json, attaching from another server process, marking runs whose server
died, cancellation, and static gates in parallel with the runtime ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from backend_orchestrator.contracts.report import ValidationReport
from backend_orchestrator.state import Project
from backend_orchestrator.workflow import runs
from backend_orchestrator.workflow.lifecycle import transition
from backend_orchestrator.workflow.validate import recover, validate_results

from .test_server_tools import error, new_task, ok

pytestmark = [pytest.mark.slow]


def run_dir(project: Project, owner: str, run_id: str) -> Path:
    return project.store.artifacts(owner, "runs", run_id)


def record(run_id: str, task_id: str | None, pid: int, gates: list[str], **extra: Any) -> dict[str, Any]:
    return {"schema_version": 1, "run_id": run_id, "task_id": task_id, "pid": pid,
            "pid_start": runs.process_start(pid), "started_at": "2026-11-28T12:00:00+00:00", "gates": gates,
            "status": "running", "message": "", "progress": {"done": 0, "total": len(gates), "current": None},
            **extra}


@pytest.fixture
def other_server() -> Iterator[int]:
    """The pid of a live process standing in for another server process."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def gate_running(run_json: Path) -> bool:
    try:
        return json.loads(run_json.read_text(encoding="utf-8"))["gate_progress"]["tests"]["state"] == "running"
    except (OSError, ValueError, KeyError):
        return False


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def processes_in(root: Path) -> list[int]:
    """Processes whose working directory is ``root`` (the gates run the target's tools there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == root:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def assigned_task(client: Client) -> str:
    task_id = await new_task(client)
    await ok(client, "assign_skill", {"task_id": task_id})
    return task_id


def test_a_run_records_itself_in_run_json_and_its_end_there(project: Project) -> None:
    status = validate_results(project, None, ["docs"])
    data = json.loads((run_dir(project, "project", status.run_id) / "run.json").read_text(encoding="utf-8"))
    assert (data["run_id"], data["task_id"], data["pid"], data["gates"]) == (status.run_id, None, os.getpid(), ["docs"])
    assert data["pid_start"] == runs.process_start(os.getpid())
    assert data["status"] == status.status != "running"
    assert data["progress"] == {"done": 1, "total": 1, "current": None}
    assert data["gate_progress"]["docs"]["state"] == "done"
    assert data["gate_progress"]["docs"]["started"] <= data["gate_progress"]["docs"]["finished"]


@pytest.mark.anyio
async def test_a_second_server_attaches_to_a_run_another_live_process_executes(
        client: Client, project: Project, other_server: int) -> None:
    task_id = await assigned_task(client)
    folder = run_dir(project, task_id, "run-elsewhere")
    project.store.write_json(folder / "run.json", None, record(
        "run-elsewhere", task_id, other_server, ["tests", "docs"],
        progress={"done": 1, "total": 2, "current": "tests"}))

    running = await ok(client, "validate_results", {"task_id": task_id, "wait_seconds": 0})
    assert (running["status"], running["run_id"], running["attached"]) == ("running", "run-elsewhere", True)
    assert running["progress"] == {"done": 1, "total": 2, "current": "tests"}
    assert f"in server process {other_server}" in running["message"]
    assert (await ok(client, "get_task", {"task_id": task_id}))["status"] == "assigned"  # no second run started
    assert sorted(p.name for p in folder.parent.iterdir()) == ["run-elsewhere"]

    report = ValidationReport(run_id="run-elsewhere", task_id=task_id, started_at=project.clock(),
                              finished_at=project.clock(), verdict="pass", gates=[], evidence_dir="elsewhere")
    project.store.write_json(folder / "report.json", "validation-report", report.model_dump(mode="json"))
    finished = await ok(client, "validate_results", {"task_id": task_id, "wait_seconds": 5})
    assert (finished["status"], finished["run_id"], finished["attached"]) == ("pass", "run-elsewhere", True)
    assert finished["report"]["run_id"] == "run-elsewhere"
    assert finished["report_path"].endswith(f"{task_id}/runs/run-elsewhere/report.json")


@pytest.mark.anyio
async def test_a_run_whose_server_died_is_marked_error_and_fails_its_task(client: Client, project: Project) -> None:
    task_id = await assigned_task(client)
    with project.store.locked():
        task = project.store.load_task(task_id)
        transition(project, task, "in_progress", note="work handed in")
        transition(project, task, "validating", note="run run-dead00: tests")
        project.store.save_task(task)
    dead = run_dir(project, task_id, "run-dead00") / "run.json"
    project.store.write_json(dead, None, record("run-dead00", task_id, dead_pid(), ["tests"]))
    # this very pid, but another process start: a previous life of a recycled pid
    earlier = run_dir(project, "project", "run-earlier") / "run.json"
    project.store.write_json(earlier, None, {**record("run-earlier", None, os.getpid(), ["docs"]), "pid_start": 1})

    assert sorted(recover(project)) == ["run-dead00", "run-earlier"]

    for path in (dead, earlier):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert (data["status"], data["message"]) == ("error", runs.DIED)
    failed = await ok(client, "get_task", {"task_id": task_id})
    assert failed["status"] == "failed"
    assert failed["history"][-1]["note"] == f"run run-dead00: error ({runs.DIED})"
    assert (failed["validation"]["run_id"], failed["validation"]["verdict"]) == ("run-dead00", "error")
    assert recover(project) == []  # once per process


@pytest.mark.anyio
async def test_get_task_on_a_task_whose_server_died_mid_run_shows_it_failed(client: Client, project: Project) -> None:
    task_id = await assigned_task(client)
    with project.store.locked():
        task = project.store.load_task(task_id)
        transition(project, task, "in_progress", note="work handed in")
        transition(project, task, "validating", note="run run-gone00: tests")
        project.store.save_task(task)
    dead = run_dir(project, task_id, "run-gone00") / "run.json"
    project.store.write_json(dead, None, record("run-gone00", task_id, dead_pid(), ["tests"]))
    shown = await ok(client, "get_task", {"task_id": task_id})
    assert shown["status"] == "failed"
    assert shown["validation"]["verdict"] == "error"


@pytest.mark.anyio
async def test_a_dead_run_found_when_attaching_is_marked_and_there_is_nothing_to_cancel(
        client: Client, project: Project) -> None:
    task_id = await assigned_task(client)
    recover(project)  # the start-up check already happened
    path = run_dir(project, task_id, "run-gone00") / "run.json"
    project.store.write_json(path, None, record("run-gone00", task_id, dead_pid(), ["tests"]))
    message = await error(client, "validate_results", {"task_id": task_id, "cancel": True})
    assert f"{task_id} is 'assigned'; no validation run is going on to cancel" in message
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "error"


@pytest.mark.anyio
async def test_cancelling_a_slow_run_stops_its_processes_and_returns_the_task_to_in_progress(
        client: Client, project: Project) -> None:
    (project.root / "tests" / "test_slow.py").write_text(
        "import time\n\n\ndef test_takes_its_time():\n    time.sleep(20)\n", encoding="utf-8")
    task_id = await assigned_task(client)
    started = await ok(client, "validate_results", {"task_id": task_id, "gates": ["tests"], "wait_seconds": 0})
    assert started["status"] == "running"
    run_json = run_dir(project, task_id, started["run_id"]) / "run.json"
    with anyio.fail_after(60):  # the tests gate has started (after the run's rescan) and the target's pytest is up
        while not (gate_running(run_json) and any(b"pytest" in cmdline(pid) for pid in processes_in(project.root))):
            await anyio.sleep(0.05)

    with anyio.fail_after(15):
        cancelled = await ok(client, "validate_results", {"task_id": task_id, "cancel": True, "wait_seconds": 10})
    assert (cancelled["status"], cancelled["run_id"]) == ("cancelled", started["run_id"])
    assert processes_in(project.root) == []
    assert json.loads(run_json.read_text(encoding="utf-8"))["status"] == "cancelled"
    assert (await ok(client, "get_task", {"task_id": task_id}))["status"] == "in_progress"
    again = await error(client, "validate_results", {"task_id": task_id, "cancel": True})
    assert f"{task_id} is 'in_progress'; no validation run is going on to cancel" in again


def test_static_gates_run_in_parallel_next_to_the_runtime_gates(project: Project) -> None:
    status = validate_results(project, None, ["tests", "api-design", "architecture", "docs"])
    assert status.report is not None
    assert [g.gate for g in status.report.gates] == ["tests", "api-design", "architecture", "docs"]
    data = json.loads((run_dir(project, "project", status.run_id) / "run.json").read_text(encoding="utf-8"))
    times = data["gate_progress"]
    # every gate started before any finished: they overlapped instead of running one after another
    assert max(t["started"] for t in times.values()) < min(t["finished"] for t in times.values())

