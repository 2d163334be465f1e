"""FastAPI apps, routers, their routes and the include_router/mount edges between them.

`collect(index)` reads every scanned module, and the body of every top-level function (app
factories), for `x = FastAPI(...)` / `x = APIRouter(prefix=..., ...)`, route decorators
(`@x.get(...)`, `@x.api_route(..., methods=[...])`), `x.add_api_route(...)`, `x.include_router(...)`
(Cadwyn's `generate_and_include_versioned_routers(...)` too) and `x.mount(path, sub_app)`. Prefixes and
paths that are not literals are resolved when a reader could (`values.py`: settings defaults,
constants, ...) and recorded in `resolved`; apps made by factories and by methods
(`app.mount("/auth", manager.get_app())`) and passed to functions are followed (`scopes.RouteCollector`),
and `if`/`else` around routes and includes is settled as it describes. What stays unknown becomes an
Unresolved; `endpoints.py` turns the resulting graph into Endpoint records.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..contracts.common import HTTP_METHODS
from ..contracts.registry import Resolved, Unresolved
from . import literals
from .dependencies import Dep, dependency_list
from .scopes import Decision, Guard, RouteCollector, Scope, admit_route, scopes
from .symbols import ModuleInfo, ProjectIndex, dotted, statements

_DECORATORS = frozenset({m.lower() for m in HTTP_METHODS} | {"api_route"})
_INCLUDES = frozenset({"include_router", "generate_and_include_versioned_routers"})

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
    not_taken: str = ""  # why it is not followed: a branch the defaults do not select, or an alternative


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
    resolved: list[Resolved] = field(default_factory=list)


def collect(index: ProjectIndex) -> Collected:
    collector = _Collector(index)
    found = [scope for info in index.modules.values() for scope in scopes(info)]
    found = collector.with_methods(found)  # methods a call reaches: `manager.get_app()`
    for scope in found:
        collector.find_routers(scope)
    if collector.routers:
        collector.link(found)
        for scope in found:
            collector.find_routes(scope)
    collector.finish()
    routers = list({id(r): r for r in collector.routers.values()}.values())
    return Collected(routers, collector.unresolved, collector.unresolved_includes, collector.resolved)


def _imports_fastapi(info: ModuleInfo) -> bool:
    return any(imp.module.split(".")[0] == "fastapi" for imp in info.imports.values())


def _route_decorator(dec: ast.expr) -> tuple[ast.Call, ast.Attribute] | None:
    """(call, `x.get`) for a decorator `@x.get(...)`/`@x.api_route(...)`, else None."""
    if isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr in _DECORATORS:
        return dec, dec.func
    return None


class _Collector(RouteCollector):
    APPS = frozenset({"FastAPI", "Cadwyn"})  # Cadwyn: versioned FastAPI apps
    CONTAINERS = frozenset({"APIRouter", "VersionedAPIRouter"})
    CONTAINER_KIND = "router"
    REGISTERING = frozenset({*_INCLUDES, "add_api_route", "mount", "api_route"})

    def __init__(self, index: ProjectIndex) -> None:
        super().__init__(index)
        self.routers: dict[tuple[str, str, str], Router] = {}
        self.unresolved_includes = 0

    @property
    def table(self) -> dict[tuple[str, str, str], Any]:
        return self.routers

    # -- apps and routers --------------------------------------------------------------------

    def find_routers(self, scope: Scope) -> None:
        for stmt, conditional, loop in statements(scope.info.source, scope.body):
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
            self.routers[key] = Router(scope.info.name, scope.name, target.id, kind, scope.file, stmt.lineno, options)

    def _options(self, scope: Scope, call: ast.Call, line: int, what: str, prefix: bool = True) -> Options:
        """prefix, tags, dependencies, include_in_schema and responses of a router/include/route call."""
        options = Options(tags=literals.strings(literals.keyword(call, "tags")) or [])
        prefix_node = literals.keyword(call, "prefix") if prefix else None
        if prefix_node is not None:
            value, why = self.text(scope, prefix_node, line)
            if value is None:
                self.note(
                    scope,
                    line,
                    f"prefix {literals.source(prefix_node)} of {what} is not resolved statically ({why}); "
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
        if isinstance(expr, ast.Call):
            found: Router | None = self.returned(scope, expr)
            return found
        module = scope.info.name
        if isinstance(expr, ast.Name):
            if (module, scope.name, expr.id) in self.routers:
                return self.routers[(module, scope.name, expr.id)]
            if scope.name and expr.id in scope.local_names:
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
        """Only a scope with a statement that may add routes (`registers`; a class: a class-based view)
        has anything for `statement` to read."""
        found = statements(scope.info.source, scope.body)  # the statements `walk` visits, as a list
        if any(isinstance(s, ast.ClassDef) or self.registers(s) for s, _, _ in found):
            super().find_routes(scope)

    def describe(self, stmt: ast.stmt) -> str | None:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr in (*_INCLUDES, "mount"):
                text = literals.source(stmt.value)
                return text if len(text) <= 120 else text[:117] + "..."
        return None

    def statement(self, scope: Scope, stmt: ast.stmt, guards: tuple[Guard, ...], loop: bool) -> None:
        if isinstance(stmt, ast.ClassDef):
            self._class_based_view(scope, stmt)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = [parts for dec in stmt.decorator_list if (parts := _route_decorator(dec)) is not None]
            if decorators:
                decision = self.decide(scope, guards)
                for dec, attr in decorators:
                    self._decorator(scope, stmt, dec, attr, decision, loop)
        elif self.registers(stmt):
            assert isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            call = stmt.value
            assert isinstance(call.func, ast.Attribute)
            owner, method = call.func.value, call.func.attr
            decision = self.decide(scope, guards)
            if method == "include_router":
                self._include(scope, call, owner, literals.keyword(call, "router", 0), guards, decision, loop)
            elif method == "generate_and_include_versioned_routers":  # Cadwyn
                for node in call.args:
                    self._include(scope, call, owner, node, guards, decision, loop, prefix=False)
            elif method == "add_api_route":
                self._add_api_route(scope, call, owner, decision, loop)
            elif method == "mount":
                self._mount(scope, call, owner, guards, decision, loop)

    def _decorator(
        self, scope: Scope, func: FuncDef, dec: ast.Call, attr: ast.Attribute, decision: Decision, loop: bool
    ) -> None:
        router = self.find(scope, attr.value)
        where = f"@{dotted(attr)} on {func.name}"
        if router is None:
            if _imports_fastapi(scope.info):
                self.note(
                    scope,
                    dec.lineno,
                    f"{where}: {dotted(attr.value)} is not a FastAPI app or APIRouter found in the scanned code",
                )
            return
        path_node = literals.keyword(dec, "path", 0)
        path, why = self.text(scope, path_node, dec.lineno) if path_node is not None else (None, "no path")
        methods: list[str] | None = [attr.attr.upper()]
        if attr.attr == "api_route":
            methods_node = literals.keyword(dec, "methods")
            methods = self.texts(scope, methods_node, dec.lineno) if methods_node is not None else ["GET"]
        if path is None or methods is None:
            shown = literals.source(path_node) if path_node is not None else ""
            reason = (
                f"the path {shown} does not resolve statically ({why})"
                if path is None
                else "the methods are not literals"
            )
            self.note(scope, dec.lineno, f"{where}: {reason}; not resolved")
            return
        options = self._options(scope, dec, dec.lineno, where, prefix=False)
        route = Route([m.upper() for m in methods], path, func, scope.info.name, dec, options)
        self._add(scope, router, route, dec.lineno, decision, loop)

    def _add(self, scope: Scope, router: Router, route: Route, line: int, decision: Decision, loop: bool) -> None:
        what = f"route {'/'.join(route.methods)} {route.path!r} ({route.func.name})"
        self.site(scope, decision, f"{what} (line {line})")
        if not self.taken(scope, decision, what, line):
            return
        methods = admit_route(
            partial(self.note, scope), what, route.methods, line, conditional=decision.conditional, loop=loop
        )
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
                            f"route {node.name}.{stmt.name} is a method of a class-based view; not resolved statically",
                        )

    def _add_api_route(self, scope: Scope, call: ast.Call, owner: ast.expr, decision: Decision, loop: bool) -> None:
        router = self.find(scope, owner)
        path_node = literals.keyword(call, "path", 0)
        path = self.text(scope, path_node, call.lineno)[0] if path_node is not None else None
        func, func_module = self._function(scope, literals.keyword(call, "endpoint", 1))
        methods_node = literals.keyword(call, "methods")
        methods = self.texts(scope, methods_node, call.lineno) if methods_node is not None else ["GET"]
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
        self._add(scope, router, route, call.lineno, decision, loop)

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

    def _include(
        self,
        scope: Scope,
        call: ast.Call,
        owner: ast.expr,
        node: ast.expr | None,
        guards: tuple[Guard, ...],
        decision: Decision,
        loop: bool,
        prefix: bool = True,
    ) -> None:
        parent = self.find(scope, owner)
        child = self.find(scope, node)
        method = call.func.attr if isinstance(call.func, ast.Attribute) else "include_router"
        what = f"{method}({dotted(node) if node is not None else ''})"
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
        self.site(scope, decision, f"{what} (line {call.lineno})")
        not_taken = self._not_taken(scope, decision, call.lineno, what)
        options = self._options(scope, call, call.lineno, what, prefix=prefix) if not not_taken else Options()
        if loop:
            self.note(scope, call.lineno, f"{what} is called in a loop; not resolved")
        elif decision.conditional and not not_taken:
            self.note(
                scope,
                call.lineno,
                f"{what} is inside a conditional block; the routes of {child.label} "
                f"exist only when the condition holds{self.alternatives(scope, decision, guards)}",
            )
        parent.includes.append(Include(child, options, scope.file, call.lineno, blocked=loop, not_taken=not_taken))

    def _not_taken(self, scope: Scope, decision: Decision, line: int, what: str) -> str:
        """Why an include/mount is not followed (a branch not selected, an alternative); "" if it is."""
        if decision.excluded is not None:
            return (
                f"`if {literals.source(decision.excluded.test)}` (line {decision.excluded.lineno}) does not select it"
            )
        if decision.alternative is not None:
            self.alternative_note(scope, line, what, decision)
            return f"it is an alternative in a later branch of `if` (line {decision.alternative.lineno})"
        return ""

    def _mount(
        self, scope: Scope, call: ast.Call, owner: ast.expr, guards: tuple[Guard, ...], decision: Decision, loop: bool
    ) -> None:
        parent, child = self.find(scope, owner), self.find(scope, literals.keyword(call, "app", 1))
        if child is None or parent is None or child.kind != "app":
            return  # StaticFiles, a WSGI app, ...: not FastAPI routes
        what = f"mount of {child.label}"
        self.site(scope, decision, f"{what} (line {call.lineno})")
        not_taken = self._not_taken(scope, decision, call.lineno, what)
        path_node = literals.keyword(call, "path", 0)
        path, why = self.text(scope, path_node, call.lineno) if path_node is not None and not not_taken else ("", "")
        if path is None:
            self.note(
                scope,
                call.lineno,
                f"path of the {what} is not resolved statically ({why}); the routes below it are listed without it",
            )
        if loop:
            self.note(scope, call.lineno, f"{what} is in a loop; not resolved")
        elif decision.conditional and not not_taken:
            self.note(
                scope, call.lineno, f"{what} is inside a conditional block{self.alternatives(scope, decision, guards)}"
            )
        parent.includes.append(
            Include(child, Options(prefix=path or ""), scope.file, call.lineno, blocked=loop, not_taken=not_taken)
        )
