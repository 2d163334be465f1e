"""Django routes read from the URLconfs, statically (the dynamic probe imports them: ``dynamic/probe_django.py``).

The walk starts at ``ROOT_URLCONF`` (a string in a settings module), or else at every module with
``urlpatterns`` that no other one includes. It follows ``path``/``re_path``/``url`` entries,
``include("pkg.urls")``, ``include(module)``, ``include([...])``, ``include((patterns, "app"))`` and
Django REST framework routers (``router.register(prefix, ViewSet)`` → ``router.urls``, with the list,
detail and ``@action`` routes a ``SimpleRouter``/``DefaultRouter`` makes; a ``DefaultRouter``'s API root
view is the framework's, not listed), concatenating the prefixes
the way Django does (no slash added). Patterns are converted as the probe converts them
(``<int:pk>`` → ``{pk}``, ``(?P<pk>...)`` → ``{pk}``; a regular expression that is not a plain path is
noted, not listed).

Methods: a class-based view's handlers (its own ``get``/``post``/... and its bases', the known generic
views of Django and DRF), an ``as_view({"get": "list"})`` mapping, a function view's
``require_GET``/``require_POST``/``require_http_methods``/``api_view`` list; a function view that says
nothing is recorded as ``GET`` with a note, as the probe does. Authentication: ``login_required``,
``permission_required``, ``user_passes_test``, ``staff_member_required`` (decorating the view or
wrapping it in the URLconf), the auth mixins, DRF ``permission_classes``/``authentication_classes``
other than ``AllowAny``, and the project's ``REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]`` for DRF
views that declare none. ``admin.site.urls`` and ``static(...)`` are framework routes, left out. What
cannot be read (a pattern list built by a function call or comprehension, an include of a module not
scanned) is recorded as unresolved with its file and line, never guessed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..contracts.registry import Endpoint, Unresolved
from . import literals
from .auth_checks import decorator_refusal
from .dynamic.probe_django import regex_path, route_path
from .symbols import ProjectIndex, Ref, dotted, last, walk_statements

HTTP = ("GET", "POST", "PUT", "PATCH", "DELETE")
_VIEW_METHODS = ("get", "post", "put", "patch", "delete")
# methods of the generic views a class may derive from, when it defines none of its own
_GENERIC = {
    "TemplateView": ("GET",), "ListView": ("GET",), "DetailView": ("GET",), "RedirectView": ("GET",),
    "ArchiveIndexView": ("GET",), "CreateView": ("GET", "POST"), "UpdateView": ("GET", "POST"),
    "FormView": ("GET", "POST"), "DeleteView": ("GET", "POST"), "LoginView": ("GET", "POST"),
    "LogoutView": ("POST",), "PasswordChangeView": ("GET", "POST"), "PasswordResetView": ("GET", "POST"),
    "ListAPIView": ("GET",), "RetrieveAPIView": ("GET",), "CreateAPIView": ("POST",), "DestroyAPIView": ("DELETE",),
    "UpdateAPIView": ("PUT", "PATCH"), "ListCreateAPIView": ("GET", "POST"), "RetrieveUpdateAPIView":
    ("GET", "PUT", "PATCH"), "RetrieveDestroyAPIView": ("GET", "DELETE"), "RetrieveUpdateDestroyAPIView":
    ("GET", "PUT", "PATCH", "DELETE"),
}
# viewset actions a router maps (list and create on the collection, the rest on one item)
_VIEWSETS = {"ModelViewSet": {"list", "create", "retrieve", "update", "partial_update", "destroy"},
             "ReadOnlyModelViewSet": {"list", "retrieve"}}
_MIXINS = {"ListModelMixin": {"list"}, "CreateModelMixin": {"create"}, "RetrieveModelMixin": {"retrieve"},
           "UpdateModelMixin": {"update", "partial_update"}, "DestroyModelMixin": {"destroy"}}
_ACTIONS = {"list": ("GET", False), "create": ("POST", False), "retrieve": ("GET", True), "update": ("PUT", True),
            "partial_update": ("PATCH", True), "destroy": ("DELETE", True)}
_METHOD_DECORATORS = {"require_GET": ("GET",), "require_POST": ("POST",), "require_safe": ("GET",)}
_AUTH_DECORATORS = frozenset({"login_required", "permission_required", "user_passes_test", "staff_member_required",
                              "superuser_required", "login_not_required"})
_AUTH_MIXINS = frozenset({"LoginRequiredMixin", "PermissionRequiredMixin", "UserPassesTestMixin", "AccessMixin"})
_PUBLIC_PERMISSIONS = frozenset({"AllowAny"})


@dataclass
class Found:
    endpoints: list[Endpoint] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    urlconfs: int = 0  # modules with urlpatterns: a Django project when > 0


@dataclass(frozen=True)
class _View:
    handler: str
    file: str
    line: int
    methods: tuple[str, ...]
    auth: tuple[str, ...]
    summary: str
    declared: bool  # the methods were declared (not the GET default)


class _Walker:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.found = Found()
        self.seen: set[tuple[str, str]] = set()
        self.default_permissions = _default_permissions(index)

    # -- URLconf modules ------------------------------------------------------------------------
    def patterns(self, module: str) -> list[ast.expr]:
        """The entries of ``urlpatterns`` in ``module``: its assignment plus ``+=``/``append``/``extend``."""
        info = self.index.modules[module]
        entries: list[ast.expr] = []
        for stmt, _conditional, _loop in walk_statements(info.tree.body):
            value = _assigned(stmt, "urlpatterns")
            if value is not None:
                entries = self.elements(module, value, keep=entries)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and \
                    stmt.target.id == "urlpatterns":
                entries += self.elements(module, stmt.value)
            elif isinstance(stmt, ast.Expr) and isinstance(call := stmt.value, ast.Call) and \
                    isinstance(call.func, ast.Attribute) and dotted(call.func.value) == "urlpatterns":
                if call.func.attr == "append" and call.args:
                    entries.append(call.args[0])
                elif call.func.attr == "extend" and call.args:
                    entries += self.elements(module, call.args[0])
        return entries

    def elements(self, module: str, expr: ast.expr, keep: list[ast.expr] | None = None) -> list[ast.expr]:
        """The entries a pattern-list expression holds (``urlpatterns + [...]`` keeps the earlier ones)."""
        if isinstance(expr, ast.List | ast.Tuple):
            return list(expr.elts)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.elements(module, expr.left, keep) + self.elements(module, expr.right, keep)
        if isinstance(expr, ast.Name) and expr.id == "urlpatterns" and keep is not None:
            return list(keep)
        if isinstance(expr, ast.Name | ast.Attribute | ast.Call):
            return [expr]  # a router's urls, a name bound to a list, static(...): read when walked
        self.note(module, expr, f"URL patterns built by `{literals.source(expr)[:60]}` are not read statically")
        return []

    # -- walking -------------------------------------------------------------------------------
    def walk(self, module: str, prefix: str, depth: int = 0) -> None:
        key = (module, prefix)
        if key in self.seen or depth > 12:
            return
        self.seen.add(key)
        for entry in self.patterns(module):
            self.entry(module, entry, prefix, depth)

    def entry(self, module: str, entry: ast.expr, prefix: str, depth: int) -> None:
        if isinstance(entry, ast.Call) and last(dotted(entry.func)) in ("path", "re_path", "url"):
            self.pattern(module, entry, prefix, depth)
        elif isinstance(entry, ast.Attribute) and entry.attr == "urls":
            self.router_urls(module, entry.value, prefix)
        elif isinstance(entry, ast.Call) and last(dotted(entry.func)) in ("static", "staticfiles_urlpatterns",
                                                                          "i18n_patterns"):
            if last(dotted(entry.func)) == "i18n_patterns":  # its arguments are patterns, under a language prefix
                for inner in entry.args:
                    self.entry(module, inner, prefix + "{language}/", depth)
        elif isinstance(entry, ast.Name):
            bound = self.index.binding(self.index.resolve(module, entry))
            if bound is not None and isinstance(bound.node, ast.List | ast.Tuple):
                for inner in bound.node.elts:
                    self.entry(module, inner, prefix, depth)
            else:
                self.note(module, entry, f"URL patterns in `{entry.id}` are not read statically")
        elif isinstance(entry, ast.Starred):
            self.entry(module, entry.value, prefix, depth)
        else:
            self.note(module, entry, f"URL pattern `{literals.source(entry)[:60]}` is not read statically")

    def pattern(self, module: str, call: ast.Call, prefix: str, depth: int) -> None:
        raw = self.text(module, call.args[0] if call.args else literals.keyword(call, "route"))
        target = call.args[1] if len(call.args) > 1 else literals.keyword(call, "view")
        if raw is None or target is None:
            self.note(module, call, "a URL pattern whose route is not a string literal is not read statically")
            return
        regex = last(dotted(call.func)) in ("re_path", "url")
        part = regex_path(raw) if regex else route_path(raw)
        if part is None:
            self.note(module, call, f"regular expression {raw!r} is not a plain path; its routes are not listed")
            return
        if isinstance(target, ast.Call) and last(dotted(target.func)) == "include":
            self.include(module, target, prefix + part, depth)
            return
        if isinstance(target, ast.Attribute) and target.attr == "urls":  # admin.site.urls, router.urls
            if not dotted(target.value).endswith("site"):  # the admin is the framework's, not the API
                self.router_urls(module, target.value, prefix + part)
            return
        view = self.view(module, target)
        if view is None:
            self.note(module, call, f"the view of {raw!r} (`{literals.source(target)[:60]}`) is not read statically")
            return
        if not view.declared:
            self.note(module, call, f"view {view.handler} does not declare its HTTP methods; recorded as GET")
        self.add(prefix + part, view)

    def include(self, module: str, call: ast.Call, prefix: str, depth: int) -> None:
        arg = call.args[0] if call.args else None
        if isinstance(arg, ast.Tuple) and arg.elts:  # include((patterns, "app_name"))
            arg = arg.elts[0]
        name = literals.string(arg)
        if name is not None:
            found = self.index.find_module(name)
            if found is None:
                self.note(module, call, f"include({name!r}): the module is not among the scanned files")
            else:
                self.walk(found, prefix, depth + 1)
            return
        if isinstance(arg, ast.List | ast.Tuple):
            for inner in arg.elts:
                self.entry(module, inner, prefix, depth + 1)
            return
        if isinstance(arg, ast.Attribute) and arg.attr == "urls":
            if dotted(arg.value).endswith("site"):  # admin.site.urls: the framework's admin, not the API
                return
            self.router_urls(module, arg.value, prefix)
            return
        if isinstance(arg, ast.Name | ast.Attribute):
            ref = self.index.resolve(module, arg)
            if ref is not None and ref.kind == "module":
                self.walk(ref.module, prefix, depth + 1)
                return
            bound = self.index.binding(ref)
            if bound is not None and isinstance(bound.node, ast.List | ast.Tuple) and ref is not None:
                for inner in bound.node.elts:
                    self.entry(ref.module, inner, prefix, depth + 1)
                return
        self.note(module, call, f"`{literals.source(call)[:60]}` is not read statically")

    def text(self, module: str, node: ast.AST | None) -> str | None:
        """A route string: a literal, or a module constant it names."""
        value = literals.string(node)
        if value is None and isinstance(node, ast.Name | ast.Attribute):
            bound = self.index.binding(self.index.resolve(module, node))
            value = literals.string(bound.node) if bound is not None else None
        return value

    # -- views ----------------------------------------------------------------------------------
    def view(self, module: str, expr: ast.expr, auth: tuple[str, ...] = ()) -> _View | None:
        if isinstance(expr, ast.Call):
            func = dotted(expr.func)
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "as_view":
                mapping = expr.args[0] if expr.args and isinstance(expr.args[0], ast.Dict) else None
                return self.class_view(module, expr.func.value, auth, mapping)
            if last(func) in _AUTH_DECORATORS and expr.args:  # login_required(views.home)
                return self.view(module, expr.args[0], (*auth, last(func)))
            if isinstance(expr.func, ast.Call) and expr.args:  # cache_page(60)(view), permission_required(...)(v)
                inner = last(dotted(expr.func.func))
                return self.view(module, expr.args[0], (*auth, inner) if inner in _AUTH_DECORATORS else auth)
            if expr.args and last(func) in ("csrf_exempt", "never_cache", "xframe_options_exempt"):
                return self.view(module, expr.args[0], auth)
            return None
        ref = self.index.resolve(module, expr)
        function = self.index.function_def(ref)
        if function is not None and ref is not None:
            return self.function_view(ref, function, auth)
        if self.index.class_def(ref) is not None:  # a class instance used as a view (a feed): GET
            return self.class_view(module, expr, auth, None)
        return None

    def function_view(self, ref: Ref, fn: ast.FunctionDef | ast.AsyncFunctionDef, auth: tuple[str, ...]) -> _View:
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
            elif name in _AUTH_DECORATORS:
                found_auth.append(name)
            elif name == "permission_classes" and isinstance(decorator, ast.Call):
                found_auth += [n for n in _names(decorator.args[0] if decorator.args else None)
                               if n not in _PUBLIC_PERMISSIONS]
            elif self.refusing_decorator(ref.module, decorator):
                found_auth.append(name)
        if drf and not any(a for a in found_auth) and self.default_permissions:
            found_auth += self.default_permissions
        info = self.index.modules[ref.module]
        return _View(f"{ref.module}:{fn.name}", info.source.rel, fn.lineno, methods or ("GET",),
                     tuple(dict.fromkeys(found_auth)), _doc(fn), bool(methods))

    def refusing_decorator(self, module: str, decorator: ast.expr) -> bool:
        """A decorator of the project whose wrapper refuses requests without a login (`auth_checks`)."""
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        ref = self.index.resolve(module, target)
        func = self.index.function_def(ref)
        return ref is not None and func is not None and decorator_refusal(self.index, ref.module, func) is not None

    def class_view(self, module: str, expr: ast.expr, auth: tuple[str, ...],
                   mapping: ast.Dict | None) -> _View | None:
        ref = self.index.resolve(module, expr)
        node = self.index.class_def(ref)
        if node is None or ref is None:
            return None
        names = self.method_names(ref)
        if mapping is not None:
            methods = tuple(m for m in HTTP if m.lower() in {literals.string(k) for k in mapping.keys})
        else:
            methods = tuple(m for m in HTTP if m.lower() in names) or self.generic_methods(ref)
        methods = self.allowed(ref, methods)
        info = self.index.modules[ref.module]
        return _View(f"{ref.module}:{node.name}", info.source.rel, node.lineno, methods or ("GET",),
                     tuple(dict.fromkeys([*auth, *self.class_auth(ref)])), _doc(node), bool(methods))

    def method_names(self, ref: Ref) -> set[str]:
        """Methods the class and its scanned bases define."""
        names: set[str] = set()
        for current in (ref, *self.index.ancestors(ref)):
            node = self.index.class_def(current)
            if node is not None:
                names |= {s.name for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
        return names

    def generic_methods(self, ref: Ref) -> tuple[str, ...]:
        for base in self.index.ancestors(ref):
            if base.kind == "external" and last(base.module) in _GENERIC:
                return _GENERIC[last(base.module)]
        return ()

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
                    named = _names(stmt.value)
                    return [*found, *(n for n in named if n not in _PUBLIC_PERMISSIONS)]
        return [*found, *(self.default_permissions if drf else [])]

    # -- routers --------------------------------------------------------------------------------
    def router_urls(self, module: str, expr: ast.expr, prefix: str) -> None:
        ref = self.index.resolve(module, expr)
        bound = self.index.binding(ref)
        if ref is None or bound is None or not isinstance(bound.node, ast.Call):
            self.note(module, expr, f"router `{literals.source(expr)[:40]}` is not read statically")
            return
        slash = "" if literals.boolean(literals.keyword(bound.node, "trailing_slash")) is False else "/"
        for call in self.registrations(ref):
            base = self.text(ref.module, call.args[0] if call.args else literals.keyword(call, "prefix"))
            viewset = call.args[1] if len(call.args) > 1 else literals.keyword(call, "viewset")
            if base is None or viewset is None:
                self.note(ref.module, call, "a router registration that is not a literal prefix and viewset")
                continue
            self.viewset(ref.module, viewset, prefix + base.strip("/"), slash)

    def registrations(self, router: Ref) -> Iterator[ast.Call]:
        info = self.index.modules[router.module]
        for stmt in ast.walk(info.tree):
            if isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute) and stmt.func.attr == "register" \
                    and isinstance(stmt.func.value, ast.Name) and stmt.func.value.id == router.name:
                yield stmt

    def viewset(self, module: str, expr: ast.expr, base: str, slash: str) -> None:
        ref = self.index.resolve(module, expr)
        node = self.index.class_def(ref)
        if node is None or ref is None:
            self.note(module, expr, f"viewset `{literals.source(expr)[:40]}` is not among the scanned classes")
            return
        names = self.method_names(ref)
        for ancestor in self.index.ancestors(ref):
            if ancestor.kind == "external":
                names |= _VIEWSETS.get(last(ancestor.module), set()) | _MIXINS.get(last(ancestor.module), set())
        lookup = self.attribute(ref, "lookup_url_kwarg") or self.attribute(ref, "lookup_field") or "pk"
        info = self.index.modules[ref.module]
        auth = tuple(self.class_auth(ref))
        handler = f"{ref.module}:{node.name}"
        allowed = set(self.allowed(ref, HTTP))
        for name, (method, detail) in _ACTIONS.items():
            if name in names and method in allowed:
                path = f"{base}/{{{lookup}}}{slash}" if detail else f"{base}{slash}"
                self.add(path, _View(handler, info.source.rel, node.lineno, (method,), auth, _doc(node), True))
        for fn in (s for s in node.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)):
            action = next((d for d in fn.decorator_list if isinstance(d, ast.Call)
                           and last(dotted(d.func)) == "action"), None)
            if action is None:
                continue
            detail = literals.boolean(literals.keyword(action, "detail")) is True
            url_path = literals.string(literals.keyword(action, "url_path")) or fn.name
            methods = tuple(m.upper() for m in (literals.strings(literals.keyword(action, "methods")) or ["get"])
                            if m.upper() in HTTP and m.upper() in allowed)
            path = f"{base}/{{{lookup}}}/{url_path}{slash}" if detail else f"{base}/{url_path}{slash}"
            own = literals.keyword(action, "permission_classes")  # @action(permission_classes=[]) replaces the class's
            found = tuple(n for n in _names(own) if n not in _PUBLIC_PERMISSIONS) if own is not None else auth
            self.add(path, _View(f"{handler}.{fn.name}", info.source.rel, fn.lineno, methods or ("GET",), found,
                                 _doc(fn) or _doc(node), True))

    def allowed(self, ref: Ref, methods: tuple[str, ...]) -> tuple[str, ...]:
        """``methods`` less those the class's ``http_method_names`` leaves out."""
        for current in (ref, *self.index.ancestors(ref)):
            node = self.index.class_def(current)
            for stmt in node.body if node is not None else []:
                value = _assigned(stmt, "http_method_names")
                listed = literals.strings(value) if value is not None else None
                if listed is not None:
                    return tuple(m for m in methods if m.lower() in {n.lower() for n in listed})
        return methods

    def attribute(self, ref: Ref, name: str) -> str | None:
        for current in (ref, *self.index.ancestors(ref)):
            node = self.index.class_def(current)
            for stmt in node.body if node is not None else []:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                        for t in stmt.targets):
                    return literals.string(stmt.value)
        return None

    # -- output ---------------------------------------------------------------------------------
    def add(self, path: str, view: _View) -> None:
        full = "/" + path.lstrip("/")
        for method in view.methods:
            self.found.endpoints.append(Endpoint(
                method=method, path=full, summary=view.summary, handler=view.handler, file=view.file,
                line=view.line, auth=list(view.auth), path_params=_params(full)))

    def note(self, module: str, node: ast.AST, reason: str) -> None:
        info = self.index.modules[module]
        self.found.unresolved.append(Unresolved(file=info.source.rel, line=getattr(node, "lineno", 1), reason=reason))


def _assigned(stmt: ast.stmt, name: str) -> ast.expr | None:
    """The value ``stmt`` assigns to ``name`` (plain or annotated assignment), if it does."""
    if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
        return stmt.value
    return None


def _params(path: str) -> list[str]:
    import re

    return re.findall(r"\{(\w+)\}", path)


def _names(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [last(dotted(e)) for e in node.elts]
    return [last(dotted(node))] if isinstance(node, ast.Name | ast.Attribute) else []


def _doc(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    text = ast.get_docstring(node) or ""
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def _settings_value(index: ProjectIndex, name: str) -> tuple[str, ast.AST] | None:
    for module, info in sorted(index.modules.items()):
        bound = info.bindings.get(name)
        if bound is not None and bound.node is not None:
            return module, bound.node
    return None


def _default_permissions(index: ProjectIndex) -> list[str]:
    """The project's DRF ``DEFAULT_PERMISSION_CLASSES`` other than AllowAny (settings ``REST_FRAMEWORK``; else
    the dict that declares them wherever the scanned code builds it, as a settings helper's return value);
    both classes of a conditional entry (``"IsAuthenticated" if REQUIRE_LOGIN else "IsAuthenticatedOrReadOnly"``)."""
    found = _settings_value(index, "REST_FRAMEWORK")
    dicts = [found[1]] if found is not None and isinstance(found[1], ast.Dict) else [
        node for _, info in sorted(index.modules.items()) for node in info.source.parsed.nodes(ast.Dict)
        if any(literals.string(k) == "DEFAULT_PERMISSION_CLASSES" for k in node.keys)]
    for node in dicts[:1]:
        for key, value in zip(node.keys, node.values, strict=True):
            if literals.string(key) == "DEFAULT_PERMISSION_CLASSES":
                names = [n for e in (value.elts if isinstance(value, ast.List | ast.Tuple) else [])
                         for n in _choices(e)]
                return list(dict.fromkeys(f"{last(n)} (REST_FRAMEWORK default)" for n in names
                                          if last(n) not in _PUBLIC_PERMISSIONS))
    return []


def _choices(node: ast.expr) -> list[str]:
    """The class names an entry can be: a string, a name, or either side of a conditional expression."""
    if isinstance(node, ast.IfExp):
        return [*_choices(node.body), *_choices(node.orelse)]
    text = literals.string(node)
    return [text] if text is not None else [dotted(node)] if isinstance(node, ast.Name | ast.Attribute) else []


def collect(index: ProjectIndex) -> Found:
    """Every route the project's URLconfs declare (see the module docstring)."""
    confs = sorted(m for m, info in index.modules.items() if "urlpatterns" in info.bindings)
    if not confs:  # not a Django project: nothing more to read (the settings search reads every module)
        return Found()
    walker = _Walker(index)
    walker.found.urlconfs = len(confs)
    root_conf = _settings_value(index, "ROOT_URLCONF")
    root = index.find_module(literals.string(root_conf[1]) or "") if root_conf else None
    if root is not None:
        walker.walk(root, "")
    else:
        included = {inc for m in confs for inc in _includes(index, m)}
        for module in confs:
            if module not in included:
                walker.walk(module, "")
    unique: dict[tuple[str, str], Endpoint] = {}
    for ep in walker.found.endpoints:  # Django resolves the first pattern that matches
        unique.setdefault((ep.method, ep.path), ep)
    walker.found.endpoints = list(unique.values())
    return walker.found


def _includes(index: ProjectIndex, module: str) -> Iterator[str]:
    for node in ast.walk(index.modules[module].tree):
        if isinstance(node, ast.Call) and last(dotted(node.func)) == "include" and node.args:
            name = literals.string(node.args[0])
            found = index.find_module(name) if name else None
            if found is None and isinstance(node.args[0], ast.Name | ast.Attribute):
                ref = index.resolve(module, node.args[0])
                found = ref.module if ref is not None and ref.kind == "module" else None
            if found:
                yield found
