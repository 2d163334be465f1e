"""The probe's JSON turned into registry entries: paths relative to the root, OpenAPI-style paths,
code outside the project left out, and the facts only static discovery has kept."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...contracts.common import HTTP_METHODS
from ...contracts.registry import Column, Endpoint, Index, Model, Relation, Unresolved
from .. import normalize_path

_CONVERTER = re.compile(r"\{(\w+):[^{}]*\}")
_VERSION = re.compile(r"^v\d+$")


def relative(root: Path, file: object) -> str | None:
    """``file`` relative to ``root`` (POSIX), or None when it is not a file inside the project."""
    if not isinstance(file, str) or not file:
        return None
    path = Path(file).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def method_order(method: str) -> int:
    return HTTP_METHODS.index(method) if method in HTTP_METHODS else len(HTTP_METHODS)


def endpoints(data: dict[str, Any], root: Path, keep: Callable[[str], bool]
              ) -> tuple[list[Endpoint], list[Unresolved], set[tuple[str, str]]]:
    """Endpoints of the probed app whose handlers are project files under the scanned folder; notes;
    and the (METHOD, normalized path) of the routes served by code outside the project."""
    app_file = relative(root, data.get("app_file")) or ""
    notes = [Unresolved(file=relative(root, n.get("file")) or app_file, line=int(n.get("line") or 0),
                        reason=str(n["reason"])) for n in data.get("notes", [])]
    found: dict[tuple[str, str], Endpoint] = {}
    outside: Counter[str] = Counter()
    external: set[tuple[str, str]] = set()
    for route in data.get("routes", []):
        file = relative(root, route.get("file"))
        if file is None:  # framework internals (docs, admin, static files): not the project's code
            outside[str(route.get("handler", "?")).split(".", 1)[0].split(":", 1)[0]] += 1
            external.update((m, normalize_path(_CONVERTER.sub(r"{\1}", "/" + route["path"].lstrip("/"))))
                            for m in route["methods"])
            continue
        if not keep(file):
            continue
        path = _CONVERTER.sub(r"{\1}", route["path"] if route["path"].startswith("/") else "/" + route["path"])
        for method in route["methods"]:
            if method not in HTTP_METHODS:
                notes.append(Unresolved(file=file, line=route["line"],
                                        reason=f"method {method!r} of {path} is not an HTTP method we list"))
                continue
            found.setdefault((method, path), Endpoint(
                method=method, path=path, version=next((s for s in path.split("/") if _VERSION.match(s)), None),
                summary=route.get("summary") or "", handler=route["handler"], file=file, line=route["line"],
                auth=route.get("auth") or [], request_model=route.get("request_model"),
                response_model=route.get("response_model"), status_codes=route.get("status_codes") or [],
                path_params=route.get("path_params") or [], tags=route.get("tags") or [],
                hidden=not route.get("include_in_schema", True),
            ))
    notes += [Unresolved(file=app_file, line=0, reason=f"{count} route(s) served by {package} (outside the "
                         "project) are not listed") for package, count in sorted(outside.items())
              if data.get("framework") == "django"]
    result = sorted(found.values(), key=lambda e: (e.path, method_order(e.method), e.handler, e.line))
    return result, notes, external


def enrich(dynamic: list[Endpoint], static: list[Endpoint], framework: str) -> list[Endpoint]:
    """Keep what only static discovery knows: raised status codes, a body model, a summary — and for
    Flask and Django, whose routes carry no dependency graph, the auth static discovery found."""
    by_ref = {(e.method, normalize_path(e.path)): e for e in static}
    by_handler = {(e.method, e.handler): e for e in static}
    out = []
    for endpoint in dynamic:
        known = by_ref.get((endpoint.method, normalize_path(endpoint.path))) or \
            by_handler.get((endpoint.method, endpoint.handler))
        if known is None:
            out.append(endpoint)
            continue
        update: dict[str, Any] = {
            "status_codes": sorted({*endpoint.status_codes, *known.status_codes}),
            "summary": endpoint.summary or known.summary,
            "request_model": endpoint.request_model or known.request_model,
            "response_model": endpoint.response_model or known.response_model,
        }
        if framework != "fastapi":
            update["auth"] = endpoint.auth or known.auth
            update["tags"] = endpoint.tags or known.tags
        out.append(endpoint.model_copy(update=update))
    return out


def models(data: dict[str, Any], root: Path, keep: Callable[[str], bool]) -> tuple[list[Model], set[str]]:
    """Django models defined in the project, and the tables of the others (django.contrib, ...)."""
    found, external = [], set()
    for model in data.get("models", []):
        file = relative(root, model.get("file"))
        if file is None:
            external.add(str(model["table"]))
            continue
        if not keep(file):
            continue
        found.append(Model(
            name=model["name"], table=model["table"], file=file, line=model["line"],
            columns=[Column(**c) for c in model["columns"]], indexes=[Index(**i) for i in model["indexes"]],
            relations=[Relation(**r) for r in model["relations"]],
        ))
    return sorted(found, key=lambda m: (m.name, m.file)), external
