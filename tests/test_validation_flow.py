"""validate_results end to end: background runs, progress, attach, verdicts, dependencies, events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from backend_orchestrator.state import Project
from backend_orchestrator.state.schemas import problems

from .support.shop import one_test_target
from .test_server_tools import error, new_task, ok

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def assigned_task(client: Client, description: str = "Add pagination and filtering to GET /api/v1/products",
                        **extra: object) -> str:
    task_id = await new_task(client, description, **extra)
    await ok(client, "assign_skill", {"task_id": task_id})
    return task_id


async def finished(client: Client, args: dict[str, object], status: dict | None = None) -> dict:
    """validate_results until the run is over: each call waits up to `wait_seconds` and attaches to the
    run a previous call started (a loaded machine can take longer than one wait)."""
    status = status or await ok(client, "validate_results", args)
    while status["status"] == "running":
        status = await ok(client, "validate_results", args)
    return status


@pytest.fixture
def tests_only(project: Project) -> Project:
    """The shop configured so that its api and testing tasks require the tests gate alone (`gates.<kind>`):
    the bookkeeping below is checked without the slower gates, which test_change_verdicts.py runs."""
    config = project.root / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[tool.backend-orchestrator.gates]\n"
                      "api = [\"tests\"]\ntesting = [\"tests\"]\n", encoding="utf-8")
    return project


@pytest.fixture
def one_test_suite(project: Project) -> Project:
    """The shop as a one-test target (tests/support/shop.py): for the run bookkeeping (attach, rework,
    dependencies, files written), which does not depend on the shop's real suite; that suite runs in
    test_a_passing_run_marks_the_task_done_and_announces_the_api and the api-gates test below."""
    one_test_target(project.root)
    return project


@pytest.fixture
def one_test(one_test_suite: Project, tests_only: Project) -> Project:
    """`tests_only` on the one-test target."""
    return tests_only


async def test_one_gate_of_several_required_never_makes_a_task_done(client: Client, project: Project) -> None:
    task_id = await assigned_task(client)
    status = await ok(client, "validate_results", {"task_id": task_id, "gates": ["docs"], "wait_seconds": 50})
    assert status["status"] == "incomplete"
    assert "required gates not covered: tests, api-design, contract" in status["message"]
    task = await ok(client, "get_task", {"task_id": task_id})
    assert task["status"] == "in_progress" and task["validation"]["verdict"] == "incomplete"
    assert "api-design" in task["validation"]["missing_gates"]
    events = await ok(client, "poll_events", {"types": ["backend.task.done", "backend.api.ready"]})
    assert events["events"] == []


async def test_a_passing_run_marks_the_task_done_and_announces_the_api(tests_only: Project, client: Client,
                                                                       project: Project) -> None:
    task_id = await assigned_task(client)
    updates: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        updates.append((done, total, message))

    result = await client.call_tool("validate_results", {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50},
                                    progress_callback=progress)
    status = await finished(client, {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50},
                            result.structured_content)
    assert status["status"] == "pass", status
    gate = status["report"]["gates"][0]
    # warn: the shop's tests pass; its two unindexed filters are advisory full scans (TST007, low)
    assert (gate["gate"], gate["status"]) == ("tests", "warn")
    assert {f["rule_id"] for f in gate["findings"]} == {"TST007"}
    assert gate["metrics"]["coverage_percent"] > 80
    assert updates and updates[0][1] == 1
    task = await ok(client, "get_task", {"task_id": task_id})
    assert task["status"] == "done"
    assert [h["to_status"] for h in task["history"]][-3:] == ["in_progress", "validating", "done"]
    assert task["validation"]["verdict"] == "pass"
    report_path = project.root / status["report_path"]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert problems("validation-report", report) == []
    assert report_path.with_suffix(".md").is_file()
    assert json.loads(report_path.with_suffix(".sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert report["gates"][0]["id"] == "tests"  # the report shape, beside `gate`
    assert report["environment"]["cpu_count"] >= 1 and report["environment"]["python"]
    assert report["load"] is None  # no performance gate in this run
    recorded = json.loads(report_path.with_name("environment.json").read_text(encoding="utf-8"))
    assert (recorded["run_id"], recorded["environment"]) == (report["run_id"], report["environment"])
    events = await ok(client, "poll_events", {"types": ["backend.api.ready"]})
    assert [e["payload"]["task_id"] for e in events["events"]] == [task_id]
    lifecycle = await ok(client, "poll_events", {"types": ["backend.task.received", "backend.task.done"]})
    assert [(e["type"], e["payload"]["task_id"]) for e in lifecycle["events"]] == [
        ("backend.task.received", task_id), ("backend.task.done", task_id)]
    latest = json.loads((await client.read_resource(f"backend://reports/{task_id}/latest")).contents[0].text)
    assert latest["run_id"] == status["run_id"]


async def test_a_short_wait_returns_running_and_a_second_call_attaches(one_test: Project, client: Client) -> None:
    task_id = await assigned_task(client)
    first = await ok(client, "validate_results", {"task_id": task_id, "gates": ["tests"], "wait_seconds": 0})
    assert first["status"] == "running"
    assert "call validate_results again" in first["message"]
    second = await ok(client, "validate_results", {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50})
    assert second["attached"] is True
    assert second["run_id"] == first["run_id"]
    second = await finished(client, {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50}, second)
    assert second["run_id"] == first["run_id"]
    assert second["status"] == "pass"


async def test_a_failing_suite_fails_the_task_and_it_can_be_reworked(one_test: Project, client: Client,
                                                                     project: Project) -> None:
    task_id = await assigned_task(client)
    broken = project.root / "tests" / "test_broken.py"
    broken.write_text("def test_pagination_is_missing():\n    assert 1 == 2\n", encoding="utf-8")
    status = await finished(client, {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50})
    assert status["status"] == "fail"
    findings = status["report"]["gates"][0]["findings"]
    assert findings[0]["rule_id"] == "TST001" and findings[0]["path"] == "tests/test_broken.py"
    assert (await ok(client, "get_task", {"task_id": task_id}))["status"] == "failed"
    broken.unlink()
    await ok(client, "update_task", {"task_id": task_id, "status": "in_progress", "note": "fixed the test"})
    again = await finished(client, {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50})
    assert again["status"] == "pass"


async def test_finishing_a_dependency_releases_the_blocked_task(one_test: Project, client: Client) -> None:
    first = await assigned_task(client)
    second = (await ok(client, "receive_task", {"description": "Test the product listing pagination",
                                                "kind": "testing", "depends_on": [first]}))["task"]["id"]
    assert (await ok(client, "get_task", {"task_id": second}))["status"] == "blocked"
    assert "blocked by" in await error(client, "update_task", {"task_id": second, "status": "received"})
    await finished(client, {"task_id": first, "gates": ["tests"], "wait_seconds": 50})
    released = await ok(client, "get_task", {"task_id": second})
    assert released["status"] == "received"
    assert released["blocked_by"] == []
    assert released["history"][-1]["note"] == f"dependency {first} is done"


async def test_every_file_the_run_writes_validates_against_its_schema(one_test_suite: Project, client: Client,
                                                                       project: Project) -> None:
    task_id = await assigned_task(client)
    await finished(client, {"task_id": task_id, "gates": ["tests"], "wait_seconds": 50})
    state = project.root / "ai-state" / "active" / "backend"
    checked = {}
    for name in ("endpoints", "models", "services"):
        checked[name] = problems(name, json.loads((state / f"{name}.json").read_text(encoding="utf-8")))
    for path in (state / "tasks").glob("*.json"):
        checked[path.name] = problems("task", json.loads(path.read_text(encoding="utf-8")))
    artifacts = state / "artifacts" / task_id
    checked["context"] = problems("context-package", json.loads((artifacts / "context.json").read_text("utf-8")))
    checked["assignment"] = problems("assignment", json.loads((artifacts / "assignment.json").read_text("utf-8")))
    for report in artifacts.glob("runs/*/report.json"):
        checked[str(report)] = problems("validation-report", json.loads(report.read_text(encoding="utf-8")))
    for line in (project.root / "ai-state" / "events.jsonl").read_text(encoding="utf-8").splitlines():
        checked[line[:40]] = problems("event", json.loads(line))
    assert len(checked) >= 8
    assert {k: v for k, v in checked.items() if v} == {}


async def test_an_api_task_is_held_to_the_api_gates_and_they_find_the_shops_planted_gaps(client: Client) -> None:
    task_id = await assigned_task(client)
    assignment_gates = (await ok(client, "get_task", {"task_id": task_id}))["assignment"]["gates"]
    assert {"tests", "api-design", "contract", "architecture", "docs"} <= set(assignment_gates)
    status = await ok(client, "validate_results", {"task_id": task_id, "wait_seconds": 50})
    while status["status"] == "running":
        status = await ok(client, "validate_results", {"task_id": task_id, "wait_seconds": 50})
    assert status["status"] == "fail"
    gates = {g["gate"]: g for g in status["report"]["gates"]}
    assert gates["tests"]["status"] == "warn"  # only the advisory full scans (TST007)
    assert gates["contract"]["status"] == "pass"  # nothing changed since the task was received
    pagination = [f for f in gates["api-design"]["findings"] if f["category"] == "pagination"]
    assert ("shop/routers/products.py", 23) in {(f["path"], f["line"]) for f in pagination}
    assert (await ok(client, "get_task", {"task_id": task_id}))["status"] == "failed"


def test_the_whole_project_can_be_validated_without_a_task(shop: Path) -> None:
    from backend_orchestrator.workflow.validate import validate_results

    status = validate_results(Project.open(one_test_target(shop)), None, ["tests"])
    assert status.status == "pass"
    assert status.report and status.report.task_id is None
    assert status.report_path and status.report_path.startswith("ai-state/active/backend/artifacts/project/runs/")


def test_a_gate_result_id_is_its_gate_and_must_agree_with_it() -> None:
    from pydantic import ValidationError

    from backend_orchestrator.contracts.report import GateResult

    old = GateResult.model_validate({"gate": "tests", "title": "Tests", "status": "pass"})  # a report before `id`
    assert old.id == "tests" and old.model_dump()["id"] == "tests"
    with pytest.raises(ValidationError, match="must be the same gate id"):
        GateResult.model_validate({"id": "docs", "gate": "tests", "title": "Tests", "status": "pass"})
