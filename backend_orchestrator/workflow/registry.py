"""Registries on disk: scanning the code into them, reading and querying them."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from ..config import target_python
from ..contracts.registry import Endpoint, EndpointRegistry, Model, ModelRegistry, ServiceRegistry
from ..contracts.scan import RegistryPage, ScanChanges, ScanResult
from ..errors import InvalidArgument, invalid_choice
from ..state import Project
from ..state.paths import confined, relative
from ..state.store import REGISTRIES
from .paging import paginate

if TYPE_CHECKING:
    from ..discovery import Discovery
    from ..discovery.dynamic import Dynamic

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


MODES = ("auto", "static", "dynamic")
OPENAPI_FILE = "openapi.json"


def scan_project(project: Project, path: str = ".", mode: str = "auto") -> ScanResult:
    """Rebuild the registries from the code and say what changed.

    ``mode``: ``static`` reads the code only; ``dynamic`` imports the app in a subprocess with the
    target's interpreter (an error when it does not import); ``auto`` imports when it can and falls
    back to static, saying why in ``mode_reason``. Models and services always come from the static
    scan (Django models from the import too); the configured database is introspected read-only.
    A ``path`` below the root rescans that folder only: entries elsewhere are kept as they were.
    """
    from ..discovery.dynamic import database, discover, drift

    if mode not in MODES:
        raise invalid_choice("mode", mode, MODES)
    root, config, store = project.root, project.config, project.store
    target = confined(root, path)
    if not target.is_dir():
        raise InvalidArgument(f"path {path!r} is not a folder inside the project")
    keep = _under(root, target)
    found = _static_scan(project, None if target == root else [target])
    folder = store.artifacts("project", "scan")
    with ThreadPoolExecutor(max_workers=1) as pool:  # the database is read while the app is imported
        reading = pool.submit(database.introspect, root, config.database_url, target_python(root, config),
                              folder=folder, timeout=config.timeouts.discovery_s) if config.database_url else None
        dynamic, reason = discover(root, config, found.endpoints, mode=mode, folder=folder,
                                   log_shown=relative(root, folder / "probe.log"), keep=keep)
        live = reading.result() if reading else None
    # copies: the static engine may keep what it returned in its cache. Shallow ones are enough:
    # what follows replaces the registries' fields (mode_reason, models, database, drift, ...) and
    # never changes an entry or a list in place
    regs = Registries(dynamic.endpoints if dynamic else found.endpoints.model_copy(),
                      found.models.model_copy(), found.services.model_copy())
    regs.endpoints.mode_reason = reason
    if dynamic and dynamic.models:  # Django's, from the app registry
        names = {m.name for m in dynamic.models}
        regs.models.models = sorted([*dynamic.models, *(m for m in regs.models.models if m.name not in names)],
                                    key=lambda m: (m.name, m.file))
    regs.models.database = live
    with store.locked():
        changes, written = _record(project, regs, dynamic, keep, partial=target != root)
    unresolved = [f"{u.file}:{u.line}: {u.reason}" for reg in (regs.endpoints, regs.models, regs.services)
                  for u in reg.unresolved]
    return ScanResult(
        mode=regs.endpoints.mode, mode_reason=reason, framework=regs.endpoints.framework,
        endpoints=len(regs.endpoints.endpoints), models=len(regs.models.models),
        services=len(regs.services.services), migrations_head=regs.models.migrations.head,
        openapi=regs.endpoints.openapi, database=database.summary(live), unresolved=unresolved,
        drift=drift.lines(regs.endpoints.drift + regs.models.drift), changes=changes, files=written,
    )


def _record(project: Project, regs: Registries, dynamic: Dynamic | None, keep: Callable[[str], bool],
            *, partial: bool) -> tuple[ScanChanges, list[str]]:
    """Under the lock: merge a folder rescan into the previous registries, record the OpenAPI document,
    compute drift, write the registries. Returns the changes and the files written."""
    from ..discovery.dynamic import drift

    root, store = project.root, project.store
    before = {kind: _previous(project, kind) for kind in _FILES}
    if partial:  # what lies outside the rescanned folder stays as it was
        for kind in _FILES:
            _keep_outside(getattr(regs, kind), before[kind], keep)
    written = []
    doc_file = store.path(OPENAPI_FILE)
    document = dynamic.openapi if dynamic else None
    if document is not None:
        store.write_json(doc_file, None, document)
        written.append(relative(root, doc_file))
    elif doc_file.is_file():  # keep the last recorded document: static drift is measured against it
        document = _read_document(doc_file)
    regs.endpoints.openapi = relative(root, doc_file) if document is not None else None
    regs.endpoints.drift = drift.endpoint_drift(
        regs.endpoints.endpoints, document, before["endpoints"].endpoints, root, source=OPENAPI_FILE,
        external=dynamic.external_routes if dynamic else None)
    regs.models.drift = drift.model_drift(regs.models.models, regs.models.database,
                                          dynamic.external_tables if dynamic else set())
    changes = ScanChanges()
    for kind in _FILES:
        new = getattr(regs, kind)
        if new != before[kind]:
            old, after = _keys(kind, before[kind]), _keys(kind, new)
            changes.added += sorted(set(after) - set(old))
            changes.removed += sorted(set(old) - set(after))
            changes.changed += sorted(k for k in set(after) & set(old) if after[k] != old[k])
        store.write(store.registry_path(kind), _FILES[kind][0], new)  # left alone when unchanged
        written.append(relative(root, store.registry_path(kind)))
    return changes, sorted(written)


def _static_scan(project: Project, paths: list[Path] | None) -> Discovery:
    """The static engine, with its parse cache kept between processes under ai-state (git-ignored)."""
    from ..discovery import scan

    return scan(project.root, project.config, paths, cache_dir=project.store.dir / ".cache" / "discovery")


def _under(root: Path, folder: Path) -> Callable[[str], bool]:
    """Whether a root-relative file lies in ``folder``."""
    prefix = "" if folder == root else relative(root, folder)
    return lambda file: not prefix or file == prefix or file.startswith(prefix + "/")


def _previous(project: Project, kind: str) -> Any:
    """The registry on disk (the store's own object: only read, never changed), else an empty one."""
    store = project.store
    file = store.registry_path(kind)
    schema, model = _FILES[kind]
    return store.read(file, schema, model, copy=False) if file.exists() else model()


def _keep_outside(new: Any, old: Any, keep: Callable[[str], bool]) -> None:
    """Add to ``new`` the entries and notes of ``old`` that lie outside the rescanned folder."""
    from ..discovery.dynamic.convert import method_order

    name = next(n for n in ("endpoints", "models", "services") if hasattr(new, n))
    items = [*getattr(new, name), *(i for i in getattr(old, name) if not keep(i.file))]
    order = (lambda e: (e.path, method_order(e.method), e.handler, e.line)) if name == "endpoints" else \
        (lambda e: (e.name, e.file))
    setattr(new, name, sorted(items, key=order))
    notes = {(u.file, u.line, u.reason): u for u in [*new.unresolved, *(u for u in old.unresolved if not keep(u.file))]}
    new.unresolved = [notes[k] for k in sorted(notes)]


def _read_document(file: Path) -> dict[str, Any] | None:
    """The recorded OpenAPI document; None when it is unreadable (it is rewritten by the next dynamic scan)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def load_registries(project: Project, *, scan_if_missing: bool = True, copy: bool = True) -> tuple[Registries, bool]:
    """The registries, scanning first when none exist yet. Returns (registries, scanned_now).

    ``copy=False`` returns the store's cached objects (the same ones while the files are unchanged):
    for readers that never mutate them."""
    store = project.store
    scanned = False
    if scan_if_missing and not store.registry_path("endpoints").exists():
        scan_project(project)
        scanned = True
    def load(kind: str, model: type[R]) -> R:
        file = store.registry_path(kind)
        return store.read(file, kind, model, copy=copy) if file.exists() else model()

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

