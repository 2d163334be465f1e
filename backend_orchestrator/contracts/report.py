"""Validation reports: per-gate results and findings."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from .common import SEVERITIES, Contract, RunId, Severity, TaskId, Timestamp, Versioned

GateStatus = Literal["pass", "fail", "warn", "skipped", "error"]
Verdict = Literal["pass", "fail", "error", "cancelled"]


class Finding(Contract):
    """One problem a gate found. Frozen and ordered: severity, gate, path, line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule_id: str
    gate: str
    severity: Severity
    title: str
    message: str = Field(description="what is wrong and how to fix it")
    category: str | None = None
    cwe: int | None = Field(None, description="CWE id, for security findings where one applies")
    clause: str | None = Field(None, description="the standards clause it enforces")
    path: str | None = Field(None, description="relative to the project root")
    line: int | None = None
    evidence: str | None = None

    def sort_key(self) -> tuple[int, str, str, int, str]:
        return (SEVERITIES.index(self.severity), self.gate, self.path or "", self.line or 0, self.rule_id)


class GateResult(Contract):
    gate: str
    title: str
    status: GateStatus
    summary: str = ""
    duration_s: float = 0.0
    metrics: dict[str, float | int | str | bool | None] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list, description="paths relative to the project root")


class ValidationReport(Versioned):
    run_id: RunId
    task_id: TaskId | None
    commit: str | None = None
    started_at: Timestamp
    finished_at: Timestamp
    verdict: Verdict
    gates: list[GateResult]
    thresholds: dict[str, float] = Field(default_factory=dict)
    evidence_dir: str


class RunProgress(Contract):
    done: int
    total: int
    current: str | None = None


class RunStatus(Contract):
    """What validate_results returns: the finished report, or where a running one stands."""

    run_id: RunId
    task_id: TaskId | None
    status: Literal["running", "pass", "fail", "error", "cancelled"]
    attached: bool = Field(False, description="this call joined a run that was already going")
    progress: RunProgress
    report: ValidationReport | None = None
    report_path: str | None = None
    message: str = ""
