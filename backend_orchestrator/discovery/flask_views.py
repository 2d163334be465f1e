"""What a Flask route runs: view functions, wrapped views and class-based views, and their auth.

`Views.of(scope, view_func, methods)` resolves an `add_url_rule(..., view_func=...)` argument: a
function (defined in the app factory or imported), a wrapper call such as `login_required(view)`, or
`SomeView.as_view(name)`, where a `MethodView` gives one route per HTTP method it defines and a
`View` its `methods` (default GET) on `dispatch_request`. `Views.auth_name` decides whether a
decorator, wrapper or `before_request` hook authenticates: its name looks like auth (the rule FastAPI
dependencies follow: Flask-Login's `login_required`/`fresh_login_required`, Flask-HTTPAuth's
`auth.login_required`, Flask-JWT-Extended's `jwt_required()`), it is listed in the project's
`auth_dependencies`, or it is a function of the project whose body (or the wrapper it defines) refuses a
request without a login, session or token (`auth_checks.decorator_refusal`: one level of reading); a
view class's `decorators = [...]` count too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from ..contracts.common import HTTP_METHODS
from . import literals
from .auth_checks import decorator_refusal
from .dependencies import name_authenticates
from .scopes import Scope, scopes
from .symbols import ProjectIndex, Ref, dotted, last

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
_VIEW_METHODS = tuple(m.lower() for m in HTTP_METHODS)


@dataclass(frozen=True)
class View:
    methods: list[str]
    func: FuncDef
    module: str  # where the view is defined
    handler: str  # module:function, or module:Class.method
    auth: list[str]


class Views:
    def __init__(self, index: ProjectIndex, extra_auth: frozenset[str]) -> None:
        self.index = index
        self.extra_auth = extra_auth

    def auth_name(self, scope: Scope, expr: ast.expr) -> str | None:
        """The name of an authenticating decorator or wrapper (`login_required`, `auth.login_required`)."""
        target = expr.func if isinstance(expr, ast.Call) else expr
        if not isinstance(target, ast.Name | ast.Attribute):
            return None
        name = dotted(target)
        if name in self.extra_auth or last(name) in self.extra_auth:
            return name
        ref = scope.resolve(self.index, target)
        func = self.index.function_def(ref)
        module = ref.module if ref is not None and func is not None else scope.module
        if func is None and scope.name and isinstance(target, ast.Name):  # defined in the app factory
            func = next((s for s in scope.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                         and s.name == target.id), None)
        if name_authenticates(last(name), func):
            return name
        return name if func is not None and decorator_refusal(self.index, module, func) is not None else None

    def auth(self, scope: Scope, decorators: list[ast.expr], skip: Callable[[ast.expr], bool]) -> list[str]:
        """The authenticating names among `decorators` (those `skip` accepts left out), in order."""
        names = (self.auth_name(scope, d) for d in decorators if not skip(d))
        return list(dict.fromkeys(n for n in names if n is not None))

    def of(self, scope: Scope, view: ast.expr | None, methods: list[str] | None) -> list[View]:
        """The views a `view_func` argument registers; [] when it cannot be resolved."""
        wrappers: list[str] = []
        while isinstance(view, ast.Call) and view.args and not is_as_view(view):  # login_required(f)
            if (name := self.auth_name(scope, view.func)) is not None:
                wrappers.append(name)
            view = view.args[0]
        if isinstance(view, ast.Call) and is_as_view(view):
            return self._class_view(scope, view, methods, wrappers)
        if view is None:
            return []
        func, module = self._function(scope, view)
        if func is None:
            return []
        auth = list(dict.fromkeys([*wrappers, *self.auth(scope, func.decorator_list, lambda _d: False)]))
        return [View(methods or ["GET"], func, module, f"{module}:{func.name}", auth)]

    def _function(self, scope: Scope, expr: ast.expr) -> tuple[FuncDef | None, str]:
        if scope.name and isinstance(expr, ast.Name):  # a view defined inside the app factory
            for stmt in scope.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == expr.id:
                    return stmt, scope.module
        ref = scope.resolve(self.index, expr)
        return self.index.function_def(ref), ref.module if ref is not None else scope.module

    def _class_view(
        self, scope: Scope, call: ast.Call, methods: list[str] | None, wrappers: list[str]
    ) -> list[View]:
        """`SomeView.as_view("name")`: MethodView methods, or View.dispatch_request with `methods`."""
        assert isinstance(call.func, ast.Attribute)
        ref = scope.resolve(self.index, call.func.value)
        node = self.index.class_def(ref)
        if ref is None or node is None:
            return []
        members = _class_members(self.index, ref)
        auth = list(dict.fromkeys([*wrappers, *self._decorators_attr(ref.module, members.get("decorators"))]))
        label = f"{ref.module}:{node.name}"
        if self.index.derives_from(ref, frozenset({"MethodView"})):
            defined = [
                m for m in _VIEW_METHODS if isinstance(members.get(m), ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            wanted = [m.lower() for m in methods] if methods is not None else defined
            return [
                View([m.upper()], func, ref.module, f"{label}.{m}", auth)
                for m in wanted
                if isinstance(func := members.get(m), ast.FunctionDef | ast.AsyncFunctionDef)
            ]
        dispatch = members.get("dispatch_request")
        if not isinstance(dispatch, ast.FunctionDef | ast.AsyncFunctionDef):
            return []
        declared = members.get("methods")
        listed = literals.strings(declared) if isinstance(declared, ast.expr) else None
        chosen = methods or [m.upper() for m in listed or ["GET"]]
        return [View(chosen, dispatch, ref.module, f"{label}.dispatch_request", auth)]

    def _decorators_attr(self, module: str, node: ast.AST | None) -> list[str]:
        """Authenticating names in a View's `decorators = [...]`."""
        if not isinstance(node, ast.List | ast.Tuple):
            return []
        scope = scopes(self.index.modules[module])[0]
        return [n for e in node.elts if (n := self.auth_name(scope, e)) is not None]


def is_as_view(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "as_view"


def _class_members(index: ProjectIndex, ref: Ref) -> dict[str, ast.AST]:
    """Methods and attributes of the class `ref` and its bases in the scanned code (subclass wins)."""
    members: dict[str, ast.AST] = {}
    for current in [ref, *(b for b in index.ancestors(ref) if b.kind == "local")]:
        node = index.class_def(current)
        for stmt in node.body if node is not None else []:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                members.setdefault(stmt.name, stmt)
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    if isinstance(t, ast.Name):
                        members.setdefault(t.id, stmt.value)
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                members.setdefault(stmt.target.id, stmt.value)  # decorators: ClassVar[list] = [...]
    return members
