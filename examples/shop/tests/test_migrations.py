"""Run the real Alembic migrations against a throwaway SQLite file."""

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shop.db import Base

SHOP_DIR = Path(__file__).resolve().parent.parent
APP_TABLES = {"users", "products", "orders", "order_items"}


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    # env.py gives SHOP_DATABASE_URL precedence over alembic.ini.
    monkeypatch.setenv("SHOP_DATABASE_URL", url)
    return url


@pytest.fixture
def alembic_config(db_url: str) -> Config:
    config = Config(str(SHOP_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(SHOP_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", db_url)
    return config


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(alembic_config: Config, db_url: str) -> None:
    command.upgrade(alembic_config, "head")
    assert _tables(db_url) >= APP_TABLES

    command.downgrade(alembic_config, "base")
    assert _tables(db_url) & APP_TABLES == set()

    command.upgrade(alembic_config, "head")
    assert _tables(db_url) >= APP_TABLES


def test_migrations_match_models(alembic_config: Config, db_url: str) -> None:
    command.upgrade(alembic_config, "head")

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()

    assert diff == []
