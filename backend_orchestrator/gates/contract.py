"""Gate ``contract``: breaking changes to the API contract since the task was received.

What it does
    Builds the app's current OpenAPI document (the app imported in a subprocess with the target's
    interpreter, as dynamic discovery does) and compares it with the contract recorded when the
    task was received (``artifacts/<task>/openapi-base.json``) — or, for a whole-project run with a
    baseline (``validate --baseline REF``), with the document of the base tree — using
    :mod:`backend_orchestrator.contractdiff`. Breaking changes block; changes that may break clients warn.
    Every finding is about the change (nothing to tell apart from existing debt).
Why it matters
    Existing clients (a frontend, other services) break on removed operations, removed or retyped
    response fields, new required request fields, narrowed enums, removed status codes
    (API-007, BS-API-008). The levels follow oasdiff's policy.
Rules
    CT001 a breaking change (high) · CT002 a change that may break clients (medium)
Use instead
    Keep the old shape next to the new one (add fields, make new ones optional), or version the
    API (``/api/v2``) and deprecate before removing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..contracts.report import GateResult
from ..state.store import STATE_DIR
from .base import Gate, GateContext, Rule


class ContractGate(Gate):
    id = "contract"
    title = "API contract: breaking changes"
    blocks_at = "high"
    rules = (
        Rule("CT001", "Breaking change to the API contract", "high", "breaking-change", clause="BS-API-008",
             help="Existing clients fail on this change (a removed operation or response field, a new required "
                  "request field or parameter, a narrowed enum, a removed status code, a changed type). Keep "
                  "the old shape working, or publish the change under a new major version."),
        Rule("CT002", "Change that may break clients", "medium", "breaking-change", clause="API-007",
             help="Some clients may fail on this change (for example a widened response enum or a removed "
                  "optional parameter). Check the consumers, or version the change."),
    )

    def _base(self, ctx: GateContext) -> tuple[Path | None, str]:
        if ctx.task is not None:
            snapshot = ctx.root / STATE_DIR / "artifacts" / ctx.task.id / "openapi-base.json"
            if snapshot.is_file():
                return snapshot, f"the contract recorded when {ctx.task.id} was received"
            return None, ""
        if ctx.base_contract is not None:
            return ctx.base_contract
        return None, ""

    def not_applicable(self, ctx: GateContext) -> str | None:
        if self._base(ctx)[0] is not None:
            return None
        if ctx.task is None:
            return ("nothing to compare the contract with: a whole-project run compares it with its baseline "
                    "(validate --baseline REF), a task with the contract recorded when it was received")
        framework = ctx.registries().endpoints.framework
        if framework in ("flask", "django"):
            return f"this {framework} project publishes no OpenAPI document, so there is no contract to compare"
        return None

    def skip_reason(self, ctx: GateContext) -> str | None:
        if self._base(ctx)[0] is None:
            return ("no API contract was recorded when the task was received (the app did not import then): make "
                    "`app` in the config importable, run scan_project, and receive the task again")
        return None

    def run(self, ctx: GateContext) -> GateResult:
        from ..contractdiff import SpecError, diff
        from ..discovery.dynamic import discover

        base_path, base_label = self._base(ctx)
        assert base_path is not None  # skip_reason ran first
        out = ctx.evidence_dir / self.id
        out.mkdir(parents=True, exist_ok=True)
        registries = ctx.registries()
        try:
            found, _ = discover(ctx.root, ctx.config, registries.endpoints, mode="dynamic", folder=out,
                                log_shown=ctx.rel(out) + "/probe.log", keep=lambda _: True)
        except Exception as exc:  # the app does not import: we cannot know its contract now
            return self.result("error", f"cannot build the current OpenAPI document: {exc}")
        current = found.openapi if found else None
        if not current:
            return self.result("error", "the app imported but produced no OpenAPI document (only FastAPI apps "
                               "publish one; Flask and Django projects need one generated, e.g. apispec or "
                               "drf-spectacular)")
        base = json.loads(base_path.read_text(encoding="utf-8"))
        (out / "openapi-current.json").write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", "utf-8")
        try:
            changes = diff(base, current)
        except SpecError as exc:
            return self.result("error", f"the contracts could not be compared: {exc}")
        (out / "changes.json").write_text(json.dumps([c.to_dict() for c in changes], indent=2) + "\n", "utf-8")
        handlers = {f"{e.method} {e.path}": e for e in registries.endpoints.endpoints}
        findings = []
        counts = {"breaking": 0, "warning": 0, "info": 0}
        for change in changes:
            counts[change.level.value] += 1
            if change.level.value == "info":
                continue
            endpoint = handlers.get(change.operation or "")
            findings.append(self.finding(
                "CT001" if change.level.value == "breaking" else "CT002",
                f"{change.message} ({change.id}, at {change.location}). Compared with {base_label}.",
                title=f"{change.operation or 'API'}: {change.id}",
                path=endpoint.file if endpoint else ctx.rel(base_path),
                line=endpoint.line if endpoint else change.base_line,
                evidence=change.location, endpoint=change.operation or None,
                subject=None if change.operation else f"{change.id} at {change.location}",
            ))
        summary = (f"{counts['breaking']} breaking, {counts['warning']} possibly breaking, {counts['info']} "
                   f"compatible changes against {base_label}")
        metrics: dict[str, Any] = {f"{k}_changes": v for k, v in counts.items()}
        evidence = [ctx.rel(out / "openapi-current.json"), ctx.rel(out / "changes.json")]
        return self.report(summary, findings=findings, metrics=metrics, evidence=evidence)
