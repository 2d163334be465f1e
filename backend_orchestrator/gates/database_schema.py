"""Schema checks of the ``database`` gate over the migrated scratch database, as the probe reports it:
``{table: {"columns": [{name, nullable}], "pk": [...], "indexes": [[cols], ...], "fks": [{columns, ref}]}}``.

Hand-written on purpose: ``sqlalchemy_utils.non_indexed_foreign_keys`` would need a live engine in
our process (the database is reached only from the target's interpreter), and no library checks
normalisation smells (gate-tooling.md §6).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contracts.registry import Model

WIDE_TABLE_COLUMNS = 30
IGNORED_TABLES = ("alembic_version",)  # the migration tool's own bookkeeping
_NUMBERED = re.compile(r"^(?P<stem>[a-z][a-z_]*?)_?(?P<n>\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Issue:
    rule_id: str
    table: str
    column: str | None
    message: str


def covered(columns: list[str], candidates: list[list[str]]) -> bool:
    """A FK is covered when some index, PK or unique constraint has its columns as the leading prefix."""
    want = set(columns)
    return any(len(c) >= len(columns) and set(c[:len(columns)]) == want for c in candidates)


def schema_issues(tables: dict[str, Any], models: list[Model]) -> list[Issue]:
    by_table = {m.table: m for m in models}
    issues: list[Issue] = []
    for name in sorted(tables):
        if name in IGNORED_TABLES:
            continue
        table = tables[name]
        pk: list[str] = table.get("pk") or []
        if not pk:
            issues.append(Issue("DB005", name, None,
                                f"Table `{name}` has no primary key. Add a surrogate key "
                                "(`id: Mapped[int] = mapped_column(primary_key=True)`) in the model and a migration."))
        candidates = [pk, *table.get("indexes", [])]
        nullable = {c["name"]: c["nullable"] for c in table.get("columns", [])}
        model = by_table.get(name)
        required = {c.name for c in model.columns if not c.nullable} if model else set()
        for fk in table.get("fks", []):
            cols: list[str] = fk["columns"]
            label = f"{name}.{','.join(cols)}"
            if not covered(cols, candidates):
                create = f"op.create_index(\"ix_{name}_{'_'.join(cols)}\", \"{name}\", {json.dumps(cols)})"
                issues.append(Issue("DB004", name, cols[0],
                                    f"Foreign key `{label}` → `{fk['ref']}` has no index whose leading columns "
                                    f"are {', '.join(cols)}: joins and deletes of `{fk['ref'].split('.')[0]}` scan "
                                    f"`{name}`. Add `index=True` to the column (or an Index) and a migration "
                                    f"(`{create}`)."))
            for col in cols:
                if nullable.get(col) and col in required:
                    issues.append(Issue("DB006", name, col,
                                        f"Foreign key column `{name}.{col}` is nullable in the database but the "
                                        "model declares it required. Make it NOT NULL in a migration "
                                        "(`op.alter_column(..., nullable=False)`, batch mode on SQLite)."))
        issues += _smells(name, [c["name"] for c in table.get("columns", [])])
    return issues


def _smells(table: str, columns: list[str]) -> list[Issue]:
    found: list[Issue] = []
    groups: dict[str, list[str]] = defaultdict(list)
    for col in columns:
        match = _NUMBERED.match(col)
        if match:
            groups[match.group("stem").lower()].append(col)
    for stem, cols in sorted(groups.items()):
        if len(cols) >= 2:
            found.append(Issue("DB007", table, cols[0],
                               f"Table `{table}` repeats a column group ({', '.join(cols)}): a fixed number of "
                               f"slots for a list. Consider a child table (`{table}_{stem}s` with a FK to "
                               f"`{table}`) so the count is not capped and the values can be indexed."))
    if len(columns) > WIDE_TABLE_COLUMNS:
        found.append(Issue("DB007", table, None,
                           f"Table `{table}` has {len(columns)} columns (> {WIDE_TABLE_COLUMNS}): it likely mixes "
                           "several concerns. Consider splitting rarely used or optional groups into 1:1 tables."))
    return found


def locate(root: Path, models: list[Model], table: str, column: str | None) -> tuple[str | None, int | None]:
    """The model file and line declaring ``table`` (its ``column`` when found in the class body)."""
    model = next((m for m in models if m.table == table), None)
    if model is None:
        return None, None
    if column:
        try:
            lines = (root / model.file).read_text(encoding="utf-8").splitlines()
        except OSError:
            return model.file, model.line
        pattern = re.compile(rf"^\s+{re.escape(column)}\s*[:=]")
        for number in range(model.line, len(lines)):
            text = lines[number]
            if re.match(r"^(class|def)\s", text):
                break
            if pattern.match(text):
                return model.file, number + 1
    return model.file, model.line
