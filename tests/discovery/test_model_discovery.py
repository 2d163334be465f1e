"""Models read statically: SQLModel, Flask-SQLAlchemy, classic Table(...) objects and constraints."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.registry import Column, Model
from backend_orchestrator.discovery import Discovery, scan
from backend_orchestrator.discovery.sqlalchemy_models import snake_case

from .support import FIXTURES, write


@cache
def variants() -> Discovery:
    return scan(FIXTURES / "models_variants", ProjectConfig())


def model(found: Discovery, name: str) -> Model:
    return next(m for m in found.models.models if m.name == name)


def column(found: Discovery, model_name: str, column_name: str) -> Column:
    return next(c for c in model(found, model_name).columns if c.name == column_name)


def test_a_sqlmodel_table_is_named_after_the_lowercased_class_and_non_tables_are_not_models() -> None:
    names = {m.name: m.table for m in variants().models.models}
    assert (names["Hero"], names["Team"]) == ("hero", "team")
    assert "TeamBase" not in names and "HeroPublic" not in names


def test_a_sqlmodel_table_has_the_fields_of_its_non_table_bases_first() -> None:
    assert [c.name for c in model(variants(), "Team").columns] == ["name", "headquarters", "id"]
    assert column(variants(), "Team", "name").type == "String(50)"  # Field(max_length=50)


def test_sqlmodel_field_options_set_keys_nullability_unique_and_index() -> None:
    found = variants()
    assert column(found, "Hero", "id").model_dump(exclude={"name"}) == {
        "type": "Uuid",
        "nullable": False,
        "primary_key": True,
        "foreign_key": None,
        "unique": False,
        "index": False,
    }
    assert column(found, "Hero", "team_id").foreign_key == "team.id"
    assert column(found, "Hero", "age").nullable  # int | None
    assert column(found, "Hero", "email").nullable  # nullable=True wins over `str`
    assert column(found, "Hero", "bio").type == "Text"  # sa_column=Column(Text)
    assert column(found, "Hero", "fee").type == "Numeric(8, 2)"
    assert {i.name for i in model(found, "Hero").indexes} == {
        "ix_hero_age",
        "ix_hero_name",
        "uq_hero_identity",
    }


def test_relationship_targets_and_cardinality_come_from_the_annotation() -> None:
    team, hero = model(variants(), "Team").relations[0], model(variants(), "Hero").relations[0]
    assert (team.target, team.uselist, team.back_populates) == ("Hero", True, "team")
    assert (hero.target, hero.uselist) == ("Team", False)


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("User", "user"),
        ("UserAccount", "user_account"),
        ("APIKey", "api_key"),
        ("HTTPLog", "http_log"),
        ("V2Item", "v2_item"),
    ],
)
def test_flask_sqlalchemy_names_a_table_after_the_snake_cased_class(name: str, table: str) -> None:
    assert snake_case(name) == table


def test_flask_sqlalchemy_models_use_db_column_db_foreign_key_and_an_explicit_tablename_when_given() -> None:
    found = variants()
    assert {m.name: m.table for m in found.models.models if m.file == "inventory/accounts.py"} == {
        "APIKey": "api_key",
        "Role": "roles",
        "UserAccount": "user_account",
        "user_roles": "user_roles",
    }
    assert column(found, "APIKey", "owner_id").model_dump(include={"type", "foreign_key", "nullable"}) == {
        "type": "Integer",
        "foreign_key": "user_account.id",
        "nullable": False,  # the type of user_account.id
    }
    assert model(found, "Role").indexes[0].model_dump() == {
        "name": "ix_roles_scope_name",
        "columns": ["scope", "name"],
        "unique": True,
    }


def test_a_table_object_is_a_model_named_after_its_variable_with_its_table_level_constraints() -> None:
    entries = model(variants(), "entries")
    assert entries.table == "ledger_entries"
    keys = [
        (c.name, c.primary_key, c.nullable, c.foreign_key)
        for c in entries.columns
        if c.primary_key or c.foreign_key
    ]
    assert keys == [
        ("account_id", True, False, "ledger_accounts.id"),  # PrimaryKeyConstraint + ForeignKeyConstraint
        ("seq", True, False, None),
        ("reversal_of", False, True, "ledger_accounts.id"),  # ForeignKey(accounts.c.id)
    ]
    assert [i.name for i in entries.indexes] == ["ix_ledger_entries_amount", "ix_ledger_entries_booked_at"]
    assert [i.name for i in model(variants(), "accounts").indexes] == ["uq_ledger_accounts_code_currency"]


def test_a_reflected_table_and_single_table_inheritance_are_unresolved_not_guessed(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "models.py": (
                "from flask_sqlalchemy import SQLAlchemy\n"
                "from sqlalchemy import MetaData, Table\n"
                "db = SQLAlchemy()\n"
                "legacy = Table('legacy', MetaData(), autoload_with=None)\n\n"
                "class Person(db.Model):\n"
                "    id = db.Column(db.Integer, primary_key=True)\n\n"
                "class Employee(Person):\n"
                "    badge = db.Column(db.String(10))\n\n"
                "class Manager(Person):\n"
                "    id = db.Column(db.ForeignKey('person.id'), primary_key=True)\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert {m.name: m.table for m in found.models.models} == {
        "legacy": "legacy",
        "Person": "person",
        "Manager": "manager",
    }
    assert [c.name for c in next(m for m in found.models.models if m.name == "Manager").columns] == ["id"]
    assert [(u.line, u.reason.split(";")[0]) for u in found.models.unresolved] == [
        (4, "Table legacy ('legacy') is reflected from the database"),
        (
            9,
            "model Employee extends Person without a primary key of its own (single-table inheritance): its "
            "columns are in Person's table",
        ),
    ]
