"""Flask apps, blueprints, their routes and the register_blueprint edges between them.

`collect(index, auth_names)` reads every scanned module, and the body of every top-level function
(app factories), for `x = Flask(...)` / `x = Blueprint(name, __name__, url_prefix=...)`, route
decorators (`@x.route(rule, methods=[...])`, Flask 2's `@x.get(rule)`), `x.add_url_rule(rule,
endpoint, view_func, methods=...)` (the views it registers: `flask_views.py`),
`x.register_blueprint(bp, url_prefix=...)` and `@x.before_request` guards. `app = create_app()`
stands for the app the factory builds, `construct_blueprint(...)` for the blueprint it returns, and the
parameter of `register_blueprints(app)` for the app passed to it (`scopes.RouteCollector`).
Flask-RESTful / Flask-RESTX: `api = Api(app_or_blueprint, prefix=...)` (or `api.init_app(app)`),
`api.add_resource(Resource, '/a', '/b')`, `@api.resource('/a')` and `@ns.route('/a')` on a Resource
class, `ns = api.namespace(name, path=...)` / `Namespace(...)` + `api.add_namespace(ns)`: one route
per HTTP method the class defines (`flask_resources.py`). An authenticating decorator
(`@login_required`, `@jwt_required()`, ...) counts only below the route decorator, where it wraps the
registered view. Prefixes and rules that are not literals are resolved where a reader could
(`values.py`) and recorded in `resolved`; `if`/`else` around routes and registrations is settled as
`scopes.py` describes. What stays unknown becomes an Unresolved; `flask_endpoints.py` builds the
Endpoints.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..contracts.registry import Resolved, Unresolved
from . import literals
from .flask_resources import resource_views
from .flask_views import Views
from .scopes import Decision, Guard, RouteCollector, Scope, admit_route, assigned_call, scopes
from .symbols import ModuleInfo, ProjectIndex, dotted, last, statements
from .values import Known, Result, Unknown

APPS = frozenset({"Flask", "APIFlask"})
BLUEPRINTS = frozenset({"Blueprint", "APIBlueprint"})
_RESTFUL = ("flask_restful", "flask_restx", "flask_restplus")
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
    not_taken: str = ""  # why it is not followed: a branch the defaults do not select, or an alternative


@dataclass(eq=False)
class FlaskNode:
    module: str
    scope: str
    name: str
    kind: str  # "app" | "blueprint" | "api" (Flask-RESTful/RESTX Api) | "namespace" (RESTX)
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
    resolved: list[Resolved] = field(default_factory=list)


def collect(index: ProjectIndex, auth_names: list[str]) -> FlaskCollected:
    collector = _Collector(index, frozenset(auth_names))
    if not any(_imports_flask(info) for info in index.modules.values()):
        return FlaskCollected([], [])
    found = [scope for info in index.modules.values() for scope in scopes(info)]
    found = collector.with_methods(found)  # methods a call reaches: `manager.get_app()`
    for scope in found:
        collector.find_nodes(scope)
    if collector.nodes:
        collector.link(found)  # `app = create_app()` anywhere, e.g. in wsgi.py; `register(app)`
        for scope in found:
            collector.find_routes(scope)
    collector.finish()
    unique = list({id(n): n for n in collector.nodes.values()}.values())
    return FlaskCollected(unique, collector.unresolved, collector.unresolved_registrations, collector.resolved)


def _imports_flask(info: ModuleInfo) -> bool:
    return any(imp.module.split(".")[0] in ("flask", "apiflask", *_RESTFUL) for imp in info.imports.values())


class _Collector(RouteCollector):
    APPS = APPS
    CONTAINERS = BLUEPRINTS
    CONTAINER_KIND = "blueprint"
    REGISTERING = frozenset(
        {"route", "register_blueprint", "add_url_rule", "add_resource", "resource", "add_namespace", "namespace"}
    )

    def __init__(self, index: ProjectIndex, extra_auth: frozenset[str]) -> None:
        super().__init__(index)
        self.views = Views(index, extra_auth)
        self.nodes: dict[tuple[str, str, str], FlaskNode] = {}
        self.unresolved_registrations = 0
        self._attached: set[int] = set()  # Api nodes already registered on their app or blueprint
        self._pending: list[tuple[Scope, FlaskNode, ast.expr, int]] = []  # Api(app): attached after link()
        self._configs: dict[int, list[tuple[Scope, str, ast.expr]]] = {}  # app -> where its config is set

    @property
    def table(self) -> dict[tuple[str, str, str], Any]:
        return self.nodes

    def _restful(self, scope: Scope, func: ast.expr) -> str | None:
        """The kind of a Flask-RESTful/RESTX object: `Api(...)` -> "api", RESTX `Namespace(...)` -> "namespace"."""
        name = scope.qualname(self.index, func)
        if not name.startswith(_RESTFUL):
            return None
        return {"Api": "api", "Namespace": "namespace"}.get(last(name))

    # -- apps and blueprints -------------------------------------------------------------------

    def find_nodes(self, scope: Scope) -> None:
        for stmt, conditional, loop in statements(scope.info.source, scope.body):
            assigned = assigned_call(stmt)
            if assigned is None:
                continue
            kind = self._kind(scope, assigned[1].func) or self._restful(scope, assigned[1].func)
            if kind is None:
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
                prefix = self._prefix(scope, literals.keyword(call, "url_prefix", _BLUEPRINT_PREFIX_POSITION), label)
            elif kind == "api":
                position = 1 if scope.qualname(self.index, call.func).startswith("flask_restful") else None
                prefix = self._prefix(scope, literals.keyword(call, "prefix", position), label)
            elif kind == "namespace":
                prefix = self._namespace_path(scope, call, label)
            self.nodes[key] = FlaskNode(scope.module, scope.name, target.id, kind, scope.file, stmt.lineno, prefix)
            if kind == "api":
                parent = literals.keyword(call, "app", 0)
                if parent is not None:
                    self._pending.append((scope, self.nodes[key], parent, stmt.lineno))

    def evaluate(self, scope: Scope, node: ast.expr) -> Result:
        found = self._app_config(scope, node)
        return found if found is not None else super().evaluate(scope, node)

    def _app_config(self, scope: Scope, node: ast.expr) -> Result | None:
        """`app.config["KEY"]` / `app.config.get("KEY", default)` of a Flask app: what the scanned code
        loads into its config — `app.config.from_object(obj)` (a class, module, instance or import
        string), `app.config["KEY"] = value`, `app.config.update(KEY=value)`; the last one setting KEY."""
        default: ast.expr | None = None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "config":
            owner, key = node.value.value, literals.string(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "config"
            and node.args
        ):
            owner, key = node.func.value.value, literals.string(node.args[0])
            default = node.args[1] if len(node.args) > 1 else None
        else:
            return None
        app = self.find(scope, owner)
        if key is None or app is None or app.kind != "app":
            return None
        found: Result | None = None
        for where, kind, expr in self._config_sources(app):
            result = self._config_value(where, kind, expr, key)
            if result is not None:
                found = result
        if found is None and default is not None:
            return super().evaluate(scope, default)
        return found or Unknown(f"the scanned code does not set app.config[{key!r}]")

    def _config_value(self, scope: Scope, kind: str, expr: ast.expr, key: str) -> Result | None:
        """KEY from one config source; None when that source does not set it."""
        via: tuple[str, ...] = ()
        if kind == "object":
            loaded = super().evaluate(scope, expr)
            if isinstance(loaded, Known) and isinstance(loaded.value, str):  # an import string
                via = (*loaded.notes, f"{literals.source(expr)} is {loaded.value!r}")
                loaded = self.values.import_path(loaded.value)
            elif isinstance(loaded, Known):
                via = loaded.notes
            if not isinstance(loaded, Known):
                return loaded
            value = self.values.attribute(loaded, key)
            if isinstance(value, Unknown) and value.reason.endswith(
                ("not defined in the scanned code", "not found in the scanned code")
            ):
                return None
        elif kind == f"item:{key}":
            value = super().evaluate(scope, expr)
        else:
            return None
        by = f"config.from_object({literals.source(expr)})" if kind == "object" else "an assignment"
        how = f"loaded into the app's config by {by} ({self.values.where(scope.module, expr.lineno)})"
        if isinstance(value, Known):
            return Known(value.value, value.sources, tuple(dict.fromkeys((how, *via, *value.notes))))
        return value

    def _config_sources(self, app: FlaskNode) -> list[tuple[Scope, str, ast.expr]]:
        """Where the scanned code sets `app`'s config, in order: ("object", obj) for
        `config.from_object(obj)`, ("item", value) for `config[KEY] = value` and `config.update(KEY=value)`."""
        if id(app) in self._configs:
            return self._configs[id(app)]
        found: list[tuple[Scope, str, ast.expr]] = []
        for info in self.index.modules.values():
            for scope in scopes(info):
                for stmt, _, _ in statements(scope.info.source, scope.body):
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Attribute)
                        and target.value.attr == "config"
                        and (item := literals.string(target.slice)) is not None
                        and isinstance(stmt, ast.Assign)
                        and self.find(scope, target.value.value) is app
                    ):
                        found.append((scope, f"item:{item}", stmt.value))
                        continue
                    call = stmt.value if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) else None
                    config = call.func.value if call is not None and isinstance(call.func, ast.Attribute) else None
                    if (
                        call is not None
                        and isinstance(config, ast.Attribute)
                        and config.attr == "config"
                        and self.find(scope, config.value) is app
                        and isinstance(call.func, ast.Attribute)
                    ):
                        if call.func.attr == "from_object" and call.args:
                            found.append((scope, "object", call.args[0]))
                        elif call.func.attr == "update":
                            found.extend((scope, f"item:{k.arg}", k.value) for k in call.keywords if k.arg)
        self._configs[id(app)] = found
        return found

    def _namespace_path(self, scope: Scope, call: ast.Call, what: str) -> str | None:
        """A RESTX namespace's path: `path=`, else "/" + its name."""
        path = self._prefix(scope, literals.keyword(call, "path", 2), what)
        if path is not None:
            return path.rstrip("/")
        name = literals.keyword(call, "name", 0)
        value = self.text(scope, name, call.lineno)[0] if name is not None else None
        if value is None:
            self.note(scope, call.lineno, f"the name of {what} is not resolved statically; its path is unknown")
        return "/" + (value or "")

    def _prefix(self, scope: Scope, node: ast.expr | None, what: str) -> str | None:
        """A url_prefix, literal or resolved; "" (and an Unresolved) when it does not resolve; None when
        absent (or None)."""
        if node is None or (isinstance(node, ast.Constant) and node.value is None):
            return None
        value = literals.string(node)
        if value is not None:
            return value
        result = self.evaluate(scope, node)
        if isinstance(result, Known) and (result.value is None or isinstance(result.value, str)):
            self.record(scope, node.lineno, node, result, result.value if isinstance(result.value, str) else None)
            return result.value if isinstance(result.value, str) else None
        why = result.reason if not isinstance(result, Known) else f"it resolves to {result.value!r}, not a string"
        self.note(
            scope,
            node.lineno,
            f"url_prefix {literals.source(node)} of {what} is not resolved statically ({why}); "
            "the routes below it are listed without it",
        )
        return ""

    def find(self, scope: Scope, expr: ast.expr | None) -> FlaskNode | None:
        """The app or blueprint `expr`, written in `scope`, refers to."""
        if expr is None:
            return None
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "namespace":  # api.namespace(...)
                return None
            found: FlaskNode | None = self.returned(scope, expr)
            return found
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

    def describe(self, stmt: ast.stmt) -> str | None:
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and func.attr in ("register_blueprint", "add_namespace"):
                text = literals.source(stmt.value)
                return text if len(text) <= 120 else text[:117] + "..."
        return None

    def find_routes(self, scope: Scope) -> None:
        if self._pending:
            self._attach_apis()
        super().find_routes(scope)

    def statement(self, scope: Scope, stmt: ast.stmt, guards: tuple[Guard, ...], loop: bool) -> None:
        # the `if`s around a statement are only evaluated for one that adds routes or registers
        decision = self.decide(scope, guards) if guards and self.registers(stmt) else Decision()
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self._decorated(scope, stmt, decision, loop)
        elif isinstance(stmt, ast.ClassDef):
            self._resource_class(scope, stmt, decision, loop)
        elif isinstance(stmt, ast.Assign):
            assigned = assigned_call(stmt)
            call = assigned[1] if assigned is not None else None
            if call is not None and isinstance(call.func, ast.Attribute) and call.func.attr == "namespace":
                decision = self.decide(scope, guards)
                self._namespace(scope, assigned[0] if assigned else None, call, guards, decision, loop)
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
        ):
            call = stmt.value
            owner, attr = stmt.value.func.value, stmt.value.func.attr
            if attr == "register_blueprint":
                self._register(scope, call, owner, guards, decision, loop)
            elif attr == "add_url_rule":
                self._add_url_rule(scope, call, owner, decision, loop)
            elif attr == "add_resource":
                self._add_resource(scope, call, owner, decision, loop)
            elif attr == "add_namespace":
                self._add_namespace(scope, call, owner, guards, decision, loop)
            elif attr == "init_app" and call.args:
                node = self.find(scope, owner)
                if node is not None and node.kind == "api":
                    self._attach(scope, node, call.args[0], call.lineno)
            elif attr == "before_request" and call.args:
                self._guard(scope, owner, call.args[0])

    # -- Flask-RESTful / RESTX -----------------------------------------------------------------

    def _attach_apis(self) -> None:
        pending, self._pending = self._pending, []
        for scope, node, parent, line in pending:
            self._attach(scope, node, parent, line)

    def _attach(self, scope: Scope, node: FlaskNode, parent_expr: ast.expr, line: int) -> None:
        """`Api(app)` / `api.init_app(app)`: the Api's routes are the app's (or blueprint's)."""
        parent = self.find(scope, parent_expr)
        if parent is None or id(node) in self._attached:
            return
        self._attached.add(id(node))
        parent.registrations.append(Registration(node, None, scope.file, line))

    def _namespace(
        self,
        scope: Scope,
        target: ast.Name | None,
        call: ast.Call,
        guards: tuple[Guard, ...],
        decision: Decision,
        loop: bool,
    ) -> None:
        """`ns = api.namespace(name, path=...)`: a RESTX namespace, added to `api`."""
        api = self.find(scope, call.func.value if isinstance(call.func, ast.Attribute) else None)
        if api is None or api.kind != "api" or target is None:
            return
        label = f"namespace {scope.label(target.id)}"
        node = FlaskNode(
            scope.module,
            scope.name,
            target.id,
            "namespace",
            scope.file,
            call.lineno,
            self._namespace_path(scope, call, label),
        )
        self.nodes.setdefault((scope.module, scope.name, target.id), node)
        self._register_child(scope, api, node, None, call.lineno, f"api.namespace({target.id})", guards, decision, loop)

    def _add_namespace(
        self, scope: Scope, call: ast.Call, owner: ast.expr, guards: tuple[Guard, ...], decision: Decision, loop: bool
    ) -> None:
        api, target = self.find(scope, owner), literals.keyword(call, "ns", 0)
        child = self.find(scope, target)
        what = f"add_namespace({dotted(target) if target is not None else ''})"
        if api is None or child is None:
            self.note(
                scope, call.lineno, f"{what} on {dotted(owner)}: the Api or namespace is not found in the scanned code"
            )
            return
        path = self._prefix(scope, literals.keyword(call, "path", 1), what)
        self._register_child(scope, api, child, path, call.lineno, what, guards, decision, loop)

    def _resource_class(self, scope: Scope, node: ast.ClassDef, decision: Decision, loop: bool) -> None:
        """`@api.resource('/a')` (Flask-RESTful) / `@ns.route('/a')` (RESTX) on a Resource class."""
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                continue
            if dec.func.attr not in ("resource", "route"):
                continue
            owner = self.find(scope, dec.func.value)
            if owner is None or owner.kind not in ("api", "namespace"):
                continue
            self._resource_routes(scope, owner, ast.Name(node.name), dec.args, dec.lineno, decision, loop)

    def _add_resource(self, scope: Scope, call: ast.Call, owner_expr: ast.expr, decision: Decision, loop: bool) -> None:
        owner = self.find(scope, owner_expr)
        if owner is None or owner.kind not in ("api", "namespace") or not call.args:
            if _imports_flask(scope.info) and owner is None and self._restful_module(scope):
                self.note(
                    scope,
                    call.lineno,
                    f"{dotted(call.func)}(...): {dotted(owner_expr)} is not a Flask-RESTful/RESTX Api found in the "
                    "scanned code; not resolved",
                )
            return
        self._resource_routes(scope, owner, call.args[0], call.args[1:], call.lineno, decision, loop)

    def _restful_module(self, scope: Scope) -> bool:
        return any(imp.module.split(".")[0] in _RESTFUL for imp in scope.info.imports.values())

    def _resource_routes(
        self,
        scope: Scope,
        owner: FlaskNode,
        resource: ast.expr,
        urls: list[ast.expr],
        line: int,
        decision: Decision,
        loop: bool,
    ) -> None:
        views = resource_views(self.views, scope, resource)
        where = f"resource {dotted(resource)}"
        if not views:
            self.note(
                scope,
                line,
                f"{where} is not a Resource class with HTTP methods found in the scanned code; not resolved",
            )
            return
        for url in urls:
            if isinstance(url, ast.Starred):
                self.note(scope, line, f"{where}: its URLs are unpacked from a list; not resolved")
                return
            rule, why = self.text(scope, url, line)
            if rule is None:
                self.note(scope, line, f"{where}: the URL {literals.source(url)} does not resolve statically ({why})")
                continue
            for view in views:
                route = FlaskRoute(view.methods, rule, view.func, view.module, view.handler, view.auth)
                self._add(scope, owner, route, line, decision, loop)

    # -- routes, registrations, guards ---------------------------------------------------------

    def _decorated(self, scope: Scope, func: FuncDef, decision: Decision, loop: bool) -> None:
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
                        f"{where}: {dotted(attr.value)} is not a Flask app or blueprint found in the scanned code",
                    )
                continue
            rule_node = literals.keyword(dec, "rule", 0)
            rule, why = self.text(scope, rule_node, dec.lineno) if rule_node is not None else (None, "no rule")
            methods = self._methods(scope, dec) if attr.attr == "route" else [attr.attr.upper()]
            if rule is None or methods is None:
                shown = literals.source(rule_node) if rule_node is not None else ""
                reason = (
                    f"the rule {shown} does not resolve statically ({why})"
                    if rule is None
                    else "the methods are not literals"
                )
                self.note(scope, dec.lineno, f"{where}: {reason}; not resolved")
                continue
            auth = self.views.auth(scope, decorators[position + 1 :], partial(self._is_route, scope))
            for above in decorators[:position]:
                if (name := self.views.auth_name(scope, above)) is not None and not self._is_route(scope, above):
                    self.note(
                        scope,
                        above.lineno,
                        f"@{name} is above {where}: it wraps the function after the route is registered, "
                        "so it does not protect the route",
                    )
            route = FlaskRoute(methods, rule, func, scope.module, f"{scope.module}:{func.name}", auth)
            self._add(scope, node, route, dec.lineno, decision, loop)

    def _is_route(self, scope: Scope, dec: ast.expr) -> bool:
        return (
            isinstance(dec, ast.Call)
            and isinstance(dec.func, ast.Attribute)
            and (dec.func.attr == "route" or dec.func.attr in _SHORTCUTS)
            and self.find(scope, dec.func.value) is not None
        )

    def _methods(self, scope: Scope, call: ast.Call) -> list[str] | None:
        node = literals.keyword(call, "methods")
        methods = self.texts(scope, node, call.lineno) if node is not None else ["GET"]
        return [m.upper() for m in methods] if methods is not None else None

    def _add(self, scope: Scope, node: FlaskNode, route: FlaskRoute, line: int, decision: Decision, loop: bool) -> None:
        what = f"route {'/'.join(route.methods)} {route.rule!r} ({route.handler.rpartition(':')[2]})"
        self.site(scope, decision, f"{what} (line {line})")
        if not self.taken(scope, decision, what, line):
            return
        methods = admit_route(
            partial(self.note, scope), what, route.methods, line, conditional=decision.conditional, loop=loop
        )
        if methods is not None:
            route.methods = methods
            node.routes.append(route)

    def _add_url_rule(self, scope: Scope, call: ast.Call, owner: ast.expr, decision: Decision, loop: bool) -> None:
        node = self.find(scope, owner)
        rule_node = literals.keyword(call, "rule", 0)
        rule = self.text(scope, rule_node, call.lineno)[0] if rule_node is not None and not loop else None
        view = literals.keyword(call, "view_func", 2)
        methods_node = literals.keyword(call, "methods")
        methods = self.texts(scope, methods_node, call.lineno) if methods_node is not None else None
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
            self._add(scope, node, route, call.lineno, decision, loop)

    def _register(
        self, scope: Scope, call: ast.Call, owner: ast.expr, guards: tuple[Guard, ...], decision: Decision, loop: bool
    ) -> None:
        parent = self.find(scope, owner)
        target = literals.keyword(call, "blueprint", 0)
        child = self.find(scope, target)
        what = f"register_blueprint({dotted(target) if target is not None else ''})"
        if parent is None or child is None:
            self.unresolved_registrations += 1
            unknown = dotted(owner) if parent is None else dotted(target) if target is not None else "(missing)"
            self.note(
                scope,
                call.lineno,
                f"{what} on {dotted(owner)}: {unknown} is not a Flask app or blueprint "
                "found in the scanned code; not resolved",
            )
            return
        self.site(scope, decision, f"{what} (line {call.lineno})")
        excluded = decision.excluded is not None or decision.alternative is not None
        prefix = self._prefix(scope, literals.keyword(call, "url_prefix"), what) if not excluded else None
        self._register_child(scope, parent, child, prefix, call.lineno, what, guards, decision, loop)

    def _register_child(
        self,
        scope: Scope,
        parent: FlaskNode,
        child: FlaskNode,
        prefix: str | None,
        line: int,
        what: str,
        guards: tuple[Guard, ...],
        decision: Decision,
        loop: bool,
    ) -> None:
        not_taken = ""
        if decision.excluded is not None:
            node = decision.excluded
            not_taken = f"`if {literals.source(node.test)}` (line {node.lineno}) does not select it"
        elif decision.alternative is not None:
            self.alternative_note(scope, line, what, decision)
            not_taken = f"it is an alternative in a later branch of `if` (line {decision.alternative.lineno})"
        if loop:
            self.note(scope, line, f"{what} is called in a loop; not resolved")
        elif decision.conditional and not not_taken:
            self.note(
                scope,
                line,
                f"{what} is inside a conditional block; the routes of {child.label} exist "
                f"only when the condition holds{self.alternatives(scope, decision, guards)}",
            )
        parent.registrations.append(Registration(child, prefix, scope.file, line, blocked=loop, not_taken=not_taken))

    def _guard(self, scope: Scope, owner: ast.expr, func: ast.expr) -> None:
        """`@bp.before_request def require_login(): ...`: an auth guard for every route below `bp`."""
        node = self.find(scope, owner)
        if node is not None and (name := self.views.auth_name(scope, func)) is not None:
            node.guards.append(name)
