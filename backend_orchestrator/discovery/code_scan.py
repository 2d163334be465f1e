"""The registries the source files determine: routes of every framework, models and services.

`scan_code` parses the files (through the in-process cache of `files.py`), indexes their names,
and runs each analyser over the index. The framework reported is the one with an app object; when
both or neither have one, the one with more routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..contracts.config import ProjectConfig
from ..contracts.registry import Endpoint, EndpointRegistry, ModelRegistry, ServiceRegistry, Unresolved
from . import Discovery, django_urls, endpoints, fastapi_routes, files, flask_endpoints, flask_routes
from .analysis import unique
from .models import scan_models
from .services import scan_services
from .symbols import ProjectIndex

Framework = Literal["fastapi", "flask", "django", "unknown"]


def scan_code(
    root: Path,
    config: ProjectConfig,
    found: list[Path],
    problems: list[Unresolved],
    contents: Mapping[Path, bytes] | None = None,
) -> Discovery:
    """The registries the source files determine (the models' `migrations` left empty).

    `contents`: files already read (to hash them), parsed from those bytes rather than read again."""
    sources = files.load(root, found, contents)
    index = ProjectIndex(sources)
    broken = [
        Unresolved(file=s.rel, line=s.error_line, reason=f"not scanned: {s.error}")
        for s in sources
        if s.tree is None
    ]
    problems = problems + broken

    fastapi_found = fastapi_routes.collect(index)
    fastapi_list, fastapi_problems = endpoints.build(index, fastapi_found, config.auth_dependencies)
    flask_found = flask_routes.collect(index, config.auth_dependencies)
    flask_list, flask_problems = flask_endpoints.build(index, flask_found)
    django_found = django_urls.collect(index)
    model_list, model_problems, model_resolved = scan_models(index)
    service_list = scan_services(index)

    framework = _framework(
        _Usage(
            any(r.kind == "app" for r in fastapi_found.routers),
            len(fastapi_list),
            bool(fastapi_found.routers),
        ),
        _Usage(any(n.kind == "app" for n in flask_found.nodes), len(flask_list), bool(flask_found.nodes)),
    )
    if django_found.urlconfs and (framework == "unknown" or len(django_found.endpoints) > len(fastapi_list) + len(
            flask_list)):
        framework = "django"
    return Discovery(
        endpoints=EndpointRegistry(
            framework=framework,
            mode="static",
            endpoints=_sorted_endpoints([*fastapi_list, *flask_list, *django_found.endpoints]),
            unresolved=unique(
                problems
                + fastapi_found.unresolved
                + fastapi_problems
                + flask_found.unresolved
                + flask_problems
                + django_found.unresolved
            ),
            resolved=[*fastapi_found.resolved, *flask_found.resolved],
        ),
        models=ModelRegistry(models=model_list, unresolved=unique(problems + model_problems), resolved=model_resolved),
        services=ServiceRegistry(services=service_list, unresolved=unique(problems)),
    )


@dataclass(frozen=True)
class _Usage:
    """How a framework shows up in the code."""

    has_app: bool  # an app object (FastAPI(), Flask()) is created
    endpoints: int
    used: bool  # any app, router or blueprint is created


def _framework(fastapi: _Usage, flask: _Usage) -> Framework:
    """The framework with an app object; when both or neither have one, the one with more routes."""
    if not (fastapi.used and flask.used):
        return "fastapi" if fastapi.used else "flask" if flask.used else "unknown"
    if fastapi.has_app != flask.has_app:
        return "fastapi" if fastapi.has_app else "flask"
    return "flask" if flask.endpoints > fastapi.endpoints else "fastapi"


def _sorted_endpoints(items: list[Endpoint]) -> list[Endpoint]:
    unique = {(e.method, e.path, e.handler): e for e in items}
    return sorted(
        unique.values(), key=lambda e: (e.path, endpoints.method_order(e.method), e.handler, e.line)
    )
