"""Issue 5's acceptance, as a user runs it: `backend-orchestrator validate` on a git copy of examples/shop.

The real console script in subprocesses: scan, task add, assign, a change to a handler and a test,
then validate with every gate and a short load (3 s, 4 users) — and the printed key numbers, the
evidence files and the report's schema are checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from backend_orchestrator.gates import gate_ids
from backend_orchestrator.resources import schemas_dir

from .conftest import copy_shop

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]

CLI = str(Path(sys.executable).parent / "backend-orchestrator")
ENV = {**os.environ, "BO_LOAD_SECONDS": "3", "BO_LOAD_USERS": "4"}
HANDLER_BEFORE = '''    """List all products."""
    return product_service.list_products(session)
'''
HANDLER_AFTER = '''    """List all products."""
    products = product_service.list_products(session)
    return products
'''
READ_BEFORE = '''    """Return one product."""
    return _get_or_404(session, product_id)
'''
READ_AFTER = '''    """Return one product."""
    if product_id < 0:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="product_id must not be negative")
    return _get_or_404(session, product_id)
'''
NEW_TEST = '''

def test_listing_products_answers_a_json_list(client: TestClient) -> None:
    assert client.get("/api/v1/products").json() == []
'''


def cli(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args, "--project", str(project)], capture_output=True, text=True, timeout=timeout,
                          env=ENV, cwd=project)


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=bo", "-c", "user.email=bo@example.invalid", *args], cwd=project,
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def changed_shop(tmp_path: Path) -> tuple[Path, str, str]:
    """A committed copy of the shop with an assigned task, then a changed handler and test (uncommitted):
    two covered changed lines and an uncovered raise. Returns the root, the task id and the base commit."""
    shop = copy_shop(tmp_path)
    git(shop, "init", "-q")
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "shop")
    assert cli(shop, "scan").returncode == 0
    added = cli(shop, "task", "add", "Add pagination and filtering to GET /api/v1/products")
    assert added.returncode == 0, added.stderr
    task_id = added.stdout.split()[0]
    assigned = cli(shop, "assign", task_id)
    assert assigned.returncode == 0 and "→ api-development" in assigned.stdout, assigned.stderr
    router = shop / "shop" / "routers" / "products.py"
    text = router.read_text(encoding="utf-8")
    router.write_text(text.replace(HANDLER_BEFORE, HANDLER_AFTER).replace(READ_BEFORE, READ_AFTER), encoding="utf-8")
    tests = shop / "tests" / "test_products.py"
    tests.write_text(tests.read_text(encoding="utf-8") + NEW_TEST, encoding="utf-8")
    return shop, task_id, git(shop, "rev-parse", "HEAD")


def test_validate_prints_the_measured_numbers_and_writes_comparable_evidence(tmp_path: Path) -> None:
    shop, task_id, head = changed_shop(tmp_path)
    out = cli(shop, "validate", task_id, "--gates", "all", timeout=300)
    assert out.returncode in (0, 1), out.stderr  # the shop fails on its planted gaps; 2 would be a usage error
    text = out.stdout
    assert re.search(r"^  coverage\s+\d+(\.\d+)? %  \(must exceed 80 %\)$", text, re.M), text
    # 3 of the 4 changed lines of the application run under the tests: the new raise does not
    assert re.search(r"^  changed-lines coverage\s+75 %  \(4 measurable changed lines\)$", text, re.M), text
    # the change touches no migration or model: the database gate has nothing to round-trip (test_change_verdicts
    # and test_database_gate run it)
    assert re.search(r"^  migration round trip\s+not measured: .*touches no migration", text, re.M), text
    latency = re.search(r"^  latency p50 / p95 / p99\s+(\d+) / (\d+) / (\d+) ms .*4 users for 3 s\)$", text, re.M)
    assert latency and int(latency[1]) <= int(latency[2]) <= int(latency[3]), text
    assert re.search(r"^  error rate\s+\d+(\.\d+)? %  \(\d+ of [1-9]\d* requests", text, re.M), text
    assert re.search(r"^  throughput\s+\d+(\.\d+)? requests/s$", text, re.M), text
    assert re.search(r"^  query p95\s+\d+(\.\d+)? ms \(tests, \d+ statements\)", text, re.M), text
    slowest = text.split("slowest queries (p95, runs, gate, call site):\n", 1)[1].splitlines()[:5]
    assert slowest and all(re.match(r"^    +\d+\.\d{3} ms ×\d+ +(tests|performance)", row) for row in slowest), text
    assert any(" shop/" in row and re.search(r"(SELECT|INSERT|UPDATE|DELETE) ", row) for row in slowest), slowest
    assert "\r" not in out.stderr and "gates, " in out.stderr  # no TTY: plain progress lines

    rel = re.search(r"evidence and report\.json: (\S+)", out.stderr)
    assert rel, out.stderr
    report = json.loads((shop / rel[1]).read_text(encoding="utf-8"))
    schema = json.loads((schemas_dir() / "validation-report.schema.json").read_text(encoding="utf-8"))
    assert sorted(str(e) for e in Draft202012Validator(schema).iter_errors(report)) == []
    gates = {g["id"]: g for g in report["gates"]}
    assert set(gates) == set(gate_ids()) and all(g["gate"] == g["id"] for g in gates.values())
    assert {k: g["status"] for k, g in gates.items() if g["status"] == "error"} == {}
    assert gates["database"]["status"] == "not-applicable" and report["scope"] == "change"
    assert report["commit"] == head and report["dirty"] is True
    assert report["environment"]["cpu_count"] >= 1 and report["environment"]["target_python"]
    assert (report["load"]["users"], report["load"]["seconds"]) == (4, 3)
    assert report["thresholds"]["api_p95_ms"] == 200
    perf = gates["performance"]["metrics"]
    for name in ("p50_ms", "p95_ms", "p99_ms", "error_rate", "rps", "query_p95_ms"):
        assert isinstance(perf[name], int | float), name
    assert gates["tests"]["metrics"]["changed_lines_coverage_percent"] == 75.0

    run_dir = shop / rel[1].rsplit("/", 1)[0]
    assert run_dir.parent.parent.name == task_id  # artifacts/<task>/runs/<run>/
    for name in ("environment.json", "run.json", "report.json", "report.md", "report.sarif", "tests/junit.xml",
                 "tests/coverage.json", "tests/sql-timing.jsonl", "tests/sql-stats.json", "performance/stats.json",
                 "performance/sql-timing.jsonl"):
        assert (run_dir / name).is_file(), name
    named = [path for g in report["gates"] for path in g["evidence"]]
    assert named and [p for p in named if not (shop / p).is_file()] == []  # every artifact a gate names exists
    assert all(p.startswith(rel[1].rsplit("/", 1)[0] + "/") for p in named)  # and lies in the run's folder
    assert json.loads((run_dir / "environment.json").read_text(encoding="utf-8"))["commit"] == head
    assert "## Key numbers" in (run_dir / "report.md").read_text(encoding="utf-8")

    listed = cli(shop, "runs", task_id)
    assert listed.returncode == 0 and report["run_id"] in listed.stdout and "4u×3s" in listed.stdout
