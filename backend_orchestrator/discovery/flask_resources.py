"""Flask-RESTful / Flask-RESTX resources: the routes a `Resource` class serves, one per HTTP method.

`resource_views(views, scope, expr)` reads the class `expr` names (in the scanned code, deriving from
`Resource` or `MethodView`): each of `get`, `post`, `put`, `patch`, `delete`, `head`, `options` it (or
a scanned base class) defines is a route with that method. Authentication is what `flask_views.Views`
recognises among the method's own decorators, the class's `decorators = [...]` and
`method_decorators` (a list, or a dict by method name).
"""

from __future__ import annotations

import ast

from ..contracts.common import HTTP_METHODS
from .flask_views import View, Views, _class_members
from .scopes import Scope, scopes

_VIEW_METHODS = tuple(m.lower() for m in HTTP_METHODS)
_RESOURCE_BASES = frozenset({"Resource", "MethodView"})


def resource_views(views: Views, scope: Scope, expr: ast.expr) -> list[View]:
    """The routes the Resource class `expr` (written in `scope`) serves; [] when it is not one."""
    index = views.index
    ref = scope.resolve(index, expr)
    node = index.class_def(ref)
    if ref is None or node is None or not index.derives_from(ref, _RESOURCE_BASES):
        return []
    members = _class_members(index, ref)
    module_scope = scopes(index.modules[ref.module])[0]
    shared = _listed_auth(views, module_scope, members.get("decorators"))
    per_method = members.get("method_decorators")
    if isinstance(per_method, ast.List | ast.Tuple):
        shared += _listed_auth(views, module_scope, per_method)
    found: list[View] = []
    for method in _VIEW_METHODS:
        func = members.get(method)
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        own = views.auth(module_scope, func.decorator_list, lambda _d: False)
        extra: list[str] = []
        if isinstance(per_method, ast.Dict):
            for key, value in zip(per_method.keys, per_method.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == method:
                    extra = _listed_auth(views, module_scope, value)
        auth = list(dict.fromkeys([*shared, *extra, *own]))
        found.append(View([method.upper()], func, ref.module, f"{ref.module}:{node.name}.{method}", auth))
    return found


def _listed_auth(views: Views, scope: Scope, node: ast.AST | None) -> list[str]:
    """The authenticating names in a literal list of decorators."""
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    return [name for e in node.elts if (name := views.auth_name(scope, e)) is not None]
