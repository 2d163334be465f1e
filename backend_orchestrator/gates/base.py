"""What every gate is: a small class with a stable id, run in a context, returning a result.

A gate reports findings; whether they fail it is decided by the verdict policy (``policy.py``),
which :func:`run_gate` applies after giving every finding its fingerprint (``fingerprint.py``).
A gate that raises becomes an ``error`` result carrying the exception — never a pass, never a
failed tool call.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..contracts.common import Confidence, Severity
from ..contracts.config import ProjectConfig
from ..contracts.registry import EndpointRegistry, ModelRegistry, ServiceRegistry
from ..contracts.report import Finding, GateResult, GateStatus
from ..contracts.task import Task


@dataclass(frozen=True)
class Rule:
    """One check of a gate: a stable id, its default severity, category and the clause it enforces.

    ``confidence`` (as Semgrep and CodeQL rate their rules): how often its findings are right on real code
    nobody here wrote, as :func:`measured_confidence` rates the triaged sample of ``benchmarks/real_code.py``
    (recorded in ``benchmarks/corpus/precision.json``; a test holds each declaration to it). A rule that fired
    fewer than ``MIN_SAMPLE`` times on the corpus keeps the confidence it was designed with (``low`` for a
    heuristic). A low-confidence finding is reported but never blocks (``policy.py``)."""

    id: str
    title: str
    severity: Severity
    category: str
    help: str
    clause: str | None = None
    cwe: int | None = None
    confidence: Confidence = "high"


MIN_SAMPLE = 5  # triaged findings a rule needs before its measured precision decides its confidence
CONFIDENCE_BANDS: tuple[tuple[float, Confidence], ...] = ((0.8, "high"), (0.6, "medium"))  # else "low"


def measured_confidence(true: int, false: int) -> Confidence | None:
    """The confidence a triaged sample gives a rule: ``high`` at a precision of 0.8 or more, ``medium`` at 0.6 or
    more, else ``low``; None when fewer than ``MIN_SAMPLE`` findings were triaged (too few to rate)."""
    if true + false < MIN_SAMPLE:
        return None
    precision = true / (true + false)
    return next((level for bar, level in CONFIDENCE_BANDS if precision >= bar), "low")


@dataclass
class Registries:
    endpoints: EndpointRegistry
    models: ModelRegistry
    services: ServiceRegistry


@dataclass
class GateContext:
    root: Path
    config: ProjectConfig
    evidence_dir: Path
    task: Task | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    base_contract: tuple[Path, str] | None = None  # a whole-project run's baseline OpenAPI document, and its label
    base_revision: str | None = None  # the change's base migration head: the round trip goes back to it
    _registries: Registries | None = field(default=None, repr=False)

    def rel(self, path: Path) -> str:
        """``path`` relative to the project root (absolute when it lies outside, as a base tree's evidence does)."""
        resolved = path.resolve()
        return resolved.relative_to(self.root).as_posix() if resolved.is_relative_to(self.root) else str(resolved)

    def registries(self) -> Registries:
        """The project's registries: as stored under ai-state/ when they exist (the last scan),
        else a static scan made now and kept in memory only (gates never write registries)."""
        if self._registries is None:
            from ..state.store import Store

            store = Store(self.root)
            paths = {name: store.registry_path(name) for name in ("endpoints", "models", "services")}
            if paths["endpoints"].exists():
                self._registries = Registries(
                    store.read(paths["endpoints"], "endpoints", EndpointRegistry),
                    store.read(paths["models"], "models", ModelRegistry) if paths["models"].exists()
                    else ModelRegistry(),
                    store.read(paths["services"], "services", ServiceRegistry) if paths["services"].exists()
                    else ServiceRegistry(),
                )
            else:
                from ..discovery import scan

                found = scan(self.root, self.config)
                self._registries = Registries(found.endpoints, found.models, found.services)
        return self._registries

    def source_files(self) -> list[Path]:
        """The project's Python source files (config ``source``, else the root), tests and
        migrations excluded, symlinks out of the root not followed."""
        from ..discovery.files import source_paths

        return source_paths(self.root, self.config.source)[0]


class Gate:
    """Base class. Subclasses set ``id``, ``title`` and implement :meth:`run`.

    ``runtime``: the gate runs the target's code (tests, a served app, migrations); such gates run
    one after another, the others in parallel. ``blocks_at``: the lowest severity that can fail the
    gate (see ``policy.py``)."""

    id: ClassVar[str]
    title: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]] = ()
    runtime: ClassVar[bool] = False
    blocks_at: ClassVar[Severity] = "medium"

    def run(self, ctx: GateContext) -> GateResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def not_applicable(self, ctx: GateContext) -> str | None:
        """Why there is nothing for the gate to check in this project or change (``not-applicable``), or None."""
        return None

    def skip_reason(self, ctx: GateContext) -> str | None:
        """What is missing for the gate to run (reported as ``skipped``: configure it), or None."""
        return None

    def allowance(self, config: ProjectConfig) -> int:
        """How many blocking findings the gate tolerates before it fails."""
        return 0

    def time_limit(self, config: ProjectConfig) -> float:
        """Seconds the gate may take before it is stopped and reported as an error."""
        return config.timeouts.gate_s

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"gate {self.id!r} declares no rule {rule_id!r}")

    def finding(self, rule_id: str, message: str, *, title: str | None = None, path: str | None = None,
                line: int | None = None, evidence: str | None = None, severity: Severity | None = None,
                cwe: int | None = None, endpoint: str | None = None, subject: str | None = None) -> Finding:
        """A finding of one of this gate's declared rules, with the rule's severity, category and clause.

        ``severity`` and ``cwe`` override the rule's defaults for rules that wrap another tool's
        findings (bandit rates each issue itself). ``endpoint`` ('METHOD /path') marks a finding about
        an endpoint as a whole, ``subject`` one about something that is not a place in the code (a path
        prefix, the API): both make its fingerprint independent of the code at path:line."""
        rule = self.rule(rule_id)
        return Finding(rule_id=rule.id, gate=self.id, severity=severity or rule.severity,
                       title=title or rule.title, message=message, category=rule.category, cwe=cwe or rule.cwe,
                       clause=rule.clause, path=path, line=line, evidence=evidence, endpoint=endpoint,
                       subject=subject, confidence=rule.confidence)

    def result(self, status: GateStatus, summary: str, *, findings: list[Finding] | None = None,
               metrics: dict[str, float | int | str | bool | None] | None = None,
               evidence: list[str] | None = None) -> GateResult:
        """A result whose status the gate sets itself: ``error``, ``skipped`` (something missing)."""
        return GateResult(gate=self.id, title=self.title, status=status, summary=summary,
                          findings=sorted(findings or [], key=Finding.sort_key), metrics=metrics or {},
                          evidence=evidence or [])

    def report(self, summary: str, *, findings: list[Finding] | None = None,
               metrics: dict[str, float | int | str | bool | None] | None = None,
               evidence: list[str] | None = None, config: ProjectConfig | None = None) -> GateResult:
        """A finished check: its status (pass, warn or fail) is the verdict policy's to decide (for the whole
        project here; :func:`run_gate` decides again once the findings have fingerprints, and a run that
        judges a change once more with their baseline states)."""
        from . import policy

        result = self.result("pass", summary, findings=findings, metrics=metrics, evidence=evidence)
        return policy.apply(self, result, config or ProjectConfig(), "project")


def run_gate(gate: Gate, ctx: GateContext, timeout_s: float | None = None) -> GateResult:
    """Run ``gate`` within ``timeout_s`` (default: :meth:`Gate.time_limit`), timing it.

    A crash becomes an ``error`` result carrying the exception; so does a gate that outlives its
    time limit: it is told to stop (``ctx.cancelled``, which also kills its subprocesses) and the
    run goes on without it.
    """
    limit = gate.time_limit(ctx.config) if timeout_s is None else timeout_s
    started = time.perf_counter()
    inapplicable = reason = None
    try:
        inapplicable = gate.not_applicable(ctx)
        reason = None if inapplicable else gate.skip_reason(ctx)
    except Exception as exc:  # deciding applicability is gate code too: contain it
        crash_early: BaseException | None = exc
    else:
        crash_early = None
    if inapplicable is not None:
        return GateResult(gate=gate.id, title=gate.title, status="not-applicable", summary=inapplicable)
    if reason is not None:
        return GateResult(gate=gate.id, title=gate.title, status="skipped", summary=reason)
    outcome: list[GateResult] = []
    crash: list[BaseException] = []

    def work() -> None:
        try:
            if crash_early is not None:
                raise crash_early
            outcome.append(gate.run(ctx))
        except Exception as exc:  # a gate's own bug must not pass or crash the run
            crash.append(exc)

    worker = threading.Thread(target=work, name=f"gate-{gate.id}", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        ctx.cancelled.set()
        worker.join(5)
        result = GateResult(gate=gate.id, title=gate.title, status="error",
                            summary=f"the gate did not finish within {limit:g} s and was stopped "
                                    "(raise timeouts.gate_s in the config if the project needs longer)")
    elif crash:
        detail = "".join(traceback.format_exception_only(type(crash[0]), crash[0])).strip()
        result = GateResult(gate=gate.id, title=gate.title, status="error", summary=f"the gate crashed: {detail}",
                            metrics={"exception": type(crash[0]).__name__})
    else:
        result = finish(gate, outcome[0], ctx.root, ctx.config)
    result.duration_s = round(time.perf_counter() - started, 3)
    return result


def finish(gate: Gate, result: GateResult, root: Path, config: ProjectConfig) -> GateResult:
    """Fingerprints for the findings (read against ``root``), then the policy's status for the whole project."""
    from . import fingerprint, policy

    result = result.model_copy(update={"findings": fingerprint.assign(result.findings, root)})
    return policy.apply(gate, result, config, "project")
