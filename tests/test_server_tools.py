"""Every MCP tool's success and error paths, through an in-memory Client(server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client, MCPError

from backend_orchestrator.server import ALL_TOOLS, CORE_TOOLS, create_server
from backend_orchestrator.state import Project

from .conftest import state_snapshot

pytestmark = pytest.mark.anyio


def text_of(result: object) -> str:
    return result.content[0].text  # type: ignore[attr-defined]


async def ok(client: Client, tool: str, args: dict) -> dict:
    result = await client.call_tool(tool, args)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def error(client: Client, tool: str, args: dict) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, f"{tool}({args}) should have failed: {result.structured_content}"
    return text_of(result)


async def new_task(client: Client, description: str = "Add pagination and filtering to GET /api/v1/products",
                   **extra: object) -> str:
    return (await ok(client, "receive_task", {"description": description, **extra}))["task"]["id"]


async def test_core_tier_lists_the_four_steps_and_get_task(project: Project) -> None:
    async with Client(create_server(project)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert sorted(names) == sorted(CORE_TOOLS)


async def test_all_tier_lists_eleven_tools_each_with_an_output_schema(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert sorted(t.name for t in tools) == sorted(ALL_TOOLS)
    assert len(tools) == 11
    for tool in tools:
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
        assert tool.description and len(tool.description) < 600, tool.name
        assert tool.annotations is not None, tool.name
    read_only = {t.name for t in tools if t.annotations and t.annotations.read_only_hint}
    assert read_only == {"get_task", "list_tasks", "query_registry", "poll_events"}


async def test_receive_task_infers_kind_endpoints_models_and_criteria(client: Client) -> None:
    out = await ok(client, "receive_task", {"description": "Add pagination and filtering to GET /api/v1/products"})
    task = out["task"]
    assert task["id"] == "task-001-api"
    assert task["kind"] == "api"
    assert task["status"] == "received"
    assert task["endpoints"] == ["GET /api/v1/products"]
    assert "Product" in task["models"]
    assert task["requirements"] == ["Add pagination and filtering to GET /api/v1/products"]
    assert set(task["inferred"]) == {"title", "kind", "endpoints", "models", "requirements"}
    assert out["unknown_references"] == {"endpoints": [], "models": []}


async def test_receive_task_keeps_what_the_caller_states_and_reports_unknown_names(client: Client) -> None:
    out = await ok(client, "receive_task", {
        "description": "Export invoices", "title": "Invoices export", "kind": "service",
        "endpoints": ["GET /api/v1/invoices"], "models": ["Invoice"], "requirements": ["CSV export"],
        "priority": "high",
    })
    task = out["task"]
    assert (task["id"], task["kind"], task["priority"], task["inferred"]) == ("task-001-service", "service", "high", [])
    assert out["unknown_references"] == {"endpoints": ["GET /api/v1/invoices"], "models": ["Invoice"]}
    assert any("GET /api/v1/invoices" in n for n in out["notes"])


@pytest.mark.parametrize(("args", "expected"), [
    ({"description": "   "}, "description is empty"),
    ({"description": "x", "kind": "frontend"}, "api"),
    ({"description": "x", "endpoints": ["products"]}, "METHOD /path"),
    ({"description": "x", "depends_on": ["task-999-api"]}, "does not exist"),
    ({"description": "x", "depends_on": ["nonsense"]}, "task-002-api"),
    ({"description": "x", "priority": "urgent"}, "critical"),
])
async def test_receive_task_rejects_bad_input_without_writing_a_task(client: Client, project: Project,
                                                                     args: dict, expected: str) -> None:
    await ok(client, "scan_project", {})
    before = state_snapshot(project.root)
    message = await error(client, "receive_task", args)
    assert expected in message
    assert state_snapshot(project.root) == before


async def test_unfinished_dependencies_block_a_task(client: Client) -> None:
    first = await new_task(client)
    out = await ok(client, "receive_task", {"description": "Test the product listing", "kind": "testing",
                                            "depends_on": [first]})
    task = out["task"]
    assert task["status"] == "blocked"
    assert task["blocked_by"] == [first]
    message = await error(client, "prepare_context", {"task_id": task["id"]})
    assert "blocked" in message and first in message


async def test_prepare_context_returns_a_schema_valid_package(client: Client, project: Project) -> None:
    task_id = await new_task(client)
    out = await ok(client, "prepare_context", {"task_id": task_id})
    assert out["status"] == "context_ready"
    package = out["package"]
    relevant = [f"{e['method']} {e['path']}" for e in package["endpoints"]["relevant"]]
    assert relevant[0] == "GET /api/v1/products"
    assert "products" in [t["table"] for t in package["database"]["tables"]]
    assert package["database"]["migrations"]["head"] == "0002"
    assert package["budget"]["used_tokens"] <= package["budget"]["limit_tokens"] == 4000
    assert any(c["id"].startswith("API-") for c in package["standards"])
    from backend_orchestrator.state.schemas import problems

    stored = json.loads((project.root / out["path"]).read_text(encoding="utf-8"))
    assert problems("context-package", stored) == []
    assert stored == package


async def test_prepare_context_respects_a_small_budget_and_lists_what_it_left_out(client: Client) -> None:
    task_id = await new_task(client)
    package = (await ok(client, "prepare_context", {"task_id": task_id, "token_budget": 1500}))["package"]
    assert package["budget"]["used_tokens"] <= 1500
    assert package["budget"]["omitted"]
    assert package["endpoints"]["relevant"][0]["path"] == "/api/v1/products"


async def test_prepare_context_includes_named_items_and_refuses_unknown_ones(client: Client, project: Project) -> None:
    task_id = await new_task(client)
    package = (await ok(client, "prepare_context", {"task_id": task_id, "include": ["model:Order"]}))["package"]
    assert "orders" in [t["table"] for t in package["database"]["tables"]]
    before = state_snapshot(project.root)
    message = await error(client, "prepare_context", {"task_id": task_id, "include": ["model:Ordr"]})
    assert "unknown include item 'model:Ordr' (did you mean 'model:Order'" in message
    assert state_snapshot(project.root) == before
    again = (await ok(client, "prepare_context", {"task_id": task_id, "include": ["model:Order"]}))["package"]
    assert again == package  # deterministic


@pytest.mark.parametrize(("args", "expected"), [
    ({"task_id": "task-404-api"}, "unknown task 'task-404-api'"),
    ({"task_id": "../../etc/passwd"}, "invalid task id"),
    ({"task_id": "TASK"}, "task-002-api"),
])
async def test_unknown_or_malformed_task_ids_are_tool_errors(client: Client, args: dict, expected: str) -> None:
    for tool in ("prepare_context", "assign_skill", "get_task", "validate_results"):
        assert expected in await error(client, tool, args)


async def test_token_budget_out_of_range_is_refused(client: Client) -> None:
    task_id = await new_task(client)
    assert "token_budget 10 is out of range" in await error(client, "prepare_context",
                                                            {"task_id": task_id, "token_budget": 10})


async def test_assign_skill_routes_by_kind_and_keywords(client: Client, project: Project) -> None:
    task_id = await new_task(client)
    out = await ok(client, "assign_skill", {"task_id": task_id})
    assert out["skill"] == "api-development"
    assert out["why"][0]["skill"] == "api-development"
    assert "serves kind 'api'" in out["why"][0]["reasons"]
    assert "## " in out["instructions"]
    assert "validate_results" in out["allowed_tools"]
    assert out["success_criteria"]["gates"] == ["tests", "api-design", "contract", "contract-tests", "security",
                                                 "architecture", "docs", "performance"]
    assert out["success_criteria"]["thresholds"]["coverage_percent"] == 80
    assert out["context"]["task_id"] == task_id
    task = await ok(client, "get_task", {"task_id": task_id})
    assert task["status"] == "assigned"
    assert task["assignment"]["skill"] == "api-development"
    assert [h["to_status"] for h in task["history"]] == ["received", "context_ready", "assigned"]


async def test_assign_skill_takes_an_explicit_skill(client: Client) -> None:
    task_id = await new_task(client)
    out = await ok(client, "assign_skill", {"task_id": task_id, "skill": "testing"})
    assert (out["skill"], out["explicit"]) == ("testing", True)


async def test_unknown_skill_names_the_valid_skills_and_changes_nothing(client: Client, project: Project) -> None:
    task_id = await new_task(client)
    before = state_snapshot(project.root)
    message = await error(client, "assign_skill", {"task_id": task_id, "skill": "api-developmnt"})
    assert "unknown skill 'api-developmnt'" in message
    assert "did you mean 'api-development'" in message
    assert state_snapshot(project.root) == before


async def test_validate_results_before_assignment_is_refused(client: Client) -> None:
    task_id = await new_task(client)
    assert "call assign_skill first" in await error(client, "validate_results", {"task_id": task_id})


async def test_validate_results_rejects_unknown_gates_and_long_waits(client: Client, project: Project) -> None:
    task_id = await new_task(client)
    await ok(client, "assign_skill", {"task_id": task_id})
    before = state_snapshot(project.root)
    assert "unknown gate 'unit'" in await error(client, "validate_results", {"task_id": task_id, "gates": ["unit"]})
    assert "wait_seconds 600" in await error(client, "validate_results", {"task_id": task_id, "wait_seconds": 600})
    assert state_snapshot(project.root) == before


async def test_update_task_moves_along_the_state_machine_and_records_notes(client: Client) -> None:
    task_id = await new_task(client)
    await ok(client, "assign_skill", {"task_id": task_id})
    task = await ok(client, "update_task", {"task_id": task_id, "status": "in_progress", "note": "started"})
    assert task["status"] == "in_progress"
    task = await ok(client, "update_task", {"task_id": task_id, "note": "half way"})
    assert task["history"][-1]["note"] == "half way"
    assert task["history"][-1]["to_status"] == "in_progress"


@pytest.mark.parametrize(("args", "expected"), [
    ({"status": "done"}, "set by validate_results"),
    ({"status": "validated"}, "unknown status 'validated'"),
    ({"status": "assigned"}, "allowed from 'received': context_ready, blocked, cancelled"),
    ({}, "nothing to update"),
])
async def test_update_task_refuses_invalid_transitions_and_changes_nothing(client: Client, project: Project,
                                                                          args: dict, expected: str) -> None:
    task_id = await new_task(client)
    before = state_snapshot(project.root)
    assert expected in await error(client, "update_task", {"task_id": task_id, **args})
    assert state_snapshot(project.root) == before


async def test_cancelled_is_final(client: Client) -> None:
    task_id = await new_task(client)
    await ok(client, "update_task", {"task_id": task_id, "status": "cancelled"})
    assert "final" in await error(client, "update_task", {"task_id": task_id, "status": "received"})
    assert "final" in await error(client, "prepare_context", {"task_id": task_id})


async def test_list_tasks_filters_and_paginates(client: Client) -> None:
    for i in range(3):
        await new_task(client, f"Add sorting to GET /api/v1/products variant {i}")
    await new_task(client, "Add an index to orders.user_id with an alembic migration", kind="database")
    page = await ok(client, "list_tasks", {"limit": 2})
    assert [t["id"] for t in page["tasks"]] == ["task-001-api", "task-002-api"]
    assert (page["total"], page["next_cursor"]) == (4, "2")
    page = await ok(client, "list_tasks", {"cursor": "2", "limit": 2})
    assert [t["id"] for t in page["tasks"]] == ["task-003-api", "task-004-database"]
    assert page["next_cursor"] is None
    assert (await ok(client, "list_tasks", {"kind": "database"}))["total"] == 1
    message = await error(client, "list_tasks", {"status": "open"})
    assert "'received'" in message and "'cancelled'" in message
    assert "invalid cursor" in await error(client, "list_tasks", {"cursor": "abc"})


async def test_scan_project_fills_the_registries_and_reports_changes(client: Client, project: Project) -> None:
    first = await ok(client, "scan_project", {})
    assert first["framework"] == "fastapi"
    assert first["endpoints"] >= 10 and first["models"] == 4
    assert "GET /api/v1/products" in first["changes"]["added"]
    again = await ok(client, "scan_project", {})
    assert again["changes"] == {"added": [], "removed": [], "changed": []}
    for name in ("endpoints", "models", "services"):
        text = (project.store.dir / f"{name}.json").read_text(encoding="utf-8")
        assert text.endswith("\n") and json.loads(text)["schema_version"] == 1


async def test_scan_project_refuses_a_path_outside_the_project(client: Client, project: Project) -> None:
    before = state_snapshot(project.root)
    for path in ("..", "/etc", "shop/../../.."):
        assert "outside the project root" in await error(client, "scan_project", {"path": path})
    assert state_snapshot(project.root) == before


async def test_query_registry_filters_and_paginates(client: Client) -> None:
    page = await ok(client, "query_registry", {"registry": "endpoints", "query": "products GET"})
    assert {(i["method"], i["path"]) for i in page["items"]} >= {("GET", "/api/v1/products")}
    assert all(i["method"] == "GET" or "GET" in json.dumps(i) for i in page["items"])
    page = await ok(client, "query_registry", {"registry": "models", "limit": 1})
    assert len(page["items"]) == 1 and page["next_cursor"] == "1"
    message = await error(client, "query_registry", {"registry": "routes"})
    assert "'endpoints'" in message and "'services'" in message


async def test_publish_and_poll_events_round_trip(client: Client) -> None:
    payload = {"endpoint": "GET /api/v1/products", "description": "the catalogue page needs paging",
               "requested_by": "frontend-orchestrator"}
    event = await ok(client, "publish_event", {"type": "frontend.api.request", "payload": payload})
    assert event["id"].startswith("evt-")
    await ok(client, "publish_event", {"type": "backend.task.note", "payload": {"text": "hello"}})
    page = await ok(client, "poll_events", {"types": ["frontend.api.request"]})
    assert [e["payload"]["endpoint"] for e in page["events"]] == ["GET /api/v1/products"]
    later = await ok(client, "poll_events", {"after": page["next_cursor"]})
    assert later["events"] == []


async def test_a_task_can_answer_a_frontend_request_event(client: Client) -> None:
    payload = {"endpoint": "GET /api/v1/categories", "description": "the menu lists product categories"}
    event = await ok(client, "publish_event", {"type": "frontend.api.request", "payload": payload})
    out = await ok(client, "receive_task", {"description": "List product categories for the menu",
                                            "kind": "api", "source_event": event["id"]})
    assert out["task"]["source_event"] == event["id"]
    assert "GET /api/v1/categories" in out["task"]["endpoints"]
    assert "unknown event 'evt-missing'" in await error(client, "receive_task", {
        "description": "x", "source_event": "evt-missing"})


async def test_publish_event_checks_seed_payloads_and_types(client: Client, project: Project) -> None:
    message = await error(client, "publish_event", {"type": "frontend.api.request", "payload": {"endpoint": "x"}})
    assert "frontend-api-request.schema.json" in message
    assert "invalid event type" in await error(client, "publish_event", {"type": "Bad Type", "payload": {}})
    assert not (project.root / "ai-state" / "events.jsonl").exists()
    assert "unknown event id" in await error(client, "poll_events", {"after": "evt-nope00"})


async def test_a_corrupt_task_file_is_a_protocol_error_and_is_not_overwritten(client: Client,
                                                                            project: Project) -> None:
    task_id = await new_task(client)
    path = project.store.task_path(task_id)
    path.write_text('{"schema_version": 1, "id": 5}\n', encoding="utf-8")
    with pytest.raises(MCPError) as caught:
        await client.call_tool("update_task", {"task_id": task_id, "note": "x"})
    assert "tasks/task-001-api.json" in caught.value.message
    assert path.read_text(encoding="utf-8") == '{"schema_version": 1, "id": 5}\n'
    # the server keeps serving
    assert (await ok(client, "query_registry", {"registry": "models"}))["total"] == 4
    assert (await ok(client, "receive_task", {"description": "Index orders.user_id", "kind": "database"}))[
        "task"]["id"] == "task-002-database"


async def test_resources_expose_registries_tasks_standards_and_skills(client: Client) -> None:
    task_id = await new_task(client)
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert {"backend://registry/{name}", "backend://tasks/{task_id}", "backend://reports/{task_id}/latest",
            "backend://standards/{name}", "backend://skills/{name}"} <= templates
    task = json.loads((await client.read_resource(f"backend://tasks/{task_id}")).contents[0].text)
    assert task["id"] == task_id
    endpoints = json.loads((await client.read_resource("backend://registry/endpoints")).contents[0].text)
    assert endpoints["endpoints"]
    standard = (await client.read_resource("backend://standards/api-design")).contents[0].text
    assert "API-001" in standard
    assert "name: database" in (await client.read_resource("backend://skills/database")).contents[0].text
    assert "receive_task" in (await client.read_resource("backend://workflow")).contents[0].text
    with pytest.raises(MCPError):
        await client.read_resource("backend://standards/nope")


async def test_prompts_cover_the_workflow_and_every_sub_skill(client: Client) -> None:
    names = {p.name for p in (await client.list_prompts()).prompts}
    assert names == {"orchestrate", "api-development", "database", "service-integration", "auth", "testing"}
    prompt = await client.get_prompt("auth", {"task_id": "task-001-auth"})
    assert "task-001-auth" in prompt.messages[0].content.text  # type: ignore[union-attr]


def test_the_tool_tier_must_be_known(project: Project) -> None:
    from backend_orchestrator.errors import ConfigError

    with pytest.raises(ConfigError, match="core, all"):
        create_server(project, tools="everything")


async def test_every_call_is_audited_without_argument_values(client: Client, project: Project) -> None:
    await new_task(client, "Add a secret-free endpoint GET /api/v1/ping")
    await error(client, "get_task", {"task_id": "task-404-api"})
    lines = (project.store.dir / "logs" / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["tool"], e["outcome"]) for e in entries[-2:]] == [("receive_task", "ok"), ("get_task", "not_found")]
    assert all("ping" not in line for line in lines)


def test_untouched_project_has_no_state(shop: Path) -> None:
    assert not (shop / "ai-state").exists()


async def test_planted_secrets_never_reach_a_context_package(client: Client, project: Project) -> None:
    planted = {"sk_live_51HplantedSecretValue000", "planted-env-secret-value", "hunter2-planted-password"}
    router = project.root / "shop" / "routers" / "products.py"
    router.write_text(router.read_text(encoding="utf-8")
                      + '\nPAYMENT_API_KEY = "sk_live_51HplantedSecretValue000"\n'
                      + 'ADMIN_PASSWORD: str = "hunter2-planted-password"\n', encoding="utf-8")
    (project.root / ".env").write_text("SHOP_SECRET_KEY=planted-env-secret-value\n", encoding="utf-8")
    await ok(client, "scan_project", {})
    task_id = await new_task(client)
    package = (await ok(client, "prepare_context", {"task_id": task_id, "token_budget": 20000}))["package"]
    assignment = await ok(client, "assign_skill", {"task_id": task_id})
    assert package["redactions"] >= 2
    outline = next(f for f in package["source"] if f["path"] == "shop/routers/products.py")["outline"]
    assert "PAYMENT_API_KEY = <redacted>" in outline
    where = {(r["path"], r["name"]) for r in package["redacted"]}
    assert {("shop/routers/products.py", "PAYMENT_API_KEY"), ("shop/routers/products.py", "ADMIN_PASSWORD")} <= where
    written = "".join(p.read_text(encoding="utf-8") for p in (project.root / "ai-state").rglob("*.json"))
    for secret in planted:
        assert secret not in json.dumps(package) and secret not in json.dumps(assignment)
        assert secret not in written


async def test_receiving_a_task_keeps_the_api_contract_as_it_was(client: Client, project: Project) -> None:
    task_id = await new_task(client)
    base = project.store.artifacts(task_id, "openapi-base.json")
    recorded = json.loads(base.read_text(encoding="utf-8"))
    assert "/api/v1/products" in recorded["paths"]
