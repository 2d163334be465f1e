"""Static discovery: endpoints, models and services of the target, read with `ast`, never imported.

`scan(root, config)` parses the backend's files (`config.source`, else every `.py` outside tests,
migrations, virtualenvs, build output and hidden folders) and returns three registries: FastAPI and
Flask routes, SQLAlchemy / SQLModel / Flask-SQLAlchemy models and tables, Alembic heads, and the
services the code sets up. Values a reader of the code resolves are resolved (`values.py`): settings
class defaults, module constants, environment defaults, f-strings and concatenations, the branch of an
`if` the defaults select, a table name a `declared_attr` derives; each is listed in the registry's
`resolved` with the `file:line` it came from. What it cannot resolve statically (a prefix read from the
environment without a default, an `if` on something only known at run time, a syntax error, ...) is
listed in each registry's `unresolved`, never guessed.

Parsed files are cached by content hash for the life of the process, so a rescan only reparses what
changed. With `cache_dir`, the whole result is also kept on disk with the content hash of every
file it was built from: a scan in a new process whose files are unchanged reads it back instead of
parsing anything (see `cache.py`).
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..contracts.config import ProjectConfig
from ..contracts.registry import EndpointRegistry, ModelRegistry, ServiceRegistry

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


def scan(
    root: Path, config: ProjectConfig, paths: list[Path] | None = None, *, cache_dir: Path | None = None
) -> Discovery:
    """Discover the target's endpoints, models and services statically.

    `root` is the project root; `paths` (inside it) restricts the results to files under those
    folders, while the whole backend is still read so that prefixes and imports resolve.
    `cache_dir` (a git-ignored folder, e.g. `<root>/ai-state/active/backend/.cache/discovery`)
    keeps the result between processes; a missing, stale or corrupt cache is rebuilt, never fatal.
    """
    from .analysis import analyse

    root = root.resolve()
    with _collector_paused():
        if cache_dir is None:
            found = analyse(root, config)
        else:
            from .cache import cached_analysis

            found = cached_analysis(root, config, cache_dir)
    if not paths:
        return found.discovery
    return found.restrict(_filter(root, paths))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the length of a scan.

    A scan allocates some 10^5 short-lived, acyclic objects (syntax trees, records), and the
    collector's passes over them cost about a third of a cold scan. Reference counting still frees
    them; only cycle detection waits. It is resumed afterwards, if it was running before.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


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
