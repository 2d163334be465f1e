"""Rendering a ValidationReport: text, Markdown, JSON. Separate from evaluation; deterministic."""

from __future__ import annotations

import json

from .. import __version__
from ..contracts.report import ValidationReport
from .measured import MEASURING, key_numbers

_ICON = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skipped": "SKIP", "error": "ERROR"}


def to_json(report: ValidationReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _where(path: str | None, line: int | None) -> str:
    if not path:
        return ""
    return f"{path}:{line}" if line else path


def to_text(report: ValidationReport) -> str:
    lines = [f"verdict: {report.verdict.upper()}  (run {report.run_id}"
             + (f", task {report.task_id}" if report.task_id else ", whole project") + ")"]
    for gate in report.gates:
        lines.append(f"  [{_ICON[gate.status]:5}] {gate.gate}: {gate.summary}")
        for f in gate.findings:
            where = _where(f.path, f.line)
            lines.append(f"      {f.severity:8} {f.rule_id} {f.title}" + (f"  ({where})" if where else ""))
            lines.append(f"               {f.message}")
    lines.append(f"evidence: {report.evidence_dir}")
    return "\n".join(lines) + "\n"


def to_markdown(report: ValidationReport) -> str:
    subject = f"task `{report.task_id}`" if report.task_id else "the whole project"
    out = [f"# Validation report — {subject}", "",
           f"**Verdict: {report.verdict.upper()}** · run `{report.run_id}` · commit `{report.commit or 'n/a'}`"
           + (" (with local changes)" if report.dirty else "")
           + f" · {report.started_at:%Y-%m-%d %H:%M:%S}Z → {report.finished_at:%H:%M:%S}Z", "",
           "| gate | status | summary | findings |", "|---|---|---|---|"]
    for gate in report.gates:
        out.append(f"| {gate.gate} | {_ICON[gate.status]} | {gate.summary.replace('|', '/')} | {len(gate.findings)} |")
    findings = [f for g in report.gates for f in g.findings]
    if findings:
        out += ["", "## Findings", "", "| severity | rule | where | finding | fix |", "|---|---|---|---|---|"]
        for f in findings:
            out.append(f"| {f.severity} | {f.rule_id} | {_where(f.path, f.line) or '—'} | "
                       f"{f.title.replace('|', '/')} | {f.message.replace('|', '/')} |")
    if any(g.gate in MEASURING for g in report.gates):
        out += ["", "## Key numbers", "", "| measure | value |", "|---|---|"]
        out += [f"| {label} | {value.replace('|', '/')} |" for label, value in key_numbers(report)]
    if report.thresholds:
        out += ["", "## Thresholds", ""] + [f"- `{k}`: {v:g}" for k, v in sorted(report.thresholds.items())]
    if report.environment or report.load:
        out += ["", "## Where it was measured", ""]
        if report.environment:
            env = report.environment
            out.append(f"- {env.cpu_count or '?'} CPUs, {env.machine}, {env.platform}; Python {env.python} "
                       f"({env.implementation}), target Python {env.target_python or 'unknown'}; "
                       f"backend-orchestrator {env.orchestrator}")
        if report.load:
            load = report.load
            out.append(f"- load: {load.users} users for {load.seconds} s"
                       + (f", {load.requests} configured requests" if load.requests else ", every safe GET")
                       + (f", database seeded by {load.seed}" if load.seed else ""))
    out += ["", f"Evidence: `{report.evidence_dir}`", ""]
    return "\n".join(out)


_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_sarif(report: ValidationReport) -> str:
    """SARIF 2.1.0: one run per gate (its own tool driver with its rules and help text)."""
    from . import gate_ids, get_gate

    runs = []
    for result in report.gates:
        gate = get_gate(result.gate) if result.gate in gate_ids() else None
        declared = {r.id: r for r in gate.rules} if gate else {}
        used = sorted({f.rule_id for f in result.findings} | set(declared))
        rules = []
        for rule_id in used:
            rule = declared.get(rule_id)
            sample = next((f for f in result.findings if f.rule_id == rule_id), None)
            title = rule.title if rule else (sample.title if sample else rule_id)
            severity = rule.severity if rule else (sample.severity if sample else "medium")
            props: dict[str, object] = {"category": rule.category if rule else (sample and sample.category)}
            if rule and rule.clause:
                props["clause"] = rule.clause
            if rule and rule.cwe:
                props["tags"] = [f"external/cwe/cwe-{rule.cwe}"]
            rules.append({
                "id": rule_id, "name": title, "shortDescription": {"text": title},
                "help": {"text": rule.help if rule else (sample.message if sample else title)},
                "defaultConfiguration": {"level": _LEVEL[severity]},
                "properties": {k: v for k, v in props.items() if v is not None},
            })
        index = {r["id"]: i for i, r in enumerate(rules)}
        results = []
        for f in result.findings:
            item: dict[str, object] = {"ruleId": f.rule_id, "ruleIndex": index[f.rule_id], "level": _LEVEL[f.severity],
                                       "message": {"text": f"{f.title}: {f.message}"},
                                       "properties": {"severity": f.severity, "gate": f.gate}}
            if f.path:
                region = {"region": {"startLine": f.line}} if f.line else {}
                item["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": f.path,
                                                                                "uriBaseId": "PROJECTROOT"},
                                                           **region}}]
            results.append(item)
        runs.append({
            "tool": {"driver": {"name": f"backend-orchestrator/{result.gate}", "version": __version__,
                                "informationUri": "https://github.com/backend-orchestrator/backend-orchestrator",
                                "rules": rules}},
            "invocations": [{"executionSuccessful": result.status != "error",
                             "properties": {"status": result.status, "summary": result.summary}}],
            "results": results,
            "properties": {"metrics": result.metrics},
        })
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {"json": to_json, "markdown": to_markdown, "sarif": to_sarif, "text": to_text}
