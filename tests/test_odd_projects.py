"""Odd project shapes and unexpected exceptions: every tool answers with a result or a clear tool error.

Six shapes (no tests folder, no migrations, no models, a library without an app, an empty folder, a
single-file app) each get every tool in a real MCP session; none may answer with the SDK's bare
"Error executing tool X", a protocol error or a hang. An unexpected exception (here: the environment
failing under the server — a state folder that is a file) becomes a tool error naming the tool, the
exception and where its traceback was logged; the CLI prints the same line and exits 3.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError, StdioServerParameters

from backend_orchestrator.cli import main
from backend_orchestrator.server import ALL_TOOLS, create_server
from backend_orchestrator.state import Project

pytestmark = pytest.mark.anyio

# the gates that read the code only; the runtime ones (tests, performance, database, contract-tests) would
# need the shapes' dependencies installed — one test below runs the default gates on the single-file app
STATIC_GATES = ["contract", "api-design", "security", "architecture", "docs"]
CALL_LIMIT_S = 60  # validate_results waits at most 50 s before answering 'running'
ERRORS_LOG = "ai-state/active/backend/logs/errors.log"


# -- the shapes ----------------------------------------------------------------------------------
ROUTE = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def list_items() -> list[dict[str, int]]:
    return []
'''
MODELS = '''from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
'''
MIGRATION = '''"""create items"""
revision = "0001"
down_revision = None


def upgrade() -> None:
    pass
'''
A_TEST = '''def test_truth() -> None:
    assert True
'''


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def no_tests(base: Path) -> Path:
    return write(base / "no-tests", {"app/__init__.py": "", "app/main.py": ROUTE, "app/models.py": MODELS,
                                     "migrations/versions/0001_items.py": MIGRATION})


def no_migrations(base: Path) -> Path:
    return write(base / "no-migrations", {"app/__init__.py": "", "app/main.py": ROUTE, "app/models.py": MODELS,
                                          "tests/test_items.py": A_TEST})


def no_models(base: Path) -> Path:
    return write(base / "no-models", {"app/__init__.py": "", "app/main.py": ROUTE, "tests/test_items.py": A_TEST})


def library(base: Path) -> Path:
    return write(base / "library", {
        "mylib/__init__.py": "",
        "mylib/maths.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
        "tests/test_maths.py": "from mylib.maths import add\n\n\ndef test_add() -> None:\n    assert add(1, 2) == 3\n",
    })


def empty(base: Path) -> Path:
    return write(base / "empty", {})


def single_file(base: Path) -> Path:
    return write(base / "single-file", {"main.py": ROUTE + '''

@app.post("/items")
def create_item(item: dict[str, str]) -> dict[str, str]:
    return item
'''})


# shape -> (builder, endpoints and models its scan finds)
SHAPES: dict[str, tuple[Callable[[Path], Path], int, int]] = {
    "no-tests": (no_tests, 1, 1),
    "no-migrations": (no_migrations, 1, 1),
    "no-models": (no_models, 1, 0),
    "library-without-an-app": (library, 0, 0),
    "empty-folder": (empty, 0, 0),
    "single-file-app": (single_file, 2, 0),
}


# -- calling -------------------------------------------------------------------------------------
def text_of(result: Any) -> str:
    return str(result.content[0].text) if result.content else ""


async def answer(client: Client, tool: str, args: dict[str, Any]) -> Any:
    """The tool's result; fails on a protocol error, a hang, or an error that does not say what failed."""
    with anyio.fail_after(CALL_LIMIT_S):
        try:
            result = await client.call_tool(tool, args)
        except MCPError as exc:
            pytest.fail(f"{tool} answered with a protocol error: {exc}")
    if result.is_error:
        text = text_of(result)
        assert re.match(rf"Error executing tool {tool}: \[[a-z_]+\] \S", text), f"{tool}: unclear error {text!r}"
    return result


async def ok(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    result = await answer(client, tool, args)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return dict(result.structured_content)


async def crash(client: Client, tool: str, args: dict[str, Any]) -> str:
    result = await answer(client, tool, args)
    assert result.is_error, f"{tool} should have failed: {result.structured_content}"
    return text_of(result)


async def validate(client: Client, task_id: str, gates: list[str] | None = None) -> Any:
    """validate_results until it stops saying 'running' (each call within the limit)."""
    args: dict[str, Any] = {"task_id": task_id, "wait_seconds": 50, **({"gates": gates} if gates else {})}
    result = await answer(client, "validate_results", args)
    while not result.is_error and result.structured_content["status"] == "running":
        result = await answer(client, "validate_results", {"task_id": task_id, "wait_seconds": 50})
    return result


async def every_tool(client: Client) -> dict[str, Any]:
    """Call every tool once, in workflow order; each answer is checked by ``answer``."""
    seen: dict[str, Any] = {}
    received = await ok(client, "receive_task", {"description": "Add GET /items/{item_id} returning one item"})
    task_id = received["task"]["id"]
    seen["receive_task"] = received
    seen["prepare_context"] = await answer(client, "prepare_context", {"task_id": task_id})
    seen["assign_skill"] = await answer(client, "assign_skill", {"task_id": task_id})
    seen["update_task"] = await ok(client, "update_task", {"task_id": task_id, "note": "looked at the project"})
    seen["validate_results"] = await validate(client, task_id, STATIC_GATES)
    seen["get_task"] = await ok(client, "get_task", {"task_id": task_id})
    seen["list_tasks"] = await ok(client, "list_tasks", {})
    seen["scan_project"] = await ok(client, "scan_project", {})
    seen["query_registry"] = {registry: await ok(client, "query_registry", {"registry": registry})
                              for registry in ("endpoints", "models", "services")}
    seen["publish_event"] = await ok(client, "publish_event", {"type": "backend.task.note",
                                                               "payload": {"task": task_id}})
    seen["poll_events"] = await ok(client, "poll_events", {})
    return seen


def check_answers(seen: dict[str, Any], endpoints: int, models: int) -> None:
    assert sorted(seen) == sorted(ALL_TOOLS)
    task_id = seen["receive_task"]["task"]["id"]
    for tool in ("prepare_context", "assign_skill", "validate_results"):  # a result or a clear tool error
        assert "[crash]" not in text_of(seen[tool]), text_of(seen[tool])
    outcome = seen["validate_results"]
    if not outcome.is_error:
        status = outcome.structured_content
        assert status["status"] in ("pass", "fail", "incomplete"), status["message"]
        for gate in status["report"]["gates"]:
            assert gate["status"] != "error", (gate["gate"], gate["summary"])
            assert gate["summary"], gate["gate"]
    assert seen["get_task"]["id"] == task_id
    assert [t["id"] for t in seen["list_tasks"]["tasks"]] == [task_id]
    assert (seen["scan_project"]["endpoints"], seen["scan_project"]["models"]) == (endpoints, models)
    assert seen["query_registry"]["endpoints"]["total"] == endpoints
    assert seen["query_registry"]["models"]["total"] == models
    assert seen["publish_event"]["id"] in [e["id"] for e in seen["poll_events"]["events"]]


# -- six shapes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
async def test_every_tool_answers_an_odd_project_with_a_result_or_a_clear_tool_error(tmp_path: Path,
                                                                                      shape: str) -> None:
    build, endpoints, models = SHAPES[shape]
    project = Project.open(build(tmp_path))
    async with Client(create_server(project, tools="all")) as client:
        seen = await every_tool(client)
    check_answers(seen, endpoints, models)
    assert not (project.root / ERRORS_LOG).exists()


async def test_a_default_validation_of_a_single_file_app_says_which_gates_it_could_not_run_and_why(
        tmp_path: Path) -> None:
    project = Project.open(single_file(tmp_path))
    async with Client(create_server(project, tools="all")) as client:
        task_id = (await ok(client, "receive_task", {"description": "Add GET /items/{item_id}"}))["task"]["id"]
        await ok(client, "assign_skill", {"task_id": task_id})
        result = await validate(client, task_id)
    assert not result.is_error, text_of(result)
    status = result.structured_content
    assert status["status"] in ("fail", "incomplete")  # its gates find debt (no version prefix, ...) or not
    assert "required gates not covered: tests" in status["message"]
    gates = {g["gate"]: g for g in status["report"]["gates"]}
    assert gates["tests"]["status"] == "skipped"
    assert "no tests folder" in gates["tests"]["summary"]
    for gate in gates.values():
        assert gate["status"] in ("pass", "warn", "fail", "skipped", "not-applicable"), gate
        assert gate["summary"], gate["gate"]


async def test_the_resources_answer_on_an_empty_folder(tmp_path: Path) -> None:
    project = Project.open(empty(tmp_path))
    async with Client(create_server(project, tools="all")) as client:
        registry = json.loads((await client.read_resource("backend://registry/endpoints")).contents[0].text)
        assert registry["endpoints"] == []
        assert "receive_task" in (await client.read_resource("backend://workflow")).contents[0].text
        with pytest.raises(MCPError) as missing:
            await client.read_resource("backend://reports/task-001-api/latest")
        assert "there are no tasks yet" in missing.value.message
        task_id = (await ok(client, "receive_task", {"description": "Add GET /items"}))["task"]["id"]
        with pytest.raises(MCPError) as unvalidated:
            await client.read_resource(f"backend://reports/{task_id}/latest")
        assert "has not been validated yet" in unvalidated.value.message
        await ok(client, "assign_skill", {"task_id": task_id})
        status = (await validate(client, task_id, ["docs"])).structured_content
        report = json.loads((await client.read_resource(f"backend://reports/{task_id}/latest")).contents[0].text)
    assert report["run_id"] == status["run_id"]
    assert status["status"] == "incomplete"
    assert [g["status"] for g in report["gates"]] == ["not-applicable"]


async def test_a_task_whose_report_is_gone_says_so_instead_of_crashing(tmp_path: Path) -> None:
    """Artifacts are git-ignored: a fresh clone has the task's validation but not its report."""
    project = Project.open(single_file(tmp_path))
    async with Client(create_server(project, tools="all")) as client:
        task_id = (await ok(client, "receive_task", {"description": "Add GET /items/{item_id}"}))["task"]["id"]
        await ok(client, "assign_skill", {"task_id": task_id})
        await validate(client, task_id, ["docs"])
        shutil.rmtree(project.store.dir / "artifacts")
        for uri in (f"backend://reports/{task_id}/latest", f"backend://reports/{task_id}/findings/all/1"):
            with pytest.raises(MCPError) as gone:
                await client.read_resource(uri)
            assert "is no longer on disk" in gone.value.message and "validate_results" in gone.value.message
        assert (await ok(client, "get_task", {"task_id": task_id}))["validation"] is not None
        again = (await validate(client, task_id, ["docs"])).structured_content
        assert json.loads((await client.read_resource(f"backend://reports/{task_id}/latest")).contents[0].text)[
            "run_id"] == again["run_id"]


async def test_an_odd_project_over_stdio_answers_every_tool_and_a_crash_leaves_the_server_serving(
        tmp_path: Path) -> None:
    root = single_file(tmp_path)
    serve = ["-m", "backend_orchestrator", "serve", "--project", str(root), "--tools", "all"]
    params = StdioServerParameters(command=sys.executable, args=serve, cwd=str(root))
    async with Client(params) as client:
        seen = await every_tool(client)
        check_answers(seen, 2, 0)
        task_id = seen["receive_task"]["task"]["id"]
        tasks = root / "ai-state/active/backend/tasks"
        tasks.rename(tasks.with_name("tasks.moved"))
        tasks.write_text("not a folder\n", encoding="utf-8")  # the state folder is broken under the server
        message = await crash(client, "get_task", {"task_id": task_id})
        assert message.startswith("Error executing tool get_task: [crash] get_task failed unexpectedly: "
                                  "NotADirectoryError: "), message
        assert message.endswith(f"the traceback is in {ERRORS_LOG}")
        tasks.unlink()
        tasks.with_name("tasks.moved").rename(tasks)
        assert (await ok(client, "get_task", {"task_id": task_id}))["id"] == task_id
    assert f"get_task  task {task_id}" in (root / ERRORS_LOG).read_text(encoding="utf-8")


# -- unexpected exceptions -------------------------------------------------------------------------
def broken_tasks_folder(base: Path) -> Project:
    """A single-file app whose ai-state tasks folder is a file: writing a task fails with FileExistsError."""
    root = single_file(base)
    tasks = root / "ai-state/active/backend/tasks"
    tasks.parent.mkdir(parents=True)
    tasks.write_text("not a folder\n", encoding="utf-8")
    return Project.open(root)


def audit(project: Project) -> list[tuple[str, str | None, str]]:
    lines = (project.store.dir / "logs" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [(e["tool"], e["task"], e["outcome"]) for e in map(json.loads, lines)]


async def test_a_crash_in_a_tool_is_a_tool_error_naming_the_tool_the_exception_and_the_logged_traceback(
        tmp_path: Path) -> None:
    project = broken_tasks_folder(tmp_path)
    async with Client(create_server(project, tools="all")) as client:
        message = await crash(client, "receive_task", {"description": "Add GET /items/{item_id} for sk-planted"})
        assert message.startswith("Error executing tool receive_task: [crash] receive_task failed unexpectedly: "
                                  "FileExistsError: [Errno 17] File exists: "), message
        assert message.endswith(f"; the traceback is in {ERRORS_LOG}")
        assert "\n" not in message
        read = await crash(client, "get_task", {"task_id": "task-001-api"})
        assert "get_task failed unexpectedly: NotADirectoryError" in read
        # the server keeps serving
        assert (await ok(client, "list_tasks", {}))["tasks"] == []
        assert (await ok(client, "poll_events", {}))["events"] == []
    log = (project.root / ERRORS_LOG).read_text(encoding="utf-8")
    blocks = [b for b in log.split("=== ") if b]
    assert len(blocks) == 2
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  receive_task  task -  \(backend-orchestrator ", blocks[0])
    assert "Traceback (most recent call last)" in blocks[0] and "FileExistsError" in blocks[0]
    assert "  get_task  task task-001-api  " in blocks[1]
    assert "sk-planted" not in log and "GET /items" not in log  # never the arguments
    assert audit(project)[:2] == [("receive_task", None, "crash"), ("get_task", "task-001-api", "crash")]
    assert audit(project)[2:] == [("list_tasks", None, "ok"), ("poll_events", None, "ok")]


async def test_a_crash_says_so_when_the_traceback_cannot_be_logged_because_ai_state_is_not_writable(
        tmp_path: Path) -> None:
    root = single_file(tmp_path)
    (root / "ai-state").write_text("not a folder\n", encoding="utf-8")
    async with Client(create_server(Project.open(root), tools="all")) as client:
        message = await crash(client, "receive_task", {"description": "Add GET /items/{item_id}"})
        assert "receive_task failed unexpectedly: " in message
        assert "the traceback could not be logged: ai-state is not writable" in message
        assert (await ok(client, "poll_events", {}))["events"] == []  # the server keeps serving
    assert (root / "ai-state").read_text(encoding="utf-8") == "not a folder\n"


async def test_a_tool_or_resource_without_the_wrapper_still_never_answers_with_the_generic_error(
        tmp_path: Path) -> None:
    project = Project.open(empty(tmp_path))
    server = create_server(project, tools="all")

    @server.tool()
    def explode(task_id: str, note: str) -> str:
        raise RuntimeError(f"boom: token=tok-planted-value while reading {note}")

    @server.resource("backend://explode/{name}")
    def exploding(name: str) -> str:
        raise KeyError(name)

    async with Client(server) as client:
        message = await crash(client, "explode", {"task_id": "task-007-api", "note": "argument-value"})
        assert message == ("Error executing tool explode: [crash] explode failed unexpectedly: RuntimeError: boom: "
                           f"token=*** while reading argument-value; the traceback is in {ERRORS_LOG}")
        with pytest.raises(MCPError) as caught:
            await client.read_resource("backend://explode/secret-name")
        assert caught.value.message.startswith("[crash] resource backend://explode/{name} failed unexpectedly: "
                                               "KeyError: ")
        assert (await ok(client, "list_tasks", {}))["total"] == 0
    log = (project.root / ERRORS_LOG).read_text(encoding="utf-8")
    assert "  explode  task task-007-api  " in log and "  resource backend://explode/{name}  task -  " in log
    assert "tok-planted-value" not in log
    assert audit(project) == [("explode", "task-007-api", "crash"), ("list_tasks", None, "ok")]


def test_the_cli_prints_an_internal_error_in_one_line_with_the_log_and_exits_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BO_DEBUG", raising=False)
    project = broken_tasks_folder(tmp_path)
    assert main(["--project", str(project.root), "task", "add", "Add GET /items/{item_id}"]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("internal error: task add failed unexpectedly: FileExistsError: [Errno 17] File exists: ")
    assert line.endswith(f"; the traceback is in {ERRORS_LOG}")
    assert "  task add  task -  " in (project.root / ERRORS_LOG).read_text(encoding="utf-8")

    monkeypatch.setenv("BO_DEBUG", "1")
    assert main(["--project", str(project.root), "task", "show", "task-001-api"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("internal error: task show failed unexpectedly: NotADirectoryError: ")
    assert "Traceback (most recent call last)" in err


def test_the_cli_says_when_it_could_not_log_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BO_DEBUG", raising=False)
    root = single_file(tmp_path)
    (root / "ai-state").write_text("not a folder\n", encoding="utf-8")
    assert main(["--project", str(root), "task", "add", "Add GET /items/{item_id}"]) == 3
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("internal error: task add failed unexpectedly: ")
    assert "the traceback could not be logged: ai-state is not writable" in lines[0]
    assert lines[1:] == ["set BO_DEBUG=1 to print the traceback"]
