"""Rendering a ValidationReport: text, Markdown, JSON. Separate from evaluation; deterministic."""

from __future__ import annotations

import json

from ..contracts.report import ValidationReport

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
           f"**Verdict: {report.verdict.upper()}** · run `{report.run_id}` · commit `{report.commit or 'n/a'}` · "
           f"{report.started_at:%Y-%m-%d %H:%M:%S}Z → {report.finished_at:%H:%M:%S}Z", "",
           "| gate | status | summary | findings |", "|---|---|---|---|"]
    for gate in report.gates:
        out.append(f"| {gate.gate} | {_ICON[gate.status]} | {gate.summary.replace('|', '/')} | {len(gate.findings)} |")
    findings = [f for g in report.gates for f in g.findings]
    if findings:
        out += ["", "## Findings", "", "| severity | rule | where | finding | fix |", "|---|---|---|---|---|"]
        for f in findings:
            out.append(f"| {f.severity} | {f.rule_id} | {_where(f.path, f.line) or '—'} | "
                       f"{f.title.replace('|', '/')} | {f.message.replace('|', '/')} |")
    if report.thresholds:
        out += ["", "## Thresholds", ""] + [f"- `{k}`: {v:g}" for k, v in sorted(report.thresholds.items())]
    out += ["", f"Evidence: `{report.evidence_dir}`", ""]
    return "\n".join(out)


RENDERERS = {"json": to_json, "markdown": to_markdown, "text": to_text}
