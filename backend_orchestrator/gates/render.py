"""Rendering a ValidationReport: text, Markdown, JSON, SARIF. Separate from evaluation; deterministic.

A report judged on a change (``scope: change``) leads with the change: how it was judged and against
which base, then per gate the ``new`` findings (the ones that decide; blocking ones marked), one line
of existing debt counted by rule, and what the change fixed. Existing findings are listed only on
request (text: ``show_existing``; Markdown: a collapsed block; SARIF: ``baselineState: unchanged``).
A gate judged on the whole project lists every finding, as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from .. import __version__
from ..contracts.report import Finding, GateResult, ValidationReport
from .measured import ICON, MEASURING, key_numbers
from .policy import JUDGED

DEBT_RULES = 6  # rules named on an existing-debt line before "…"
FIXED_LISTED = 8  # fixed findings named on the text's fixed line before "and N more"


def to_json(report: ValidationReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _where(path: str | None, line: int | None) -> str:
    if not path:
        return ""
    return f"{path}:{line}" if line else path


def _place(f: Finding) -> str:
    """Where a finding is, or what it is about when it is not a place in the code."""
    return _where(f.path, f.line) or f.endpoint or f.subject or ""


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# -- what a gate's findings are, against the base ---------------------------------------------------
def deciding(gate: GateResult) -> list[Finding]:
    """The findings that decide the gate: all of them when it was judged on the whole project, else the new ones."""
    return [f for f in gate.findings if gate.judged == "project" or f.baseline_state != "existing"]


def existing(gate: GateResult) -> list[Finding]:
    """Existing findings listed in this copy (a digest lists none: see ``gate.counts.existing``)."""
    return [f for f in gate.findings if gate.judged == "change" and f.baseline_state == "existing"]


def debt_line(gate: GateResult, limit: int | None = DEBT_RULES) -> str:
    """``12 (AD010 ×3, AD012 ×1, …)``: existing findings by rule, most frequent first; '' when there are none."""
    total = gate.counts.existing
    if not total:
        return ""
    by_rule = gate.existing_by_rule or dict(sorted(_tally(f.rule_id for f in existing(gate)).items()))
    ranked = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ranked if limit is None else ranked[:limit]
    rules = ", ".join(f"{rule} ×{n}" for rule, n in shown) + (", …" if len(shown) < len(ranked) else "")
    return f"{total} ({rules})" if rules else str(total)


def _tally(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _fixed_item(f: Finding) -> str:
    place = _place(f)
    return f"{f.rule_id} at {place}" if place else f.rule_id


def _baseline_origin(report: ValidationReport) -> str:
    if report.baseline is None:
        return ""
    if report.task_id:
        return "the task's base commit"
    return f"baseline {report.baseline.ref}"


def judged_line(report: ValidationReport) -> str:
    """How the verdict was reached, in one line: against which base, and the findings by state."""
    new = sum(g.counts.new for g in report.gates)
    blocking = sum(g.counts.blocking for g in report.gates)
    if report.scope == "project":
        return f"judged on the whole project: {_plural(new, 'finding')} ({blocking} blocking)"
    base = report.baseline
    since = f"{base.commit[:12]} ({_baseline_origin(report)})" if base else "an unknown base"
    existing_ = sum(g.counts.existing for g in report.gates)
    fixed = sum(g.counts.fixed for g in report.gates)
    return (f"judged on the change since {since}: {new} new ({blocking} blocking), {existing_} existing, "
            f"{fixed} fixed")


def _lead_notes(report: ValidationReport) -> list[str]:
    """The report's notes, and the required gates it did not cover (unless a note already says which)."""
    notes = list(report.notes)
    if report.missing_gates and not any(n.startswith("required gates not covered") for n in notes):
        notes.append("required gates not covered: " + ", ".join(report.missing_gates))
    return notes


# -- text ------------------------------------------------------------------------------------------
def _text_finding(f: Finding, indent: str = "      ") -> list[str]:
    where = _place(f)
    mark = "  [blocking]" if f.blocking else ""
    return [f"{indent}{f.severity:8} {f.rule_id} {f.title}" + (f"  ({where})" if where else "") + mark,
            f"{indent}         {f.message}"]


def to_text(report: ValidationReport, *, show_existing: bool = False) -> str:
    """The report for a terminal. A change-judged gate lists its new findings, then one line of existing debt
    and one of what was fixed; ``show_existing`` lists the existing findings too."""
    lines = [f"verdict: {report.verdict.upper()}  (run {report.run_id}"
             + (f", task {report.task_id}" if report.task_id else ", whole project") + ")",
             judged_line(report)]
    lines += [f"note: {note}" for note in _lead_notes(report)]
    for gate in report.gates:
        lines.append(f"  [{ICON.get(gate.status, gate.status.upper()):5}] {gate.gate}: {gate.summary}")
        for f in deciding(gate):
            lines += _text_finding(f)
        if gate.judged == "change":
            debt = debt_line(gate)
            if debt:
                lines.append(f"      existing debt: {debt} — not blocking")
            if show_existing and debt:
                listed = existing(gate)
                for f in listed:
                    lines += _text_finding(f, "        ")
                if len(listed) < gate.counts.existing:
                    lines.append(f"        ({gate.counts.existing - len(listed)} not listed in this copy; "
                                 "the full report has them)")
            if gate.counts.fixed:
                shown = [_fixed_item(f) for f in gate.fixed[:FIXED_LISTED]]
                rest = gate.counts.fixed - len(shown)
                text = ", ".join(shown) + (f" and {rest} more" if shown and rest > 0 else "")
                lines.append(f"      fixed: {text or gate.counts.fixed}")
        elif gate.omitted:
            lines.append(f"      ({gate.omitted} more not listed in this copy; the full report has them)")
        lines += [f"      note: {note}" for note in gate.notes]
    lines.append(f"evidence: {report.evidence_dir}")
    return "\n".join(lines) + "\n"


# -- Markdown --------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _md_findings(findings: list[Finding], *, gate: bool = False, blocks: bool = False) -> list[str]:
    """A table of findings; ``gate`` adds the gate column, ``blocks`` a column marking the blocking ones."""
    columns = [*(["blocks"] if blocks else []), *(["gate"] if gate else []),
               "severity", "rule", "where", "finding", "fix"]
    out = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for f in findings:
        cells = [*(["**yes**" if f.blocking else ""] if blocks else []), *([f.gate] if gate else []),
                 f.severity, f.rule_id, _cell(_place(f)) or "—", _cell(f.title), _cell(f.message)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def to_markdown(report: ValidationReport) -> str:
    subject = f"task `{report.task_id}`" if report.task_id else "the whole project"
    out = [f"# Validation report — {subject}", "",
           f"**Verdict: {report.verdict.upper()}** · run `{report.run_id}` · commit `{report.commit or 'n/a'}`"
           + (" (with local changes)" if report.dirty else "")
           + f" · {report.started_at:%Y-%m-%d %H:%M:%S}Z → {report.finished_at:%H:%M:%S}Z", "",
           judged_line(report)[0].upper() + judged_line(report)[1:] + "."]
    notes = _lead_notes(report)
    for note in notes:
        out += ["", f"> **Note:** {note}"]
    change = any(g.judged == "change" for g in report.gates)
    out.append("")
    if change:
        out += ["| gate | status | summary | new | blocking | existing | fixed |", "|---|---|---|---|---|---|---|"]
        for g in report.gates:
            c = g.counts
            if g.status not in JUDGED:  # skipped, not applicable, error: no finding was judged
                numbers = ["—"] * 4
            else:
                change_ = g.judged == "change"
                numbers = [str(c.new), str(c.blocking), str(c.existing) if change_ else "—",
                           str(c.fixed) if change_ else "—"]
            out.append(f"| {g.gate} | {ICON.get(g.status, g.status)} | {_cell(g.summary)} | "
                       + " | ".join(numbers) + " |")
    else:
        out += ["| gate | status | summary | findings |", "|---|---|---|---|"]
        for g in report.gates:
            out.append(f"| {g.gate} | {ICON.get(g.status, g.status)} | {_cell(g.summary)} | "
                       f"{len(g.findings) + g.omitted} |")
    new = [f for g in report.gates for f in deciding(g)]
    if change:
        out += ["", "## New findings", ""]
        whole = [g.gate for g in report.gates if g.judged == "project" and g.findings]
        if whole:
            out += [f"Every finding of {', '.join(whole)} is listed here: "
                    f"{'it was' if len(whole) == 1 else 'they were'} judged on the whole project (see the notes).", ""]
        out += _md_findings(new, gate=True, blocks=True) if new else ["None: the change brought no finding."]
        fixed = [f for g in report.gates for f in g.fixed]
        fixed_count = sum(g.counts.fixed for g in report.gates)
        if fixed_count:
            out += ["", "## Fixed", "", "| gate | rule | where | finding |", "|---|---|---|---|"]
            out += [f"| {f.gate} | {f.rule_id} | {_cell(_place(f)) or '—'} | {_cell(f.title)} |" for f in fixed]
            if len(fixed) < fixed_count:
                out += ["", f"{fixed_count - len(fixed)} more not listed in this copy; the full report has them."]
        debt = [f for g in report.gates for f in existing(g)]
        debt_count = sum(g.counts.existing for g in report.gates)
        if debt_count:
            by_gate = "; ".join(f"{g.gate} {debt_line(g, None)}" for g in report.gates if g.counts.existing)
            out += ["", "## Existing debt", "", f"{_plural(debt_count, 'finding')} the base had too (not blocking): "
                    f"{by_gate}.", "", "<details>", f"<summary>{_plural(debt_count, 'existing finding')}</summary>",
                    ""]
            out += _md_findings(debt, gate=True) if debt else []
            if len(debt) < debt_count:
                out += ["", f"{debt_count - len(debt)} not listed in this copy; the full report has them."]
            out += ["", "</details>"]
    elif new:
        out += ["", "## Findings", "", *_md_findings(new, blocks=any(f.blocking for f in new))]
    gate_notes = [(g.gate, note) for g in report.gates for note in g.notes]
    if gate_notes:
        out += ["", "## Notes", ""] + [f"- **{gate}**: {note}" for gate, note in gate_notes]
    if any(g.gate in MEASURING for g in report.gates):
        out += ["", "## Key numbers", "", "| measure | value |", "|---|---|"]
        out += [f"| {label} | {_cell(value)} |" for label, value in key_numbers(report)]
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


# -- SARIF -----------------------------------------------------------------------------------------
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "backendOrchestrator/v1"
_BASELINE_STATE = {"new": "new", "existing": "unchanged", "fixed": "absent"}


def _sarif_result(f: Finding, index: dict[str, int], judged: str, state: str | None) -> dict[str, object]:
    item: dict[str, object] = {"ruleId": f.rule_id, "ruleIndex": index[f.rule_id], "level": _LEVEL[f.severity],
                               "message": {"text": f"{f.title}: {f.message}"},
                               "properties": {"severity": f.severity, "gate": f.gate, "blocking": f.blocking}}
    if f.fingerprint:
        item["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    if judged == "change":  # judged on the whole project: there was no baseline to be in a state against
        item["baselineState"] = _BASELINE_STATE[state or "new"]
    if f.path:
        region = {"region": {"startLine": f.line}} if f.line else {}
        item["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": f.path, "uriBaseId": "PROJECTROOT"},
                                                   **region}}]
    return item


def to_sarif(report: ValidationReport) -> str:
    """SARIF 2.1.0: one run per gate (its own tool driver with its rules and help text). Each result carries
    ``partialFingerprints`` (the finding's stable identity) and, when the gate was judged on a change,
    ``baselineState``: ``new``, ``unchanged`` (existing debt) or ``absent`` (fixed by the change)."""
    from . import gate_ids, get_gate

    runs = []
    for result in report.gates:
        gate = get_gate(result.gate) if result.gate in gate_ids() else None
        declared = {r.id: r for r in gate.rules} if gate else {}
        everything = [*result.findings, *result.fixed]
        used = sorted({f.rule_id for f in everything} | set(declared))
        rules = []
        for rule_id in used:
            rule = declared.get(rule_id)
            sample = next((f for f in everything if f.rule_id == rule_id), None)
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
        index = {rule_id: i for i, rule_id in enumerate(used)}
        results = [_sarif_result(f, index, result.judged, f.baseline_state) for f in result.findings]
        results += [_sarif_result(f, index, result.judged, "fixed") for f in result.fixed]
        properties: dict[str, object] = {"metrics": result.metrics, "judged": result.judged,
                                         "counts": result.counts.model_dump(mode="json")}
        if result.judged == "change" and report.baseline is not None:
            properties["baseline"] = {"ref": report.baseline.ref, "commit": report.baseline.commit}
        if result.omitted:
            properties["omitted"] = result.omitted
        runs.append({
            "tool": {"driver": {"name": f"backend-orchestrator/{result.gate}", "version": __version__,
                                "informationUri": "https://github.com/backend-orchestrator/backend-orchestrator",
                                "rules": rules}},
            "invocations": [{"executionSuccessful": result.status != "error",
                             "properties": {"status": result.status, "summary": result.summary}}],
            "results": results,
            "properties": properties,
        })
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[ValidationReport], str]] = {
    "json": to_json, "markdown": to_markdown, "sarif": to_sarif, "text": to_text}
