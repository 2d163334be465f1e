"""SQL statements of the target are timed by SQLAlchemy cursor events injected with a sitecustomize,
and slow statements and N+1 patterns become findings of the tests and performance gates."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from types import ModuleType

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.gates import GateContext, get_gate, queryplans, querytiming, run_gate
from backend_orchestrator.gates.performance import PerformanceGate, Profile
from tests.pg import PgServer

FIXTURES = Path(__file__).parent / "fixtures" / "querytiming"
PLANTED = Path(__file__).parent / "fixtures"
TIMER = querytiming.TIMER_DIR / "sitecustomize.py"


def timer_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bo_sqltimer_under_test", TIMER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def context(root: Path) -> GateContext:
    return GateContext(root=root, config=ProjectConfig(), evidence_dir=root / "evidence")


def planted(name: str, tmp_path: Path) -> GateContext:
    """A copy of the fixture project ``name`` with its own config."""
    root = Path(shutil.copytree(PLANTED / name, tmp_path / name))
    return GateContext(root=root, config=load_config(root), evidence_dir=root / "evidence")


def run_script(tmp_path: Path, script: str, log: Path, **env: str) -> None:
    """``script`` in a subprocess with the timer injected, outside pytest (no PYTEST_CURRENT_TEST)."""
    (tmp_path / "app.py").write_text(script, "utf-8")
    done = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=querytiming.timer_env(log, tmp_path, {"PATH": "/usr/bin:/bin", **env}))
    assert done.returncode == 0, done.stderr


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
    # the function sleeps 60 ms; a loaded machine only makes it slower
    p95 = re.search(r"slowest SQL at p95: ([\d.]+) ms SELECT slow_identity", result.summary)
    assert p95 is not None and float(p95.group(1)) >= 50, result.summary
    assert isinstance(result.metrics["query_p95_ms"], float) and result.metrics["slowest_query_ms"] >= 50


def test_statements_are_normalised_literals_in_lists_values_and_whitespace() -> None:
    normalise = timer_module().normalise
    assert normalise("SELECT *\n  FROM t WHERE a = 'x''y' AND b = 42 AND c IN (1, 2, 3)") == \
        "SELECT * FROM t WHERE a = ? AND b = ? AND c IN (?)"
    assert normalise("SELECT a FROM t WHERE id IN (:p1, :p2) AND x = %(x)s AND y = $1") == \
        "SELECT a FROM t WHERE id IN (?) AND x = ? AND y = ?"
    assert normalise("INSERT INTO t (a, b) VALUES (?, ?), (?, ?), (?, ?)") == "INSERT INTO t (a, b) VALUES (?, ?)"
    assert normalise("SELECT t1.col2 FROM t1") == "SELECT t1.col2 FROM t1"


def test_the_timer_env_puts_the_timer_first_keeps_the_existing_pythonpath_and_drops_our_pytest_test(
        tmp_path: Path) -> None:
    env = querytiming.timer_env(tmp_path / "log.jsonl", tmp_path, {"PYTHONPATH": "/proj", "X": "1",
                                                                   "PYTEST_CURRENT_TEST": "ours.py::t (call)"})
    assert "PYTEST_CURRENT_TEST" not in env
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
    env = {**querytiming.timer_env(log, tmp_path, {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "own")}),
           "PYTEST_CURRENT_TEST": "tests/test_a.py::test_b (call)"}  # as the target's pytest sets it
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


@pytest.mark.slow
def test_the_n_plus_one_fixture_is_reported_as_n_plus_one_by_the_tests_gate(tmp_path: Path) -> None:
    result = run_gate(get_gate("tests"), planted("query_nplusone", tmp_path))
    assert [(f.rule_id, f.severity, f.category, f.path, f.line) for f in result.findings] == [
        ("TST005", "medium", "slow-query", "library/main.py", 22)]
    assert result.status == "fail" and result.metrics["n_plus_one"] == 1
    message = result.findings[0].message
    assert "FROM books WHERE ? = books.author_id` ran 25 times" in message
    assert "test_authors_lists_every_author_with_their_books" in message


@pytest.mark.slow
def test_the_n_plus_one_fixture_served_under_load_is_reported_per_request_of_its_route(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BO_LOAD_USERS", "2")
    monkeypatch.setenv("BO_LOAD_SECONDS", "2")
    ctx = planted("query_nplusone", tmp_path)
    result = run_gate(PerformanceGate(), ctx)
    assert [(f.rule_id, f.severity, f.path, f.line) for f in result.findings] == [
        ("PF005", "medium", "library/main.py", 22)], result.summary
    assert result.status == "warn" and result.findings[0].title == (
        "N+1 under load: GET /api/v1/authors runs one SELECT 25× per request")
    stats = json.loads((ctx.evidence_dir / "performance" / "sql-stats.json").read_text("utf-8"))
    [pattern] = stats["n_plus_one"]
    assert (pattern["scope"], pattern["context"], pattern["count"], pattern["max_per_request"]) == (
        "route", "GET /api/v1/authors", 25, 25)
    assert pattern["requests"] >= 5  # the requests the server saw (locust counts its measured window only)


@pytest.mark.slow
def test_a_filtered_full_scan_of_a_large_table_is_reported_with_its_plan_and_never_a_parameter_value(
        tmp_path: Path) -> None:
    ctx = planted("query_fullscan", tmp_path)
    result = run_gate(get_gate("tests"), ctx)
    assert [(f.rule_id, f.severity, f.category, f.path, f.line) for f in result.findings] == [
        ("TST007", "low", "missing-index", "events/main.py", 22)], result.summary
    assert result.status == "warn" and result.metrics["full_scans"] == 1
    finding = result.findings[0]
    assert finding.title == "Full scan of events although filtered" and finding.evidence == "SCAN events"
    assert "Add an index on events.kind" in finding.message
    out = ctx.evidence_dir / "tests"
    plans = {s["sql"].split(" WHERE ")[1]: (s["plan"], s["full_scan"])
             for s in json.loads((out / "sql-stats.json").read_text("utf-8"))["statements"] if " WHERE " in s["sql"]}
    assert plans == {"events.kind = ? ORDER BY events.id DESC LIMIT ? OFFSET ?": (["SCAN events"], "events"),
                     "events.user_id = ?": (["SEARCH events USING COVERING INDEX ix_events_user_id (user_id=?)"],
                                            None)}
    for evidence in ("sql-timing.jsonl", "sql-stats.json"):
        assert "signup-kind-7731" not in (out / evidence).read_text("utf-8")


def test_postgres_plans_show_the_seq_scan_without_bound_or_literal_values_and_the_transaction_goes_on(
        tmp_path: Path, postgres: PgServer) -> None:
    url = postgres.url(postgres.create_database())
    log = tmp_path / "log.jsonl"
    run_script(tmp_path, "import os\nfrom sqlalchemy import create_engine, text\n"
               "engine = create_engine(os.environ['DB_URL'])\n"
               "with engine.begin() as c:\n"
               "    c.execute(text('CREATE TABLE events (id serial PRIMARY KEY, kind varchar(40))'))\n"
               "    c.execute(text('SELECT id FROM events WHERE kind = :k'), {'k': 'bound-secret-9182'}).all()\n"
               "    c.execute(text(\"SELECT id FROM events WHERE kind = 'inline-secret-5521'\")).all()\n"
               "    c.execute(text('INSERT INTO events (kind) VALUES (:k)'), {'k': 'after'})\n", log, DB_URL=url)
    text = log.read_text("utf-8")
    assert "secret-9182" not in text and "secret-5521" not in text
    plans = [json.loads(line) for line in text.splitlines() if '"type": "plan"' in line]
    assert [(p["sql"], p["dialect"], p["plan"]) for p in plans] == [
        ("SELECT id FROM events WHERE kind = ?", "postgresql",
         ["Seq Scan on events | Filter: ((kind)::text = ?::text)"])]
    assert postgres.query(url.rsplit("/", 1)[1], "SELECT kind FROM events") == [("after",)]
    stats = querytiming.analyse(log)
    assert [s.full_scan for s in stats.statements if s.plan] == ["events"]


def test_the_timer_tags_statements_with_the_request_being_served_and_explains_only_selects(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    run_script(tmp_path, "import bo_request\nfrom sqlalchemy import create_engine, text\n"
               "with create_engine('sqlite://').begin() as c:\n"
               "    c.execute(text('CREATE TABLE t (a INTEGER)'))\n"
               "    bo_request.current.set('GET /api/v1/t #3')\n"
               "    c.execute(text('INSERT INTO t (a) VALUES (1)'))\n"
               "    c.execute(text('SELECT a FROM t WHERE a = 1')).all()\n", log)
    rows = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert [(r.get("type"), r["sql"], r.get("ctx")) for r in rows] == [
        (None, "CREATE TABLE t (a INTEGER)", None), (None, "INSERT INTO t (a) VALUES (?)", "GET /api/v1/t #3"),
        (None, "SELECT a FROM t WHERE a = ?", "GET /api/v1/t #3"), ("plan", "SELECT a FROM t WHERE a = ?", None)]
    assert rows[-1]["plan"] == ["SCAN t"]


def test_n_plus_one_under_load_is_the_median_per_request_of_a_route_not_a_test(tmp_path: Path) -> None:
    select = "SELECT b FROM items WHERE items.order_id = ?"
    rows: list[dict[str, object]] = []
    for request in (1, 2, 3):  # GET /orders: 12 per request in three of its four requests
        rows += [{"sql": select, "ms": 1.0, "ctx": f"GET /orders #{request}", "site": "app/x.py:9"}] * 12
    rows += [{"sql": "SELECT a FROM orders", "ms": 1.0, "ctx": "GET /orders #4"}]
    rows += [{"sql": select, "ms": 1.0, "ctx": "GET /carts #5"}] * 30  # one request of three: the median is 0
    rows += [{"sql": "SELECT a FROM carts", "ms": 1.0, "ctx": f"GET /carts #{n}"} for n in (6, 7)]
    stats = querytiming.analyse(write_log(tmp_path / "log.jsonl", rows))
    assert [(n.scope, n.context, n.count, n.requests, n.max_per_request, n.site) for n in stats.n_plus_one] == [
        ("route", "GET /orders", 12, 4, 12, "app/x.py:9")]
    assert stats.scope("test") == []
    assert querytiming.n_plus_one_message(stats.n_plus_one[0]) == (
        f"GET /orders runs `{select}` 12× per request (median over its 4 requests; at most 12×).")


@pytest.mark.parametrize(("sql", "plan", "expected"), [
    ("SELECT o.id FROM orders AS o WHERE o.user_id = ?", ["SCAN o"], ("orders", "SCAN o", ["user_id"])),
    ("SELECT * FROM events WHERE kind = ?", ["SCAN events"], ("events", "SCAN events", [])),
    ("SELECT p.id FROM products AS p ORDER BY p.id", ["SCAN p"], None),
    ("SELECT a.id FROM a JOIN b ON b.a_id = a.id WHERE b.x = ?", ["SCAN a", "  SEARCH b USING INDEX ix (x=?)"], None),
    ("SELECT a.id FROM a JOIN b ON b.a_id = a.id", ["SCAN a", "  SEARCH b USING AUTOMATIC COVERING INDEX (a_id=?)"],
     ("b", "SEARCH b USING AUTOMATIC COVERING INDEX (a_id=?)", [])),
    ("SELECT o.id FROM orders AS o WHERE o.user_id = ?", ["SCAN o USING COVERING INDEX ix_user"], None),
    ("SELECT events.id FROM events WHERE events.kind = %(k)s",
     ["Limit", "  Seq Scan on events | Filter: ((kind)::text = ?::text)"],
     ("events", "Seq Scan on events | Filter: ((kind)::text = ?::text)", ["kind"])),
    ("SELECT events.id FROM events", ["Seq Scan on events"], None),
])
def test_a_full_scan_is_a_table_read_whole_although_the_statement_filters_it(
        sql: str, plan: list[str], expected: tuple[str, str, list[str]] | None) -> None:
    assert queryplans.full_scan(sql, plan) == (queryplans.Scan(*expected) if expected else None)


def test_the_performance_gate_warns_about_n_plus_one_and_full_scans_under_load(tmp_path: Path) -> None:
    select = "SELECT orders.id FROM orders WHERE orders.user_id = ?"
    rows: list[dict[str, object]] = [{"sql": select, "ms": 2.0, "ctx": f"GET /api/v1/orders #{n}",
                                      "site": "shop/api.py:30"} for n in range(1, 4) for _ in range(10)]
    rows.append({"type": "plan", "sql": select, "dialect": "sqlite", "plan": ["SCAN orders"]})
    stats = {"endpoints": [], "errors": [], "total": {"requests": 3, "failures": 0, "rps": 3.0},
             "measured": {"p50_ms": 5.0, "p95_ms": 9.0, "p99_ms": 12.0}}
    result = PerformanceGate()._verdict(context(tmp_path), [], "test", Profile(1, 1, 1), stats, [],
                                        querytiming.analyse(write_log(tmp_path / "log.jsonl", rows)))
    assert result.status == "warn"
    assert [(f.rule_id, f.severity, f.category, f.path, f.line) for f in result.findings] == [
        ("PF005", "medium", "slow-query", "shop/api.py", 30), ("PF006", "low", "missing-index", "shop/api.py", 30)]
    assert (result.metrics["n_plus_one"], result.metrics["full_scans"], result.metrics["statements"]) == (1, 1, 1)
    assert "slowest SQL at p95: 2 ms SELECT orders.id FROM orders WHERE orders.user_id = ?" in result.summary
