"""Gate ``api-design``: REST design rules over the discovered endpoints and the recorded OpenAPI document.

What it does
    Reads the endpoint registry (static or dynamic scan) and, when a scan recorded one, the OpenAPI
    document (``registry.openapi``); reads handlers with ``ast`` at their file:line; never imports the
    app. Registry rules: resource naming, versioning, create/delete status codes, error bodies returned
    with 200, pagination of collection reads, rate limiting. Spec rules (skipped, with a note in the
    summary, when no document is recorded): validity (openapi-spec-validator ``iter_errors``, an
    unresolvable ``$ref`` included), documented error responses, one error shape, declared
    authentication. Word lists and heuristics are documented in ``api_design_paths``.
Why it matters
    AI-written endpoints drift from the API standard in ways tests do not notice: verbs in paths,
    unbounded lists, 200 with an error body, a contract that hides which operations need a token or
    which errors they return (standards API-001..API-025, BS-API-001..011).
Rules
    AD001 verb in path · AD002 singular collection name · AD003 segment not lower kebab case ·
    AD004 trailing slash or file extension · AD005 endpoint outside the version prefix · AD006 create
    not answering 201 · AD007 delete not answering 204/200 · AD008 error responses not documented
    (low) · AD009 an error returned with a success status · AD010 collection read without pagination ·
    AD011 error responses in several shapes (low) · AD012 no rate limiting (low) · AD013
    authentication not declared in the OpenAPI document · AD014 invalid OpenAPI document (high).
    Medium unless marked. Any medium or higher finding blocks (``policy.py``); low ones only warn. Naming,
    trailing slashes, create status codes and versioning are judged against the project's own majority
    convention when it clearly has one (house style, see ``api_design_paths``).
Use instead
    Plural kebab-case nouns under ``/api/v1`` (``GET /api/v1/order-items?limit=20&offset=0``);
    ``status_code=201`` on creates and ``204`` on deletes; ``raise HTTPException`` for errors and
    list them in ``responses=``; FastAPI security classes for auth; a rate limiter (slowapi) with 429.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..contracts.registry import Endpoint
from ..contracts.report import GateResult
from . import api_design_code as code_rules
from . import api_design_paths as path_rules
from . import api_design_spec as spec_rules
from .api_design_paths import Hit
from .base import Gate, GateContext, Rule


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _shown(ctx: GateContext, path: Path) -> str:
    """An evidence file relative to the project root (absolute when the evidence folder lies outside it)."""
    return ctx.rel(path) if path.resolve().is_relative_to(ctx.root) else str(path)


class ApiDesignGate(Gate):
    id = "api-design"
    title = "API design"
    rules = (
        Rule("AD001", "Verb in path", "medium", "naming", clause="API-003",
             help="A path segment is a verb (getUsers, create-order, cancel). Name resources with nouns and let "
                  "the method carry the action; model other actions as sub-resource nouns."),
        Rule("AD002", "Singular collection name", "medium", "naming", clause="API-001",
             help="A collection (a segment followed by an id, or a GET returning a list) has a singular name. "
                  "Use the plural noun: /orders/{order_id}.", confidence="low"),
        Rule("AD003", "Path segment not in lower kebab case", "medium", "naming", clause="API-002",
             help="A path segment is camelCase, snake_case or upper case. Write segments in lower case with "
                  "hyphens between words: /order-items.", confidence="medium"),
        Rule("AD004", "Trailing slash or file extension", "medium", "naming", clause="API-005",
             help="A path ends with a slash or a file extension. Serve one canonical path per resource and "
                  "negotiate the format with the Accept header.", confidence="low"),
        Rule("AD005", "Endpoint outside the version prefix", "medium", "versioning", clause="API-006",
             help="An endpoint is not under the API's version prefix (/api/v1), or the API has none. Mount every "
                  "router under the versioned prefix; health, metrics and docs probes are exempt.", confidence="low"),
        Rule("AD006", "Create does not answer 201", "medium", "status-code", clause="API-009",
             help="A POST that creates a resource answers another success code. Set status_code=201 and return "
                  "a Location header (202 for work that completes later).", confidence="low"),
        Rule("AD007", "Delete does not answer 204 or 200", "medium", "status-code", clause="API-010",
             help="A DELETE answers a code other than 204 (or 200 with a body, or 202). Set status_code=204."),
        Rule("AD008", "Error responses not documented", "low", "status-code", clause="BS-API-011",
             help="An operation raises error statuses its OpenAPI responses do not list, or takes input but "
                  "documents no 4xx. Declare them with responses={404: {'model': Problem}, ...}."),
        Rule("AD009", "Error returned with a success status", "medium", "status-code", clause="API-011",
             help="A handler returns an error body ({'error': ...}) with a 2xx status. Raise HTTPException (or a "
                  "domain error mapped by an exception handler) with the specific 4xx/5xx code."),
        Rule("AD010", "Collection read without pagination", "medium", "pagination", clause="API-015",
             help="A GET returns a list without limit/offset, page or cursor parameters. Add "
                  "limit: int = Query(20, ge=1, le=100) and offset (or a cursor) and bound the query."),
        Rule("AD011", "Error responses in several shapes", "low", "error-shape", clause="API-013",
             help="Documented error bodies come in more than one shape and no exception handlers are "
                  "registered. Return every error as problem details through registered exception handlers."),
        Rule("AD012", "No rate limiting", "low", "rate-limiting", clause="API-022",
             help="Nothing in the code limits request rates (slowapi, fastapi-limiter, a RateLimit middleware) "
                  "and no operation documents 429. Rate-limit per client on auth and expensive endpoints."),
        Rule("AD013", "Authentication not declared in the contract", "medium", "missing-auth", clause="BS-API-007",
             help="An endpoint requires authentication but its OpenAPI operation has no security requirement, "
                  "or the document has no securitySchemes. Authenticate through FastAPI security classes."),
        Rule("AD014", "Invalid OpenAPI document", "high", "invalid-contract", clause="API-025",
             help="openapi-spec-validator rejects the recorded OpenAPI document. Fix the route declaration or "
                  "custom openapi() that produces the invalid part; contract, fuzzing and client tools need it."),
    )

    def not_applicable(self, ctx: GateContext) -> str | None:
        return None if ctx.registries().endpoints.endpoints else "no endpoints discovered"

    def run(self, ctx: GateContext) -> GateResult:
        registry = ctx.registries().endpoints
        endpoints = registry.endpoints
        code = code_rules.CodeIndex(ctx.root, ctx.source_files())
        app = code_rules.app_location(code, ctx.config.app, ctx.config.source)
        spec, note, unreadable = spec_rules.load(ctx.root, registry.openapi)
        hits = [unreadable] if unreadable else []
        hits += path_rules.naming(endpoints)
        hits += path_rules.versioning(endpoints, app)
        hits += path_rules.status_codes(endpoints)
        hits += self._error_bodies(endpoints, code)
        hits += self._pagination(endpoints, code, spec)
        limiter = code_rules.rate_limiting(code) or next((f"{e.ref} raises 429" for e in endpoints
                                                          if 429 in e.status_codes), None)
        if limiter is None and spec is not None and (op := spec_rules.documents_429(spec)):
            limiter = f"{op} documents 429"
        if limiter is None:
            hits.append(Hit("AD012", "No rate limiting found: no slowapi/fastapi-limiter/flask-limiter, no "
                            "*RateLimit* middleware, no 429 documented. Add a per-client limiter (e.g. slowapi "
                            "`Limiter` + `@limiter.limit(...)`) on the auth and expensive endpoints and document "
                            "429 with a Retry-After header.", "No rate limiting configured", app[0], app[1],
                            subject="API rate limiting"))
        evidence: list[str] = []
        spec_errors = 0
        if spec is not None:
            if ctx.cancelled.is_set():
                return self.result("error", "cancelled")
            invalid, raw = spec_rules.validity(spec, endpoints)
            spec_errors = len(invalid)
            hits += invalid[: spec_rules.MAX_VALIDITY_FINDINGS]
            hits += spec_rules.error_responses(spec, endpoints)
            hits += spec_rules.error_shapes(spec, endpoints, code_rules.exception_handlers(code))
            hits += spec_rules.auth_declared(spec, endpoints, app)
            out = ctx.evidence_dir / self.id
            out.mkdir(parents=True, exist_ok=True)
            (out / "openapi-validation.json").write_text(
                json.dumps({"document": spec.relpath, "errors": raw}, indent=2) + "\n", encoding="utf-8")
            evidence.append(_shown(ctx, out / "openapi-validation.json"))
        findings = [self.finding(h.rule, h.message, title=h.title, path=h.path, line=h.line, evidence=h.evidence,
                                 endpoint=h.endpoint, subject=h.subject)
                    for h in sorted(set(hits), key=Hit.key)]
        parts = [f"{len(endpoints)} endpoints",
                 f"OpenAPI document {spec.relpath} ({_count(spec_errors, 'validity error')})" if spec else note,
                 f"rate limiting: {limiter}" if limiter else "no rate limiting",
                 _count(len(findings), "finding") if findings else "no findings"]
        metrics: dict[str, float | int | str | bool | None] = {
            "endpoints": len(endpoints), "openapi": spec.relpath if spec else None, "openapi_errors": spec_errors,
            "rate_limiting": limiter is not None, "findings": len(findings)}
        return self.report("; ".join(parts), findings=findings, metrics=metrics, evidence=evidence)

    @staticmethod
    def _error_bodies(endpoints: list[Endpoint], code: code_rules.CodeIndex) -> list[Hit]:
        hits = []
        for ep in endpoints:
            func = code.handler(ep)
            if func is None or path_rules.success_code(ep) >= 400:
                continue
            for line in code_rules.error_returns(func):
                hits.append(Hit("AD009", f"{ep.handler} returns an error body with status "
                                f"{path_rules.success_code(ep)}; raise HTTPException with the specific code "
                                "(404, 409, 422, ...) instead, so clients and retries see the failure.",
                                f"Error body returned with {path_rules.success_code(ep)}", ep.file, line,
                                evidence=ep.ref))  # a place in the handler: its fingerprint follows the code
        return hits

    @staticmethod
    def _pagination(endpoints: list[Endpoint], code: code_rules.CodeIndex,
                    spec: spec_rules.Spec | None) -> list[Hit]:
        hits = []
        for ep in path_rules.collection_reads(endpoints):
            op = spec.operation(ep) if spec else None
            if not (path_rules.returns_list(ep) or (spec and op and spec_rules.returns_array(spec, op))):
                continue
            func = code.handler(ep)
            if (func is not None and code_rules.paginates(func)) or (op and spec_rules.query_paginated(op)):
                continue
            hits.append(Hit("AD010", f"{ep.ref} returns a list ({ep.response_model or 'array'}) without "
                            "pagination; take limit: int = Query(20, ge=1, le=100) and offset (or a cursor), "
                            "bound the query with them and return an envelope with the total.",
                            f"No pagination on {ep.ref}", ep.file, ep.line, evidence=ep.ref, endpoint=ep.ref))
        return hits
