"""The verdict policy: one place that turns a gate's findings into its status, for every gate.

A gate reports what it found; it does not decide whether that fails. The policy does, the same way
for every gate:

- the findings that **decide** are all of them when the project is judged whole (``project``
  scope), and only the ``new`` ones when a change is judged against its base (``change`` scope:
  existing debt is reported, never blocking; fixed findings are credited);
- a deciding finding **blocks** when its severity is at or above the gate's ``blocks_at``
  (``medium`` for most gates; ``high`` for security, contract, performance and contract-tests,
  whose medium findings are advisory) and its rule's measured ``confidence`` is not ``low`` (a rule
  that is often wrong on real code is reported, never blocking);
- the gate **fails** when more findings block than it allows (``Gate.allowance``: 0, or
  ``thresholds.max_high_findings`` for security), **warns** when any finding remains (new or
  existing), and **passes** otherwise.

``skipped``, ``not-applicable`` and ``error`` results are kept as the gate returned them: the
policy judges findings, not a gate that could not run.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..contracts.common import SEVERITIES
from ..contracts.report import Finding, FindingCounts, GateResult, GateStatus, Scope

if TYPE_CHECKING:
    from ..contracts.config import ProjectConfig
    from .base import Gate

JUDGED = ("pass", "warn", "fail")


def blocks(gate: Gate, finding: Finding) -> bool:
    return SEVERITIES.index(finding.severity) <= SEVERITIES.index(gate.blocks_at) and finding.confidence != "low"


def decide(gate: Gate, findings: list[Finding], config: ProjectConfig, scope: Scope) -> tuple[GateStatus, set[int]]:
    """The status the findings give, and the indexes of the findings that block."""
    deciding = [i for i, f in enumerate(findings) if scope == "project" or f.baseline_state == "new"]
    blocking = {i for i in deciding if blocks(gate, findings[i])}
    if len(blocking) > gate.allowance(config):
        return "fail", blocking
    return ("warn" if findings else "pass"), set()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def apply(gate: Gate, result: GateResult, config: ProjectConfig, scope: Scope = "project") -> GateResult:
    """``result`` with its status decided, blocking findings marked and the counts filled in."""
    if result.status not in JUDGED:
        return result
    if scope == "project":
        findings = [f.model_copy(update={"baseline_state": None}) if f.baseline_state else f for f in result.findings]
    else:
        findings = list(result.findings)
    status, blocking = decide(gate, findings, config, scope)
    findings = [f.model_copy(update={"blocking": i in blocking}) for i, f in enumerate(findings)]
    existing = [f for f in findings if f.baseline_state == "existing"]
    counts = FindingCounts(new=len(findings) - len(existing), existing=len(existing),
                           fixed=len(result.fixed) if scope == "change" else 0, blocking=len(blocking))
    update: dict[str, object] = {
        "status": status, "findings": findings, "judged": scope, "counts": counts,
        "existing_by_rule": dict(sorted(Counter(f.rule_id for f in existing).items())),
    }
    if scope == "project":
        update["fixed"] = []
    if status == "fail" and gate.allowance(config):
        update["notes"] = [*result.notes, f"{len(blocking)} blocking findings > {gate.allowance(config)} allowed"]
    return result.model_copy(update=update)


def scope_line(result: GateResult) -> str:
    """How the gate was judged, in a few words, for summaries and reports."""
    c = result.counts
    if result.judged == "project":
        return f"judged on the whole project: {_count(len(result.findings), 'finding')}"
    return (f"judged on the change: {c.new} new ({c.blocking} blocking), {c.existing} existing, "
            f"{c.fixed} fixed")
