"""The configured database, introspected read-only in a subprocess: tables, columns, foreign keys and
indexes; drift between the models and the database; passwords never written anywhere."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from backend_orchestrator.state import Project
from backend_orchestrator.workflow import scan_project

from ..conftest import fixed_project
from .conftest import registry


def migrated_shop(shop: Path) -> Project:
    """The shop with its real database: ``alembic upgrade head`` on shop.db (run by the shop's interpreter)."""
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=shop, check=True, capture_output=True,
                   timeout=120)
    assert (shop / "shop.db").is_file()
    return fixed_project(shop)


def test_the_migrated_database_is_read_with_columns_foreign_keys_and_indexes_and_matches_the_models(
        shop: Path) -> None:
    project = migrated_shop(shop)
    before = (shop / "shop.db").read_bytes()
    result = scan_project(project, mode="static")
    database = registry(project, "models")["database"]
    assert database["status"] == "read" and database["dialect"] == "sqlite" and database["error"] is None
    assert database["url"] == "sqlite:///./shop.db"
    tables = {t["name"]: t for t in database["tables"]}
    assert set(tables) == {"alembic_version", "users", "products", "orders", "order_items"}
    items = {c["name"]: c for c in tables["order_items"]["columns"]}
    assert items["order_id"]["foreign_key"] == "orders.id" and items["order_id"]["index"] is True
    assert items["id"]["primary_key"] is True and items["id"]["nullable"] is False
    assert items["quantity"]["type"] == "INTEGER"
    index = {"name": "ix_order_items_order_id", "columns": ["order_id"], "unique": False}
    assert index in tables["order_items"]["indexes"]
    assert {c["name"]: c["unique"] for c in tables["users"]["columns"]}["email"] is True
    assert result.database == "sqlite:///./shop.db: 5 tables (sqlite)"
    assert result.drift == [] and registry(project, "models")["drift"] == []
    assert (shop / "shop.db").read_bytes() == before  # read-only


def test_tables_and_columns_missing_on_either_side_are_reported_as_model_drift(shop: Path) -> None:
    project = migrated_shop(shop)
    with sqlite3.connect(shop / "shop.db") as db:
        db.execute("DROP TABLE order_items")
        db.execute("CREATE TABLE legacy_audit (id INTEGER PRIMARY KEY, note TEXT)")
        db.execute("ALTER TABLE products ADD COLUMN legacy_code TEXT")
    db.close()
    result = scan_project(project, mode="static")
    drift = {(d["kind"], d["ref"], d["detail"]) for d in registry(project, "models")["drift"]}
    assert drift == {
        ("not-in-database", "model OrderItem",
         "table 'order_items' is not in the database: migrations not applied?"),
        ("not-in-models", "table legacy_audit", "in the database, no model declares it"),
        ("not-in-models", "table products", "column products.legacy_code is in the database, no model declares it"),
    }
    assert "not-in-database: model OrderItem — table 'order_items' is not in the database: migrations not applied?" \
        in result.drift


def test_a_database_file_not_created_yet_is_reported_as_missing_not_as_an_error(shop: Path) -> None:
    project = fixed_project(shop)
    scan_project(project, mode="static")
    database = registry(project, "models")["database"]
    assert database["status"] == "missing" and database["tables"] == []
    assert database["error"] == "shop.db is not created yet (no migration applied)"
    assert registry(project, "models")["drift"] == []
    assert not (shop / "shop.db").exists()  # looking did not create it


def test_a_database_that_cannot_be_reached_is_an_error_entry_and_its_password_is_never_written(shop: Path) -> None:
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
        'database_url = "sqlite:///./shop.db"', 'database_url = "postgresql://shop:pa55-w0rd@127.0.0.1:1/shop"'),
        encoding="utf-8")
    project = fixed_project(shop)
    result = scan_project(project, mode="static")
    database = registry(project, "models")["database"]
    assert database["status"] == "error" and database["url"] == "postgresql://shop:***@127.0.0.1:1/shop"
    assert database["error"]
    assert result.database is not None and result.database.startswith("postgresql://shop:***@127.0.0.1:1/shop: error")
    written = [p for p in (shop / "ai-state").rglob("*") if p.is_file()]
    assert written and all(b"pa55-w0rd" not in p.read_bytes() for p in written)


def test_an_sqlite_file_outside_the_project_is_not_read(shop: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.db"
    sqlite3.connect(outside).close()
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
        'database_url = "sqlite:///./shop.db"', f'database_url = "sqlite:///{outside}"'), encoding="utf-8")
    scan_project(fixed_project(shop), mode="static")
    database = registry(fixed_project(shop), "models")["database"]
    assert database["status"] == "error" and "outside the project root; not read" in database["error"]
