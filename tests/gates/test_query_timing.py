"""SQL statements of the target are timed by SQLAlchemy cursor events injected with a sitecustomize,
and slow statements and N+1 patterns become findings of the tests and performance gates."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from types import ModuleType

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.gates import GateContext, get_gate, querytiming, run_gate
from backend_orchestrator.gates.performance import PerformanceGate, Profile

FIXTURES = Path(__file__).parent / "fixtures" / "querytiming"
TIMER = querytiming.TIMER_DIR / "sitecustomize.py"


def timer_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bo_sqltimer_under_test", TIMER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def context(root: Path) -> GateContext:
    return GateContext(root=root, config=ProjectConfig(), evidence_dir=root / "evidence")


def write_log(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("case", ["ok", "bad"])
def test_the_tests_gate_reports_the_slow_query_and_the_n_plus_one_of_the_fixture_only(case: str,
                                                                                        tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / case, tmp_path / case))
    result = run_gate(get_gate("tests"), context(root))
    rows = [(f.rule_id, f.severity, f.category, f.path, f.line) for f in result.findings]
    assert isinstance(result.metrics["queries"], int) and result.metrics["queries"] > 20
    assert "evidence/tests/sql-timing.jsonl" in result.evidence
    assert "evidence/tests/sql-stats.json" in result.evidence
    if case == "ok":
        assert (result.status, rows) == ("pass", []), result.summary
        return
    assert result.status == "fail"
    assert rows == [("TST004", "high", "slow-query", "family/main.py", 19),
                    ("TST005", "medium", "slow-query", "family/main.py", 13)]
    slow, n_plus_one = result.findings
    assert "slow_identity(count(*))" in slow.message and "50 ms" in slow.message
    assert "20 times" in n_plus_one.message
    assert "test_parents_lists_every_parent_with_its_children" in n_plus_one.message
    slowest = json.loads((root / "evidence" / "tests" / "sql-stats.json").read_text("utf-8"))["slowest"]
    assert slowest[0]["sql"].startswith("SELECT slow_identity") and slowest[0]["plan"] == ["SCAN parent"]
    assert slowest[0]["full_scan"] is None  # no WHERE: reading every parent is what the statement asks for
    assert "slowest SQL at p95: 6" in result.summary and "SELECT slow_identity" in result.summary
    assert isinstance(result.metrics["query_p95_ms"], float) and result.metrics["slowest_query_ms"] >= 50


def test_statements_are_normalised_literals_in_lists_values_and_whitespace() -> None:
    normalise = timer_module().normalise
    assert normalise("SELECT *\n  FROM t WHERE a = 'x''y' AND b = 42 AND c IN (1, 2, 3)") == \
        "SELECT * FROM t WHERE a = ? AND b = ? AND c IN (?)"
    assert normalise("SELECT a FROM t WHERE id IN (:p1, :p2) AND x = %(x)s AND y = $1") == \
        "SELECT a FROM t WHERE id IN (?) AND x = ? AND y = ?"
    assert normalise("INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)") == "INSERT INTO t (a, b) VALUES (?, ?)"
    assert normalise("SELECT t1.col2 FROM t1") == "SELECT t1.col2 FROM t1"


def test_the_timer_env_puts_the_timer_first_and_keeps_the_existing_pythonpath(tmp_path: Path) -> None:
    env = querytiming.timer_env(tmp_path / "log.jsonl", tmp_path, {"PYTHONPATH": "/proj", "X": "1"})
    assert env["PYTHONPATH"].split(":") == [str(querytiming.TIMER_DIR), "/proj"]
    assert env["BO_SQL_TIMING_LOG"] == str(tmp_path / "log.jsonl") and env["X"] == "1"
    assert querytiming.timer_env(tmp_path / "l", tmp_path, {})["PYTHONPATH"] == str(querytiming.TIMER_DIR)


def test_the_timer_logs_each_statement_with_its_call_site_and_chains_the_target_sitecustomize(
        tmp_path: Path) -> None:
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "sitecustomize.py").write_text("import os\nos.environ['OWN_SITE'] = 'ran'\n", "utf-8")
    (tmp_path / "app.py").write_text(
        "import os\nfrom sqlalchemy import create_engine, text\n\nwith create_engine('sqlite://').connect() as c:\n"
        "    c.execute(text('SELECT 1 WHERE 2 = :x'), {'x': 2})\nprint(os.environ.get('OWN_SITE'))\n", "utf-8")
    log = tmp_path / "log.jsonl"
    env = querytiming.timer_env(log, tmp_path, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "own"),
                                                "PYTEST_CURRENT_TEST": "tests/test_a.py::test_b (call)"})
    done = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "ran"
    statement, plan = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert (statement["sql"], statement["ctx"], statement["site"]) == ("SELECT ? WHERE ? = ?",
                                                                       "tests/test_a.py::test_b", "app.py:5")
    assert plan == {"type": "plan", "sql": "SELECT ? WHERE ? = ?", "dialect": "sqlite", "plan": ["SCAN CONSTANT ROW"]}


@pytest.mark.slow
def test_the_timer_is_harmless_in_an_interpreter_without_sqlalchemy(tmp_path: Path) -> None:
    venv.create(tmp_path / "bare", with_pip=False)
    log = tmp_path / "log.jsonl"
    env = querytiming.timer_env(log, tmp_path, {"PATH": "/usr/bin:/bin"})
    done = subprocess.run([str(tmp_path / "bare" / "bin" / "python"), "-c", "import json; print('fine')"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "fine", "")
    assert not log.exists()


def test_analysis_gives_percentiles_per_statement_and_n_plus_one_from_ten_repeats_in_one_test(
        tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"sql": "SELECT a FROM t WHERE id = ?", "ms": float(i), "ctx": "t.py::one",
                                      "site": "app/x.py:7"} for i in range(1, 21)]
    rows += [{"sql": "SELECT b FROM u WHERE id = ?", "ms": 1.0, "ctx": "t.py::two", "site": None}] * 9
    rows += [{"sql": "INSERT INTO t (a) VALUES (?)", "ms": 1.0, "ctx": "t.py::one", "site": None}] * 12
    log = write_log(tmp_path / "log.jsonl", rows)
    with log.open("a", encoding="utf-8") as f:
        f.write('{"sql": "cut sh')
    stats = querytiming.analyse(log)
    assert stats.queries == 41 and stats.unreadable_lines == 1
    top = stats.statements[0]
    assert (top.sql, top.count, top.p50_ms, top.p95_ms, top.max_ms, top.site) == \
        ("SELECT a FROM t WHERE id = ?", 20, 10.0, 19.0, 20.0, "app/x.py:7")
    assert [s.sql for s in stats.slow(19.0)] == ["SELECT a FROM t WHERE id = ?"] and stats.slow(19.5) == []
    assert [(n.sql, n.context, n.count) for n in stats.n_plus_one] == [("SELECT a FROM t WHERE id = ?",
                                                                        "t.py::one", 20)]
    assert querytiming.analyse(tmp_path / "absent.jsonl").metrics() == {
        "queries": 0, "query_p95_ms": None, "statements": 0, "slowest_query_ms": None, "n_plus_one": 0,
        "full_scans": 0}


def test_the_performance_gate_reports_a_statement_slow_under_load(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.jsonl", [{"sql": "SELECT * FROM orders", "ms": 80.0, "ctx": None,
                                              "site": "shop/api.py:12"}] * 5)
    stats = {"endpoints": [], "errors": [], "total": {"requests": 100, "failures": 0, "rps": 50.0},
             "measured": {"p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.0}}
    result = PerformanceGate()._verdict(context(tmp_path), [], "test", Profile(1, 1, 1), stats, [],
                                        querytiming.analyse(log))
    assert result.status == "fail"
    assert [(f.rule_id, f.category, f.path, f.line) for f in result.findings] == [
        ("PF004", "slow-query", "shop/api.py", 12)]
    assert result.metrics["query_p95_ms"] == 80.0 and result.metrics["queries"] == 5


def test_schema_work_and_catalog_reads_are_kept_out_of_the_metrics_and_findings(tmp_path: Path) -> None:
    catalog = "SELECT sql FROM sqlite_master WHERE name = ?"
    rows: list[dict[str, object]] = [{"sql": "CREATE TABLE t (id INTEGER)", "ms": 90.0, "ctx": "t.py::a"}]
    rows += [{"sql": catalog, "ms": 60.0, "ctx": "t.py::a"}] * 12
    rows += [{"sql": "PRAGMA main.table_info(\"t\")", "ms": 70.0, "ctx": "t.py::a"}]
    rows += [{"sql": "UPDATE t SET id = ?", "ms": 2.0, "ctx": "t.py::a"}]
    stats = querytiming.analyse(write_log(tmp_path / "log.jsonl", rows))
    assert (stats.queries, stats.schema_statements, stats.p95_ms) == (1, 14, 2.0)
    assert stats.slow(50.0) == [] and stats.n_plus_one == []
    assert [s.line() for s in stats.slowest()] == ["2 ms p95 ×1: UPDATE t SET id = ?"]
    assert stats.metrics()["statements"] == 1
