"""The `tests` gate runs a real pytest suite under coverage in a subprocess of the target's interpreter."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig, Timeouts
from backend_orchestrator.gates import GateContext, get_gate, run_gate
from backend_orchestrator.gates.base import Gate

pytestmark = pytest.mark.slow


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def context(root: Path, **config: object) -> GateContext:
    return GateContext(root=root, config=ProjectConfig.model_validate(config), evidence_dir=root / "evidence")


BAD = {
    "calc/__init__.py": "",
    "calc/core.py": """
        def add(a, b):
            return a + b

        def divide(a, b):
            if b == 0:
                raise ZeroDivisionError("b is zero")
            return a / b

        def unused(x):
            if x > 10:
                return "big"
            if x > 5:
                return "medium"
            return "small"
    """,
    "tests/test_core.py": """
        from calc.core import add

        def test_add_works():
            assert add(2, 2) == 4

        def test_add_is_wrong():
            assert add(2, 2) == 5
    """,
}


FIXTURES = Path(__file__).parent / "fixtures" / "tests"
GOLDEN = Path(__file__).parent / "golden" / "tests.json"


@pytest.mark.parametrize("case", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(case: str, tmp_path: Path) -> None:
    import json
    import os
    import shutil

    root = Path(shutil.copytree(FIXTURES / case, tmp_path / case))
    result = run_gate(get_gate("tests"), context(root))
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line}
            for f in result.findings]
    if case == "ok":
        assert (result.status, rows) == ("pass", [])
        assert result.metrics["coverage_percent"] == 100.0
        return
    assert result.status == "fail"
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert rows == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_example_shop_passes_its_tests_and_only_warns_of_full_scans(shop: Path) -> None:
    result = run_gate(get_gate("tests"), context(shop, source=["shop"]))
    # Only the advisory full scans of its unindexed filters (orders.user_id, order_items.product_id): a warning
    assert result.status == "warn", result.summary
    assert [(f.rule_id, f.title) for f in result.findings] == [
        ("TST007", "Full scan of orders although filtered"), ("TST007", "Full scan of order_items although filtered")]
    assert result.metrics["tests"] == result.metrics["passed"] and result.metrics["tests"] >= 40
    assert 80 < result.metrics["coverage_percent"] < 100
    assert (shop / "evidence" / "tests" / "junit.xml").is_file()
    assert (shop / "evidence" / "tests" / "coverage.json").is_file()
    assert not list(shop.rglob("__pycache__")) and not (shop / ".coverage").exists()


def test_a_failing_test_and_low_coverage_fail_the_gate_with_located_findings(tmp_path: Path) -> None:
    root = write(tmp_path, BAD)
    result = run_gate(get_gate("tests"), context(root))
    assert result.status == "fail"
    assert [(f.rule_id, f.severity) for f in result.findings] == [("TST001", "high"), ("TST002", "medium")]
    failure = result.findings[0]
    assert failure.path == "tests/test_core.py" and failure.line == 7
    assert "test_add_is_wrong" in failure.title and "assert 4 == 5" in (failure.evidence or "")
    assert result.metrics["failed"] == 1 and result.metrics["passed"] == 1
    assert result.metrics["coverage_percent"] < 80
    assert "calc/core.py" in result.findings[1].message


def test_an_empty_suite_is_skipped_as_no_tests_collected_which_no_task_can_pass(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "tests/test_nothing.py": "# nothing yet\n"})
    result = run_gate(get_gate("tests"), context(root))
    assert result.status == "skipped" and "add tests named test_*.py" in result.summary
    assert [f.rule_id for f in result.findings] == ["TST003"]


def test_a_suite_that_outlives_its_timeout_is_stopped_as_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "",
                            "tests/test_slow.py": "import time\n\ndef test_slow():\n    time.sleep(60)\n"})
    ctx = context(root)
    ctx.config.timeouts = Timeouts(tests_s=2)
    result = run_gate(get_gate("tests"), ctx)
    assert result.status == "error"
    assert "did not finish within 2 s" in result.summary
    assert result.duration_s < 20


def test_an_interpreter_without_pytest_is_named_in_an_error(tmp_path: Path) -> None:
    import venv

    venv.create(tmp_path / "bare", with_pip=False)
    root = write(tmp_path / "proj", {"app/__init__.py": "", "tests/test_a.py": "def test_a():\n    pass\n"})
    result = run_gate(get_gate("tests"), context(root, python=str(tmp_path / "bare" / "bin" / "python")))
    assert result.status == "error"
    assert "pip install pytest coverage" in result.summary


def test_a_gate_that_crashes_becomes_an_error_result_not_an_exception(tmp_path: Path) -> None:
    class Broken(Gate):
        id = "broken"
        title = "Broken"

        def run(self, ctx: GateContext):  # type: ignore[override]
            raise ValueError("boom")

    result = run_gate(Broken(), context(tmp_path))
    assert result.status == "error"
    assert "ValueError: boom" in result.summary


def test_a_gate_that_outlives_its_time_limit_is_stopped_as_an_error(tmp_path: Path) -> None:
    import threading

    class Stuck(Gate):
        id = "stuck"
        title = "Stuck"

        def run(self, ctx: GateContext):  # type: ignore[override]
            ctx.cancelled.wait(30)  # a cooperative gate: returns once told to stop
            return self.result("pass", "should never count")

    ctx = context(tmp_path)
    result = run_gate(Stuck(), ctx, timeout_s=0.5)
    assert result.status == "error"
    assert "did not finish within 0.5 s" in result.summary
    assert ctx.cancelled.is_set()
    assert isinstance(ctx.cancelled, threading.Event)


def test_our_interpreter_is_the_default_when_the_target_has_no_venv(tmp_path: Path) -> None:
    from backend_orchestrator.config import target_python

    assert target_python(tmp_path, ProjectConfig()) == sys.executable
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("", encoding="utf-8")
    assert target_python(tmp_path, ProjectConfig()) == str(tmp_path / ".venv" / "bin" / "python")


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(tmp_path: Path) -> None:
    import json
    from datetime import UTC, datetime

    from jsonschema import Draft4Validator

    from backend_orchestrator.contracts.report import ValidationReport
    from backend_orchestrator.gates.render import to_sarif

    root = write(tmp_path, BAD)
    result = run_gate(get_gate("tests"), context(root))
    now = datetime(2026, 11, 28, tzinfo=UTC)
    report = ValidationReport(run_id="run-000001", task_id=None, started_at=now, finished_at=now, verdict="fail",
                              gates=[result], evidence_dir="evidence")
    log = json.loads(to_sarif(report))
    schema = json.loads((Path(__file__).parents[1] / "data" / "sarif-2.1.0-rtm.5.json").read_text("utf-8"))
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=str)
    assert errors == []
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "backend-orchestrator/tests"
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {f"TST00{n}" for n in range(1, 8)}
    assert all(r["help"]["text"] for r in run["tool"]["driver"]["rules"])
    first = run["results"][0]
    assert (first["ruleId"], first["level"]) == ("TST001", "error")
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
