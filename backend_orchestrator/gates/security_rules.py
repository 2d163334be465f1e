"""The project's own rules over routes and settings: missing authentication (SC201), object access by
id without an ownership check (SC205), CORS `*` with credentials (SC206) and debug mode (SC207)."""

from __future__ import annotations

import ast
import re

from ..contracts.common import Severity
from ..contracts.registry import Endpoint, Model
from ..discovery import literals
from ..discovery.dependencies import AuthClassifier, parameter_deps, parameters
from ..discovery.symbols import dotted, last, walk_statements
from .security_common import Code, Function, Hit, own_nodes, words

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PUBLIC_SEGMENTS = frozenset({
    "login", "logout", "signin", "sign-in", "sign_in", "signup", "sign-up", "sign_up", "register", "registration",
    "token", "tokens", "refresh", "oauth", "oauth2", "health", "healthz", "livez", "readyz", "ready", "liveness",
    "readiness", "ping", "password-reset", "reset-password", "forgot-password", "verify-email", "confirm-email",
})
_ACCOUNT_COLLECTIONS = frozenset({"users", "accounts", "customers", "members"})
_SIGNUP = re.compile(r"regist|sign[\s_-]?up|create (an |a new )?account", re.IGNORECASE)
_PRIVILEGED = re.compile(r"admin|superuser|staff|role|permission|scope", re.IGNORECASE)
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
        "django": "a check (`@login_required`, or DRF `permission_classes`)"}


def _public(code: Code, endpoint: Endpoint) -> bool:
    segments = [s for s in endpoint.path.lower().split("/") if s and not s.startswith("{")]
    if set(segments) & _PUBLIC_SEGMENTS:
        return True
    if endpoint.method != "POST" or not segments or endpoint.path.rstrip("/").endswith("}") or \
            segments[-1] not in _ACCOUNT_COLLECTIONS:
        return False
    found = code.handler(endpoint)
    doc = (ast.get_docstring(found[1]) or "") if found else ""
    return bool(_SIGNUP.search(f"{endpoint.handler} {endpoint.summary} {doc}"))


def missing_auth(code: Code, endpoints: list[Endpoint], framework: str) -> list[Hit]:
    """Django enforces authentication in middleware and DRF's DEFAULT_PERMISSION_CLASSES as often as
    per view, which the registry cannot see: there the finding is medium and says so."""
    hits = []
    for endpoint in endpoints:
        if endpoint.method not in MUTATING or endpoint.auth or _public(code, endpoint):
            continue
        siblings = sorted({a for e in endpoints if e.path == endpoint.path for a in e.auth})
        hint = f" (the other operations on this path use {', '.join(siblings)})" if siblings else ""
        if framework == "django":
            hint += (" unless middleware or DRF's DEFAULT_PERMISSION_CLASSES enforce it project-wide, which this "
                     "check cannot see")
        hits.append(Hit("SC201", f"{endpoint.ref} ({endpoint.handler}) changes data but has no authentication "
                                 f"dependency{hint}. Add {_FIX.get(framework, _FIX['fastapi'])}; if it is public "
                                 "by design, put it on a reviewed allowlist.", path=endpoint.file, line=endpoint.line,
                        title=f"No authentication on {endpoint.ref}", evidence="registry: auth = []",
                        severity="medium" if framework == "django" else None, endpoint=endpoint.ref))
    return hits


# --- SC205: object access by id without an ownership check (heuristic) ---------------------------------

def _owned(model: Model) -> bool:
    return model.table.lower() in _USER_TABLES or any(
        c.name.lower() in _OWNER_COLUMNS or (c.foreign_key or ".").split(".")[0].lower() in _USER_TABLES
        for c in model.columns)


def _models_for(func: Function, param: str, models: list[Model]) -> list[Model]:
    referenced = {n.id for n in own_nodes(func) if isinstance(n, ast.Name)}
    found = [m for m in models if m.name in referenced]
    stem = _ID_PARAM.sub("", param).replace("_", "")
    return found or [m for m in models if stem and (m.name.lower() == stem or m.table.lower() in (stem, stem + "s"))]


def _ownership_checked(func: Function, users: set[str]) -> bool:
    for node in own_nodes(func):
        if isinstance(node, ast.Compare):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            attrs = {n.attr.lower() for n in ast.walk(node) if isinstance(n, ast.Attribute)}
            if names & users or attrs & _OWNER_COLUMNS:
                return True
        elif isinstance(node, ast.Call):
            if set(words(last(dotted(node.func)))) & _CHECK_WORDS:
                return True
            passed = [*node.args, *(k.value for k in node.keywords)]
            if any(isinstance(n, ast.Name) and n.id in users for a in passed for n in ast.walk(a)):
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


def object_access(code: Code, endpoints: list[Endpoint], models: list[Model],
                  auth_dependencies: list[str]) -> list[Hit]:
    classifier = AuthClassifier(code.index, auth_dependencies)
    hits = []
    for endpoint in endpoints:
        ids = [p for p in endpoint.path_params if _ID_PARAM.search(p)]
        if not ids or not endpoint.auth or any(_PRIVILEGED.search(a) for a in endpoint.auth):
            continue
        found = code.handler(endpoint)
        if found is None:
            continue
        source, func = found
        users = {a.arg for a, d in parameters(func)
                 if any(classifier.authenticates(dep) for dep in parameter_deps(code.index, source.module, a, d))}
        for param in ids:
            call = _loads(func, param)
            candidates = _models_for(func, param, models)
            if call is None or (candidates and not any(_owned(m) for m in candidates)) or \
                    _ownership_checked(func, users):
                continue
            what = " or ".join(m.name for m in candidates) or "an object"
            hits.append(Hit("SC205", f"{endpoint.ref} loads {what} by `{param}` ({dotted(call.func)}(), line "
                                     f"{call.lineno}) for an authenticated caller but never visibly compares its "
                                     "owner with the current user (heuristic: the check may live elsewhere). Scope "
                                     "the query to the caller (`where(Model.user_id == user.id)`) or compare the "
                                     "owner, and answer 404 for objects the caller may not see.",
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
