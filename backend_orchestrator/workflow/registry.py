"""Registries on disk: scanning the code into them, reading and querying them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from ..contracts.registry import Endpoint, EndpointRegistry, Model, ModelRegistry, ServiceRegistry
from ..contracts.tools import RegistryPage, ScanChanges, ScanResult
from ..errors import InvalidArgument, invalid_choice
from ..state import Project
from ..state.paths import confined, relative
from ..state.store import REGISTRIES
from .paging import paginate

_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "endpoints": ("endpoints", EndpointRegistry), "models": ("models", ModelRegistry),
    "services": ("services", ServiceRegistry),
}
R = TypeVar("R", bound=BaseModel)


@dataclass
class Registries:
    endpoints: EndpointRegistry
    models: ModelRegistry
    services: ServiceRegistry

    def endpoint(self, ref: str) -> Endpoint | None:
        from ..discovery import normalize_path

        method, _, path = ref.partition(" ")
        wanted = normalize_path(path.rstrip("/") or "/")
        for ep in self.endpoints.endpoints:
            if ep.method == method and normalize_path(ep.path.rstrip("/") or "/") == wanted:
                return ep
        return None

    def model(self, name: str) -> Model | None:
        lowered = name.lower()
        return next((m for m in self.models.models if lowered in (m.name.lower(), m.table.lower())), None)


def _keys(kind: str, registry: Any) -> dict[str, str]:
    """Stable identity -> content fingerprint, to tell added/removed/changed entries apart."""
    if kind == "endpoints":
        items = {f"{e.method} {e.path}": e for e in registry.endpoints}
    elif kind == "models":
        items = {f"model {m.name}": m for m in registry.models}
    else:
        items = {f"service {s.name}": s for s in registry.services}
    return {k: json.dumps(v.model_dump(mode="json"), sort_keys=True) for k, v in items.items()}


def scan_project(project: Project, path: str = ".") -> ScanResult:
    """Rebuild the registries from the code (static discovery) and say what changed."""
    from ..discovery import scan

    target = confined(project.root, path)
    if not target.is_dir():
        raise InvalidArgument(f"path {path!r} is not a folder inside the project")
    found = scan(project.root, project.config, None if target == project.root else [target])
    store = project.store
    changes = ScanChanges()
    written = []
    with store.locked():
        for kind, new in (("endpoints", found.endpoints), ("models", found.models),
                          ("services", found.services)):
            file = store.registry_path(kind)
            schema, model = _FILES[kind]
            before = _keys(kind, store.read(file, schema, model)) if file.exists() else {}
            after = _keys(kind, new)
            changes.added += sorted(set(after) - set(before))
            changes.removed += sorted(set(before) - set(after))
            changes.changed += sorted(k for k in set(after) & set(before) if after[k] != before[k])
            store.write(file, schema, new)
            written.append(relative(project.root, file))
    unresolved = [f"{u.file}:{u.line}: {u.reason}" for reg in (found.endpoints, found.models, found.services)
                  for u in reg.unresolved]
    return ScanResult(
        mode=found.endpoints.mode, framework=found.endpoints.framework,
        endpoints=len(found.endpoints.endpoints), models=len(found.models.models),
        services=len(found.services.services), migrations_head=found.models.migrations.head,
        unresolved=unresolved, changes=changes, files=written,
    )


def load_registries(project: Project, *, scan_if_missing: bool = True) -> tuple[Registries, bool]:
    """The registries, scanning first when none exist yet. Returns (registries, scanned_now)."""
    store = project.store
    scanned = False
    if scan_if_missing and not store.registry_path("endpoints").exists():
        scan_project(project)
        scanned = True
    def load(kind: str, model: type[R]) -> R:
        file = store.registry_path(kind)
        return store.read(file, kind, model) if file.exists() else model()

    return Registries(load("endpoints", EndpointRegistry), load("models", ModelRegistry),
                      load("services", ServiceRegistry)), scanned


def query_registry(project: Project, registry: str, query: str = "", cursor: str | None = None,
                   limit: int = 50) -> RegistryPage:
    """A page of registry entries whose text contains every word of ``query``."""
    if registry not in REGISTRIES:
        raise invalid_choice("registry", registry, REGISTRIES)
    paginate([], cursor, limit)  # check the paging arguments before reading anything
    regs, _ = load_registries(project)
    entries: dict[str, list[Any]] = {"endpoints": regs.endpoints.endpoints, "models": regs.models.models,
                                     "services": regs.services.services}
    items: list[dict[str, Any]] = [item.model_dump(mode="json") for item in entries[registry]]
    words = query.lower().split()
    if words:
        items = [i for i in items if all(w in json.dumps(i).lower() for w in words)]
    page, nxt = paginate(items, cursor, limit)
    return RegistryPage(registry=registry, items=page, total=len(items), next_cursor=nxt)

