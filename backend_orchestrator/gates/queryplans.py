"""Read the query plans the SQL timer logged: which table a statement scans in full although it filters it.

The timer (``_sqltimer/sitecustomize.py``) logs one plan per distinct SELECT, already scrubbed of
values: SQLite ``EXPLAIN QUERY PLAN`` detail lines, indented by depth (``SCAN orders`` is a full
scan; ``SEARCH orders USING INDEX ix (user_id=?)`` and ``SCAN orders USING COVERING INDEX ix`` use
an index; ``SEARCH t USING AUTOMATIC INDEX`` means SQLite builds a throwaway index on every run
because none exists), or PostgreSQL nodes flattened by the timer as ``Seq Scan on orders | Filter:
(user_id = ?)``. A full scan matters when the statement filters that table (DB-017): the planner had
a WHERE to use and no index for it, and the cost grows with the table. On small test data the
milliseconds prove nothing (notes/gate-tooling.md §6), so the plan is judged, not the timing.

SQLite prints the alias a statement gives a table (``SCAN orders_1``); the FROM/JOIN clauses map it
back to the table. "Filters that table" is a textual heuristic: a WHERE that names ``alias.column``,
or any WHERE when the statement reads a single table.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)
_WHERE_END = re.compile(r"\b(?:ORDER BY|GROUP BY|LIMIT|HAVING|UNION|EXCEPT|INTERSECT|WINDOW|RETURNING)\b", re.I)
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)$")
_SQLITE_AUTOMATIC = re.compile(r"^SEARCH (\w+) USING AUTOMATIC (?:PARTIAL )?(?:COVERING )?INDEX")
_PG_SEQ_SCAN = re.compile(r"^(?:Parallel )?Seq Scan on (\w+)(?: (\w+))?(?: \|.*)?$")
_KEYWORDS = ("WHERE", "ON", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "FULL", "ORDER", "GROUP",
             "LIMIT", "OFFSET", "UNION", "HAVING", "WINDOW", "NATURAL", "USING", "EXCEPT", "INTERSECT", "FOR")
# FROM/JOIN [schema.]table [[AS] alias]; a keyword after the table is not an alias (and is left to match next)
_FROM = re.compile(rf'\b(?:FROM|JOIN)\s+(?:"?\w+"?\.)?"?(\w+)"?'
                   rf'(?:\s+(?:AS\s+)?(?!(?:{"|".join(_KEYWORDS)})\b)"?(\w+)"?)?', re.IGNORECASE)


def _aliases(sql: str) -> dict[str, str]:
    """Alias (or table name) → table, from the statement's FROM and JOIN clauses."""
    found: dict[str, str] = {}
    for table, alias in _FROM.findall(sql):
        found[table] = table
        if alias:
            found[alias] = table
    return found


def filtered_columns(sql: str, name: str) -> list[str]:
    """The columns of ``name`` (an alias or table) the statement's WHERE names, in order; ``["?"]``
    when it filters a single-table statement without qualified names; ``[]`` when it does not filter it."""
    parts = _WHERE.split(sql, 1)
    if len(parts) < 2:
        return []
    where = _WHERE_END.split(parts[1], 1)[0]
    columns = list(dict.fromkeys(re.findall(rf'(?<![\w."]){re.escape(name)}"?\."?(\w+)', where)))
    if columns:
        return columns
    return ["?"] if len(set(_aliases(sql).values())) == 1 else []


class Scan(NamedTuple):
    table: str
    line: str  # the plan line that shows it
    columns: list[str]  # the filtered columns the WHERE names (qualified by the table's alias); may be empty


def full_scan(sql: str, plan: list[str]) -> Scan | None:
    """The first table the plan reads in full although the statement filters it, or None."""
    aliases = _aliases(sql)
    for raw in plan:
        line = raw.strip()
        automatic = _SQLITE_AUTOMATIC.match(line)  # built only for a WHERE or join term: always a miss
        if automatic:
            name = automatic.group(1)
            return Scan(aliases.get(name, name), line, [c for c in filtered_columns(sql, name) if c != "?"])
        scan = _SQLITE_SCAN.match(line)
        columns = filtered_columns(sql, scan.group(1)) if scan else []
        if scan and columns:
            return Scan(aliases.get(scan.group(1), scan.group(1)), line, [c for c in columns if c != "?"])
        postgres = _PG_SEQ_SCAN.match(line)
        if postgres and "Filter:" in line:
            name = postgres.group(2) or postgres.group(1)
            return Scan(postgres.group(1), line, [c for c in filtered_columns(sql, name) if c != "?"])
    return None
