"""The `database` gate round-trips real Alembic migrations on a scratch copy and inspects the schema."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.report import GateResult
from backend_orchestrator.gates import GateContext, run_gate
from backend_orchestrator.gates.database import DatabaseGate

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent / "fixtures" / "database"
GOLDEN = Path(__file__).parent / "golden" / "database.json"


def gate(root: Path, config: ProjectConfig | None = None) -> GateResult:
    ctx = GateContext(root=root, config=config or load_config(root), evidence_dir=root / "evidence")
    return run_gate(DatabaseGate(), ctx)


def fixture(case: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / case, tmp_path / case))


@pytest.mark.parametrize("case", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(case: str, tmp_path: Path) -> None:
    result = gate(fixture(case, tmp_path))
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line,
             "title": f.title, "fingerprint": f.fingerprint} for f in result.findings]
    if case == "ok":
        assert (result.status, rows) == ("pass", []), result.summary
        assert result.metrics["migration_round_trip"] == "pass"
        assert result.metrics["alembic_check"] == "pass"
        assert (result.metrics["heads"], result.metrics["tables"], result.metrics["fk_without_index"]) == (1, 2, 0)
        return
    assert result.status == "fail"
    assert result.metrics["migration_round_trip"] == "fail" and result.metrics["alembic_check"] == "fail"
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert rows == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert {f.rule_id for f in result.findings} >= {"DB001", "DB002", "DB004", "DB005", "DB006", "DB007", "DB008"}
    failed = next(f for f in result.findings if f.rule_id == "DB001")
    assert "downgrade -1" in failed.title and "NotImplementedError: books cannot be dropped" in failed.message


def test_a_migration_whose_downgrade_raises_fails_the_round_trip_naming_its_revision(tmp_path: Path) -> None:
    root = fixture("ok", tmp_path)
    script = root / "migrations" / "versions" / "0002_books.py"
    script.write_text(script.read_text(encoding="utf-8").replace(
        '    op.drop_index("ix_books_author_id", table_name="books")\n',
        '    raise RuntimeError("books cannot be dropped")\n'), encoding="utf-8")
    result = gate(root)
    assert result.status == "fail"
    assert (result.metrics["migration_round_trip"], result.metrics["alembic_check"]) == ("fail", "pass")
    assert [(f.rule_id, f.title, f.path, f.line) for f in result.findings] == [
        ("DB001", "Migration step failed: alembic downgrade -1", "migrations/versions/0002_books.py", 29)]
    assert result.findings[0].message.startswith(
        "`alembic downgrade -1` failed in revision 0002 (migrations/versions/0002_books.py): RuntimeError: books "
        "cannot be dropped.")


def test_the_example_shop_round_trips_and_reports_its_unindexed_foreign_keys(shop: Path) -> None:
    result = gate(shop)
    assert result.status == "fail", result.summary
    assert result.metrics["migration_round_trip"] == "pass"
    assert result.metrics["alembic_check"] == "pass"
    assert result.metrics["heads"] == 1 and result.metrics["tables"] == 4
    assert result.metrics["backup_verified"] is None  # shop.db does not exist in the copy
    assert "empty scratch database" in result.summary
    # orders.user_id is the README's planted gap; order_items.product_id is unindexed in 0002 as well.
    assert [(f.rule_id, f.title, f.path, f.line) for f in result.findings] == [
        ("DB004", "Foreign key without an index: orders.user_id", "shop/models.py", 50),
        ("DB004", "Foreign key without an index: order_items.product_id", "shop/models.py", 64),
    ]
    assert result.metrics["fk_without_index"] == 2
    assert not (shop / "shop.db").exists()


def test_the_configured_database_is_byte_identical_after_the_gate_and_its_backup_verifies(shop: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SHOP_DATABASE_URL"} | {"PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=shop, env=env, check=True,
                   capture_output=True, timeout=60)
    database = shop / "shop.db"
    with sqlite3.connect(database) as conn:
        conn.execute("INSERT INTO users (id, email, name, hashed_password) VALUES (1, 'a@example.com', 'A', 'x')")
        conn.execute("INSERT INTO orders (id, user_id, total_cents) VALUES (1, 1, 500)")
    conn.close()
    before = database.read_bytes()
    result = gate(shop)
    assert database.read_bytes() == before
    assert sorted(p.name for p in shop.iterdir() if p.name.startswith("shop.db")) == ["shop.db"]
    assert result.metrics["backup_verified"] is True
    assert result.metrics["migration_round_trip"] == "pass"
    backup = shop / "evidence" / "database" / "backup.db"
    assert "evidence/database/backup.db" in result.evidence
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (1,)
    conn.close()


def test_a_database_whose_backup_does_not_restore_is_not_migrated(shop: Path) -> None:
    (shop / "shop.db").write_bytes(b"this is not an SQLite database" * 100)
    result = gate(shop)
    assert result.status == "fail"
    assert [(f.rule_id, f.path) for f in result.findings] == [("DB009", "shop.db")]
    assert "could not be backed up" in result.findings[0].message
    assert result.metrics["backup_verified"] is False and result.metrics["migration_round_trip"] == "skipped"
    assert not (shop / "evidence" / "database" / "probe.log").exists()


def test_an_env_py_that_ignores_the_scratch_url_is_stopped_before_it_touches_the_database(tmp_path: Path) -> None:
    root = fixture("ok", tmp_path)
    env_py = root / "migrations" / "env.py"
    env_py.write_text(env_py.read_text(encoding="utf-8").replace(
        "engine_from_config(config.get_section(config.config_ini_section, {}), prefix=\"sqlalchemy.\",",
        "engine_from_config({\"sqlalchemy.url\": \"sqlite:///./library.db\"}, prefix=\"sqlalchemy.\","),
        encoding="utf-8")
    sqlite3.connect(root / "library.db").close()
    before = (root / "library.db").read_bytes()
    result = gate(root)
    assert result.status == "error"
    assert "refused a connection to an SQLite file other than the scratch copy" in result.summary
    assert (root / "library.db").read_bytes() == before


def test_two_migration_heads_are_reported_and_no_downgrade_is_attempted(tmp_path: Path) -> None:
    root = fixture("ok", tmp_path)
    branch = (root / "migrations" / "versions" / "0001_authors.py").read_text(encoding="utf-8")
    branch = branch.replace('revision = "0001"\ndown_revision = None', 'revision = "0003"\ndown_revision = "0001"')
    branch = branch.replace('op.create_table(\n        "authors"', 'op.create_table(\n        "notes"')
    branch = branch.replace('op.drop_table("authors")', 'op.drop_table("notes")')
    (root / "migrations" / "versions" / "0003_notes.py").write_text(branch, encoding="utf-8")
    result = gate(root)
    assert "DB003" in [f.rule_id for f in result.findings]
    assert result.status == "fail"
    assert result.metrics["heads"] == 2 and result.metrics["migration_round_trip"] == "skipped"


def test_a_non_sqlite_database_without_a_scratch_url_is_skipped_unmigrated_and_its_password_never_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BO_SCRATCH_DATABASE_URL", raising=False)
    root = fixture("ok", tmp_path)
    config = load_config(root)
    config.database_url = "postgresql://shop:s3cret-pw@db.internal:5432/shop"
    result = gate(root, config)
    assert result.status == "skipped"  # something to configure: a required database gate cannot pass this way
    assert "no scratch_database_url is configured" in result.summary
    assert [f.rule_id for f in result.findings] == ["DB010"]
    assert "BO_SCRATCH_DATABASE_URL" in result.findings[0].message
    assert result.metrics["migration_round_trip"] == "skipped"
    assert "s3cret-pw" not in result.model_dump_json()
    assert result.metrics["database"] == "postgresql://shop:***@db.internal:5432/shop"


def test_models_without_alembic_are_reported_and_a_project_with_neither_is_not_applicable(tmp_path: Path) -> None:
    root = fixture("ok", tmp_path)
    (root / "alembic.ini").unlink()
    shutil.rmtree(root / "migrations")
    config = load_config(root)
    config.alembic_config = None
    result = gate(root, config)
    assert [(f.rule_id, f.path) for f in result.findings] == [("DB011", "library/models.py")]
    (root / "library" / "models.py").write_text("X = 1\n", encoding="utf-8")
    assert gate(root, config).status == "not-applicable"


def test_an_interpreter_without_alembic_is_named_in_an_error(tmp_path: Path) -> None:
    import venv

    venv.create(tmp_path / "bare", with_pip=False)
    root = fixture("ok", tmp_path)
    config = load_config(root)
    config.python = str(tmp_path / "bare" / "bin" / "python")
    result = gate(root, config)
    assert result.status == "error"
    assert "alembic and sqlalchemy must be importable" in result.summary
