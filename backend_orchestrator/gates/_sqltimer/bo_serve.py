"""Serve the target app, or run its seed, in the TARGET's interpreter (stdlib only; never imported by us).

``python bo_serve.py serve PORT INFO``: imports ``BO_TARGET_APP`` (``module:attr``; an attribute that is
a plain function taking no arguments is a factory and is called once), decides its interface
(``BO_SERVE_INTERFACE``: ``asgi``, ``wsgi`` or ``auto`` — an async ``__call__`` or three positional
parameters is ASGI, two ``(environ, start_response)`` is WSGI, as Flask and Django apps are), wraps it
so that ``bo_request.current`` names each request for the SQL timer: the route and a counter,
``"GET /api/v1/orders/{order_id} #17"`` when the load driver named its target in the ``X-BO-Target``
header (so the timer's per-route stats line up with the gate's targets), else the method and the
raw path, ``"GET /api/v1/orders/3 #17"``. It then writes ``{"server", "interface", "detail"}`` to
INFO and serves the app on 127.0.0.1:PORT:

- ASGI: uvicorn;
- WSGI: gunicorn (one process, gthread, 10 threads) if installed, else waitress (10 threads), else
  uvicorn's WSGI interface (10 threads; it uses a2wsgi when installed, else its own deprecated adapter).

``python bo_serve.py seed module:function OUT``: calls the function (``asyncio.run`` for a coroutine
function) and writes what it returned, ``{"headers": {str: str}, "values": {str: scalar}}``, to OUT
with mode 0600. It prints names only, never a value: the headers are credentials.

Exit code 2 with one line on stderr when the app, the seed or a server cannot be found or used.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import itertools
import json
import os
import sys
from typing import Any

# Beside this file (the folder is first on sys.path); imported by name so that the timer shares it.
bo_request = importlib.import_module("bo_request")

TARGET_HEADER = "X-BO-Target"  # the load driver's name for the request's target
THREADS = 10  # what uvicorn's WSGI adapter uses: the WSGI servers get the same concurrency


class Unusable(Exception):
    """The app, the seed or a server cannot be used; the message says what to change."""


def load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise Unusable(f"{spec!r}: {module_name} has no attribute {attr!r}") from None
    return obj


def positional(fn: Any) -> int | None:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def detect(obj: Any) -> str | None:
    """'asgi', 'wsgi', or None when the object's shape says neither."""
    if not callable(obj) or inspect.isclass(obj):
        return None
    call = obj if inspect.isfunction(obj) or inspect.ismethod(obj) else obj.__call__
    if inspect.iscoroutinefunction(call):
        return "asgi"
    return {3: "asgi", 2: "wsgi"}.get(positional(call) or 0)


def resolve(spec: str, wanted: str) -> tuple[Any, str]:
    app = load(spec)
    if inspect.isfunction(app) and positional(app) == 0 and not inspect.iscoroutinefunction(app):
        app = app()  # a factory such as create_app()
    interface = detect(app) if wanted == "auto" else wanted
    if interface is None:
        raise Unusable(f"{spec!r} is neither an ASGI app (async __call__(scope, receive, send)) nor a WSGI app "
                       "(__call__(environ, start_response)); set serve.interface or point `app` at the app object")
    return app, interface


def tag_asgi(app: Any) -> Any:
    counter = itertools.count(1)

    async def tagged(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        named = dict(scope.get("headers") or []).get(TARGET_HEADER.lower().encode("latin-1"))
        route = named.decode("latin-1") if named else f"{scope.get('method', '?')} {scope.get('path', '?')}"
        token = bo_request.current.set(f"{route} #{next(counter)}")
        try:
            await app(scope, receive, send)
        finally:
            bo_request.current.reset(token)

    return tagged


class _Body:
    """The WSGI response iterable, iterated and closed with the request's label set."""

    def __init__(self, result: Any, label: str) -> None:
        self.result, self.label = result, label

    def __iter__(self) -> Any:
        token = bo_request.current.set(self.label)
        try:
            yield from self.result
        finally:
            bo_request.current.reset(token)

    def close(self) -> None:
        close = getattr(self.result, "close", None)
        if close is not None:
            token = bo_request.current.set(self.label)
            try:
                close()
            finally:
                bo_request.current.reset(token)


def tag_wsgi(app: Any) -> Any:
    counter = itertools.count(1)

    def tagged(environ: dict[str, Any], start_response: Any) -> Any:
        route = environ.get("HTTP_" + TARGET_HEADER.upper().replace("-", "_")) or (
            f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '?')}")
        label = f"{route} #{next(counter)}"
        token = bo_request.current.set(label)
        try:
            result = app(environ, start_response)
        finally:
            bo_request.current.reset(token)
        return _Body(result, label)

    return tagged


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def uvicorn_run(app: Any, port: int, interface: str) -> None:
    if not installed("uvicorn"):
        raise Unusable(f"uvicorn is not installed in the target's interpreter ({sys.executable} -m pip install "
                       "uvicorn)" + (", nor gunicorn or waitress" if interface == "wsgi" else ""))
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, interface="asgi3" if interface == "asgi" else "wsgi",
                log_level="warning", access_log=False, lifespan="auto" if interface == "asgi" else "off")


def gunicorn_run(app: Any, port: int) -> None:
    base: Any = importlib.import_module("gunicorn.app.base").BaseApplication

    class Application(base):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {"bind": f"127.0.0.1:{port}", "workers": 1, "worker_class": "gthread",
                               "threads": THREADS, "accesslog": None, "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Application().run()


def choose(interface: str) -> tuple[str, str]:
    """The server to use, and a note for the summary."""
    if interface == "asgi":
        return "uvicorn", ""
    if installed("gunicorn"):
        return "gunicorn", f"gthread, {THREADS} threads"
    if installed("waitress"):
        return "waitress", f"{THREADS} threads"
    adapter = "a2wsgi" if installed("a2wsgi") else "uvicorn's deprecated WSGI adapter: pip install a2wsgi"
    return "uvicorn", adapter


def serve(port: int, info_path: str) -> None:
    sys.path.insert(0, os.environ.get("BO_APP_DIR") or os.getcwd())
    app, interface = resolve(os.environ["BO_TARGET_APP"], os.environ.get("BO_SERVE_INTERFACE", "auto"))
    server, detail = choose(interface)
    with open(info_path, "w", encoding="utf-8") as info:
        json.dump({"server": server, "interface": interface, "detail": detail}, info)
    wrapped = tag_asgi(app) if interface == "asgi" else tag_wsgi(app)
    if server == "gunicorn":
        gunicorn_run(wrapped, port)
    elif server == "waitress":
        importlib.import_module("waitress").serve(wrapped, host="127.0.0.1", port=port, threads=THREADS, _quiet=True)
    else:
        uvicorn_run(wrapped, port, interface)


def seed(spec: str, out_path: str) -> None:
    sys.path.insert(0, os.environ.get("BO_APP_DIR") or os.getcwd())
    fn = load(spec)
    if not callable(fn):
        raise Unusable(f"seed {spec!r} is not a function")
    returned = asyncio.run(fn()) if inspect.iscoroutinefunction(fn) else fn()
    returned = {} if returned is None else returned
    if not isinstance(returned, dict) or set(returned) - {"headers", "values"}:
        raise Unusable(f"seed {spec!r} must return None or a dict with the keys 'headers' and 'values', "
                       f"got {type(returned).__name__}" + (f" with keys {sorted(map(str, returned))}"
                                                          if isinstance(returned, dict) else ""))
    headers, values = returned.get("headers") or {}, returned.get("values") or {}
    if not (isinstance(headers, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
        raise Unusable(f"seed {spec!r}: 'headers' must map header names to strings")
    if not (isinstance(values, dict) and all(isinstance(k, str) and isinstance(v, (str, int, float))
                                             and not isinstance(v, bool) for k, v in values.items())):
        raise Unusable(f"seed {spec!r}: 'values' must map names to strings or numbers")
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"headers": headers, "values": {k: str(v) for k, v in values.items()}}, out)
    print(f"seed {spec} returned {len(headers)} header(s) and the values: {', '.join(sorted(values)) or '(none)'}")


def main(argv: list[str]) -> int:
    try:
        if len(argv) == 4 and argv[1] == "serve":
            serve(int(argv[2]), argv[3])
        elif len(argv) == 4 and argv[1] == "seed":
            seed(argv[2], argv[3])
        else:
            print("usage: bo_serve.py serve PORT INFO | seed module:function OUT", file=sys.stderr)
            return 2
    except Unusable as exc:
        print(f"bo_serve: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
