"""What the `api-design` gate reads from the code with `ast` (never importing it): handlers' parameters
and returns, rate limiting, exception handlers, and where the app is created.

Hand-written because no tool answers these questions for a FastAPI/Flask project without importing it:
Spectral and friends lint only the exported OpenAPI document, which knows nothing of handlers that
return an error body with 200, or of a rate-limiting middleware.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from ..contracts.registry import Endpoint
from .api_design_paths import function_name

PAGE_PARAMS = frozenset({"limit", "offset", "skip", "page", "page_size", "per_page", "cursor", "page_token"})
_PAGE_HINT = re.compile(r"(?i)pagin|\bpage|cursor|\blimit\b|\boffset\b|per_?page")
_RATE_TEXT = re.compile(r"(?i:rate_?limit|limiter|slowapi)")
# `Limiter`, `RequestLimiter`, `limiter`, `api_limiter`, `RateLimitMiddleware`; not `delimiter`
_RATE_NAME = re.compile(r"(?i:rate_?limit)|Limiter|(?:^|_)limiter")
RATE_MODULES = frozenset({"slowapi", "fastapi_limiter", "flask_limiter", "django_ratelimit", "ratelimit", "limits",
                          "ratelimiter", "asgi_ratelimit"})
_HANDLER_TEXT = re.compile(r"exception_handler|errorhandler|register_error_handler")
_HANDLER_CALLS = frozenset({"add_exception_handler", "exception_handler", "errorhandler", "register_error_handler"})
_APP_TEXT = re.compile(r"\b(FastAPI|Flask|Starlette|Quart)\(")
_APP_CLASSES = frozenset({"FastAPI", "Flask", "Starlette", "Quart"})
_ERROR_KEYS = frozenset({"error", "errors"})
_FLAG_KEYS = frozenset({"success", "ok"})
_STATUS_NAME = re.compile(r"HTTP_(\d{3})")


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


class CodeIndex:
    """The project's files, read and parsed once, on demand."""

    def __init__(self, root: Path, sources: list[Path]) -> None:
        self.root = root
        self.sources = sources
        self._text: dict[Path, str | None] = {}
        self._tree: dict[Path, ast.Module | None] = {}
        self._defs: dict[Path, dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]] = {}

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def text(self, path: Path) -> str | None:
        if path not in self._text:
            try:
                self._text[path] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._text[path] = None
        return self._text[path]

    def tree(self, path: Path) -> ast.Module | None:
        if path not in self._tree:
            text = self.text(path)
            try:
                self._tree[path] = ast.parse(text, filename=str(path)) if text is not None else None
            except (SyntaxError, ValueError):
                self._tree[path] = None
        return self._tree[path]

    def file(self, relpath: str) -> Path | None:
        path = (self.root / relpath).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None

    def handler(self, endpoint: Endpoint) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The handler's definition at the registry's file:line (by name when the line moved)."""
        path = self.file(endpoint.file)
        found = self._functions(path).get(function_name(endpoint), []) if path else []
        exact = [n for n in found if n.lineno == endpoint.line
                 or any(d.lineno <= endpoint.line <= n.lineno for d in n.decorator_list)]
        return (exact or found)[0] if found else None

    def _functions(self, path: Path) -> dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]:
        if path not in self._defs:
            tree = self.tree(path)
            defs: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    defs.setdefault(node.name, []).append(node)
            self._defs[path] = defs
        return self._defs[path]

    def matching(self, pattern: re.Pattern[str]) -> Iterator[tuple[Path, ast.Module]]:
        """Source files whose text matches ``pattern`` (a cheap filter), parsed."""
        for path in self.sources:
            text = self.text(path)
            if text is not None and pattern.search(text) and (tree := self.tree(path)) is not None:
                yield path, tree


def own_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions or classes nested in it."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def paginates(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the handler takes a page parameter (`limit`, `offset`, `cursor`, a pagination dependency) or
    reads one from the query string (`request.args.get("page")`)."""
    args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
    defaults = [*func.args.defaults, *func.args.kw_defaults]
    if any(a.arg in PAGE_PARAMS for a in args):
        return True
    hints = [ast.unparse(a.annotation) for a in args if a.annotation is not None]
    hints += [ast.unparse(d) for d in defaults if d is not None]
    if any(_PAGE_HINT.search(h) for h in hints):
        return True
    return any(isinstance(n, ast.Constant) and n.value in PAGE_PARAMS for n in own_nodes(func))


def _status_of(node: ast.AST | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if node is not None and (match := _STATUS_NAME.search(_name(node))):
        return int(match.group(1))
    return None


def _error_dict(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Dict):
        return False
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if key.value in _ERROR_KEYS:
                return True
            if key.value in _FLAG_KEYS and isinstance(value, ast.Constant) and value.value is False:
                return True
    return False


def error_returns(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """Lines where the handler returns an error body with a success status: `return {"error": ...}`, or a
    `JSONResponse({"error": ...})` without an error `status_code`."""
    lines = []
    for node in own_nodes(func):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        value = node.value
        if _error_dict(value):
            lines.append(node.lineno)
        elif isinstance(value, ast.Call) and _name(value.func).endswith("Response"):
            content = next((k.value for k in value.keywords if k.arg == "content"),
                           value.args[0] if value.args else None)
            status = next((k.value for k in value.keywords if k.arg == "status_code"),
                          value.args[1] if len(value.args) > 1 else None)
            code = _status_of(status) if status is not None else 200
            if _error_dict(content) and code is not None and code < 400:
                lines.append(node.lineno)
    return lines


def rate_limiting(code: CodeIndex) -> str | None:
    """Where rate limiting is set up (slowapi, fastapi-limiter, flask-limiter, a *RateLimit* middleware or
    class, a *limiter* object), as `file:line`; None when nothing is found."""
    for path, tree in code.matching(_RATE_TEXT):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in RATE_MODULES for m in modules):
                    return f"{code.rel(path)}:{node.lineno}"
            elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | ast.Name | ast.Attribute):
                named = node.name if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) \
                    else _name(node)
                if _RATE_NAME.search(named):
                    return f"{code.rel(path)}:{node.lineno}"
    return None


def exception_handlers(code: CodeIndex) -> str | None:
    """Where the app registers exception handlers (`add_exception_handler`, `@app.exception_handler`,
    `FastAPI(exception_handlers=...)`, Flask `errorhandler`), as `file:line`."""
    for path, tree in code.matching(_HANDLER_TEXT):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (_name(node.func) in _HANDLER_CALLS
                                               or any(k.arg == "exception_handlers" for k in node.keywords)):
                return f"{code.rel(path)}:{node.lineno}"
    return None


def _app_assignment(tree: ast.Module, attr: str | None) -> int | None:
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            is_app = isinstance(node.value, ast.Call) and _name(node.value.func) in _APP_CLASSES
            if (attr in names) or (attr is None and is_app):
                return node.lineno
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attr:
            return node.lineno
    return None


def app_location(code: CodeIndex, app: str | None, source: list[str]) -> tuple[str | None, int | None]:
    """The file and line where the app is created: the configured `module:attr`, else the first
    `FastAPI(...)`/`Flask(...)` assignment in the sources."""
    if app:
        module, _, attr = app.partition(":")
        stem = module.replace(".", "/")
        for base in ["", *source]:
            for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
                path = code.file(f"{base}/{candidate}" if base else candidate)
                if path is not None and (tree := code.tree(path)) is not None \
                        and (line := _app_assignment(tree, attr)) is not None:
                    return code.rel(path), line
    for path, tree in code.matching(_APP_TEXT):
        if (line := _app_assignment(tree, None)) is not None:
            return code.rel(path), line
    return None, None
