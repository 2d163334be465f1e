"""The runtime gates judged on a change (workflow/judge.py): tests against the base's own suite, the coverage
ratchet, and the database round trip over the change's migrations, on git copies of examples/shop."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend_orchestrator.demo_change import apply_pagination

from .test_change_verdicts import cli, git, git_shop, task_for_the_demo

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]

UNTESTED = '''

def price_report(session: Session) -> dict[str, int]:
    """Cheapest, dearest and total price of the catalogue (no test runs this)."""
    products = list(session.scalars(select(Product)).all())
    if not products:
        return {"cheapest": 0, "dearest": 0, "total": 0}
    cheapest = min(p.price_cents for p in products)
    dearest = max(p.price_cents for p in products)
    total = sum(p.price_cents for p in products)
    average = total // len(products)
    spread = dearest - cheapest
    ranked = sorted(products, key=lambda p: p.price_cents)
    middle = ranked[len(ranked) // 2].price_cents
    out_of_stock = sum(1 for p in products if not p.stock)
    in_stock = len(products) - out_of_stock
    categories = sorted({p.category for p in products})
    per_category = {c: sum(1 for p in products if p.category == c) for c in categories}
    largest = max(per_category, key=lambda c: per_category[c])
    smallest = min(per_category, key=lambda c: per_category[c])
    if spread > 10_000:
        note = "wide"
    elif spread > 1_000:
        note = "medium"
    else:
        note = "narrow"
    return {"cheapest": cheapest, "dearest": dearest, "total": total, "average": average, "middle": middle,
            "in_stock": in_stock, "out_of_stock": out_of_stock, "categories": len(categories),
            "largest": per_category[largest], "smallest": per_category[smallest], "spread": len(note)}
'''


def configure(shop: Path, text: str) -> None:
    config = shop / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")


def validate(shop: Path, task_id: str, out: Path, gates: str) -> tuple[int, dict]:
    code = cli(shop, "validate", task_id, "--gates", gates, "--format", "json", "--output", str(out))
    return code, json.loads(out.read_text(encoding="utf-8"))


def by_rule(report: dict, gate: str) -> dict[str, list[str | None]]:
    found: dict[str, list[str | None]] = {}
    for f in next(g for g in report["gates"] if g["gate"] == gate)["findings"]:
        found.setdefault(f["rule_id"], []).append(f["baseline_state"])
    return found


def test_failing_tests_and_low_coverage_the_base_had_are_existing_until_the_change_adds_its_own(
        tmp_path: Path) -> None:
    shop = git_shop(tmp_path)
    configure(shop, "\n[tool.backend-orchestrator.thresholds]\ncoverage_percent = 99\n"
                    "\n[tool.backend-orchestrator.gates]\napi = [\"tests\"]\n")
    (shop / "tests" / "test_known_bug.py").write_text(
        "def test_a_known_bug_nobody_fixed_yet():\n    assert 1 + 1 == 3\n", encoding="utf-8")
    git(shop, "add", "-A")
    git(shop, "commit", "-qm", "debt: a failing test, coverage below 99 %")
    first = task_for_the_demo(shop)
    apply_pagination(shop)
    code, report = validate(shop, first, tmp_path / "one.json", "tests")
    assert (code, report["verdict"]) == (0, "pass"), report["notes"]
    assert by_rule(report, "tests") == {"TST001": ["existing"], "TST002": ["existing"], "TST007": ["existing"] * 2}
    tests = report["gates"][0]
    assert tests["metrics"]["base_coverage_percent"] < 99 and "did not lower it" in next(
        f["message"] for f in tests["findings"] if f["rule_id"] == "TST002")
    task = json.loads((shop / "ai-state/active/backend/tasks" / f"{first}.json").read_text(encoding="utf-8"))
    assert task["status"] == "done"

    second = task_for_the_demo(shop)  # the same base commit: the base's suite ran once, for both
    assert second == "task-002-api"
    (shop / "tests" / "test_new_bug.py").write_text("def test_the_change_broke_this():\n    assert [] == [1]\n",
                                                    encoding="utf-8")
    service = shop / "shop" / "services" / "products.py"
    service.write_text(service.read_text(encoding="utf-8") + UNTESTED, encoding="utf-8")
    code, report = validate(shop, second, tmp_path / "two.json", "tests")
    assert (code, report["verdict"]) == (1, "fail")
    found = by_rule(report, "tests")
    assert sorted(found["TST001"]) == ["existing", "new"] and found["TST002"] == ["new"]
    new = [f for f in report["gates"][0]["findings"] if f["baseline_state"] == "new"]
    assert {(f["rule_id"], f.get("path")) for f in new if f["rule_id"] != "TST006"} == {
        ("TST001", "tests/test_new_bug.py"), ("TST002", None)}
    assert "lowered it from" in next(f["message"] for f in new if f["rule_id"] == "TST002")


MIGRATION = '''"""product weight

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("products", sa.Column("weight_grams", sa.Integer(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("weights cannot be dropped")
'''


def test_the_round_trip_covers_the_changes_migrations_and_the_schemas_old_gaps_stay_existing(tmp_path: Path) -> None:
    shop = git_shop(tmp_path)
    configure(shop, "\n[tool.backend-orchestrator.gates]\ndatabase = [\"database\"]\n")
    git(shop, "commit", "-qam", "database tasks need the database gate")
    assert cli(shop, "task", "add", "Add a weight column to the products table", "--kind", "database") == 0
    assert cli(shop, "assign", "task-001-database") == 0
    out = tmp_path / "report.json"
    code, report = validate(shop, "task-001-database", out, "database")
    database = report["gates"][0]
    assert database["status"] == "not-applicable" and "touches no migration" in database["summary"]
    assert report["verdict"] == "pass"  # nothing to check is not a failure: the gate does not apply

    assert cli(shop, "task", "add", "Add a weight column to the products table", "--kind", "database") == 0
    assert cli(shop, "assign", "task-002-database") == 0
    (shop / "migrations" / "versions" / "0003_weight.py").write_text(MIGRATION, encoding="utf-8")
    models = shop / "shop" / "models.py"
    models.write_text(models.read_text(encoding="utf-8").replace(
        '    category: Mapped[str] = mapped_column(String(50), index=True)\n',
        '    category: Mapped[str] = mapped_column(String(50), index=True)\n'
        '    weight_grams: Mapped[int | None] = mapped_column(Integer, nullable=True)\n'), encoding="utf-8")
    code, report = validate(shop, "task-002-database", out, "database")
    assert (code, report["verdict"]) == (1, "fail")
    found = by_rule(report, "database")
    assert found.pop("DB001") == ["new"]  # the downgrade back to the base's head (0002) fails
    assert found and {s for states in found.values() for s in states} == {"existing"}  # its unindexed FKs
    failed = next(f for f in report["gates"][0]["findings"] if f["rule_id"] == "DB001")
    assert "0003" in failed["message"] and failed["path"] == "migrations/versions/0003_weight.py"
    assert "downgrade 0002" in failed["title"]
