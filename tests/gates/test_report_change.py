"""Reports of a run judged on a change lead with the change: how it was judged and against which base, the
new findings first (blocking ones marked), existing debt counted by rule, what the change fixed; SARIF
carries each result's state against the base and its fingerprint. Reports are built directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from jsonschema import Draft4Validator

from backend_orchestrator.contracts.report import Baseline, Finding, FindingCounts, GateResult, ValidationReport
from backend_orchestrator.gates.measured import render as measured
from backend_orchestrator.gates.render import to_json, to_markdown, to_sarif, to_text
from backend_orchestrator.workflow.digest import digest

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-2.1.0-rtm.5.json").read_text("utf-8"))
NOW = datetime(2026, 11, 28, tzinfo=UTC)
BASE = "e611ce5a9e16a8d954b58797ed3c44004e035c58"


def finding(gate: str, rule: str, severity: str, title: str, path: str, line: int, state: str,
            blocking: bool = False) -> Finding:
    return Finding.model_validate({
        "rule_id": rule, "gate": gate, "severity": severity, "title": title, "message": f"fix {title.lower()}",
        "path": path, "line": line, "fingerprint": f"fp-{rule}-{path}-{line}", "baseline_state": state,
        "blocking": blocking})


NEW_AUTH = finding("security", "SC201", "high", "No authentication on DELETE /api/v1/products/{product_id}",
                   "shop/routers/products.py", 51, "new", blocking=True)
NEW_TIMEOUT = finding("security", "SC106", "low", "Request without a timeout", "shop/services/mail.py", 12, "new")
OLD_SECRET = finding("security", "SC301", "low", "Placeholder secret default in DEV_SECRET_KEY", "shop/config.py", 8,
                     "existing")
OLD_PAGES = [finding("api-design", "AD010", "medium", f"No pagination on GET /api/v1/{name}",
                     f"shop/routers/{name}.py", 27, "existing") for name in ("orders", "users", "carts")]
OLD_LIMIT = finding("api-design", "AD012", "low", "No rate limiting configured", "shop/main.py", 7, "existing")
FIXED_PAGES = finding("api-design", "AD010", "medium", "No pagination on GET /api/v1/products",
                      "shop/routers/products.py", 22, "fixed")


def change_report() -> ValidationReport:
    security = GateResult(gate="security", title="Security", status="fail", summary="3 findings", judged="change",
                          findings=[NEW_AUTH, NEW_TIMEOUT, OLD_SECRET],
                          counts=FindingCounts(new=2, existing=1, fixed=0, blocking=1),
                          existing_by_rule={"SC301": 1})
    api = GateResult(gate="api-design", title="API design", status="warn", summary="4 findings", judged="change",
                     findings=[*OLD_PAGES, OLD_LIMIT], fixed=[FIXED_PAGES],
                     counts=FindingCounts(new=0, existing=4, fixed=1, blocking=0),
                     existing_by_rule={"AD010": 3, "AD012": 1})
    database = GateResult(gate="database", title="Database", status="not-applicable",
                          summary="the change touches no migration, model or Alembic file")
    return ValidationReport(
        run_id="run-000002", task_id="task-001-api", commit=BASE, dirty=True, started_at=NOW, finished_at=NOW,
        verdict="fail", gates=[security, api, database], evidence_dir="evidence", scope="change",
        baseline=Baseline(ref=BASE, commit=BASE, cached=True, scan_mode="dynamic", seconds=0.25),
        notes=["the base's test suite gave no usable result"], required_gates=["security", "api-design", "tests"],
        missing_gates=["tests"])


def test_text_of_a_change_leads_with_the_change_and_lists_only_new_findings() -> None:
    text = to_text(change_report())
    lines = text.splitlines()
    assert lines[0] == "verdict: FAIL  (run run-000002, task task-001-api)"
    assert lines[1] == ("judged on the change since e611ce5a9e16 (the task's base commit): 2 new (1 blocking), "
                        "5 existing, 1 fixed")
    assert "note: the base's test suite gave no usable result" in lines
    assert "note: required gates not covered: tests" in lines
    # new findings come first under their gate, the blocking one marked
    security = lines.index("  [FAIL ] security: 3 findings")
    assert lines[security + 1].endswith("(shop/routers/products.py:51)  [blocking]") and "SC201" in lines[security + 1]
    assert "SC106 Request without a timeout" in lines[security + 3] and "[blocking]" not in lines[security + 3]
    assert lines[security + 5] == "      existing debt: 1 (SC301 ×1) — not blocking"
    # existing findings are counted by rule, most frequent first, not listed
    assert "      existing debt: 4 (AD010 ×3, AD012 ×1) — not blocking" in lines
    assert "      fixed: AD010 at shop/routers/products.py:22" in lines
    for old in (OLD_SECRET, *OLD_PAGES, OLD_LIMIT):
        assert old.title not in text
    assert "  [N/A  ] database: the change touches no migration, model or Alembic file" in lines


def test_text_lists_the_existing_findings_when_asked() -> None:
    text = to_text(change_report(), show_existing=True)
    lines = text.splitlines()
    for old in (OLD_SECRET, *OLD_PAGES, OLD_LIMIT):
        assert f" {old.rule_id} {old.title}" in text
    # listed under the debt line, after the new findings
    debt = lines.index("      existing debt: 4 (AD010 ×3, AD012 ×1) — not blocking")
    assert "AD010 No pagination on GET /api/v1/orders" in lines[debt + 1]
    assert text.index("SC201") < text.index("SC301")


def test_text_of_a_digest_counts_what_it_does_not_list() -> None:
    text = to_text(digest(change_report()), show_existing=True)
    assert "SC201" in text and "existing debt: 4 (AD010 ×3, AD012 ×1)" in text
    assert "(4 not listed in this copy; the full report has them)" in text
    assert "      fixed: 1" in text  # the digest counts fixed findings without listing them
    assert OLD_LIMIT.title not in text


def test_the_debt_line_names_the_most_frequent_rules_and_elides_the_rest() -> None:
    many = {f"AD0{n:02d}": n for n in range(1, 9)}
    gate = GateResult(gate="api-design", title="API design", status="warn", judged="change",
                      counts=FindingCounts(existing=sum(many.values())), existing_by_rule=many)
    report = change_report().model_copy(update={"gates": [gate]})
    assert "existing debt: 36 (AD008 ×8, AD007 ×7, AD006 ×6, AD005 ×5, AD004 ×4, AD003 ×3, …)" in to_text(report)


def test_markdown_of_a_change_shows_counts_per_gate_then_new_then_fixed_then_collapsed_debt() -> None:
    md = to_markdown(change_report())
    assert ("Judged on the change since e611ce5a9e16 (the task's base commit): 2 new (1 blocking), 5 existing, "
            "1 fixed.") in md
    assert "> **Note:** required gates not covered: tests" in md
    assert "| gate | status | summary | new | blocking | existing | fixed |" in md
    assert "| security | FAIL | 3 findings | 2 | 1 | 1 | 0 |" in md
    assert "| api-design | WARN | 4 findings | 0 | 0 | 4 | 1 |" in md
    assert "| database | N/A | the change touches no migration, model or Alembic file | — | — | — | — |" in md
    new, fixed, debt = md.index("## New findings"), md.index("## Fixed"), md.index("## Existing debt")
    assert new < fixed < debt
    new_section = md[new:fixed]
    assert "| **yes** | security | high | SC201 | shop/routers/products.py:51 |" in new_section
    assert "|  | security | low | SC106 |" in new_section
    assert "SC301" not in new_section and "AD010" not in new_section
    fixed_row = "| api-design | AD010 | shop/routers/products.py:22 | No pagination on GET /api/v1/products |"
    assert fixed_row in md[fixed:debt]
    debt_section = md[debt:]
    assert "security 1 (SC301 ×1); api-design 4 (AD010 ×3, AD012 ×1)" in debt_section
    details = debt_section[debt_section.index("<details>"):debt_section.index("</details>")]
    assert "<summary>5 existing findings</summary>" in details
    for old in (OLD_SECRET, *OLD_PAGES, OLD_LIMIT):
        assert f"| {old.gate} | {old.severity} | {old.rule_id} | {old.path}:{old.line} | {old.title} |" in details


def test_sarif_of_a_change_marks_new_unchanged_and_absent_results_and_validates() -> None:
    report = change_report()
    log = json.loads(to_sarif(report))
    assert sorted(Draft4Validator(SCHEMA).iter_errors(log), key=str) == []
    security, api, database = log["runs"]
    states = [(r["ruleId"], r["baselineState"], r["level"], r["properties"]["blocking"]) for r in security["results"]]
    assert states == [("SC201", "new", "error", True), ("SC106", "new", "note", False),
                      ("SC301", "unchanged", "note", False)]
    # existing debt keeps its level; fixed findings are results that are absent now
    assert [(r["ruleId"], r["baselineState"], r["level"], r["properties"]["blocking"]) for r in api["results"]] == [
        *[("AD010", "unchanged", "warning", False)] * 3, ("AD012", "unchanged", "note", False),
        ("AD010", "absent", "warning", False)]
    absent = api["results"][-1]
    assert absent["locations"][0]["physicalLocation"]["region"]["startLine"] == 22
    for run, gate in ((security, report.gates[0]), (api, report.gates[1])):
        assert [r["partialFingerprints"] for r in run["results"]] == [
            {"backendOrchestrator/v1": f.fingerprint} for f in [*gate.findings, *gate.fixed]]
        assert run["properties"]["judged"] == "change"
        assert run["properties"]["baseline"] == {"ref": BASE, "commit": BASE}
        rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
        assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert database["results"] == [] and database["invocations"][0]["properties"]["status"] == "not-applicable"


def test_sarif_leaves_out_the_baseline_state_of_a_gate_judged_on_the_whole_project() -> None:
    report = change_report()
    unjudged = [f.model_copy(update={"baseline_state": None}) for f in report.gates[0].findings]
    whole = report.gates[0].model_copy(update={
        "judged": "project", "findings": unjudged,
        "notes": ["existing findings could not be told apart (no base); judged on every finding"]})
    report = report.model_copy(update={"gates": [whole, report.gates[1]]})
    log = json.loads(to_sarif(report))
    assert sorted(Draft4Validator(SCHEMA).iter_errors(log), key=str) == []
    assert all("baselineState" not in r and r["partialFingerprints"] for r in log["runs"][0]["results"])
    assert "baseline" not in log["runs"][0]["properties"]
    assert all("baselineState" in r for r in log["runs"][1]["results"])
    # in text and Markdown, a gate judged whole lists all its findings, and says why
    text = to_text(report)
    assert OLD_SECRET.title in text and "note: existing findings could not be told apart" in text
    md = to_markdown(report)
    assert "Every finding of security is listed here" in md and "| security | low | SC301 |" in md


def test_json_stays_the_model_dump() -> None:
    report = change_report()
    assert ValidationReport.model_validate_json(to_json(report)) == report


def test_the_measured_summary_shows_the_baseline_and_the_split_per_gate() -> None:
    out = measured(change_report())
    lines = out.splitlines()
    assert "  baseline       e611ce5a9e16 (the task's base commit); base findings from the cache (0.2 s), " \
           "dynamic scan" in lines
    assert "  new / existing / fixed: security 2 (1 blocking) / 1 / 0, api-design 0 / 4 / 1" in lines
    assert any(line.startswith("  database       N/A ") for line in lines)
    docs = GateResult(gate="docs", title="Docs", status="pass", summary="no findings", judged="change")
    with_docs = change_report().model_copy(update={"gates": [*change_report().gates, docs]})
    assert "api-design 0 / 4 / 1, none in docs" in measured(with_docs)
    project = change_report().model_copy(update={"scope": "project", "baseline": None})
    assert "baseline" not in measured(project) and "new / existing / fixed" not in measured(project)


def test_pages_of_findings_by_state_and_their_errors() -> None:
    import pytest

    from backend_orchestrator.errors import InvalidArgument, OrchestratorError
    from backend_orchestrator.workflow.digest import findings_page, more_line

    report = change_report()
    existing = findings_page(report, "existing", 1)
    assert existing["total"] == sum(g.counts.existing for g in report.gates) and existing["pages"] == 1
    assert {f["baseline_state"] for f in existing["findings"]} == {"existing"}
    assert findings_page(report, "all", 1)["total"] == sum(len(g.findings) + len(g.fixed) for g in report.gates)
    assert "backend://reports/task-001-api/findings/{state}/{page}" in more_line(digest(report),
                                                                                "backend://reports/task-001-api")
    with pytest.raises(InvalidArgument, match=r"page 2 is out of range: existing findings fill pages 1\.\.1"):
        findings_page(report, "existing", 2)
    with pytest.raises(OrchestratorError, match="'old'"):
        findings_page(report, "old", 1)
