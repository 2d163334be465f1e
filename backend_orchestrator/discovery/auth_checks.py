"""Authentication written as code rather than declared: a function that refuses a request without a login,
a session or a valid token.

`refusal(index, module, func)` reads a function's own statements (not its nested functions) for:

- an `if` whose branch answers 401 or 403 (`abort(401)`, `raise HTTPException(403)`, `return ..., 401`,
  `Response(status=401)`), raises an authentication exception (`Unauthorized`, `Forbidden`,
  `PermissionDenied`, `NotAuthenticated`, ...), redirects to a login page (`redirect(url_for("login"))`,
  `redirect_to_login(...)`) or calls `login_manager.unauthorized()`;
- an `if` that tests who is asking (`current_user`, `request.user`, `g.user`, `'username' in session`, a
  token, a signature, an API key, `is_authenticated`) negatively (`not ...`, `not in`, `!=`, `is None`) and
  leaves (`return`, `raise`, `abort(...)`, `redirect(...)`); the same test in the positive with the refusal
  in its `else`;
- a statement that is an authorisation call: `verify_jwt_in_request()`, `self.perm_check(request)`,
  `check_permission(...)`, `require_login()`, `authorize(...)`;
- with `depth` > 0, the same in a function of the project it calls (one level by default).

`decorator_refusal` reads a decorator: its own body (a `before_request` hook) or the wrapper functions it
defines (`def login_check(f): @wraps(f) def inner(...): if "user" not in session: return redirect(...)`).

`dispatch_refusal` reads a class-based view's `dispatch` (or DRF's `initial`) up to the statement that hands
the request on (`super().dispatch(...)`, `handler(...)`): a check after that line protects nothing. With
`methods` (how `self.name` resolves along the class's bases), a test may call a predicate method of the class
(`if not self.can_edit(): raise Http404` where `can_edit` returns `self.request.user.has_perm(...)`), and a
method that always returns True (`def has_permission(self): return True`) opens the check instead.

`guarded_refusals` reads a request hook (a middleware's `__call__`, `process_request`, `process_view`) for
every refusal and the conditions the code tests on its way there (`if "orga" in url.namespaces:`, an earlier
`if request.path.startswith("/static/"): return self.get_response(request)`), following the hook's own
methods one level, so that a reader can map the refusal to the URLs it guards.

Why a reader of its own: which names mean "the caller" differs per framework (Flask-Login's
`current_user`, Django's `request.user`, a Flask `session`, a FastAPI token parameter), and a check
counts only when its branch actually refuses the request. Returns a short description of the check (for
messages and evidence), or None.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import literals
from .symbols import ProjectIndex, dotted, last

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
# how `self.name` resolves in the class a function belongs to: (its module, its definition), or None
Methods = Callable[[str], tuple[str, FuncDef] | None]

_AUTH_STATUS = frozenset({401, 403, 407})
_AUTH_EXCEPTION = re.compile(
    r"unauthori[sz]ed|forbidden|permissiondenied|notauthenticated|authenticationfailed|authenticationerror|"
    r"unauthenticated|accessdenied|notauthori[sz]ed|invalidtoken|loginrequired|notloggedin|credentialsexception",
    re.IGNORECASE,
)
_STATUS_EXCEPTIONS = frozenset({"HTTPException", "StarletteHTTPException", "HTTPError", "HttpError", "APIException",
                                "WebSocketException"})
_REDIRECTS = frozenset({"redirect", "RedirectResponse", "HttpResponseRedirect", "redirect_to_login"})
_LOGIN_WORDS = re.compile(r"log_?in|sign_?in|signin|auth", re.IGNORECASE)
_REFUSERS = frozenset({"unauthorized", "redirect_to_login", "handle_no_permission", "raise_permission_denied"})
# who is asking: names and attributes that stand for the caller's identity, and for a credential they send
_IDENTITY = re.compile(
    r"current_user|current_identity|request\.user|\bg\.user|request\.auth\b|is_authenticated|is_anonymous|"
    r"logged_?in|has_perm|principal",
    re.IGNORECASE,
)
_CREDENTIAL = re.compile(r"token|auth(?!or)|api_?key|apikey|jwt|bearer|signature|secret", re.IGNORECASE)
_SESSION_KEY = re.compile(r"user|login|logged|auth|token|account|name|^id$|_id$|uid", re.IGNORECASE)
_HEADER_KEY = re.compile(r"token|auth|api[-_]?key|signature|secret", re.IGNORECASE)
_AUTH_CALL = re.compile(
    r"^(verify|check|require|ensure|assert|enforce|validate)_?\w*?(perm|permission|auth|login|access|token|jwt|"
    r"admin|role|scope|owner|signature|credential)|(perm|permission|access|auth)_?(check|checks|required|require)$|"
    r"^authori[sz]e|^authenticate",
    re.IGNORECASE,
)


def refusal(index: ProjectIndex, module: str, func: FuncDef, depth: int = 1,
            methods: Methods | None = None) -> str | None:
    """How `func` refuses an unauthenticated request (see the module docstring), or None."""
    return _refusal(index, module, func.body, func, depth, methods)


def dispatch_refusal(index: ProjectIndex, module: str, func: FuncDef, methods: Methods | None = None) -> str | None:
    """How a view's `dispatch` refuses an unauthenticated request before it hands the request on, or None."""
    return _refusal(index, module, before_delegation(func), func, 1, methods)


def before_delegation(func: FuncDef) -> list[ast.stmt]:
    """The statements of a `dispatch` before the first that hands the request on: `super().dispatch(...)`,
    `handler(...)` (the bound method), `self.<verb>(...)`."""
    out: list[ast.stmt] = []
    for stmt in func.body:
        if any(isinstance(n, ast.Call) and _delegates(n, func.name) for n in _own([stmt])):
            break
        out.append(stmt)
    return out


def delegates(func: FuncDef) -> bool:
    """Whether the method hands the request on to the next class's method of the same name."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == func.name and
               isinstance(n.func.value, ast.Call) and dotted(n.func.value.func) == "super" for n in _own(func.body))


def _delegates(call: ast.Call, name: str) -> bool:
    target = call.func
    if isinstance(target, ast.Name):
        return target.id == "handler"
    if not isinstance(target, ast.Attribute):
        return False
    if target.attr == name and isinstance(target.value, ast.Call) and dotted(target.value.func) == "super":
        return True
    return dotted(target.value) == "self" and target.attr in ("get", "post", "put", "patch", "delete")


def _refusal(index: ProjectIndex, module: str, body: list[ast.stmt], func: FuncDef, depth: int,
             methods: Methods | None) -> str | None:
    nodes = _own(body)
    for node in nodes:
        if isinstance(node, ast.If):
            found = _if_refusal(index, module, node, methods)
            if found is not None:
                return found
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call | ast.Await):
            call = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(call, ast.Call) and _AUTH_CALL.search(last(dotted(call.func))):
                return f"`{literals.source(call.func)}()` (line {node.lineno})"
    if depth <= 0:
        return None
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        callee_at = _callee(index, module, node, methods)
        if callee_at is None or callee_at[1] is func:
            continue
        callee_module, callee = callee_at
        found = _refusal(index, callee_module, callee.body, callee, depth - 1, methods)
        if found is not None:
            return f"{found} in `{callee.name}()`, called on line {node.lineno}"
    return None


def _callee(index: ProjectIndex, module: str, call: ast.Call, methods: Methods | None) -> tuple[str, FuncDef] | None:
    """The project function a call runs: `self.name(...)` through `methods`, else a function it names."""
    if methods is not None and isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "self":
        return methods(call.func.attr)
    ref = index.resolve(module, call.func)
    callee = index.function_def(ref)
    return (ref.module, callee) if ref is not None and callee is not None else None


def decorator_refusal(index: ProjectIndex, module: str, func: FuncDef) -> str | None:
    """How a decorator (or a `before_request` hook) refuses unauthenticated requests: in its own body or in
    a wrapper it defines (two levels: decorator factories), reading the functions they call one level."""
    found = refusal(index, module, func)
    if found is not None:
        return found
    for inner in _nested(func, 2):
        found = refusal(index, module, inner)
        if found is not None:
            return f"{found} in its wrapper `{inner.name}`"
    return None


def _nested(func: FuncDef, levels: int) -> list[FuncDef]:
    found: list[FuncDef] = []
    for node in _own(func.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(node)
            if levels > 1:
                found.extend(_nested(node, levels - 1))
    return found


def _own(body: list[ast.stmt]) -> list[ast.AST]:
    """The nodes of a body, nested function definitions themselves included but not their bodies."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _if_refusal(index: ProjectIndex, module: str, node: ast.If, methods: Methods | None = None) -> str | None:
    found = _if_refusal_branch(index, module, node, methods)
    return found[0] if found is not None else None


def _if_refusal_branch(index: ProjectIndex, module: str, node: ast.If,
                       methods: Methods | None = None) -> tuple[str, bool, int] | None:
    """(description, whether the refusal is in the `else`, line) of an `if` that refuses, or None."""
    subject = _subject(index, module, node.test, methods)
    negative = _negative(node.test)
    test = literals.source(node.test)
    shown = test if len(test) <= 60 else test[:57] + "..."
    for branch, in_else in ((node.body, False), (node.orelse, True)):
        exit_ = _exit(branch)
        if exit_ is None:
            continue
        strong, line = exit_
        # a plain `return`/`redirect()` refuses when the test says the caller is missing (`if not
        # current_user.is_authenticated`, `if token != expected`), or, in the `else`, that the caller is there
        plain = (subject is not None and negative) if not in_else else (subject == "identity" and not negative)
        if strong or plain:
            return f"`if {shown}` refuses the request{' (in its else)' if in_else else ''} (line {line})", in_else, line
    return None


def _exit(body: list[ast.stmt]) -> tuple[bool, int] | None:
    """(whether it refuses as authentication does, line) when the branch leaves; None when it goes on."""
    leaves: tuple[bool, int] | None = None
    for stmt in body:
        if isinstance(stmt, ast.Return | ast.Raise):
            value = stmt.exc if isinstance(stmt, ast.Raise) else stmt.value
            strong = isinstance(stmt, ast.Raise) and _auth_exception(stmt.exc)
            return strong or _auth_answer(value), stmt.lineno
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            name = last(dotted(stmt.value.func))
            if name in ("abort", "abort_json") or name in _REFUSERS:
                return _auth_answer(stmt.value) or name in _REFUSERS, stmt.lineno
        if isinstance(stmt, ast.If) and leaves is None:  # a refusal one level deeper: `if ...: if ...: abort(401)`
            inner = _exit(stmt.body)
            if inner is not None and inner[0]:
                leaves = inner
    return leaves


def _auth_exception(exc: ast.expr | None) -> bool:
    if exc is None:
        return False
    target = exc.func if isinstance(exc, ast.Call) else exc
    name = last(dotted(target))
    if _AUTH_EXCEPTION.search(name):
        return True
    return isinstance(exc, ast.Call) and name in _STATUS_EXCEPTIONS and _auth_answer(exc)


def _auth_answer(node: ast.AST | None) -> bool:
    """A 401/403 status, an auth exception, a redirect to a login page, or `login_manager.unauthorized()`."""
    if node is None:
        return False
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = last(dotted(sub.func))
            if name in _REFUSERS:
                return True
            if name in _REDIRECTS and any(
                    _LOGIN_WORDS.search(s.value) for s in ast.walk(sub)
                    if isinstance(s, ast.Constant) and isinstance(s.value, str)):
                return True
            if _AUTH_EXCEPTION.search(name):
                return True
            statuses = [*sub.args, *(k.value for k in sub.keywords if k.arg in ("status", "status_code", "code"))]
            if name in ("abort", *_STATUS_EXCEPTIONS) or any(k.arg in ("status", "status_code") for k in sub.keywords):
                if any(literals.status_code(s) in _AUTH_STATUS for s in statuses):
                    return True
            elif name == "make_response" and any(literals.status_code(s) in _AUTH_STATUS for s in sub.args[1:]):
                return True
        elif isinstance(sub, ast.Tuple | ast.Attribute) and _status(sub) in _AUTH_STATUS:
            return True
    return False


def _subject(index: ProjectIndex, module: str, test: ast.expr, methods: Methods | None = None) -> str | None:
    """What the test reads about who is asking: "identity" (the current user, a login session, an
    authorisation call, a method of the view that reads one), "credential" (a token, a signature or an API
    key, compared or tested for absence), or None. A method of the view that always returns True (an
    override that opens a base class's check) makes the test read nothing."""
    credential = False
    predicates = [n for n in ast.walk(test) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                  and dotted(n.func.value) == "self"] if methods is not None else []
    for call in predicates:
        found = methods(call.func.attr) if methods is not None and isinstance(call.func, ast.Attribute) else None
        if found is None:
            continue
        returned = [r.value for r in _own(found[1].body) if isinstance(r, ast.Return)]
        if returned and all(isinstance(v, ast.Constant) and v.value is True for v in returned):
            return None
        if any(v is not None and _subject(index, found[0], v) == "identity" for v in returned):
            return "identity"
    for node in ast.walk(test):
        if isinstance(node, ast.Name | ast.Attribute):
            name = dotted(node)
            if _IDENTITY.search(name):
                return "identity"
            credential = credential or bool(_CREDENTIAL.search(name))
        elif isinstance(node, ast.Call):
            name = last(dotted(node.func))
            if _AUTH_CALL.search(name) or (name == "get" and _session(index, module, node.func) and node.args
                                           and _SESSION_KEY.search(literals.string(node.args[0]) or "")):
                return "identity"
            if name == "get" and node.args and _HEADER_KEY.search(literals.string(node.args[0]) or ""):
                credential = True  # request.headers.get("X-Token"), request.args.get("api_key")
        elif isinstance(node, ast.Compare) and any(isinstance(o, ast.In | ast.NotIn) for o in node.ops):
            key = literals.string(node.left) or ""
            if _SESSION_KEY.search(key) and any(_session(index, module, c) for c in node.comparators):
                return "identity"  # "username" not in session
        elif isinstance(node, ast.Subscript) and _session(index, module, node.value) and \
                _SESSION_KEY.search(literals.string(node.slice) or ""):
            return "identity"
    # a credential counts when it is compared or tested for absence, not when it is merely read
    compared = isinstance(test, ast.Compare | ast.UnaryOp) or (
        isinstance(test, ast.BoolOp) and any(isinstance(v, ast.Compare | ast.UnaryOp) for v in test.values))
    return "credential" if credential and compared else None


def _status(node: ast.Tuple | ast.Attribute) -> int | None:
    """The status of `return body, 401` or of `status.HTTP_401_UNAUTHORIZED`."""
    if isinstance(node, ast.Tuple):
        return literals.status_code(node.elts[1]) if len(node.elts) >= 2 else None
    return literals.status_code(node)


def _session(index: ProjectIndex, module: str, node: ast.AST) -> bool:
    """The web framework's session (Flask's, a Django `request.session`), not a database session."""
    if isinstance(node, ast.Attribute) and node.attr == "get":
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr == "session" and dotted(node.value).endswith("request")
    if not isinstance(node, ast.Name) or node.id != "session":
        return False
    qualname = index.qualname(module, node)
    return qualname in ("flask.session", "quart.session", "session", "flask.globals.session")


def _negative(test: ast.expr) -> bool:
    """`not x`, `x not in y`, `x != y`, `x is None`, `x == None`: the test holds when something is missing."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):  # but `not user.is_anonymous`: positive
        return not (isinstance(test.operand, ast.Attribute) and test.operand.attr == "is_anonymous")
    if any(isinstance(n, ast.Attribute) and n.attr == "is_anonymous" for n in ast.walk(test)):
        return True
    if isinstance(test, ast.BoolOp):
        return any(_negative(v) for v in test.values)
    if isinstance(test, ast.Compare):
        for op, right in zip(test.ops, test.comparators, strict=True):
            if isinstance(op, ast.NotIn | ast.NotEq | ast.IsNot) and not (
                    isinstance(op, ast.IsNot) and isinstance(right, ast.Constant) and right.value is None):
                return True
            if isinstance(op, ast.Is | ast.Eq) and isinstance(right, ast.Constant) and right.value in (None, False):
                return True
    return False


# --- refusals in a request hook, with the conditions that lead to them ----------------------------------

Guard = tuple[ast.expr, bool]  # a test and whether it holds (True) or fails (False) on the way


@dataclass(frozen=True)
class Guarded:
    """A refusal in a request hook and the conditions the code tests on its way there. `exemptions`: tests
    of the refusing `if` itself besides who is asking (`url.url_name not in PUBLIC_URLS`), which leave some
    URLs out of it."""

    how: str
    line: int
    guards: tuple[Guard, ...]
    exemptions: tuple[ast.expr, ...] = ()


def guarded_refusals(index: ProjectIndex, module: str, func: FuncDef, methods: Methods | None = None,
                     depth: int = 1) -> list[Guarded]:
    """Every refusal in a request hook (see the module docstring), in its own statements and, `depth` levels,
    in the methods of its class (`methods`) and the project functions it calls."""
    found: list[Guarded] = []
    aliases = _aliases(func)
    _guarded(index, module, func.body, (), aliases, func, methods, depth, found)
    return found


def _guarded(index: ProjectIndex, module: str, body: list[ast.stmt], guards: tuple[Guard, ...],
             aliases: dict[str, ast.expr], func: FuncDef, methods: Methods | None, depth: int,
             found: list[Guarded]) -> None:
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(stmt, ast.If):
            test = _inline(stmt.test, aliases)
            refused = _if_refusal_branch(index, module, stmt, methods)
            if refused is not None:
                how, in_else, line = refused
                parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
                others = tuple(p for p in parts if _subject(index, module, p, methods) is None)
                found.append(Guarded(f"{how} in `{func.name}`", line, guards, () if in_else else others))
                continue
            for call in _calls(stmt.test):  # a call in the test itself: `if self.check(request): ...`
                _follow(index, module, call, guards, func, methods, depth, found)
            _guarded(index, module, stmt.body, (*guards, (test, True)), aliases, func, methods, depth, found)
            _guarded(index, module, stmt.orelse, (*guards, (test, False)), aliases, func, methods, depth, found)
            if _passes_on(stmt.body, func) and not stmt.orelse:  # `if ...: return self.get_response(request)`
                guards = (*guards, (test, False))
            continue
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith):
            _guarded(index, module, stmt.body, guards, aliases, func, methods, depth, found)
            continue
        if isinstance(stmt, ast.Try | ast.TryStar):
            for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                _guarded(index, module, part, guards, aliases, func, methods, depth, found)
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                _AUTH_CALL.search(last(dotted(stmt.value.func))):
            found.append(Guarded(f"`{literals.source(stmt.value.func)}()` (line {stmt.lineno}) in `{func.name}`",
                                 stmt.lineno, guards))
            continue
        for call in _calls(stmt):
            _follow(index, module, call, guards, func, methods, depth, found)


def _follow(index: ProjectIndex, module: str, call: ast.Call, guards: tuple[Guard, ...], func: FuncDef,
            methods: Methods | None, depth: int, found: list[Guarded]) -> None:
    """The refusals of a project function or method the hook calls, under the hook's conditions."""
    if depth <= 0:
        return
    callee_at = _callee(index, module, call, methods)
    if callee_at is None or callee_at[1] is func:
        return
    inner: list[Guarded] = []
    _guarded(index, callee_at[0], callee_at[1].body, (), _aliases(callee_at[1]), callee_at[1],
             methods, depth - 1, inner)
    for refused in inner:
        found.append(Guarded(f"{refused.how}, called on line {call.lineno}", refused.line,
                             (*guards, *refused.guards), refused.exemptions))


def _calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in _own([node]) if isinstance(n, ast.Call)] if isinstance(node, ast.stmt) else \
        [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _passes_on(body: list[ast.stmt], func: FuncDef) -> bool:
    """A branch that lets the request through: it returns what `get_response(request)` answers, or (in a
    `process_request`/`process_view` hook or a helper, not `__call__`) None."""
    for stmt in body:
        if isinstance(stmt, ast.Return):
            value = stmt.value
            if value is None or (isinstance(value, ast.Constant) and value.value is None):
                return func.name != "__call__"
            return isinstance(value, ast.Call) and last(dotted(value.func)) == "get_response"
    return False


def _aliases(func: FuncDef) -> dict[str, ast.expr]:
    """Local names bound once to an expression (`path = request.path_info`, `url = resolve(request.path)`)."""
    bound: dict[str, list[ast.expr]] = {}
    for node in _own(func.body):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            bound.setdefault(node.targets[0].id, []).append(node.value)
    return {name: values[0] for name, values in bound.items() if len(values) == 1}


class _Inline(ast.NodeTransformer):
    def __init__(self, aliases: dict[str, ast.expr]) -> None:
        self.aliases = aliases

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.aliases.get(node.id, node)


def _inline(test: ast.expr, aliases: dict[str, ast.expr]) -> ast.expr:
    """The test with its local names replaced by what they were bound to (one level)."""
    if not aliases or not any(isinstance(n, ast.Name) and n.id in aliases for n in ast.walk(test)):
        return test
    return _Inline(aliases).visit(copy.deepcopy(test))  # type: ignore[no-any-return]
