"""The command line calls the same workflow as the server; exit codes 0 pass, 1 fail, 2 usage/config."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from backend_orchestrator.cli import main

from .support.shop import one_test_target


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_writes_config_state_skeleton_and_mcp_json(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = shop / "pyproject.toml"
    # drop the table and its sub-tables ([tool.backend-orchestrator.serve], [[...load.requests]])
    tables = re.split(r"(?m)^(?=\[)", pyproject.read_text(encoding="utf-8"))
    kept = [t for t in tables if not re.match(r"\[\[?tool\.backend-orchestrator[\].]", t)]
    pyproject.write_text("".join(kept), encoding="utf-8")
    code, out, _ = run(capsys, "init", str(shop))
    assert code == 0
    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["backend-orchestrator"]
    assert table["app"] == "shop.main:app"
    assert table["source"] == ["shop"] and table["tests"] == "tests"
    assert table["alembic_config"] == "alembic.ini"
    assert table["thresholds"]["coverage_percent"] == 80
    assert (shop / "ai-state" / "active" / "backend" / ".gitignore").is_file()
    servers = json.loads((shop / ".mcp.json").read_text(encoding="utf-8"))["mcpServers"]
    assert servers["backend-orchestrator"]["args"][-3:] == ["serve", "--project", "."]
    assert '"mcpServers"' in out and str(shop) in out
    code, out, _ = run(capsys, "init", str(shop))
    assert code == 0 and "kept the existing table" in out


def test_scan_task_context_and_validate_from_the_shell(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = ["--project", str(shop)]
    code, out, _ = run(capsys, "scan", *p)
    assert code == 0 and "fastapi (dynamic): 12 endpoints, 4 models" in out
    code, out, _ = run(capsys, "task", "add", "Add pagination and filtering to GET /api/v1/products", *p)
    assert code == 0 and out.startswith("task-001-api  [received]")
    code, out, _ = run(capsys, "task", "list", *p)
    assert "task-001-api" in out and "received" in out
    code, out, err = run(capsys, "context", "task-001-api", "--budget", "3000", *p)
    assert code == 0 and json.loads(out)["budget"]["limit_tokens"] == 3000
    assert "artifacts/task-001-api/context.json" in err
    code, out, err = run(capsys, "context", "task-001-api", "--include", "model:Order", "--include",
                         "GET /api/v1/orders", *p)
    package = json.loads(out)
    assert code == 0 and "orders" in [t["table"] for t in package["database"]["tables"]]
    assert "GET /api/v1/orders" in [f"{e['method']} {e['path']}" for e in package["endpoints"]["relevant"]]
    code, out, err = run(capsys, "context", "task-001-api", "--include", "model:Ordr", *p)
    assert code == 2 and "unknown include item 'model:Ordr' (did you mean 'model:Order', " in err
    code, out, err = run(capsys, "validate", "task-001-api", *p)
    assert code == 2 and "call assign_skill first" in err
    code, out, _ = run(capsys, "task", "show", "task-001-api", *p)
    assert json.loads(out)["status"] == "context_ready"


def test_validate_exit_codes_follow_the_verdict(shop: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = ["--project", str(shop)]
    report = tmp_path / "report.md"
    code, _, err = run(capsys, "validate", "--gates", "tests", "--format", "markdown", "--output", str(report), *p)
    assert code == 0, err
    assert report.read_text(encoding="utf-8").startswith("# Validation report — the whole project")
    # beside a report in a file, the key numbers go to stderr; what was not measured says why
    assert re.search(r"^  coverage\s+\d+(\.\d+)? %  \(must exceed 80 %\)$", err, re.M), err
    assert "changed-lines coverage   not measured: the project is not a git checkout" in err
    assert "latency p50 / p95 / p99  not measured: the performance gate was not run" in err
    one_test_target(shop)  # a failing test fails the verdict whatever else the suite holds: one passing test beside it
    (shop / "tests" / "test_broken.py").write_text("def test_broken():\n    assert False\n", encoding="utf-8")
    code, out, err = run(capsys, "validate", "--format", "json", "--gates", "tests,docs", *p)
    assert code == 1
    assert json.loads(out)["verdict"] == "fail"  # stdout stays one JSON document
    assert "measured — run" in err
    code, _, err = run(capsys, "validate", "--gates", "lint", *p)
    assert code == 2 and "unknown gate 'lint'" in err


def test_a_bad_config_is_exit_2_with_the_valid_keys(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace("tests = ", "test = "), encoding="utf-8")
    code, _, err = run(capsys, "task", "add", "Add sorting to GET /api/v1/products", "--project", str(shop))
    assert code == 2
    assert "unknown key 'test'" in err and "did you mean 'tests'" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["task", "add"])
    assert caught.value.code == 2
    code, _, err = run(capsys, "task", "show", "task-001-api", "--project", str(tmp_path / "missing"))
    assert code == 2 and "is not a directory" in err


def test_schemas_check_reports_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schemas", "--dir", str(tmp_path))
    assert code == 0 and "task.schema.json" in out
    assert run(capsys, "schemas", "--check", "--dir", str(tmp_path))[0] == 0
    (tmp_path / "task.schema.json").write_text("{}", encoding="utf-8")
    code, out, _ = run(capsys, "schemas", "--check", "--dir", str(tmp_path))
    assert code == 1 and "task.schema.json" in out


@pytest.mark.slow
def test_the_console_entry_points_work() -> None:
    script = str(Path(sys.executable).parent / "backend-orchestrator")
    for argv in ([script, "--version"], [sys.executable, "-m", "backend_orchestrator", "--version"]):
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stdout.startswith("backend-orchestrator 0.1.0"), out.stderr


def test_project_may_be_given_before_or_after_the_command(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--project", str(shop), "task", "add", "Add sorting to GET /api/v1/products")[0] == 0
    code, out, _ = run(capsys, "task", "list", "--project", str(shop))
    assert code == 0 and "task-001-api" in out
    code, out, _ = run(capsys, "--project", str(shop), "task", "list")
    assert code == 0 and "task-001-api" in out


def test_a_running_server_sees_config_edits(shop: Path) -> None:
    from backend_orchestrator.state import Project

    project = Project.open(shop)
    assert project.config.token_budget == 4000
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
        "[tool.backend-orchestrator]", "[tool.backend-orchestrator]\ntoken_budget = 6000"), encoding="utf-8")
    assert project.config.token_budget == 6000


def test_contract_diff_is_a_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/items": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/users": {"get": {"responses": {"200": {"description": "ok"}}}}}}
    revision = {**base, "paths": {"/items": base["paths"]["/items"]}}
    (tmp_path / "base.json").write_text(json.dumps(base), encoding="utf-8")
    (tmp_path / "rev.json").write_text(json.dumps(revision), encoding="utf-8")
    code, out, _ = run(capsys, "contract", "diff", str(tmp_path / "base.json"), str(tmp_path / "rev.json"),
                       "--format", "json")
    assert code == 1
    assert any(c["operation"] == "GET /users" and c["level"] == "breaking" for c in json.loads(out)["changes"])
    assert run(capsys, "contract", "diff", str(tmp_path / "base.json"), str(tmp_path / "base.json"))[0] == 0
    assert run(capsys, "contract", "diff", str(tmp_path / "missing.json"), str(tmp_path / "base.json"))[0] == 2


@pytest.mark.slow
def test_validate_redraws_one_progress_line_on_a_terminal(shop: Path) -> None:
    """The real CLI with stderr on a pseudo-terminal: the bar is redrawn in place and ends its line."""
    script = str(Path(sys.executable).parent / "backend-orchestrator")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([script, "validate", "--gates", "docs,architecture", "--project", str(shop)],
                                stdout=subprocess.PIPE, stderr=follower, text=True)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        stdout, _ = proc.communicate(timeout=120)
    finally:
        os.close(leader)
    err = b"".join(chunks).decode("utf-8")
    assert proc.returncode == 1, err  # the shop has architecture findings
    assert "\r[##] 2/2 gates" in err and "— done\x1b[K" in err
    assert "\n" not in err[: err.index("— done")]  # every redraw on the same line
    assert "measured — run" in stdout and "changed-lines coverage" not in stdout  # static gates: no key numbers
