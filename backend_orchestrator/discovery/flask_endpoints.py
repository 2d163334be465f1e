"""Endpoint records from the Flask app/blueprint graph: full paths, methods, auth, status codes.

Paths follow Flask's own rules: a blueprint registered on the app uses the `url_prefix` given to
`register_blueprint`, else its own; a nested blueprint's prefix is joined to its parent's; a prefix
and a rule are joined with exactly one "/". Werkzeug converters (`<int:id>`) become OpenAPI
parameters (`{id}`). Blueprints no app reaches are listed with their own prefix, and an Unresolved
says why — but for blueprints registered only in a branch that is not taken (a condition the
defaults do not select, an alternative to the branch taken): they are not listed, and an Unresolved
says where they would be. A Flask-RESTful/RESTX `Api` is a node below its app or blueprint whose
prefix is the Api's; a RESTX namespace is below its Api with its path. Status codes are those the
view returns (`return body, 201`, `redirect(...)`) or aborts with (`abort(404)`), plus 200 when a
return gives none.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ..contracts.registry import Endpoint, Unresolved
from . import literals
from .flask_routes import FlaskCollected, FlaskNode, FlaskRoute, Registration
from .symbols import ProjectIndex

_RULE_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\(.*?\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")
_VERSION = re.compile(r"^v\d+$")
_ABORT = frozenset({"flask.abort", "werkzeug.exceptions.abort"})
_REDIRECT = frozenset({"flask.redirect", "werkzeug.utils.redirect"})


def openapi_path(rule: str) -> str:
    """`/users/<int:user_id>/<path:rest>` -> `/users/{user_id}/{rest}`."""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


def join(prefix: str | None, rule: str) -> str:
    """A rule under a blueprint's url_prefix, as Flask's BlueprintSetupState joins them."""
    if prefix is None:
        return rule
    return f"{prefix.rstrip('/')}/{rule.lstrip('/')}" if rule else prefix


def _child_prefix(parent: FlaskNode, prefix: str | None, registration: Registration) -> str | None:
    """The url_prefix the registered blueprint's routes get (Flask's Blueprint.register)."""
    own = registration.url_prefix if registration.url_prefix is not None else registration.child.url_prefix
    if parent.kind == "app" or prefix is None:
        return own
    return prefix if own is None else f"{prefix.rstrip('/')}/{own.lstrip('/')}"


def build(index: ProjectIndex, collected: FlaskCollected) -> tuple[list[Endpoint], list[Unresolved]]:
    builder = _Builder(index)
    nodes = sorted(collected.nodes, key=lambda n: n.label)
    for app in nodes:
        if app.kind == "app":
            builder.visit(app, None, (), ())
    for node in nodes:  # blueprints registered only in branches not taken: not listed
        sites = [r for n in nodes for r in n.registrations if r.child is node]
        if id(node) not in builder.reached and sites and all(r.not_taken for r in sites):
            where = "; ".join(f"{r.file}:{r.line}: {r.not_taken}" for r in sites)
            reason = (
                f"{node.kind} {node.label} is registered only in a branch that is not taken ({where}); "
                "its routes are not listed"
            )
            builder.unresolved.append(Unresolved(file=node.file, line=node.line, reason=reason))
            builder.skip(node)
    for node in nodes:  # blueprints no app reaches: listed with their own url_prefix
        if id(node) in builder.reached or _has_pending_parent(node, nodes, builder.reached):
            continue
        if builder.visit(node, node.url_prefix, (), ()):
            reason = f"{_unreached(node, nodes, collected)}; its routes are listed with its own url_prefix"
            builder.unresolved.append(Unresolved(file=node.file, line=node.line, reason=reason))
    for node in nodes:  # cycles of blueprints that register each other and nothing else
        if id(node) not in builder.reached:
            builder.visit(node, node.url_prefix, (), ())
    return builder.endpoints, builder.unresolved


def _unreached(node: FlaskNode, nodes: list[FlaskNode], collected: FlaskCollected) -> str:
    sites = [f"{r.file}:{r.line}" for n in nodes for r in n.registrations if r.child is node]
    what = f"{node.kind} {node.label}"
    if sites:
        return f"{what} is registered only in a loop ({', '.join(sites)})"
    if collected.unresolved_registrations:
        return (
            f"{what} is never registered on an app by the register_blueprint calls that "
            f"could be resolved ({collected.unresolved_registrations} could not)"
        )
    return f"{what} is never registered on an app"


def _has_pending_parent(node: FlaskNode, nodes: list[FlaskNode], reached: set[int]) -> bool:
    return any(
        r.child is node and not r.blocked and not r.not_taken and id(parent) not in reached and parent is not node
        for parent in nodes
        for r in parent.registrations
    )


class _Builder:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.reached: set[int] = set()
        self.endpoints: list[Endpoint] = []
        self.unresolved: list[Unresolved] = []
        self._codes: dict[int, list[int]] = {}

    def visit(self, node: FlaskNode, prefix: str | None, guards: tuple[str, ...], stack: tuple[int, ...]) -> int:
        """Emit the routes of `node` and of the blueprints registered on it; the number emitted."""
        self.reached.add(id(node))
        guards = (*guards, *node.guards)
        count = sum(self.emit(route, prefix, guards) for route in node.routes)
        for registration in node.registrations:
            child = registration.child
            if not registration.blocked and not registration.not_taken and id(child) not in stack and child is not node:
                child_prefix = _child_prefix(node, prefix, registration)
                count += self.visit(child, child_prefix, guards, (*stack, id(node)))
        return count

    def skip(self, node: FlaskNode) -> None:
        """Mark `node` and what only it registers as reached, listing nothing."""
        if id(node) in self.reached:
            return
        self.reached.add(id(node))
        for registration in node.registrations:
            self.skip(registration.child)

    def emit(self, route: FlaskRoute, prefix: str | None, guards: tuple[str, ...]) -> int:
        rule = join(prefix, route.rule)
        path = openapi_path(rule if rule.startswith("/") else "/" + rule)
        doc = ast.get_docstring(route.func) or ""
        shared = {
            "path": path,
            "version": next((s for s in path.split("/") if _VERSION.match(s)), None),
            "summary": next((line.strip() for line in doc.splitlines() if line.strip()), ""),
            "handler": route.handler,
            "file": self.index.modules[route.module].source.rel,
            "line": route.func.lineno,
            "auth": list(dict.fromkeys([*guards, *route.auth])),
            "status_codes": self._status_codes(route),
            "path_params": _RULE_VARIABLE.findall(rule),
        }
        self.endpoints.extend(Endpoint(method=method, **shared) for method in route.methods)
        return len(route.methods)

    def _status_codes(self, route: FlaskRoute) -> list[int]:
        key = id(route.func)
        if key not in self._codes:
            self._codes[key] = sorted(set(self._view_codes(route.module, route.func)))
        return self._codes[key]

    def _view_codes(self, module: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[int]:
        returns = 0
        for node in _own_nodes(func):
            if isinstance(node, ast.Return):
                returns += 1
                code = self._returned_code(module, node.value)
                yield 200 if code is None else code
            elif isinstance(node, ast.Call) and self.index.qualname(module, node.func) in _ABORT:
                code = literals.status_code(literals.keyword(node, "code", 0))
                if code is not None:
                    yield code
        if not returns:  # a view without a return statement answers 200 too
            yield 200

    def _returned_code(self, module: str, value: ast.expr | None) -> int | None:
        if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
            return literals.status_code(value.elts[1])
        if isinstance(value, ast.Call) and self.index.qualname(module, value.func) in _REDIRECT:
            return literals.status_code(literals.keyword(value, "code", 1)) or 302
        return None


def _own_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of `func`'s body, not entering nested functions, lambdas or classes."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
