"""Query timing shared by the ``tests`` and ``performance`` gates: inject the SQL timer, read its log.

The timer itself is ``_sqltimer/sitecustomize.py``, run by the TARGET's interpreter (SQLAlchemy
``before_cursor_execute`` / ``after_cursor_execute`` listeners on the ``Engine`` class, registered
without editing the target's code). This module only builds the environment that injects it and
analyses the JSON-lines log it writes: per normalised statement the count, p50, p95 and max; the
statements at or above ``thresholds.db_query_ms`` at p95; and N+1 patterns, the same SELECT run
``N_PLUS_ONE`` times or more within one test (the timer tags each statement with pytest's node id).
Only application statements (DML: SELECT, INSERT, UPDATE, DELETE, WITH, REPLACE, not reading the
schema catalog) count for the metrics and the findings; DDL, PRAGMAs and the introspection that
``create_all`` and migrations run are kept in the per-statement stats, marked ``application: false``.
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

TIMER_DIR = Path(__file__).with_name("_sqltimer")
N_PLUS_ONE = 10
DML = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE")
CATALOG = ("sqlite_master", "sqlite_temp_master", "sqlite_schema", "pg_catalog", "information_schema")
Metric = float | int | str | bool | None


def timer_env(log: Path, root: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` with the timer injected: its folder first on PYTHONPATH (existing entries kept after it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    existing = env.get("PYTHONPATH", "")
    path = os.pathsep.join([str(TIMER_DIR)] + ([existing] if existing else []))
    return {**env, "PYTHONPATH": path, "BO_SQL_TIMING_LOG": str(log), "BO_SQL_TIMING_ROOT": str(root)}


def is_application(sql: str) -> bool:
    """A statement of the application (DML), not schema work or catalog introspection."""
    lowered = sql.lower()
    return sql.lstrip("( ").upper().startswith(DML) and not any(name in lowered for name in CATALOG)


def _percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ms[max(0, math.ceil(q * len(sorted_ms)) - 1)]


@dataclass
class StatementStats:
    sql: str
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    site: str | None = None  # the most frequent project call site, "path:line"
    application: bool = True


@dataclass
class NPlusOne:
    sql: str
    context: str  # the pytest node id
    count: int
    site: str | None = None


@dataclass
class QueryStats:
    queries: int = 0  # application statements (see is_application)
    p95_ms: float | None = None  # over every application statement
    schema_statements: int = 0
    statements: list[StatementStats] = field(default_factory=list)  # slowest p95 first
    n_plus_one: list[NPlusOne] = field(default_factory=list)
    unreadable_lines: int = 0

    def slow(self, threshold_ms: float) -> list[StatementStats]:
        return [s for s in self.statements if s.application and s.p95_ms >= threshold_ms]

    def metrics(self) -> dict[str, Metric]:
        slowest = [s for s in self.statements if s.application][:3]
        return {"queries": self.queries, "query_p95_ms": self.p95_ms,
                "slowest_queries": "; ".join(f"{s.p95_ms:g} ms p95 ×{s.count}: {short(s.sql)}"
                                             for s in slowest) or None}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def short(sql: str, limit: int = 90) -> str:
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def split_site(site: str | None) -> tuple[str | None, int | None]:
    if not site or ":" not in site:
        return None, None
    path, _, line = site.rpartition(":")
    return path, int(line) if line.isdigit() else None


def analyse(log: Path) -> QueryStats:
    """Statistics of the timer's log (an absent log: no statement was run, or no SQLAlchemy)."""
    stats = QueryStats()
    if not log.is_file():
        return stats
    durations: dict[str, list[float]] = defaultdict(list)
    sites: dict[str, Counter[str]] = defaultdict(Counter)
    per_context: Counter[tuple[str, str]] = Counter()
    context_sites: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    everything: list[float] = []
    with log.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                row = json.loads(line)
                sql, ms = str(row["sql"]), float(row["ms"])
            except (ValueError, KeyError, TypeError):
                stats.unreadable_lines += 1  # e.g. a line cut short when the process was killed
                continue
            durations[sql].append(ms)
            if not is_application(sql):
                stats.schema_statements += 1
                continue
            everything.append(ms)
            if row.get("site"):
                sites[sql][str(row["site"])] += 1
            if row.get("ctx") and sql.upper().startswith(("SELECT", "WITH")):
                key = (str(row["ctx"]), sql)
                per_context[key] += 1
                if row.get("site"):
                    context_sites[key][str(row["site"])] += 1
    for sql, values in durations.items():
        values.sort()
        stats.statements.append(StatementStats(
            sql, len(values), round(_percentile(values, 0.5), 3), round(_percentile(values, 0.95), 3),
            round(values[-1], 3), sites[sql].most_common(1)[0][0] if sites[sql] else None, is_application(sql)))
    stats.statements.sort(key=lambda s: (-s.p95_ms, s.sql))
    stats.queries = len(everything)
    if everything:
        everything.sort()
        stats.p95_ms = round(_percentile(everything, 0.95), 3)
    worst: dict[str, NPlusOne] = {}  # one report per statement: the test that repeats it most
    for (context, sql), count in sorted(per_context.items()):
        if count >= N_PLUS_ONE and (sql not in worst or count > worst[sql].count):
            found = context_sites[(context, sql)]
            worst[sql] = NPlusOne(sql, context, count, found.most_common(1)[0][0] if found else None)
    stats.n_plus_one = sorted(worst.values(), key=lambda n: (-n.count, n.sql))
    return stats
