"""Flask apps, blueprints, their routes and the register_blueprint edges between them.

`collect(index, auth_names)` reads every scanned module, and the body of every top-level function
(app factories), for `x = Flask(...)` / `x = Blueprint(name, __name__, url_prefix=...)`, route
decorators (`@x.route(rule, methods=[...])`, Flask 2's `@x.get(rule)`), `x.add_url_rule(rule,
endpoint, view_func, methods=...)` (the views it registers: `flask_views.py`),
`x.register_blueprint(bp, url_prefix=...)` and `@x.before_request` guards. `app = create_app()`
stands for the app the factory builds. An authenticating decorator (`@login_required`,
`@jwt_required()`, ...) counts only below the route decorator, where it wraps the registered view.
What cannot be read literally becomes an Unresolved; `flask_endpoints.py` builds the Endpoints.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import partial

from ..contracts.registry import Unresolved
from . import literals
from .flask_views import Views
from .scopes import RouteCollector, Scope, admit_route, scopes
from .symbols import ModuleInfo, ProjectIndex, dotted, walk_statements

APPS = frozenset({"Flask", "APIFlask"})
BLUEPRINTS = frozenset({"Blueprint", "APIBlueprint"})
_SHORTCUTS = frozenset({"get", "post", "put", "patch", "delete"})
_BLUEPRINT_PREFIX_POSITION = (
    5  # Blueprint(name, import_name, static_folder, static_url_path, template_folder, url_prefix)
)

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(eq=False)
class FlaskRoute:
    methods: list[str]
    rule: str
    func: FuncDef
    module: str  # where the view is defined
    handler: str  # module:function, or module:Class.method for class-based views
    auth: list[str]


@dataclass(eq=False)
class Registration:
    child: FlaskNode
    url_prefix: str | None  # None: the blueprint's own url_prefix
    file: str
    line: int
    blocked: bool = False  # in a loop: not followed


@dataclass(eq=False)
class FlaskNode:
    module: str
    scope: str
    name: str
    kind: str  # "app" | "blueprint"
    file: str
    line: int
    url_prefix: str | None
    routes: list[FlaskRoute] = field(default_factory=list)
    registrations: list[Registration] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)  # before_request functions that authenticate

    @property
    def label(self) -> str:
        return f"{self.module}:{self.scope}.{self.name}" if self.scope else f"{self.module}:{self.name}"


@dataclass
class FlaskCollected:
    nodes: list[FlaskNode]
    unresolved: list[Unresolved]
    unresolved_registrations: int = 0


def collect(index: ProjectIndex, auth_names: list[str]) -> FlaskCollected:
    collector = _Collector(index, frozenset(auth_names))
    if not any(_imports_flask(info) for info in index.modules.values()):
        return FlaskCollected([], [])
    found = [scope for info in index.modules.values() for scope in scopes(info)]
    for scope in found:
        collector.find_nodes(scope)
    if collector.nodes:
        for scope in found:  # `app = create_app()` anywhere, e.g. in wsgi.py
            collector.find_aliases(scope)
        for scope in found:
            collector.find_routes(scope)
    unique = list({id(n): n for n in collector.nodes.values()}.values())
    return FlaskCollected(unique, collector.unresolved, collector.unresolved_registrations)


def _imports_flask(info: ModuleInfo) -> bool:
    return any(imp.module.split(".")[0] in ("flask", "apiflask") for imp in info.imports.values())


def _assignment(stmt: ast.stmt) -> tuple[ast.Name, ast.Call] | None:
    """(`x`, `call`) for `x = call(...)` / `x: T = call(...)`."""
    target: ast.expr
    value: ast.expr | None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign):
        target, value = stmt.target, stmt.value
    else:
        return None
    return (target, value) if isinstance(target, ast.Name) and isinstance(value, ast.Call) else None


class _Collector(RouteCollector):
    APPS = APPS
    CONTAINERS = BLUEPRINTS
    CONTAINER_KIND = "blueprint"

    def __init__(self, index: ProjectIndex, extra_auth: frozenset[str]) -> None:
        super().__init__(index)
        self.views = Views(index, extra_auth)
        self.nodes: dict[tuple[str, str, str], FlaskNode] = {}
        self.unresolved_registrations = 0

    # -- apps and blueprints -------------------------------------------------------------------

    def find_nodes(self, scope: Scope) -> None:
        for stmt, conditional, loop in walk_statements(scope.body):
            assigned = _assignment(stmt)
            if assigned is None or (kind := self._kind(scope, assigned[1].func)) is None:
                continue
            (target, call), key = assigned, (scope.module, scope.name, assigned[0].id)
            label = f"{kind} {scope.label(target.id)}"
            if loop:
                self.note(scope, stmt.lineno, f"{label} is built in a loop; its routes are not resolved")
                continue
            if key in self.nodes:
                self.note(scope, stmt.lineno, f"{label} is created more than once; the first is used")
                continue
            if conditional:
                self.note(scope, stmt.lineno, f"{label} is created inside a conditional block")
            prefix = None
            if kind == "blueprint":
                prefix = self._prefix(
                    scope, literals.keyword(call, "url_prefix", _BLUEPRINT_PREFIX_POSITION), label
                )
            self.nodes[key] = FlaskNode(
                scope.module, scope.name, target.id, kind, scope.file, stmt.lineno, prefix
            )

    def _prefix(self, scope: Scope, node: ast.expr | None, what: str) -> str | None:
        """A literal url_prefix; "" (and an Unresolved) when it is not a literal; None when absent."""
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return None
        value = literals.string(node)
        if value is None:
            self.note(
                scope,
                node.lineno,
                f"url_prefix {literals.source(node)} of {what} is not a string literal; "
                "the routes below it are listed without it",
            )
        return value or ""

    def find_aliases(self, scope: Scope) -> None:
        """`app = create_app()`: the name stands for the app the factory returns."""
        for stmt, _, loop in walk_statements(scope.body):
            assigned = _assignment(stmt)
            if assigned is None or loop:
                continue
            target, call = assigned
            ref = scope.resolve(self.index, call.func)
            factory = self.index.function_def(ref)
            if (scope.module, scope.name, target.id) in self.nodes or factory is None or ref is None:
                continue
            returned = next(
                (
                    s.value
                    for s in ast.walk(factory)
                    if isinstance(s, ast.Return) and isinstance(s.value, ast.Name)
                ),
                None,
            )
            node = self.nodes.get((ref.module, factory.name, returned.id)) if returned is not None else None
            if node is not None and node.kind == "app":
                self.nodes[(scope.module, scope.name, target.id)] = node

    def find(self, scope: Scope, expr: ast.expr | None) -> FlaskNode | None:
        """The app or blueprint `expr`, written in `scope`, refers to."""
        if expr is None:
            return None
        if isinstance(expr, ast.Name):
            if (scope.module, scope.name, expr.id) in self.nodes:
                return self.nodes[(scope.module, scope.name, expr.id)]
            if scope.name and expr.id in scope.local_names:
                return None
        ref = scope.resolve(self.index, expr)
        if ref is not None and ref.kind == "local":
            return self.nodes.get((ref.module, "", ref.name))
        return None

    # -- routes, registrations, guards ---------------------------------------------------------

    def find_routes(self, scope: Scope) -> None:
        for stmt, conditional, loop in walk_statements(scope.body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self._decorated(scope, stmt, conditional, loop)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                if not isinstance(call.func, ast.Attribute):
                    continue
                if call.func.attr == "register_blueprint":
                    self._register(scope, call, call.func.value, conditional, loop)
                elif call.func.attr == "add_url_rule":
                    self._add_url_rule(scope, call, call.func.value, conditional, loop)
                elif call.func.attr == "before_request" and call.args:
                    self._guard(scope, call.func.value, call.args[0])

    def _decorated(self, scope: Scope, func: FuncDef, conditional: bool, loop: bool) -> None:
        decorators = func.decorator_list
        for position, dec in enumerate(decorators):
            if isinstance(dec, ast.Attribute) and dec.attr == "before_request":
                self._guard(scope, dec.value, ast.Name(func.name))
                continue
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                continue
            attr = dec.func
            if attr.attr != "route" and attr.attr not in _SHORTCUTS:
                continue
            node = self.find(scope, attr.value)
            where = f"@{dotted(attr)} on {func.name}"
            if node is None:
                if attr.attr == "route" and _imports_flask(scope.info):
                    self.note(
                        scope,
                        dec.lineno,
                        f"{where}: {dotted(attr.value)} is not a Flask app or blueprint "
                        "found in the scanned code",
                    )
                continue
            rule = literals.string(literals.keyword(dec, "rule", 0))
            methods = self._methods(dec) if attr.attr == "route" else [attr.attr.upper()]
            if rule is None or methods is None:
                self.note(scope, dec.lineno, f"{where}: the rule or methods are not literals; not resolved")
                continue
            auth = self.views.auth(scope, decorators[position + 1 :], partial(self._is_route, scope))
            for above in decorators[:position]:
                if (name := self.views.auth_name(scope, above)) is not None and not self._is_route(
                    scope, above
                ):
                    self.note(
                        scope,
                        above.lineno,
                        f"@{name} is above {where}: it wraps the function after the route is registered, "
                        "so it does not protect the route",
                    )
            route = FlaskRoute(methods, rule, func, scope.module, f"{scope.module}:{func.name}", auth)
            self._add(scope, node, route, dec.lineno, conditional, loop)

    def _is_route(self, scope: Scope, dec: ast.expr) -> bool:
        return (
            isinstance(dec, ast.Call)
            and isinstance(dec.func, ast.Attribute)
            and (dec.func.attr == "route" or dec.func.attr in _SHORTCUTS)
            and self.find(scope, dec.func.value) is not None
        )

    def _methods(self, call: ast.Call) -> list[str] | None:
        node = literals.keyword(call, "methods")
        methods = literals.strings(node) if node is not None else ["GET"]
        return [m.upper() for m in methods] if methods is not None else None

    def _add(
        self, scope: Scope, node: FlaskNode, route: FlaskRoute, line: int, conditional: bool, loop: bool
    ) -> None:
        what = f"route {'/'.join(route.methods)} {route.rule!r} ({route.handler.rpartition(':')[2]})"
        methods = admit_route(partial(self.note, scope), what, route.methods, line, conditional=conditional, loop=loop)
        if methods is not None:
            route.methods = methods
            node.routes.append(route)

    def _add_url_rule(
        self, scope: Scope, call: ast.Call, owner: ast.expr, conditional: bool, loop: bool
    ) -> None:
        node = self.find(scope, owner)
        rule = literals.string(literals.keyword(call, "rule", 0))
        view = literals.keyword(call, "view_func", 2)
        methods_node = literals.keyword(call, "methods")
        methods = literals.strings(methods_node) if methods_node is not None else None
        views = self.views.of(scope, view, [m.upper() for m in methods] if methods is not None else None)
        if node is None or rule is None or not views or (methods_node is not None and methods is None):
            if node is not None or _imports_flask(scope.info):
                self.note(
                    scope,
                    call.lineno,
                    f"{dotted(call.func)}(...) is not resolved statically: non-literal rule or methods, or an "
                    "app, blueprint or view function not found in the scanned code",
                )
            return
        for view_ in views:
            route = FlaskRoute(view_.methods, rule, view_.func, view_.module, view_.handler, view_.auth)
            self._add(scope, node, route, call.lineno, conditional, loop)

    def _register(self, scope: Scope, call: ast.Call, owner: ast.expr, conditional: bool, loop: bool) -> None:
        parent = self.find(scope, owner)
        target = literals.keyword(call, "blueprint", 0)
        child = self.find(scope, target)
        what = f"register_blueprint({dotted(target) if target is not None else ''})"
        if parent is None or child is None:
            self.unresolved_registrations += 1
            unknown = (
                dotted(owner) if parent is None else dotted(target) if target is not None else "(missing)"
            )
            self.note(
                scope,
                call.lineno,
                f"{what} on {dotted(owner)}: {unknown} is not a Flask app or blueprint "
                "found in the scanned code; not resolved",
            )
            return
        prefix = self._prefix(scope, literals.keyword(call, "url_prefix"), what)
        if loop:
            self.note(scope, call.lineno, f"{what} is called in a loop; not resolved")
        elif conditional:
            self.note(
                scope,
                call.lineno,
                f"{what} is inside a conditional block; the routes of {child.label} exist "
                "only when the condition holds",
            )
        parent.registrations.append(Registration(child, prefix, scope.file, call.lineno, blocked=loop))

    def _guard(self, scope: Scope, owner: ast.expr, func: ast.expr) -> None:
        """`@bp.before_request def require_login(): ...`: an auth guard for every route below `bp`."""
        node = self.find(scope, owner)
        if node is not None and (name := self.views.auth_name(scope, func)) is not None:
            node.guards.append(name)
