"""Static discovery: endpoints, models and services of the target, read with `ast`, never imported.

`scan(root, config)` parses the backend's files (`config.source`, else every `.py` outside tests,
migrations, virtualenvs, build output and hidden folders) and returns three registries. What it
cannot resolve statically (a prefix from settings, an include inside `if`, a syntax error, ...) is
listed in each registry's `unresolved`, never guessed. Parsed files are cached by content hash for
the life of the process, so a rescan only reparses what changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..contracts.config import ProjectConfig
from ..contracts.registry import EndpointRegistry, ModelRegistry, ServiceRegistry, Unresolved
from . import endpoints, fastapi_routes, files
from .alembic_head import scan_migrations
from .services import scan_services
from .sqlalchemy_models import scan_models
from .symbols import ProjectIndex

__all__ = ["Discovery", "normalize_path", "scan"]

_PARAM = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Discovery:
    """The three registries of one static scan."""

    endpoints: EndpointRegistry
    models: ModelRegistry
    services: ServiceRegistry


def normalize_path(path: str) -> str:
    """`/products/{product_id}` -> `/products/{}`, so paths match whatever the parameters are called."""
    return _PARAM.sub("{}", path)


def scan(root: Path, config: ProjectConfig, paths: list[Path] | None = None) -> Discovery:
    """Discover the target's endpoints, models and services statically.

    `root` is the project root; `paths` (inside it) restricts the results to files under those
    folders, while the whole backend is still read so that prefixes and imports resolve.
    """
    root = root.resolve()
    found, problems = files.source_paths(root, config.source)
    sources = files.load(root, found)
    index = ProjectIndex(sources)
    broken = [
        Unresolved(file=s.rel, line=s.error_line, reason=f"not scanned: {s.error}")
        for s in sources
        if s.tree is None
    ]
    problems = problems + broken

    collected = fastapi_routes.collect(index)
    endpoint_list, endpoint_problems = endpoints.build(index, collected, config.auth_dependencies)
    model_list, model_problems = scan_models(index)
    migrations, migration_problems = scan_migrations(root, config.alembic_config)
    service_list = scan_services(index)

    keep = _filter(root, paths)
    return Discovery(
        endpoints=EndpointRegistry(
            framework="fastapi" if collected.routers else "unknown",
            mode="static",
            endpoints=[e for e in endpoint_list if keep(e.file)],
            unresolved=_unresolved(problems + collected.unresolved + endpoint_problems, keep),
        ),
        models=ModelRegistry(
            models=[m for m in model_list if keep(m.file)],
            migrations=migrations,
            unresolved=_unresolved(problems + model_problems, keep, always=migration_problems),
        ),
        services=ServiceRegistry(
            services=[s for s in service_list if keep(s.file)],
            unresolved=_unresolved(problems, keep),
        ),
    )


def _filter(root: Path, paths: list[Path] | None) -> Callable[[str], bool]:
    """Whether a root-relative file is under one of `paths` (everything when `paths` is empty)."""
    if not paths:
        return lambda _file: True
    prefixes = []
    for path in paths:
        absolute = (path if path.is_absolute() else root / path).resolve()
        rel = absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else None
        if rel is not None:
            prefixes.append("" if rel == "." else rel)

    def keep(file: str) -> bool:
        return any(not p or file == p or file.startswith(p + "/") for p in prefixes)

    return keep


def _unresolved(
    items: list[Unresolved], keep: Callable[[str], bool], always: list[Unresolved] | None = None
) -> list[Unresolved]:
    """`items` under the requested paths, plus `always` (project-wide), deduplicated and sorted."""
    unique = {(u.file, u.line, u.reason): u for u in [*(u for u in items if keep(u.file)), *(always or [])]}
    return [unique[k] for k in sorted(unique)]
