"""The `api-design` gate's rules over the recorded OpenAPI document: validity (openapi-spec-validator),
documented error responses, one error shape, declared authentication, and what the document says
about pagination and rate limiting.

Findings are anchored at the handler (file:line from the registry) when the operation is in the
code, else at the document itself; the JSON path goes into the evidence.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contracts.registry import Endpoint
from .api_design_code import PAGE_PARAMS
from .api_design_paths import Hit

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_VALIDITY_FINDINGS = 25


def normalize(path: str) -> str:
    from ..discovery import normalize_path

    return normalize_path(path)


@dataclass
class Operation:
    method: str
    path: str
    body: dict[str, Any]
    parameters: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Spec:
    """A loaded OpenAPI document and its operations keyed by (METHOD, normalized path)."""

    relpath: str
    document: dict[str, Any]
    operations: dict[tuple[str, str], Operation] = field(default_factory=dict)

    @classmethod
    def of(cls, relpath: str, document: dict[str, Any]) -> Spec:
        spec = cls(relpath, document)
        paths = document.get("paths")
        for path, item in (paths if isinstance(paths, dict) else {}).items():
            if not isinstance(item, dict):
                continue
            shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
            for method, body in item.items():
                if method in _METHODS and isinstance(body, dict):
                    own = [p for p in body.get("parameters", []) if isinstance(p, dict)]
                    spec.operations[(method.upper(), normalize(path))] = Operation(
                        method.upper(), path, body, [*shared, *own])
        return spec

    def operation(self, endpoint: Endpoint) -> Operation | None:
        return self.operations.get((endpoint.method, normalize(endpoint.path)))

    def resolve(self, node: Any) -> Any:
        """One local `$ref` followed (`#/components/schemas/X`); the node itself otherwise."""
        if isinstance(node, dict) and isinstance(ref := node.get("$ref"), str) and ref.startswith("#/"):
            target: Any = self.document
            for part in ref[2:].split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) \
                    else None
            return target if target is not None else node
        return node


def load(root: Path, relpath: str | None) -> tuple[Spec | None, str, Hit | None]:
    """The recorded document, a note when the spec-based rules cannot run, and a validity hit when the
    file is not a JSON object."""
    if relpath is None:
        return None, ("no OpenAPI document recorded (run `backend-orchestrator scan --mode dynamic`): "
                      "the spec-based rules were skipped"), None
    path = (root / relpath).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None, (f"the recorded OpenAPI document {relpath} is missing (rescan with `--mode dynamic`): "
                      "the spec-based rules were skipped"), None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"the recorded OpenAPI document {relpath} is not JSON", Hit(
            "AD014", f"{relpath} is not valid JSON ({exc}); regenerate it with `backend-orchestrator scan "
            "--mode dynamic`.", "The OpenAPI document is not JSON", relpath, getattr(exc, "lineno", None),
            subject="OpenAPI document")
    if not isinstance(document, dict):
        return None, f"the recorded OpenAPI document {relpath} is not an object", Hit(
            "AD014", f"{relpath} holds a JSON {type(document).__name__}, not an OpenAPI document; regenerate it.",
            "The OpenAPI document is not an object", relpath, None, subject="OpenAPI document")
    return Spec.of(relpath, document), "", None


def _anchor(spec: Spec, by_key: dict[tuple[str, str], Endpoint], parts: list[Any]) -> tuple[str, int | None]:
    """The handler of the operation a JSON path points into, else the document."""
    if len(parts) >= 3 and parts[0] == "paths" and isinstance(parts[2], str):
        endpoint = by_key.get((parts[2].upper(), normalize(str(parts[1]))))
        if endpoint is not None:
            return endpoint.file, endpoint.line
    return spec.relpath, None


def validity(spec: Spec, endpoints: list[Endpoint]) -> tuple[list[Hit], list[dict[str, str]]]:
    """AD014: every error openapi-spec-validator reports (iter_errors), and an unresolvable `$ref`, which the
    validator raises instead of yielding (gate-tooling §2). Also the raw errors, for the evidence file."""
    import os

    # openapi-spec-validator switches to jsonschema-rs (other messages) when it is installed, as schemathesis
    # installs it; pin the backend before its lazy validators are built so findings do not depend on that.
    os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
    from openapi_spec_validator.shortcuts import get_validator_cls
    from openapi_spec_validator.validation.exceptions import ValidatorDetectError
    from referencing.exceptions import Unresolvable

    by_key = {(e.method, normalize(e.path)): e for e in endpoints}
    hits: list[Hit] = []
    raw: list[dict[str, str]] = []
    try:
        validator = get_validator_cls(spec.document)(spec.document)
        for error in validator.iter_errors():
            json_path = str(getattr(error, "json_path", "$"))
            message = str(error.message)[:300]
            raw.append({"json_path": json_path, "message": message})
            path, line = _anchor(spec, by_key, list(error.absolute_path))
            hits.append(Hit("AD014", f"The OpenAPI document is invalid at {json_path}: {message}. Fix the route "
                            "declaration (or the custom openapi()) that produces it.",
                            f"Invalid OpenAPI at {json_path}", path, line, evidence=json_path,
                            subject=f"OpenAPI {json_path}: {message}"))
    except ValidatorDetectError:
        raw.append({"json_path": "$", "message": "no supported openapi/swagger version"})
        hits.append(Hit("AD014", f"{spec.relpath} declares no supported `openapi` (3.0, 3.1, 3.2) or `swagger` "
                        "(2.0) version; regenerate it from the app.", "The OpenAPI version is missing",
                        spec.relpath, None, evidence="$.openapi", subject="OpenAPI version"))
    except Unresolvable as exc:
        ref = str(getattr(exc, "ref", "")) or "a $ref"
        raw.append({"json_path": "$ref", "message": f"unresolvable {ref}"})
        hits.append(Hit("AD014", f"The OpenAPI document refers to {ref!r}, which does not exist; declare the "
                        "schema or fix the reference.", f"Unresolvable $ref {ref}"[:120], spec.relpath, None,
                        evidence=ref, subject=f"OpenAPI $ref {ref}"))
    return hits, raw


def _documented(responses: dict[str, Any], code: int) -> bool:
    return str(code) in responses or f"{str(code)[0]}XX" in responses or "default" in responses


def error_responses(spec: Spec, endpoints: list[Endpoint]) -> list[Hit]:
    """AD008: error statuses a handler raises but its operation does not document, and operations taking
    input that document no 4xx at all."""
    hits = []
    for ep in endpoints:
        op = spec.operation(ep)
        if op is None:
            continue
        responses = op.body.get("responses")
        responses = responses if isinstance(responses, dict) else {}
        missing = [c for c in ep.status_codes if c >= 400 and not _documented(responses, c)]
        takes_input = bool(op.parameters) or "requestBody" in op.body
        no_4xx = takes_input and not any(str(k).startswith("4") or k == "default" for k in responses)
        if not (missing or no_4xx):
            continue
        said = (f"raises {', '.join(map(str, missing))} but documents "
                f"{', '.join(sorted(map(str, responses))) or 'no responses'}" if missing
                else "takes parameters or a body but documents no 4xx response")
        hits.append(Hit("AD008", f"{ep.ref} {said}; list every error status it can return in "
                        "`responses={...: {\"model\": Problem}}` so consumers know the error surface.",
                        f"Undocumented error responses on {ep.ref}", ep.file, ep.line, evidence=ep.ref,
                        endpoint=ep.ref))
    return hits


def _shape(spec: Spec, response: Any) -> tuple[str, ...] | None:
    response = spec.resolve(response)
    content = response.get("content") if isinstance(response, dict) else None
    if not isinstance(content, dict) or not content:
        return None
    media = content.get("application/problem+json") or content.get("application/json") or next(iter(content.values()))
    schema = spec.resolve(media.get("schema")) if isinstance(media, dict) else None
    if not isinstance(schema, dict):
        return None
    props = schema.get("properties")
    if isinstance(props, dict):
        return tuple(sorted(props))
    return (str(schema["type"]),) if "type" in schema else None  # allOf/anyOf/...: not compared


def error_shapes(spec: Spec, endpoints: list[Endpoint], handlers_at: str | None) -> list[Hit]:
    """AD011: documented 4xx/5xx bodies in more than one shape (compared by their property names), unless
    the app registers exception handlers that give every error one shape at run time."""
    if handlers_at is not None:
        return []
    by_key = {(e.method, normalize(e.path)): e for e in endpoints}
    uses: dict[tuple[str, ...], list[tuple[str, int | None, str]]] = {}
    for key, op in sorted(spec.operations.items()):
        responses = op.body.get("responses")
        for code, response in sorted((responses if isinstance(responses, dict) else {}).items()):
            if str(code)[0] in "45" or code == "default":
                shape = _shape(spec, response)
                if shape is not None:
                    ep = by_key.get(key)
                    where = (ep.file, ep.line) if ep else (spec.relpath, None)
                    uses.setdefault(shape, []).append((*where, f"{code} of {op.method} {op.path}"))
    if len(uses) < 2:
        return []
    counts = Counter({shape: len(sites) for shape, sites in uses.items()})
    common = max(counts, key=lambda s: (counts[s], s))
    odd = min((site for shape, sites in uses.items() if shape != common for site in sites),
              key=lambda s: (s[0], s[1] or 0, s[2]))
    listed = "; ".join(f"{{{', '.join(shape)}}} ({sites[0][2]}{', ...' if len(sites) > 1 else ''})"
                       for shape, sites in sorted(uses.items(), key=lambda kv: -len(kv[1])))
    return [Hit("AD011", f"Documented error responses use {len(uses)} different shapes: {listed}. Return every "
                "error in one shape (RFC 9457 problem details) through exception handlers registered for "
                "HTTPException, RequestValidationError and domain errors.",
                f"{len(uses)} error response shapes", odd[0], odd[1], evidence=odd[2],
                subject="error response shapes")]


def _secured(spec: Spec, op: Operation) -> bool:
    requirement = op.body.get("security", spec.document.get("security"))
    return isinstance(requirement, list) and any(isinstance(r, dict) and r for r in requirement)


def auth_declared(spec: Spec, endpoints: list[Endpoint], app: tuple[str | None, int | None]) -> list[Hit]:
    """AD013: protected endpoints whose operation carries no `security` requirement, and a document
    without `components.securitySchemes` while endpoints are protected."""
    hits = []
    protected = [(ep, op) for ep in endpoints if ep.auth and (op := spec.operation(ep)) is not None]
    components = spec.document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    if protected and not schemes:
        verb = "endpoints require" if len(protected) > 1 else "endpoint requires"
        hits.append(Hit("AD013", f"{len(protected)} {verb} authentication, but the OpenAPI document declares no "
                        "`components.securitySchemes`; authenticate through FastAPI security classes "
                        "(OAuth2PasswordBearer, HTTPBearer, APIKeyHeader) so the contract says how to log in.",
                        "No security schemes in the OpenAPI document", app[0] or spec.relpath, app[1],
                        subject="OpenAPI security schemes"))
    for ep, op in protected:
        if not _secured(spec, op):
            hits.append(Hit("AD013", f"{ep.ref} requires {', '.join(ep.auth)} but its operation declares no "
                            "`security` requirement; depend on a FastAPI security class (directly or inside "
                            f"{ep.auth[0]}) so the document marks it as protected.",
                            f"Authentication not declared on {ep.ref}", ep.file, ep.line, evidence=ep.ref,
                            endpoint=ep.ref))
    return hits


def query_paginated(op: Operation) -> bool:
    return any(p.get("in") == "query" and p.get("name") in PAGE_PARAMS for p in op.parameters)


def documents_429(spec: Spec) -> str | None:
    for op in spec.operations.values():
        responses = op.body.get("responses")
        if isinstance(responses, dict) and "429" in responses:
            return f"{op.method} {op.path}"
    return None


def returns_array(spec: Spec, op: Operation) -> bool:
    """Whether the operation's success response is a JSON array."""
    responses = op.body.get("responses")
    for code, response in (responses if isinstance(responses, dict) else {}).items():
        if str(code).startswith("2"):
            content = spec.resolve(response).get("content") if isinstance(spec.resolve(response), dict) else None
            for media in (content if isinstance(content, dict) else {}).values():
                schema = spec.resolve(media.get("schema")) if isinstance(media, dict) else None
                if isinstance(schema, dict) and schema.get("type") == "array":
                    return True
    return False
