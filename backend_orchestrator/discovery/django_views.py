"""The view behind a Django URL pattern, for ``django_urls``: its handler, HTTP methods and authentication.

Methods: a class-based view's handlers (its own ``get``/``post``/... and its scanned bases', plus those of the
known generic views of Django and DRF it derives from), an ``as_view({"get": "list"})`` mapping, a project
``as_view(action=...)`` that binds its handlers per URL with ``setattr(self, verb, ...)`` (read with
``django_eval``), a function view's ``require_GET``/``require_POST``/``require_http_methods``/``api_view``
list; a function view that says nothing is recorded as ``GET``, as the dynamic probe does. A view a factory
returns (``error_view(404)``) is read by following the factory. Authentication: ``login_required``,
``permission_required``, ``user_passes_test``, ``staff_member_required`` (decorating the view or wrapping it
in the URLconf), the auth mixins, DRF ``permission_classes`` other than ``AllowAny``, and the project's
``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]`` for DRF views that declare none.

What else protects a Django view, read for the security gate's SC201 (not recorded as the endpoint's auth):
``view_check`` finds a ``dispatch`` (or DRF ``initial``/``check_permissions``) of the class or of a project base
class that refuses the request before it hands it on (``if not self.has_permission(...): return
self.permission_denied()``), following the ``super().dispatch`` chain: an override that does not call
``super()`` cuts off the checks of the classes after it, and a ``has_permission``/``test_func`` that always
returns True opens them. ``AuthMiddleware`` is a project middleware of ``settings.MIDDLEWARE`` whose request hook
(``__call__``, ``process_request``, ``process_view``, or the inner function of a function middleware) refuses
anonymous requests; ``covers`` maps it to the URLs it guards when its conditions can be read (``request.path``
or ``request.path_info`` and ``startswith``/``==``/``in`` over literals; the resolved URL's ``namespace``,
``namespaces``, ``app_name``, ``app_names``, matched against the namespaces the URLconf's ``include()`` declare),
and says "unknown" when they cannot.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from . import literals
from .auth_checks import FuncDef, Guarded, Methods, decorator_refusal, delegates, dispatch_refusal, guarded_refusals
from .django_eval import AsView, Cls, Evaluator, Func, mro
from .symbols import ProjectIndex, Ref, dotted, last

HTTP = ("GET", "POST", "PUT", "PATCH", "DELETE")
# methods of the generic views a class may derive from (besides its own handlers)
_GENERIC = {
    "TemplateView": ("GET",), "ListView": ("GET",), "DetailView": ("GET",), "RedirectView": ("GET",),
    "ArchiveIndexView": ("GET",), "BaseListView": ("GET",), "BaseDetailView": ("GET",), "SingleTableView": ("GET",),
    "FilterView": ("GET",), "CreateView": ("GET", "POST"), "UpdateView": ("GET", "POST"),
    "FormView": ("GET", "POST"), "DeleteView": ("GET", "POST"), "BaseFormView": ("GET", "POST"),
    "ProcessFormView": ("GET", "POST"), "BaseCreateView": ("GET", "POST"), "BaseUpdateView": ("GET", "POST"),
    "BaseDeleteView": ("GET", "POST"), "WizardView": ("GET", "POST"), "SessionWizardView": ("GET", "POST"),
    "CookieWizardView": ("GET", "POST"), "NamedUrlSessionWizardView": ("GET", "POST"),
    "LoginView": ("GET", "POST"), "LogoutView": ("POST",), "PasswordChangeView": ("GET", "POST"),
    "PasswordResetView": ("GET", "POST"), "PasswordResetConfirmView": ("GET", "POST"),
    "ListAPIView": ("GET",), "RetrieveAPIView": ("GET",), "CreateAPIView": ("POST",), "DestroyAPIView": ("DELETE",),
    "UpdateAPIView": ("PUT", "PATCH"), "ListCreateAPIView": ("GET", "POST"), "RetrieveUpdateAPIView":
    ("GET", "PUT", "PATCH"), "RetrieveDestroyAPIView": ("GET", "DELETE"), "RetrieveUpdateDestroyAPIView":
    ("GET", "PUT", "PATCH", "DELETE"),
}
_METHOD_DECORATORS = {"require_GET": ("GET",), "require_POST": ("POST",), "require_safe": ("GET",)}
AUTH_DECORATORS = frozenset({"login_required", "permission_required", "user_passes_test", "staff_member_required",
                             "superuser_required", "login_not_required"})
_AUTH_MIXINS = frozenset({"LoginRequiredMixin", "PermissionRequiredMixin", "UserPassesTestMixin", "AccessMixin"})
PUBLIC_PERMISSIONS = frozenset({"AllowAny"})
_TRANSPARENT = ("csrf_exempt", "never_cache", "xframe_options_exempt", "cache_control", "vary_on_headers")


@dataclass(frozen=True)
class View:
    handler: str
    file: str
    line: int
    methods: tuple[str, ...]
    auth: tuple[str, ...]
    summary: str
    declared: bool  # the methods were declared (not the GET default)


class Views:
    def __init__(self, index: ProjectIndex, evaluator: Evaluator, default_permissions: list[str]) -> None:
        self.index = index
        self.evaluator = evaluator
        self.default_permissions = default_permissions

    def view(self, module: str, expr: ast.expr, auth: tuple[str, ...] = ()) -> View | None:
        if isinstance(expr, ast.Call):
            func = dotted(expr.func)
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "as_view":
                mapping = expr.args[0] if expr.args and isinstance(expr.args[0], ast.Dict) else None
                ref = self.index.resolve(module, expr.func.value)
                if self.index.class_def(ref) is None or ref is None:
                    return None
                kwargs = {k.arg: self.evaluator.value(module, k.value) for k in expr.keywords if k.arg}
                return self.class_view(ref, auth, mapping, kwargs)
            if last(func) in AUTH_DECORATORS and expr.args:  # login_required(views.home)
                return self.view(module, expr.args[0], (*auth, last(func)))
            if isinstance(expr.func, ast.Call) and expr.args:  # cache_page(60)(view), permission_required(...)(v)
                inner = last(dotted(expr.func.func))
                return self.view(module, expr.args[0], (*auth, inner) if inner in AUTH_DECORATORS else auth)
            if expr.args and last(func) in _TRANSPARENT:
                return self.view(module, expr.args[0], auth)
            ref = self.index.resolve(module, expr.func)
            if self.index.class_def(ref) is not None and ref is not None:  # an instance used as a view (a feed)
                return self.class_view(ref, auth, None, {})
            return self.from_value(self.evaluator.value(module, expr), auth)  # a factory: error_view(404)
        ref = self.index.resolve(module, expr)
        function = self.index.function_def(ref)
        if function is not None and ref is not None:
            return self.function_view(ref.module, function, auth)
        if self.index.class_def(ref) is not None and ref is not None:  # a class instance used as a view: GET
            return self.class_view(ref, auth, None, {})
        return None

    def from_value(self, value: object, auth: tuple[str, ...]) -> View | None:
        """The view a value of ``django_eval`` stands for (a helper's ``cls.as_view(...)``, a function)."""
        if isinstance(value, AsView):
            return self.class_view(value.cls, auth, None, dict(value.kwargs))
        if isinstance(value, Func) and value.owner is None:
            return self.function_view(value.module, value.node, auth)
        if isinstance(value, Cls):
            return self.class_view(value.ref, auth, None, {})
        return None

    def function_view(self, module: str, fn: ast.FunctionDef | ast.AsyncFunctionDef, auth: tuple[str, ...]) -> View:
        methods: tuple[str, ...] = ()
        found_auth = list(auth)
        drf = False
        for decorator in fn.decorator_list:
            name = last(dotted(decorator.func if isinstance(decorator, ast.Call) else decorator))
            if name in _METHOD_DECORATORS:
                methods = _METHOD_DECORATORS[name]
            elif name in ("require_http_methods", "api_view") and isinstance(decorator, ast.Call):
                listed = literals.strings(decorator.args[0] if decorator.args else None) or (
                    ["GET"] if name == "api_view" else [])
                methods = tuple(m.upper() for m in listed if m.upper() in HTTP)
                drf = drf or name == "api_view"
            elif name in AUTH_DECORATORS:
                found_auth.append(name)
            elif name == "permission_classes" and isinstance(decorator, ast.Call):
                found_auth += [n for n in names(decorator.args[0] if decorator.args else None)
                               if n not in PUBLIC_PERMISSIONS]
            elif self.refusing_decorator(module, decorator):
                found_auth.append(name)
        if drf and not any(a for a in found_auth) and self.default_permissions:
            found_auth += self.default_permissions
        info = self.index.modules[module]
        return View(f"{module}:{fn.name}", info.source.rel, fn.lineno, methods or ("GET",),
                    tuple(dict.fromkeys(found_auth)), doc(fn), bool(methods))

    def refusing_decorator(self, module: str, decorator: ast.expr) -> bool:
        """A decorator of the project whose wrapper refuses requests without a login (`auth_checks`)."""
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        ref = self.index.resolve(module, target)
        func = self.index.function_def(ref)
        return ref is not None and func is not None and decorator_refusal(self.index, ref.module, func) is not None

    def class_view(self, ref: Ref, auth: tuple[str, ...], mapping: ast.Dict | None,
                   kwargs: dict[str, object]) -> View | None:
        node = self.index.class_def(ref)
        if node is None:
            return None
        if mapping is not None:
            methods = tuple(m for m in HTTP if m.lower() in {literals.string(k) for k in mapping.keys})
        else:
            own = self.method_names(ref)
            bound = {v.upper() for v in self.evaluator.handler_verbs(ref, kwargs) or []}
            methods = tuple(m for m in HTTP if m.lower() in own or m in bound or m in self.generic_methods(ref))
        methods = self.allowed(ref, methods)
        info = self.index.modules[ref.module]
        return View(f"{ref.module}:{node.name}", info.source.rel, node.lineno, methods or ("GET",),
                    tuple(dict.fromkeys([*auth, *self.class_auth(ref)])), doc(node), bool(methods))

    def method_names(self, ref: Ref) -> set[str]:
        """Methods the class and its scanned bases define."""
        found: set[str] = set()
        for current in (ref, *self.index.ancestors(ref)):
            node = self.index.class_def(current)
            if node is not None:
                found |= {s.name for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
        return found

    def generic_methods(self, ref: Ref) -> tuple[str, ...]:
        out: list[str] = []
        for base in self.index.ancestors(ref):
            if base.kind == "external" and last(base.module) in _GENERIC:
                out += _GENERIC[last(base.module)]
        return tuple(dict.fromkeys(out))

    def class_auth(self, ref: Ref) -> list[str]:
        found: list[str] = []
        drf = False
        for current in (ref, *self.index.ancestors(ref)):
            if current.kind == "external":
                name = last(current.module)
                if name in _AUTH_MIXINS:
                    found.append(name)
                drf = drf or current.module.startswith("rest_framework")
                continue
            node = self.index.class_def(current)
            for stmt in node.body if node is not None else []:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "permission_classes"
                                                        for t in stmt.targets):
                    named = names(stmt.value)
                    return [*found, *(n for n in named if n not in PUBLIC_PERMISSIONS)]
        return [*found, *(self.default_permissions if drf else [])]

    def allowed(self, ref: Ref, methods: tuple[str, ...]) -> tuple[str, ...]:
        """``methods`` less those the class's ``http_method_names`` leaves out."""
        for current in mro(self.index, ref):
            node = self.index.class_def(current)
            for stmt in node.body if node is not None else []:
                value = assigned(stmt, "http_method_names")
                listed = literals.strings(value) if value is not None else None
                if listed is not None:
                    return tuple(m for m in methods if m.lower() in {n.lower() for n in listed})
        return methods

    def attribute(self, ref: Ref, name: str) -> object:
        """A class attribute, looked up along the bases (``django_eval`` values: str, tuple, ...)."""
        return self.evaluator.attribute(Cls(ref), name)


def assigned(stmt: ast.stmt, name: str) -> ast.expr | None:
    """The value ``stmt`` assigns to ``name`` (plain or annotated assignment), if it does."""
    if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
        return stmt.value
    return None


def names(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [last(dotted(e)) for e in node.elts]
    return [last(dotted(node))] if isinstance(node, ast.Name | ast.Attribute) else []


def doc(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    text = ast.get_docstring(node) or ""
    return text.strip().splitlines()[0][:200] if text.strip() else ""


# --- what else protects a view: its dispatch, a project middleware ---------------------------------------

_DISPATCH_HOOKS = ("dispatch", "initial", "check_permissions")
_MIDDLEWARE_HOOKS = ("__call__", "process_request", "process_view")


def methods_of(index: ProjectIndex, ref: Ref) -> Methods:
    """How `self.name` resolves for instances of the class `ref` (its own methods, then its scanned bases')."""
    def find(name: str) -> tuple[str, FuncDef] | None:
        found = index.method_def(ref, name)
        return (found[0].module, found[1]) if found is not None else None
    return find


def view_check(index: ProjectIndex, ref: Ref | None) -> str | None:
    """How the class-based view `ref` refuses unauthenticated requests in a `dispatch` (or DRF's `initial` or
    `check_permissions`) of its own or of a project base class, before the handler runs; None if it does
    not (see the module docstring)."""
    if ref is None or index.class_def(ref) is None:
        return None
    order = list(mro(index, ref))
    methods = methods_of(index, ref)
    for hook in _DISPATCH_HOOKS:
        for current in order:
            node = index.class_def(current)
            if node is None:  # a framework class: a mixin's hook hands on; Django's View.dispatch comes last
                continue
            func = next((s for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)
                         and s.name == hook), None)
            if func is None:
                continue
            checked = dispatch_refusal(index, current.module, func, methods)
            if checked is not None:
                where = "" if current == ref else f" of `{node.name}`"
                return f"{checked} in `{hook}`{where}, before the request reaches the handler"
            if not delegates(func):  # an override that does not hand on to the next class's hook
                break
    return None


@dataclass(frozen=True)
class AuthMiddleware:
    """A project middleware that refuses anonymous requests (`refusals`) under the conditions it tests."""

    name: str  # as settings.MIDDLEWARE lists it
    module: str
    refusals: tuple[Guarded, ...]

    def covers(self, path: str, namespaces: tuple[str, ...] | None) -> tuple[bool | None, Guarded | None]:
        """Whether a request for `path` (a route in the URL namespaces `namespaces`, None when unknown)
        meets a refusal: True, False, or None when its conditions cannot be read; and which refusal."""
        best: tuple[bool | None, Guarded | None] = (False, None)
        for refusal in self.refusals:
            values = [_truth(test, path, namespaces) for test, _ in refusal.guards]
            values = [v if v is None or holds else not v for v, (_, holds) in zip(values, refusal.guards, strict=True)]
            # the refusing test's own exemptions: a literal one is read, an unreadable list of exempt URLs
            # (`url_name not in PUBLIC`) leaves out the pages signing in needs, which SC201 knows by path
            for test in refusal.exemptions:
                value = _truth(test, path, namespaces)
                values.append(True if value is None and _negated(test) else value)
            if False in values:
                continue
            if all(v is True for v in values):
                return True, refusal
            best = (None, refusal)
        return best


def auth_middleware(index: ProjectIndex, names: list[str]) -> list[AuthMiddleware]:
    """The project middleware among `names` (settings.MIDDLEWARE) that refuse anonymous requests."""
    found: list[AuthMiddleware] = []
    for name in names:
        module_name, _, attr = name.rpartition(".")
        module = index.find_module(module_name)
        ref = index.resolve_name(module, attr) if module is not None else None
        if ref is None or ref.kind != "local":
            continue
        refusals: list[Guarded] = []
        cls = index.class_def(ref)
        if cls is not None:
            methods = methods_of(index, ref)
            for hook in _MIDDLEWARE_HOOKS:
                at = methods(hook)
                if at is not None:
                    refusals += guarded_refusals(index, at[0], at[1], methods)
        elif (func := index.function_def(ref)) is not None:  # def middleware(get_response): def inner(request)
            for inner in (s for s in func.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)):
                refusals += guarded_refusals(index, ref.module, inner)
        if refusals:
            found.append(AuthMiddleware(name, ref.module, tuple(refusals)))
    return found


_PATH_ATTRS = frozenset({"path", "path_info"})
_NAMESPACE_ATTRS = frozenset({"namespace", "app_name"})
_NAMESPACES_ATTRS = frozenset({"namespaces", "app_names"})


def _is_path(node: ast.AST) -> bool:
    """`request.path`, `request.path_info`, `request.get_full_path()`, `request.META["PATH_INFO"]`."""
    if isinstance(node, ast.Attribute):
        return node.attr in _PATH_ATTRS and dotted(node.value).endswith("request")
    if isinstance(node, ast.Call):
        return last(dotted(node.func)) in ("get_full_path", "get_full_path_info") and not node.args
    if isinstance(node, ast.Subscript):
        return dotted(node.value).endswith("META") and literals.string(node.slice) == "PATH_INFO"
    return False


def _texts(node: ast.AST) -> list[str] | None:
    """A string literal, or a literal list/tuple/set of them (as one), else None."""
    one = literals.string(node)
    if one is not None:
        return [one]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [literals.string(e) for e in node.elts]
        return [i for i in items if i is not None] if None not in items else None
    return None


def _truth(test: ast.expr, path: str, namespaces: tuple[str, ...] | None) -> bool | None:
    """What a middleware's test gives for a request of `path`: True, False, or None when it cannot be read."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _truth(test.operand, path, namespaces)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp):
        values = [_truth(v, path, namespaces) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else True if all(v is True for v in values) else None
        return True if True in values else False if all(v is False for v in values) else None
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" and \
            test.args and (prefixes := _texts(test.args[0])) is not None:
        receiver = test.func.value
        if _is_path(receiver):
            return _any([_prefix(path, p) for p in prefixes])
        if isinstance(receiver, ast.Attribute) and receiver.attr in _NAMESPACE_ATTRS:
            return None if namespaces is None else any(":".join(namespaces).startswith(p) for p in prefixes)
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        value: bool | None = None
        if isinstance(op, ast.In | ast.NotIn):
            if isinstance(right, ast.Attribute) and right.attr in _NAMESPACES_ATTRS and \
                    (name := literals.string(left)) is not None:
                value = None if namespaces is None else name in namespaces
            elif isinstance(left, ast.Attribute) and left.attr in _NAMESPACE_ATTRS and \
                    (listed := _texts(right)) is not None:
                value = None if namespaces is None else ":".join(namespaces) in listed
            elif _is_path(left) and (listed := _texts(right)) is not None:
                value = _any([_exact(path, p) for p in listed])
            else:
                return None
            return None if value is None else value if isinstance(op, ast.In) else not value
        if isinstance(op, ast.Eq | ast.NotEq):
            for one, other in ((left, right), (right, left)):
                text = literals.string(other)
                if text is None:
                    continue
                if isinstance(one, ast.Attribute) and one.attr in _NAMESPACE_ATTRS:
                    value = None if namespaces is None else ":".join(namespaces) == text
                elif _is_path(one):
                    value = _exact(path, text)
                else:
                    continue
                return None if value is None else value if isinstance(op, ast.Eq) else not value
    return None


def _any(values: list[bool | None]) -> bool | None:
    return True if True in values else False if all(v is False for v in values) else None


def _prefix(path: str, prefix: str) -> bool | None:
    """Whether the route `path` (`/orga/{event}/...`) starts with `prefix`; None when a parameter decides."""
    fixed = path.split("{", 1)[0]
    if fixed.startswith(prefix):
        return True
    return None if "{" in path and prefix.startswith(fixed) else False


def _exact(path: str, text: str) -> bool | None:
    if "{" not in path:
        return path == text
    return None if text.startswith(path.split("{", 1)[0]) else False


def _negated(test: ast.expr) -> bool:
    """`x not in y`, `x != y`, `not ...`: a test that holds for all but some listed URLs."""
    return (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)) or (
        isinstance(test, ast.Compare) and all(isinstance(o, ast.NotIn | ast.NotEq) for o in test.ops))
