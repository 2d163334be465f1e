"""Gate ``database``: migrations round-tripped and the schema inspected, on a scratch copy only.

What it does
    Backs the configured SQLite database up (online backup API) into the evidence folder, restores
    the backup into a scratch file and compares it with the original (tables, row counts,
    ``PRAGMA integrity_check``). On that scratch copy, in a subprocess of the target's interpreter
    (``database_probe.py``): ``alembic upgrade head`` → ``alembic check`` → schema inspection →
    ``downgrade`` to the change's base revision when the run judges a change (every migration the change
    added), else to the previous revision (``base`` with one revision) → ``upgrade head``. A missing
    SQLite file starts from an empty scratch database. Other databases are migrated only on the
    scratch database ``scratch_database_url`` names (``BO_SCRATCH_DATABASE_URL`` overrides it for one
    run); without one the round trip is skipped and a low finding says how to enable it. A scratch
    URL naming a database the app uses (``database_url``, alembic.ini's URL, the ``database_env``
    variable) or another kind of database is refused (``database_scratch.py``). The gate never
    connects to the configured server database, so there is nothing to back up
    (``backup_verified`` says so); on PostgreSQL the probe migrates a fresh schema of the scratch
    database and drops it afterwards, on other servers it requires an empty scratch database. The
    target's interpreter needs the URL's driver (psycopg for ``postgresql+psycopg://``); a missing
    one is an error naming the pip command. Passwords are masked in every message and evidence file.
    The scratch URL reaches env.py as ``sqlalchemy.url`` (``config.get_main_option``), as ``-x
    sqlalchemy.url=/url=/db_url=``, and in every ``*URL``/``*URI``/``*DSN`` environment variable
    env.py reads plus ``DATABASE_URL`` and ``SQLALCHEMY_DATABASE_URI``; the probe refuses any
    connection to another database, so an env.py that ignores all of these errors out instead of
    migrating the real database.
Why it matters
    A migration that cannot roll back turns a bad release into an outage, models that drift from
    migrations leave environments with different schemas, and unindexed foreign keys make joins and
    cascading deletes scan whole tables (BS-DB-001..003, DB-001, DB-004, DB-011, DB-012, DB-016).
Rules
    DB001 a migration step fails (high) · DB002 models differ from the migrations (high) · DB003 more
    than one head (high) · DB004 foreign key without a covering index (medium) · DB005 table without a
    primary key (high) · DB006 nullable foreign key the model says is required (medium) · DB007
    normalisation smell: repeated column group or a table wider than 30 columns (low) · DB008 SQLite
    integrity or foreign-key check fails (high) · DB009 the backup did not restore identically (high) ·
    DB010 round trip skipped: no scratch database for a non-SQLite URL (low; the gate is ``skipped``) ·
    DB011 models without Alembic migrations (medium)
Use instead
    Write ``downgrade()`` as the exact reverse of ``upgrade()``; ``alembic revision --autogenerate``
    after every model change; ``mapped_column(ForeignKey(...), index=True)``; a surrogate primary key.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from .. import process
from ..config import target_python
from ..contracts.report import GateResult
from .base import Gate, GateContext, Rule
from .database_backup import alembic_ini, backup_and_restore, ini_url, mask_url, sqlite_file, sqlite_url
from .database_findings import Metrics, migration_findings, schema_findings
from .database_scratch import SCRATCH_ENV, driver_hint, passwords, protected_urls, refusal, scratch_url, scrub

PROBE = Path(__file__).with_name("database_probe.py")
COMMON_URL_VARS = ("DATABASE_URL", "SQLALCHEMY_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "DB_URL")
_ENV_READ = re.compile(r"""(?:environ\.get|getenv|environ\[|environ\.setdefault)\(?\s*["']([A-Z][A-Z0-9_]*)["']""")


def _env_url_vars(ini: Path) -> list[str]:
    """The URL-like environment variables env.py reads (``SHOP_DATABASE_URL``), plus common names."""
    names = set(COMMON_URL_VARS)
    for env_py in [*ini.parent.glob("*/env.py"), ini.parent / "env.py"]:
        try:
            text = env_py.read_text(encoding="utf-8")
        except OSError:
            continue
        names |= {n for n in _ENV_READ.findall(text) if re.search(r"URL|URI|DSN", n)}
    return sorted(names)


def _shown(ctx: GateContext, path: Path) -> str:
    """``path`` relative to the project root, or absolute when the database lives elsewhere."""
    try:
        return ctx.rel(path)
    except ValueError:
        return str(path)


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


class DatabaseGate(Gate):
    id = "database"
    title = "Database migrations and schema"
    runtime = True
    rules = (
        Rule("DB001", "Migration step failed", "high", "migration", clause="BS-DB-002",
             help="The upgrade head → downgrade → upgrade head round trip must pass on a copy of the database. "
                  "Fix the migration the message names so it applies and reverses cleanly."),
        Rule("DB002", "Models differ from the migrations", "high", "migration", clause="DB-011",
             help="`alembic check` found model changes no migration contains. Run `alembic revision "
                  "--autogenerate -m \"...\"`, review the script and commit it."),
        Rule("DB003", "More than one migration head", "high", "migration", clause="DB-011",
             help="The migration history has several heads. Merge them with `alembic merge heads`."),
        Rule("DB004", "Foreign key without an index", "medium", "missing-index", clause="DB-004",
             help="Some index, primary key or unique constraint must have the FK columns as its leading "
                  "columns. Add `index=True` to the FK column and a migration creating the index."),
        Rule("DB005", "Table without a primary key", "high", "schema-design", clause="DB-001",
             help="Every table needs a primary key, normally a surrogate `id`."),
        Rule("DB006", "Nullable foreign key the model requires", "medium", "schema-design", clause="DB-002",
             help="The model declares the FK column required but the database accepts NULL. Make it NOT NULL "
                  "in a migration."),
        Rule("DB007", "Normalisation smell", "low", "schema-design", clause="DB-006",
             help="Advisory: repeated column groups (phone1, phone2) or very wide tables usually hide a child "
                  "table or several concerns in one table."),
        Rule("DB008", "SQLite integrity check failed", "high", "schema-design", clause="BS-DB-004",
             help="`PRAGMA integrity_check` or `PRAGMA foreign_key_check` reported problems in the migrated "
                  "copy: corrupt pages or rows that reference missing parents. Repair the data in a migration."),
        Rule("DB009", "Backup not verified", "high", "migration", clause="DB-016",
             help="The backup taken before migrating could not be restored into an identical copy. Do not "
                  "migrate this database until a backup restores."),
        Rule("DB010", "Migration round trip not run", "low", "migration", clause="BS-DB-002",
             help="The database is not SQLite and no scratch database is configured. Set scratch_database_url (or "
                  f"{SCRATCH_ENV}) to "
                  "an empty database the gate may migrate (never the production one)."),
        Rule("DB011", "Models without migrations", "medium", "migration", clause="DB-010",
             help="The project declares SQLAlchemy models but has no Alembic configuration. Run `alembic "
                  "init migrations`, point env.py at the models' metadata and autogenerate the first revision."),
    )

    def not_applicable(self, ctx: GateContext) -> str | None:
        if alembic_ini(ctx.root, ctx.config.alembic_config) is None and not ctx.registries().models.models:
            return "no alembic configuration and no SQLAlchemy models"
        return None

    def run(self, ctx: GateContext) -> GateResult:
        root, cfg = ctx.root, ctx.config
        out = ctx.evidence_dir / "database"
        out.mkdir(parents=True, exist_ok=True)
        models = ctx.registries().models.models
        ini = alembic_ini(root, cfg.alembic_config)
        metrics: Metrics = {"migration_round_trip": "skipped", "alembic_check": "skipped", "heads": None,
                            "tables": None, "backup_verified": None, "fk_without_index": None}
        if ini is None:
            first = models[0]
            return self.result("fail", "models but no alembic configuration", metrics=metrics, findings=[
                self.finding("DB011", f"{len(models)} models but no alembic.ini: set up Alembic (`alembic init "
                             "migrations`) and autogenerate a first revision.", path=first.file, line=first.line)])
        url = cfg.database_url or ini_url(ini) or "sqlite:///:memory:"
        metrics["database"] = mask_url(url)
        evidence: list[str] = []
        prepared = (self._sqlite_copy(ctx, url, out, metrics, evidence) if url.startswith("sqlite")
                    else self._server_scratch(ctx, ini, url, metrics))
        if isinstance(prepared, GateResult):
            return prepared
        scratch, database, note = prepared
        before = _digest(database) if database else None
        env = process.target_env({name: scratch for name in _env_url_vars(ini)} | {"BO_PROBE_URL": scratch}
                                 | ({"BO_DOWNGRADE_TO": ctx.base_revision} if ctx.base_revision else {}))
        result_path = out / "probe.json"
        result_path.unlink(missing_ok=True)
        done = process.run([target_python(root, cfg), str(PROBE), str(ini), str(result_path)], cwd=root,
                           timeout=max(5.0, cfg.timeouts.gate_s - 15), log=out / "probe.log", env=env,
                           cancelled=ctx.cancelled)
        evidence.append(ctx.rel(out / "probe.log"))
        for written in (out / "probe.log", result_path):  # the target's code wrote them: never trust a URL in them
            scrub(written, passwords(scratch, *protected_urls(cfg, ini_url(ini)).values()))
        if database is not None and _digest(database) != before:
            return self.result("error", f"the configured database {_shown(ctx, database)} changed during the gate; "
                               f"its backup is {ctx.rel(out / 'backup.db')}", metrics=metrics, evidence=evidence)
        failed = self._probe_failure(ctx, done, result_path, scratch)
        if failed:
            return self.result("error", failed, metrics=metrics, evidence=evidence)
        evidence.append(ctx.rel(result_path))
        probe: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        refused = [s for s in probe["steps"] if "refused a" in s.get("error", "")]
        if refused:
            return self.result("error", f"{refused[0]['error']}: make env.py read `config.get_main_option("
                               "\"sqlalchemy.url\")` or one of the variables the gate sets (see the gate's docs)",
                               metrics=metrics, evidence=evidence)
        findings = migration_findings(self, ctx, ini, probe, metrics, models)
        findings += schema_findings(self, ctx, ini, probe, metrics, models)
        summary = (f"round trip {metrics['migration_round_trip']}, alembic check {metrics['alembic_check']}, "
                   f"{metrics['tables']} tables, {metrics['fk_without_index']} FKs without an index; {note}")
        return self.report(summary, findings=findings, metrics=metrics, evidence=evidence)

    def _sqlite_copy(self, ctx: GateContext, url: str, out: Path, metrics: Metrics,
                     evidence: list[str]) -> GateResult | tuple[str, Path | None, str]:
        """A verified backup restored into ``scratch.db``: (scratch URL, the database file, a note)."""
        scratch = out / "scratch.db"
        scratch.unlink(missing_ok=True)
        database = sqlite_file(url, ctx.root)
        if database is None or not database.is_file():
            return sqlite_url(scratch), database, ("no database file yet: the round trip starts from an empty "
                                                   "scratch database")
        try:
            verified, note = backup_and_restore(database, out / "backup.db", scratch)
        except sqlite3.Error as exc:
            verified, note = False, f"the database could not be backed up: {exc}"
        metrics["backup_verified"] = verified
        if not verified:  # nothing is migrated without a backup that restores
            return self.result("fail", note, metrics=metrics, findings=[self.finding(
                "DB009", f"{note}. Investigate the database file before migrating it.", path=_shown(ctx, database))])
        evidence.append(ctx.rel(out / "backup.db"))
        return sqlite_url(scratch), database, note

    def _server_scratch(self, ctx: GateContext, ini: Path, url: str,
                        metrics: Metrics) -> GateResult | tuple[str, Path | None, str]:
        """The configured scratch database of a server database, unless it may be one the app uses."""
        metrics["backup_verified"] = ("not applicable: the gate never connects to the configured database; it "
                                      "migrates only the scratch database")
        configured = scratch_url(ctx.config)
        if not configured:
            return self.result("skipped", f"round trip skipped: {mask_url(url)} is not SQLite and no "
                               "scratch_database_url is configured", metrics=metrics, findings=[self.finding(
                                   "DB010", f"Set scratch_database_url in the config (or {SCRATCH_ENV}) to an "
                                   "empty scratch database of the same kind (e.g. a throwaway PostgreSQL database) "
                                   "to run the migration round trip and the schema checks; the configured database "
                                   "is never migrated.", path=ctx.rel(ini))])
        refused = refusal(configured, protected_urls(ctx.config, ini_url(ini)))
        if refused:
            return self.result("error", refused, metrics=metrics)
        metrics["scratch"] = mask_url(configured)
        return configured, None, (f"scratch database {mask_url(configured)} (the configured database is never "
                                  "connected to)")

    def _probe_failure(self, ctx: GateContext, done: process.Completed, result_path: Path,
                       scratch: str) -> str | None:
        """Why the probe produced no result to read, or None when it did."""
        python = target_python(ctx.root, ctx.config)
        saved: dict[str, Any] = (json.loads(result_path.read_text(encoding="utf-8"))
                                 if result_path.is_file() else {})
        if done.cancelled:
            return "cancelled"
        if done.timed_out:
            return "the migration probe did not finish in time (timeouts.gate_s); it was stopped"
        if done.returncode == 3:
            return f"alembic and sqlalchemy must be importable by the target's interpreter {python}: install them there"
        if done.returncode == 4:
            missing = saved.get("missing_driver", "")
            return (f"the target's interpreter {python} has no database driver for {mask_url(scratch)} ({missing}): "
                    f"install it there with {driver_hint(missing, python)}")
        if done.returncode == 5:
            return (f"the scratch database {mask_url(scratch)} is not empty (tables: "
                    f"{', '.join(saved.get('not_empty', []))}): the gate migrates only an empty scratch database so "
                    "that the round trip starts from nothing; empty it or point the scratch URL at another")
        if not saved or done.returncode != 0:
            log = result_path.with_name("probe.log")  # scrubbed of passwords, unlike done.output
            text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else done.output
            tail = mask_url(" | ".join(text.strip().splitlines()[-3:]))
            return f"the migration probe failed (exit {done.returncode}): {tail}"
        return None
