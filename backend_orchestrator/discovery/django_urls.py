"""Django routes read from the URLconfs, statically (the dynamic probe imports them: ``dynamic/probe_django.py``).

The walk starts at ``ROOT_URLCONF`` (a string in a settings module), or else at every module with
``urlpatterns`` that no other one includes. It follows ``path``/``re_path``/``url`` entries,
``include("pkg.urls")``, ``include(module)``, ``include([...])``, ``include((patterns, "app"))``, pattern
lists bound to a name (with their ``+=``/``append``/``extend``), the patterns a project helper returns
(``*SomeView.get_urls(...)``, ``get_schedule_urls("schedule")``: read by ``django_eval``) and Django REST
framework routers (``django_routers``), concatenating the prefixes the way Django does (no slash added).
An ``if`` around patterns is decided when its condition can be read (``settings.X`` is read in the settings
module that names ``ROOT_URLCONF``); when it cannot, its ``if`` branch is read, its ``else`` branch only for
what it adds (an assignment there, an alternative, is noted). Patterns are converted as the probe converts
them (``<int:pk>`` → ``{pk}``, ``(?P<pk>...)`` → ``{pk}``; a regular expression that is not a plain path
is noted, not listed).

Each route's URL namespaces (``include(..., namespace=...)``, an ``app_name`` of the included module, the
second item of ``include((patterns, "app"))``) are kept in ``Found.namespaces`` for readers of
``request.resolver_match``; ``middleware`` lists ``settings.MIDDLEWARE``.

Methods and authentication come from the view (``django_views``). ``admin.site.urls`` and ``static(...)``
are framework routes, left out. What cannot be read (a pattern list built by a call it cannot follow, an
include of a module not scanned) is recorded as unresolved with its file and line, never guessed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..contracts.registry import Endpoint, Unresolved
from . import literals
from .django_eval import Entry, Evaluator
from .django_routers import Routers
from .django_views import View, Views, assigned
from .dynamic.probe_django import regex_path, route_path
from .symbols import ProjectIndex, dotted, last

_PATTERN_CALLS = ("path", "re_path", "url")


@dataclass
class Found:
    endpoints: list[Endpoint] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    urlconfs: int = 0  # modules with urlpatterns: a Django project when > 0
    namespaces: dict[str, tuple[str, ...]] = field(default_factory=dict)  # route path -> its URL namespaces


class _Walker:
    def __init__(self, index: ProjectIndex, settings: str | None) -> None:
        self.index = index
        self.found = Found()
        self.seen: set[tuple[str, str]] = set()
        self.namespace: tuple[str, ...] = ()  # of the include() being walked
        self.evaluator = Evaluator(index, settings)
        self.views = Views(index, self.evaluator, _default_permissions(index))
        self.routers = Routers(index, self.views, self.add, self.note, self.text)

    # -- pattern lists ------------------------------------------------------------------------------
    def patterns(self, module: str, name: str = "urlpatterns") -> list[ast.expr]:
        """The entries of the module-level list ``name``: its assignment plus ``+=``/``append``/``extend``."""
        entries: list[ast.expr] = []
        self.statements(module, name, self.index.modules[module].tree.body, entries, False)
        return entries

    def statements(self, module: str, name: str, body: list[ast.stmt], entries: list[ast.expr],
                   alternative: bool) -> None:
        for stmt in body:
            value = assigned(stmt, name)
            if value is not None:
                if alternative:  # `else: urlpatterns = ...` of an `if` that cannot be decided
                    self.note(module, stmt, f"`{name}` is assigned in a branch that is not read statically")
                else:
                    entries[:] = self.elements(module, value, name, keep=list(entries))
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                entries += self.elements(module, stmt.value, name)
            elif isinstance(stmt, ast.Expr) and isinstance(call := stmt.value, ast.Call) and \
                    isinstance(call.func, ast.Attribute) and dotted(call.func.value) == name and call.args:
                if call.func.attr == "append":
                    entries.append(call.args[0])
                elif call.func.attr == "extend":
                    entries += self.elements(module, call.args[0], name)
            elif isinstance(stmt, ast.If):
                decided = self.evaluator.truth(module, stmt.test)
                if decided is not False:
                    self.statements(module, name, stmt.body, entries, alternative)
                if decided is not True:
                    self.statements(module, name, stmt.orelse, entries, alternative or decided is None)
            elif isinstance(stmt, ast.Try | ast.TryStar):
                for part in (stmt.body, stmt.orelse, stmt.finalbody):
                    self.statements(module, name, part, entries, alternative)
            elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For):
                self.statements(module, name, stmt.body, entries, alternative)

    def elements(self, module: str, expr: ast.expr, name: str, keep: list[ast.expr] | None = None) -> list[ast.expr]:
        """The entries a pattern-list expression holds (``urlpatterns + [...]`` keeps the earlier ones)."""
        if isinstance(expr, ast.List | ast.Tuple):
            return list(expr.elts)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.elements(module, expr.left, name, keep) + self.elements(module, expr.right, name, keep)
        if isinstance(expr, ast.Name) and expr.id == name and keep is not None:
            return list(keep)
        if isinstance(expr, ast.Name | ast.Attribute | ast.Call | ast.ListComp):
            return [expr]  # a router's urls, a name bound to a list, a helper's patterns: read when walked
        self.note(module, expr, f"URL patterns built by `{literals.source(expr)[:60]}` are not read statically")
        return []

    # -- walking ------------------------------------------------------------------------------------
    def walk(self, module: str, prefix: str, depth: int = 0) -> None:
        key = (module, prefix)
        if key in self.seen or depth > 12:
            return
        self.seen.add(key)
        for entry in self.patterns(module):
            self.entry(module, entry, prefix, depth)

    def entry(self, module: str, entry: ast.expr, prefix: str, depth: int) -> None:
        called = last(dotted(entry.func)) if isinstance(entry, ast.Call) else ""
        if isinstance(entry, ast.Call) and called in _PATTERN_CALLS:
            self.pattern(module, entry, prefix, depth)
        elif isinstance(entry, ast.Attribute) and entry.attr == "urls":
            self.routers.urls(module, entry.value, prefix)
        elif called in ("static", "staticfiles_urlpatterns"):
            return
        elif isinstance(entry, ast.Call) and called == "i18n_patterns":  # patterns under a language prefix
            for inner in entry.args:
                self.entry(module, inner, prefix + "{language}/", depth)
        elif isinstance(entry, ast.Name | ast.Attribute) and self.named_list(module, entry, prefix, depth):
            return
        elif isinstance(entry, ast.Starred):
            self.entry(module, entry.value, prefix, depth)
        elif isinstance(entry, ast.Call | ast.ListComp) and (found := self.evaluator.entries(module, entry)):
            for item in found:
                self.evaluated(module, item, prefix)
        else:
            self.note(module, entry, f"URL pattern `{literals.source(entry)[:60]}` is not read statically")

    def named_list(self, module: str, entry: ast.Name | ast.Attribute, prefix: str, depth: int) -> bool:
        """The patterns of a module-level list a name refers to (``real_patterns``, ``views.urls``)."""
        ref = self.index.resolve(module, entry)
        bound = self.index.binding(ref)
        if ref is None or bound is None or not isinstance(bound.node, ast.List | ast.Tuple | ast.BinOp):
            return False
        for inner in self.patterns(ref.module, ref.name):
            self.entry(ref.module, inner, prefix, depth + 1)
        return True

    def pattern(self, module: str, call: ast.Call, prefix: str, depth: int) -> None:
        raw = self.text(module, call.args[0] if call.args else literals.keyword(call, "route"))
        target = call.args[1] if len(call.args) > 1 else literals.keyword(call, "view")
        if raw is None or target is None:
            self.note(module, call, "a URL pattern whose route is not a string literal is not read statically")
            return
        part = self.convert(module, call, raw, last(dotted(call.func)) != "path")
        if part is None:
            return
        if isinstance(target, ast.Call) and last(dotted(target.func)) == "include":
            self.include(module, target, prefix + part, depth)
            return
        if isinstance(target, ast.Attribute) and target.attr == "urls":  # admin.site.urls, router.urls
            if not dotted(target.value).endswith("site"):  # the admin is the framework's, not the API
                self.routers.urls(module, target.value, prefix + part)
            return
        view = self.views.view(module, target)
        if view is None:
            self.note(module, call, f"the view of {raw!r} (`{literals.source(target)[:60]}`) is not read statically")
            return
        self.add_view(module, call, prefix + part, view)

    def evaluated(self, module: str, entry: Entry, prefix: str) -> None:
        """A pattern a helper returned (``django_eval``)."""
        where = ast.Constant(value=None, lineno=entry.line)
        if not isinstance(entry.route, str):
            self.note(module, where, "a URL pattern whose route a helper computes is not read statically")
            return
        part = self.convert(module, where, entry.route, entry.regex)
        view = self.views.from_value(entry.view, ()) if part is not None else None
        if part is not None and view is None:
            self.note(module, where, f"the view of {entry.route!r} a helper returns is not read statically")
        elif part is not None and view is not None:
            self.add_view(module, where, prefix + part, view)

    def convert(self, module: str, node: ast.AST, raw: str, regex: bool) -> str | None:
        part = regex_path(raw) if regex else route_path(raw)
        if part is None:
            self.note(module, node, f"regular expression {raw!r} is not a plain path; its routes are not listed")
        return part

    def add_view(self, module: str, node: ast.AST, path: str, view: View) -> None:
        if not view.declared:
            self.note(module, node, f"view {view.handler} does not declare its HTTP methods; recorded as GET")
        self.add(path, view)

    def include(self, module: str, call: ast.Call, prefix: str, depth: int) -> None:
        outer = self.namespace
        named = self.namespace_of(module, call)
        if named is not None:
            self.namespace = (*outer, named)
        try:
            self.included(module, call, prefix, depth)
        finally:
            self.namespace = outer

    def namespace_of(self, module: str, call: ast.Call) -> str | None:
        """The namespace an include() declares: `namespace=`, the app name of `include((patterns, "app"))`, or
        the `app_name` of the module it names."""
        named = literals.string(literals.keyword(call, "namespace"))
        arg = call.args[0] if call.args else None
        if named is None and isinstance(arg, ast.Tuple) and len(arg.elts) > 1:
            named = literals.string(arg.elts[1])
        if named is None and arg is not None:
            target = literals.string(arg)
            found = self.index.find_module(target) if target is not None else None
            if found is None and isinstance(arg, ast.Name | ast.Attribute):
                ref = self.index.resolve(module, arg)
                found = ref.module if ref is not None and ref.kind == "module" else None
            bound = self.index.modules[found].bindings.get("app_name") if found is not None else None
            named = literals.string(bound.node) if bound is not None else None
        return named

    def included(self, module: str, call: ast.Call, prefix: str, depth: int) -> None:
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
        ref = self.index.resolve(module, arg) if isinstance(arg, ast.Name | ast.Attribute) else None
        if ref is not None and ref.kind == "module":  # include(views.urls), include((app.urls, "app"))
            self.walk(ref.module, prefix, depth + 1)
            return
        if isinstance(arg, ast.Attribute) and arg.attr == "urls":
            if not dotted(arg.value).endswith("site"):  # admin.site.urls: the framework's admin, not the API
                self.routers.urls(module, arg.value, prefix)
            return
        if isinstance(arg, ast.Name | ast.Attribute) and self.named_list(module, arg, prefix, depth):
            return
        if isinstance(arg, ast.Call | ast.ListComp) and (found_entries := self.evaluator.entries(module, arg)):
            for item in found_entries:
                self.evaluated(module, item, prefix)
            return
        self.note(module, call, f"`{literals.source(call)[:60]}` is not read statically")

    def text(self, module: str, node: ast.AST | None) -> str | None:
        """A route string: a literal, a module constant it names, or a string the code computes."""
        value = literals.string(node)
        if value is None and isinstance(node, ast.expr):
            found = self.evaluator.value(module, node)
            value = found if isinstance(found, str) else None
        return value

    # -- output -------------------------------------------------------------------------------------
    def add(self, path: str, view: View) -> None:
        full = "/" + path.lstrip("/")
        self.found.namespaces.setdefault(full, self.namespace)
        for method in view.methods:
            self.found.endpoints.append(Endpoint(
                method=method, path=full, summary=view.summary, handler=view.handler, file=view.file,
                line=view.line, auth=list(view.auth), path_params=re.findall(r"\{(\w+)\}", full)))

    def note(self, module: str, node: ast.AST, reason: str) -> None:
        info = self.index.modules[module]
        self.found.unresolved.append(Unresolved(file=info.source.rel, line=getattr(node, "lineno", 1), reason=reason))


def _settings_value(index: ProjectIndex, name: str) -> tuple[str, ast.AST] | None:
    """Where the settings bind ``name``: a module called ``settings`` first, then the others by name."""
    for module, info in sorted(index.modules.items(), key=lambda item: (last(item[0]) != "settings", item[0])):
        bound = info.bindings.get(name)
        if bound is not None and bound.node is not None:
            return module, bound.node
    return None


def middleware(index: ProjectIndex) -> list[str]:
    """The dotted names ``settings.MIDDLEWARE`` (or the old ``MIDDLEWARE_CLASSES``) lists: its literal
    strings, and those its settings module adds with ``+=``, ``append`` or ``insert``."""
    names: list[str] = []
    for setting in ("MIDDLEWARE", "MIDDLEWARE_CLASSES"):
        found = _settings_value(index, setting)
        if found is None:
            continue
        module, node = found
        values = [node]
        for stmt in ast.walk(index.modules[module].tree):
            if isinstance(stmt, ast.AugAssign) and dotted(stmt.target) == setting:
                values.append(stmt.value)
            elif isinstance(stmt, ast.Call) and isinstance(stmt.func, ast.Attribute) and \
                    dotted(stmt.func.value) == setting and stmt.func.attr in ("append", "insert", "extend"):
                values += stmt.args
        for value in values:
            names += [s for s in (literals.string(n) for n in ast.walk(value)) if s and "." in s]
    return list(dict.fromkeys(names))


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
                                          if last(n) != "AllowAny"))
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
    root_conf = _settings_value(index, "ROOT_URLCONF")
    walker = _Walker(index, root_conf[0] if root_conf else None)
    walker.found.urlconfs = len(confs)
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
            arg = node.args[0]
            if isinstance(arg, ast.Tuple) and arg.elts:  # include((module, "app_name"))
                arg = arg.elts[0]
            name = literals.string(arg)
            found = index.find_module(name) if name else None
            if found is None and isinstance(arg, ast.Name | ast.Attribute):
                ref = index.resolve(module, arg)
                found = ref.module if ref is not None and ref.kind == "module" else None
            if found:
                yield found
