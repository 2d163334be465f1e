"""The Django part of the route probe; loaded by ``probe.py`` in the TARGET's interpreter.

Sets ``DJANGO_SETTINGS_MODULE``, runs ``django.setup()`` (no database access), walks
``get_resolver().url_patterns`` (``URLResolver`` prefixes + ``URLPattern``s) and reads the models
from the app registry. Standard library only at the top.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from typing import Any

Locate = Callable[[Any], tuple[str | None, int]]
Name = Callable[[Any], str]

VIEW_METHODS = ("get", "post", "put", "patch", "delete")
HTTP = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_ROUTE_PARAM = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
_ESCAPED = re.compile(r"\\([./\-_~])")


def route_path(pattern: str) -> str:
    """``items/<int:pk>/`` -> ``items/{pk}/``."""
    return _ROUTE_PARAM.sub(r"{\1}", pattern)


def regex_path(regex: str) -> str | None:
    """``^articles/(?P<year>[0-9]{4})/$`` -> ``articles/{year}/``; None when it is not a plain path."""
    text = regex.removeprefix("^")
    for end in ("\\Z", "$"):
        text = text.removesuffix(end)
    out, i = [], 0
    while i < len(text):
        if text.startswith("(?P<", i):
            close = text.find(">", i)
            depth, j = 1, close + 1
            while j < len(text) and depth:
                if text[j] == "\\":
                    j += 1
                elif text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                j += 1
            if close < 0 or depth:
                return None
            out.append("{" + text[i + 4:close] + "}")
            i = j
            continue
        escaped = _ESCAPED.match(text, i)
        if escaped:
            out.append(escaped.group(1))
            i = escaped.end()
            continue
        if text[i] in "\\.^$*+?{}[]|()":
            return None
        out.append(text[i])
        i += 1
    return "".join(out)


def declared_methods(callback: Any) -> list[str] | None:
    """The methods a view accepts: a class-based view's handlers, DRF actions, or the list given to
    ``require_http_methods`` (found in the decorator's closure); None when the view does not say."""
    actions = getattr(callback, "actions", None)
    if isinstance(actions, dict) and actions:  # DRF ViewSet.as_view({"get": "list"})
        allowed = getattr(getattr(callback, "cls", None), "http_method_names", None) or VIEW_METHODS
        return sorted({m.upper() for m in actions if m in allowed} & HTTP - {"HEAD", "OPTIONS"})
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        allowed = getattr(view_class, "http_method_names", VIEW_METHODS)
        return [m.upper() for m in VIEW_METHODS if m in allowed and hasattr(view_class, m)]
    seen, func = set(), callback
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (list, tuple, set, frozenset)) and value and \
                    all(isinstance(v, str) and v.upper() in HTTP for v in value):
                methods = sorted({v.upper() for v in value} - {"HEAD", "OPTIONS"})
                return methods or ["GET"]
        func = getattr(func, "__wrapped__", None)
    return None


def _drf_function(view: Any) -> Any:
    """The function an ``@api_view`` decorated: DRF wraps it in a class defined inside DRF (which names
    itself after the function but has no source of its own), whose handlers call it."""
    if not (isinstance(view, type) and "WrappedAPIView" in getattr(view, "__qualname__", "")):
        return view
    for method in VIEW_METHODS:
        for cell in getattr(getattr(view, method, None), "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if callable(value) and getattr(value, "__name__", None) == view.__name__:
                return value
    return view


def walk(patterns: list[Any], prefix: str, out: dict[str, Any], locate: Locate, name: Name,
         summary: Callable[[Any], str], urlconf: str | None) -> None:
    """Record the URLPatterns under ``patterns``; ``urlconf`` is the file of the module declaring them."""
    urls = importlib.import_module("django.urls")
    regex_pattern = importlib.import_module("django.urls.resolvers").RegexPattern

    for entry in patterns:
        raw = str(entry.pattern)
        part = regex_path(raw) if isinstance(entry.pattern, regex_pattern) else route_path(raw)
        if part is None:
            reason = f"regular expression {raw!r} is not a plain path; its routes are not listed"
            out["notes"].append({"path": "/" + prefix + raw, "file": urlconf, "line": 0, "reason": reason})
            continue
        if isinstance(entry, urls.URLResolver):
            module_file = getattr(entry.urlconf_module, "__file__", None)  # include([...]) has none
            walk(entry.url_patterns, prefix + part, out, locate, name, summary,
                 os.path.abspath(module_file) if module_file else urlconf)
            continue
        if not isinstance(entry, urls.URLPattern):
            continue
        callback = entry.callback
        view = _drf_function(getattr(callback, "view_class", None) or getattr(callback, "cls", None) or callback)
        file, line = locate(view)
        methods = declared_methods(callback)
        path = "/" + prefix + part
        if methods is None and file is not None:
            out["notes"].append({"path": path, "file": file, "line": line,
                                 "reason": f"view {name(view)} does not declare its HTTP methods; recorded as GET"})
        out["routes"].append({
            "methods": methods or ["GET"], "path": path, "path_params": re.findall(r"\{(\w+)\}", path),
            "handler": name(view), "file": file, "line": line, "include_in_schema": True, "kind": "django",
            "summary": summary(view), "tags": [], "auth": [], "response_model": None, "request_model": None,
            "status_codes": [], "name": entry.name,
        })


def models(out: dict[str, Any], locate: Locate) -> None:
    apps = importlib.import_module("django.apps").apps
    for model in apps.get_models():
        meta = model._meta
        file, line = locate(model)
        if meta.proxy or not meta.managed:
            continue
        fields = [f for f in meta.get_fields(include_parents=False)
                  if getattr(f, "concrete", False) and getattr(f, "column", None) and not f.many_to_many]
        column = {f.name: f.column for f in fields}
        out["models"].append({
            "name": model.__name__, "table": meta.db_table, "file": file, "line": line,
            "columns": [{
                "name": f.column, "type": f.get_internal_type(), "nullable": bool(f.null),
                "primary_key": bool(f.primary_key), "unique": bool(f.unique and not f.primary_key),
                "index": bool(f.db_index and not f.primary_key),
                "foreign_key": (f"{f.related_model._meta.db_table}.{f.target_field.column}"
                                if f.many_to_one or f.one_to_one else None),
            } for f in fields],
            "indexes": [
                *({"name": i.name, "unique": False,
                   "columns": [column.get(n.lstrip("-"), n.lstrip("-")) for n in i.fields]} for i in meta.indexes),
                *({"name": c.name, "unique": True, "columns": [column.get(n, n) for n in c.fields]}
                  for c in meta.constraints if type(c).__name__ == "UniqueConstraint" and c.fields),
            ],
            "relations": [{"name": f.name, "target": f.related_model.__name__, "uselist": bool(f.many_to_many)}
                          for f in meta.get_fields(include_parents=False)
                          if f.is_relation and f.concrete and f.related_model is not None],
        })


def inventory(settings: str, out: dict[str, Any], locate: Locate, name: Name, summary: Callable[[Any], str]) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    importlib.import_module("django").setup()
    resolver = importlib.import_module("django.urls").get_resolver()
    root_file = getattr(resolver.urlconf_module, "__file__", None)
    walk(list(resolver.url_patterns), "", out, locate, name, summary, os.path.abspath(root_file) if root_file else None)
    models(out, locate)
