"""Reports over several gates: SARIF 2.1.0 validity with real findings from every static gate, a report
judged on the whole project listing every finding, and the verdict rules (an error is never a pass; a
required gate not covered is incomplete). Reports judged on a change: test_report_change.py."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from jsonschema import Draft4Validator

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.report import GateResult, ValidationReport
from backend_orchestrator.gates import GateContext, get_gate, run_gate
from backend_orchestrator.gates.render import to_markdown, to_sarif, to_text
from backend_orchestrator.workflow.validate import _verdict

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-2.1.0-rtm.5.json").read_text("utf-8"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)


def bad_results(tmp_path: Path) -> list[GateResult]:
    results = []
    for gate_id, folder in (("security", "security"), ("architecture", "architecture"), ("api-design", "api-design")):
        root = Path(shutil.copytree(FIXTURES / folder / "bad", tmp_path / gate_id))
        config = ProjectConfig.model_validate({"source": ["app"]}) if (root / "app").is_dir() else ProjectConfig()
        ctx = GateContext(root=root, config=config, evidence_dir=root / "evidence")
        results.append(run_gate(get_gate(gate_id), ctx))
    return results


def test_sarif_of_every_static_gates_findings_validates_against_the_sarif_schema(tmp_path: Path) -> None:
    results = bad_results(tmp_path)
    assert all(r.findings for r in results)
    report = ValidationReport(run_id="run-000001", task_id=None, started_at=NOW, finished_at=NOW, verdict="fail",
                              gates=results, evidence_dir="evidence")
    log = json.loads(to_sarif(report))
    assert sorted(Draft4Validator(SCHEMA).iter_errors(log), key=str) == []
    assert [run["tool"]["driver"]["name"] for run in log["runs"]] == [
        "backend-orchestrator/security", "backend-orchestrator/architecture", "backend-orchestrator/api-design"]
    security = log["runs"][0]
    cwe_tags = {tag for rule in security["tool"]["driver"]["rules"] for tag in rule["properties"].get("tags", [])}
    assert "external/cwe/cwe-89" in cwe_tags
    assert sum(len(run["results"]) for run in log["runs"]) == sum(len(r.findings) for r in results)
    assert "SC201" in to_text(report) and "| high | SC201 |" in to_markdown(report)
    # judged on the whole project: no baseline, so no result claims a state against one
    assert all("baselineState" not in item for run in log["runs"] for item in run["results"])
    assert all(item["partialFingerprints"]["backendOrchestrator/v1"] for run in log["runs"] for item in run["results"])


def test_a_report_judged_on_the_whole_project_lists_every_finding_in_text_and_markdown(tmp_path: Path) -> None:
    results = bad_results(tmp_path)
    report = ValidationReport(run_id="run-000001", task_id=None, started_at=NOW, finished_at=NOW, verdict="fail",
                              gates=results, evidence_dir="evidence")
    text, markdown = to_text(report), to_markdown(report)
    total = sum(len(r.findings) for r in results)
    assert text.splitlines()[:2] == ["verdict: FAIL  (run run-000001, whole project)",
                                     f"judged on the whole project: {total} findings "
                                     f"({sum(r.counts.blocking for r in results)} blocking)"]
    for finding in (f for r in results for f in r.findings):
        assert f" {finding.rule_id} {finding.title}" in text
        assert f"| {finding.severity} | {finding.rule_id} |" in markdown
    assert "existing debt" not in text and "fixed:" not in text
    assert "## Findings" in markdown and "## New findings" not in markdown and "<details>" not in markdown
    assert "| gate | status | summary | findings |" in markdown
    blocking = next(f for r in results for f in r.findings if f.blocking)
    assert f"{blocking.rule_id} {blocking.title}" in next(line for line in text.splitlines() if "[blocking]" in line)


def test_an_error_or_a_failure_is_never_a_passing_verdict() -> None:
    def gate(status: str) -> GateResult:
        return GateResult(gate="g", title="G", status=status)  # type: ignore[arg-type]

    assert _verdict([gate("pass"), gate("warn"), gate("skipped"), gate("not-applicable")], False, []) == "pass"
    assert _verdict([gate("pass"), gate("fail")], False, []) == "fail"
    assert _verdict([gate("pass"), gate("error"), gate("fail")], False, []) == "error"
    assert _verdict([gate("pass")], True, []) == "cancelled"
    assert _verdict([gate("pass"), gate("skipped")], False, ["g"]) == "incomplete"
    assert _verdict([gate("fail")], False, ["g"]) == "fail"
