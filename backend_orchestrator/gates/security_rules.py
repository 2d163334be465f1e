"""The project's own rules over routes and settings: missing authentication (SC201), object access by
id without an ownership check (SC205), CORS `*` with credentials (SC206) and debug mode (SC207)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from ..contracts.common import Severity
from ..contracts.registry import Endpoint, Model
from ..discovery import django_urls, literals
from ..discovery.auth_checks import Guarded, refusal
from ..discovery.dependencies import AuthClassifier, dependency_list, parameter_deps, parameters, returned_functions
from ..discovery.django_views import AuthMiddleware, auth_middleware, methods_of, view_check
from ..discovery.files import SourceFile
from ..discovery.symbols import dotted, last, walk_statements
from .security_common import Code, Function, Hit, functions, own_nodes, words

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# a path segment that makes an endpoint public by design: signing in and out, tokens, sign-up, password
# recovery, health checks
_PUBLIC_SEGMENTS = frozenset({
    "login", "logout", "signin", "sign-in", "sign_in", "signout", "sign-out", "sign_out", "logoff", "signup",
    "sign-up", "sign_up", "register", "registration", "token", "tokens", "oauth", "oauth2", "sso",
    "saml", "oidc", "openid", "health", "healthz", "healthcheck", "health-check", "livez", "readyz",
    "liveness", "readiness", "ping", "password-reset", "reset-password", "password_reset", "reset_password",
    "forgot-password", "forgot_password", "forgot", "password-recovery", "recover", "recovery", "lost-password",
    "verify-email", "confirm-email", "resend-verification",
})
# public when the URL carries the secret that authorises it (`/invite/{token}`, `/reset/{code}`), or, as the
# last segment, when the endpoint is itself the authentication step (`/{event}/auth/`)
_TOKEN_GATED_SEGMENTS = frozenset({"reset", "invite", "invitation", "invitations", "activate", "activation",
                                   "confirm", "confirmation", "verify", "verification", "unsubscribe", "magic",
                                   "magic-link", "accept"})
_TOKEN_PARAM = re.compile(r"(^|_)(token|code|uidb64|hash|signature|secret|nonce)$|^(key|uid)$", re.IGNORECASE)
# public only when the path is about signing in: `/auth/refresh` (not `/feeds/{id}/refresh`)
_SESSION_SEGMENTS = frozenset({"refresh", "ready"})
_SESSION_WORDS = frozenset({"auth", "token", "tokens", "jwt", "session", "sessions", "oauth", "oauth2", "login"})
_AUTH_LAST_SEGMENTS = frozenset({"auth", "authenticate", "authorize"})
_PASSWORD_WORDS = re.compile(r"passw|pw_reset|recover|forgot", re.IGNORECASE)
_ACCOUNT_COLLECTIONS = frozenset({"users", "accounts", "customers", "members"})
_SIGNUP = re.compile(r"regist|sign[\s_-]?up|create (an |a new )?account", re.IGNORECASE)
_ID_PARAM = re.compile(r"(^|_)(id|pk|uuid)$")
_OWNER_COLUMNS = frozenset({"user_id", "owner_id", "owner", "user", "created_by", "created_by_id", "author_id",
                            "tenant_id", "account_id", "customer_id", "organization_id", "org_id", "member_id"})
_USER_TABLES = frozenset({"users", "user", "accounts", "account", "customers", "customer", "tenants", "tenant",
                          "organizations", "organization", "orgs", "members", "member"})
_CHECK_WORDS = frozenset({"owner", "owns", "authorize", "authorise", "authorized", "permission", "permissions",
                          "access", "can", "ensure", "check", "policy", "verify", "allowed", "for"})
_LOADERS = frozenset({"get", "get_or_404", "first_or_404", "get_object_or_404", "scalar", "scalars", "execute",
                      "filter", "filter_by", "where", "query", "select", "one", "first"})
_LOADER_PREFIXES = ("get_", "find", "load", "fetch", "read", "retrieve", "lookup", "select")
_APP_CLASSES = frozenset({"FastAPI", "Starlette", "Flask", "Quart", "Sanic"})
_SETTINGS_MODULE = re.compile(r"settings|config|conf|configuration")
_DEV_MODULES = frozenset({"dev", "development", "local", "test", "testing", "tests", "debug"})


# --- SC201: mutating endpoints without authentication --------------------------------------------------

_FIX = {"fastapi": "one (`Depends(get_current_user)` or a role dependency), preferably on the router",
        "flask": "a check (`@login_required` or a role decorator, or a `before_request` hook on the blueprint)",
        "django": "a check (`@login_required`, `LoginRequiredMixin`, or DRF `permission_classes`)"}
# verbs that name a change, in a handler's or path's words
_WRITE_VERBS = frozenset({
    "create", "add", "new", "insert", "update", "edit", "modify", "change", "set", "save", "store", "put", "patch",
    "delete", "del", "remove", "destroy", "drop", "clear", "reset", "purge", "wipe", "upload", "import", "sync",
    "send", "post", "publish", "approve", "reject", "cancel", "archive", "restore", "move", "copy", "rename",
    "enable", "disable", "toggle", "lock", "unlock", "grant", "revoke", "assign", "invite", "register",
    "subscribe", "unsubscribe", "trigger", "run", "start", "stop", "restart", "execute", "exec", "apply", "merge",
    "mark", "flag", "like", "vote", "follow", "ban", "kick", "write", "commit", "flush", "pop", "append", "extend",
    "increment", "decrement", "bulk", "batch", "submit", "confirm", "accept", "release",
    "schedule", "unschedule", "activate", "deactivate", "transfer", "pay", "charge", "refund", "notify", "email",
    "mail", "share", "clone", "duplicate", "attach", "detach", "link", "unlink", "replace", "upsert", "persist",
    "generate", "rebuild", "refresh", "reload", "rotate", "sort", "reorder", "shutdown", "kill", "terminate",
})
# verbs that name a read, as the first word of a called function or of an RPC-style endpoint
# what a value the handler built can still do to stored state (`note = Note(...); note.save()`)
_PERSIST = frozenset({"save", "delete", "create", "update", "commit", "insert", "put", "post", "patch", "remove",
                      "destroy", "send", "write", "flush", "upload", "publish", "execute", "run", "start", "submit",
                      "apply", "persist", "store", "sync", "refresh"})
_READ_VERBS = frozenset({
    "get", "list", "count", "find", "search", "query", "lookup", "fetch", "load", "read", "is", "has", "can",
    "describe", "show", "render", "format", "parse", "to", "as", "build", "make", "compute", "calculate", "filter",
    "order", "all", "first", "one", "scalar", "scalars", "exists", "values", "items", "keys", "join", "split",
    "strip", "lower", "upper", "startswith", "endswith", "encode", "decode", "dumps", "loads", "json", "dict",
    "model", "serialize", "validate", "check", "url", "reverse", "resolve", "info", "version", "status", "stats",
    "preview", "estimate", "select", "where", "limit", "offset", "paginate", "first_or_404", "get_or_404",
    "one_or_none", "fetchone", "fetchall", "fetchmany", "isoformat", "strftime", "index",
    "gettext", "ngettext", "lazy_gettext", "escape", "quote", "unquote", "urlencode", "urlparse", "b64encode",
    "b64decode", "hexdigest", "digest", "sha256", "md5", "uuid4", "now", "utcnow", "today", "time", "monotonic",
})
_PURE_BUILTINS = frozenset({
    "str", "int", "float", "bool", "len", "dict", "list", "tuple", "set", "frozenset", "sorted", "min", "max", "sum",
    "any", "all", "enumerate", "zip", "range", "isinstance", "getattr", "hasattr", "repr", "round", "abs", "map",
    "filter", "reversed", "iter", "next", "print", "type", "super", "bytes", "divmod", "hash", "id", "vars",
})
_ANSWERS = frozenset({
    "jsonify", "make_response", "render_template", "render_template_string", "redirect", "url_for", "abort",
    "flash", "send_file", "send_from_directory", "render", "get_object_or_404", "get_list_or_404", "reverse",
    "reverse_lazy", "_", "escape", "Markup", "stream_with_context",
})
_LOGGING = re.compile(r"(^|\.)(_?log|_?logger|logging|LOG|LOGGER|_LOG|_LOGGER)$")
_FRAMEWORK_MODULES = ("flask.", "flask_babel.", "fastapi.", "starlette.", "werkzeug.", "django.shortcuts.",
                      "django.urls.", "django.http.", "django.utils.", "django.contrib.messages.", "rest_framework.",
                      "json.", "datetime.", "urllib.parse.", "html.", "markupsafe.")
_BODY_READS = frozenset({"form", "json", "get_json", "data", "get_data", "files", "values", "stream", "POST", "FILES",
                         "body", "validate_on_submit"})


def _segments(path: str) -> list[str]:
    return [s for s in path.lower().split("/") if s and not s.startswith("{") and not s.startswith("(")]


def _words(name: str) -> set[str]:
    return set(words(name.replace(".", "_")))


def _mentions_password(code: Code, endpoint: Endpoint, func: Function | None) -> bool:
    """Whether the view (the handler, or its class and the project classes it derives from) names passwords."""
    nodes: list[ast.AST] = [func] if func is not None else []
    module, _, name = endpoint.handler.partition(":")
    ref = code.index.resolve(module, ast.Name(name.split(".")[0])) if module in code.index.modules else None
    for current in ([ref, *code.index.ancestors(ref)] if ref is not None else []):
        defined = code.index.class_def(current)
        if defined is not None:
            nodes.append(defined)
    for node in (n for top in nodes for n in ast.walk(top)):
        text = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
        if _PASSWORD_WORDS.search(text):
            return True
    return False


def _public(code: Code, endpoint: Endpoint, func: Function | None) -> str | None:
    """Why the endpoint is public by design, or None."""
    segments = _segments(endpoint.path)
    named = set(segments) & _PUBLIC_SEGMENTS
    if named:
        return f"its path makes it a {'/'.join(sorted(named))} endpoint"
    if set(segments) & _SESSION_SEGMENTS and {w for seg in segments for w in words(seg)} & _SESSION_WORDS:
        return "it refreshes a sign-in (token or session)"
    if segments == ["ready"] and not endpoint.path_params:
        return "it is a readiness probe"
    gated = set(segments) & _TOKEN_GATED_SEGMENTS
    tokens = [p for p in endpoint.path_params if _TOKEN_PARAM.search(p)]
    if gated and tokens:
        return f"a {'/'.join(sorted(gated))} link: the secret in its URL (`{tokens[0]}`) authorises it"
    doc = (ast.get_docstring(func) or "") if func is not None else ""
    text = f"{endpoint.handler} {endpoint.summary} {doc}"
    if "reset" in gated and _mentions_password(code, endpoint, func):
        return "it is the password-reset step (its view resets passwords)"
    if segments and segments[-1] in _AUTH_LAST_SEGMENTS:
        return f"it is the `{segments[-1]}` step of signing in"
    if endpoint.method == "POST" and segments and not endpoint.path.rstrip("/").endswith("}") and \
            segments[-1] in _ACCOUNT_COLLECTIONS and _SIGNUP.search(text):
        return "it creates an account (sign-up)"
    return None


def _call_reads(code: Code, module: str, call: ast.Call, local: dict[str, str], values: set[str]) -> bool:
    """Whether a call only reads or answers: nothing in it looks like a change of stored state. `local`: the
    names the function imports itself (`from flask_babel import refresh`); `values`: its variables that hold a
    value it built (`url = URL(...)`), whose methods change nothing but that value (`url.replace(path=...)`)."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in values:
        return not _words(func.attr) & _PERSIST  # url.replace(...), but not note.save()
    name = dotted(func)
    method = last(name)
    head = name.split(".")[0]
    qualname = local[head] + name[len(head):] if head in local else code.index.qualname(module, func)
    receiver = dotted(func.value) if isinstance(func, ast.Attribute) else ""
    said = _words(method)
    if qualname.startswith(_FRAMEWORK_MODULES):
        return True
    if said & _WRITE_VERBS and method not in _READ_VERBS:  # but the caller's own cookie: `session.pop("locale")`
        return isinstance(func, ast.Attribute) and _own_session(code, module, func.value)
    if method in _PURE_BUILTINS | _ANSWERS or _LOGGING.search(receiver):
        return True
    if method[:1].isupper():  # a class: building a value, an answer or a query
        return True
    first = words(method)[:1]
    return bool(first) and first[0] in _READ_VERBS


def _own_session(code: Code, module: str, node: ast.AST) -> bool:
    """Flask's `session`: the caller's own signed cookie."""
    return isinstance(node, ast.Name) and node.id == "session" and \
        code.index.qualname(module, node) in ("flask.session", "quart.session")


def _values(func: Function) -> set[str]:
    """Variables every assignment of which builds a value: a literal, an instance of a class, a builtin's
    result, or a method of such a value (`url = URL(str(request.url)); url = url.replace(path=...)`)."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in own_nodes(func):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
    values: set[str] = set()
    for _ in range(2):
        for name, found in assigned.items():
            if all(isinstance(v, ast.Constant | ast.JoinedStr | ast.List | ast.Dict | ast.Set | ast.Tuple) or (
                    isinstance(v, ast.Call) and (last(dotted(v.func))[:1].isupper() or
                                                 last(dotted(v.func)) in _PURE_BUILTINS or
                                                 (isinstance(v.func, ast.Attribute) and
                                                  isinstance(v.func.value, ast.Name) and
                                                  v.func.value.id in values)))
                   for v in found):
                values.add(name)
    return values


def _changes_nothing(code: Code, module: str, func: Function) -> str | None:
    """Why the handler visibly changes nothing (every call a read, an answer or logging; no assignment to
    anything but its own variables), or None."""
    local: set[str] = {a.arg for a, _ in parameters(func)}
    assigned: set[str] = set()
    imported = {a.asname or a.name: f"{n.module}.{a.name}" for n in own_nodes(func)
                if isinstance(n, ast.ImportFrom) and n.module for a in n.names}
    values = _values(func)
    calls = 0
    for node in own_nodes(func):
        if isinstance(node, ast.Global | ast.Nonlocal | ast.Delete):
            return None
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                root = target
                while isinstance(root, ast.Attribute | ast.Subscript):
                    root = root.value
                if isinstance(target, ast.Name):
                    assigned.add(target.id)
                elif not (isinstance(root, ast.Name) and (root.id in assigned - local or _own_session(
                        code, module, root))):
                    return None
        elif isinstance(node, ast.Call):
            calls += 1
            if not _call_reads(code, module, node, imported, values):
                return None
    return "it only reads and answers: no call or assignment in it changes stored data" if calls else \
        "its handler does nothing but answer"


def _same_as_get(endpoint: Endpoint, endpoints: list[Endpoint], func: Function) -> str | None:
    """The handler also answers GET (on this path or another) and never looks at the method or a request
    body: a POST to it does what a GET does, which this rule does not judge."""
    gets = [e for e in endpoints if e.method == "GET" and e.handler == endpoint.handler and e.file == endpoint.file]
    if not gets:
        return None
    if _words(func.name) & _WRITE_VERBS or set(_segments(endpoint.path)) & _WRITE_VERBS:
        return None
    for node in own_nodes(func):
        if isinstance(node, ast.Attribute) and (node.attr == "method" or node.attr in _BODY_READS):
            return None
        if isinstance(node, ast.Name) and node.id in ("validate_on_submit",):
            return None
    where = "this path" if any(e.path == endpoint.path for e in gets) else gets[0].path
    return f"its handler answers GET on {where} with the same code and reads no request body"


def _handler_check(code: Code, endpoint: Endpoint, found: tuple[SourceFile, Function] | None) -> str | None:
    """The handler refuses unauthenticated requests itself, or, for a class-based view, its `dispatch` (its
    own or a project base class's) does before the handler runs (`django_views.view_check`); the class is
    read even when its handler is not found (a view that binds its handlers per URL)."""
    module, _, name = endpoint.handler.partition(":")
    ref = code.index.resolve(module, ast.Name(name.split(".")[0])) if module in code.index.modules else None
    if found is not None:
        source, func = found
        methods = methods_of(code.index, ref) if code.index.class_def(ref) is not None and ref is not None else None
        checked = refusal(code.index, source.module, func, methods=methods)
        if checked is not None:
            return checked
    return view_check(code.index, ref)


class _Middleware:
    """The project middleware that refuse anonymous requests (`django_views.AuthMiddleware`), and the URL
    namespaces of the project's routes, read once per run."""

    def __init__(self, code: Code) -> None:
        self.code = code
        self._guards: list[AuthMiddleware] | None = None
        self._namespaces: dict[str, tuple[str, ...]] | None = None

    def guards(self) -> list[AuthMiddleware]:
        if self._guards is None:
            self._guards = auth_middleware(self.code.index, django_urls.middleware(self.code.index))
        return self._guards

    def namespaces(self, path: str) -> tuple[str, ...] | None:
        if self._namespaces is None:
            self._namespaces = django_urls.collect(self.code.index).namespaces
        return self._namespaces.get(path)

    def check(self, endpoint: Endpoint) -> str | None:
        """Why a middleware protects the endpoint: it maps to the URLs a refusal guards, or its conditions
        cannot be read (then it may); None when every refusal's conditions leave the endpoint out."""
        maybe: tuple[AuthMiddleware, Guarded] | None = None
        for guard in self.guards():
            namespaces = self.namespaces(endpoint.path) if any(_reads_namespace(r) for r in guard.refusals) else ()
            covered, refusal_ = guard.covers(endpoint.path, namespaces)
            if covered is True and refusal_ is not None:
                where = f" where `{_shown(refusal_)}`" if refusal_.guards else ""
                return f"middleware `{guard.name}` refuses anonymous requests{where}: {refusal_.how}"
            if covered is None and refusal_ is not None and maybe is None:
                maybe = (guard, refusal_)
        if maybe is not None:
            return (f"a middleware may protect it: `{maybe[0].name}` refuses anonymous requests "
                    f"({maybe[1].how}) under conditions this check cannot map to routes"
                    f"{f' (`{_shown(maybe[1])}`)' if maybe[1].guards or maybe[1].exemptions else ''}")
        return None


def _reads_namespace(refusal_: Guarded) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in ("namespace", "namespaces", "app_name", "app_names")
               for test in (*(t for t, _ in refusal_.guards), *refusal_.exemptions) for n in ast.walk(test))


def _shown(refusal_: Guarded) -> str:
    parts = [literals.source(t) if holds else f"not ({literals.source(t)})" for t, holds in refusal_.guards]
    parts += [literals.source(t) for t in refusal_.exemptions]
    text = " and ".join(parts)
    return text if len(text) <= 160 else text[:157] + "..."


def _django_view(code: Code, endpoint: Endpoint) -> bool:
    """A Django or DRF view (its module imports them), in a project of any framework."""
    info = code.index.modules.get(endpoint.handler.partition(":")[0])
    return info is not None and any(i.module.split(".")[0] in ("django", "rest_framework")
                                    for i in info.imports.values())


@dataclass
class Unauthenticated:
    """A mutating endpoint without declared authentication, and what the rule decided about it."""

    endpoint: str
    handler: str
    decision: str  # "finding", "public by design", "checked in the handler", "changes nothing",
    # "protected by middleware"
    why: str = ""


def missing_auth(code: Code, endpoints: list[Endpoint], framework: str,
                 decisions: list[Unauthenticated] | None = None) -> list[Hit]:
    """Mutating endpoints without an authentication dependency, decorator or hook. Left out, and recorded in
    `decisions` with the reason: endpoints public by design (signing in, sign-up, password recovery, health,
    a link whose URL carries its secret), handlers that refuse unauthenticated requests themselves, and
    handlers that visibly change nothing (an RPC-style read sent as POST, a redirect, a handler that answers
    GET the same way), and Django views a project middleware of settings.MIDDLEWARE refuses anonymous requests
    for (its URL space when its conditions can be read; every Django route, "a middleware may protect it",
    when they cannot). Django enforces authentication in middleware and DRF's DEFAULT_PERMISSION_CLASSES as
    often as per view, which the registry cannot always see: there the finding is medium and says so."""
    hits = []
    middleware = _Middleware(code)
    for endpoint in endpoints:
        if endpoint.method not in MUTATING or endpoint.auth:
            continue
        found = code.handler(endpoint)
        func = found[1] if found is not None else None
        verdict: tuple[str, str] | None = None
        if (public := _public(code, endpoint, func)) is not None:
            verdict = ("public by design", public)
        elif (checked := _handler_check(code, endpoint, found)) is not None:
            verdict = ("checked in the handler", checked)
        elif found is not None and ((still := _changes_nothing(code, found[0].module, found[1])) is not None or
                                    (still := _same_as_get(endpoint, endpoints, found[1])) is not None):
            verdict = ("changes nothing", still)
        elif (framework == "django" or _django_view(code, endpoint)) and \
                (guarded := middleware.check(endpoint)) is not None:
            verdict = ("protected by middleware", guarded)
        if verdict is not None:
            if decisions is not None:
                decisions.append(Unauthenticated(endpoint.ref, endpoint.handler, *verdict))
            continue
        siblings = sorted({a for e in endpoints if e.path == endpoint.path for a in e.auth})
        hint = f" (the other operations on this path use {', '.join(siblings)})" if siblings else ""
        django = framework == "django" or _django_view(code, endpoint)
        if django:
            hint += (" unless middleware or DRF's DEFAULT_PERMISSION_CLASSES enforce it project-wide, which this "
                     "check cannot see")
        if decisions is not None:
            decisions.append(Unauthenticated(endpoint.ref, endpoint.handler, "finding"))
        hits.append(Hit("SC201", f"{endpoint.ref} ({endpoint.handler}) changes data but has no authentication "
                                 f"dependency, decorator or check in its handler{hint}. Add "
                                 f"{_FIX['django' if django else framework if framework in _FIX else 'fastapi']}; "
                                 "if it is public by design, put it on a reviewed allowlist.",
                        path=endpoint.file, line=endpoint.line, title=f"No authentication on {endpoint.ref}",
                        evidence="registry: auth = []", severity="medium" if django else None,
                        endpoint=endpoint.ref))
    return hits


# --- SC205: object access by id without an ownership check (heuristic) ---------------------------------

_CALLER = frozenset({"current_user", "current_identity", "request.user", "g.user", "self.request.user"})
# method names too common to tell one function from another by name
_GENERIC_NAMES = frozenset({"get", "post", "put", "patch", "delete", "list", "retrieve", "create", "update",
                            "destroy", "filter", "all", "first", "one", "query", "dispatch", "save", "__init__",
                            "__call__"})
# a dependency or decorator whose name says it authorises access to an object (`requires_access_dag`,
# `has_xcom_access`, `can_edit`, `check_permission`)
_AUTHORISES = re.compile(r"admin|superuser|staff|role|permission|scope|access|authori[sz]|allowed|can_|may_|owner|"
                         r"passes_?test", re.IGNORECASE)


def _owned(model: Model) -> bool:
    return model.table.lower() in _USER_TABLES or any(
        c.name.lower() in _OWNER_COLUMNS or (c.foreign_key or ".").split(".")[0].lower() in _USER_TABLES
        for c in model.columns)


def _referenced(node: ast.AST) -> set[str]:
    """The names a node mentions, as names or as the last part of an attribute (`db.Books` -> Books)."""
    return {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
            if isinstance(n, ast.Name | ast.Attribute)}


def _models_for(func: Function, param: str, models: list[Model]) -> list[Model]:
    referenced = {n.id if isinstance(n, ast.Name) else n.attr for n in own_nodes(func)
                  if isinstance(n, ast.Name | ast.Attribute)}
    found = [m for m in models if m.name in referenced]
    stem = _ID_PARAM.sub("", param).replace("_", "")
    return found or [m for m in models if stem and (m.name.lower() == stem or m.table.lower() in (stem, stem + "s"))]


def _mentions_caller(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name | ast.Attribute) and dotted(n) in _CALLER for n in ast.walk(node))


def _scopers(code: Code, models: list[Model], handlers: set[int]) -> tuple[dict[str, set[str]],
                                                                             dict[str, list[str]]]:
    """Per model, the functions of the project (not route handlers) that scope it to the caller: a statement
    that names the model and the current user together (`Books.tags.any(... current_user.allowed_tags())`,
    calibre-web's `common_filters()`), or a call of such a function (`get_filtered_book()` calls
    `common_filters()`), followed three levels by name; and, per model, the first kind only."""
    names = {m.name for m in models}
    found: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}  # function name -> names it calls
    for source in code.files:
        for func in functions(source):
            if id(func) in handlers or func.name in _GENERIC_NAMES:
                continue
            for stmt in own_nodes(func):
                if isinstance(stmt, ast.Call):
                    calls.setdefault(func.name, set()).add(last(dotted(stmt.func)))
                if isinstance(stmt, ast.Assign | ast.Return | ast.Expr | ast.AnnAssign) and _mentions_caller(stmt):
                    for model in _referenced(stmt) & names:
                        found.setdefault(model, set()).add(func.name)
    direct = {model: sorted(scoping) for model, scoping in found.items()}
    for _ in range(3):
        for scoping in found.values():
            scoping.update(name for name, called in calls.items() if called & scoping)
    return found, direct


def _ownership_checked(func: Function, users: set[str]) -> bool:
    callers = users | _CALLER
    for node in own_nodes(func):
        if isinstance(node, ast.Compare):
            names = {dotted(n) for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)}
            attrs = {n.attr.lower() for n in ast.walk(node) if isinstance(n, ast.Attribute)}
            if names & callers or attrs & _OWNER_COLUMNS:
                return True
        elif isinstance(node, ast.Call):
            if set(words(last(dotted(node.func)))) & _CHECK_WORDS:
                return True
            if any(k.arg is not None and k.arg.lower() in _OWNER_COLUMNS for k in node.keywords):
                return True  # filter_by(id=note_id, owner_id=...)
            passed = [*node.args, *(k.value for k in node.keywords)]
            if any(isinstance(n, ast.Name | ast.Attribute) and dotted(n) in callers for a in passed
                   for n in ast.walk(a)):
                return True
    return False


def _loads(func: Function, param: str) -> ast.Call | None:
    """The first call that looks like it loads something by `param` (`session.get(M, p)`, `get_x(s, p)`,
    `.where(M.id == p)`, ...)."""
    for node in own_nodes(func):
        name = last(dotted(node.func)) if isinstance(node, ast.Call) else ""
        if isinstance(node, ast.Call) and (name in _LOADERS or name.startswith(_LOADER_PREFIXES)):
            passed = [*node.args, *(k.value for k in node.keywords)]
            if any(isinstance(n, ast.Name) and n.id == param for a in passed for n in ast.walk(a)):
                return node
    return None


def _route_authorisation(code: Code, endpoint: Endpoint, source: SourceFile, func: Function,
                         classifier: AuthClassifier) -> str | None:
    """A dependency the route declares that authorises access to the object: named so (`requires_access_dag`,
    `has_xcom_access`), or taking the path's id (`def can_edit(item_id: int, user=Depends(...))`) or reading
    the request's path parameters."""
    named = next((a for a in endpoint.auth if _AUTHORISES.search(a)), None)
    if named is not None:
        return named
    deps = [d for a, default in parameters(func) for d in parameter_deps(code.index, source.module, a, default)]
    for decorator in func.decorator_list:
        listed = literals.keyword(decorator, "dependencies") if isinstance(decorator, ast.Call) else None
        deps += dependency_list(code.index, source.module, listed) or []
    for dep in deps:
        target = dep.expr.func if isinstance(dep.expr, ast.Call) else dep.expr
        ref = code.index.resolve(dep.module, target)
        defined = code.index.function_def(ref)
        if defined is None or not classifier.authenticates(dep):
            continue
        for candidate in [defined, *returned_functions(defined)]:
            params = {a.arg for a, _ in parameters(candidate)}
            reads = any(isinstance(n, ast.Attribute) and n.attr == "path_params" for n in ast.walk(candidate))
            if reads or params & set(endpoint.path_params):
                return dep.name
    return None


def object_access(code: Code, endpoints: list[Endpoint], models: list[Model],
                  auth_dependencies: list[str]) -> list[Hit]:
    """Reads and writes of an object by a path id, for an authenticated caller, of a model that has an owner
    (an owner column, or a function of the project that scopes it to the current user), where the handler
    never compares the owner with the caller, calls that scoping function, or declares a dependency that
    authorises the object (by name, or taking the path id). A model without an owner has nothing to own:
    no finding; neither when the loaded model is not known."""
    classifier = AuthClassifier(code.index, auth_dependencies)
    found_handlers = {e.ref: code.handler(e) for e in endpoints}
    handlers = {id(f[1]) for f in found_handlers.values() if f is not None}
    scopers: tuple[dict[str, set[str]], dict[str, list[str]]] | None = None
    hits = []
    for endpoint in endpoints:
        ids = [p for p in endpoint.path_params if _ID_PARAM.search(p)]
        found = found_handlers[endpoint.ref]
        if not ids or not endpoint.auth or found is None:
            continue
        source, func = found
        if _route_authorisation(code, endpoint, source, func, classifier) is not None:
            continue
        users = {a.arg for a, d in parameters(func)
                 if any(classifier.authenticates(dep) for dep in parameter_deps(code.index, source.module, a, d))}
        if _ownership_checked(func, users):
            continue
        called = {last(dotted(n.func)) for n in own_nodes(func) if isinstance(n, ast.Call)}
        for param in ids:
            call = _loads(func, param)
            candidates = _models_for(func, param, models)
            if call is None or not candidates:
                continue
            if scopers is None:
                scopers = _scopers(code, models, handlers)
            if any(scopers[0].get(m.name, set()) & called for m in candidates):
                continue  # it goes through the project's per-user scoping of the model
            owned = [m for m in candidates if _owned(m)]
            scoped = [(m, scopers[1][m.name]) for m in candidates if scopers[1].get(m.name)]
            if owned:
                what, why = " or ".join(m.name for m in owned), "its owner column"
            elif scoped:
                what = " or ".join(m.name for m, _ in scoped)
                why = f"the per-user scoping the project applies elsewhere ({', '.join(scoped[0][1][:3])}())"
            else:
                continue
            hits.append(Hit("SC205", f"{endpoint.ref} loads {what} by `{param}` ({dotted(call.func)}(), line "
                                     f"{call.lineno}) for an authenticated caller but never checks it against "
                                     f"{why} (heuristic: the check may live elsewhere). Scope the query to the "
                                     "caller (`where(Model.user_id == user.id)`) or compare the owner, and answer "
                                     "404 for objects the caller may not see.",
                            path=endpoint.file, line=endpoint.line, title=f"No ownership check on {endpoint.ref}",
                            evidence=f"auth: {', '.join(endpoint.auth)}; loader at line {call.lineno}",
                            endpoint=endpoint.ref))
            break
    return hits


# --- SC206 and SC207: CORS and debug settings -----------------------------------------------------------

def _bool(node: ast.AST | None) -> bool | None:
    if isinstance(node, ast.Call) and last(dotted(node.func)) == "Field":
        node = literals.keyword(node, "default", 0)
    return literals.boolean(node)


def _value(code: Code, module: str, node: ast.AST | None) -> ast.AST | None:
    """`node`, or the module-level value it names."""
    if isinstance(node, ast.Name | ast.Attribute):
        bound = code.index.binding(code.index.resolve(module, node))
        if bound is not None and isinstance(bound.node, ast.expr):
            return bound.node
    return node


def _any_origin(code: Code, module: str, call: ast.Call, origins: str, regex: str | None) -> bool:
    node = _value(code, module, literals.keyword(call, origins))
    if literals.string(node) == "*" or "*" in (literals.strings(node) or []):
        return True
    pattern = literals.string(_value(code, module, literals.keyword(call, regex))) if regex else None
    try:
        return pattern is not None and re.fullmatch(pattern, "https://attacker.example") is not None
    except re.error:
        return False


def config_hits(code: Code) -> list[Hit]:
    hits: list[Hit] = []
    for source in code.files:
        if source.tree is None:
            continue
        rel, module = source.rel, source.module
        for call in source.parsed.nodes(ast.Call):
            name = last(code.index.qualname(module, call.func))
            first = last(code.index.qualname(module, call.args[0])) if call.args else ""
            if "CORSMiddleware" in (name, first):
                if _bool(literals.keyword(call, "allow_credentials")) and \
                        _any_origin(code, module, call, "allow_origins", "allow_origin_regex"):
                    hits.append(_cors(rel, call.lineno))
            elif name == "CORS" and _bool(literals.keyword(call, "supports_credentials")) and \
                    (literals.keyword(call, "origins") is None or _any_origin(code, module, call, "origins", None)):
                hits.append(_cors(rel, call.lineno))
            elif _bool(literals.keyword(call, "debug")):
                if name in _APP_CLASSES:
                    hits.append(_debug(rel, call.lineno, f"{name}(debug=True)", "medium"))
                elif isinstance(call.func, ast.Attribute) and call.func.attr == "run":
                    hits.append(_debug(rel, call.lineno, f"{dotted(call.func)}(debug=True)", "high"))
        hits.extend(_debug_settings(code, source.rel, source.tree))
    return hits


def _debug_settings(code: Code, rel: str, tree: ast.Module) -> list[Hit]:
    parts = words(rel.removesuffix(".py").replace("/", "_"))
    settings_module = any(_SETTINGS_MODULE.fullmatch(p) for p in parts) and not set(parts) & _DEV_MODULES
    hits = []
    for stmt, _, _ in walk_statements(tree.body):
        scopes: list[list[ast.stmt]] = [[stmt]] if settings_module else []
        if isinstance(stmt, ast.ClassDef) and (stmt.name.endswith(("Settings", "Config", "Configuration"))
                                               or any(last(dotted(b)) == "BaseSettings" for b in stmt.bases)):
            scopes.append(stmt.body)
        for body in scopes:
            for inner in body:
                target = inner.targets[0] if isinstance(inner, ast.Assign) and len(inner.targets) == 1 else \
                    inner.target if isinstance(inner, ast.AnnAssign) else None
                value = inner.value if isinstance(inner, ast.Assign | ast.AnnAssign) else None
                if isinstance(target, ast.Name) and target.id.lower() == "debug" and _bool(value):
                    hits.append(_debug(rel, inner.lineno, f"{target.id} = True in settings", "medium"))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _bool(stmt.value):
            target = stmt.targets[0]
            key = literals.string(target.slice) if isinstance(target, ast.Subscript) else None
            if (isinstance(target, ast.Attribute) and target.attr == "debug") or key == "DEBUG":
                hits.append(_debug(rel, stmt.lineno, f"{literals.source(target)} = True", "medium"))
    return hits


def _cors(rel: str, line: int) -> Hit:
    return Hit("SC206", f"CORS allows any origin together with credentials ({rel}:{line}): any web site can then "
                        "send credentialed requests and read the answers (Starlette reflects the caller's origin). "
                        "List the allowed origins explicitly, or drop allow_credentials.",
               path=rel, line=line, title="CORS allows any origin with credentials", evidence="origins: *")


def _debug(rel: str, line: int, what: str, severity: Severity) -> Hit:
    extra = " (Werkzeug's interactive debugger runs arbitrary code)" if severity == "high" else ""
    return Hit("SC207", f"Debug mode is switched on in code: {what} ({rel}:{line}){extra}. Default it to off and "
                        "enable it only through the environment in local development.",
               path=rel, line=line, title=f"Debug mode on: {what}", severity=severity, evidence=what)
