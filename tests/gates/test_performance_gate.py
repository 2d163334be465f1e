"""The `performance` gate serves the target with uvicorn and loads it with locust, both in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.gates.base import GateContext, run_gate
from backend_orchestrator.gates.performance import PerformanceGate

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "performance"
GOLDEN = Path(__file__).parent / "golden" / "performance.json"


@pytest.fixture(autouse=True)
def short_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BO_LOAD_SECONDS", "3")
    monkeypatch.setenv("BO_LOAD_USERS", "5")
    monkeypatch.delenv("BO_DATABASE_ENV", raising=False)


def context(root: Path, config: ProjectConfig | None = None) -> GateContext:
    return GateContext(root=root, config=config or load_config(root), evidence_dir=root / "evidence")


def live_processes_mentioning(text: str) -> list[str]:
    """Command lines of running (non-zombie) processes that mention ``text``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(cmdline)
    return found


def settled_processes_mentioning(text: str, within_s: float = 10.0) -> list[str]:
    """Like :func:`live_processes_mentioning`, giving killed processes a bounded moment to disappear."""
    deadline = time.monotonic() + within_s
    while (found := live_processes_mentioning(text)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.mark.parametrize("case", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(case: str, tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / case, tmp_path / case))
    result = run_gate(PerformanceGate(), context(root))
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line}
            for f in result.findings]
    assert result.metrics["requests"] > 0 and result.metrics["users"] == 5 and result.metrics["seconds"] == 3
    stats = json.loads((root / "evidence" / "performance" / "stats.json").read_text(encoding="utf-8"))
    assert [e["name"] for e in stats["endpoints"]] == [
        "GET /api/v1/items", "GET /api/v1/quotes", "GET /api/v1/reports", "GET /api/v1/stock"]
    assert live_processes_mentioning(str(root)) == []
    if case == "ok":
        assert (result.status, rows) == ("pass", []), result.summary
        assert result.metrics["error_rate"] == 0.0 and result.metrics["p95_ms"] < 200
        return
    assert result.status == "fail"
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert rows == json.loads(GOLDEN.read_text(encoding="utf-8"))
    slow, errors, limited = result.findings
    assert slow.title == "p95 GET /api/v1/reports at or above 200 ms" and "sleep" not in slow.message
    assert json.loads(slow.evidence or "{}")["p95_ms"] >= 300
    assert "GET /api/v1/stock" in errors.message and result.metrics["error_rate"] > 1
    assert limited.title == "Rate limited: GET /api/v1/quotes" and "not measured" in limited.message
    assert result.metrics["rate_limited_endpoints"] == 1


def test_the_example_shop_is_served_on_a_migrated_scratch_database_and_passes(shop: Path) -> None:
    result = run_gate(PerformanceGate(), context(shop))
    assert result.status == "pass", result.summary
    assert result.findings == []
    assert result.metrics["requests"] > 0 and result.metrics["error_rate"] == 0.0
    stats = json.loads((shop / "evidence" / "performance" / "stats.json").read_text(encoding="utf-8"))
    # Endpoints that need a path parameter or authentication are not loaded without a request profile.
    assert [e["name"] for e in stats["endpoints"]] == ["GET /api/v1/products", "GET /health"]
    assert (shop / "evidence" / "performance" / "scratch" / "shop.db").is_file()
    assert not (shop / "shop.db").exists() and not list(shop.rglob("__pycache__"))
    assert live_processes_mentioning(str(shop)) == []


def test_an_app_that_fails_to_start_is_an_error_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "main.py").write_text(textwrap.dedent("""
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/api/v1/items")
        def items() -> list[int]:
            return []

        raise RuntimeError("SECRET_KEY is not set")
    """), encoding="utf-8")
    result = run_gate(PerformanceGate(), context(tmp_path, ProjectConfig(app="app.main:app")))
    assert result.status == "error"
    assert "exited with code" in result.summary and "RuntimeError: SECRET_KEY is not set" in result.summary
    assert live_processes_mentioning(str(tmp_path)) == []


def test_a_run_stopped_by_its_time_limit_leaves_no_uvicorn_or_locust_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BO_LOAD_SECONDS", "60")
    root = Path(shutil.copytree(FIXTURES / "ok", tmp_path / "ok"))
    ctx = context(root)
    started = time.monotonic()
    result = run_gate(PerformanceGate(), ctx, timeout_s=4)
    assert result.status == "error" and "did not finish within 4 s" in result.summary
    assert ctx.cancelled.is_set() and time.monotonic() - started < 15
    assert settled_processes_mentioning(str(root)) == []


def test_a_project_without_an_app_is_skipped_with_the_reason(tmp_path: Path) -> None:
    result = run_gate(PerformanceGate(), context(tmp_path, ProjectConfig()))
    assert result.status == "skipped" and "no `app` in the config" in result.summary


def test_the_time_limit_covers_the_load_time_and_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BO_LOAD_SECONDS", "40")
    monkeypatch.setenv("BO_STARTUP_SECONDS", "20")
    assert PerformanceGate().time_limit(ProjectConfig()) == 40 + 20 + 90
