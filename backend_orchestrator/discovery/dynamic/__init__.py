"""Dynamic discovery: the target's app imported in a subprocess with the target's own interpreter.

Never in our process: ``probe.py`` runs with the target's interpreter (config ``python``, else its
``.venv``/``venv``, else ours), imports the app — the configured ``app``, a Django settings module
(config ``django_settings`` or ``manage.py``), or the app static discovery points at — and lists its
real routes: FastAPI through ``iter_route_contexts`` (effective prefixes, router-level
dependencies and ``include_in_schema``), Flask through ``url_map``, Django through the URL resolver
and the app registry (models too). ``discover`` decides the mode:

- ``static``: no import at all;
- ``dynamic``: import, or fail with an error that says why;
- ``auto``: import when there is something to import and it imports, else static — and say why.

Dynamic endpoints keep what only static discovery sees (status codes of raised ``HTTPException``s,
a body model, and for Flask/Django the auth it found); static ``unresolved`` notes about routes are
dropped in dynamic mode, since the import resolved them. ``database.introspect`` reads the
configured database read-only; ``drift`` compares code, OpenAPI document, database and the
previous registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...config import target_python
from ...contracts.config import ProjectConfig
from ...contracts.registry import EndpointRegistry, Model, Unresolved
from ...errors import InvalidArgument
from . import convert
from .runner import ProbeFailed, probe_app, redact
from .target import Target, find_target

__all__ = ["Dynamic", "ProbeFailed", "Target", "discover", "find_target", "redact"]

Mode = Literal["auto", "static", "dynamic"]
MODES: tuple[str, ...] = ("auto", "static", "dynamic")


@dataclass
class Dynamic:
    """What one successful probe found."""

    endpoints: EndpointRegistry
    models: list[Model] = field(default_factory=list)  # Django's; empty for FastAPI and Flask
    external_tables: set[str] = field(default_factory=set)  # tables of models outside the project
    external_routes: set[tuple[str, str]] = field(default_factory=set)  # routes served by libraries
    openapi: dict[str, Any] | None = None


def discover(root: Path, config: ProjectConfig, static: EndpointRegistry, *, mode: str, folder: Path,
             log_shown: str, keep: Callable[[str], bool]) -> tuple[Dynamic | None, str]:
    """(what the probe found, or None for a static scan; the mode_reason)."""
    if mode == "static":
        return None, "static: requested (mode 'static')"
    target = find_target(root, config, static)
    if target is None:
        why = ("no app to import: set `app` (module:attribute) or `django_settings` in "
               "[tool.backend-orchestrator], or define `app = FastAPI()`/`Flask(__name__)` in main.py or app.py")
        if mode == "dynamic":
            raise InvalidArgument(f"mode 'dynamic' needs an app to import; {why}")
        return None, f"static: {why}"
    python = target_python(root, config)
    try:
        data = probe_app(root, python, target, folder=folder, timeout=config.timeouts.discovery_s,
                         auth_names=config.auth_dependencies)
    except ProbeFailed as exc:
        why = f"importing {target} ({target.source}) with {python} failed: {exc} (see {log_shown})"
        if mode == "dynamic":
            raise InvalidArgument(f"mode 'dynamic' failed: {why}; fix the import, or scan with mode 'auto' "
                                  "(falls back to static) or 'static'") from None
        return None, f"static: {why}"
    return _result(data, root, static, keep), f"dynamic: imported {target} ({target.source}) with {python}"


def _result(data: dict[str, Any], root: Path, static: EndpointRegistry, keep: Callable[[str], bool]) -> Dynamic:
    framework = data["framework"]
    endpoints, notes, external = convert.endpoints(data, root, keep)
    if data.get("openapi_error"):
        notes.append(Unresolved(file=convert.relative(root, data.get("app_file")) or "", line=0,
                                reason=f"app.openapi() failed: {data['openapi_error']}"))
    models, external_tables = convert.models(data, root, keep)
    unique = {(u.file, u.line, u.reason): u for u in notes}
    registry = EndpointRegistry(
        framework=framework, mode="dynamic",
        endpoints=convert.enrich(endpoints, static.endpoints, framework),
        unresolved=[unique[k] for k in sorted(unique)],
    )
    document = data.get("openapi")
    return Dynamic(registry, models, external_tables, external, document if isinstance(document, dict) else None)
