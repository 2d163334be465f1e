"""Which findings a change brought: each finding of a run is ``new`` or ``existing``, and what the base
had that is gone is ``fixed``. The verdict policy (``gates/policy.py``) then lets only new findings decide.

How each gate's findings are told apart:

- ``api-design``, ``security``, ``architecture``, ``docs``, ``database``: the same gate runs on the
  base tree (``baseline.py``, cached per base commit); a finding whose fingerprint the base has is
  existing, one it lacks is new, a base finding the current tree lacks is fixed;
- ``contract``: it compares with the base itself; every finding is about the change;
- ``tests``: a failing test is existing when it fails on the base tree too (the base's suite runs
  once, only when the change has failing tests or coverage below the threshold); total coverage below
  the threshold is existing debt unless it fell more than ``verdict.coverage_drop_percent`` below
  the base's (a ratchet); changed-lines coverage is always about the change; a slow, repeated or
  full-scanning statement is existing when the code that runs it is unchanged;
- ``performance`` and ``contract-tests``: a finding about an endpoint the change touches (the
  task's endpoints, new endpoints, endpoints whose handler changed) is new, about another endpoint
  existing; a finding at a place in the code is existing when that code is unchanged since the base.

The ``database`` gate does not apply to a change that touches no migration, model or Alembic file.

With ``compare_base`` (``validate --compare-base``, ``verdict.compare_base``) the performance gate also
loads the base tree, served the same way, and the report gives each endpoint's p95 at the base and
now (``performance/compare-base.json``); a latency finding on an endpoint the change did not touch is
then new when that endpoint was below the threshold at the base.
"""

from __future__ import annotations

import ast
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..contracts.config import ProjectConfig
from ..contracts.registry import Endpoint
from ..contracts.report import Finding, GateResult
from ..contracts.task import Task
from ..gates import fingerprint, get_gate, policy
from ..gates.base import Registries
from . import baseline

RUNTIME_BY_ENDPOINT = ("performance", "contract-tests")


@dataclass
class Change:
    """What the change touched: changed lines per file and the endpoints they reach."""

    lines: dict[str, set[int]]
    endpoints: set[str]  # endpoint identities (fingerprint.endpoint_identity)


@dataclass
class Judge:
    root: Path
    state_dir: Path
    config: ProjectConfig
    ref: str  # what the base was asked as (a task's base commit, --baseline REF)
    commit: str
    mode: str  # how the current tree was scanned
    registries: Registries
    task: Task | None = None
    compare_base: bool = False
    notes: list[str] = field(default_factory=list)
    _base: baseline.BaseTree | None = field(default=None, repr=False)
    _failure: str | None = field(default=None, repr=False)
    _change: Change | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- the base ---------------------------------------------------------------------------------
    def base(self) -> baseline.BaseTree:
        """The base tree, prepared once (raises BaseUnavailable, the same reason every time)."""
        with self._lock:
            if self._failure is not None:
                raise baseline.BaseUnavailable(self._failure)
            if self._base is None:
                try:
                    self._base = baseline.prepare(self.root, self.state_dir, self.commit, self.config, self.mode)
                except (baseline.BaseUnavailable, OSError) as exc:
                    self._failure = str(exc) or type(exc).__name__
                    raise baseline.BaseUnavailable(self._failure) from None
            return self._base

    def change(self) -> Change:
        with self._lock:
            if self._change is None:
                self._change = self._measure_change()
            return self._change

    def _measure_change(self) -> Change:
        from ..gates.changed_lines import changed_lines

        log = self.state_dir / baseline.CACHE / self.commit / "logs"
        log.mkdir(parents=True, exist_ok=True)
        lines, reason = changed_lines(self.root, self.commit, log)
        if lines is None:
            raise baseline.BaseUnavailable(f"the changed lines could not be read: {reason}")
        base_eps = {fingerprint.endpoint_identity(e.ref) for e in self.base().registries.endpoints.endpoints}
        named = {fingerprint.endpoint_identity(ref) for ref in (self.task.endpoints if self.task else [])}
        touched = set(named)
        for ep in self.registries.endpoints.endpoints:
            identity = fingerprint.endpoint_identity(ep.ref)
            if identity not in base_eps or _handler_changed(self.root, ep, lines.get(ep.file, set())):
                touched.add(identity)
        return Change(lines, touched)

    def not_applicable(self, gate_id: str) -> str | None:
        """Why a gate has nothing to check in this change, or None."""
        if gate_id != "database":
            return None
        try:
            changed = set(self.change().lines) | self._changed_other_files()
        except baseline.BaseUnavailable:
            return None
        models = {m.file for m in self.registries.models.models}
        folder = self.registries.models.migrations.directory
        folders = (folder.rstrip("/") + "/",) if folder else ("migrations/", "alembic/", "versions/")
        ini = self.config.alembic_config or "alembic.ini"
        if any(f in models or f == ini or any(f.startswith(d) or f"/{d}" in f for d in folders) for f in changed):
            return None
        return "the change touches no migration, model or Alembic file: there is no migration round trip to run"

    def _changed_other_files(self) -> set[str]:
        """Changed files that are not Python (alembic.ini), relative to the project."""
        done = baseline._git(self.root, "-c", "core.quotepath=off", "diff", "--name-only", "--relative",
                             self.commit, "--")
        return {line for line in done.stdout.splitlines() if line} if done.returncode == 0 else set()

    # -- judging ---------------------------------------------------------------------------------
    def __call__(self, gate_id: str, result: GateResult) -> GateResult:
        """``result`` judged on the change (or on the whole project, with a note, when the base cannot tell)."""
        if result.status not in policy.JUDGED:
            return result
        gate = get_gate(gate_id)
        try:
            judged = self._classify(gate_id, result)
        except baseline.BaseUnavailable as exc:
            note = f"existing findings could not be told apart ({exc}); judged on every finding"
            with self._lock:
                if note not in self.notes:
                    self.notes.append(note)
            return result.model_copy(update={"notes": [*result.notes, note]})
        return policy.apply(gate, judged, self.config, "change")

    def _classify(self, gate_id: str, result: GateResult) -> GateResult:
        findings = result.findings
        if gate_id == "docs":
            result, findings = self._gone_since_base(result)
        if gate_id in baseline.CHECKED_AT_BASE:
            base = baseline.gate_result(self.base(), gate_id)
            known = {f.fingerprint for f in base.findings}
            now = {f.fingerprint for f in findings}
            states = ["existing" if f.fingerprint in known else "new" for f in findings]
            fixed = [f.model_copy(update={"baseline_state": "fixed"}) for f in base.findings
                     if f.fingerprint not in now]
            return _with(result, findings, states, fixed)
        if gate_id == "contract":
            return _with(result, findings, ["new"] * len(findings), [])
        notes: list[str] = []
        states = [self._runtime_state(gate_id, f, result, notes) for f in findings]
        judged = _with(result, findings, states, [])
        if gate_id == "tests":
            judged = self._coverage_ratchet(judged, notes)
        if gate_id == "performance" and self.compare_base:
            judged = self._compare_latency(judged, notes)
        return judged.model_copy(update={"notes": [*judged.notes, *notes]})

    def _compare_latency(self, result: GateResult, notes: list[str]) -> GateResult:
        """The base served and loaded like the current tree: each endpoint's p95 then and now."""
        stats = next((e for e in result.evidence if e.endswith("performance/stats.json")), None)
        if stats is None:
            _note(notes, "--compare-base: the current load run left no stats.json to compare")
            return result
        base = baseline.run_at_base(self.base(), "performance")
        then_path = next((e for e in base.evidence if e.endswith("performance/stats.json")), None)
        if base.status == "error" or then_path is None:
            _note(notes, f"--compare-base: the base could not be loaded ({base.summary})")
            return result
        now_file = self.root / stats
        now, then = _p95s(now_file), _p95s(Path(then_path))
        rows = [{"endpoint": ref, "base_p95_ms": then.get(ref), "p95_ms": p95,
                 "change_ms": None if then.get(ref) is None or p95 is None else round(p95 - then[ref], 3)}
                for ref, p95 in sorted(now.items())]
        (now_file.parent / "compare-base.json").write_text(json.dumps({"base": self.commit, "endpoints": rows},
                                                                       indent=2) + "\n", encoding="utf-8")
        for row in rows:
            if row["change_ms"] is not None:
                _note(notes, f"p95 of {row['endpoint']}: {row['base_p95_ms']:g} ms at the base → {row['p95_ms']:g} "
                             f"ms now ({row['change_ms']:+g} ms)")
        limit = self.config.thresholds.api_p95_ms
        findings = []
        for f in result.findings:
            was = then.get(f.endpoint or "")
            if f.rule_id == "PF001" and f.baseline_state == "existing" and was is not None and was < limit:
                f = f.model_copy(update={"baseline_state": "new", "message": f"{f.message} At the base its p95 "
                                         f"was {was:g} ms: the change made an endpoint it did not touch slow."})
            findings.append(f)
        metrics = {**result.metrics, "base_p95_ms": base.metrics.get("p95_ms")}
        evidence = [*result.evidence, str((now_file.parent / "compare-base.json").relative_to(self.root))]
        return result.model_copy(update={"findings": findings, "metrics": metrics, "evidence": evidence})

    def _gone_since_base(self, result: GateResult) -> tuple[GateResult, list[Finding]]:
        """DC004 says an endpoint is gone since the last scan; judged on a change, only an endpoint the base
        had can be gone (one the change added and removed again is no loss). The others are left out, said
        in a note."""
        had = {fingerprint.endpoint_identity(e.ref) for e in self.base().registries.endpoints.endpoints}
        kept: list[Finding] = []
        dropped: list[Finding] = []
        for f in result.findings:
            new_then_gone = f.rule_id == "DC004" and f.endpoint and fingerprint.endpoint_identity(f.endpoint) not in had
            (dropped if new_then_gone else kept).append(f)
        if not dropped:
            return result, result.findings
        note = (f"{len(dropped)} endpoint(s) gone since the last scan were not in the base either (added and removed "
                f"within the change), so they are not reported: {', '.join(str(f.endpoint) for f in dropped)}")
        return result.model_copy(update={"findings": kept, "notes": [*result.notes, note]}), kept

    def _runtime_state(self, gate_id: str, finding: Finding, result: GateResult, notes: list[str]) -> str:
        if finding.rule_id == "TST001":
            return self._failing_test(finding, result, notes)
        if finding.rule_id in ("TST002", "TST006"):
            return "new"  # TST002: the ratchet decides below; TST006 is about the changed lines only
        if finding.endpoint and gate_id in RUNTIME_BY_ENDPOINT:
            touched = fingerprint.endpoint_identity(finding.endpoint) in self.change().endpoints
            return "new" if touched else "existing"
        return "existing" if self._code_unchanged(finding) else "new"

    def _code_unchanged(self, finding: Finding) -> bool:
        """Whether the code a finding points at is in the base tree as it is now (same symbol and statement)."""
        here = fingerprint.code_identity(fingerprint.Sources(self.root), finding.path, finding.line)
        if here is None or finding.path is None:
            return False
        base = fingerprint.Sources(self.base().tree).get(finding.path)
        return base is not None and base.tree is not None and here in fingerprint.code_identities(base.tree)

    def _base_tests(self, notes: list[str]) -> GateResult | None:
        """The tests gate on the base tree (run once, cached), or None with a note when it tells nothing."""
        try:
            base = baseline.gate_result(self.base(), "tests")
        except baseline.BaseUnavailable as exc:
            _note(notes, f"the base's tests could not be run ({exc}): failing tests and coverage are judged as new")
            return None
        tests, failed = int(base.metrics.get("tests") or 0), int(base.metrics.get("failed") or 0)
        failed += int(base.metrics.get("errors") or 0)
        if base.status in ("skipped", "not-applicable") or not tests or failed >= tests:
            _note(notes, f"the base's test suite gave no usable result ({base.summary}): failing tests and "
                         "coverage are judged as new")
            return None
        return base

    def _failing_test(self, finding: Finding, result: GateResult, notes: list[str]) -> str:
        base = self._base_tests(notes)
        if base is None:
            return "new"
        failing = {f.subject for f in base.findings if f.rule_id == "TST001"}
        return "existing" if finding.subject in failing else "new"

    def _coverage_ratchet(self, result: GateResult, notes: list[str]) -> GateResult:
        """TST002 (total coverage at or below the threshold) is existing debt unless the change lowered it
        by more than ``verdict.coverage_drop_percent`` from the base's."""
        findings = list(result.findings)
        index = next((i for i, f in enumerate(findings) if f.rule_id == "TST002"), None)
        if index is None:
            return result
        base = self._base_tests(notes)
        now = result.metrics.get("coverage_percent")
        then = base.metrics.get("coverage_percent") if base is not None else None
        if not isinstance(now, int | float) or not isinstance(then, int | float):
            return result
        drop = self.config.verdict.coverage_drop_percent
        fell = round(float(then) - float(now), 2)
        old = findings[index]
        if fell > drop:
            message = (f"{old.message} The change lowered it from {then:g} % at the base by {fell:g} points "
                       f"(at most {drop:g} allowed: verdict.coverage_drop_percent); test the code it added.")
            state = "new"
        else:
            message = (f"{old.message} The base was at {then:g} %: the change did not lower it by more than "
                       f"{drop:g} points, so this is existing debt.")
            state = "existing"
        findings[index] = old.model_copy(update={"message": message, "baseline_state": state})
        metrics = {**result.metrics, "base_coverage_percent": then}
        return result.model_copy(update={"findings": findings, "metrics": metrics})


def _p95s(stats: Path) -> dict[str, float]:
    """Each endpoint's measured p95 in a performance stats.json."""
    try:
        data = json.loads(stats.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(row["name"]): float(row["p95_ms"]) for row in data.get("endpoints", [])
            if row.get("p95_ms") is not None and not row.get("rate_limited")}


def _note(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)


def _with(result: GateResult, findings: list[Finding], states: list[str], fixed: list[Finding]) -> GateResult:
    marked = [f.model_copy(update={"baseline_state": s}) for f, s in zip(findings, states, strict=True)]
    return result.model_copy(update={"findings": marked, "fixed": fixed})


def _handler_changed(root: Path, endpoint: Endpoint, changed: set[int]) -> bool:
    """Whether any line of the endpoint's handler function (decorators included) changed."""
    if not changed:
        return False
    source = fingerprint.Sources(root).get(endpoint.file)
    if source is None or source.tree is None:
        return True  # cannot tell: treat it as touched
    for node in ast.walk(source.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first <= endpoint.line <= (node.end_lineno or node.lineno):
                return any(first <= n <= (node.end_lineno or node.lineno) for n in changed)
    return bool(changed & {endpoint.line})
