"""SQL statement timer injected into the TARGET's interpreter (never imported by backend-orchestrator).

The gates put this folder first on the subprocess's ``PYTHONPATH``; Python imports ``sitecustomize``
at start-up. When ``BO_SQL_TIMING_LOG`` names a file, a meta-path hook waits for ``sqlalchemy`` to be
imported and then listens to ``before_cursor_execute`` / ``after_cursor_execute`` on the ``Engine``
class, appending one JSON line per statement: ``{"sql": normalised, "ms": duration, "ctx": pytest
the request being served (``bo_request.current``, e.g. ``"GET /api/v1/orders #17"``), else the
pytest node id, else null, "site": "path:line" of the first project frame or null, "many": executemany}``.

The first time a normalised SELECT is seen (at most ``_MAX_PLANS`` per process), its plan is asked
for on a new DBAPI cursor of the same connection, with the same parameters: ``EXPLAIN QUERY PLAN``
on SQLite, ``EXPLAIN (FORMAT JSON)`` on PostgreSQL (psycopg 2/3; never ANALYZE, so the statement is
not run again; inside a savepoint, so a failing EXPLAIN cannot abort the application's transaction).
It is logged as ``{"type": "plan", "sql": normalised, "dialect": ..., "plan": [lines]}``; every plan
line goes through :func:`normalise`, so no parameter value or literal reaches the log (PostgreSQL
prints the bound values in its conditions). Statements other than SELECT are never explained.

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
_MAX_PLANS = 100  # distinct statements explained per process
_EXPLAINABLE = {"sqlite": ("pysqlite",), "postgresql": ("psycopg2", "psycopg")}  # sync DBAPI cursors only
_CATALOG = ("sqlite_master", "sqlite_temp_master", "sqlite_schema", "pg_catalog", "information_schema",
            "alembic_version")
_HERE = os.path.dirname(os.path.abspath(__file__))

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_PARAM = re.compile(r"%\(\w+\)s|%s|(?<!:):\w+|\$\d+|\?|__\[POSTCOMPILE_\w+\]")
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)
_VALUES = re.compile(r"\bVALUES\s*(\(\s*\?(?:\s*,\s*\?)*\s*\))(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_cache: dict[str, str] = {}
_state = {"fd": -1, "pid": 0, "lines": 0}
_planned: set[str] = set()
_request: list[Any] = []  # [bo_request.current] once looked up, [None] when it cannot be imported


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


def _context() -> str | None:
    """The request being served, else the running pytest test, else None.

    The request first: it is set explicitly around each request by the serving wrapper, while
    ``PYTEST_CURRENT_TEST`` is process-wide (the gates drop an inherited one, see ``timer_env``)."""
    if not _request:
        try:  # bo_request sits next to this file; the serving wrapper (bo_serve) sets its contextvar
            import importlib

            _request.append(importlib.import_module("bo_request").current)
        except Exception:
            _request.append(None)
    request = _request[0].get() if _request[0] is not None else None
    if request:
        return str(request)
    test = os.environ.get("PYTEST_CURRENT_TEST")
    return test.rsplit(" (", 1)[0] if test else None


def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    started = conn.info.get("_bo_sql_started")
    if not started:
        return
    ms = (time.perf_counter() - started.pop()) * 1000.0
    with contextlib.suppress(Exception):  # the timer must never break the target
        sql = normalise(statement)
        _write({"sql": sql, "ms": round(ms, 3), "ctx": _context(), "site": _site(), "many": bool(executemany)})
        if not executemany and sql not in _planned and len(_planned) < _MAX_PLANS and _explainable(conn, sql):
            _planned.add(sql)
            _explain(conn, cursor, statement, parameters, sql)


def _explainable(conn: Any, sql: str) -> bool:
    """An application SELECT on a database and driver whose plan we know how to ask for."""
    return (conn.dialect.driver in _EXPLAINABLE.get(conn.dialect.name, ())
            and sql.lstrip("( ").upper().startswith("SELECT") and not any(n in sql.lower() for n in _CATALOG))


def _explain(conn: Any, cursor: Any, statement: str, parameters: Any, sql: str) -> None:
    """Log the plan of a SELECT (EXPLAIN is asked for; the statement itself is not run again)."""
    dialect = conn.dialect.name
    dbapi = cursor.connection
    plan = _sqlite_plan(dbapi, statement, parameters) if dialect == "sqlite" else \
        _postgres_plan(dbapi, statement, parameters)
    if plan:
        _write({"type": "plan", "sql": sql, "dialect": dialect, "plan": [_scrub(line) for line in plan[:60]]})


def _scrub(line: str) -> str:
    """A plan line with its literals and bound values replaced by ``?``, its indentation kept."""
    body = line.lstrip(" ")
    return line[: len(line) - len(body)] + normalise(body)


def _sqlite_plan(dbapi: Any, statement: str, parameters: Any) -> list[str]:
    """``EXPLAIN QUERY PLAN`` rows (id, parent, _, detail) as lines indented by depth."""
    explain = dbapi.cursor()
    try:
        explain.execute("EXPLAIN QUERY PLAN " + statement, parameters if parameters is not None else ())
        rows = explain.fetchall()
    finally:
        explain.close()
    depth: dict[int, int] = {}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


def _postgres_plan(dbapi: Any, statement: str, parameters: Any) -> list[str]:
    """``EXPLAIN (FORMAT JSON)`` flattened to one line per node, in a savepoint when in a transaction."""
    explain = dbapi.cursor()
    try:
        try:
            explain.execute("SAVEPOINT bo_explain")
            saved = True
        except Exception:  # autocommit: no transaction a failing EXPLAIN could abort
            saved = False
        try:
            explain.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            raw = explain.fetchone()[0]
        except Exception:
            if saved:
                explain.execute("ROLLBACK TO SAVEPOINT bo_explain")
            raise
        finally:
            if saved:
                explain.execute("RELEASE SAVEPOINT bo_explain")
    finally:
        explain.close()
    document = json.loads(raw) if isinstance(raw, str) else raw
    lines: list[str] = []
    _postgres_lines(document[0]["Plan"], 0, lines)
    return lines


_PG_CONDITIONS = ("Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter", "Filter")


def _postgres_lines(node: dict[str, Any], depth: int, lines: list[str]) -> None:
    text = str(node.get("Node Type", "?"))
    if node.get("Relation Name"):
        text += f" on {node['Relation Name']}"
        if node.get("Alias") and node["Alias"] != node["Relation Name"]:
            text += f" {node['Alias']}"
    if node.get("Index Name"):
        text += f" using {node['Index Name']}"
    text += "".join(f" | {key}: {node[key]}" for key in _PG_CONDITIONS if node.get(key))
    lines.append("  " * depth + text)
    for child in node.get("Plans", ()):
        _postgres_lines(child, depth + 1, lines)


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
