"""Request data flowing into SQL (SC202), shells (SC203) and outbound URLs (SC204).

A small intra-procedural taint analysis, followed into the project's own functions up to
`_MAX_DEPTH` calls deep: the sources are a route handler's parameters that carry request data (not
dependencies such as the session or the current user, not parameters typed `int`, `bool`, `UUID`,
dates, enums or literals) and the name `request`; taint follows assignments, loops, `with` and
walrus targets, attribute and item access, and calls (except `int()`, `float()`, `len()`, ...).

Why hand-written: bandit's B608 flags every string-built query whether or not request data reaches
it, and semgrep's taint mode (the field's tool for this) is a 277 MB LGPL dependency whose public
rules may not be redistributed. Every function is also checked without taint, so string-built SQL
that no handler visibly feeds is still reported, one level lower (medium).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..contracts.common import Severity
from ..contracts.registry import Endpoint
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


@dataclass
class _Scope:
    code: Code
    source: SourceFile
    func: Function
    tainted: set[str]
    assigns: dict[str, list[ast.AST]]
    origin: str  # "" when no request data is traced; else the handler (and the call chain) it comes from

    @property
    def module(self) -> str:
        return self.source.module


@dataclass
class _Built:
    node: ast.AST
    literal: str
    tainted: bool
    how: str


def flow_hits(code: Code, endpoints: list[Endpoint]) -> list[Hit]:
    best: dict[tuple[str, int, str], Hit] = {}
    seen: set[tuple[int, frozenset[str]]] = set()
    for source in code.files:
        for func in functions(source):
            _collect(best, _scope(code, source, func, set(), ""), seen, 0)
    for endpoint in endpoints:
        found = code.handler(endpoint)
        if found is not None:
            source, func = found
            seeds = {a.arg for a, d in parameters(func) if _carries_data(code, source.module, a, d)} | {"request"}
            _collect(best, _scope(code, source, func, seeds, f"{endpoint.ref} ({endpoint.handler})"), seen, 0)
    return list(best.values())


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


def _scope(code: Code, source: SourceFile, func: Function, seeds: set[str], origin: str) -> _Scope:
    scope = _Scope(code, source, func, set(seeds), {}, origin)
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
    if seeds:
        for _ in range(3):  # loops can feed earlier statements: iterate to a fixpoint
            before = len(scope.tainted)
            for names, value, _ in bindings:
                if _tainted(value, scope.tainted):
                    scope.tainted.update(names)
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


def _tainted(expr: ast.AST | None, tainted: set[str]) -> bool:
    if expr is None or not tainted:
        return False
    if isinstance(expr, ast.Name):
        return expr.id in tainted
    if isinstance(expr, ast.Constant):
        return False
    if isinstance(expr, ast.Call):
        if last(dotted(expr.func)) in _SANITIZERS:
            return False
        receiver = expr.func.value if isinstance(expr.func, ast.Attribute) else None
        return _tainted(receiver, tainted) or any(_tainted(a, tainted) for a in expr.args) or \
            any(_tainted(k.value, tainted) for k in expr.keywords)
    return any(_tainted(child, tainted) for child in ast.iter_child_nodes(expr))


def _tainted_names(expr: ast.AST, tainted: set[str]) -> list[str]:
    return sorted({n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in tainted})


def _collect(best: dict[tuple[str, int, str], Hit], scope: _Scope, seen: set[tuple[int, frozenset[str]]],
             depth: int) -> None:
    key = (id(scope.func), frozenset(scope.tainted))
    if key in seen:
        return
    seen.add(key)
    for call in (n for n in own_nodes(scope.func) if isinstance(n, ast.Call)):
        for hit in _sinks(scope, call):
            slot = (hit.path, hit.line or 0, hit.rule_id)
            old = best.get(slot)
            if old is None or (old.severity == "medium" and hit.severity == "high"):
                best[slot] = hit
        if scope.tainted and depth < _MAX_DEPTH:
            callee = _callee(scope, call)
            if callee is not None:
                _collect(best, callee, seen, depth + 1)


def _callee(scope: _Scope, call: ast.Call) -> _Scope | None:
    index = scope.code.index
    ref = index.resolve(scope.module, call.func)
    func = index.function_def(ref)
    if ref is None or func is None:
        return None
    source = index.modules[ref.module].source
    params = parameters(func)
    seeds = set()
    for (arg, default), value in zip(params, call.args, strict=False):
        if not isinstance(value, ast.Starred) and _tainted(value, scope.tainted) and \
                _carries_data(scope.code, ref.module, arg, default):
            seeds.add(arg.arg)
    by_name = dict(params)
    for kw in call.keywords:
        match = next((a for a in by_name if a.arg == kw.arg), None)
        if match is not None and _tainted(kw.value, scope.tainted) and \
                _carries_data(scope.code, ref.module, match, by_name[match]):
            seeds.add(match.arg)
    if not seeds:
        return None
    return _scope(scope.code, source, func, seeds, f"{scope.origin} via {ref.name}()")


def _sinks(scope: _Scope, call: ast.Call) -> Iterator[Hit]:
    index, module = scope.code.index, scope.module
    name = index.qualname(module, call.func)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    is_sql = method in _SQL_METHODS or (last(name) == "text" and name.startswith(("sqlalchemy", "sqlmodel")))
    if is_sql and (hit := _sql(scope, call, method or "text")) is not None:
        yield hit
    if scope.tainted:
        shell = name in _SHELL_CALLS or (name.startswith("subprocess.") and any(
            k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords))
        command = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("args", "cmd")),
                                                      None)
        if shell and command is not None and _tainted(command, scope.tainted):
            names = ", ".join(_tainted_names(command, scope.tainted))
            yield _hit(scope, "SC203", command, "high",
                       f"A shell command is built from request data ({names}) and run by {name}(): pass an "
                       "argument list of allowlisted values to `subprocess.run([...], shell=False, timeout=...)` "
                       "instead.", f"sink {name}()")
        url = _url_argument(scope, call, name, method)
        if url is not None and _url_start_tainted(scope, url, 0):
            yield _hit(scope, "SC204", url, "high",
                       f"An outbound request ({name or method}()) goes to a URL whose scheme or host comes from "
                       f"request data ({', '.join(_tainted_names(url, scope.tainted)) or 'request'}): fetch only "
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
    if built is None and _tainted(arg, scope.tainted) and (sink in _SQL_ONLY or set(receiver) & _DB_RECEIVER):
        built = _Built(arg, "", True, "request data passed as the statement")
    if built is None or not (sink in _SQL_ONLY or _SQL_WORDS.search(built.literal)):
        return None
    if not built.tainted and all(_sanitized(part) for part in _dynamic_parts(built.node)):
        return None  # only quoted identifiers or numbers go in: `"... %s" % quote_name(name)`
    names = _tainted_names(built.node, scope.tainted) if built.tainted else []
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
        return _Built(expr, _constants(expr), _tainted(expr, scope.tainted), "an f-string")
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod) and _stringy(scope, expr.left, before):
        return _Built(expr, _constants(expr.left), _tainted(expr, scope.tainted), "% formatting")
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add) and _stringy(scope, expr, before) \
            and not all(isinstance(p, ast.Constant) for p in _operands(expr)):
        return _Built(expr, _constants(expr) + _resolved_text(scope, expr, before),
                      _tainted(expr, scope.tainted), "concatenation")
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "format":
        return _Built(expr, _constants(expr.func.value), _tainted(expr, scope.tainted), ".format()")
    if isinstance(expr, ast.AugAssign):
        inner = _built(scope, expr.value, before, depth)
        if inner is not None:
            return inner
        if isinstance(expr.op, ast.Add) and _tainted(expr.value, scope.tainted):
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
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Call) and last(dotted(node.func)) in _SANITIZERS)


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
        return not _HOST_FIXED.search(prefix) and _tainted(expr, scope.tainted)
    elif isinstance(expr, ast.Call):
        return last(dotted(expr.func)) in _URL_WRAPPERS and _tainted(expr, scope.tainted)
    else:
        return _tainted(expr, scope.tainted)
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
