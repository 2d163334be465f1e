"""The route probe: run by the TARGET's interpreter, never imported by backend-orchestrator.

    python probe.py --app shop.main:app --out FILE [--sys-path DIR]... [--auth-pattern RE] ...
    python probe.py --framework django --settings mysite.settings --out FILE

The working directory is the project root. The probe imports the app (calling it first when the
attribute is a factory function such as ``create_app``), lists its real routes — FastAPI through
``fastapi.routing.iter_route_contexts`` (FastAPI >= 0.137.2 includes routers lazily) or the flat
``app.routes`` on older versions, Flask through ``app.url_map``, Django through the URL resolver
(``probe_django.py``) — and writes one JSON document to ``--out``. File paths in it are absolute;
the caller makes them relative to the project root.

Only the standard library is imported at the top: the target's interpreter need not have
backend-orchestrator installed. Exit status: 0 written; 3 the app could not be loaded (``error`` in
the output, the traceback in the log); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import traceback
import typing
from collections.abc import Iterator
from types import ModuleType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SKIPPED_METHODS = frozenset({"HEAD", "OPTIONS"})
_QUALIFIER = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])")


class AppError(Exception):
    """The app could not be found or is not of a framework the probe knows."""


# -- where things are defined --------------------------------------------------------------------------
def unwrapped(obj: Any) -> Any:
    while isinstance(obj, functools.partial):
        obj = obj.func
    try:
        return inspect.unwrap(obj)
    except ValueError:  # a __wrapped__ cycle
        return obj


def handler_name(obj: Any) -> str:
    """``module:qualname`` of a function or class; of its type for a callable instance."""
    target = unwrapped(obj)
    if not (inspect.isfunction(target) or inspect.isclass(target) or inspect.ismethod(target)):
        target = type(target)
    return f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', repr(target))}"


def location(obj: Any) -> tuple[str | None, int]:
    """(absolute source file, line of its ``def``/``class``) or (None, 0) when it has no source."""
    target = unwrapped(obj)
    if not (inspect.isfunction(target) or inspect.isclass(target) or inspect.ismethod(target)):
        target = type(target)
    try:
        file = inspect.getsourcefile(target)
        lines, start = inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None, 0
    if file is None:
        return None, 0
    offset = next((i for i, text in enumerate(lines)
                   if text.lstrip().startswith(("def ", "async def ", "class "))), 0)
    return os.path.abspath(file), max(start, 1) + offset


def summary_of(obj: Any) -> str:
    doc = inspect.getdoc(unwrapped(obj)) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def type_name(annotation: Any) -> str | None:
    """``OrderRead``, ``list[OrderRead]``: the annotation without module qualifiers."""
    if annotation is None or annotation is inspect.Parameter.empty:
        return None
    if inspect.isclass(annotation) and not typing.get_args(annotation):
        return str(annotation.__name__)
    return _QUALIFIER.sub("", repr(annotation))


def brace_params(path: str) -> list[str]:
    return [p.split(":", 1)[0] for p in re.findall(r"\{([^{}]+)\}", path)]


# -- FastAPI ---------------------------------------------------------------------------------------------
class Auth:
    """Whether a dependency authenticates: a security scheme, a configured name, or an auth-like name
    that is not a database session; a dependency authenticates too when one of its own does."""

    def __init__(self, pattern: str, session_pattern: str, names: list[str]) -> None:
        self.pattern = re.compile(pattern, re.IGNORECASE)
        self.session = re.compile(session_pattern, re.IGNORECASE)
        self.names = frozenset(names)
        from fastapi.security.base import SecurityBase

        self.security_base: Any = SecurityBase

    @staticmethod
    def name(call: Any) -> str:
        target = unwrapped(call)
        if inspect.isfunction(target) or inspect.isclass(target) or inspect.ismethod(target):
            return str(target.__name__)
        return type(target).__name__

    def names_of(self, dependant: Any) -> list[str]:
        found = [self.name(d.call) for d in dependant.dependencies if self.authenticates(d)]
        return list(dict.fromkeys(found))

    def authenticates(self, dependant: Any, depth: int = 0) -> bool:
        call = dependant.call
        if isinstance(call, self.security_base):
            return True
        name = self.name(call)
        if name in self.names or self._auth_name(name, call):
            return True
        return depth < 3 and any(self.authenticates(d, depth + 1) for d in dependant.dependencies)

    def _auth_name(self, name: str, call: Any) -> bool:
        if not self.pattern.search(name) or self.session.match(name):
            return False
        try:
            returns = inspect.signature(call).return_annotation
        except (TypeError, ValueError):
            returns = None
        return "Session" not in repr(returns)


def route_contexts(app: Any) -> Iterator[Any]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI < 0.137.2: included routes are flat in app.routes
        yield from app.routes
        return
    yield from iter_route_contexts(app.routes)


def fastapi_inventory(app: Any, auth: Auth, out: dict[str, Any]) -> None:
    from fastapi.routing import APIRoute
    from starlette.routing import Mount, Route

    for rc in route_contexts(app):
        original = getattr(rc, "original_route", rc)
        path = getattr(rc, "path", None) or ""
        if isinstance(original, Mount):
            out["notes"].append({"path": path, "reason": f"mount {path or '/'} ({type(original.app).__name__}): "
                                                         "the routes of a mounted app are not listed"})
            continue
        if not isinstance(original, (APIRoute, Route)) or getattr(rc, "endpoint", None) is None:
            continue  # websockets and other non-HTTP routes
        try:
            out["routes"].append(fastapi_route(rc, isinstance(original, APIRoute), auth))
        except Exception as exc:  # one odd route must not hide the others
            file, line = location(rc.endpoint)
            out["notes"].append({"path": path, "file": file, "line": line,
                                 "reason": f"route {path} could not be read: {type(exc).__name__}: {exc}"})
    try:
        out["openapi"] = app.openapi()
    except Exception as exc:  # a broken model must not hide the routes
        out["openapi_error"] = f"{type(exc).__name__}: {exc}"


def fastapi_route(rc: Any, api: bool, auth: Auth) -> dict[str, Any]:
    """One route, from the effective values of its route context (or the APIRoute, on old FastAPI)."""
    endpoint, path = rc.endpoint, rc.path
    file, line = location(endpoint)
    record: dict[str, Any] = {
        "methods": sorted(set(rc.methods or ()) - SKIPPED_METHODS) or ["GET"],
        "path": path, "path_params": brace_params(path), "handler": handler_name(endpoint), "file": file,
        "line": line, "include_in_schema": bool(getattr(rc, "include_in_schema", True)),
        "kind": "api" if api else "route", "summary": summary_of(endpoint), "tags": [], "auth": [],
        "response_model": None, "request_model": None, "status_codes": [],
    }
    if api:
        dependant = rc.dependant
        bodies = list(getattr(dependant, "body_params", None) or [])
        body = getattr(getattr(bodies[0], "field_info", None), "annotation", None) or \
            getattr(bodies[0], "type_", None) if len(bodies) == 1 else None
        responses = [int(k) for k in (getattr(rc, "responses", None) or {}) if str(k).isdigit()]
        record.update(
            summary=getattr(rc, "summary", None) or record["summary"],
            tags=[str(getattr(t, "value", t)) for t in (getattr(rc, "tags", None) or [])],
            auth=auth.names_of(dependant),
            response_model=type_name(getattr(rc, "response_model", None)),
            request_model=type_name(body),
            status_codes=sorted({int(getattr(rc, "status_code", None) or 200), *responses}),
        )
    return record


# -- Flask -----------------------------------------------------------------------------------------------
_FLASK_PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def flask_inventory(app: Any, out: dict[str, Any]) -> None:
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if view is None:
            continue
        view = getattr(view, "view_class", view)  # MethodView.as_view()
        path = _FLASK_PARAM.sub(r"{\1}", rule.rule)
        file, line = location(view)
        out["routes"].append({
            "methods": sorted(set(rule.methods or ()) - SKIPPED_METHODS) or ["GET"],
            "path": path, "path_params": brace_params(path), "handler": handler_name(view),
            "file": file, "line": line, "include_in_schema": True, "kind": "flask",
            "summary": summary_of(view), "tags": [], "auth": [], "response_model": None,
            "request_model": None, "status_codes": [],
        })


# -- loading the app -------------------------------------------------------------------------------------
def framework_of(app: Any) -> str | None:
    for cls in type(app).__mro__:
        module = cls.__module__.split(".", 1)[0]
        if (module, cls.__name__) == ("fastapi", "FastAPI"):
            return "fastapi"
        if (module, cls.__name__) == ("flask", "Flask"):
            return "flask"
    return None


def load_app(spec: str) -> tuple[Any, str]:
    if not re.fullmatch(r"[\w.]+:[\w.]+", spec):
        raise AppError(f"app {spec!r} is not of the form module:attribute")
    module_name, _, attribute = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise AppError(f"module {module_name!r} has no attribute {attribute!r}")
        obj = getattr(obj, part)
    if framework_of(obj) is None and (inspect.isfunction(obj) or inspect.ismethod(obj)):
        obj = obj()  # an app factory: create_app()
    framework = framework_of(obj)
    if framework is None:
        raise AppError(f"{spec} is a {type(obj).__module__}.{type(obj).__qualname__}, not a FastAPI or Flask app")
    return obj, framework


def sibling(name: str) -> ModuleType:
    """A probe module next to this one, loaded by path so that our folder never shadows the target's."""
    spec = importlib.util.spec_from_file_location(f"_backend_orchestrator_{name}", os.path.join(HERE, f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="probe.py")
    parser.add_argument("--app")
    parser.add_argument("--framework", choices=["django"])
    parser.add_argument("--settings")
    parser.add_argument("--out", required=True)
    parser.add_argument("--sys-path", action="append", default=[])
    parser.add_argument("--auth-pattern", default=r"auth|token|current_user")
    parser.add_argument("--session-pattern", default=r"^(get_)?(db_)?sessions?$")
    parser.add_argument("--auth-name", action="append", default=[])
    args = parser.parse_args(argv)
    if bool(args.app) == bool(args.framework):
        parser.error("give either --app MODULE:ATTR or --framework django --settings MODULE")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # the target's folders first; this file's folder never (it would shadow the target's modules)
    sys.path[:] = [*args.sys_path, *(p for p in sys.path if os.path.abspath(p or ".") != HERE)]
    out: dict[str, Any] = {"python": sys.executable, "version": sys.version.split()[0], "routes": [], "notes": [],
                           "models": [], "openapi": None, "openapi_error": None}
    try:
        if args.framework == "django":
            out["framework"], out["app"] = "django", args.settings
            sibling("probe_django").inventory(args.settings, out, location, handler_name, summary_of)
            out["app_file"] = module_file(args.settings)
        else:
            app, framework = load_app(args.app)
            out["framework"], out["app"] = framework, args.app
            out["app_file"] = module_file(args.app.partition(":")[0])
            if framework == "fastapi":
                fastapi_inventory(app, Auth(args.auth_pattern, args.session_pattern, args.auth_name), out)
            else:
                flask_inventory(app, out)
    except BaseException as exc:  # any failure of the target's import (even sys.exit) is the answer
        if isinstance(exc, KeyboardInterrupt):
            raise
        traceback.print_exc()
        error = str(exc) if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
        write(args.out, {"error": error.strip().splitlines()[0] if error.strip() else type(exc).__name__})
        return 3
    write(args.out, out)
    return 0


def module_file(name: str) -> str | None:
    file = getattr(sys.modules.get(name), "__file__", None)
    return os.path.abspath(file) if file else None


def write(path: str, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, default=repr, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
