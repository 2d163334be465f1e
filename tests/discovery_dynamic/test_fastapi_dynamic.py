"""FastAPI apps imported in a subprocess: effective routes, auth and hidden flags, the OpenAPI document,
drift, and what happens when the import fails or hangs."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from backend_orchestrator.errors import InvalidArgument
from backend_orchestrator.state import Project
from backend_orchestrator.workflow import scan_project

from ..conftest import fixed_project
from .conftest import refs, registry

NESTED = {
    "GET /api/v1/items", "POST /api/v1/items", "GET /api/v1/items/{item_id}", "PUT /api/v1/items/{item_id}/tags",
    "PATCH /api/v1/items/{item_id}/tags", "GET /api/v1/users/me", "DELETE /api/v1/users/{user_id}",
    "POST /admin/reset-cache", "GET /health", "POST /debug/reset",
}


def test_nested_routers_are_listed_with_their_effective_prefixes_auth_and_hidden_flags(
        make_project: Callable[[str], Project]) -> None:
    project = make_project("fastapi_nested")
    result = scan_project(project)
    assert result.mode == "dynamic" and result.framework == "fastapi"
    assert result.mode_reason.startswith("dynamic: imported svc.main:app (found in svc/main.py) with ")
    endpoints = registry(project, "endpoints")
    by_ref = {f"{e['method']} {e['path']}": e for e in endpoints["endpoints"]}
    assert set(by_ref) == NESTED  # the docs routes (/openapi.json, /docs, /redoc) are not the project's
    # include_router(users.router, dependencies=[Depends(get_current_user)]): only the route context shows it
    assert by_ref["GET /api/v1/users/me"]["auth"] == ["get_current_user"]
    assert by_ref["DELETE /api/v1/users/{user_id}"]["auth"] == ["get_current_user"]
    # include_router(admin_router, include_in_schema=False, dependencies=[Depends(require_token)])
    assert by_ref["POST /admin/reset-cache"]["hidden"] is True
    assert by_ref["POST /admin/reset-cache"]["auth"] == ["require_token"]
    assert by_ref["POST /debug/reset"]["hidden"] is True
    assert by_ref["GET /api/v1/items"]["auth"] == []  # get_session provides a session, not auth
    item = by_ref["GET /api/v1/items/{item_id}"]
    assert item["handler"] == "svc.api.items:read_item" and item["file"] == "svc/api/items.py"
    assert item["line"] == 25 and item["path_params"] == ["item_id"] and item["tags"] == ["items"]
    assert item["response_model"] == "Item" and item["summary"] == "Return one item."
    assert 404 in item["status_codes"]  # raised HTTPException: kept from static discovery
    assert by_ref["POST /api/v1/items"]["request_model"] == "ItemCreate"
    assert by_ref["POST /api/v1/items"]["status_codes"] == [201]
    assert by_ref["GET /api/v1/items"]["response_model"] == "list[Item]"
    assert by_ref["GET /api/v1/items"]["version"] == "v1"
    assert [u["reason"] for u in endpoints["unresolved"]] == [
        "mount /legacy (FastAPI): the routes of a mounted app are not listed"]
    assert endpoints["unresolved"][0]["file"] == "svc/main.py"


def test_the_openapi_document_is_recorded_and_hidden_routes_are_reported_as_drift(
        make_project: Callable[[str], Project]) -> None:
    project = make_project("fastapi_nested")
    result = scan_project(project)
    document = project.store.dir / "openapi.json"
    assert result.openapi == "ai-state/active/backend/openapi.json" == registry(project, "endpoints")["openapi"]
    text = document.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "/admin/reset-cache" not in json.loads(text)["paths"]
    assert "ai-state/active/backend/openapi.json" in result.files
    drift = {(d["kind"], d["ref"]) for d in registry(project, "endpoints")["drift"]}
    assert drift == {("hidden", "POST /admin/reset-cache"), ("hidden", "POST /debug/reset")}
    assert any(line.startswith("hidden: POST /debug/reset — include_in_schema=False") for line in result.drift)


def test_dynamic_and_static_scans_agree_on_every_method_and_path(make_project: Callable[[str], Project]) -> None:
    project = make_project("fastapi_nested")
    static = scan_project(project, mode="static")
    static_endpoints = registry(project, "endpoints")["endpoints"]
    dynamic = scan_project(project, mode="dynamic")
    dynamic_endpoints = registry(project, "endpoints")["endpoints"]
    assert static.mode == "static" and static.mode_reason == "static: requested (mode 'static')"
    assert dynamic.mode == "dynamic"
    assert refs(static_endpoints) == refs(dynamic_endpoints) == NESTED
    assert {e["path"]: e["hidden"] for e in static_endpoints} == {e["path"]: e["hidden"] for e in dynamic_endpoints}


def test_a_static_scan_compares_the_code_with_the_last_recorded_openapi_document(
        make_project: Callable[[str], Project]) -> None:
    project = make_project("fastapi_nested")
    scan_project(project, mode="dynamic")
    users = project.root / "svc" / "api" / "users.py"
    users.write_text(users.read_text(encoding="utf-8").split("@router.delete")[0], encoding="utf-8")
    (project.root / "svc" / "admin.py").unlink()
    main = project.root / "svc" / "main.py"
    main.write_text(main.read_text(encoding="utf-8").replace("from svc.admin import admin_router\n", "")
                    .replace("app.include_router(admin_router", "# app.include_router(admin_router"), encoding="utf-8")
    result = scan_project(project, mode="static")
    drift = {(d["kind"], d["ref"]): d["detail"] for d in registry(project, "endpoints")["drift"]}
    assert drift[("not-in-code", "DELETE /api/v1/users/{user_id}")] == "in openapi.json, not found in the code"
    assert "no longer defined in svc/api/users.py" in drift[("gone", "DELETE /api/v1/users/{user_id}")]
    assert "svc/admin.py no longer exists" in drift[("gone", "POST /admin/reset-cache")]
    assert result.openapi == "ai-state/active/backend/openapi.json"  # the previous document is kept
    assert "DELETE /api/v1/users/{user_id}" in result.changes.removed


def test_the_shop_example_gives_the_same_routes_dynamically_as_statically(shop: Path) -> None:
    project = fixed_project(shop)
    static = scan_project(project, mode="static")
    static_refs = refs(registry(project, "endpoints")["endpoints"])
    dynamic = scan_project(project)
    endpoints = registry(project, "endpoints")["endpoints"]
    assert dynamic.mode == "dynamic"
    assert dynamic.mode_reason.startswith("dynamic: imported shop.main:app (config `app`)")
    assert refs(endpoints) == static_refs and dynamic.endpoints == static.endpoints == 12
    auth = {f"{e['method']} {e['path']}": e["auth"] for e in endpoints}
    assert auth["POST /api/v1/orders"] == ["get_current_user"] and auth["POST /api/v1/products"] == ["require_admin"]
    assert auth["GET /api/v1/products"] == []
    assert dynamic.drift == [] and dynamic.unresolved == []
    assert dynamic.database == "sqlite:///./shop.db: missing — shop.db is not created yet (no migration applied)"


def test_an_app_whose_import_fails_is_scanned_statically_with_the_reason(
        make_project: Callable[[str], Project], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROKEN_DATABASE_URL", raising=False)
    project = make_project("fastapi_broken")
    result = scan_project(project)
    assert result.mode == "static" and refs(registry(project, "endpoints")["endpoints"]) == {"GET /ping"}
    assert result.mode_reason.startswith("static: importing broken.main:app (config `app`) with ")
    assert "failed: KeyError: 'BROKEN_DATABASE_URL' (see ai-state/active/backend/artifacts/project/scan/probe.log)" \
        in result.mode_reason
    log = project.store.artifacts("project", "scan", "probe.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "BROKEN_DATABASE_URL" in log
    assert registry(project, "endpoints")["mode_reason"] == result.mode_reason
    assert result.openapi is None and not (project.store.dir / "openapi.json").exists()


def test_mode_dynamic_on_an_app_that_does_not_import_is_an_error_that_says_why(
        make_project: Callable[[str], Project], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROKEN_DATABASE_URL", raising=False)
    project = make_project("fastapi_broken")
    with pytest.raises(InvalidArgument) as caught:
        scan_project(project, mode="dynamic")
    message = str(caught.value)
    assert message.startswith("mode 'dynamic' failed: importing broken.main:app")
    assert "KeyError: 'BROKEN_DATABASE_URL'" in message and "mode 'auto'" in message
    assert not project.store.registry_path("endpoints").exists()


def test_a_database_password_in_an_import_error_is_masked_in_the_reason_and_the_log(
        make_project: Callable[[str], Project], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKEN_DATABASE_URL", "postgresql://shop:s3cr3t-pw@127.0.0.1:1/shop")
    project = make_project("fastapi_broken")
    result = scan_project(project)
    assert "cannot reach the database at postgresql://shop:***@127.0.0.1:1/shop" in result.mode_reason
    log = project.store.artifacts("project", "scan", "probe.log").read_text(encoding="utf-8")
    assert "s3cr3t-pw" not in log and "shop:***@" in log
    assert "s3cr3t-pw" not in project.store.registry_path("endpoints").read_text(encoding="utf-8")


def test_an_app_that_hangs_at_import_is_stopped_at_the_timeout_and_scanned_statically(
        make_project: Callable[[str], Project]) -> None:
    project = make_project("slow_import")
    started = time.monotonic()
    result = scan_project(project)
    assert time.monotonic() - started < 15
    assert result.mode == "static" and "timed out after 1 s (timeouts.discovery_s)" in result.mode_reason
    assert refs(registry(project, "endpoints")["endpoints"]) == {"GET /ping"}


def test_mode_dynamic_without_an_app_to_import_names_the_settings_to_add(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("def helper() -> int:\n    return 1\n", encoding="utf-8")
    project = fixed_project(tmp_path)
    with pytest.raises(InvalidArgument, match="needs an app to import; no app to import: set `app`"):
        scan_project(project, mode="dynamic")
    result = scan_project(project)
    assert result.mode == "static" and result.mode_reason.startswith("static: no app to import")
    with pytest.raises(InvalidArgument, match=r"unknown mode 'dynamc'.*did you mean 'dynamic'"):
        scan_project(project, mode="dynamc")


def test_rescanning_one_folder_keeps_the_entries_of_the_others(make_project: Callable[[str], Project]) -> None:
    project = make_project("fastapi_nested")
    scan_project(project)
    result = scan_project(project, path="svc/api")
    assert result.mode == "dynamic" and result.changes.added == result.changes.removed == []
    assert refs(registry(project, "endpoints")["endpoints"]) == NESTED


def test_the_probe_runs_with_the_projects_own_virtualenv_interpreter(make_project: Callable[[str], Project]) -> None:
    project = make_project("fastapi_nested")
    python = project.root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    marker = project.root / "interpreter-used"
    python.write_text(f'#!/bin/sh\ntouch "{marker}"\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    result = scan_project(project)
    assert result.mode_reason.endswith(f"with {python}") and marker.is_file()


ODD_APP = '''
from fastapi import Depends, FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse

app = FastAPI()


def load_tenant() -> str:
    return "acme"


async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus metrics."""
    return PlainTextResponse("")


app.add_route("/metrics", metrics)


@app.api_route("/echo", methods=["GET", "TRACE"])
def echo(tenant: str = Depends(load_tenant)) -> str:
    return tenant


def no_schema() -> dict:
    raise RuntimeError("schema generation is broken")


app.openapi = no_schema
'''


def test_plain_routes_odd_methods_configured_auth_names_and_a_broken_openapi_are_reported(tmp_path: Path) -> None:
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "odd" / "main.py").write_text(ODD_APP, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.backend-orchestrator]\napp = "odd.main:app"\nauth_dependencies = ["load_tenant"]\n', encoding="utf-8")
    (tmp_path / "ai-state" / "active" / "backend").mkdir(parents=True)
    (tmp_path / "ai-state" / "active" / "backend" / "openapi.json").write_text(
        json.dumps({"openapi": "3.1.0", "paths": {"/echo": {"get": {}}, "/gone": {"post": {}}}}), encoding="utf-8")
    project = fixed_project(tmp_path)
    result = scan_project(project)
    endpoints = registry(project, "endpoints")
    by_ref = {f"{e['method']} {e['path']}": e for e in endpoints["endpoints"]}
    assert set(by_ref) == {"GET /metrics", "GET /echo"}
    assert by_ref["GET /echo"]["auth"] == ["load_tenant"]  # named in auth_dependencies
    assert by_ref["GET /metrics"]["summary"] == "Prometheus metrics."
    reasons = [u["reason"] for u in endpoints["unresolved"]]
    assert "method 'TRACE' of /echo is not an HTTP method we list" in reasons
    assert "app.openapi() failed: RuntimeError: schema generation is broken" in reasons
    # the document could not be built: the recorded one stays, and the code is compared with it
    assert result.openapi == "ai-state/active/backend/openapi.json"
    drift = {(d["kind"], d["ref"]) for d in endpoints["drift"]}
    assert drift == {("undocumented", "GET /metrics"), ("not-in-code", "POST /gone")}


def test_an_import_that_kills_the_interpreter_is_reported_with_its_exit_status(tmp_path: Path) -> None:
    (tmp_path / "dies.py").write_text('import os\nprint("bye from dies")\nos._exit(7)\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.backend-orchestrator]\napp = "dies:app"\n', encoding="utf-8")
    result = scan_project(fixed_project(tmp_path))
    assert result.mode == "static"
    assert "failed: the probe exited with status 7: bye from dies (see " in result.mode_reason
