"""One static analysis of the whole backend, before `paths` narrows it down.

`code_scan.scan_code` reads the source files into the three registries (everything but the
migrations); `combine` adds the Alembic migrations, which are read from their own folder.
`analyse` does both. The split lets `cache.py` reuse the code part while no source file changed,
without even importing the analysers.

`settle()` ends an analysis that parsed a large backend: see its docstring.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..contracts.config import ProjectConfig
from ..contracts.registry import Migrations, Unresolved
from . import Discovery, files
from .alembic_head import scan_migrations


@dataclass(frozen=True)
class Analysis:
    """The registries of the whole backend, and the problems that concern the whole project."""

    discovery: Discovery
    project_wide: tuple[Unresolved, ...] = ()  # the migrations': kept whatever `paths` says

    def restrict(self, keep: Callable[[str], bool]) -> Discovery:
        """The entries and unresolved items of files `keep` accepts, plus the project-wide problems."""
        found = self.discovery

        def problems(items: list[Unresolved], always: Iterable[Unresolved] = ()) -> list[Unresolved]:
            wanted = {(u.file, u.line, u.reason) for u in always}
            return [u for u in items if keep(u.file) or (u.file, u.line, u.reason) in wanted]

        return Discovery(
            endpoints=found.endpoints.model_copy(
                update={
                    "endpoints": [e for e in found.endpoints.endpoints if keep(e.file)],
                    "unresolved": problems(found.endpoints.unresolved),
                }
            ),
            models=found.models.model_copy(
                update={
                    "models": [m for m in found.models.models if keep(m.file)],
                    "unresolved": problems(found.models.unresolved, self.project_wide),
                }
            ),
            services=found.services.model_copy(
                update={
                    "services": [s for s in found.services.services if keep(s.file)],
                    "unresolved": problems(found.services.unresolved),
                }
            ),
        )


def analyse(root: Path, config: ProjectConfig) -> Analysis:
    from .code_scan import scan_code

    found, problems = files.source_paths(root, config.source)
    code = scan_code(root, config, found, problems)
    found_all = combine(code, *scan_migrations(root, config.alembic_config))
    settle()
    return found_all


SETTLE_OBJECTS = 100_000


def settle() -> None:
    """Move what a large scan leaves alive out of the garbage collector's sight, once per process.

    The parse cache keeps every syntax tree of the scan (10^5-10^6 objects for a large backend), and
    they are in reference cycles (a file's memoised analyses point back at the file). Left to the
    collector, they would all be traversed by its first passes after the scan and by the collections
    at interpreter exit, which then also free them one by one: measured on a 632-file package, ~2.7 s
    of CPU, four times what parsing them took. `gc.freeze()` moves every tracked object to the
    permanent generation, which no collection visits (nor the exit's); objects outside cycles are
    still freed by reference counting.

    Only when the scan left at least `SETTLE_OBJECTS` new objects (a small scan is not worth it),
    and only while nothing is frozen yet: at most one scan's objects (and the few garbage cycles of
    that moment) stay pinned for the life of the process, and a process that froze objects for its
    own reasons (a pre-fork server) is left alone.
    """
    if gc.get_count()[0] >= SETTLE_OBJECTS and gc.get_freeze_count() == 0:
        gc.freeze()


def combine(code: Discovery, migrations: Migrations, migration_problems: list[Unresolved]) -> Analysis:
    """`code` with the migrations and their problems added."""
    models = code.models.model_copy(
        update={"migrations": migrations, "unresolved": unique(code.models.unresolved + migration_problems)}
    )
    discovery = Discovery(endpoints=code.endpoints, models=models, services=code.services)
    return Analysis(discovery, tuple(migration_problems))


def unique(items: list[Unresolved]) -> list[Unresolved]:
    """Deduplicated and sorted by file, line and reason."""
    found = {(u.file, u.line, u.reason): u for u in items}
    return [found[k] for k in sorted(found)]
