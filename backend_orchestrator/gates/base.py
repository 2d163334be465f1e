"""What every gate is: a small class with a stable id, run in a context, returning a result.

A gate that raises becomes an ``error`` result carrying the exception — never a pass, never a
failed tool call (see :func:`run_gate`).
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ..contracts.common import Severity
from ..contracts.config import ProjectConfig
from ..contracts.registry import EndpointRegistry, ModelRegistry, ServiceRegistry
from ..contracts.report import Finding, GateResult, GateStatus
from ..contracts.task import Task


@dataclass(frozen=True)
class Rule:
    """One check of a gate: a stable id, its default severity, category and the clause it enforces."""

    id: str
    title: str
    severity: Severity
    category: str
    help: str
    clause: str | None = None
    cwe: int | None = None


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
    _registries: Registries | None = field(default=None, repr=False)

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

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
    """Base class. Subclasses set ``id``, ``title`` and implement :meth:`run`."""

    id: ClassVar[str]
    title: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]] = ()

    def run(self, ctx: GateContext) -> GateResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def skip_reason(self, ctx: GateContext) -> str | None:
        """Why the gate does not apply to this project (it is then reported as skipped), or None."""
        return None

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
                cwe: int | None = None) -> Finding:
        """A finding of one of this gate's declared rules, with the rule's severity, category and clause.

        ``severity`` and ``cwe`` override the rule's defaults for rules that wrap another tool's
        findings (bandit rates each issue itself)."""
        rule = self.rule(rule_id)
        return Finding(rule_id=rule.id, gate=self.id, severity=severity or rule.severity,
                       title=title or rule.title, message=message, category=rule.category, cwe=cwe or rule.cwe,
                       clause=rule.clause, path=path, line=line, evidence=evidence)

    def result(self, status: GateStatus, summary: str, *, findings: list[Finding] | None = None,
               metrics: dict[str, float | int | str | bool | None] | None = None,
               evidence: list[str] | None = None) -> GateResult:
        return GateResult(gate=self.id, title=self.title, status=status, summary=summary,
                          findings=sorted(findings or [], key=Finding.sort_key), metrics=metrics or {},
                          evidence=evidence or [])


def run_gate(gate: Gate, ctx: GateContext, timeout_s: float | None = None) -> GateResult:
    """Run ``gate`` within ``timeout_s`` (default: :meth:`Gate.time_limit`), timing it.

    A crash becomes an ``error`` result carrying the exception; so does a gate that outlives its
    time limit: it is told to stop (``ctx.cancelled``, which also kills its subprocesses) and the
    run goes on without it.
    """
    limit = gate.time_limit(ctx.config) if timeout_s is None else timeout_s
    started = time.perf_counter()
    try:
        reason = gate.skip_reason(ctx)
    except Exception as exc:  # deciding applicability is gate code too: contain it
        reason = None
        crash_early: BaseException | None = exc
    else:
        crash_early = None
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
        result = outcome[0]
    result.duration_s = round(time.perf_counter() - started, 3)
    return result
