"""`backend-orchestrator scan` and the scan_project tool: mode, reason, drift and counts on both surfaces."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from mcp import Client

from backend_orchestrator.cli import main
from backend_orchestrator.server import create_server
from backend_orchestrator.state import Project

from ..test_server_tools import error, ok


def test_scan_prints_the_result_as_json_with_mode_reason_and_drift(
        make_project: Callable[[str], Project], capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project("fastapi_nested")
    assert main(["scan", "--project", str(project.root), "--mode", "dynamic", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "dynamic" and result["framework"] == "fastapi" and result["endpoints"] == 10
    assert result["mode_reason"].startswith("dynamic: imported svc.main:app")
    assert "POST /admin/reset-cache" in result["changes"]["added"]
    assert [line.split(" — ")[0] for line in result["drift"]] == ["hidden: POST /admin/reset-cache",
                                                                 "hidden: POST /debug/reset"]
    assert result["unresolved"] == [
        "svc/main.py:0: mount /legacy (FastAPI): the routes of a mounted app are not listed"]
    assert main(["scan", "--project", str(project.root), "--mode", "static", "--json"]) == 0  # the old flag
    again = json.loads(capsys.readouterr().out)
    assert again["mode"] == "static" and again["changes"]["added"] == []


def test_scan_prints_a_readable_summary_by_default(make_project: Callable[[str], Project],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project("fastapi_nested")
    assert main(["scan", "--project", str(project.root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fastapi (dynamic): 10 endpoints, 0 models, 0 services; migrations head -\n")
    assert "  mode: dynamic: imported svc.main:app" in out
    assert "  openapi: ai-state/active/backend/openapi.json" in out
    assert "  drift: hidden: POST /debug/reset — include_in_schema=False" in out
    assert "  unresolved: svc/main.py:0: mount /legacy" in out


def test_scan_with_mode_dynamic_exits_2_when_the_app_does_not_import(
        make_project: Callable[[str], Project], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROKEN_DATABASE_URL", raising=False)
    project = make_project("fastapi_broken")
    assert main(["scan", "--project", str(project.root), "--mode", "dynamic"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: mode 'dynamic' failed: importing broken.main:app") and "KeyError" in err
    assert main(["scan", "--project", str(project.root)]) == 0
    assert "fastapi (static): 1 endpoints" in capsys.readouterr().out


@pytest.mark.anyio
async def test_the_scan_project_tool_takes_a_mode_and_reports_why_it_was_used(
        make_project: Callable[[str], Project], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROKEN_DATABASE_URL", raising=False)
    project = make_project("fastapi_broken")
    async with Client(create_server(project, tools="all"), raise_exceptions=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["scan_project"].input_schema["properties"]["mode"]["enum"] == ["auto", "static", "dynamic"]
        result = await ok(client, "scan_project", {})
        assert result["mode"] == "static" and "KeyError: 'BROKEN_DATABASE_URL'" in result["mode_reason"]
        message = await error(client, "scan_project", {"mode": "dynamic"})
        assert "[invalid_argument] mode 'dynamic' failed" in message and "mode 'auto'" in message
        assert "mode" in await error(client, "scan_project", {"mode": "sideways"})
