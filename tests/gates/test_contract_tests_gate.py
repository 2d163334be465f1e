"""The `contract-tests` gate serves the target with uvicorn and runs schemathesis on it, both in subprocesses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.config import ContractCheck, ContractTestsConfig, ProjectConfig
from backend_orchestrator.contracts.task import Task
from backend_orchestrator.errors import ConfigError
from backend_orchestrator.gates.base import GateContext, run_gate
from backend_orchestrator.gates.contract_tests import DRIVER, ContractTestsGate
from backend_orchestrator.gates.contract_tests_outcome import OTHER_CHECK, RULE_OF_CHECK, redact_tree

from .test_performance_gate import live_processes_mentioning, settled_processes_mentioning

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "contract-tests"
TOKENS = {"ok": "ok-fixture-token-5f1c9a", "bad": "bad-fixture-token-7d2e4b"}
PLANTED = {
    ("CTT001", "GET /api/v1/crash"),  # raises: 500
    ("CTT002", "GET /api/v1/reports"),  # {"count": "many"} against an integer
    ("CTT002", "GET /api/v1/stats"),  # the same, visible only with the seed's token
    ("CTT003", "GET /api/v1/stock"),  # 418, only 200 documented
    ("CTT004", "GET /api/v1/motd"),  # text/plain, documented as JSON
    ("CTT005", "GET /api/v1/me"),  # declares bearer auth, never checks it
}


def context(root: Path, config: ProjectConfig | None = None, task: Task | None = None) -> GateContext:
    return GateContext(root=root, config=config or load_config(root), evidence_dir=root / "evidence", task=task)


def fixture(case: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / case, tmp_path / case))


def files_containing(root: Path, text: str) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and text in p.read_text(encoding="utf-8", errors="replace")]


def task_naming(*endpoints: str) -> Task:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    return Task(schema_version=1, id="task-001-api", title="Fix the stock endpoint", description="Fix it.",
                kind="api", status="in_progress", endpoints=list(endpoints), created_at=now, updated_at=now)


@pytest.mark.parametrize("case", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(case: str, tmp_path: Path) -> None:
    root = fixture(case, tmp_path)
    result = run_gate(ContractTestsGate(), context(root))
    out = root / "evidence" / "contract-tests"
    assert result.metrics["operations_tested"] == result.metrics["operations"] == {"ok": 4, "bad": 7}[case]
    assert int(result.metrics["test_cases"] or 0) >= result.metrics["operations_tested"]
    assert result.metrics["max_examples"] == 5 and float(result.metrics["duration_s"] or 0) > 0
    assert "sent with the seed's Authorization header(s)" in result.summary
    reports = sorted(p.name.split("-")[0] for p in (out / "reports").iterdir())
    assert reports == ["json", "junit", "ndjson"]
    assert {f"evidence/contract-tests/{name}" for name in ("server.log", "driver.log", "result.json")} <= set(
        result.evidence)
    # The seed's token went with the requests, and nowhere on disk; no cache landed in the project.
    assert files_containing(root, TOKENS[case]) == ["app/seed.py"]
    assert not (out / "work").exists() and not list(root.rglob(".hypothesis")) and not list(root.rglob(".schemathesis"))
    assert live_processes_mentioning(str(root)) == []
    if case == "ok":
        assert (result.status, result.findings) == ("pass", []), result.summary
        return
    assert result.status == "fail"
    assert {(f.rule_id, f.title.split(": ", 1)[1]) for f in result.findings} == PLANTED
    by_rule = {f.rule_id: f for f in result.findings if f.rule_id != "CTT002"}
    crash = by_rule["CTT001"]
    assert (crash.severity, crash.category, crash.path, crash.line) == ("high", "server-error", "app/main.py", 39)
    assert "answered 500" in crash.message and "Handler: app.main:crash." in crash.message
    assert crash.evidence is not None and crash.evidence.startswith("curl -X GET") and "/api/v1/crash" in crash.evidence
    assert "Received: 418; Documented: 200" in by_rule["CTT003"].message
    assert "text/plain" in by_rule["CTT004"].message
    assert (by_rule["CTT005"].category, by_rule["CTT005"].cwe) == ("missing-auth", 306)
    schema = next(f for f in result.findings if f.title.endswith("GET /api/v1/reports"))
    assert '"many" is not of type "integer"' in schema.message
    assert result.metrics["failures_not_a_server_error"] == 1 and result.metrics["failing_operations"] == 6


def test_the_example_shop_keeps_its_contract_when_tested_with_the_seeds_token(shop: Path) -> None:
    config = load_config(shop)
    config = config.model_copy(update={"contract_tests": ContractTestsConfig(max_examples=5, seed=1)})
    result = run_gate(ContractTestsGate(), context(shop, config))
    # Timestamps carry their UTC offset and every 400/401/403/404/409 is in responses= (they were CTT002/CTT003).
    assert (result.status, [(f.rule_id, f.title) for f in result.findings]) == ("pass", []), result.summary
    assert result.metrics["operations"] == result.metrics["operations_tested"] == 12
    assert "sent with the seed's Authorization header(s)" in result.summary
    # The unauthenticated DELETE (planted gap 1) declares no security scheme, so ignored_auth cannot see it:
    # it is the security gate's finding (SC201).
    assert not (shop / "shop.db").exists() and live_processes_mentioning(str(shop)) == []


def test_a_task_scopes_the_run_to_its_endpoints(tmp_path: Path) -> None:
    root = fixture("bad", tmp_path)
    result = run_gate(ContractTestsGate(), context(root, task=task_naming("GET /api/v1/stock", "GET /api/v1/gone")))
    assert [(f.rule_id, f.title) for f in result.findings] == [
        ("CTT003", "Undocumented status code: GET /api/v1/stock")]
    assert result.metrics["operations"] == result.metrics["operations_tested"] == 1
    assert "the task's endpoints" in result.summary


def test_a_run_stopped_by_its_time_limit_leaves_no_uvicorn_or_schemathesis_process(tmp_path: Path) -> None:
    root = fixture("bad", tmp_path)
    config = load_config(root).model_copy(update={"contract_tests": ContractTestsConfig(max_examples=1000)})
    ctx = context(root, config)
    started = time.monotonic()
    result = run_gate(ContractTestsGate(), ctx, timeout_s=6)
    assert result.status == "error" and "did not finish within 6 s" in result.summary
    assert ctx.cancelled.is_set() and time.monotonic() - started < 20
    assert settled_processes_mentioning(str(root)) == []
    assert not (root / "evidence" / "contract-tests" / "work").exists()


def test_schemathesis_is_stopped_after_the_configured_seconds(tmp_path: Path) -> None:
    root = fixture("bad", tmp_path)
    config = load_config(root).model_copy(update={"contract_tests": ContractTestsConfig(max_examples=1000, seconds=5)})
    result = run_gate(ContractTestsGate(), context(root, config))
    assert result.status == "error" and "did not finish within 5 s (raise contract_tests.seconds" in result.summary
    assert live_processes_mentioning(str(root)) == []


def test_an_app_without_an_openapi_document_is_skipped_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "main.py").write_text(textwrap.dedent("""
        from fastapi import FastAPI

        app = FastAPI(openapi_url=None)

        @app.get("/api/v1/items")
        def items() -> list[int]:
            return []
    """), encoding="utf-8")
    result = run_gate(ContractTestsGate(), context(tmp_path, ProjectConfig(app="app.main:app")))
    assert result.status == "skipped" and "no OpenAPI document at /openapi.json" in result.summary
    assert live_processes_mentioning(str(tmp_path)) == []


def test_a_project_without_an_app_is_skipped_with_the_reason(tmp_path: Path) -> None:
    result = run_gate(ContractTestsGate(), context(tmp_path, ProjectConfig()))
    assert result.status == "skipped" and "no `app` in the config" in result.summary


def test_the_driver_refuses_a_base_url_off_loopback(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"base_url": "http://10.0.0.1:8000"}), encoding="utf-8")
    done = subprocess.run([sys.executable, str(DRIVER), str(spec), str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "only http://127.0.0.1 is allowed" in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_an_unknown_check_in_the_config_names_the_valid_ones(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.backend-orchestrator.contract_tests]
        checks = ["not_a_server_eror"]
    """), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert "'not_a_server_eror'" in str(caught.value) and "'not_a_server_error'" in str(caught.value)


def test_every_check_the_config_accepts_maps_to_a_declared_rule_and_the_time_limit_covers_the_run() -> None:
    gate = ContractTestsGate()
    rules = {RULE_OF_CHECK.get(check, OTHER_CHECK) for check in get_args(ContractCheck)}
    assert rules <= {rule.id for rule in gate.rules}
    config = ProjectConfig.model_validate({"contract_tests": {"seconds": 40}, "load": {"startup_s": 20}})
    assert gate.time_limit(config) >= 40 + 20


def test_a_header_value_left_in_any_report_is_redacted(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    junit = tmp_path / "reports" / "junit.xml"
    junit.write_text("<failure>curl -H 'X-Token: Bearer s3cret-token-1'</failure>", encoding="utf-8")
    (tmp_path / "driver.log").write_text("nothing secret here", encoding="utf-8")
    redact_tree(tmp_path, {"X-Token": "Bearer s3cret-token-1"})
    assert junit.read_text(encoding="utf-8") == "<failure>curl -H 'X-Token: [redacted]'</failure>"
    assert (tmp_path / "driver.log").read_text(encoding="utf-8") == "nothing secret here"
