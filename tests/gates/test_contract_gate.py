"""The `contract` gate compares the app's current OpenAPI document with the recorded contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.gates import GateContext, get_gate, run_gate
from backend_orchestrator.state import Project
from backend_orchestrator.workflow import receive_task

pytestmark = pytest.mark.slow


def context(root: Path, task: object = None) -> GateContext:
    """A whole-project run compares with a baseline's document: here, the one the first scan recorded."""
    config = Project.open(root).config
    ctx = GateContext(root=root, config=config, evidence_dir=root / "evidence", task=task)  # type: ignore[arg-type]
    if task is None:
        ctx.base_contract = (root / "base-openapi.json", "the baseline's contract")
    return ctx


def record_base(root: Path) -> None:
    recorded = root / "ai-state" / "active" / "backend" / "openapi.json"
    (root / "base-openapi.json").write_bytes(recorded.read_bytes())


def scan(root: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "backend_orchestrator", "--project", str(root), "scan"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def rename_response_field(shop: Path) -> None:
    schemas = shop / "shop" / "schemas.py"
    lines = schemas.read_text(encoding="utf-8").splitlines()
    read_at = next(i for i, line in enumerate(lines) if line.startswith("class ProductRead"))
    field_at = next(i for i in range(read_at, len(lines)) if lines[i].strip().startswith("description:"))
    lines[field_at] = lines[field_at].replace("description:", "details:")
    schemas.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_unchanged_api_passes(shop: Path) -> None:
    scan(shop)
    record_base(shop)
    result = run_gate(get_gate("contract"), context(shop))
    assert result.status == "pass", result.summary
    assert result.findings == []
    assert result.metrics["breaking_changes"] == 0


def test_a_renamed_response_field_is_a_breaking_change_located_at_the_handlers(shop: Path) -> None:
    scan(shop)
    record_base(shop)
    rename_response_field(shop)
    result = run_gate(get_gate("contract"), context(shop))
    assert result.status == "fail"
    assert {f.rule_id for f in result.findings} == {"CT001"}
    assert {f.category for f in result.findings} == {"breaking-change"}
    titles = sorted(f.title for f in result.findings)
    assert "GET /api/v1/products: response-required-property-removed" in titles
    located = next(f for f in result.findings if f.title.startswith("GET /api/v1/products:"))
    assert located.path == "shop/routers/products.py" and located.line
    assert (shop / "evidence" / "contract" / "changes.json").is_file()


def test_a_task_is_compared_with_the_contract_it_was_received_with(shop: Path) -> None:
    project = Project.open(shop)
    task = receive_task(project, "Rename the product description field", kind="api").task
    scan(shop)  # a later scan must not move the task's baseline
    rename_response_field(shop)
    scan(shop)
    result = run_gate(get_gate("contract"), context(shop, task))
    assert result.status == "fail"
    assert "when task-001-api was received" in result.findings[0].message


def test_a_whole_project_run_without_a_baseline_has_no_contract_to_compare(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n", encoding="utf-8")
    ctx = GateContext(root=tmp_path, config=ProjectConfig(), evidence_dir=tmp_path / "evidence")
    result = run_gate(get_gate("contract"), ctx)
    assert result.status == "not-applicable"
    assert "validate --baseline REF" in result.summary


def test_a_task_received_without_a_recorded_contract_is_skipped_saying_what_to_do(shop: Path) -> None:
    task = receive_task(Project.open(shop), "Rename the product description field", kind="api").task
    (shop / "ai-state" / "active" / "backend" / "artifacts" / task.id / "openapi-base.json").unlink()
    result = run_gate(get_gate("contract"), context(shop, task))
    assert result.status == "skipped"
    assert "no API contract was recorded when the task was received" in result.summary


def test_an_app_that_no_longer_imports_is_an_error_not_a_pass(shop: Path) -> None:
    scan(shop)
    record_base(shop)
    (shop / "shop" / "main.py").write_text("raise RuntimeError('broken at import')\n", encoding="utf-8")
    result = run_gate(get_gate("contract"), context(shop))
    assert result.status == "error"
    assert "broken at import" in result.summary
