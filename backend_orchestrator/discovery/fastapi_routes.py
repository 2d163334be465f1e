"""FastAPI apps, routers, their routes and the include_router/mount edges between them.

`collect(index)` reads every scanned module, and the body of every top-level function (app
factories), for `x = FastAPI(...)` / `x = APIRouter(prefix=..., ...)`, route decorators
(`@x.get(...)`, `@x.api_route(..., methods=[...])`), `x.add_api_route(...)`, `x.include_router(...)`
and `x.mount(path, sub_app)`. What it cannot read literally becomes an Unresolved; `endpoints.py`
turns the resulting graph into Endpoint records.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import partial

from ..contracts.common import HTTP_METHODS
from ..contracts.registry import Unresolved
from . import literals
from .dependencies import Dep, dependency_list
from .scopes import RouteCollector, Scope, admit_route, scopes
from .symbols import ModuleInfo, ProjectIndex, dotted, walk_statements

_DECORATORS = frozenset({m.lower() for m in HTTP_METHODS} | {"api_route"})

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(eq=False)
class Options:
    """What a router, an include_router call or a route contributes to the routes below it."""

    prefix: str = ""
    tags: list[str] = field(default_factory=list)
    deps: list[Dep] = field(default_factory=list)
    hidden: bool = False
    responses: list[int] = field(default_factory=list)


@dataclass(eq=False)
class Route:
    methods: list[str]
    path: str
    func: FuncDef
    func_module: str  # where the handler is defined
    call: ast.Call  # the decorator or add_api_route call, for its keyword arguments
    options: Options


@dataclass(eq=False)
class Include:
    child: Router
    options: Options
    file: str
    line: int
    blocked: bool = False  # inside a loop: not followed


@dataclass(eq=False)
class Router:
    module: str
    scope: str  # "" at module level, else the app factory's name
    name: str
    kind: str  # "app" | "router"
    file: str
    line: int
    options: Options
    routes: list[Route] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.module}:{self.scope}.{self.name}" if self.scope else f"{self.module}:{self.name}"


@dataclass
class Collected:
    routers: list[Router]
    unresolved: list[Unresolved]
    unresolved_includes: int = 0  # include_router calls whose app/router is unknown


def collect(index: ProjectIndex) -> Collected:
    collector = _Collector(index)
    found = [scope for info in index.modules.values() for scope in scopes(info)]
    for scope in found:
        collector.find_routers(scope)
    for scope in found:
        collector.find_routes(scope)
    return Collected(list(collector.routers.values()), collector.unresolved, collector.unresolved_includes)


def _imports_fastapi(info: ModuleInfo) -> bool:
    return any(imp.module.split(".")[0] == "fastapi" for imp in info.imports.values())


def _route_decorator(dec: ast.expr) -> tuple[ast.Call, ast.Attribute] | None:
    """(call, `x.get`) for a decorator `@x.get(...)`/`@x.api_route(...)`, else None."""
    if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr in _DECORATORS:
        return dec, dec.func
    return None


class _Collector(RouteCollector):
    APPS = frozenset({"FastAPI"})
    CONTAINERS = frozenset({"APIRouter"})
    CONTAINER_KIND = "router"

    def __init__(self, index: ProjectIndex) -> None:
        super().__init__(index)
        self.routers: dict[tuple[str, str, str], Router] = {}
        self.unresolved_includes = 0

    # -- apps and routers --------------------------------------------------------------------

    def find_routers(self, scope: Scope) -> None:
        for stmt, conditional, loop in walk_statements(scope.body):
            value: ast.expr | None
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            elif isinstance(stmt, ast.AnnAssign):
                target, value = stmt.target, stmt.value
            else:
                continue
            if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
                continue
            kind = self._kind(scope, value.func)
            if kind is None:
                continue
            key, label = (scope.info.name, scope.name, target.id), f"{kind} {scope.label(target.id)}"
            if loop:
                self.note(scope, stmt.lineno, f"{label} is built in a loop; its routes are not resolved")
                continue
            if key in self.routers:
                self.note(scope, stmt.lineno, f"{label} is created more than once; the first is used")
                continue
            if conditional:
                self.note(scope, stmt.lineno, f"{label} is created inside a conditional block")
            options = self._options(scope, value, stmt.lineno, label, prefix=kind == "router")
            self.routers[key] = Router(
                scope.info.name, scope.name, target.id, kind, scope.file, stmt.lineno, options
            )

    def _options(self, scope: Scope, call: ast.Call, line: int, what: str, prefix: bool = True) -> Options:
        """prefix, tags, dependencies, include_in_schema and responses of a router/include/route call."""
        options = Options(tags=literals.strings(literals.keyword(call, "tags")) or [])
        prefix_node = literals.keyword(call, "prefix") if prefix else None
        if prefix_node is not None:
            value = literals.string(prefix_node)
            if value is None:
                self.note(
                    scope,
                    line,
                    f"prefix {literals.source(prefix_node)} of {what} is not a string literal; "
                    "the routes below it are listed without it",
                )
            options.prefix = value or ""
        deps_node = literals.keyword(call, "dependencies")
        deps = dependency_list(self.index, scope.info.name, deps_node)
        if deps is None and deps_node is not None:
            self.note(
                scope,
                line,
                f"dependencies={literals.source(deps_node)} of {what} is not a literal list; "
                "its auth dependencies are unknown",
            )
        options.deps = deps or []
        hidden_node = literals.keyword(call, "include_in_schema")
        if hidden_node is not None and literals.boolean(hidden_node) is None:
            self.note(scope, line, f"include_in_schema of {what} is not a literal; assumed visible")
        options.hidden = literals.boolean(hidden_node) is False
        options.responses = self._response_codes(scope.info.name, literals.keyword(call, "responses"))
        return options

    def _response_codes(self, module: str, node: ast.expr | None, depth: int = 0) -> list[int]:
        """Status-code keys of a `responses={...}` dict literal (or of a module-level dict it names)."""
        if isinstance(node, ast.Name) and depth < 3:
            ref = self.index.resolve(module, node)
            bound = self.index.binding(ref)
            if ref is not None and bound is not None and isinstance(bound.node, ast.expr):
                return self._response_codes(ref.module, bound.node, depth + 1)
        if not isinstance(node, ast.Dict):
            return []
        codes: list[int] = []
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # {**COMMON_RESPONSES, 404: ...}
                codes.extend(self._response_codes(module, value, depth + 1))
            elif (code := literals.status_code(key)) is not None:
                codes.append(code)
        return codes

    def find(self, scope: Scope, expr: ast.expr | None) -> Router | None:
        """The app or router `expr`, written in `scope`, refers to."""
        if expr is None:
            return None
        module = scope.info.name
        if isinstance(expr, ast.Name) and scope.name:
            if (module, scope.name, expr.id) in self.routers:
                return self.routers[(module, scope.name, expr.id)]
            if expr.id in scope.local_names:
                return None
        ref = scope.resolve(self.index, expr)
        if ref is not None and ref.kind == "local":
            return self.routers.get((ref.module, "", ref.name))
        if isinstance(expr, ast.Attribute) and expr.attr == "router":  # app.router is the app's own router
            owner = self.find(scope, expr.value)
            return owner if owner is not None and owner.kind == "app" else None
        return None

    # -- routes and edges --------------------------------------------------------------------

    def find_routes(self, scope: Scope) -> None:
        for stmt, conditional, loop in walk_statements(scope.body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in stmt.decorator_list:
                    if (parts := _route_decorator(dec)) is not None:
                        self._decorator(scope, stmt, *parts, conditional, loop)
            elif isinstance(stmt, ast.ClassDef):
                self._class_based_view(scope, stmt)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                if not isinstance(call.func, ast.Attribute):
                    continue
                if call.func.attr == "include_router":
                    self._include(scope, call, call.func.value, conditional, loop)
                elif call.func.attr == "add_api_route":
                    self._add_api_route(scope, call, call.func.value, conditional, loop)
                elif call.func.attr == "mount":
                    self._mount(scope, call, call.func.value, conditional, loop)

    def _decorator(
        self, scope: Scope, func: FuncDef, dec: ast.Call, attr: ast.Attribute, conditional: bool, loop: bool
    ) -> None:
        router = self.find(scope, attr.value)
        where = f"@{dotted(attr)} on {func.name}"
        if router is None:
            if _imports_fastapi(scope.info):
                self.note(
                    scope,
                    dec.lineno,
                    f"{where}: {dotted(attr.value)} is not a FastAPI app or APIRouter "
                    "found in the scanned code",
                )
            return
        path = literals.string(literals.keyword(dec, "path", 0))
        methods: list[str] | None = [attr.attr.upper()]
        if attr.attr == "api_route":
            methods_node = literals.keyword(dec, "methods")
            methods = literals.strings(methods_node) if methods_node is not None else ["GET"]
        if path is None or methods is None:
            self.note(scope, dec.lineno, f"{where}: the path or methods are not literals; not resolved")
            return
        options = self._options(scope, dec, dec.lineno, where, prefix=False)
        route = Route([m.upper() for m in methods], path, func, scope.info.name, dec, options)
        self._add(scope, router, route, dec.lineno, conditional, loop)

    def _add(
        self, scope: Scope, router: Router, route: Route, line: int, conditional: bool, loop: bool
    ) -> None:
        what = f"route {'/'.join(route.methods)} {route.path!r} ({route.func.name})"
        methods = admit_route(partial(self.note, scope), what, route.methods, line, conditional=conditional, loop=loop)
        if methods is not None:
            route.methods = methods
            router.routes.append(route)

    def _class_based_view(self, scope: Scope, node: ast.ClassDef) -> None:
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in stmt.decorator_list:
                    parts = _route_decorator(dec)
                    if parts is not None and self.find(scope, parts[1].value) is not None:
                        self.note(
                            scope,
                            dec.lineno,
                            f"route {node.name}.{stmt.name} is a method of a class-based "
                            "view; not resolved statically",
                        )

    def _add_api_route(
        self, scope: Scope, call: ast.Call, owner: ast.expr, conditional: bool, loop: bool
    ) -> None:
        router = self.find(scope, owner)
        path = literals.string(literals.keyword(call, "path", 0))
        func, func_module = self._function(scope, literals.keyword(call, "endpoint", 1))
        methods_node = literals.keyword(call, "methods")
        methods = literals.strings(methods_node) if methods_node is not None else ["GET"]
        if router is None or path is None or func is None or methods is None:
            self.note(
                scope,
                call.lineno,
                f"{dotted(call.func)}(...) is not resolved statically: non-literal "
                "path or methods, or a router or handler not found in the scanned code",
            )
            return
        options = self._options(scope, call, call.lineno, f"{dotted(call.func)}({path!r})", prefix=False)
        route = Route([m.upper() for m in methods], path, func, func_module, call, options)
        self._add(scope, router, route, call.lineno, conditional, loop)

    def _function(self, scope: Scope, expr: ast.expr | None) -> tuple[FuncDef | None, str]:
        """The handler function `expr` names, and the module it is defined in."""
        if expr is None:
            return None, scope.info.name
        if scope.name and isinstance(expr, ast.Name):  # a handler defined inside the app factory
            for stmt in scope.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == expr.id:
                    return stmt, scope.info.name
        ref = scope.resolve(self.index, expr)
        return self.index.function_def(ref), ref.module if ref is not None else scope.info.name

    def _include(self, scope: Scope, call: ast.Call, owner: ast.expr, conditional: bool, loop: bool) -> None:
        parent = self.find(scope, owner)
        node = literals.keyword(call, "router", 0)
        child = self.find(scope, node)
        what = f"include_router({dotted(node) if node is not None else ''})"
        if parent is None or child is None:
            self.unresolved_includes += 1
            unknown = dotted(owner) if parent is None else dotted(node) if node is not None else "(missing)"
            self.note(
                scope,
                call.lineno,
                f"{what} on {dotted(owner)}: {unknown} is not a FastAPI app or "
                "APIRouter found in the scanned code; not resolved",
            )
            return
        options = self._options(scope, call, call.lineno, what)
        if loop:
            self.note(scope, call.lineno, f"{what} is called in a loop; not resolved")
        elif conditional:
            self.note(
                scope,
                call.lineno,
                f"{what} is inside a conditional block; the routes of {child.label} "
                "exist only when the condition holds",
            )
        parent.includes.append(Include(child, options, scope.file, call.lineno, blocked=loop))

    def _mount(self, scope: Scope, call: ast.Call, owner: ast.expr, conditional: bool, loop: bool) -> None:
        parent, child = self.find(scope, owner), self.find(scope, literals.keyword(call, "app", 1))
        if child is None or parent is None or child.kind != "app":
            return  # StaticFiles, a WSGI app, ...: not FastAPI routes
        path = literals.string(literals.keyword(call, "path", 0))
        what = f"mount of {child.label}"
        if path is None:
            self.note(
                scope,
                call.lineno,
                f"path of the {what} is not a string literal; the routes below it are listed without it",
            )
        if loop:
            self.note(scope, call.lineno, f"{what} is in a loop; not resolved")
        elif conditional:
            self.note(scope, call.lineno, f"{what} is inside a conditional block")
        parent.includes.append(
            Include(child, Options(prefix=path or ""), scope.file, call.lineno, blocked=loop)
        )
