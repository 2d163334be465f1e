"""Endpoint records from the router graph: full paths, auth, request/response models, status codes.

Every FastAPI app that is not mounted elsewhere is a root; a route's path is the prefixes of the
include_router calls and routers from the root down, plus its own path. Routers no app reaches are
still listed, with their router-local paths, and an Unresolved says why — but for routers included
only where a branch is not taken (a condition the defaults do not select, or an alternative to the
branch taken): their routes are not listed, and an Unresolved says where they would be.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..contracts.common import HTTP_METHODS
from ..contracts.registry import Endpoint, Unresolved
from . import literals
from .dependencies import AuthClassifier, Dep, function_deps, parameter_deps, parameters, unwrap_annotated
from .fastapi_routes import Collected, Options, Route, Router
from .symbols import ProjectIndex, all_statements, dotted, last

_VERSION = re.compile(r"^v\d+$")
_PATH_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_BODY_SUFFIXES = ("Create", "Update", "In", "Request", "Payload")
_MODEL_BASES = frozenset({"BaseModel", "SQLModel", "RootModel"})
_RESPONSE_BASES = frozenset(
    {
        "Response",
        "JSONResponse",
        "HTMLResponse",
        "PlainTextResponse",
        "RedirectResponse",
        "StreamingResponse",
        "FileResponse",
        "ORJSONResponse",
        "UJSONResponse",
    }
)
_NOT_A_BODY = frozenset({"fastapi", "starlette"})


@dataclass(frozen=True)
class _Ctx:
    """Everything the routers and include_router calls above a route contribute to it."""

    prefix: str = ""
    tags: tuple[str, ...] = ()
    deps: tuple[Dep, ...] = ()
    hidden: bool = False
    responses: tuple[int, ...] = ()

    def add(self, options: Options) -> _Ctx:
        return _Ctx(
            self.prefix + options.prefix,
            self.tags + tuple(options.tags),
            self.deps + tuple(options.deps),
            self.hidden or options.hidden,
            self.responses + tuple(options.responses),
        )


def method_order(method: str) -> int:
    return HTTP_METHODS.index(method) if method in HTTP_METHODS else len(HTTP_METHODS)


def build(
    index: ProjectIndex, collected: Collected, auth_dependencies: list[str]
) -> tuple[list[Endpoint], list[Unresolved]]:
    builder = _Builder(index, AuthClassifier(index, auth_dependencies))
    routers = sorted(collected.routers, key=lambda r: r.label)
    included = {id(inc.child) for r in routers for inc in r.includes}
    for root in routers:
        if root.kind == "app" and id(root) not in included:
            builder.visit(root, _Ctx(), ())
    for router in routers:  # routers included only in branches not taken: not listed
        sites = [(r, inc) for r in routers for inc in r.includes if inc.child is router]
        if id(router) not in builder.reached and sites and all(inc.not_taken for _, inc in sites):
            where = "; ".join(f"{inc.file}:{inc.line}: {inc.not_taken}" for _, inc in sites)
            reason = (
                f"router {router.label} is included only in a branch that is not taken ({where}); "
                "its routes are not listed"
            )
            builder.unresolved.append(Unresolved(file=router.file, line=router.line, reason=reason))
            builder.skip(router)
    for router in routers:  # routers no app reaches: listed with their router-local paths
        if id(router) in builder.reached or _has_pending_parent(router, routers, builder.reached):
            continue
        if builder.visit(router, _Ctx(), ()):
            reason = f"{_unreached(router, routers, collected)}; its routes are listed with router-local paths"
            builder.unresolved.append(Unresolved(file=router.file, line=router.line, reason=reason))
    for router in routers:  # cycles of routers that include each other and nothing else
        if id(router) not in builder.reached:
            builder.visit(router, _Ctx(), ())
    unique = {(e.method, e.path, e.handler): e for e in builder.endpoints}
    endpoints = sorted(unique.values(), key=lambda e: (e.path, method_order(e.method), e.handler, e.line))
    return endpoints, builder.unresolved


def _unreached(router: Router, routers: list[Router], collected: Collected) -> str:
    """Why no app reaches `router`."""
    sites = [f"{inc.file}:{inc.line}" for r in routers for inc in r.includes if inc.child is router]
    if sites:
        return f"router {router.label} is included only in a loop ({', '.join(sites)})"
    if collected.unresolved_includes:
        return (
            f"router {router.label} is never included in an app by the include_router calls that could be "
            f"resolved ({collected.unresolved_includes} could not)"
        )
    return f"router {router.label} is never included in an app"


def _has_pending_parent(router: Router, routers: list[Router], reached: set[int]) -> bool:
    return any(
        inc.child is router
        and not inc.blocked
        and not inc.not_taken
        and id(parent) not in reached
        and parent is not router
        for parent in routers
        for inc in parent.includes
    )


class _Builder:
    def __init__(self, index: ProjectIndex, auth: AuthClassifier) -> None:
        self.index = index
        self.auth = auth
        self.reached: set[int] = set()
        self.endpoints: list[Endpoint] = []
        self.unresolved: list[Unresolved] = []

    def visit(self, router: Router, ctx: _Ctx, stack: tuple[int, ...]) -> int:
        """Emit the routes of `router` and of the routers it includes; the number of routes emitted."""
        self.reached.add(id(router))
        ctx = ctx.add(router.options)
        count = 0
        for route in router.routes:
            count += self.emit(route, ctx)
        for inc in router.includes:
            if not inc.blocked and not inc.not_taken and id(inc.child) not in stack and inc.child is not router:
                count += self.visit(inc.child, ctx.add(inc.options), (*stack, id(router)))
        return count

    def skip(self, router: Router) -> None:
        """Mark `router` and what only it includes as reached, listing nothing."""
        if id(router) in self.reached:
            return
        self.reached.add(id(router))
        for inc in router.includes:
            self.skip(inc.child)

    def emit(self, route: Route, ctx: _Ctx) -> int:
        index, func, module = self.index, route.func, route.func_module
        ctx = ctx.add(route.options)
        path = ctx.prefix + route.path
        path = path if path.startswith("/") else "/" + path
        deps = [*ctx.deps, *function_deps(index, module, func)]
        summary = literals.string(literals.keyword(route.call, "summary"))
        if summary is None:
            doc = ast.get_docstring(func) or ""
            summary = next((line.strip() for line in doc.splitlines() if line.strip()), "")
        status = literals.keyword(route.call, "status_code")
        codes = {literals.status_code(status) if status is not None else 200, *ctx.responses}
        codes.update(self._raised(module, func))
        shared = {
            "path": path,
            "version": next((s for s in path.split("/") if _VERSION.match(s)), None),
            "summary": summary,
            "handler": f"{module}:{func.name}",
            "file": index.modules[module].source.rel,
            "line": func.lineno,
            "auth": self.auth.names(deps),
            "request_model": self._request_model(module, func),
            "response_model": self._response_model(route, module, func),
            "status_codes": sorted(c for c in codes if c is not None),
            "path_params": _PATH_PARAM.findall(path),
            "tags": list(dict.fromkeys(ctx.tags)),
            "hidden": ctx.hidden,
        }
        self.endpoints.extend(Endpoint(method=method, **shared) for method in route.methods)
        return len(route.methods)

    def _raised(self, module: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[int]:
        """Status codes of `raise HTTPException(...)` in the handler's body (nested functions included)."""
        for node in all_statements(func.body):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and last(self.index.qualname(module, node.exc.func)).endswith("HTTPException")
            ):
                code = literals.status_code(literals.keyword(node.exc, "status_code", 0))
                if code is not None:
                    yield code

    def _request_model(self, module: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        for arg, default in parameters(func):
            if arg.annotation is None or parameter_deps(self.index, module, arg, default):
                continue
            annotation, _ = unwrap_annotated(self.index, module, arg.annotation)
            if any(self._is_body_model(module, n) for n in ast.walk(annotation)):
                return literals.source(annotation)
        return None

    def _is_body_model(self, module: str, node: ast.AST) -> bool:
        if not isinstance(node, ast.Name | ast.Attribute):
            return False
        ref = self.index.resolve(module, node)
        if ref is not None and ref.kind == "external" and ref.module.split(".")[0] in _NOT_A_BODY:
            return False
        if self.index.class_def(ref) is not None and self.index.derives_from(ref, _MODEL_BASES):
            return True
        name = last(dotted(node))
        return any(name.endswith(s) and name != s for s in _BODY_SUFFIXES)

    def _response_model(self, route: Route, module: str, func: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
        node = literals.keyword(route.call, "response_model")
        if node is not None:
            return None if isinstance(node, ast.Constant) and node.value is None else literals.source(node)
        returns = func.returns
        if returns is None or (isinstance(returns, ast.Constant) and returns.value is None):
            return None
        for part in ast.walk(returns):
            if isinstance(part, ast.Name | ast.Attribute):
                ref = self.index.resolve(module, part)
                name = last(self.index.qualname(module, part))
                if name in _RESPONSE_BASES or self.index.derives_from(ref, _RESPONSE_BASES):
                    return None
        return literals.source(returns)
