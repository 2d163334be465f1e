"""Validation reports: per-gate results and findings."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from .common import SEVERITIES, Confidence, Contract, RunId, Severity, TaskId, Timestamp, Versioned

GateStatus = Literal["pass", "fail", "warn", "skipped", "not-applicable", "error"]
Verdict = Literal["pass", "fail", "error", "cancelled", "incomplete"]
BaselineState = Literal["new", "existing", "fixed"]
Scope = Literal["change", "project"]


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
    endpoint: str | None = Field(None, description="'METHOD /path' when the finding is about an endpoint as a whole")
    subject: str | None = Field(None, description="what the finding is about when that is not a place in the code "
                                                  "(a path prefix, the API as a whole, a table)")
    fingerprint: str = Field("", description="stable identity: rule, path, enclosing symbol or endpoint and a hash "
                                             "of the flagged code; survives line shifts and edits elsewhere")
    baseline_state: BaselineState | None = Field(
        None, description="new: the change brought it; existing: the base had it too (debt, not blocking); "
                          "fixed: the base had it and the change removed it; None: the run judged the whole project")
    blocking: bool = Field(False, description="this finding decided the gate's fail (the verdict policy)")
    confidence: Confidence = Field("high", description="how often the rule is right on real code (measured); a "
                                                       "low-confidence finding is reported but never blocks")

    def sort_key(self) -> tuple[int, str, str, int, str]:
        return (SEVERITIES.index(self.severity), self.gate, self.path or "", self.line or 0, self.rule_id)


class FindingCounts(Contract):
    """Findings of a gate by their state against the base (all ``new`` when the project is judged whole)."""

    new: int = 0
    existing: int = 0
    fixed: int = 0
    blocking: int = Field(0, description="findings that decided a fail")


class GateResult(Contract):
    """One gate's outcome. ``id`` repeats ``gate``: the name the report shape of issue 5 uses
    (``gates: [{id, status, metrics, findings}]``); ``gate`` stays for existing readers.

    ``status``: ``skipped`` means the gate could not run for something missing (it names what to
    configure; a required gate skipped keeps a task from ``done``); ``not-applicable`` means there is
    nothing for it to check in this project or change (the reason says why)."""

    id: str = Field("", description="the gate's id, the same as `gate`")
    gate: str
    title: str
    status: GateStatus
    summary: str = ""
    duration_s: float = 0.0
    metrics: dict[str, float | int | str | bool | None] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list, description="paths relative to the project root")
    judged: Scope = Field("project", description="change: only new findings decided; project: every finding did")
    counts: FindingCounts = Field(default_factory=FindingCounts)
    fixed: list[Finding] = Field(default_factory=list, description="findings of the base that the change removed")
    existing_by_rule: dict[str, int] = Field(default_factory=dict, description="existing findings per rule id")
    omitted: int = Field(0, description="findings left out of this copy of the report (a digest); the full "
                                        "report lists them")
    notes: list[str] = Field(default_factory=list, description="how the gate was judged, and anything that limits it")

    @model_validator(mode="after")
    def _same_id(self) -> GateResult:
        if not self.id:
            self.id = self.gate
        elif self.id != self.gate:
            raise ValueError(f"id {self.id!r} and gate {self.gate!r} must be the same gate id")
        return self


class Environment(Contract):
    """Where a run was measured, so numbers of two runs can be compared (no hostname, no paths)."""

    cpu_count: int | None = Field(None, description="CPUs this process may use")
    python: str = Field(description="version of the interpreter running the gates and the load driver")
    implementation: str = Field(description="e.g. CPython")
    target_python: str | None = Field(None, description="version of the target's interpreter (runs its tests and "
                                                        "app); None when it could not be asked")
    os: str = Field(description="sys.platform, e.g. linux")
    platform: str = Field(description="platform.platform(terse=True), e.g. Linux-6.1-x86_64-with-glibc2.36")
    machine: str = Field(description="CPU architecture, e.g. x86_64")
    orchestrator: str = Field(description="backend-orchestrator version")


class LoadSettings(Contract):
    """The load profile the performance gate ran with: the config's, after BO_LOAD_* overrides."""

    users: int
    seconds: int
    startup_s: int
    requests: int = Field(0, description="configured requests (0: every safe GET, chosen by the gate)")
    seed: str | None = Field(None, description="the seed function ('module:function') run on the scratch database "
                                               "before the load, if any")


class Baseline(Contract):
    """What the change was judged against."""

    ref: str = Field(description="what was asked for: the task's base commit, or --baseline REF")
    commit: str = Field(description="the commit it resolved to")
    cached: bool = Field(False, description="the base's findings came from the cache (computed by an earlier run)")
    scan_mode: str | None = Field(None, description="static or dynamic: how both trees were scanned for the gates")
    seconds: float = Field(0.0, description="time spent exporting, scanning and checking the base in this run")


class ValidationReport(Versioned):
    run_id: RunId
    task_id: TaskId | None
    commit: str | None = Field(None, description="git HEAD of the project; None when it is not a git checkout")
    dirty: bool | None = Field(None, description="the working tree differed from the commit (outside ai-state/)")
    started_at: Timestamp
    finished_at: Timestamp
    verdict: Verdict
    gates: list[GateResult]
    thresholds: dict[str, float] = Field(default_factory=dict)
    environment: Environment | None = None
    load: LoadSettings | None = Field(None, description="None when the performance gate did not run")
    evidence_dir: str
    scope: Scope = Field("project", description="change: the verdict is about what the change did (new findings); "
                                                "project: about every finding in the project")
    baseline: Baseline | None = None
    notes: list[str] = Field(default_factory=list, description="what limits the verdict (e.g. a base that could "
                                                               "not be checked)")
    required_gates: list[str] = Field(default_factory=list, description="the gates the task's assignment requires")
    missing_gates: list[str] = Field(default_factory=list, description="required gates this run did not run, or "
                                                                       "that were skipped for something missing")
    tree_hash: str | None = Field(None, description="content hash of the project's files the gates ran on")
    digest: bool = Field(False, description="a short copy (MCP result): existing and fixed findings are counted, "
                                            "not listed; the report at report_path has them all")


class RunProgress(Contract):
    done: int
    total: int
    current: str | None = None


class RunStatus(Contract):
    """What validate_results returns: the finished report, or where a running one stands."""

    run_id: RunId
    task_id: TaskId | None
    status: Literal["running", "pass", "fail", "error", "cancelled", "incomplete"]
    attached: bool = Field(False, description="this call joined a run that was already going")
    progress: RunProgress
    report: ValidationReport | None = None
    report_path: str | None = None
    message: str = ""
