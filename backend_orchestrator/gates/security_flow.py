"""Request data flowing into SQL (SC202), shells (SC203) and outbound URLs (SC204).

A small intra-procedural taint analysis, followed into the project's own functions up to
`_MAX_DEPTH` calls deep. The sources are request data only: a route handler's parameters that carry
it (FastAPI path, query and body parameters; not dependencies such as the session or the current
user, not parameters typed `int`, `bool`, `UUID`, dates, enums or literals), and what is read from a
request object (`request.args/form/json/values/files/cookies/headers/data`, `request.GET/POST/body`,
`request.query_params`, `await request.json()`, ...: `REQUEST_DATA`; not the server's own address,
`request.url`/`base_url`/`host`). A request object is the
handler's `request` parameter (or one annotated `Request`), Django's `self.request`, and Flask's
global `request` in any function of a module that imports it; its other attributes (`request.user`,
`request.app`, `request.method`) are not request data. CLI entry points (click, typer, Flask's
`app.cli`) are never sources. Taint follows assignments, loops, `with` and walrus targets, attribute
and item access, and calls (except `int()`, `float()`, `len()`, quote-doubling `.replace("'", "''")`,
...). A value stops being request data where an allowlist or a validator guards it: inside
`if v in ALLOWED:` (or `if is_safe_url(v):`), and after `if v not in ALLOWED: v = "default"` (or a
`return`/`raise`/`abort()` there); an outbound request in a branch the operator opted into
(`if allow_localhost:`) is not SSRF.

Why hand-written: bandit's B608 flags every string-built query whether or not request data reaches
it, and semgrep's taint mode (the field's tool for this) is a 277 MB LGPL dependency whose public
rules may not be redistributed. Every function is also checked without taint, so string-built SQL
that no handler visibly feeds is still reported, one level lower (medium) — but not a schema statement
(`ALTER TABLE`, `CREATE INDEX`, `ATTACH DATABASE`, `PRAGMA`) no request data reaches: identifiers cannot
be bound, so building them is how such code is written.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..contracts.common import Severity
from ..contracts.registry import Endpoint
from ..discovery import literals
from ..discovery.dependencies import parameter_deps, parameters, unwrap_annotated
from ..discovery.files import SourceFile
from ..discovery.symbols import dotted, last
from .security_common import Code, Function, Hit, functions, own_nodes, words

_SAFE_TYPES = frozenset({"int", "float", "bool", "UUID", "UUID4", "date", "datetime", "time", "timedelta",
                         "Decimal", "PositiveInt", "NegativeInt", "NonNegativeInt", "NonPositiveInt",
                         "StrictInt", "StrictBool", "StrictFloat", "PositiveFloat", "Session", "AsyncSession",
                         "BackgroundTasks", "Response", "None"})
_ENUMS = frozenset({"Enum", "StrEnum", "IntEnum", "IntFlag", "Flag"})
_SANITIZERS = frozenset({"int", "float", "bool", "len", "UUID", "abs", "round", "isinstance", "quote",
                         "escape", "bindparam", "quote_name", "quote_ident", "quote_identifier",
                         "escape_identifier", "Identifier"})
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "mogrify", "raw"})
_SQL_ONLY = frozenset({"text", "exec_driver_sql", "executescript"})
_SQL_WORDS = re.compile(r"\b(select|insert\s+into|update|delete\s+from|create|drop|alter|pragma|truncate|"
                        r"where|from|values|order\s+by|group\s+by|limit)\b", re.IGNORECASE)
_DDL = re.compile(r"^\s*(alter|create|drop)\s+(table|index|view|trigger|schema|database)\b|^\s*(attach|detach)\s+"
                  r"database\b|^\s*pragma\b|^\s*vacuum\b", re.IGNORECASE)
_DB_RECEIVER = frozenset({"cursor", "cur", "conn", "connection", "db", "session", "engine", "database"})
_SHELL_CALLS = frozenset({"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
                          "asyncio.create_subprocess_shell", "commands.getoutput"})
_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})
_HTTP_MODULES = ("httpx.", "requests.", "aiohttp.")
_CLIENT_CLASSES = frozenset({"httpx.Client", "httpx.AsyncClient", "requests.Session", "requests.session",
                             "aiohttp.ClientSession"})
_URL_CALLS = frozenset({"urllib.request.urlopen", "urllib.request.Request", "urllib3.request"})
_URL_WRAPPERS = frozenset({"urljoin", "str", "URL", "format"})
_HOST_FIXED = re.compile(r"^/(?!/)|://[^/\x00?#]+[/?#]")
_MAX_DEPTH = 3


REQUEST_DATA = frozenset({
    "args", "form", "json", "get_json", "values", "files", "cookies", "headers", "data", "get_data", "stream",
    "query_params", "path_params", "body", "query_string", "path", "full_path", "view_args", "match_info",
    "query", "content", "GET", "POST", "FILES", "COOKIES",
    "META", "query_arguments", "body_arguments", "arguments", "get_argument", "get_query_argument",
    "get_body_argument", "authorization", "environ",
})
_REQUEST_TYPES = frozenset({"Request", "HttpRequest", "WSGIRequest", "ASGIRequest", "HTTPConnection", "WebSocket"})
_REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "flask.globals.request"})
_CLI_DECORATORS = frozenset({"command", "group", "option", "argument", "callback", "pass_context", "pass_obj",
                             "with_appcontext"})
_CLI_MODULES = ("click.", "typer.", "flask.cli.", "cyclopts.", "fire.")
_VALIDATOR = re.compile(r"safe|allowed|valid|permitted|trusted|whitelist|allowlist|is_private|is_public",
                        re.IGNORECASE)
_OPT_IN = re.compile(r"allow_?(localhost|local|private|internal|loopback|insecure)", re.IGNORECASE)


@dataclass(frozen=True)
class _Guard:
    """Request data made safe between two lines: `name` (or every name, for an opt-in branch) is allowlisted,
    validated, or the branch is one the operator opted into (`kind` "opt-in": SSRF only)."""

    name: str
    start: int
    end: int
    kind: str = "allowlist"


@dataclass
class _Scope:
    code: Code
    source: SourceFile
    func: Function
    tainted: set[str]
    assigns: dict[str, list[ast.AST]]
    origin: str  # "" when no request data is traced; else the handler (and the call chain) it comes from
    requests: frozenset[str] = frozenset()  # names (`request`, `self.request`) that hold the request object
    opted_in: bool = False  # in a branch the operator opted into (`if allow_localhost:`): no SSRF
    guards: list[_Guard] = field(default_factory=list)

    @property
    def module(self) -> str:
        return self.source.module

    @property
    def traced(self) -> bool:
        return bool(self.tainted or self.requests)


@dataclass
class _Built:
    node: ast.AST
    literal: str
    tainted: bool
    how: str


def flow_hits(code: Code, endpoints: list[Endpoint]) -> list[Hit]:
    best: dict[tuple[str, int, str], Hit] = {}
    seen: set[tuple[int, frozenset[str], frozenset[str]]] = set()
    for source in code.files:
        flask_request = _imports_request_global(code, source)
        for func in functions(source):
            cli = _cli_entry(code, source.module, func)
            requests = frozenset({"request"}) if flask_request and not cli and _uses_request(func) else frozenset()
            origin = f"{func.name}() (the framework's global request)" if requests else ""
            _collect(best, _scope(code, source, func, set(), origin, requests), seen, 0)
    for endpoint in endpoints:
        found = code.handler(endpoint)
        if found is None or _cli_entry(code, found[0].module, found[1]):
            continue
        source, func = found
        params = parameters(func)
        requests = frozenset({a.arg for a, _ in params if _is_request(code, source.module, a)} | {"request"} |
                             ({"self.request"} if params and params[0][0].arg == "self" else set()))
        seeds = {a.arg for a, d in params if a.arg not in requests and _carries_data(code, source.module, a, d)}
        _collect(best, _scope(code, source, func, seeds, f"{endpoint.ref} ({endpoint.handler})", requests), seen, 0)
    return list(best.values())


def _imports_request_global(code: Code, source: SourceFile) -> bool:
    info = code.index.modules.get(source.module)
    return info is not None and any(f"{imp.module}.{imp.name}" in _REQUEST_GLOBALS
                                    for imp in info.imports.values() if imp.name)


def _uses_request(func: Function) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "request" for n in own_nodes(func))


def _cli_entry(code: Code, module: str, func: Function) -> bool:
    """A command-line entry point: decorated by click, typer or Flask's `app.cli` (`@cli.command()`,
    `@click.option(...)`, `@app.cli.command("x")`). Its arguments come from the command line, not a request."""
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = code.index.qualname(module, target)
        if name.startswith(_CLI_MODULES) or ".cli." in f".{dotted(target)}." or (
                last(name) in _CLI_DECORATORS and last(name) != "callback" and not name.startswith(
                    ("fastapi.", "flask.", "starlette."))):
            return True
    return False


def _is_request(code: Code, module: str, arg: ast.arg) -> bool:
    """A parameter that holds the request object: annotated `Request` (FastAPI, Starlette, Django, DRF)."""
    if arg.annotation is None:
        return False
    inner = unwrap_annotated(code.index, module, arg.annotation)[0]
    return last(dotted(inner)) in _REQUEST_TYPES


def _carries_data(code: Code, module: str, arg: ast.arg, default: ast.expr | None) -> bool:
    if arg.arg in ("self", "cls") or parameter_deps(code.index, module, arg, default):
        return False
    return arg.annotation is None or not _safe_type(code, module, arg.annotation)


def _safe_type(code: Code, module: str, ann: ast.expr) -> bool:
    ann, _ = unwrap_annotated(code.index, module, ann)
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        return _safe_type(code, module, ann.left) and _safe_type(code, module, ann.right)
    if isinstance(ann, ast.Subscript):
        outer = last(dotted(ann.value))
        if outer == "Literal":
            return True
        if outer in ("Optional", "Union"):
            inner = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            return all(_safe_type(code, module, e) for e in inner)
        return False
    if isinstance(ann, ast.Constant) and ann.value is None:
        return True
    if isinstance(ann, ast.Name | ast.Attribute):
        return last(dotted(ann)) in _SAFE_TYPES or code.index.derives_from(code.index.resolve(module, ann), _ENUMS)
    return False


def _scope(code: Code, source: SourceFile, func: Function, seeds: set[str], origin: str,
           requests: frozenset[str] = frozenset()) -> _Scope:
    scope = _Scope(code, source, func, set(seeds), {}, origin, requests)
    bindings: list[tuple[list[str], ast.AST, ast.AST]] = []  # (names, value, node recorded)
    for node in own_nodes(func):
        if isinstance(node, ast.Assign):
            bindings.append(([n for t in node.targets for n in _names(t)], node.value, node.value))
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            bindings.append((_names(node.target), node.value, node.value))
        elif isinstance(node, ast.AugAssign):
            bindings.append((_names(node.target), node.value, node))
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            bindings.append((_names(node.target), node.iter, node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bindings.append((_names(node.optional_vars), node.context_expr, node.context_expr))
    for names, _, recorded in bindings:
        for name in names:
            scope.assigns.setdefault(name, []).append(recorded)
    scope.guards = _guards(scope)
    if scope.traced:
        for _ in range(3):  # loops can feed earlier statements: iterate to a fixpoint
            before = len(scope.tainted)
            for names, value, _ in bindings:
                if _tainted(value, _guarded(scope, getattr(value, "lineno", 0))):
                    scope.tainted.update(n for n in names if n not in scope.requests)
            if len(scope.tainted) == before:
                break
    return scope


def _names(target: ast.AST) -> list[str]:
    """The variables an assignment target binds; `d[k] = v` and `o.a = v` taint the container `d`/`o`."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _names(e)]
    if isinstance(target, ast.Starred | ast.Attribute | ast.Subscript):
        return _names(target.value)
    return []


def _tainted(expr: ast.AST | None, scope: _Scope) -> bool:
    """Whether `expr` can hold request data in `scope`."""
    if expr is None or not scope.traced:
        return False
    if isinstance(expr, ast.Name):
        return expr.id in scope.tainted
    if isinstance(expr, ast.Constant):
        return False
    if isinstance(expr, ast.Attribute | ast.Subscript | ast.Call) and (read := _request_read(expr, scope)) is not None:
        return read
    if isinstance(expr, ast.Call):
        if last(dotted(expr.func)) in _SANITIZERS or _quotes_doubled(expr):
            return False
        receiver = expr.func.value if isinstance(expr.func, ast.Attribute) else None
        return _tainted(receiver, scope) or any(_tainted(a, scope) for a in expr.args) or \
            any(_tainted(k.value, scope) for k in expr.keywords)
    if isinstance(expr, ast.IfExp) and _allowlisted_choice(expr):
        return _tainted(expr.orelse, scope)  # `v if v in ALLOWED else "default"`
    return any(_tainted(child, scope) for child in ast.iter_child_nodes(expr))


def _request_read(expr: ast.AST, scope: _Scope) -> bool | None:
    """For an access rooted at a request object: whether it reads request data (`request.args["q"]`,
    `self.request.GET.get("q")`, `await request.json()`); None when `expr` is not rooted at one."""
    chain: list[str] = []
    node = expr
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call | ast.Await):
        if isinstance(node, ast.Attribute):
            chain.append(node.attr)
        node = node.func if isinstance(node, ast.Call) else node.value
    chain.reverse()
    if isinstance(node, ast.Name) and node.id in scope.requests:
        first = chain[0] if chain else ""
    elif isinstance(node, ast.Name) and chain and f"{node.id}.{chain[0]}" in scope.requests:
        first = chain[1] if len(chain) > 1 else ""
    else:
        return None
    if first in REQUEST_DATA:
        return True
    if isinstance(expr, ast.Call):  # a call on the request that is not a read of its data: its arguments may be
        return any(_tainted(a, scope) for a in expr.args) or any(_tainted(k.value, scope) for k in expr.keywords)
    return False


def _quotes_doubled(call: ast.Call) -> bool:
    """`value.replace("'", "''")`: SQL string-literal escaping."""
    return isinstance(call.func, ast.Attribute) and call.func.attr == "replace" and len(call.args) == 2 and \
        [literals.string(a) for a in call.args] == ["'", "''"]


def _allowlisted_choice(expr: ast.IfExp) -> bool:
    test = expr.test
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.In) and \
        isinstance(test.left, ast.Name) and isinstance(expr.body, ast.Name) and expr.body.id == test.left.id


def _tainted_names(expr: ast.AST, scope: _Scope) -> list[str]:
    names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in scope.tainted}
    names |= {dotted(n) for n in ast.walk(expr) if isinstance(n, ast.Attribute) and n.attr in REQUEST_DATA
              and dotted(n.value) in scope.requests}
    return sorted(names)


def _collect(best: dict[tuple[str, int, str], Hit], scope: _Scope,
             seen: set[tuple[int, frozenset[str], frozenset[str]]], depth: int) -> None:
    key = (id(scope.func), frozenset(scope.tainted), scope.requests)
    if key in seen:
        return
    seen.add(key)
    for call in (n for n in own_nodes(scope.func) if isinstance(n, ast.Call)):
        here = _guarded(scope, call.lineno)
        for hit in _sinks(here, call):
            slot = (hit.path, hit.line or 0, hit.rule_id)
            old = best.get(slot)
            if old is None or (old.severity == "medium" and hit.severity == "high"):
                best[slot] = hit
        if here.traced and depth < _MAX_DEPTH:
            callee = _callee(here, call)
            if callee is not None:
                _collect(best, callee, seen, depth + 1)


def _guards(scope: _Scope) -> list[_Guard]:
    found: list[_Guard] = []
    last_line = max((getattr(n, "end_lineno", 0) or 0 for n in ast.walk(scope.func)), default=scope.func.lineno)
    for node in own_nodes(scope.func):
        if not isinstance(node, ast.If):
            continue
        body_start, body_end = node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno
        for name in _members(scope, node.test, positive=True):  # if v in ALLOWED: <v is one of them here>
            found.append(_Guard(name, body_start, body_end))
        leaves, resets = _leaves_or_resets(node.body)
        for name in _members(scope, node.test, positive=False):  # if v not in ALLOWED: v = "x" (or return)
            if leaves or name in resets:
                found.append(_Guard(name, (node.end_lineno or node.lineno) + 1, last_line))
        if any(_OPT_IN.search(dotted(n)) for n in ast.walk(node.test) if isinstance(n, ast.Name | ast.Attribute)):
            found.append(_Guard("", body_start, body_end, "opt-in"))
    return found


def _members(scope: _Scope, test: ast.expr, positive: bool) -> list[str]:
    """Names the test checks against an allowlist or a validator: `v in ALLOWED`, `is_safe_url(v)` when
    `positive`; `v not in ALLOWED`, `not v in ALLOWED`, `not is_safe_url(v)` when not. Through `and`
    (positive) or `or` (negative) chains."""
    if isinstance(test, ast.BoolOp):
        wanted = ast.And if positive else ast.Or
        return [n for v in test.values for n in _members(scope, v, positive)] if isinstance(test.op, wanted) else []
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _members(scope, test.operand, not positive)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name):
        op, right = test.ops[0], test.comparators[0]  # `q in request.args` allows nothing: the request fills it
        if isinstance(op, ast.In if positive else ast.NotIn) and not _tainted(right, scope):
            return [test.left.id]
        if isinstance(op, ast.Eq if positive else ast.NotEq) and isinstance(right, ast.Constant):
            return [test.left.id]  # `if order == "asc":` it is that constant here
    if isinstance(test, ast.Call) and positive and _VALIDATOR.search(last(dotted(test.func))):
        return [a.id for a in test.args if isinstance(a, ast.Name)]
    return []


def _leaves_or_resets(body: list[ast.stmt]) -> tuple[bool, set[str]]:
    """Whether the branch leaves (return, raise, abort(), continue, break), and the names it assigns."""
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ast.Return | ast.Raise | ast.Continue | ast.Break):
            return True, names
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                last(dotted(stmt.value.func)) in ("abort", "redirect"):
            return True, names
        if isinstance(stmt, ast.Assign):
            names.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return False, names


def _guarded(scope: _Scope, line: int) -> _Scope:
    """The scope as seen at `line`: names an allowlist or validator guards there are no longer request data."""
    clean = {g.name for g in scope.guards if g.kind == "allowlist" and g.start <= line <= g.end}
    opted = any(g.kind == "opt-in" and g.start <= line <= g.end for g in scope.guards)
    if not clean and not opted:
        return scope
    return replace(scope, tainted=scope.tainted - clean, opted_in=opted)


def _callee(scope: _Scope, call: ast.Call) -> _Scope | None:
    index = scope.code.index
    ref = index.resolve(scope.module, call.func)
    func = index.function_def(ref)
    if ref is None or func is None or _cli_entry(scope.code, ref.module, func):
        return None
    source = index.modules[ref.module].source
    params = parameters(func)
    seeds, requests = set(), set()
    passed = [(arg, default, value) for (arg, default), value in zip(params, call.args, strict=False)
              if not isinstance(value, ast.Starred)]
    by_name = dict(params)
    for kw in call.keywords:
        match = next((a for a in by_name if a.arg == kw.arg), None)
        if match is not None:
            passed.append((match, by_name[match], kw.value))
    for arg, default, value in passed:
        if isinstance(value, ast.Name | ast.Attribute) and dotted(value) in scope.requests:
            requests.add(arg.arg)  # the request object itself, handed on
        elif _tainted(value, scope) and _carries_data(scope.code, ref.module, arg, default):
            seeds.add(arg.arg)
    if not seeds and not requests:
        return None
    return _scope(scope.code, source, func, seeds, f"{scope.origin} via {ref.name}()", frozenset(requests))


def _sinks(scope: _Scope, call: ast.Call) -> Iterator[Hit]:
    index, module = scope.code.index, scope.module
    name = index.qualname(module, call.func)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    is_sql = method in _SQL_METHODS or (last(name) == "text" and name.startswith(("sqlalchemy", "sqlmodel")))
    if is_sql and (hit := _sql(scope, call, method or "text")) is not None:
        yield hit
    if scope.traced:
        shell = name in _SHELL_CALLS or (name.startswith("subprocess.") and any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords))
        command = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("args", "cmd")),
                                                      None)
        if shell and command is not None and _tainted(command, scope):
            names = ", ".join(_tainted_names(command, scope))
            yield _hit(scope, "SC203", command, "high",
                       f"A shell command is built from request data ({names}) and run by {name}(): pass an "
                       "argument list of allowlisted values to `subprocess.run([...], shell=False, timeout=...)` "
                       "instead.", f"sink {name}()")
        url = _url_argument(scope, call, name, method)
        if url is not None and not scope.opted_in and _url_start_tainted(scope, url, 0):
            yield _hit(scope, "SC204", url, "high",
                       f"An outbound request ({name or method}()) goes to a URL whose scheme or host comes from "
                       f"request data ({', '.join(_tainted_names(url, scope)) or 'request'}): fetch only "
                       "allowlisted hosts (or build the URL from a fixed base and an id), refuse private, "
                       "loopback and metadata addresses, and do not follow redirects to unchecked hosts.",
                       f"sink {name or method}()")


def _hit(scope: _Scope, rule: str, node: ast.AST, severity: Severity, message: str, sink: str) -> Hit:
    line = getattr(node, "lineno", scope.func.lineno)
    origin = f"request data from {scope.origin}" if scope.origin else "no request data traced"
    return Hit(rule, f"{message} ({scope.source.rel}:{line})", path=scope.source.rel, line=line,
               severity=severity, end_line=getattr(node, "end_lineno", line), evidence=f"{sink}; {origin}")


def _sql(scope: _Scope, call: ast.Call, sink: str) -> Hit | None:
    arg = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg in ("statement", "sql", "query", "operation", "text")), None)
    if arg is None or (isinstance(arg, ast.Call) and last(dotted(arg.func)) == "text"):
        return None
    built = _built(scope, arg, call.lineno, 0)
    receiver = words(dotted(call.func.value))[-1:] if isinstance(call.func, ast.Attribute) else []
    if built is None and _tainted(arg, scope) and (sink in _SQL_ONLY or set(receiver) & _DB_RECEIVER):
        built = _Built(arg, "", True, "request data passed as the statement")
    if built is None or not (sink in _SQL_ONLY or _SQL_WORDS.search(built.literal)):
        return None
    allowed = {g.name for g in scope.guards if g.kind == "allowlist" and g.start <= call.lineno <= g.end}
    allowed |= {name for name, values in scope.assigns.items() if values and all(
        isinstance(v, ast.Constant) or (isinstance(v, ast.IfExp) and _allowlisted_choice(v)) for v in values)}
    if not built.tainted and _DDL.search(built.literal):
        return None  # schema statements name tables and columns, which no driver can bind: nothing to fix here
    if not built.tainted and all(_sanitized(part) or (isinstance(part, ast.Name) and part.id in allowed) or
                                 (isinstance(part, ast.IfExp) and _allowlisted_choice(part))
                                 for part in _dynamic_parts(built.node)):
        return None  # only quoted identifiers, numbers or allowlisted values go in: `"... %s" % quote_name(name)`
    names = _tainted_names(built.node, scope) if built.tainted else []
    if built.tainted:
        what = f"SQL is built by {built.how} from request data ({', '.join(names) or 'request'})"
    else:
        what = f"SQL is built by {built.how} (no request data traced into it here)"
    return _hit(scope, "SC202", built.node, "high" if built.tainted else "medium",
                f"{what} and run by {sink}() at line {call.lineno}: bind values as parameters "
                "(`text(\"... WHERE name = :name\")` with a parameter dict, or an ORM `select()`), and map "
                "table or column names through an allowlist.", f"sink {sink}() at line {call.lineno}")


def _built(scope: _Scope, expr: ast.AST, before: int, depth: int) -> _Built | None:
    """The string-building expression that makes `expr` (f-string, %, +, .format), if any."""
    if isinstance(expr, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in expr.values):
        return _Built(expr, _constants(expr), _tainted(expr, scope), "an f-string")
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod) and _stringy(scope, expr.left, before):
        return _Built(expr, _constants(expr.left), _tainted(expr, scope), "% formatting")
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) and _stringy(scope, expr, before) \
            and not all(isinstance(p, ast.Constant) for p in _operands(expr)):
        return _Built(expr, _constants(expr) + _resolved_text(scope, expr, before),
                      _tainted(expr, scope), "concatenation")
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format":
        return _Built(expr, _constants(expr.func.value), _tainted(expr, scope), ".format()")
    if isinstance(expr, ast.AugAssign):
        inner = _built(scope, expr.value, before, depth)
        if inner is not None:
            return inner
        if isinstance(expr.op, ast.Add) and _tainted(expr.value, scope):
            return _Built(expr, "", True, "concatenation")
        return None
    if isinstance(expr, ast.Name) and depth < _MAX_DEPTH:
        found = [b for v in scope.assigns.get(expr.id, []) if getattr(v, "lineno", 0) <= before
                 and (b := _built(scope, v, before, depth + 1)) is not None]
        if found:
            text = "".join(_constants(v) for v in scope.assigns.get(expr.id, []))
            chosen = next((b for b in found if b.tainted), found[0])
            return _Built(chosen.node, text + chosen.literal, chosen.tainted, chosen.how)
    return None


def _dynamic_parts(node: ast.AST) -> list[ast.AST]:
    """What a string-building expression inserts into its literal text."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return [*_dynamic_parts(node.left), *(node.right.elts if isinstance(node.right, ast.Tuple) else [node.right])]
    if isinstance(node, ast.BinOp):
        return [p for p in _operands(node) if not isinstance(p, ast.Constant)]
    if isinstance(node, ast.Call):
        return [*node.args, *(k.value for k in node.keywords)]
    if isinstance(node, ast.AugAssign):
        return _dynamic_parts(node.value) if isinstance(node.value, ast.JoinedStr | ast.BinOp | ast.Call) \
            else [node.value]
    return [node]


def _sanitized(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Call) and (
        last(dotted(node.func)) in _SANITIZERS or _quotes_doubled(node)))


def _stringy(scope: _Scope, expr: ast.AST, before: int) -> bool:
    """Whether `expr` (or one of its `+` operands) is visibly a string."""
    for part in _operands(expr):
        if isinstance(part, ast.JoinedStr) or (isinstance(part, ast.Constant) and isinstance(part.value, str)):
            return True
        if isinstance(part, ast.Call) and isinstance(part.func, ast.Attribute) and part.func.attr == "format":
            return True
        if isinstance(part, ast.Name) and _resolved_text(scope, part, before):
            return True
    return False


def _operands(expr: ast.AST) -> list[ast.AST]:
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _operands(expr.left) + _operands(expr.right)
    return [expr]


def _constants(expr: ast.AST) -> str:
    return " ".join(n.value for n in ast.walk(expr) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def _resolved_text(scope: _Scope, expr: ast.AST, before: int) -> str:
    """The string constants the names in `expr` were assigned in this function or at module level."""
    out: list[str] = []
    for name in (n for n in ast.walk(expr) if isinstance(n, ast.Name)):
        values = [v for v in scope.assigns.get(name.id, []) if getattr(v, "lineno", 0) <= before]
        bound = scope.code.index.binding(scope.code.index.resolve(scope.module, name))
        if bound is not None and isinstance(bound.node, ast.expr):
            values.append(bound.node)
        out.extend(_constants(v) for v in values if isinstance(v, ast.Constant | ast.JoinedStr | ast.BinOp))
    return " ".join(out)


def _url_argument(scope: _Scope, call: ast.Call, name: str, method: str) -> ast.AST | None:
    http = name.startswith(_HTTP_MODULES) and last(name) in _VERBS
    client = method in _VERBS and isinstance(call.func, ast.Attribute) and _is_client(scope, call.func.value)
    if not (http or client or name in _URL_CALLS):
        return None
    position = 1 if (last(name) == "request" or method == "request" or method == "stream") else 0
    for kw in call.keywords:
        if kw.arg == "url":
            return kw.value
    return call.args[position] if len(call.args) > position else None


def _is_client(scope: _Scope, receiver: ast.AST) -> bool:
    index = scope.code.index
    if not isinstance(receiver, ast.Name):
        return False
    values = list(scope.assigns.get(receiver.id, []))
    bound = index.binding(index.resolve(scope.module, receiver))
    if bound is not None and isinstance(bound.node, ast.expr):
        values.append(bound.node)
    for value in values:
        if isinstance(value, ast.Call) and index.qualname(scope.module, value.func) in _CLIENT_CLASSES:
            return True
    for arg, _ in parameters(scope.func):
        if arg.arg == receiver.id and arg.annotation is not None:
            inner = unwrap_annotated(index, scope.module, arg.annotation)[0]
            return index.qualname(scope.module, inner) in _CLIENT_CLASSES
    return False


def _url_start_tainted(scope: _Scope, expr: ast.AST, depth: int) -> bool:
    """Whether the scheme or host of the URL `expr` can come from request data."""
    if isinstance(expr, ast.Name):
        values = scope.assigns.get(expr.id, [])
        if values and depth < _MAX_DEPTH:
            return any(_url_start_tainted(scope, v, depth + 1) for v in values)
        return expr.id in scope.tainted
    if isinstance(expr, ast.JoinedStr):
        pieces: list[ast.AST] = list(expr.values)
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        pieces = _operands(expr)
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format" \
            and isinstance(expr.func.value, ast.Constant) and isinstance(expr.func.value.value, str):
        prefix = expr.func.value.value.split("{", 1)[0]
        return not _HOST_FIXED.search(prefix) and _tainted(expr, scope)
    elif isinstance(expr, ast.Call):
        return last(dotted(expr.func)) in _URL_WRAPPERS and _tainted(expr, scope)
    else:
        return _tainted(expr, scope)
    text = ""
    for piece in pieces:
        if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
            text += piece.value
            continue
        if _HOST_FIXED.search(text):
            return False
        value = piece.value if isinstance(piece, ast.FormattedValue) else piece
        if _url_start_tainted(scope, value, depth + 1):
            return True
        text += "\x00"
    return False
