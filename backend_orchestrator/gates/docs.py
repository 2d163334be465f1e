"""Gate ``docs``: every endpoint documented in the OpenAPI document, with a summary and a response model,
and the registry free of drift.

What it does
    Reads the endpoint registry (and its ``drift``, computed by the last scan against the recorded
    OpenAPI document and the previous registry): endpoints hidden from the document
    (``include_in_schema=False``), endpoints in the code but missing from the document, operations in
    the document that the code no longer has, endpoints whose handler is gone since the last scan,
    endpoints without a summary (no ``summary=`` and no docstring), and FastAPI endpoints without a
    response model. Health, readiness, metrics and docs probes may be hidden (API-026). Never
    imports the app; reads a decorator with ``ast`` only to see a non-JSON ``response_class``.
Why it matters
    The OpenAPI document is the contract every consumer, fuzzer and breaking-change check starts from;
    an endpoint it does not describe escapes all of them, and a handler without a response model can
    leak fields such as ``hashed_password`` (standards API-023, API-026, BS-API-002, API-007).
Rules
    DC001 endpoint hidden from the OpenAPI document · DC002 endpoint missing from the document ·
    DC003 documented operation not in the code · DC004 endpoint gone since the last scan (breaking) ·
    DC005 endpoint without a summary (low) · DC006 endpoint without a response model. Medium unless
    marked. Any medium or higher finding blocks (``policy.py``); low ones only warn.
Use instead
    Declare ``summary`` (or a docstring), ``response_model`` and ``responses`` on every route; hide only
    probes; rescan (``backend-orchestrator scan --mode dynamic``) after changing routes, and remove an
    endpoint only in a new major version.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ..contracts.registry import Endpoint, EndpointRegistry
from ..contracts.report import Finding, GateResult
from .api_design_paths import function_name, is_probe, success_code
from .base import Gate, GateContext, Rule

# responses that are not JSON documents, so need no response model
_NON_JSON = frozenset({"Response", "HTMLResponse", "PlainTextResponse", "RedirectResponse", "StreamingResponse",
                       "FileResponse"})


def _parse(root: Path, relpath: str, trees: dict[str, ast.Module | None]) -> ast.Module | None:
    if relpath not in trees:
        path = (root / relpath).resolve()
        try:
            trees[relpath] = ast.parse(path.read_text(encoding="utf-8")) if path.is_relative_to(root) else None
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            trees[relpath] = None
    return trees[relpath]


def _returns_a_value(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether any ``return`` of the function itself (not of functions nested in it) gives a value."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            return True
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _needs_no_model(root: Path, endpoint: Endpoint, trees: dict[str, ast.Module | None]) -> bool:
    """Whether the handler declares a non-JSON response class (decorator ``response_class=`` or return
    annotation) or returns nothing (``-> None``, or no ``return`` with a value), read with ``ast`` (each
    file parsed once per run)."""
    tree = _parse(root, endpoint.file, trees)
    if tree is None:
        return False
    name = function_name(endpoint)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            declared = [k.value for d in node.decorator_list if isinstance(d, ast.Call)
                        for k in d.keywords if k.arg == "response_class"]
            if isinstance(node.returns, ast.Constant) and node.returns.value is None:
                return True
            if node.returns is None and not _returns_a_value(node):
                return True  # nothing to describe: the handler answers no body
            if node.returns is not None:
                declared.append(node.returns)
            names = {n.id if isinstance(n, ast.Name) else n.attr for d in declared for n in ast.walk(d)
                     if isinstance(n, ast.Name | ast.Attribute)}
            return bool(names & _NON_JSON)
    return False


class DocsGate(Gate):
    id = "docs"
    title = "API documentation"
    rules = (
        Rule("DC001", "Endpoint hidden from the OpenAPI document", "medium", "undocumented-endpoint",
             clause="API-026",
             help="A route has include_in_schema=False, so every spec-based check and consumer misses it. "
                  "Hide only health and metrics probes; document the rest, or remove the route.", confidence="low"),
        Rule("DC002", "Endpoint missing from the OpenAPI document", "medium", "undocumented-endpoint",
             clause="API-023",
             help="A route of the code is not in the recorded OpenAPI document. Rescan with --mode dynamic; if "
                  "it is still missing, declare it on a router the app includes in its schema."),
        Rule("DC003", "Documented operation not in the code", "medium", "undocumented-endpoint", clause="API-023",
             help="The recorded OpenAPI document lists an operation the code no longer has. Restore the route, or "
                  "rescan with --mode dynamic so the contract matches the code (removing it is breaking)."),
        Rule("DC004", "Endpoint gone since the last scan", "medium", "breaking-change", clause="API-007",
             help="An endpoint of the previous registry lost its handler. Removing an endpoint breaks its "
                  "clients: deprecate it first and remove it only in a new major version."),
        Rule("DC005", "Endpoint without a summary", "low", "undocumented-endpoint", clause="API-023",
             help="A route has no summary= and no docstring, so the document does not say what it does. Add a "
                  "one-line docstring or summary=.", confidence="medium"),
        Rule("DC006", "Endpoint without a response model", "medium", "undocumented-endpoint", clause="BS-API-002",
             help="A route declares no response_model and no return annotation, so the document has no response "
                  "schema and any field of the returned object leaves the server. Declare a pydantic model.",
             confidence="low"),
    )

    def not_applicable(self, ctx: GateContext) -> str | None:
        return None if ctx.registries().endpoints.endpoints else "no endpoints discovered"

    def run(self, ctx: GateContext) -> GateResult:
        registry = ctx.registries().endpoints
        by_ref = {e.ref: e for e in registry.endpoints}
        findings = self._drift(registry, by_ref)
        trees: dict[str, ast.Module | None] = {}
        for ep in registry.endpoints:
            if not ep.summary.strip():
                findings.append(self.finding(
                    "DC005", f"{ep.ref} ({ep.handler}) has no summary; add a one-line docstring or summary= to "
                             "the route decorator.", title=f"No summary on {ep.ref}", path=ep.file, line=ep.line,
                    evidence=ep.ref, endpoint=ep.ref))
            bodiless = success_code(ep) in (204, 205) or 300 <= success_code(ep) < 400
            if (registry.framework == "fastapi" and ep.response_model is None and ep.method not in ("HEAD", "OPTIONS")
                    and not bodiless and not _needs_no_model(ctx.root, ep, trees)):
                findings.append(self.finding(
                    "DC006", f"{ep.ref} ({ep.handler}) declares no response model; set response_model= (or a "
                             "return annotation) to a pydantic model so the document has its schema and only "
                             "its fields are returned.", title=f"No response model on {ep.ref}", path=ep.file,
                    line=ep.line, evidence=ep.ref, endpoint=ep.ref))
        counts = {kind: sum(d.kind == kind for d in registry.drift) for kind in
                  ("hidden", "undocumented", "not-in-code", "gone")}
        note = (f"OpenAPI document {registry.openapi}" if registry.openapi else
                "no OpenAPI document recorded (run `backend-orchestrator scan --mode dynamic` to check that "
                "every endpoint is documented)")
        drift = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "none"
        summary = f"{len(registry.endpoints)} endpoints ({registry.mode} scan); {note}; drift: {drift}"
        summary += f"; {len(findings)} finding{'' if len(findings) == 1 else 's'}" if findings else "; no findings"
        metrics: dict[str, float | int | str | bool | None] = {
            "endpoints": len(registry.endpoints), "openapi": registry.openapi, "mode": registry.mode,
            **{f"drift_{kind.replace('-', '_')}": n for kind, n in counts.items()}, "findings": len(findings)}
        return self.report(summary, findings=findings, metrics=metrics)

    def _drift(self, registry: EndpointRegistry, by_ref: dict[str, Endpoint]) -> list[Finding]:
        findings = []
        hidden = {e.ref for e in registry.endpoints if e.hidden}
        hidden |= {d.ref for d in registry.drift if d.kind == "hidden"}
        for ref in sorted(hidden):
            ep = by_ref.get(ref)
            if is_probe(ref.partition(" ")[2]):
                continue  # API-026: probes may be hidden
            findings.append(self.finding(
                "DC001", f"{ref} is hidden from the OpenAPI document (include_in_schema=False), so contract, "
                         "fuzzing and security checks never see it; document it (and make sure it is "
                         "authenticated and tested) or remove it.", title=f"Hidden endpoint {ref}",
                path=ep.file if ep else None, line=ep.line if ep else None, evidence=ref, endpoint=ref))
        for drift in sorted(registry.drift, key=lambda d: (d.kind, d.ref)):
            ep = by_ref.get(drift.ref)
            if drift.kind == "undocumented":
                findings.append(self.finding(
                    "DC002", f"{drift.ref} is in the code ({ep.handler if ep else drift.detail}) but not in the "
                             "recorded OpenAPI document; rescan with `--mode dynamic`, and if it stays missing "
                             "declare it on a router the app includes in its schema.",
                    title=f"Undocumented endpoint {drift.ref}", evidence=drift.detail, endpoint=drift.ref,
                    path=ep.file if ep else registry.openapi, line=ep.line if ep else None))
            elif drift.kind == "not-in-code":
                findings.append(self.finding(
                    "DC003", f"{drift.ref} is in the recorded OpenAPI document but not in the code; restore the "
                             "route or rescan with `--mode dynamic` (removing an operation breaks its clients).",
                    title=f"Documented operation not in the code: {drift.ref}", evidence=drift.detail,
                    endpoint=drift.ref,
                    path=registry.openapi))
            elif drift.kind == "gone":
                findings.append(self.finding(
                    "DC004", f"{drift.ref} was in the previous registry but {drift.detail}; removing an endpoint "
                             "breaks its clients: restore it, or deprecate it first and remove it only in a new "
                             "major version.", title=f"Endpoint gone: {drift.ref}", evidence=drift.detail,
                    endpoint=drift.ref))
        return findings
