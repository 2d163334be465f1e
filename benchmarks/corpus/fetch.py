"""Fetch the corpus of real backends (apps.yaml) into a cache outside the repository.

Each app's pinned file is downloaded from PyPI with `pip download --no-deps` (nothing is installed: the gates
only read the source), its sha256 checked (a mismatch is an error naming both hashes) and unpacked into
`<cache>/<name>-<version>/` (wheels are zips, sdists tarballs read with `filter="data"`). Idempotent: an
unpacked copy whose marker names the expected hash is reused without asking PyPI. Prints JSON: a list of
{name, path, files, lines} (path is the project root; files and lines count the `.py` files of `source`).

`--install` also installs each app *with* its dependencies (and the `enumerate.extras` of apps.yaml) into its
own virtualenv `<cache>/venvs/<name>` (`python3 -m venv`, Python 3.11; hundreds of MB, minutes per app), so that
the app can be imported and its real routes listed (benchmarks/real_code.py's labels were made that way);
idempotent too (a marker names what was installed). Prints the venv's python per app then.

`--enumerate` installs each app that way, imports it in that interpreter as its `enumerate` section says (this
file runs there with `--list-routes`: FastAPI/Starlette routes through included routers and mounted sub-apps,
Flask's url_map, Django's URL resolver) and prints {name, inventory, excluded}: its own routes, `METHOD /path`
with `{name}` parameters, and what was left out, counted by why (see `inventory()`). labels/<name>.routes.yaml
holds that inventory, checked by reading.

Cache: --cache, else $BO_CORPUS_CACHE, else ~/.cache/backend-orchestrator/corpus.
Other benchmarks: `sys.path.insert(0, "benchmarks/corpus")`, then `load_apps()`, `fetch(name)`, `install(name)`,
`inventory(name)` and `apply_change(root, app, variant)` ("good" or a key of `change.bad`) on a copy of the root.

usage: python benchmarks/corpus/fetch.py [--cache DIR] [--install | --enumerate] [NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

APPS = Path(__file__).resolve().parent / "apps.yaml"
MARKER = ".corpus-sha256"
INSTALLED = ".corpus-installed"


class CorpusError(Exception):
    """An unknown app, a download that failed or did not match its pinned sha256, a missing root."""


def load_apps() -> list[dict[str, Any]]:
    """The apps of apps.yaml, in file order."""
    import yaml  # not at the top: the target's interpreter runs this file to list routes (--list-routes)

    apps: list[dict[str, Any]] = yaml.safe_load(APPS.read_text(encoding="utf-8"))["apps"]
    return apps


def default_cache() -> Path:
    env = os.environ.get("BO_CORPUS_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "backend-orchestrator" / "corpus"


def _app(name: str) -> dict[str, Any]:
    apps = {app["name"]: app for app in load_apps()}
    if name not in apps:
        raise CorpusError(f"unknown app {name!r}; apps.yaml has {sorted(apps)}")
    return apps[name]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(app: dict[str, Any], downloads: Path) -> Path:
    """The pinned file in `downloads`, fetched with pip unless it is already there with the right hash."""
    target = Path(downloads, app["filename"])
    if not (target.is_file() and _sha256(target) == app["sha256"]):
        wheel = target.name.endswith(".whl")
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python", "--quiet",
                "--only-binary=:all:" if wheel else "--no-binary=:all:", "-d", str(downloads),
                f"{app['pypi']}=={app['version']}"]
        subprocess.run(argv, check=True, timeout=900)
        if not target.is_file():
            raise CorpusError(f"{app['name']}: pip did not save {target.name} in {downloads}")
    found = _sha256(target)
    if found != app["sha256"]:
        raise CorpusError(f"{app['name']}: sha256 of {target} is {found}, apps.yaml pins {app['sha256']}")
    return target


def _unpack(archive: Path, into: Path) -> None:
    if archive.name.endswith(".whl") or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(into)
    else:
        with tarfile.open(archive) as tarred:
            tarred.extractall(into, filter="data")


def fetch(name: str, cache: Path | None = None) -> Path:
    """Download, verify and unpack one app (once); return its project root."""
    app = _app(name)
    cache = (cache or default_cache()).expanduser().resolve()
    folder = cache / f"{app['name']}-{app['version']}"
    marker = folder / MARKER
    if not (marker.is_file() and marker.read_text(encoding="utf-8").strip() == app["sha256"]):
        cache.mkdir(parents=True, exist_ok=True)
        archive = _download(app, cache / "downloads")
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache))
        try:
            _unpack(archive, staging)
            (staging / MARKER).write_text(app["sha256"] + "\n", encoding="utf-8")
            staging.chmod(0o755)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    root = Path(folder, app["root"]).resolve()
    if not root.is_dir():
        raise CorpusError(f"{app['name']}: root {app['root']!r} is not a folder of {folder}")
    return root


def install(name: str, cache: Path | None = None) -> Path:
    """Install one app with its dependencies into `<cache>/venvs/<name>` (once); return the venv's python.

    The requirement is `pypi[extras]==version` (extras from the app's `enumerate.extras`); the interpreter is
    $BO_CORPUS_PYTHON, else `python3` (3.11 here). A venv whose marker names the same requirement is reused.
    """
    app = _app(name)
    cache = (cache or default_cache()).expanduser().resolve()
    venv = cache / "venvs" / str(app["name"])
    python: Path = venv / "bin" / "python"
    extras = (app.get("enumerate") or {}).get("extras") or []
    requirement = f"{app['pypi']}{'[' + ','.join(extras) + ']' if extras else ''}=={app['version']}"
    wanted = [requirement, *((app.get("enumerate") or {}).get("pip") or [])]
    marker = venv / INSTALLED
    if marker.is_file() and marker.read_text(encoding="utf-8").split("\n")[0] == " ".join(wanted):
        return python
    if not python.is_file():
        base = os.environ.get("BO_CORPUS_PYTHON") or shutil.which("python3") or sys.executable
        subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=600)
    marker.unlink(missing_ok=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools", "wheel"],
                   check=True, timeout=900)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted], check=True, timeout=5400)
    frozen = subprocess.run([str(python), "-m", "pip", "freeze"], check=True, capture_output=True, text=True,
                            timeout=300).stdout
    marker.write_text(" ".join(wanted) + "\n" + frozen, encoding="utf-8")
    return python


# -- an app's real routes, listed by importing it in its own venv -----------------------------------------
# `routes(name)` runs THIS file with the app's interpreter (`--list-routes`); the functions up to `routes`
# run there and use the standard library only (the framework is imported from the target's site-packages).
_FLASK_PARAM = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_DJANGO_PARAM = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
VIEW_METHODS = ("get", "post", "put", "patch", "delete")
# Django's generic views answer these by calling another handler (PUT -> post, anything -> get): not declared
DJANGO_ALIASES = frozenset({"ProcessFormView.put", "RedirectView.post", "RedirectView.put", "RedirectView.patch",
                            "RedirectView.delete"})
DOCS = frozenset({"openapi.json", "docs", "redoc", "oauth2-redirect"})  # an app's own copy of the framework's docs


def _where(obj: Any) -> tuple[str | None, str]:
    """(the file of the module that defines the view, `module:qualname`)."""
    import functools
    import inspect

    while isinstance(obj, functools.partial):
        obj = obj.func
    obj = getattr(obj, "view_class", None) or getattr(obj, "cls", None) or obj
    with contextlib.suppress(ValueError):  # a __wrapped__ cycle
        obj = inspect.unwrap(obj)
    if not (inspect.isfunction(obj) or inspect.isclass(obj) or inspect.ismethod(obj)):
        obj = type(obj)
    module = getattr(obj, "__module__", None) or "?"
    file = getattr(sys.modules.get(module), "__file__", None)
    return (os.path.realpath(file) if file else None), f"{module}:{getattr(obj, '__qualname__', '?')}"


def _route(methods: Any, path: str, view: Any, kind: str, **extra: Any) -> dict[str, Any]:
    file, handler = _where(view)
    return {"methods": None if methods is None else sorted(methods), "path": path, "file": file,
            "handler": handler, "kind": kind, **extra}


def _starlette(routes: Any, prefix: str, out: list[dict[str, Any]]) -> None:
    """FastAPI/Starlette routes, through FastAPI's lazily included routers and into mounted sub-apps."""
    import fastapi.routing

    contexts = fastapi.routing.iter_route_contexts(routes) if hasattr(fastapi.routing, "iter_route_contexts") \
        else routes
    for rc in contexts:
        route = getattr(rc, "original_route", rc)
        path = prefix + (getattr(rc, "path", None) or "")
        if type(route).__name__ == "Mount":
            if hasattr(route.app, "router") or getattr(route, "routes", None):
                _asgi(route.app if hasattr(route.app, "router") else route, path, out)
            else:
                out.append(_route(None, path + "/{path}", route.app, "mount"))
        elif getattr(rc, "endpoint", None) is not None:
            methods = set(getattr(rc, "methods", None) or ["WEBSOCKET"])
            if not isinstance(route, fastapi.routing.APIRoute) and "GET" in methods:
                methods.discard("HEAD")  # Starlette adds HEAD to a GET route; FastAPI's are as declared
            out.append(_route(methods, path, rc.endpoint, "fastapi",
                              include_in_schema=bool(getattr(rc, "include_in_schema", True))))


def _asgi(app: Any, prefix: str, out: list[dict[str, Any]]) -> None:
    """An app's (or a mount's) routes; a Cadwyn app's versioned routers too, built as its first request would."""
    if hasattr(app, "_cadwyn_initialize") and not getattr(app, "_cadwyn_initialized", True):
        app._cadwyn_initialize()
    _starlette(app.routes, prefix, out)
    for router in (getattr(getattr(app, "router", None), "versioned_routers", None) or {}).values():
        _starlette(router.routes, prefix, out)


def _django_part(pattern: Any) -> tuple[str, bool]:
    """A URL pattern as a path with {name} parameters, and whether it is still a regular expression."""
    raw = str(pattern)
    if type(pattern).__name__ != "RegexPattern":
        return _DJANGO_PARAM.sub(r"{\1}", raw), False
    text, out, i = raw.removeprefix("^").removesuffix("$").removesuffix("\\Z"), [], 0
    while i < len(text):
        if text[i] == "(":
            depth, j = 1, i + 1
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0) if text[j - 1] != "\\" else 0
                j += 1
            named = re.match(r"\(\?P<(\w+)>", text[i:])
            out.append("{" + (named.group(1) if named else "") + "}")
            i = j
        elif text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    path = "".join(out)
    return path, bool(re.search(r"[\^$*+?\[\]|]", path))


def _django_methods(callback: Any) -> list[str] | None:
    """DRF actions, a class-based view's handlers (not Django's aliases), `require_http_methods`' list; None: any
    method."""
    actions = getattr(callback, "actions", None)
    if isinstance(actions, dict) and actions:
        return sorted({m.upper() for m in actions} - {"HEAD", "OPTIONS"})
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is not None:
        allowed = getattr(cls, "http_method_names", VIEW_METHODS)
        handlers = [m.upper() for m in VIEW_METHODS if m in allowed and hasattr(cls, m)
                    and getattr(getattr(cls, m), "__qualname__", "") not in DJANGO_ALIASES]
        return handlers or None  # no handler: its own dispatch() answers every method
    func, seen = callback, set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (list, tuple, set)) and value and all(
                    isinstance(v, str) and v.lower() in (*VIEW_METHODS, "head", "options") for v in value):
                return sorted({v.upper() for v in value} - {"HEAD", "OPTIONS"}) or ["GET"]
        func = getattr(func, "__wrapped__", None)
    return None


def _django(patterns: Any, prefix: str, regex: bool, out: list[dict[str, Any]], methods: Any) -> None:
    """The URL patterns under a prefix; `methods(callback)` (from the app's `setup`) may answer for a view."""
    for entry in patterns:
        part, is_regex = _django_part(entry.pattern)
        if hasattr(entry, "url_patterns"):
            _django(entry.url_patterns, prefix + part, regex or is_regex, out, methods)
        else:
            declared = methods(entry.callback) if methods else None
            out.append(_route(declared if declared is not None else _django_methods(entry.callback),
                              "/" + prefix + part, entry.callback, "django", regex=regex or is_regex,
                              name=entry.name))


def _list_routes(spec: dict[str, Any]) -> dict[str, Any]:
    """Import the app as `spec` says (in the target's interpreter) and list every route it serves."""
    import importlib

    space: dict[str, Any] = {"tmp": spec["tmp"]}
    if spec.get("setup"):
        exec(spec["setup"], space)  # apps.yaml's own code, in the target's interpreter
    out: list[dict[str, Any]] = []
    if spec["framework"] == "django":
        os.environ["DJANGO_SETTINGS_MODULE"] = spec["target"]
        importlib.import_module("django").setup()
        _django(importlib.import_module("django.urls").get_resolver().url_patterns, "", False, out,
                space.get("methods"))
        return {"routes": out}
    app = space.get("app")
    if app is None:
        module, _, attribute = spec["target"].partition(":")
        app = importlib.import_module(module)
        for part in attribute.split("."):
            app = getattr(app, part)
        if callable(app) and not hasattr(app, "routes") and not hasattr(app, "url_map"):
            app = app()  # a factory
    if spec["framework"] == "flask":
        for rule in app.url_map.iter_rules():
            view = app.view_functions.get(rule.endpoint)
            methods = set(rule.methods or ())  # less what werkzeug and Flask add: HEAD to GET, OPTIONS
            methods -= {"HEAD"} if "GET" in methods else set()
            methods -= {"OPTIONS"} if getattr(rule, "provide_automatic_options", True) else set()
            out.append(_route(methods, _FLASK_PARAM.sub(r"{\1}", rule.rule), view, "flask", endpoint=rule.endpoint))
    else:
        _asgi(app, "", out)
    return {"routes": out}


def routes(name: str, cache: Path | None = None, timeout: float = 900) -> dict[str, Any]:
    """Install the app, import it in its venv as apps.yaml's `enumerate` says and list its routes (raw)."""
    app = _app(name)
    spec = dict(app["enumerate"])
    python = install(name, cache)
    with tempfile.TemporaryDirectory(prefix=f"bo-enumerate-{name}-") as tmp:
        spec["tmp"] = tmp
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
               **{k: str(v).format(tmp=tmp) for k, v in (spec.get("env") or {}).items()}}
        out = Path(tmp, "routes.json")
        done = subprocess.run([str(python), str(Path(__file__).resolve()), "--list-routes", json.dumps(spec),
                               str(out)], cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout)
        if not out.is_file():
            raise CorpusError(f"{name}: listing its routes failed (exit {done.returncode}): {done.stderr[-2000:]}")
        listed: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return listed


def inventory(name: str, cache: Path | None = None) -> dict[str, Any]:
    """The app's own routes as `METHOD /path/{param}` (sorted), and what was left out, counted by why.

    Kept: routes whose view is defined in a file under the app's `source`, with the methods they declare: not
    the HEAD and OPTIONS that Starlette, werkzeug/Flask and Django/DRF add by themselves.
    A Django function view that does not restrict its methods is listed as GET, a class-based one with the
    handlers it has but Django's aliases (a form view's PUT, a RedirectView's POST...); Django regex routes that
    are no plain path (DRF's format-suffix variants) are left out; so are websockets, mounted non-ASGI apps
    (static files) and API-docs routes (`.../openapi.json`, `/docs`, `/redoc`) even when the app overrides them.
    """
    from collections import Counter

    app = _app(name)
    kept: set[str] = set()
    excluded: Counter[str] = Counter()
    for route in routes(name, cache)["routes"]:
        file = route["file"] or ""
        relative = file.split("/site-packages/", 1)[1] if "/site-packages/" in file else file
        mine = any(relative.startswith(folder.rstrip("/") + "/") for folder in app["source"])
        module = route["handler"].split(":", 1)[0]
        if not mine:
            own = any(module.startswith(folder.split("/", 1)[0] + ".") for folder in app["source"])
            excluded[f"outside source: {module if own else module.split('.', 1)[0]}"] += 1
        elif route.get("regex"):
            excluded["regular-expression route (format suffix)" if "{format}" in route["path"]
                     else "regular-expression route"] += 1
        elif route["path"].rstrip("/").rsplit("/", 1)[-1] in DOCS:
            excluded[f"API docs: {route['handler']}"] += 1
        elif route["kind"] == "mount" or route["methods"] == ["WEBSOCKET"]:
            excluded[f"{route['kind']}: {route['handler']}"] += 1
        else:
            if route["methods"] is None:
                excluded["(kept as GET) a view that answers any method (no method list, own dispatch)"] += 1
            methods = route["methods"] if route["methods"] is not None else ["GET"]
            path = re.sub(r"\{(\w+):[^{}]*\}", r"{\1}", route["path"])  # Starlette's {path:path}
            kept.update(f"{m} {path}" for m in methods)
    return {"name": name, "inventory": sorted(kept), "excluded": dict(sorted(excluded.items()))}


def apply_change(root: Path, app: dict[str, Any], variant: str = "good") -> Path:
    """Write the change's `good` code (or `bad[variant]["code"]`) into `root`; return the file it changed.

    The code is appended at the end of the file, or inserted after the line `anchor` when one is set.
    Run it on a copy: it edits `root` in place. Raises SyntaxError if the result does not parse.
    """
    change = app["change"]
    code = change["good"] if variant == "good" else change["bad"][variant]["code"]
    path = Path(root, change["file"])
    text = path.read_text(encoding="utf-8")
    anchor = change.get("anchor")
    if anchor:
        lines = text.splitlines(keepends=True)
        at = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == anchor]
        if len(at) != 1:
            raise ValueError(f"{app['name']}: anchor found {len(at)} times in {change['file']}: {anchor!r}")
        text = "".join([*lines[: at[0] + 1], "\n", code, *lines[at[0] + 1 :]])
    else:
        text = text.rstrip("\n") + "\n\n\n" + code
    ast.parse(text, filename=str(path))
    path.write_text(text, encoding="utf-8")
    return path


def _count(root: Path, source: list[str]) -> tuple[int, int]:
    files = [p for folder in source for p in (root / folder).rglob("*.py")]
    return len(files), sum(len(p.read_bytes().splitlines()) for p in files)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--list-routes"]:  # in the target's interpreter, from routes()
        listed = _list_routes(json.loads(argv[1]))
        Path(argv[2]).write_text(json.dumps(listed, default=repr), encoding="utf-8")
        sys.stdout.flush()
        os._exit(0)  # the app may have started threads (workers, schedulers) that would keep it alive
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="default: $BO_CORPUS_CACHE, else ~/.cache/backend-orchestrator/…")
    parser.add_argument("--install", action="store_true", help="also install each app with its dependencies "
                        "into <cache>/venvs/<name> (to import it)")
    parser.add_argument("--enumerate", action="store_true", help="import each app in its venv (installed first) "
                        "and print its own routes instead (see inventory())")
    parser.add_argument("names", nargs="*", help="apps to fetch (default: all)")
    args = parser.parse_args(argv)
    names = args.names or [app["name"] for app in load_apps()]
    out = []
    for name in names:
        try:
            if args.enumerate:
                out.append(inventory(name, args.cache))
                continue
            root = fetch(name, args.cache)
            python = install(name, args.cache) if args.install else None
        except (CorpusError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        files, lines = _count(root, _app(name)["source"])
        row: dict[str, Any] = {"name": name, "path": str(root), "files": files, "lines": lines}
        if python is not None:
            row["python"] = str(python)
        out.append(row)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
