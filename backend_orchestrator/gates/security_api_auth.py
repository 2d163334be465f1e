"""Authentication flaws: user enumeration (SC211), back doors (SC213), no brute-force limit (SC214).

Login code is the handlers of login, token, OTP/PIN and password-reset endpoints, the project
functions they call, and functions named so. Authentication code is, besides, every function whose
name, decorator (`user_loader`, `verify_password`) or class reads as authentication, and the
dependencies endpoints name as their auth.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..contracts.common import Severity
from ..contracts.registry import Endpoint
from ..discovery import literals
from ..discovery.dependencies import name_authenticates, parameter_deps, parameters
from ..discovery.files import SourceFile
from ..discovery.symbols import dotted, last
from .security_api import MAX_DEPTH, Project, callee
from .security_common import Function, Hit, words

# --- login code (SC211, SC213, SC214) and SC211: user enumeration by distinct login answers ---------

_RESET_WORDS = frozenset({"reset", "forgot", "recover", "recovery", "lost"})
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "credentials"})
_NOT_LOGIN = frozenset({"logout", "callback", "required", "manager", "redirect", "refresh", "revoke", "providers",
                        "url", "page", "form", "template", "view"})
_USER_WORDS = frozenset({"user", "account", "member", "customer", "person", "profile", "principal", "identity",
                         "login", "admin", "staff", "employee", "existing"})
_CHECK_WORDS = frozenset({"password", "passwd", "pwd", "verify", "check", "hash", "bcrypt", "argon2", "otp", "totp",
                          "pin", "credentials", "authenticate", "compare"})
_REVEALING = re.compile(
    r"not\s+(be\s+)?(found|exists?|registered|known|recogni[sz]ed)|no\s+(such\s+)?(user|account|e-?mail)|"
    r"unknown\s+(user|e-?mail|account|login)|(user|account|e-?mail)\s*(name)?\s+(does\s*n[o']t|doesn't)\s+exist|"
    r"\bvalid\s+(user\s*name|user|e-?mail|account)\b(?!\s*(or|and|/))|"
    r"\binvalid\s+(user\s*name|user|e-?mail|account)\b(?!\s*(or|and|/))",
    re.IGNORECASE)


_SECOND_FACTOR = frozenset({"otp", "totp", "2fa", "mfa", "pin", "passcode", "verifyotp"})
_LOGIN_SEGMENTS = frozenset({"login", "signin", "logon", "authenticate"})
_RESET_SEGMENTS = frozenset({"passwordreset", "resetpassword", "forgotpassword", "lostpassword", "recoverpassword",
                             "passwordrecovery", "forgot"})
_TOKEN_SEGMENTS = frozenset({"token", "tokens", "accesstoken", "jwt"})
# what the registry lists as the auth of a login endpoint: the credentials it takes (`OAuth2PasswordRequestForm`)
_CREDENTIAL_AUTH = re.compile(r"(?i)login|password|credential|basic|form")


_VOUCHING = frozenset({"authenticate", "login", "verify", "check", "auth", "decode"})
_GENERIC = re.compile(r"(?i)credential|(user\s*name|e-?mail|login)\s*(or|and|/)\s*pass|"
                      r"pass(word)?\s+(is\s+)?(incorrect|wrong|invalid)|(incorrect|wrong|invalid)\s+pass")


def _path_words(path: str) -> list[str]:
    return [w for seg in path.lower().split("/") if seg and not seg.startswith("{") for w in words(seg)]


def _login_endpoint(project: Project, endpoint: Endpoint) -> bool:
    """A POST/PUT/PATCH that checks a secret the client guesses: login, token, OTP/PIN, password reset."""
    if endpoint.method not in ("POST", "PUT", "PATCH"):
        return False
    segments = [s.replace("-", "").replace("_", "") for s in endpoint.path.lower().split("/")
                if s and not s.startswith("{")]
    found = _path_words(endpoint.path)
    if set(found) & _NOT_LOGIN or {"refresh", "revoke", "verifytoken", "introspect", "logout"} & set(segments):
        return False
    authenticated = [a for a in endpoint.auth if not _CREDENTIAL_AUTH.search(a)]
    if set(segments) & _SECOND_FACTOR:  # one-time codes are guessed after the password too
        return True
    if set(segments) & _LOGIN_SEGMENTS:  # app-wide auth (a `before_request` hook) never covers the login itself
        return not (authenticated and _declares_auth(project, endpoint, authenticated))
    if authenticated:  # a token or reset for a caller already logged in (or an admin) is not a guess
        return False
    if any(set(words(p)) & {"token", "key", "uid", "uidb64"} for p in endpoint.path_params):
        return False  # the secret is a random token in the link: too long to guess
    if set(segments) & (_TOKEN_SEGMENTS | _RESET_SEGMENTS):
        return True
    handler = words(endpoint.handler.rpartition(":")[2]) + words(endpoint.handler.rpartition(":")[0])
    return bool(set(found) & _RESET_WORDS and (set(found) | set(handler)) & (_PASSWORD_WORDS | {"auth", "login"}))


def _declares_auth(project: Project, endpoint: Endpoint, names: list[str]) -> bool:
    """Whether the handler itself asks for authentication: a decorator, a route dependency or a parameter."""
    found = project.code.handler(endpoint)
    if found is None:
        return True
    source, func = found
    wanted = {last(n) for n in names}
    if any(wanted & set(re.findall(r"\w+", literals.source(d))) for d in func.decorator_list):
        return True
    return any(project.classifier().authenticates(dep) for arg, default in parameters(func)
               for dep in parameter_deps(project.code.index, source.module, arg, default))


def _login_function(name: str) -> bool:
    found = set(words(name))
    if found & _NOT_LOGIN:
        return False
    return bool(found & {"login", "signin", "logon", "authenticate"} or (found & _RESET_WORDS and found &
                                                                            _PASSWORD_WORDS))


def _label(expr: ast.AST) -> list[str]:
    """The words that name what `expr` holds: `user`, `form.password.data`, `request.form["pin"]`."""
    if isinstance(expr, ast.Name):
        return words(expr.id)
    if isinstance(expr, ast.Attribute):
        return words(expr.attr) + (words(dotted(expr.value)) if expr.attr in ("data", "value") else [])
    if isinstance(expr, ast.Subscript):
        key = literals.string(expr.slice)
        return words(key) if key else _label(expr.value)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" and expr.args:
        key = literals.string(expr.args[0])
        return words(key) if key else []
    return []


def _user_test(test: ast.expr) -> bool | None:
    """True for `user` / `user is not None`, False for `not user` / `user is None`, None otherwise."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _user_test(test.operand)
        return None if inner is None else not inner
    if isinstance(test, ast.Name | ast.Attribute) and set(_label(test)) & _USER_WORDS and \
            not (isinstance(test, ast.Attribute) and test.attr.startswith("is_")):
        return True
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.comparators[0], ast.Constant) \
            and test.comparators[0].value is None and set(_label(test.left)) & _USER_WORDS:
        return isinstance(test.ops[0], ast.IsNot | ast.NotEq)
    return None


def _password_check(test: ast.AST) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and set(words(callee(node))) & _CHECK_WORDS:
            return True
        if isinstance(node, ast.Compare) and any(set(_label(n)) & (_PASSWORD_WORDS | {"otp", "pin", "code"})
                                                 for n in [node.left, *node.comparators]):
            return True
    return False


def _branch(test: ast.expr) -> tuple[str, bool] | None:
    """('user' | 'password', whether the failure is the if-body) for a test about one of the two alone."""
    parts = test.values if isinstance(test, ast.BoolOp) else [test]
    users = [u for p in parts if (u := _user_test(p)) is not None]
    checks = [p for p in parts if _password_check(p)]
    if users and not checks:
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
            return ("user", True) if False in users else None
        return ("user", False) if all(users) else ("user", True) if len(parts) == 1 else None
    if checks and not users and len(parts) == 1:
        negated = (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)) or (
            isinstance(test, ast.Compare) and any(isinstance(o, ast.NotEq | ast.IsNot) for o in test.ops))
        return "password", negated
    return None


@dataclass(frozen=True)
class _Answer:
    line: int
    status: int | None
    message: str | None
    error: bool


def _text(node: ast.AST) -> str | None:
    """The first string literal in `node`, in source order (through gettext calls and f-strings; dict values,
    not keys; not headers)."""
    if isinstance(node, ast.Constant):
        return node.value.strip() if isinstance(node.value, str) and node.value.strip() else None
    if isinstance(node, ast.Dict):
        children: list[ast.AST] = list(node.values)
    elif isinstance(node, ast.Call):
        children = [*node.args, *(k.value for k in node.keywords if k.arg not in ("headers", "category"))]
    else:
        children = list(ast.iter_child_nodes(node))
    return next((t for c in children if (t := _text(c)) is not None), None)


_ERROR_CALLS = frozenset({"abort", "HTTPException", "flash", "error", "JSONResponse", "jsonify", "make_response",
                          "Response", "ValidationError", "PermissionDenied", "AuthenticationFailed",
                          "NotAuthenticated", "Unauthorized", "Forbidden", "NotFound", "BadRequest"})


def _answer(block: list[ast.stmt]) -> _Answer | None:
    """How a failure branch answers: status and message of its raise, abort, flash, return or `error = "..."`."""
    for stmt in block:
        node = _answering(stmt)
        if node is None:
            continue
        status = None
        for child in ast.walk(node):
            if isinstance(child, ast.keyword) and child.arg in ("status_code", "status", "code"):
                status = literals.status_code(child.value)
            elif status is None and isinstance(child, ast.Constant | ast.Attribute) and \
                    (code := literals.status_code(child)) is not None and code >= 400:
                status = code
        message = _text(node)
        calls = {callee(c) for c in ast.walk(node) if isinstance(c, ast.Call)}
        keys = {k.arg for k in ast.walk(node) if isinstance(k, ast.keyword)} | {
            literals.string(k) for d in ast.walk(node) if isinstance(d, ast.Dict) for k in d.keys}
        error = isinstance(stmt, ast.Raise | ast.Assign) or bool(calls & _ERROR_CALLS) or (status or 0) >= 400 or \
            bool(keys & {"error", "errors", "detail"})
        if status is None and message is None:
            return None
        return _Answer(stmt.lineno, status, message, error)
    return None


def _answering(stmt: ast.stmt) -> ast.AST | None:
    """The part of `stmt` that answers the client: a raised exception, a returned value, an error call or
    an assigned error message."""
    if isinstance(stmt, ast.Raise):
        return stmt.exc
    if isinstance(stmt, ast.Return):
        return stmt.value
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
            callee(stmt.value) in _ERROR_CALLS:
        return stmt.value
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and \
            set(words(stmt.targets[0].id)) & {"error", "errors", "message", "msg", "detail"}:
        return stmt.value
    return None


def _login_functions(project: Project) -> Iterator[tuple[SourceFile, Function]]:
    """Handlers of login/reset endpoints, the project functions they call, and functions named so."""
    seen: set[int] = set()
    index = project.code.index
    for source, func, endpoints in project.handlers.values():
        if any(_login_endpoint(project, e) for e in endpoints):
            seen.add(id(func))
            yield source, func
            for call in project.calls(func):
                ref = index.resolve(source.module, call.func)
                callee = index.function_def(ref)
                if ref is not None and callee is not None and id(callee) not in seen:
                    seen.add(id(callee))
                    yield index.modules[ref.module].source, callee
    for source, view, endpoints in project.views.values():
        if any(_login_endpoint(project, e) for e in endpoints):
            for owner_source, method in _view_methods(project, source, view):
                if id(method) not in seen:
                    seen.add(id(method))
                    yield owner_source, method
    for source, func in project.functions():
        if id(func) not in seen and id(func) not in project.handlers and _login_function(func.name):
            seen.add(id(func))
            yield source, func


def _view_methods(project: Project, source: SourceFile, view: ast.ClassDef,
                  depth: int = 0) -> Iterator[tuple[SourceFile, Function]]:
    """The methods of a class-based view and of its base classes in the project."""
    for stmt in view.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            yield source, stmt
    if depth < MAX_DEPTH:
        index = project.code.index
        for base in index.bases(source.module, view):
            node = index.class_def(base)
            if node is not None:
                yield from _view_methods(project, index.modules[base.module].source, node, depth + 1)


def _checked_users(project: Project, func: Function) -> set[str]:
    """Names that come from a credential or token check (`user = authenticate(username, password)`,
    `user = session.get(User, verify_reset_token(token))`): a missing user there means wrong credentials or a bad
    token, not an account the caller named."""
    checked: set[str] = set()
    bound = project.bound(func)
    for _ in range(3):
        before = len(checked)
        for names, value in bound:
            calls = [c for c in ast.walk(value) if isinstance(c, ast.Call)]
            if any(set(words(callee(c))) & _VOUCHING for c in calls) or \
                    {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} & checked:
                checked.update(names)
        if len(checked) == before:
            break
    return checked


def enumeration(project: Project) -> Iterator[Hit]:
    for source, func in _login_functions(project):
        answers: dict[str, list[_Answer]] = {"user": [], "password": []}
        checked = _checked_users(project, func)
        for node in project.nodes(func):
            if not isinstance(node, ast.If) or {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)} & checked:
                continue
            branch = _branch(node.test)
            if branch is None:
                continue
            answer = _answer(node.body if branch[1] else node.orelse)
            if answer is not None and answer.error:
                answers[branch[0]].append(answer)
        for missing in answers["user"]:
            other = next((a for a in answers["password"] if _differs(missing, a)), None)
            revealing = missing.message is not None and _REVEALING.search(missing.message) and \
                not _GENERIC.search(missing.message)
            if other is None and not revealing:
                continue
            said = f"answers {_describe(missing)}"
            why = f"while a wrong password gets {_describe(other)} (line {other.line})" if other is not None else \
                "which tells the caller that no account exists"
            yield Hit("SC211", f"{func.name}() {said} when the user does not exist ({source.rel}:{missing.line}), "
                               f"{why}: an attacker can list the accounts. Answer every failed login (or reset "
                               'request) the same way, e.g. 401 "Invalid credentials" (or "If the account exists, '
                               'we sent an email"), and spend the same time on both paths.',
                      path=source.rel, line=missing.line, title="User enumeration by distinct login answers",
                      evidence=f"unknown user: {_describe(missing)}" +
                               (f"; wrong password: {_describe(other)}" if other else ""))


def _differs(a: _Answer, b: _Answer) -> bool:
    if a.status is not None and b.status is not None and a.status != b.status:
        return True
    return a.message is not None and b.message is not None and a.message.lower() != b.message.lower()


def _describe(answer: _Answer) -> str:
    parts = [str(answer.status)] if answer.status is not None else []
    if answer.message is not None:
        parts.append(repr(answer.message[:60]))
    return " ".join(parts)


# --- SC213: back doors in authentication ------------------------------------------------------------------

_SECRET_PARTS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "passcode",
                 "credential")
_SECRET_WORDS = frozenset({"pwd", "otp", "totp", "pin", "mfa"})
_NOT_SECRET = frozenset({"type", "types", "scheme", "kind", "prefix", "format", "name", "names", "header", "grant",
                         "method", "location", "url", "uri", "endpoint", "hint", "use", "field", "algorithm", "alg",
                         "mode", "source", "version", "status", "state", "len", "length", "strength", "policy",
                         "label", "placeholder", "id", "path", "class", "style", "param", "attr", "channel",
                         "column", "col", "setting", "settings", "option", "options"})
_SCHEME_LITERALS = frozenset({"bearer", "basic", "digest", "token", "jwt", "jws", "jwe", "access", "refresh",
                              "id_token", "access_token", "refresh_token", "api_key", "apikey", "password", "header",
                              "query", "cookie", "session", "hmac", "null", "undefined", "none", "false", "true",
                              "authorization_code", "client_credentials", "code", "otp", "totp", "sms", "email"})
_MASK = frozenset("*•●·xX#-_ ")
_CONFIG_ROOTS = frozenset({"settings", "config", "conf", "cfg", "configuration", "app", "current_app", "os",
                           "environ", "options", "opts"})
_SWITCH_WORDS = frozenset({"debug", "testing", "test", "tests", "dev", "development", "bypass", "skip", "insecure",
                           "backdoor", "noauth", "fake", "mock", "impersonate", "sudo", "override"})
_HEADER_SWITCH = frozenset({"debug", "test", "testing", "bypass", "skip", "backdoor", "noauth", "impersonate", "sudo",
                            "override", "fake", "mock"})
_ENV_WORDS = frozenset({"env", "environment", "stage", "mode", "profile"})
_DEV_VALUES = frozenset({"test", "testing", "dev", "development", "local", "debug"})
_REFUSALS = frozenset({"abort", "redirect", "HTTPException", "render_template", "jsonify", "JSONResponse",
                       "Response", "make_response", "error", "unauthorized", "forbidden", "PermissionDenied",
                       "HttpResponseForbidden", "HttpResponseRedirect", "url_for"})
_LOADER_DECORATORS = frozenset({"user_loader", "request_loader", "header_loader", "verify_password", "verify_token",
                                "get_password", "auth_required"})


def _auth_functions(project: Project) -> Iterator[tuple[SourceFile, Function, bool]]:
    """Authentication code (by name, by its decorator, its class, or the endpoints that use it), and handlers.

    The flag says whether it is authentication code proper (a grant inside it skips the check)."""
    auth_names = {last(a) for e in project.endpoints for a in e.auth}
    login = {id(f) for _, f in _login_functions(project)}
    for source, func in project.functions():
        owner = project.owners.get(id(func))
        decorators = {last(dotted(getattr(d, "func", d))) for d in func.decorator_list}
        is_auth = name_authenticates(func.name, func) or func.name in auth_names or id(func) in login or \
            bool(decorators & _LOADER_DECORATORS) or (owner is not None and (
                name_authenticates(owner.name, None) or owner.name in auth_names))
        if is_auth or id(func) in project.handlers:
            yield source, func, is_auth


def _secret_side(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Name) and expr.id.isupper():
        return False  # a module constant: configuration, not what the client sent
    root = dotted(expr).split(".")[0].split("[")[0].split("(")[0].lower()
    if root in _CONFIG_ROOTS or "environ" in dotted(expr):
        return False
    found = _label(expr)
    flat = "".join(found)
    return (any(p in flat for p in _SECRET_PARTS) or bool(set(found) & _SECRET_WORDS)) and \
        not set(found) & _NOT_SECRET


def _literals_of(expr: ast.AST) -> list[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in expr.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _hardcoded(compare: ast.AST) -> ast.AST | None:
    """The credential side of `token == "literal"` (`in (...)`, `compare_digest(x, "literal")`), if any."""
    pairs: list[tuple[ast.AST, ast.AST]] = []
    if isinstance(compare, ast.Compare) and len(compare.ops) == 1 and \
            isinstance(compare.ops[0], ast.Eq | ast.NotEq | ast.In | ast.NotIn):
        pairs = [(compare.left, compare.comparators[0]), (compare.comparators[0], compare.left)]
    elif isinstance(compare, ast.Call) and callee(compare) == "compare_digest" and len(compare.args) == 2:
        pairs = [(compare.args[0], compare.args[1]), (compare.args[1], compare.args[0])]
    for side, other in pairs:
        values = [v for v in _literals_of(other) if v.strip() and v.strip().lower() not in _SCHEME_LITERALS
                  and not set(v) <= _MASK]  # not a mask such as "********"
        if values and _secret_side(side):
            return side
    return None


_CLIENT_MAPS = frozenset({"headers", "META", "cookies", "args", "form", "values", "GET", "POST", "query_params"})


def _header_reads(project: Project, func: Function) -> dict[str, str]:
    """Local names holding a header, cookie or query/form field the client sends (or a FastAPI `Header()`,
    `Cookie()` or `Query()` parameter) -> its name."""
    out: dict[str, str] = {}
    for arg, default in parameters(func):
        markers = [default, *(arg.annotation.slice.elts if isinstance(arg.annotation, ast.Subscript) and
                              isinstance(arg.annotation.slice, ast.Tuple) else [])]
        if any(isinstance(m, ast.Call) and callee(m) in ("Header", "Cookie", "Query") for m in markers):
            out[arg.arg] = arg.arg
    for names, value in project.bound(func):
        header = _header_name(value)
        if header is not None:
            out.update(dict.fromkeys(names, header))
    return out


def _header_name(expr: ast.AST) -> str | None:
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" and \
            isinstance(expr.func.value, ast.Attribute) and expr.func.value.attr in _CLIENT_MAPS:
        return literals.string(expr.args[0]) if expr.args else None
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Attribute) and expr.value.attr in _CLIENT_MAPS:
        return literals.string(expr.slice)
    return None


def _switch(test: ast.AST, headers: dict[str, str]) -> tuple[str, bool] | None:
    """(what, is a header) when `test` reads a debug/test switch: a setting, an environment name, a header."""
    for node in ast.walk(test):
        header = _header_name(node) or (headers.get(node.id) if isinstance(node, ast.Name) else None)
        if header is not None:
            if set(words(header)) & _HEADER_SWITCH:
                return f"the client-sent {header!r}", True
            continue
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq | ast.In):
            values = {v.lower() for v in _literals_of(node.comparators[0])}
            if set(_label(node.left)) & _ENV_WORDS and values & _DEV_VALUES:
                return f"{literals.source(node)}", False
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript) or (
                isinstance(node, ast.Call) and callee(node) in ("getenv", "get")):
            label = _label(node) if not isinstance(node, ast.Call) else words(literals.string(
                node.args[0]) or "") if node.args else []
            root = dotted(node).split(".")[0].split("(")[0].split("[")[0].lower()
            config = root in _CONFIG_ROOTS or (isinstance(node, ast.Name) and node.id.isupper()) or \
                "environ" in dotted(node) or "config" in dotted(node).lower()
            if config and set(label) & _SWITCH_WORDS:
                return f"{literals.source(node)}", False
    return None


def _grants(block: list[ast.stmt]) -> bool:
    """Whether a branch lets the request through: returns a user, True or the wrapped view, or logs in."""
    stack = list(block)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Raise):
            return False
        if isinstance(stmt, ast.Return):
            value = stmt.value
            if isinstance(value, ast.Constant) and value.value in (False, None):
                continue
            calls = {callee(c) for c in ast.walk(value) if isinstance(c, ast.Call)} if value else set()
            if not calls & _REFUSALS:
                return True
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                callee(stmt.value) in ("login_user", "login"):
            return True
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr in ("user", "current_user")
                                                for t in stmt.targets):
            return True
        for name in ("body", "orelse"):
            stack.extend(getattr(stmt, name, []))
    return False


def back_doors(project: Project) -> Iterator[Hit]:
    for source, func, is_auth in _auth_functions(project):
        headers = _header_reads(project, func)
        for node in project.nodes(func):
            if isinstance(node, ast.Compare | ast.Call):
                side = _hardcoded(node)
                if side is not None:
                    yield Hit("SC213", f"{func.name}() compares {literals.source(side)} with a string written in the "
                                       f"code ({source.rel}:{node.lineno}): a hard-coded credential that anyone who "
                                       "reads the code (or guesses it) can use, and that cannot be rotated. Check "
                                       "credentials against hashed values in the database or a secret from the "
                                       "environment; tests log in through fixtures.",
                              path=source.rel, line=node.lineno, title="Hard-coded credential in authentication",
                              evidence=f"{literals.source(side)} == <literal>", cwe=798, end_line=node.end_lineno)
            if isinstance(node, ast.If) and (is_auth or _header_switch_only(node, headers)):
                found = _switch(node.test, headers)
                if found is not None and _grants(node.body):
                    what, header = found
                    yield Hit("SC213", f"{func.name}() lets the request through when {what} is set "
                                       f"({source.rel}:{node.lineno}): "
                                       f"{'any client can send it' if header else 'one wrong setting in production'} "
                                       "and skips authentication. Remove the bypass; tests override the dependency "
                                       "(`app.dependency_overrides`) or log in through fixtures.",
                              path=source.rel, line=node.lineno, title="Debug or test bypass in authentication",
                              evidence=what, severity="high" if header else "medium", end_line=node.test.end_lineno)


def _header_switch_only(node: ast.If, headers: dict[str, str]) -> bool:
    found = _switch(node.test, headers)
    return found is not None and found[1]


# --- SC214: login endpoints without a brute-force limit ---------------------------------------------------

_LIMIT_NAME = re.compile(r"(?i:rate_?limit|limiter|throttl|ratelimit)|(^|\.)limits?$")
_LOCKOUT = re.compile(r"(?i)fail(ed|ure)?s?_?(login|attempt|count)|login_?attempt|attempts|lock(ed)?_?(out|until)|"
                      r"lockout|backoff|throttl|too_?many")


def _limited(project: Project, source: SourceFile, func: Function) -> str | None:
    """Where the handler is rate limited or locks accounts out: a decorator, a dependency, a counter."""
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _LIMIT_NAME.search(dotted(target)):
            return f"@{dotted(target)}"
        if isinstance(decorator, ast.Call):  # @router.post("/login", dependencies=[Depends(RateLimiter(...))])
            for kw in decorator.keywords:
                if kw.arg == "dependencies" and _LIMIT_NAME.search(literals.source(kw.value)):
                    return literals.source(kw.value)
    for _, default in parameters(func):
        if default is not None and _LIMIT_NAME.search(literals.source(default)):
            return literals.source(default)
    return _lockout(project, source, func, 0)


def _lockout(project: Project, source: SourceFile, func: Function, depth: int) -> str | None:
    index = project.code.index
    for node in project.nodes(func):
        text = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else \
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
        if text and len(text) < 60 and _LOCKOUT.search(text):
            return f"{text} ({source.rel}:{getattr(node, 'lineno', func.lineno)})"
        if isinstance(node, ast.Call) and depth < MAX_DEPTH:
            ref = index.resolve(source.module, node.func)
            callee = index.function_def(ref)
            if ref is not None and callee is not None and callee is not func:
                found = _lockout(project, index.modules[ref.module].source, callee, depth + 1)
                if found is not None:
                    return found
    return None


def _global_limiter(project: Project) -> str | None:
    """A limiter with default limits for every route, a rate-limit middleware, or DRF throttling defaults."""
    for source in project.code.files:
        if source.tree is None:
            continue
        for call in source.parsed.nodes(ast.Call):
            name = callee(call)
            if name == "Limiter":
                for kw in call.keywords:
                    if kw.arg in ("default_limits", "application_limits") and \
                            not (isinstance(kw.value, ast.List | ast.Tuple) and not kw.value.elts):
                        return f"{source.rel}:{call.lineno}"
            elif _limiter_setup(name, call):
                return f"{source.rel}:{call.lineno}"
        for constant in source.parsed.nodes(ast.Constant):
            if constant.value in ("DEFAULT_THROTTLE_CLASSES", "axes.middleware.AxesMiddleware"):
                return f"{source.rel}:{constant.lineno}"
    return None


def _reset_only(endpoint: Endpoint) -> bool:
    """A password-reset endpoint that is not also a login, token or one-time-code endpoint."""
    segments = {s.replace("-", "").replace("_", "") for s in endpoint.path.lower().split("/")}
    return not segments & (_SECOND_FACTOR | _LOGIN_SEGMENTS | _TOKEN_SEGMENTS)


def _token_reset(project: Project, source: SourceFile, func: Function) -> bool:
    """Whether a handler takes a reset token or key (a parameter, or a field of its body schema): the confirm
    step of a reset, whose secret is a long random token nobody guesses."""
    index = project.code.index
    for arg, _ in parameters(func):
        names = [arg.arg]
        if arg.annotation is not None:
            node = index.class_def(index.resolve(source.module, arg.annotation))
            if node is not None:
                names += [s.target.id for s in node.body if isinstance(s, ast.AnnAssign)
                          and isinstance(s.target, ast.Name)]
        if any(set(words(n)) & {"token", "key", "uid", "uidb64"} for n in names):
            return True
    return False


def _limiter_setup(name: str, call: ast.Call) -> bool:
    """`app.add_middleware(RateLimitMiddleware)`, `FastAPI(dependencies=[Depends(RateLimiter(...))])`."""
    if name == "add_middleware":
        return bool(call.args) and _LIMIT_NAME.search(dotted(call.args[0])) is not None
    return name in ("FastAPI", "APIRouter") and any(
        kw.arg == "dependencies" and _LIMIT_NAME.search(literals.source(kw.value)) for kw in call.keywords)


def _limited_targets(project: Project) -> set[str]:
    """Blueprints and views limited as a whole: `limiter.limit("5/minute")(blueprint)`."""
    out = set()
    for source in project.code.files:
        if source.tree is None:
            continue
        for call in source.parsed.nodes(ast.Call):
            if isinstance(call.func, ast.Call) and _LIMIT_NAME.search(dotted(call.func.func)) and call.args:
                out.add(project.code.index.qualname(source.module, call.args[0]))
    return out


def _view_limited(project: Project, source: SourceFile, view: ast.ClassDef) -> str | None:
    """A class-based view limited by a decorator on the class or a method (`method_decorator(ratelimit(...))`),
    by DRF `throttle_classes`, or locking accounts out in one of its methods."""
    for decorator in view.decorator_list:
        if _LIMIT_NAME.search(literals.source(decorator)):
            return literals.source(decorator)
    for stmt in view.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and "throttle" in t.id for t in stmt.targets):
            return literals.source(stmt)
    for owner, method in _view_methods(project, source, view):
        found = _limited(project, owner, method)
        if found is not None:
            return found
    return None


def brute_force(project: Project) -> Iterator[Hit]:
    targets: list[tuple[SourceFile, ast.AST, list[Endpoint]]] = [
        (s, f, [e for e in es if _login_endpoint(project, e)]) for s, f, es in
        [*project.handlers.values(), *project.views.values()]]
    targets = [t for t in targets if t[2]]
    if not targets:
        return
    overall = _global_limiter(project)
    whole = _limited_targets(project)
    index = project.code.index
    for source, node, endpoints in targets:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _token_reset(project, source, node):
            endpoints = [e for e in endpoints if not _reset_only(e)]
        if isinstance(node, ast.ClassDef):
            if _view_limited(project, source, node) is not None:
                continue
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if _limited(project, source, node) is not None:
                continue
            routers = {index.qualname(source.module, d.func.value) for d in node.decorator_list
                       if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)}
            if routers & whole or index.qualname(source.module, ast.Name(id=node.name)) in whole:
                continue
        for endpoint in endpoints:
            level: Severity = "low" if overall else "medium"
            context = f" (the app's global limiter at {overall} applies, but not a per-account limit)" if overall \
                else ""
            yield Hit("SC214", f"{endpoint.ref} ({endpoint.handler}) checks a password, token or code but has no "
                               f"rate limit and no lockout{context}: an attacker can guess credentials or one-time "
                               "codes as fast as the server answers. Limit it per client and per account (slowapi/"
                               'flask-limiter `@limiter.limit("5/minute")`, fastapi-limiter '
                               "`Depends(RateLimiter(...))`) and lock or slow down an account after repeated "
                               "failures.",
                      path=endpoint.file, line=endpoint.line, title=f"No brute-force limit on {endpoint.ref}",
                      evidence=f"no limiter decorator or dependency, no lockout counter; global limiter: "
                               f"{overall or 'none'}", severity=level, endpoint=endpoint.ref)
