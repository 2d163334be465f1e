"""Probe of the ``database`` gate, run as a script by the TARGET's interpreter (never imported by us).

``python database_probe.py <alembic.ini> <result.json>`` with the scratch database URL in the
environment variable ``BO_PROBE_URL`` (not on argv, where a password would show in ``ps``).

Steps, each recorded in the JSON result: ``upgrade head`` → ``alembic check`` → schema inspection
(SQLAlchemy inspector; ``PRAGMA integrity_check`` / ``foreign_key_check`` on SQLite) →
``downgrade`` to ``BO_DOWNGRADE_TO`` (the change's base revision, when the gate judges a change and it is
a known revision other than the head), else to the previous revision (or base) → ``upgrade head``.

Safety: every connection any engine opens in this process is checked against the scratch URL
before it is made (a ``do_connect`` event on all engines: same backend, same SQLite file, or same
database name, host and port); an env.py that ignores the URL we pass and connects elsewhere is
stopped with an error instead of migrating the real database.

A clean start: an SQLite scratch is a fresh file. On PostgreSQL the probe creates a fresh schema
``bo_scratch_<unix time>_<hex>`` in the scratch database, makes it the only ``search_path`` of every
connection (a ``connect`` event on all engines, so env.py's own engines follow), and drops it at the
end; it never drops anything else but such schemas of its own older than a day (a run that was
killed). Other server databases must be empty before the run (it refuses otherwise) and the tables
the run created are dropped at the end.

Top-level imports are the standard library only: the interpreter is the target's, and alembic and
SQLAlchemy are imported inside functions so that their absence is reported, not a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

MISSING_MODULES = 3
MISSING_DRIVER = 4
NOT_EMPTY = 5
SCHEMA_PREFIX = "bo_scratch_"
STALE_S = 24 * 3600
_LOCAL = {"", "localhost", "127.0.0.1", "::1"}


def _last_line(exc: BaseException) -> str:
    lines = [line for line in traceback.format_exception_only(type(exc), exc) if line.strip()]
    return lines[-1].strip()[:500] if lines else type(exc).__name__


def _migration_frame(exc: BaseException, versions: list[str]) -> tuple[str | None, int | None]:
    """The innermost traceback frame inside a migration script: (file, line)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        real = os.path.realpath(frame.filename)
        if any(real.startswith(v + os.sep) for v in versions):
            found = (real, frame.lineno)
    return found


def _guard(url: str) -> None:
    """Refuse any connection that is not to the scratch database."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine, make_url

    want = make_url(url)

    def check(dialect: Any, _rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        if dialect.name != want.get_backend_name():
            raise RuntimeError(f"refused a {dialect.name} connection: only the scratch database may be used")
        if dialect.name == "sqlite":
            target = cargs[0] if cargs else cparams.get("database", "")
            if os.path.realpath(str(target)) != os.path.realpath(want.database or ""):
                raise RuntimeError("refused a connection to an SQLite file other than the scratch copy "
                                   "(env.py does not take the URL the gate passes)")
        else:
            name = cparams.get("database") or cparams.get("dbname") or cparams.get("db")
            host = str(cparams.get("host") or "")
            port = cparams.get("port")
            local = {h for h in (host, want.host or "") if h in _LOCAL or h.startswith("/")}
            elsewhere = bool(host and want.host and host != want.host and len(local) < 2)
            elsewhere |= port is not None and want.port is not None and int(port) != int(want.port)
            if (name is not None and name != want.database) or elsewhere:
                raise RuntimeError("refused a connection to a database other than the scratch database "
                                   "(env.py does not take the URL the gate passes)")

    event.listen(Engine, "do_connect", check)


def _create_schema(engine: Any, name: str) -> None:
    """``CREATE SCHEMA name``, after dropping this probe's schemas left by runs killed over a day ago."""
    from sqlalchemy import text

    with engine.begin() as conn:
        for (old,) in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                                   {"p": SCHEMA_PREFIX.replace("_", "\\_") + "%"}):
            made = re.match(rf"{SCHEMA_PREFIX}(\d+)_[0-9a-f]+$", old)
            if made and time.time() - int(made.group(1)) > STALE_S:
                conn.execute(text(f'DROP SCHEMA "{old}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))


def _fresh_schema(url: str, result: dict[str, Any]) -> Callable[[], None]:
    """PostgreSQL: a new empty schema that every connection of this process uses; returns its cleanup."""
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import NullPool

    name = f"{SCHEMA_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        _create_schema(engine, name)
    except Exception as exc:
        raise RuntimeError(f"could not create the gate's schema in the scratch database ({_last_line(exc)}): its "
                           "user needs CREATE on that database (its owner has it)") from exc
    result["scratch_schema"] = name

    def search_path(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET inside a transaction would be undone by its rollback
        cursor = dbapi_connection.cursor()
        cursor.execute(f'SET SESSION search_path TO "{name}"')
        cursor.close()
        dbapi_connection.autocommit = autocommit

    event.listen(Engine, "connect", search_path, insert=True)  # before the dialect reads current_schema()

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()

    return drop


def _empty_database(url: str, result: dict[str, Any]) -> Callable[[], None] | None:
    """Other server databases: None when the scratch database has tables; else a cleanup dropping the
    tables this run creates (everything in it, since it started empty)."""
    from sqlalchemy import MetaData, create_engine, inspect

    engine = create_engine(url)
    try:
        names = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if names:
        result["not_empty"] = sorted(names)[:20]
        return None

    def drop() -> None:
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
        engine.dispose()

    return drop


def _diff_items(diffs: list[Any]) -> list[dict[str, Any]]:
    """alembic's autogenerate diffs as {op, table, column, text}, best effort."""
    items: list[dict[str, Any]] = []
    for diff in diffs:
        for op in (diff if isinstance(diff, list) else [diff]):
            name, table, column = str(op[0]), None, None
            rest = op[1:]
            for part in rest:
                if hasattr(part, "table") and getattr(part, "table", None) is not None and hasattr(part, "name"):
                    table, column = getattr(part.table, "name", None), part.name  # a Column or an Index
                    if name.endswith("index"):
                        column = None
                    break
                if hasattr(part, "columns") and hasattr(part, "name"):
                    table = part.name  # a Table
                    break
            if table is None and len(rest) >= 2 and isinstance(rest[1], str):
                table = rest[1]  # (op, schema, table, column-or-Column, ...)
                if len(rest) >= 3:
                    column = rest[2] if isinstance(rest[2], str) else getattr(rest[2], "name", None)
            items.append({"op": name, "table": table, "column": column, "text": repr(op)[:300]})
    return items


def _schema(url: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    tables: dict[str, Any] = {}
    pragmas: dict[str, Any] = {}
    try:
        insp = inspect(engine)
        for name in insp.get_table_names():
            pk = insp.get_pk_constraint(name).get("constrained_columns") or []
            covers = [list(ix["column_names"]) for ix in insp.get_indexes(name)]
            covers += [list(uq["column_names"]) for uq in insp.get_unique_constraints(name)]
            tables[name] = {
                "columns": [{"name": c["name"], "nullable": bool(c["nullable"])} for c in insp.get_columns(name)],
                "pk": list(pk),
                "indexes": [c for c in covers if c and all(isinstance(x, str) for x in c)],
                "fks": [{"columns": list(fk["constrained_columns"]), "ref": f"{fk['referred_table']}."
                         f"{','.join(fk['referred_columns'])}"} for fk in insp.get_foreign_keys(name)],
            }
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                pragmas["integrity_check"] = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
                pragmas["foreign_key_check"] = [[str(v) for v in r] for r in
                                                conn.execute(text("PRAGMA foreign_key_check"))]
    finally:
        engine.dispose()
    return {"dialect": engine.dialect.name, "tables": tables, "pragmas": pragmas}


def _nothing() -> None:
    pass


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("ini")
    parser.add_argument("out")
    args = parser.parse_args(argv)
    here = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != here]  # our gates must not shadow theirs
    sys.path.insert(0, os.getcwd())
    result: dict[str, Any] = {"steps": []}
    out = Path(args.out)

    def save() -> None:
        out.write_text(_mask(json.dumps(result, indent=2, default=str)), encoding="utf-8")

    try:
        import alembic.command  # noqa: F401  (used by _round_trip; imported here so its absence is reported)
        from sqlalchemy import create_engine
    except ImportError as exc:
        result["missing"] = str(exc)
        save()
        return MISSING_MODULES
    url = os.environ["BO_PROBE_URL"]
    try:
        create_engine(url).dispose()  # imports the DBAPI module; connects to nothing
    except ImportError as exc:
        result["missing_driver"] = str(exc)
        save()
        return MISSING_DRIVER
    _guard(url)
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    cleanup: Callable[[], None] | None = _nothing  # an SQLite scratch is a fresh file
    if dialect in ("postgresql", "postgres"):
        cleanup = _fresh_schema(url, result)
    elif dialect != "sqlite":
        cleanup = _empty_database(url, result)
    if cleanup is None:
        save()
        return NOT_EMPTY
    try:
        return _round_trip(args.ini, url, result, save)
    finally:
        try:
            cleanup()
        except Exception as exc:
            result["cleanup_error"] = _last_line(exc)
        save()


def _round_trip(ini: str, url: str, result: dict[str, Any], save: Callable[[], None]) -> int:
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(ini)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.cmd_opts = argparse.Namespace(x=[f"sqlalchemy.url={url}", f"url={url}", f"db_url={url}"])
    script = ScriptDirectory.from_config(cfg)
    versions = [os.path.realpath(v) for v in script._version_locations]
    revision_of = {os.path.realpath(r.path): r.revision for r in script.walk_revisions()}
    heads = list(script.get_heads())
    result["heads"] = heads
    result["revisions"] = sum(1 for _ in script.walk_revisions())

    def step(name: str, fn: Any) -> bool:
        entry: dict[str, Any] = {"step": name, "ok": True}
        result["steps"].append(entry)
        try:
            fn()
        except Exception as exc:
            entry.update(ok=False, error=_last_line(exc), exception=type(exc).__name__)
            file, line = _migration_frame(exc, versions)
            entry.update(file=file, line=line, revision=revision_of.get(file or ""))
            return False
        finally:
            save()
        return True

    up = "heads" if len(heads) > 1 else "head"
    upgraded = step(f"upgrade {up}", lambda: command.upgrade(cfg, up))
    if upgraded:
        def check() -> None:
            try:
                command.check(cfg)
            except Exception as exc:
                diffs = getattr(exc, "diffs", None)
                if diffs is not None:
                    result["check_diffs"] = _diff_items(diffs)
                raise

        if hasattr(command, "check"):
            step("check", check)
        else:
            result["check_unavailable"] = "alembic < 1.9 has no `alembic check`"
    try:
        result["schema"] = _schema(url)
    except Exception as exc:
        result["schema_error"] = _last_line(exc)
    save()
    if upgraded and len(heads) == 1:
        rev = script.get_revision(heads[0])
        target = "base" if rev is None or not rev.down_revision else "-1"
        base_head = os.environ.get("BO_DOWNGRADE_TO")  # the change's base: round-trip all of its migrations
        if base_head and base_head != heads[0] and base_head in revision_of.values():
            target = base_head
        if step(f"downgrade {target}", lambda: command.downgrade(cfg, target)):
            step("upgrade head", lambda: command.upgrade(cfg, "head"))
    save()
    return 0


def _mask(text: str) -> str:
    """As the gate's ``mask_url`` (this script imports nothing of ours)."""
    text = re.sub(r"://([^:/@\s]+):[^@\s]*@", r"://\1:***@", text)
    return re.sub(r"\b(password|passwd|pwd)=([^&\s'\"]+)", r"\1=***", text, flags=re.IGNORECASE)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as exc:  # report, masked, instead of a traceback with a URL in it
        print(_mask(f"probe failed: {_last_line(exc)}"), file=sys.stderr)
        sys.exit(2)
