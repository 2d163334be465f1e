"""The `docs` gate: hidden and undocumented endpoints, missing summaries and response models, and
registry drift, on fixture projects (with registries recorded by real scans), on examples/shop and
on edge cases."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.report import Finding, GateResult
from backend_orchestrator.gates.base import GateContext, run_gate
from backend_orchestrator.gates.docs import DocsGate

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "docs"
GOLDEN = HERE / "golden" / "docs.json"
DOCUMENT = "ai-state/active/backend/openapi.json"


def copy_fixture(name: str, dest: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, dest / name, ignore=shutil.ignore_patterns("__pycache__")))


def run(root: Path) -> GateResult:
    ctx = GateContext(root=root.resolve(), config=load_config(root), evidence_dir=root / "evidence")
    return run_gate(DocsGate(), ctx)


def pinned(findings: list[Finding]) -> list[dict[str, object]]:
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line,
             "title": f.title, "fingerprint": f.fingerprint} for f in findings]
    return sorted(rows, key=lambda r: (str(r["path"]), r["line"] or 0, str(r["rule_id"]), str(r["title"])))


@pytest.mark.parametrize("name", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(name: str, tmp_path: Path) -> None:
    result = run(copy_fixture(name, tmp_path))
    if name == "ok":
        assert (result.status, result.findings) == ("pass", []), result.summary
        assert "drift: 1 hidden" in result.summary, "the hidden /health probe is allowed (API-026)"
        return
    assert result.status == "fail"
    rows = pinned(result.findings)
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert rows == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert {f.rule_id for f in result.findings} == {r.id for r in DocsGate.rules}, "every rule planted once"
    assert result.metrics["drift_gone"] == 1 and result.metrics["drift_not_in_code"] == 1


def test_the_planted_defects_are_reported_where_they_are(tmp_path: Path) -> None:
    result = run(copy_fixture("bad", tmp_path))
    assert {(f.rule_id, f.evidence, f.path, f.line) for f in result.findings} == {
        ("DC001", "POST /api/v1/admin/reindex", "app/routers/items.py", 29),
        ("DC002", "in the code (app.routers.counts:count_items), missing from openapi.json",
         "app/routers/counts.py", 10),
        ("DC003", "in openapi.json, not found in the code", DOCUMENT, None),
        ("DC004", "its handler file app/routers/legacy.py no longer exists", None, None),
        ("DC005", "GET /api/v1/items/{item_id}", "app/routers/items.py", 24),
        ("DC006", "GET /api/v1/items/stats", "app/routers/items.py", 18),
    }
    gone = next(f for f in result.findings if f.rule_id == "DC004")
    assert gone.category == "breaking-change" and "GET /api/v1/legacy-items" in gone.title


@pytest.mark.parametrize("name", ["ok", "bad"])
def test_the_recorded_registry_of_each_fixture_matches_its_code(name: str) -> None:
    from backend_orchestrator.discovery import scan

    root = FIXTURES / name
    stored = json.loads((root / "ai-state/active/backend/endpoints.json").read_text(encoding="utf-8"))
    fresh = scan(root.resolve(), load_config(root)).endpoints.endpoints
    key = ("method", "path", "handler", "file", "line", "summary", "response_model", "hidden")
    assert sorted(tuple(e[k] for k in key) for e in stored["endpoints"]) == sorted(
        tuple(getattr(e, k) for k in key) for e in fresh)


def test_the_example_shop_is_fully_documented(shop: Path) -> None:
    result = run(shop)
    assert (result.status, result.findings) == ("pass", [])
    assert "no OpenAPI document recorded" in result.summary


@pytest.mark.slow
def test_after_a_dynamic_scan_the_shop_has_no_drift(shop: Path) -> None:
    from backend_orchestrator.state import Project
    from backend_orchestrator.workflow.registry import scan_project

    scan_project(Project.open(shop), mode="dynamic")
    result = run(shop)
    assert (result.status, result.findings) == ("pass", [])
    assert result.metrics["openapi"] == DOCUMENT and "drift: none" in result.summary


def test_without_recorded_registries_only_the_code_rules_run(tmp_path: Path) -> None:
    root = copy_fixture("bad", tmp_path)
    shutil.rmtree(root / "ai-state")
    result = run(root)
    assert sorted(f.rule_id for f in result.findings) == ["DC001", "DC005", "DC006"]
    assert "no OpenAPI document recorded" in result.summary


def test_flask_endpoints_need_a_summary_but_no_response_model(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/api/v1/items')\ndef items():\n"
        "    return []\n", encoding="utf-8")
    result = run(tmp_path)
    assert [(f.rule_id, f.path, f.line) for f in result.findings] == [("DC005", "app.py", 7)]
    assert result.status == "warn"


def test_a_project_without_endpoints_is_not_applicable(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text("X = 1\n", encoding="utf-8")
    result = run(tmp_path)
    assert (result.status, result.summary) == ("not-applicable", "no endpoints discovered")


def test_a_handler_that_returns_nothing_needs_no_response_model(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.post('/jobs/run')\ndef run_jobs():\n"
        "    '''Start the jobs.'''\n    print('started')\n\n\n@app.get('/jobs')\ndef jobs():\n"
        "    '''The jobs.'''\n    return []\n", encoding="utf-8")
    result = run(tmp_path)
    assert [(f.rule_id, f.endpoint) for f in result.findings] == [("DC006", "GET /jobs")]
