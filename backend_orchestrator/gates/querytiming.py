"""Query timing shared by the ``tests`` and ``performance`` gates: inject the SQL timer, read its log.

The timer itself is ``_sqltimer/sitecustomize.py``, run by the TARGET's interpreter (SQLAlchemy
``before_cursor_execute`` / ``after_cursor_execute`` listeners on the ``Engine`` class, registered
without editing the target's code). It tags each statement with the running pytest test, or under
load with the request being served (``_sqltimer/bo_request.py``, label ``"GET /api/v1/orders #17"``),
and logs the plan of each distinct SELECT (``EXPLAIN QUERY PLAN`` / ``EXPLAIN (FORMAT JSON)``).

This module builds the environment that injects the timer and analyses the JSON-lines log: per
normalised statement the count, p50, p95, max, call site and plan; the statements at or above
``thresholds.db_query_ms`` at p95; N+1 patterns, the same SELECT run ``N_PLUS_ONE`` times or more
within one test (scope ``test``) or, under load, within one request of a route at the median over
that route's requests (scope ``route``; ``querynplusone``); and full scans of a filtered table
(``queryplans``).
Only application statements (DML: SELECT, INSERT, UPDATE, DELETE, WITH, REPLACE, not reading the
schema catalog) count for the metrics and the findings; DDL, PRAGMAs and the introspection that
``create_all`` and migrations run are kept in the per-statement stats, marked ``application: false``.

Evidence ``<evidence>/<gate>/sql-stats.json`` (read by the CLI to print "the slowest queries")::

    {"schema_version": 1, "threshold_ms": 50.0, "queries": int, "p95_ms": float | null,
     "schema_statements": int, "unreadable_lines": int, "plans": int,
     "slowest": [{"sql", "count", "p50_ms", "p95_ms", "max_ms", "site": "path:line" | null,
                  "plan": [str] | null, "full_scan": table | null, "line": one printable line}],
     "full_scans": [the same shape, one per table read in full although filtered],
     "n_plus_one": [{"sql", "context": test id | route, "count": runs in the test | p50 per request,
                     "site", "scope": "test" | "route", "requests": int | null, "max_per_request": int | null}],
     "statements": [every statement, slowest p95 first, the same shape as "slowest" without "line"]}

Metrics (scalars, stable names): ``queries``, ``query_p95_ms`` (over every application statement),
``statements`` (distinct application statements), ``slowest_query_ms`` (the worst statement's p95),
``n_plus_one``, ``full_scans`` (tables).

Hand-written because no maintained library does this across processes (``nplusone`` is stale since
2018; see notes/gate-tooling.md §6).
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import querynplusone, queryplans
from .querynplusone import N_PLUS_ONE, NPlusOne, n_plus_one_message

__all__ = ["N_PLUS_ONE", "NPlusOne", "QueryStats", "StatementStats", "analyse", "full_scan_message",
           "is_application", "n_plus_one_message", "plan_note", "short", "split_site", "timer_env"]

TIMER_DIR = Path(__file__).with_name("_sqltimer")
SLOWEST = 5
DML = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE")
CATALOG = ("sqlite_master", "sqlite_temp_master", "sqlite_schema", "pg_catalog", "information_schema",
           "alembic_version")  # the schema catalog, and migration bookkeeping
Metric = float | int | str | bool | None


def timer_env(log: Path, root: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` with the timer injected: its folder first on PYTHONPATH (existing entries kept after it).

    ``PYTEST_CURRENT_TEST`` is dropped: inherited from a pytest running US, it would tag the target's
    statements with our test; the target's own pytest sets it for its tests."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    existing = env.get("PYTHONPATH", "")
    path = os.pathsep.join([str(TIMER_DIR)] + ([existing] if existing else []))
    kept = {k: v for k, v in env.items() if k != "PYTEST_CURRENT_TEST"}
    return {**kept, "PYTHONPATH": path, "BO_SQL_TIMING_LOG": str(log), "BO_SQL_TIMING_ROOT": str(root)}


def is_application(sql: str) -> bool:
    """A statement of the application (DML), not schema work or catalog introspection."""
    lowered = sql.lower()
    return sql.lstrip("( ").upper().startswith(DML) and not any(name in lowered for name in CATALOG)


def _is_select(sql: str) -> bool:
    return sql.lstrip("( ").upper().startswith(("SELECT", "WITH"))


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


@dataclass
class StatementStats:
    sql: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    site: str | None = None  # the most frequent project call site, "path:line"
    application: bool = True
    plan: list[str] | None = None  # EXPLAIN lines, values scrubbed (SELECTs on SQLite/PostgreSQL)
    full_scan: str | None = None  # the table the plan reads in full although the statement filters it

    def line(self) -> str:
        """One short printable line: the CLI's "slowest queries"."""
        where = f" at {self.site}" if self.site else ""
        scan = f" [full scan of {self.full_scan}]" if self.full_scan else ""
        return f"{self.p95_ms:g} ms p95 ×{self.count}: {short(self.sql, 100)}{where}{scan}"


@dataclass
class QueryStats:
    queries: int = 0  # application statements (see is_application)
    p95_ms: float | None = None  # over every application statement
    schema_statements: int = 0
    statements: list[StatementStats] = field(default_factory=list)  # slowest p95 first
    n_plus_one: list[NPlusOne] = field(default_factory=list)  # most repeats first
    unreadable_lines: int = 0
    plans: int = 0

    def slow(self, threshold_ms: float) -> list[StatementStats]:
        return [s for s in self.statements if s.application and s.p95_ms >= threshold_ms]

    def slowest(self, n: int = SLOWEST, threshold_ms: float | None = None) -> list[StatementStats]:
        """The ``n`` application statements with the highest p95, and any more at or above the threshold."""
        app = [s for s in self.statements if s.application]
        over = len(self.slow(threshold_ms)) if threshold_ms is not None else 0
        return app[: max(n, over)]

    def full_scans(self) -> list[StatementStats]:
        """One application statement per table read in full although filtered: the slowest, then most run."""
        worst: dict[str, StatementStats] = {}
        for s in sorted(self.statements, key=lambda s: (-s.p95_ms, -s.count, s.sql)):
            if s.application and s.full_scan and s.full_scan not in worst:
                worst[s.full_scan] = s
        return list(worst.values())

    def scope(self, scope: Literal["test", "route"]) -> list[NPlusOne]:
        return [n for n in self.n_plus_one if n.scope == scope]

    def metrics(self) -> dict[str, Metric]:
        app = [s for s in self.statements if s.application]
        return {"queries": self.queries, "query_p95_ms": self.p95_ms, "statements": len(app),
                "slowest_query_ms": app[0].p95_ms if app else None, "n_plus_one": len(self.n_plus_one),
                "full_scans": len(self.full_scans())}

    def summary(self, n: int = 3) -> str:
        """The slowest statements for a gate's summary ("" when none ran)."""
        top = "; ".join(f"{s.p95_ms:g} ms {short(s.sql, 60)}" for s in self.slowest(n))
        return f"slowest SQL at p95: {top}" if top else ""

    def to_json(self, threshold_ms: float | None = None) -> str:
        def entry(s: StatementStats) -> dict[str, Any]:
            return {**asdict(s), "line": s.line()}

        document = {"schema_version": 1, "threshold_ms": threshold_ms, "queries": self.queries,
                    "p95_ms": self.p95_ms, "schema_statements": self.schema_statements,
                    "unreadable_lines": self.unreadable_lines, "plans": self.plans,
                    "slowest": [entry(s) for s in self.slowest(SLOWEST, threshold_ms)],
                    "full_scans": [entry(s) for s in self.full_scans()],
                    "n_plus_one": [asdict(n) for n in self.n_plus_one],
                    "statements": [asdict(s) for s in self.statements]}
        return json.dumps(document, indent=2) + "\n"


def short(sql: str, limit: int = 90) -> str:
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def split_site(site: str | None) -> tuple[str | None, int | None]:
    if not site or ":" not in site:
        return None, None
    path, _, line = site.rpartition(":")
    return path, int(line) if line.isdigit() else None


def plan_note(s: StatementStats) -> str:
    """" Its plan: …" for a finding's message, or "" when the statement was not explained."""
    if not s.plan:
        return " Check its plan with EXPLAIN."
    return f" Its plan: {' / '.join(line.strip() for line in s.plan[:4])}."


def full_scan_message(s: StatementStats) -> str:
    """Why a full scan of a filtered table is a finding, naming the table, the filtered columns and the plan."""
    scan = queryplans.full_scan(s.sql, s.plan or [])
    table, scanned, columns = scan if scan else (s.full_scan or "?", "", [])
    on = f" on {', '.join(f'{table}.{c}' for c in columns)}" if columns else ""
    return (f"`{short(s.sql, 200)}` reads the whole table {table} (plan: {scanned}) although it filters it{on}: "
            f"no index serves the condition, so every run costs a pass over {table} and grows with it. "
            f"Add an index{on or f' on the filtered columns of {table}'} (and a migration for it)")


def _top(counter: Counter[str]) -> str | None:
    return counter.most_common(1)[0][0] if counter else None


@dataclass
class _Log:
    """What one pass over the timer's log collects."""

    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sites: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    plans: dict[str, list[str]] = field(default_factory=dict)
    repeats: querynplusone.Repeats = field(default_factory=querynplusone.Repeats)
    everything: list[float] = field(default_factory=list)


def _read(log: Path, stats: QueryStats) -> _Log:
    seen = _Log()
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                row = json.loads(line)
                if row.get("type") == "plan":
                    seen.plans.setdefault(str(row["sql"]), [str(p) for p in row["plan"]])
                    continue
                sql, ms = str(row["sql"]), float(row["ms"])
            except (ValueError, KeyError, TypeError, AttributeError):
                stats.unreadable_lines += 1  # e.g. a line cut short when the process was killed
                continue
            seen.durations[sql].append(ms)
            ctx = str(row["ctx"]) if row.get("ctx") else None
            if ctx:
                seen.repeats.seen(ctx)
            if not is_application(sql):
                stats.schema_statements += 1
                continue
            seen.everything.append(ms)
            site = str(row["site"]) if row.get("site") else None
            if site:
                seen.sites[sql][site] += 1
            if ctx and _is_select(sql):
                seen.repeats.add(ctx, sql, site)
    return seen


def analyse(log: Path) -> QueryStats:
    """Statistics of the timer's log (an absent log: no statement was run, or no SQLAlchemy)."""
    stats = QueryStats()
    if not log.is_file():
        return stats
    seen = _read(log, stats)
    for sql, values in seen.durations.items():
        values.sort()
        plan = seen.plans.get(sql)
        scan = queryplans.full_scan(sql, plan) if plan else None
        stats.statements.append(StatementStats(
            sql, len(values), round(_percentile(values, 0.5), 3), round(_percentile(values, 0.95), 3),
            round(values[-1], 3), _top(seen.sites[sql]), is_application(sql), plan, scan.table if scan else None))
    stats.statements.sort(key=lambda s: (-s.p95_ms, s.sql))
    stats.plans = len(seen.plans)
    stats.queries = len(seen.everything)
    if seen.everything:
        seen.everything.sort()
        stats.p95_ms = round(_percentile(seen.everything, 0.95), 3)
    stats.n_plus_one = seen.repeats.patterns()
    return stats
