"""A short copy of a validation report for the MCP result, and pages of the full report's findings.

A project with a hundred findings of old debt must not flood the agent's context with them each time
it validates a five-line change: the digest keeps every gate's status, summary, metrics and counts,
the findings that decide (``new`` ones, or all of them when the project is judged whole) up to
:data:`PER_GATE` per gate, and counts the rest (``omitted``, ``existing_by_rule``). The full report
stays on disk (``report_path``), and :func:`findings_page` pages through it by state.
"""

from __future__ import annotations

from ..contracts.report import Finding, ValidationReport
from ..errors import InvalidArgument, invalid_choice

PER_GATE = 25
PAGE = 50
STATES = ("new", "existing", "fixed", "all")


def digest(report: ValidationReport) -> ValidationReport:
    """``report`` with each gate's findings cut to the ones that decide (the rest counted in ``omitted``)."""
    gates = []
    for gate in report.gates:
        deciding = [f for f in gate.findings if gate.judged == "project" or f.baseline_state == "new"]
        deciding.sort(key=lambda f: (not f.blocking, *f.sort_key()))
        kept = deciding[:PER_GATE]
        gates.append(gate.model_copy(update={"findings": kept, "fixed": [],
                                             "omitted": len(gate.findings) - len(kept) + len(gate.fixed)}))
    return report.model_copy(update={"gates": gates, "digest": True})


def more_line(report: ValidationReport, resource: str) -> str:
    """How to read what the digest left out, or '' when it left nothing out."""
    existing = sum(g.counts.existing for g in report.gates)
    fixed = sum(g.counts.fixed for g in report.gates)
    omitted = sum(g.omitted for g in report.gates)
    if not omitted:
        return ""
    parts = []
    if existing:
        parts.append(f"{existing} existing (debt the base had too; not blocking)")
    if fixed:
        parts.append(f"{fixed} fixed")
    rest = omitted - existing - fixed
    if rest > 0:
        parts.append(f"{rest} more")
    return (f"findings not listed here: {', '.join(parts)}; read them {PAGE} at a time from "
            f"{resource}/findings/{{state}}/{{page}} (state: new, existing, fixed or all; page from 1)")


def findings_page(report: ValidationReport, state: str, page: int) -> dict[str, object]:
    """One page of the full report's findings in ``state``, with the gate each comes from."""
    if state not in STATES:
        raise invalid_choice("state", state, STATES)
    chosen: list[Finding] = []
    for gate in report.gates:
        if state in ("fixed", "all"):
            chosen += gate.fixed if state == "fixed" else [*gate.findings, *gate.fixed]
        else:
            chosen += [f for f in gate.findings if (f.baseline_state or "new") == state]  # None: judged whole
    pages = max(1, -(-len(chosen) // PAGE))
    if not 1 <= page <= pages:
        raise InvalidArgument(f"page {page!r} is out of range: {state} findings fill pages 1..{pages}")
    items = chosen[(page - 1) * PAGE: page * PAGE]
    return {"run_id": report.run_id, "state": state, "page": page, "pages": pages, "total": len(chosen),
            "findings": [f.model_dump(mode="json") for f in items]}
