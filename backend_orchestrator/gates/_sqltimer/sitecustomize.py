"""SQL statement timer injected into the TARGET's interpreter (never imported by backend-orchestrator).

The gates put this folder first on the subprocess's ``PYTHONPATH``; Python imports ``sitecustomize``
at start-up. When ``BO_SQL_TIMING_LOG`` names a file, a meta-path hook waits for ``sqlalchemy`` to be
imported and then listens to ``before_cursor_execute`` / ``after_cursor_execute`` on the ``Engine``
class, appending one JSON line per statement: ``{"sql": normalised, "ms": duration, "ctx": pytest
node id or null, "site": "path:line" of the first project frame or null, "many": executemany}``.
Harmless without SQLAlchemy (the hook never fires) and without the variable (nothing is installed).
A ``sitecustomize`` the target ships itself is still run (chained) after this one.

Stdlib only, standalone: it runs inside the target's interpreter, whatever is installed there.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from typing import Any

_LOG = os.environ.get("BO_SQL_TIMING_LOG", "")
_ROOT = os.environ.get("BO_SQL_TIMING_ROOT", "")
_MAX = 200_000  # lines per process: bounds the log of a long load run
_HERE = os.path.dirname(os.path.abspath(__file__))

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_PARAM = re.compile(r"%\(\w+\)s|%s|(?<!:):\w+|\$\d+|\?|__\[POSTCOMPILE_\w+\]")
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)
_VALUES = re.compile(r"\bVALUES\s*(\(\s*\?(?:\s*,\s*\?)*\s*\))(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_cache: dict[str, str] = {}
_state = {"fd": -1, "pid": 0, "lines": 0}


def normalise(sql: str) -> str:
    """Literals and parameters become ``?``, IN lists and multi-row VALUES collapse, whitespace too."""
    cached = _cache.get(sql)
    if cached is not None:
        return cached
    text = _STRING.sub("?", sql)
    text = _PARAM.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _SPACE.sub(" ", text).strip()
    text = _IN_LIST.sub("IN (?)", text)
    text = _VALUES.sub(r"VALUES \1", text)[:2000]
    if len(_cache) < 5000:
        _cache[sql] = text
    return text


def _site() -> str | None:
    """``relative/path.py:line`` of the innermost frame in the project (not a library), or None."""
    if not _ROOT:
        return None
    frame: Any = sys._getframe(2)
    prefix = _ROOT.rstrip("/") + "/"
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(prefix) and "-packages/" not in name and not name.startswith(_HERE):
            return f"{name[len(prefix):]}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _write(record: dict[str, Any]) -> None:
    if _state["pid"] != os.getpid():  # first write, or a forked worker: its own descriptor
        _state.update(fd=os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644), pid=os.getpid(), lines=0)
    if _state["lines"] >= _MAX:
        return
    _state["lines"] += 1
    os.write(_state["fd"], (json.dumps(record) + "\n").encode("utf-8"))  # one O_APPEND write per line


def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    conn.info.setdefault("_bo_sql_started", []).append(time.perf_counter())


def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    started = conn.info.get("_bo_sql_started")
    if not started:
        return
    ms = (time.perf_counter() - started.pop()) * 1000.0
    test = os.environ.get("PYTEST_CURRENT_TEST")
    with contextlib.suppress(Exception):  # the timer must never break the target
        _write({"sql": normalise(statement), "ms": round(ms, 3),
                "ctx": test.rsplit(" (", 1)[0] if test else None, "site": _site(), "many": bool(executemany)})


def _install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "before_cursor_execute", _before):
        event.listen(Engine, "before_cursor_execute", _before)
        event.listen(Engine, "after_cursor_execute", _after)


class _SQLAlchemyHook:
    """Meta-path finder: lets the real finder load ``sqlalchemy``, then installs the listeners."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "sqlalchemy":
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = spec.loader if spec is not None else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            with contextlib.suppress(Exception):  # an odd SQLAlchemy must not break the target
                _install()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _chain() -> None:
    """Run the ``sitecustomize`` that this one shadows, if the target has one."""
    import importlib.machinery

    others = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is not None and spec.loader is not None and spec.origin != os.path.abspath(__file__):
        import importlib.util

        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


if _LOG:
    if "sqlalchemy" in sys.modules:
        _install()
    else:
        sys.meta_path.insert(0, _SQLAlchemyHook())
if __name__ == "sitecustomize":  # not when a test loads this file under another name
    with contextlib.suppress(Exception):  # the target's own sitecustomize failing is its business, not ours
        _chain()
