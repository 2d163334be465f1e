"""FastAPI dependencies: where `Depends(x)`/`Security(x)` appear, and which of them authenticate.

A dependency authenticates when its name looks like auth (`AUTH_NAME`), is listed in the project's
`auth_dependencies`, is an instance of a FastAPI security scheme (`HTTPBearer()`, ...), or is a
function in the scanned code that itself depends on an authenticating dependency (followed up to
`_MAX_DEPTH` levels) or refuses the request in its body (`raise HTTPException(401)` after reading a
token: `auth_checks.py`). A factory such as `Depends(requires_access_dag(method="GET"))` authenticates
when the function it returns does, and a parameter default that names a module-level `Depends(...)`
(`token=CurrentToken`) is that dependency. A database-session provider such as `get_session` is not auth.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from . import literals
from .auth_checks import refusal
from .symbols import ProjectIndex, Ref, dotted, last

AUTH_NAME = re.compile(
    r"current_user|auth|token|login|logged_?in|session|api_key|apikey|verify|require_|bearer|oauth|jwt|security"
    r"|permission|admin",
    re.IGNORECASE,
)
_AUTH_NAME_BUT_SESSION = re.compile(AUTH_NAME.pattern.replace("|session", ""), re.IGNORECASE)
_DB_SESSION_NAME = re.compile(
    r"^(get_|create_|new_|provide_)?(async_|db_|sql_|orm_)*sessions?(_?local|_?maker|_?factory|_?dep)?$",
    re.IGNORECASE,
)
SECURITY_CLASSES = frozenset(
    {
        "HTTPBearer",
        "OAuth2PasswordBearer",
        "OAuth2AuthorizationCodeBearer",
        "OAuth2",
        "OpenIdConnect",
        "APIKeyHeader",
        "APIKeyCookie",
        "APIKeyQuery",
        "HTTPBasic",
        "HTTPDigest",
        "SecurityBase",
    }
)
_MARKERS = frozenset({"Depends", "Security"})
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Dep:
    """One dependency: the callable expression inside `Depends(...)`, in the module it is written."""

    module: str
    expr: ast.expr
    security: bool = False

    @property
    def name(self) -> str:
        """The dependency's name as written (`get_current_user`, `deps.require_admin`, `HTTPBearer`)."""
        return dotted(self.expr.func if isinstance(self.expr, ast.Call) else self.expr)


def depends_call(
    index: ProjectIndex, module: str, node: ast.AST, annotation: ast.expr | None = None
) -> Dep | None:
    """The Dep of a `Depends(x)`/`Security(x)` call; `Depends()` depends on the annotation's type."""
    if not isinstance(node, ast.Call) or last(index.qualname(module, node.func)) not in _MARKERS:
        return None
    target = (
        node.args[0]
        if node.args
        else next((k.value for k in node.keywords if k.arg == "dependency"), annotation)
    )
    if target is None:
        return None
    return Dep(module, target, last(index.qualname(module, node.func)) == "Security")


def unwrap_annotated(index: ProjectIndex, module: str, ann: ast.expr) -> tuple[ast.expr, list[ast.expr]]:
    """`Annotated[T, m1, m2]` -> (T, [m1, m2]); anything else -> (ann, [])."""
    if isinstance(ann, ast.Subscript) and last(index.qualname(module, ann.value)) == "Annotated":
        elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        return elts[0], list(elts[1:])
    return ann, []


def annotation_deps(index: ProjectIndex, module: str, ann: ast.expr | None, depth: int = 0) -> list[Dep]:
    """Deps carried by `Annotated[T, Depends(x)]`, directly or through an alias such as `CurrentUser`."""
    if ann is None or depth > _MAX_DEPTH:
        return []
    inner, metadata = unwrap_annotated(index, module, ann)
    if metadata:
        return [d for m in metadata if (d := depends_call(index, module, m, inner)) is not None]
    if isinstance(ann, ast.Name | ast.Attribute):
        ref = index.resolve(module, ann)
        bound = index.binding(ref)
        if ref is not None and bound is not None and isinstance(bound.node, ast.expr):
            return annotation_deps(index, ref.module, bound.node, depth + 1)
    return []


def parameters(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.arg, ast.expr | None]]:
    """Every parameter of `func` with its default (None when it has none)."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    pairs = list(zip(positional, [*defaults, *args.defaults], strict=True))
    return pairs + list(zip(args.kwonlyargs, args.kw_defaults, strict=True))


def parameter_deps(index: ProjectIndex, module: str, arg: ast.arg, default: ast.expr | None) -> list[Dep]:
    deps = []
    if default is not None and (dep := depends_call(index, module, default, arg.annotation)) is not None:
        deps.append(dep)
    elif isinstance(default, ast.Name | ast.Attribute):  # token=CurrentToken, CurrentToken = Depends(require_auth)
        ref = index.resolve(module, default)
        bound = index.binding(ref)
        if ref is not None and bound is not None and isinstance(bound.node, ast.Call) and \
                (dep := depends_call(index, ref.module, bound.node, arg.annotation)) is not None:
            deps.append(dep)
    return deps + annotation_deps(index, module, arg.annotation)


def function_deps(
    index: ProjectIndex, module: str, func: ast.FunctionDef | ast.AsyncFunctionDef
) -> list[Dep]:
    return [dep for arg, default in parameters(func) for dep in parameter_deps(index, module, arg, default)]


def dependency_list(index: ProjectIndex, module: str, node: ast.expr | None) -> list[Dep] | None:
    """Deps of a `dependencies=[...]` argument; None when it is not a literal list."""
    if node is None:
        return []
    if isinstance(node, ast.Name | ast.Attribute):  # COMMON_DEPS = [Depends(...)] at module level
        ref = index.resolve(module, node)
        bound = index.binding(ref)
        if ref is not None and bound is not None and isinstance(bound.node, ast.List | ast.Tuple):
            return dependency_list(index, ref.module, bound.node)
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    return [d for e in node.elts if (d := depends_call(index, module, e)) is not None]


class AuthClassifier:
    """Decides, once per dependency, whether it authenticates the request."""

    def __init__(self, index: ProjectIndex, auth_dependencies: list[str]) -> None:
        self.index = index
        self.extra = frozenset(auth_dependencies)
        self._memo: dict[tuple[str, int, int], bool] = {}

    def names(self, deps: list[Dep]) -> list[str]:
        """The names of the authenticating deps, deduplicated, in order."""
        return list(dict.fromkeys(d.name for d in deps if self.authenticates(d)))

    def authenticates(self, dep: Dep, depth: int = 0) -> bool:
        key = (dep.module, id(dep.expr), depth)
        if key not in self._memo:
            self._memo[key] = False  # cycle guard
            self._memo[key] = self._authenticates(dep, depth)
        return self._memo[key]

    def _authenticates(self, dep: Dep, depth: int) -> bool:
        index, name = self.index, dep.name
        if dep.security or name in self.extra or last(name) in self.extra:
            return True
        if isinstance(dep.expr, ast.Call):  # Depends(HTTPBearer()), Depends(RoleChecker("admin"))
            return name_authenticates(last(name), None) or self._instance(dep.module, dep.expr, depth) or \
                self._factory(dep.module, dep.expr, depth)
        ref = index.resolve(dep.module, dep.expr)
        func = index.function_def(ref)
        if name_authenticates(last(name), func):
            return True
        bound = index.binding(ref)
        if ref is None or bound is None:
            return False
        if isinstance(bound.node, ast.Call):  # scheme = HTTPBearer()
            return self._instance(ref.module, bound.node, depth)
        if isinstance(bound.node, ast.ClassDef):
            if index.derives_from(ref, SECURITY_CLASSES):
                return True
            func = _method(index, ref, "__init__")
        return self._via(ref.module, func, depth) or (
            func is not None and refusal(index, ref.module, func, depth=0) is not None)

    def _factory(self, module: str, call: ast.Call, depth: int) -> bool:
        """`requires_access_dag(method="GET")`: a function of the project that returns the dependency it
        defines (`def inner(user: GetUserDep): ...; return inner`)."""
        ref = self.index.resolve(module, call.func)
        factory = self.index.function_def(ref)
        if ref is None or factory is None or depth >= _MAX_DEPTH:
            return False
        for inner in returned_functions(factory):
            if name_authenticates(inner.name, inner) or self._via(ref.module, inner, depth) or \
                    refusal(self.index, ref.module, inner, depth=0) is not None:
                return True
        return False

    def _instance(self, module: str, call: ast.Call, depth: int) -> bool:
        index = self.index
        class_ref = index.resolve(module, call.func)
        if last(index.qualname(module, call.func)) in SECURITY_CLASSES:
            return True
        if class_ref is None or class_ref.kind != "local":
            return False
        if index.derives_from(class_ref, SECURITY_CLASSES):
            return True
        return self._via(class_ref.module, _method(index, class_ref, "__call__"), depth)

    def _via(self, module: str, func: ast.FunctionDef | ast.AsyncFunctionDef | None, depth: int) -> bool:
        """A function in the scanned code authenticates when one of its own dependencies does."""
        if func is None or depth >= _MAX_DEPTH:
            return False
        return any(self.authenticates(sub, depth + 1) for sub in function_deps(self.index, module, func))


def returned_functions(factory: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions `factory` defines in its body and returns by name (`def inner(...): ...; return inner`)."""
    defined = {s.name: s for s in factory.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
    returned = {n.value.id for n in ast.walk(factory) if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
    return [f for name, f in defined.items() if name in returned]


def _method(index: ProjectIndex, ref: Ref, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    node = index.class_def(ref)
    if node is None:
        return None
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            return stmt
    return None


def name_authenticates(name: str, func: ast.FunctionDef | ast.AsyncFunctionDef | None) -> bool:
    """Whether a callable called `name` (defined as `func`, when known) looks like it authenticates."""
    if _AUTH_NAME_BUT_SESSION.search(name):
        return True
    return bool(AUTH_NAME.search(name)) and not _is_db_session(name, func)


def _is_db_session(name: str, func: ast.FunctionDef | ast.AsyncFunctionDef | None) -> bool:
    """`get_session`, `get_db_session`, or a function returning a `Session`: a database session."""
    if _DB_SESSION_NAME.match(name):
        return True
    return func is not None and func.returns is not None and "Session" in literals.source(func.returns)
