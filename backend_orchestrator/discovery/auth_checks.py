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

Why a reader of its own: which names mean "the caller" differs per framework (Flask-Login's
`current_user`, Django's `request.user`, a Flask `session`, a FastAPI token parameter), and a check
counts only when its branch actually refuses the request. Returns a short description of the check (for
messages and evidence), or None.
"""

from __future__ import annotations

import ast
import re

from . import literals
from .symbols import ProjectIndex, dotted, last

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef

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


def refusal(index: ProjectIndex, module: str, func: FuncDef, depth: int = 1) -> str | None:
    """How `func` refuses an unauthenticated request (see the module docstring), or None."""
    for node in _own(func.body):
        if isinstance(node, ast.If):
            found = _if_refusal(index, module, node)
            if found is not None:
                return found
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call | ast.Await):
            call = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(call, ast.Call) and _AUTH_CALL.search(last(dotted(call.func))):
                return f"`{literals.source(call.func)}()` (line {node.lineno})"
    if depth <= 0:
        return None
    for node in _own(func.body):
        if not isinstance(node, ast.Call):
            continue
        ref = index.resolve(module, node.func)
        callee = index.function_def(ref)
        if ref is None or callee is None or callee is func:
            continue
        found = refusal(index, ref.module, callee, depth - 1)
        if found is not None:
            return f"{found} in `{callee.name}()`, called on line {node.lineno}"
    return None


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


def _if_refusal(index: ProjectIndex, module: str, node: ast.If) -> str | None:
    subject = _subject(index, module, node.test)
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
            return f"`if {shown}` refuses the request{' (in its else)' if in_else else ''} (line {line})"
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


def _subject(index: ProjectIndex, module: str, test: ast.expr) -> str | None:
    """What the test reads about who is asking: "identity" (the current user, a login session, an
    authorisation call), "credential" (a token, a signature or an API key, compared or tested for absence),
    or None."""
    credential = False
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
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
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
