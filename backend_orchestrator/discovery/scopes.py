"""Where apps and routers are built: a module's body, and the body of each top-level function.

App factories (`def create_app(): app = Flask(__name__); ...`) build their app, and often import
their blueprints, inside a function. A `Scope` carries that function's own names (parameters,
assignments) and its local imports, so `resolve` finds what a name written there refers to.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from ..contracts.common import HTTP_METHODS
from ..contracts.registry import Unresolved
from .symbols import Import, ModuleInfo, ProjectIndex, Ref, imported_names, last, walk_statements


@dataclass(frozen=True)
class Scope:
    """A module body (`name == ""`), or the body of a top-level function with the names local to it."""

    info: ModuleInfo
    name: str
    body: list[ast.stmt]
    local_names: frozenset[str]
    imports: dict[str, Import] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return self.info.name

    @property
    def file(self) -> str:
        return self.info.source.rel

    def label(self, name: str) -> str:
        return f"{self.info.name}:{self.name}.{name}" if self.name else f"{self.info.name}:{name}"

    def resolve(self, index: ProjectIndex, expr: ast.AST) -> Ref | None:
        return index.resolve(self.module, expr, self.imports)

    def qualname(self, index: ProjectIndex, expr: ast.AST) -> str:
        return index.qualname(self.module, expr, self.imports)


def scopes(info: ModuleInfo) -> list[Scope]:
    """The module's scope and one per top-level function, computed once per file content."""
    return info.source.parsed.memo(("scopes", info.source), partial(_scopes, info))


def _scopes(info: ModuleInfo) -> list[Scope]:
    found = [Scope(info, "", info.tree.body, frozenset())]
    for stmt in info.tree.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = {a.arg for a in (*stmt.args.posonlyargs, *stmt.args.args, *stmt.args.kwonlyargs)}
        names.update(a.arg for a in (stmt.args.vararg, stmt.args.kwarg) if a is not None)
        imports: dict[str, Import] = {}
        for inner, _, _ in walk_statements(stmt.body):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                imports.update((n, imp) for n, imp in imported_names(info.source, inner) if n != "*")
                continue
            targets = inner.targets if isinstance(inner, ast.Assign) else [getattr(inner, "target", None)]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        found.append(Scope(info, stmt.name, stmt.body, frozenset(names - set(imports)), imports))
    return found


def admit_route(note: Callable[[int, str], None], what: str, methods: list[str], line: int, *,
                conditional: bool, loop: bool) -> list[str] | None:
    """The methods a route is recorded with, noting what static discovery cannot vouch for (FastAPI and
    Flask alike); None when the route must not be recorded at all (defined in a loop)."""
    if loop:
        note(line, f"{what} is defined in a loop; not resolved")
        return None
    unknown = [m for m in methods if m not in HTTP_METHODS]
    if unknown:
        note(line, f"{what} uses methods {unknown} that are not recorded")
    if conditional:
        note(line, f"{what} is defined inside a conditional block; it exists only when the condition holds")
    return [m for m in methods if m in HTTP_METHODS]


class RouteCollector:
    """What the FastAPI and Flask route collectors share: the unresolved notes, and telling an app from
    a router/blueprint by the class a call constructs (its name, or a project class deriving from it)."""

    APPS: frozenset[str] = frozenset()
    CONTAINERS: frozenset[str] = frozenset()
    CONTAINER_KIND = ""  # "router" or "blueprint"

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.unresolved: list[Unresolved] = []

    def note(self, scope: Scope, line: int, reason: str) -> None:
        self.unresolved.append(Unresolved(file=scope.file, line=line, reason=reason))

    def _kind(self, scope: Scope, func: ast.expr) -> str | None:
        name = last(scope.qualname(self.index, func))
        ref = scope.resolve(self.index, func)
        if name in self.APPS or self.index.derives_from(ref, self.APPS):
            return "app"
        if name in self.CONTAINERS or self.index.derives_from(ref, self.CONTAINERS):
            return self.CONTAINER_KIND
        return None
