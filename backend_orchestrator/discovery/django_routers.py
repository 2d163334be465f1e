"""Django REST framework routers, for ``django_urls``: ``router.register(prefix, ViewSet)`` → ``router.urls``.

The routes a ``SimpleRouter``/``DefaultRouter`` makes: ``list``/``create`` on the collection, ``retrieve``/
``update``/``partial_update``/``destroy`` on one item (``{lookup_url_kwarg or lookup_field}``), and every
``@action`` of the viewset and of its scanned bases and mixins (``url_path`` as a path, its regular-expression
groups as ``{name}``), less what ``http_method_names`` leaves out. A project router whose
``get_lookup_regex`` reads a viewset's ``lookup_fields`` (several lookup fields, one URL segment each) gets
those segments. A ``DefaultRouter``'s API root view is the framework's, not listed; nor are the format-suffix
variants.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from . import literals
from .django_eval import mro
from .django_views import HTTP, PUBLIC_PERMISSIONS, View, Views, doc, names
from .dynamic.probe_django import regex_path
from .symbols import ProjectIndex, Ref, dotted, last

# viewset actions a router maps (list and create on the collection, the rest on one item)
_VIEWSETS = {"ModelViewSet": {"list", "create", "retrieve", "update", "partial_update", "destroy"},
             "ReadOnlyModelViewSet": {"list", "retrieve"}}
_MIXINS = {"ListModelMixin": {"list"}, "CreateModelMixin": {"create"}, "RetrieveModelMixin": {"retrieve"},
           "UpdateModelMixin": {"update", "partial_update"}, "DestroyModelMixin": {"destroy"}}
_ACTIONS = {"list": ("GET", False), "create": ("POST", False), "retrieve": ("GET", True), "update": ("PUT", True),
            "partial_update": ("PATCH", True), "destroy": ("DELETE", True)}

Add = Callable[[str, View], None]
Note = Callable[[str, ast.AST, str], None]
Text = Callable[[str, ast.AST | None], str | None]


class Routers:
    def __init__(self, index: ProjectIndex, views: Views, add: Add, note: Note, text: Text) -> None:
        self.index, self.views, self.add, self.note, self.text = index, views, add, note, text

    def urls(self, module: str, expr: ast.expr, prefix: str) -> None:
        """The routes of ``<router>.urls`` under ``prefix``."""
        ref = self.index.resolve(module, expr)
        bound = self.index.binding(ref)
        if ref is None or bound is None or not isinstance(bound.node, ast.Call):
            self.note(module, expr, f"router `{literals.source(expr)[:40]}` is not read statically")
            return
        slash = "" if literals.boolean(literals.keyword(bound.node, "trailing_slash")) is False else "/"
        multi = self.multi_field_router(ref.module, bound.node.func)
        for call in self.registrations(ref):
            base = self.text(ref.module, call.args[0] if call.args else literals.keyword(call, "prefix"))
            viewset = call.args[1] if len(call.args) > 1 else literals.keyword(call, "viewset")
            if base is None or viewset is None:
                self.note(ref.module, call, "a router registration that is not a literal prefix and viewset")
                continue
            self.viewset(ref.module, viewset, prefix + base.strip("/"), slash, multi)

    def multi_field_router(self, module: str, func: ast.expr) -> bool:
        """Whether the router class (of the project) builds its lookup from a viewset's ``lookup_fields``."""
        ref = self.index.resolve(module, func)
        for current in mro(self.index, ref) if ref is not None else iter(()):
            node = self.index.class_def(current)
            for stmt in node.body if node is not None else []:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == "get_lookup_regex":
                    return any(literals.string(n) == "lookup_fields" for n in ast.walk(stmt))
        return False

    def registrations(self, router: Ref) -> Iterator[ast.Call]:
        info = self.index.modules[router.module]
        for stmt in ast.walk(info.tree):
            if isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute) and stmt.func.attr == "register" \
                    and isinstance(stmt.func.value, ast.Name) and stmt.func.value.id == router.name:
                yield stmt

    def lookup(self, ref: Ref, multi: bool) -> str:
        """The detail segment(s): ``{lookup_url_kwarg or lookup_field}``, or one per ``lookup_fields``."""
        if multi:
            fields = self.views.attribute(ref, "lookup_fields")
            if isinstance(fields, list | tuple) and fields and all(isinstance(f, str) for f in fields):
                return "/".join(f"{{{f}}}" for f in fields)
        for name in ("lookup_url_kwarg", "lookup_field"):
            value = self.views.attribute(ref, name)
            if isinstance(value, str) and value:
                return f"{{{value}}}"
        return "{pk}"

    def viewset(self, module: str, expr: ast.expr, base: str, slash: str, multi: bool = False) -> None:
        ref = self.index.resolve(module, expr)
        node = self.index.class_def(ref)
        if node is None or ref is None:
            self.note(module, expr, f"viewset `{literals.source(expr)[:40]}` is not among the scanned classes")
            return
        names_ = self.views.method_names(ref)
        for ancestor in self.index.ancestors(ref):
            if ancestor.kind == "external":
                names_ |= _VIEWSETS.get(last(ancestor.module), set()) | _MIXINS.get(last(ancestor.module), set())
        lookup = self.lookup(ref, multi)
        info = self.index.modules[ref.module]
        auth = tuple(self.views.class_auth(ref))
        handler = f"{ref.module}:{node.name}"
        allowed = set(self.views.allowed(ref, HTTP))
        for name, (method, detail) in _ACTIONS.items():
            if name in names_ and method in allowed:
                path = f"{base}/{lookup}{slash}" if detail else f"{base}{slash}"
                self.add(path, View(handler, info.source.rel, node.lineno, (method,), auth, doc(node), True))
        seen: set[str] = set()
        for current in mro(self.index, ref):  # the viewset's @actions, then those its bases and mixins add
            owner = self.index.class_def(current)
            for fn in (s for s in owner.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)) \
                    if owner is not None else ():
                if fn.name in seen:
                    continue
                seen.add(fn.name)
                action = next((d for d in fn.decorator_list if isinstance(d, ast.Call)
                               and last(dotted(d.func)) == "action"), None)
                if action is not None:
                    self.action(current, fn, action, (base, lookup, slash), auth, allowed, (handler, node))

    def action(self, ref: Ref, fn: ast.FunctionDef | ast.AsyncFunctionDef, action: ast.Call,
               where: tuple[str, str, str], auth: tuple[str, ...], allowed: set[str],
               owner: tuple[str, ast.ClassDef]) -> None:
        base, lookup, slash = where
        handler, node = owner
        detail = literals.boolean(literals.keyword(action, "detail")) is True
        raw = self.text(ref.module, literals.keyword(action, "url_path")) or fn.name
        url_path = regex_path(raw) if any(c in raw for c in "()[]^$\\") else raw
        if url_path is None:
            self.note(ref.module, action, f"@action url_path {raw!r} is not a plain path; its routes are not listed")
            return
        methods = tuple(m.upper() for m in (literals.strings(literals.keyword(action, "methods")) or ["get"])
                        if m.upper() in HTTP and m.upper() in allowed)
        path = f"{base}/{lookup}/{url_path}{slash}" if detail else f"{base}/{url_path}{slash}"
        own = literals.keyword(action, "permission_classes")  # @action(permission_classes=[]) replaces the class's
        found = tuple(n for n in names(own) if n not in PUBLIC_PERMISSIONS) if own is not None else auth
        info = self.index.modules[ref.module]
        self.add(path, View(f"{handler}.{fn.name}", info.source.rel, fn.lineno, methods or ("GET",), found,
                            doc(fn) or doc(node), True))
