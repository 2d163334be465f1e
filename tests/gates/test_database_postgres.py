"""The `database` gate on PostgreSQL: the round trip, `alembic check` and the schema checks run in a fresh
schema of the configured scratch database, against a real server (the session's ``postgres`` fixture);
the configured database is never touched and no password reaches a message or an evidence file."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.report import GateResult
from backend_orchestrator.gates import GateContext, run_gate
from backend_orchestrator.gates.database import DatabaseGate

from ..pg import PgServer

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures"
NOT_APPLICABLE = ("not applicable: the gate never connects to the configured database; it migrates only the "
                  "scratch database")


@pytest.fixture(autouse=True)
def _no_urls_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BO_SCRATCH_DATABASE_URL", "WAREHOUSE_DATABASE_URL", "BO_DATABASE_ENV"):
        monkeypatch.delenv(name, raising=False)


def project(case: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / case, tmp_path / case))


def gate(root: Path, database_url: str, scratch: str | None) -> GateResult:
    config = load_config(root)
    config.database_url, config.scratch_database_url = database_url, scratch
    ctx = GateContext(root=root, config=config, evidence_dir=root / "evidence")
    return run_gate(DatabaseGate(), ctx)


def rows(result: GateResult) -> list[tuple[str, str, str | None, int | None]]:
    return [(f.rule_id, f.title, f.path, f.line) for f in result.findings]


def snapshot(pg: PgServer, database: str) -> dict[str, Any]:
    """Every schema, table and row of ``database`` (rows as one md5 per table)."""
    schemas = pg.query(database, "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                                 "AND nspname <> 'information_schema' ORDER BY 1")
    tables = pg.query(database, "SELECT table_schema, table_name FROM information_schema.tables WHERE "
                                "table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
    content = {f"{s}.{t}": pg.query(database, f'SELECT count(*), md5(coalesce(string_agg(x::text, \',\' ORDER BY '
                                              f'x::text), \'\')) FROM "{s}"."{t}" x')[0] for s, t in tables}
    return {"schemas": [s for (s,) in schemas], "tables": content}


def migrate(root: Path, url: str, revision: str) -> None:
    """``alembic upgrade <revision>`` on ``url`` as the project's own deployment would (env.py reads the URL)."""
    env = os.environ | {"WAREHOUSE_DATABASE_URL": url, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", revision], cwd=root, env=env, check=True,
                   capture_output=True, timeout=120)


def evidence_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in sorted((root / "evidence").rglob("*")) if p.is_file())


def test_a_postgres_project_round_trips_in_a_fresh_schema_twice_and_reports_its_unindexed_foreign_key(
        postgres: PgServer, tmp_path: Path) -> None:
    root = project("db_pg", tmp_path)
    scratch = postgres.create_database("scratch")
    for _ in range(2):  # the second run starts from an empty schema too: nothing of the first one is left
        started = time.monotonic()
        result = gate(root, postgres.url("warehouse_prod", host="db.internal"), postgres.url(scratch))
        assert result.metrics["migration_round_trip"] == "pass", result.summary
        assert result.metrics["alembic_check"] == "pass"
        assert (result.metrics["heads"], result.metrics["revisions"], result.metrics["tables"]) == (1, 2, 2)
        assert rows(result) == [("DB004", "Foreign key without an index: items.warehouse_id", "warehouse/models.py",
                                 23)]
        assert "warehouses" in result.findings[0].message and "op.create_index" in result.findings[0].message
        assert result.status == "fail"
        assert result.metrics["backup_verified"] == NOT_APPLICABLE
        assert result.metrics["scratch"] == f"postgresql+psycopg://{postgres.user}:***@127.0.0.1:{postgres.port}/" \
                                            f"{scratch}"
        assert snapshot(postgres, scratch) == {"schemas": ["public"], "tables": {}}
        assert time.monotonic() - started < 30


def test_a_broken_downgrade_on_postgres_fails_the_round_trip_naming_the_revision_and_every_schema_defect_is_found(
        postgres: PgServer, tmp_path: Path) -> None:
    root = project("db_pg_bad", tmp_path)
    result = gate(root, postgres.url("warehouse_prod", host="db.internal"), postgres.url(postgres.create_database()))
    assert result.status == "fail"
    assert result.metrics["migration_round_trip"] == "fail" and result.metrics["alembic_check"] == "fail"
    failed = next(f for f in result.findings if f.rule_id == "DB001")
    assert (failed.title, failed.path, failed.line) == ("Migration step failed: alembic downgrade -1",
                                                        "migrations/versions/0002_items.py", 38)
    assert "in revision 0002 (migrations/versions/0002_items.py)" in failed.message
    assert 'UndefinedTable' in failed.message and 'table "item" does not exist' in failed.message
    drift = sorted((f.title, f.path, f.line) for f in result.findings if f.rule_id == "DB002")
    assert drift == [("Models differ from the migrations: add_column items.price_cents", "warehouse/models.py", 28),
                     ("Models differ from the migrations: modify_nullable items.warehouse_id", "warehouse/models.py",
                      25)]
    assert sorted(r for r in rows(result) if r[0] in ("DB004", "DB005", "DB006", "DB007")) == [
        ("DB004", "Foreign key without an index: items.warehouse_id", "warehouse/models.py", 25),
        ("DB005", "Table without a primary key: stock_moves", "warehouse/models.py", 31),
        ("DB006", "Nullable foreign key the model requires: items.warehouse_id", "warehouse/models.py", 25),
        ("DB007", "Normalisation smell: warehouses.phone1", "warehouse/models.py", 17),
    ]


def test_the_configured_postgres_database_is_untouched_and_its_password_is_in_no_message_or_evidence_file(
        postgres: PgServer, tmp_path: Path) -> None:
    root = project("db_pg_bad", tmp_path)
    real, scratch = postgres.create_database("warehouse"), postgres.create_database("scratch")
    migrate(root, postgres.url(real), "0001")  # production is one revision behind
    postgres.query(real, "INSERT INTO warehouses (id, name, status) VALUES (1, 'North', 'open'), (2, 'South', "
                         "'closed')")
    stale, live = f"bo_scratch_{int(time.time()) - 2 * 86400}_abc123", f"bo_scratch_{int(time.time())}_def456"
    for schema in (stale, live, "reports"):  # a killed run's schema, a concurrent run's, and the owner's own
        postgres.query(scratch, f'CREATE SCHEMA "{schema}"')
    postgres.query(scratch, "CREATE TABLE reports.daily (id int PRIMARY KEY)")
    before, scratch_before = snapshot(postgres, real), snapshot(postgres, scratch)
    result = gate(root, postgres.url(real), postgres.url(scratch))
    assert result.metrics["migration_round_trip"] == "fail"  # the bad fixture ran in full
    assert snapshot(postgres, real) == before
    assert before["tables"] == {"public.alembic_version": (1, before["tables"]["public.alembic_version"][1]),
                                "public.warehouses": (2, before["tables"]["public.warehouses"][1])}
    assert postgres.query(real, "SELECT version_num FROM alembic_version") == [("0001",)]
    schemas_after = snapshot(postgres, scratch)["schemas"]
    assert schemas_after == [s for s in scratch_before["schemas"] if s != stale]
    assert postgres.password not in result.model_dump_json()
    assert postgres.password not in evidence_text(root)
    assert sorted(p.name for p in (root / "evidence" / "database").iterdir()) == ["probe.json", "probe.log"]


@pytest.mark.parametrize("how", ["the same URL", "localhost for 127.0.0.1, another driver", "the app's variable",
                                 "alembic.ini's URL"])
def test_a_scratch_url_naming_the_configured_database_is_refused_before_anything_runs(
        how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project("db_pg", tmp_path)
    real = "postgresql+psycopg://warehouse:pr0d-s3cret@127.0.0.1:5432/warehouse"
    configured, scratch = real, real
    if how == "localhost for 127.0.0.1, another driver":
        scratch = "postgresql://warehouse:pr0d-s3cret@localhost/warehouse"
    elif how == "the app's variable":
        monkeypatch.setenv("WAREHOUSE_DATABASE_URL", real)
        configured = "postgresql+psycopg://warehouse:pr0d-s3cret@db.internal:5432/warehouse"
    elif how == "alembic.ini's URL":
        ini = root / "alembic.ini"
        ini.write_text(ini.read_text(encoding="utf-8").replace(
            "postgresql+psycopg://warehouse@db.internal/warehouse", real), encoding="utf-8")
        configured = "postgresql+psycopg://warehouse:pr0d-s3cret@db.internal:5432/warehouse"
    result = gate(root, configured, scratch)
    assert result.status == "error"
    assert "is the database" in result.summary and "separate, throwaway database" in result.summary
    assert "pr0d-s3cret" not in result.model_dump_json()
    assert not (root / "evidence" / "database" / "probe.log").exists()


def test_a_scratch_database_of_another_kind_is_refused(tmp_path: Path) -> None:
    result = gate(project("db_pg", tmp_path), "postgresql+psycopg://w:pw-secret@db.internal/warehouse",
                  "mysql+pymysql://w:pw-secret@127.0.0.1/scratch")
    assert result.status == "error"
    assert "is mysql but database_url is postgresql" in result.summary
    assert "pw-secret" not in result.model_dump_json()


def test_a_scratch_user_who_may_not_create_a_schema_gets_an_error_saying_so(postgres: PgServer, tmp_path: Path) -> None:
    scratch, role = postgres.create_database("scratch"), f"bo_reader_{os.getpid()}"
    postgres.query("postgres", f"CREATE ROLE {role} LOGIN PASSWORD 'r3ader-pw'")
    try:
        url = f"postgresql+psycopg://{role}:r3ader-pw@{postgres.host}:{postgres.port}/{scratch}"
        root = project("db_pg", tmp_path)
        result = gate(root, postgres.url("warehouse_prod", host="db.internal"), url)
    finally:
        postgres.query("postgres", f"DROP ROLE {role}")
    assert result.status == "error"
    assert "could not create the gate's schema in the scratch database" in result.summary
    assert "permission denied for database" in result.summary and "needs CREATE" in result.summary
    assert "r3ader-pw" not in result.model_dump_json() + evidence_text(root)


def test_an_env_py_that_connects_to_the_configured_postgres_database_is_stopped_before_it_migrates_it(
        postgres: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project("db_pg", tmp_path)
    real, scratch = postgres.create_database("warehouse"), postgres.create_database("scratch")
    env_py = root / "migrations" / "env.py"
    env_py.write_text(env_py.read_text(encoding="utf-8").replace(
        'os.environ.get("WAREHOUSE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")',
        'os.environ["TEST_PRODUCTION_DB"]'), encoding="utf-8")  # a name the gate does not recognise as a URL
    monkeypatch.setenv("TEST_PRODUCTION_DB", postgres.url(real))
    result = gate(root, postgres.url(real, host="db.internal"), postgres.url(scratch))
    assert result.status == "error"
    assert "refused a connection to a database other than the scratch database" in result.summary
    assert snapshot(postgres, real) == {"schemas": ["public"], "tables": {}}
    assert snapshot(postgres, scratch) == {"schemas": ["public"], "tables": {}}


def test_a_target_interpreter_without_the_urls_driver_gets_the_pip_command_to_install_it(tmp_path: Path) -> None:
    if importlib.util.find_spec("pg8000") is not None:
        pytest.skip("pg8000 is installed here: the missing-driver path needs an interpreter without it")
    result = gate(project("db_pg", tmp_path), "postgresql+psycopg://w:pw-secret@db.internal/warehouse",
                  "postgresql+pg8000://w:pw-secret@127.0.0.1:1/scratch")
    assert result.status == "error"
    assert ("has no database driver for postgresql+pg8000://w:***@127.0.0.1:1/scratch (No module named 'pg8000'): "
            f"install it there with `{sys.executable} -m pip install pg8000`") in result.summary
    assert "pw-secret" not in result.model_dump_json()
