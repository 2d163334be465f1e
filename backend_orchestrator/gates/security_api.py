"""OWASP API Security Top 10 flaws a static reader can see, in the routes and the code they call.

What it does
    Reads the route handlers, the functions they call and the project's authentication code for:
    JSON Web Tokens decoded without verifying the signature, or without a pinned algorithm list
    (SC208), or with a key written in the code (SC209); a model built or updated from the whole
    request body, or from a request schema that carries privilege or owner fields (SC210); login and
    password-reset code that answers an unknown user differently from a wrong password (SC211);
    regular expressions prone to catastrophic backtracking applied to request data, and patterns built
    from request data (SC212); hard-coded credentials and debug, test or header bypasses in
    authentication (SC213); login, token, OTP, PIN and password-reset endpoints without a rate limit
    or a lockout (SC214). Request data is followed within a function and into the project's own
    functions (two calls deep), as in ``security_flow``; schemas are read from their class bodies.
Why it matters
    These are the OWASP API Security Top 10 (2023) flaws visible in code: API2 broken authentication,
    API3 broken object property level authorisation (mass assignment) and API4 unrestricted resource
    consumption (standards SEC-003, SEC-004, SEC-008, SEC-014, SEC-024, SEC-025).
Rules
    SC208 JWT accepted without verifying its signature (high; medium for an unpinned algorithm list, or
    in a helper no request or auth code calls) · SC209 JWT key written in the code (medium) · SC210 mass
    assignment (medium, heuristic) · SC211 user enumeration by distinct login answers (medium,
    heuristic) · SC212 regular expression prone to catastrophic backtracking on request data, or built
    from it (medium) · SC213 back door in authentication (high for a hard-coded credential or a bypass
    header, medium for a debug or test switch) · SC214 login endpoint without a brute-force limit
    (medium; low when the app has a global limiter).
Use instead
    ``jwt.decode(token, key, algorithms=["HS256"])`` with a key of 32 bytes or more from the
    environment; explicit create/update schemas without privilege fields (``extra="forbid"``); one
    answer ("invalid credentials", 401) for every failed login; bounded regular expressions (or
    ``re.escape`` for user text); authentication through fixtures and dependency overrides in tests;
    a per-client limiter (slowapi, fastapi-limiter, flask-limiter) and a lockout counter on login.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..contracts.common import Severity
from ..contracts.config import ProjectConfig
from ..contracts.registry import Endpoint
from ..discovery import literals
from ..discovery.dependencies import (
    AuthClassifier,
    name_authenticates,
    parameter_deps,
    parameters,
    unwrap_annotated,
)
from ..discovery.files import SourceFile
from ..discovery.symbols import dotted, last
from .base import Registries
from .security_api_regex import redos_risk
from .security_common import Code, Function, Hit, functions, own_nodes

MAX_DEPTH = 2
_REQUEST_NAMES = frozenset({"request", "req"})
_REQUEST_GLOBALS = frozenset({"flask.request", "flask.globals.request", "quart.request", "quart.globals.request"})
_SERVER_ATTRS = frozenset({"user", "session", "app", "state", "method", "scope", "event", "auth", "url_rule",
                           "endpoint", "blueprint", "remote_addr", "client", "url_for", "is_secure"})
_SAFE_TYPES = frozenset({"int", "float", "bool", "UUID", "UUID4", "date", "datetime", "time", "timedelta",
                         "Decimal", "PositiveInt", "NonNegativeInt", "Session", "AsyncSession", "BackgroundTasks",
                         "Response", "None", "Request"})
_SANITIZERS = frozenset({"int", "float", "bool", "len", "escape", "UUID", "isinstance", "abs", "round", "hash"})


def api_hits(code: Code, registries: Registries, config: ProjectConfig) -> list[Hit]:
    """Every SC208-SC214 hit in the project."""
    from .security_api_auth import back_doors, brute_force, enumeration
    from .security_api_body import mass_assignment

    project = Project.build(code, registries, config)
    hits = [*_jwt_hits(project), *mass_assignment(project), *enumeration(project), *_redos(project),
            *back_doors(project), *brute_force(project)]
    seen: set[tuple[str, str, int | None, str | None]] = set()
    unique = []
    for hit in hits:
        key = (hit.rule_id, hit.path, hit.line, hit.endpoint)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique


# --- the project: handlers, their endpoints, request data ----------------------------------------------

@dataclass
class Project:
    code: Code
    endpoints: list[Endpoint]
    handlers: dict[int, tuple[SourceFile, Function, list[Endpoint]]]
    views: dict[int, tuple[SourceFile, ast.ClassDef, list[Endpoint]]]  # class-based views (Django, MethodView)
    models: frozenset[str]  # ORM model classes (the registry's), by name
    model_refs: frozenset[tuple[str, str]]  # ... and by (module, name)
    owners: dict[int, ast.ClassDef]  # a method's class
    auth_dependencies: frozenset[str]  # the config's names of authenticating dependencies
    _serving: set[int] | None = field(default=None, repr=False)
    _nodes: dict[int, list[ast.AST]] = field(default_factory=dict, repr=False)
    _bound: dict[int, list[tuple[list[str], ast.AST]]] = field(default_factory=dict, repr=False)
    _classifier: AuthClassifier | None = field(default=None, repr=False)

    @classmethod
    def build(cls, code: Code, registries: Registries, config: ProjectConfig) -> Project:
        handlers: dict[int, tuple[SourceFile, Function, list[Endpoint]]] = {}
        views: dict[int, tuple[SourceFile, ast.ClassDef, list[Endpoint]]] = {}
        for endpoint in registries.endpoints.endpoints:
            found = code.handler(endpoint)
            if found is not None:
                handlers.setdefault(id(found[1]), (found[0], found[1], []))[2].append(endpoint)
            elif (view := _view_class(code, endpoint)) is not None:
                views.setdefault(id(view[1]), (view[0], view[1], []))[2].append(endpoint)
        refs = {(code.by_rel[m.file].module, m.name) for m in registries.models.models if m.file in code.by_rel}
        owners: dict[int, ast.ClassDef] = {}
        for source in code.files:
            if source.tree is not None:
                for node in source.parsed.nodes(ast.ClassDef):
                    owners.update((id(s), node) for s in node.body
                                  if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef))
        return cls(code, registries.endpoints.endpoints, handlers, views,
                   frozenset(m.name for m in registries.models.models), frozenset(refs), owners,
                   frozenset(config.auth_dependencies))

    def functions(self) -> Iterator[tuple[SourceFile, Function]]:
        for source in self.code.files:
            for func in functions(source):
                yield source, func

    def is_model(self, module: str, func: ast.expr) -> bool:
        """Whether `func` (a call's callee) names an ORM model class."""
        ref = self.code.index.resolve(module, func)
        if ref is not None and ref.kind == "local":
            return (ref.module, ref.name) in self.model_refs or \
                self.code.index.derives_from(ref, frozenset({"DeclarativeBase", "Model", "Document"}))
        return ref is None and last(dotted(func)) in self.models

    def data_params(self, source: SourceFile, func: Function) -> set[str]:
        """The handler parameters that carry request data (not dependencies, not ids or numbers)."""
        index, module = self.code.index, source.module
        out = set()
        for arg, default in parameters(func):
            if arg.arg in ("self", "cls") or parameter_deps(index, module, arg, default):
                continue
            if arg.annotation is None or not _safe_annotation(self.code, module, arg.annotation):
                out.add(arg.arg)
        return out

    def request_names(self, source: SourceFile, func: Function) -> set[str]:
        """`request` when it is a parameter, or Flask's/Quart's global request in this module."""
        names = {a.arg for a, _ in parameters(func) if a.arg in _REQUEST_NAMES}
        if _flask_request(self.code, source.module):
            names.add("request")
        return names

    def nodes(self, func: Function) -> list[ast.AST]:
        """`own_nodes(func)`, walked once per function."""
        found = self._nodes.get(id(func))
        if found is None:
            found = self._nodes[id(func)] = list(own_nodes(func))
        return found

    def calls(self, func: Function) -> Iterator[ast.Call]:
        return (n for n in self.nodes(func) if isinstance(n, ast.Call))

    def bound(self, func: Function) -> list[tuple[list[str], ast.AST]]:
        """`bindings(func)`, computed once per function."""
        found = self._bound.get(id(func))
        if found is None:
            found = self._bound[id(func)] = bindings(func, self.nodes(func))
        return found

    def classifier(self) -> AuthClassifier:
        """Which dependencies authenticate (discovery's rule, with the config's `auth_dependencies`)."""
        if self._classifier is None:
            self._classifier = AuthClassifier(self.code.index, list(self.auth_dependencies))
        return self._classifier

    def serving(self) -> set[int]:
        """The functions that serve requests: handlers, functions named as authentication or taking the request,
        and the project functions they call (`MAX_DEPTH` calls deep)."""
        if self._serving is None:
            found: set[int] = set()
            todo = [(s, f, 0) for s, f in self.functions() if id(f) in self.handlers or
                    name_authenticates(f.name, f) or self.request_names(s, f)]
            index = self.code.index
            while todo:
                source, func, depth = todo.pop()
                if id(func) in found:
                    continue
                found.add(id(func))
                if depth < MAX_DEPTH:
                    for call in self.calls(func):
                        ref = index.resolve(source.module, call.func)
                        callee = index.function_def(ref)
                        if ref is not None and callee is not None:
                            todo.append((index.modules[ref.module].source, callee, depth + 1))
            self._serving = found
        return self._serving

    def seeds(self, source: SourceFile, func: Function) -> set[str]:
        found = self.handlers.get(id(func))
        return self.request_names(source, func) | (self.data_params(source, func) if found else set())


def _view_class(code: Code, endpoint: Endpoint) -> tuple[SourceFile, ast.ClassDef] | None:
    """The class an endpoint's handler names (`module:LoginView`), when it is one in its file."""
    source = code.by_rel.get(endpoint.file)
    if source is None or source.tree is None:
        return None
    name = last(endpoint.handler.rpartition(":")[2])
    found = [c for c in source.parsed.nodes(ast.ClassDef) if c.name == name]
    return (source, found[0]) if len(found) == 1 else None


def callee(call: ast.Call) -> str:
    """The called name's last part (`limit` for `limiter.limit(...)`), without rendering call chains."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _flask_request(code: Code, module: str) -> bool:
    return code.index.qualname(module, ast.Name(id="request", ctx=ast.Load())) in _REQUEST_GLOBALS


def _safe_annotation(code: Code, module: str, ann: ast.expr) -> bool:
    ann = unwrap_annotated(code.index, module, ann)[0]
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        return _safe_annotation(code, module, ann.left) and _safe_annotation(code, module, ann.right)
    if isinstance(ann, ast.Subscript):
        outer = last(dotted(ann.value))
        inner = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        return outer == "Literal" or (outer in ("Optional", "Union") and
                                      all(_safe_annotation(code, module, e) for e in inner))
    if isinstance(ann, ast.Constant):
        return ann.value is None
    return isinstance(ann, ast.Name | ast.Attribute) and last(dotted(ann)) in _SAFE_TYPES


def bindings(func: Function, nodes: list[ast.AST] | None = None) -> list[tuple[list[str], ast.AST]]:
    """(names bound, value) for every assignment, loop, `with` and walrus in `func`'s own body (`nodes`)."""
    out: list[tuple[list[str], ast.AST]] = []
    for node in own_nodes(func) if nodes is None else nodes:
        if isinstance(node, ast.Assign):
            out.append(([n for t in node.targets for n in _target_names(t)], node.value))
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr | ast.AugAssign):
            if node.value is not None:
                out.append((_target_names(node.target), node.value))
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            out.append((_target_names(node.target), node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            out.append((_target_names(node.optional_vars), node.context_expr))
    return out


def _target_names(target: ast.AST) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for e in target.elts for n in _target_names(e)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def taint(project: Project, func: Function, seeds: set[str]) -> set[str]:
    """`seeds` and every name of `func` that request data reaches through assignments and loops."""
    tainted = set(seeds)
    if not tainted:
        return tainted
    bound = project.bound(func)
    for _ in range(4):
        before = len(tainted)
        for names, value in bound:
            if reaches(value, tainted):
                tainted.update(names)
        if len(tainted) == before:
            break
    return tainted


def reaches(expr: ast.AST | None, tainted: set[str]) -> bool:
    """Whether request data (a tainted name) flows into the value of `expr`."""
    if expr is None or not tainted:
        return False
    if isinstance(expr, ast.Name):
        return expr.id in tainted
    if isinstance(expr, ast.Constant):
        return False
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in _REQUEST_NAMES \
            and expr.attr in _SERVER_ATTRS:
        return False
    if isinstance(expr, ast.Subscript):  # `store[key]` is what the server stored, even under a client's key
        return reaches(expr.value, tainted)
    if isinstance(expr, ast.Call):
        if callee(expr) in _SANITIZERS:
            return False
        receiver = expr.func.value if isinstance(expr.func, ast.Attribute) else None
        if receiver is not None and callee(expr) == "get":  # ... and so is `store.get(key)`
            return reaches(receiver, tainted)
        return reaches(receiver, tainted) or any(reaches(a, tainted) for a in expr.args) or \
            any(reaches(k.value, tainted) for k in expr.keywords)
    return any(reaches(child, tainted) for child in ast.iter_child_nodes(expr))


def string_value(project: Project, module: str, func: Function | None, expr: ast.AST | None,
                  depth: int = 0) -> tuple[str, str] | None:
    """The string literal `expr` evaluates to, and how it is written there ('a literal', 'the constant X
    (file:line)', 'the fallback of os.getenv("X")'); None when it is not a literal in the code."""
    if expr is None or depth > 3:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value, "a string literal"
    if isinstance(expr, ast.Call) and len(expr.args) >= 2 and \
            project.code.index.qualname(module, expr.func) in ("os.getenv", "os.environ.get"):
        found = string_value(project, module, func, expr.args[1], depth + 1)
        name = literals.string(expr.args[0]) or "?"
        return (found[0], f"the fallback of {last(dotted(expr.func))}({name!r})") if found else None
    if isinstance(expr, ast.Name) and func is not None:
        if any(a.arg == expr.id for a, _ in parameters(func)):
            return None
        local = [v for names, v in project.bound(func) if expr.id in names]
        if local:
            return string_value(project, module, func, local[0], depth + 1) if len(local) == 1 else None
    if isinstance(expr, ast.Name | ast.Attribute):
        index = project.code.index
        ref = index.resolve(module, expr)
        bound = index.binding(ref)
        if ref is not None and bound is not None and isinstance(bound.node, ast.expr):
            found = string_value(project, ref.module, None, bound.node, depth + 1)
            if found is not None:
                rel = index.modules[ref.module].source.rel
                return found[0], f"the constant {ref.name} ({rel}:{bound.line}), {found[1]}"
    return None


# --- SC208 / SC209: JSON Web Tokens ----------------------------------------------------------------------

_UNVERIFIED_PEEK = frozenset({"get_unverified_claims"})
_JWT_METHODS = frozenset({"decode", "decode_complete", "encode", *_UNVERIFIED_PEEK})


def _jwt_call(project: Project, module: str, call: ast.Call) -> str | None:
    """'decode', 'encode' or 'get_unverified_claims' for PyJWT and python-jose calls, else None."""
    if callee(call) not in _JWT_METHODS:
        return None
    ref = project.code.index.resolve(module, call.func)
    if ref is None or ref.kind != "external" or not ref.module.startswith(("jwt.", "jose.jwt.")):
        return None
    method = last(ref.module)
    return method if method in _JWT_METHODS else None


def _dict_value(project: Project, module: str, func: Function, expr: ast.AST | None) -> ast.Dict | None:
    if isinstance(expr, ast.Dict):
        return expr
    if isinstance(expr, ast.Name):
        local = [v for names, v in project.bound(func) if expr.id in names]
        if len(local) == 1 and isinstance(local[0], ast.Dict):
            return local[0]
        bound = project.code.index.binding(project.code.index.resolve(module, expr))
        if bound is not None and isinstance(bound.node, ast.Dict):
            return bound.node
    return None


def _unverified(project: Project, module: str, func: Function, call: ast.Call) -> str | None:
    """How a decode call switches verification off, or None."""
    options = _dict_value(project, module, func, literals.keyword(call, "options", 3))
    if options is not None:
        for key, value in zip(options.keys, options.values, strict=True):
            if literals.string(key) == "verify_signature" and literals.boolean(value) is False:
                return 'options={"verify_signature": False}'
    if literals.boolean(literals.keyword(call, "verify")) is False:
        return "verify=False"
    algorithms = literals.keyword(call, "algorithms", 2)
    named = literals.strings(algorithms) or ([s] if (s := literals.string(algorithms)) else [])
    if any(a.lower() == "none" for a in named):
        return 'algorithms including "none"'
    return None


def _jwt_hits(project: Project) -> Iterator[Hit]:
    for source, func in project.functions():
        calls = [(c, kind) for c in project.calls(func) if (kind := _jwt_call(project, source.module, c)) is not None]
        if not calls:
            continue
        verified = any(kind.startswith("decode") and _unverified(project, source.module, func, c) is None
                       for c, kind in calls)
        for call, kind in calls:
            yield from _jwt_call_hits(project, source, func, call, kind, verified)


def _jwt_call_hits(project: Project, source: SourceFile, func: Function, call: ast.Call, kind: str,
                   verified: bool) -> Iterator[Hit]:
    rel, line, module = source.rel, call.lineno, source.module
    where = f"{rel}:{line}"
    if kind in _UNVERIFIED_PEEK or kind.startswith("decode"):
        how = "get_unverified_claims()" if kind in _UNVERIFIED_PEEK else _unverified(project, module, func, call)
        if how is not None and not (verified and kind in _UNVERIFIED_PEEK | {"decode"} and "none" not in how):
            serving = id(func) in project.serving()
            yield Hit("SC208", f"{func.name}() reads a JWT with {how} ({where}): its signature is never checked, so "
                               "anyone can forge the claims (user, role, expiry)"
                               f"{'' if serving else ' if they authenticate anything'}. Decode with the key and a "
                               'pinned algorithm list: `jwt.decode(token, key, algorithms=["HS256"])`.',
                      path=rel, line=line, title="JWT accepted without verifying its signature",
                      evidence=f"{dotted(call.func)}(): {how}; {'request or auth code' if serving else 'helper'}",
                      severity=None if serving else "medium", end_line=call.end_lineno)
            return
        if how is None and kind.startswith("decode") and literals.keyword(call, "algorithms", 2) is None and \
                not any(k.arg is None for k in call.keywords):
            yield Hit("SC208", f"{func.name}() decodes a JWT without `algorithms=` ({where}): the token's own "
                               "header then chooses the algorithm (PyJWT 1.x, python-jose), which allows "
                               "algorithm confusion; PyJWT 2 refuses the call. Pin the list: "
                               '`algorithms=["HS256"]`.',
                      path=rel, line=line, title="JWT decoded without a pinned algorithm list",
                      evidence=f"{dotted(call.func)}(): no algorithms", severity="medium", end_line=call.end_lineno)
    if kind in _UNVERIFIED_PEEK:
        return
    key = literals.keyword(call, "key", 1)
    found = string_value(project, module, func, key)
    if found is None:
        return
    value, how = found
    algorithm = literals.string(literals.keyword(call, "algorithm", 2)) if kind == "encode" else None
    hmac = algorithm is None or algorithm.upper().startswith("HS")
    short = f"; it is {len(value.encode())} bytes, and HS256 needs at least 32" \
        if hmac and len(value.encode()) < 32 else ""
    yield Hit("SC209", f"{func.name}() {'signs' if kind == 'encode' else 'verifies'} JWTs with a key written in the "
                       f"code ({how}{short}) at {where}: whoever reads the code, or guesses a common value, can mint "
                       "valid tokens. Read a random key of 32 bytes or more from the environment (a settings field "
                       "without a default) and rotate the one in the code.",
              path=rel, line=line, title="JWT key written in the code", evidence=f"key: {how.split(',')[0]}",
              end_line=call.end_lineno)


# --- SC212: regular expressions prone to catastrophic backtracking --------------------------------------

_RE_SUBJECT = {"match": 1, "search": 1, "fullmatch": 1, "findall": 1, "finditer": 1, "split": 1, "sub": 2, "subn": 2}
_REGEX_CALLS = frozenset({"compile", *_RE_SUBJECT})
_PATTERN_METHODS = {"match": 0, "search": 0, "fullmatch": 0, "findall": 0, "finditer": 0, "split": 0, "sub": 1,
                    "subn": 1}


def _redos(project: Project) -> Iterator[Hit]:
    seen: set[tuple[int, frozenset[str]]] = set()
    for source, func in project.functions():
        seeds = project.seeds(source, func)
        if seeds:
            yield from _regex_scope(project, source, func, seeds, seen, 0, "")


def _regex_scope(project: Project, source: SourceFile, func: Function, seeds: set[str],
                 seen: set[tuple[int, frozenset[str]]], depth: int, via: str) -> Iterator[Hit]:
    key = (id(func), frozenset(seeds))
    if key in seen:
        return
    seen.add(key)
    tainted = taint(project, func, seeds)
    index, module = project.code.index, source.module
    for call in project.calls(func):
        yield from _regex_call(project, source, func, call, tainted, via)
        if depth < MAX_DEPTH:
            ref = index.resolve(module, call.func)
            callee = index.function_def(ref)
            if ref is None or callee is None:
                continue
            params = parameters(callee)
            passed = {a.arg for (a, _), v in zip(params, call.args, strict=False)
                      if not isinstance(v, ast.Starred) and reaches(v, tainted)}
            passed |= {k.arg for k in call.keywords if k.arg and reaches(k.value, tainted)}
            passed &= {a.arg for a, _ in params}
            if passed:
                yield from _regex_scope(project, index.modules[ref.module].source, callee, passed, seen, depth + 1,
                                        f"{via or f', from {func.name}()'} via {callee.name}()")


def _regex_call(project: Project, source: SourceFile, func: Function, call: ast.Call, tainted: set[str],
                via: str) -> Iterator[Hit]:
    index, module = project.code.index, source.module
    if callee(call) not in _REGEX_CALLS:
        return
    name = index.qualname(module, call.func)
    head, _, method = name.rpartition(".")
    pattern: ast.AST | None = None
    subject: ast.AST | None = None
    if head in ("re", "regex") and (method in _RE_SUBJECT or method == "compile"):
        pattern = literals.keyword(call, "pattern", 0)
        subject = literals.keyword(call, "string", _RE_SUBJECT[method]) if method in _RE_SUBJECT else None
        if pattern is not None and reaches(pattern, tainted):
            yield _regex_hit(source, func, call, "medium", f"compiles a regular expression from request data "
                             f"({_names(pattern, tainted)}{via})", "a client can send a pattern that backtracks "
                             "for minutes (or matches what it should not)", "`re.escape()` the text, or accept a "
                             "fixed set of filters instead of patterns")
            return
    elif isinstance(call.func, ast.Attribute) and call.func.attr in _PATTERN_METHODS:
        pattern = _compiled(project, module, func, call.func.value)
        subject = literals.keyword(call, "string", _PATTERN_METHODS[call.func.attr])
    if pattern is None or subject is None or not reaches(subject, tainted):
        return
    text = _pattern_text(project, module, func, pattern)
    risky = redos_risk(text) if text is not None else None
    if risky is not None:
        yield _regex_hit(source, func, call, "medium", f"matches request data ({_names(subject, tainted)}{via}) "
                         f"against `{_short(text or '')}`, whose {risky}", "one crafted string of a few dozen "
                         "characters keeps a worker busy for seconds to hours (ReDoS)", "remove the nesting "
                         "(`\\w+(\\s\\w+)*` instead of `(\\w+\\s?)*`), bound the repetitions and the input length, "
                         "or use a linear-time engine (`re2`)")


def _regex_hit(source: SourceFile, func: Function, call: ast.Call, severity: Severity, what: str, harm: str,
               fix: str) -> Hit:
    return Hit("SC212", f"{func.name}() {what} ({source.rel}:{call.lineno}): {harm}. Instead, {fix}.",
               path=source.rel, line=call.lineno, title="Regular expression open to catastrophic backtracking",
               evidence=f"{dotted(call.func)}()", severity=severity, end_line=call.end_lineno)


def _names(expr: ast.AST, tainted: set[str]) -> str:
    found = sorted({n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and n.id in tainted})
    return ", ".join(found) or "request"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _compiled(project: Project, module: str, func: Function, receiver: ast.AST) -> ast.AST | None:
    """The pattern of the `re.compile(...)` that `receiver` names (a local or module-level name), if any."""
    values: list[ast.AST] = []
    if isinstance(receiver, ast.Name):
        values = [v for names, v in project.bound(func) if receiver.id in names]
    if not values and isinstance(receiver, ast.Name | ast.Attribute):
        ref = project.code.index.resolve(module, receiver)
        bound = project.code.index.binding(ref)
        if ref is not None and bound is not None and bound.node is not None:
            values, module = [bound.node], ref.module
    for value in values:
        if isinstance(value, ast.Call) and project.code.index.qualname(module, value.func) in ("re.compile",
                                                                                               "regex.compile"):
            return literals.keyword(value, "pattern", 0)
    return None


def _pattern_text(project: Project, module: str, func: Function, pattern: ast.AST) -> str | None:
    if isinstance(pattern, ast.BinOp) and isinstance(pattern.op, ast.Add):
        left = _pattern_text(project, module, func, pattern.left)
        right = _pattern_text(project, module, func, pattern.right)
        return left + right if left is not None and right is not None else None
    found = string_value(project, module, func, pattern)
    return found[0] if found is not None else None


