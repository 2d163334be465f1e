"""Live database introspection: run by the TARGET's interpreter with the target's SQLAlchemy.

    BACKEND_ORCHESTRATOR_DATABASE_URL=... python probe_database.py --out FILE

The URL comes from the environment, never the command line (where any process listing shows it),
and never appears in the output or the log: error messages have its password masked. Read-only:
an SQLite file is opened with ``mode=ro`` (never created); other databases are only asked for their
catalog, inside a connection that is rolled back. Standard library only at the top.
Exit status: 0 written (``error`` in the output when the database could not be read).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

ENV = "BACKEND_ORCHESTRATOR_DATABASE_URL"


def engine_for(url: str) -> Any:
    import sqlite3

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        return create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    if parsed.get_dialect().is_async:  # postgresql+asyncpg -> the dialect's default sync driver
        parsed = parsed.set(drivername=parsed.get_backend_name())
    return create_engine(parsed)


def table(inspector: Any, name: str) -> dict[str, Any]:
    pk = set(inspector.get_pk_constraint(name).get("constrained_columns") or [])
    references = {column: f"{fk['referred_table']}.{target}" for fk in inspector.get_foreign_keys(name)
                  for column, target in zip(fk["constrained_columns"], fk["referred_columns"], strict=False)}
    indexes: list[dict[str, Any]] = [
        {"name": ix.get("name") or "", "columns": [c for c in ix.get("column_names") or [] if c],
         "unique": bool(ix.get("unique"))} for ix in inspector.get_indexes(name)]
    try:
        uniques: list[dict[str, Any]] = [
            {"name": u.get("name") or "", "columns": list(u.get("column_names") or []), "unique": True}
            for u in inspector.get_unique_constraints(name)]
    except NotImplementedError:
        uniques = []
    single = {ix["columns"][0]: ix["unique"] for ix in [*indexes, *uniques] if len(ix["columns"]) == 1}
    columns = []
    for column in inspector.get_columns(name):
        try:
            kind = str(column["type"])
        except Exception:  # a type that cannot render without a dialect
            kind = type(column["type"]).__name__
        columns.append({
            "name": column["name"], "type": kind, "nullable": bool(column.get("nullable", True)),
            "primary_key": column["name"] in pk, "foreign_key": references.get(column["name"]),
            "unique": bool(single.get(column["name"])), "index": column["name"] in single,
        })
    known = {(tuple(ix["columns"]), ix["unique"]) for ix in indexes}
    extra = [u for u in uniques if (tuple(u["columns"]), True) not in known]
    return {"name": name, "columns": columns, "indexes": indexes + extra}


def introspect(url: str) -> dict[str, Any]:
    from sqlalchemy import inspect

    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            tables = [table(inspector, name) for name in sorted(inspector.get_table_names())]
            connection.rollback()
        return {"dialect": engine.dialect.name, "tables": tables}
    finally:
        engine.dispose()


def masked(text: str, url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password
    except Exception:
        password = None
    return text.replace(str(password), "***") if password else text


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="probe_database.py")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]  # never shadow the target's modules
    url = os.environ.pop(ENV, "")
    try:
        result = introspect(url)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
        result = {"error": masked(message, url)}
        print(result["error"], file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
