"""Coverage of the lines a task changed: git diff against the task's base commit, intersected with
the coverage report of the tests gate."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.task import Task
from backend_orchestrator.gates import GateContext, get_gate, run_gate
from backend_orchestrator.gates.changed_lines import intersect, parse_diff, ranges

GIT = shutil.which("git")
CORE = """\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b
"""
CHANGED = """\
def add(a, b):
    if a is None or b is None:
        raise ValueError("missing operand")
    return a + b


def sub(a, b):
    return a - b


def scale(x, factor):
    if factor < 0:
        raise ValueError("negative")
    return x * factor
"""
TESTS = """\
from calc.core import add, sub


def test_add():
    assert add(1, 2) == 3


def test_sub():
    assert sub(3, 2) == 1
"""


def git(root: Path, *args: str) -> str:
    assert GIT is not None
    env = {"PATH": "/usr/bin:/bin", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    return subprocess.run([GIT, "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, env=env,
                          capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def task(base_commit: str | None) -> Task:
    return Task.model_validate({"id": "task-001-api", "title": "t", "description": "d", "kind": "api",
                                "status": "in_progress", "created_at": "2026-11-28T00:00:00Z",
                                "updated_at": "2026-11-28T00:00:00Z", "base_commit": base_commit})


def project(root: Path) -> Path:
    for name, text in {"calc/__init__.py": "", "calc/core.py": CORE, "tests/test_core.py": TESTS}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.slow
@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_changed_lines_no_test_runs_are_reported_with_their_line_ranges(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    base = git(root, "rev-parse", "HEAD")
    (root / "calc" / "core.py").write_text(CHANGED, encoding="utf-8")  # uncommitted, like an agent's work
    (root / "calc" / "extra.py").write_text("def untouched():\n    return 1\n", encoding="utf-8")  # untracked
    ctx = GateContext(root=root, config=ProjectConfig(), evidence_dir=root / "evidence", task=task(base))
    result = run_gate(get_gate("tests"), ctx)
    changed = [f for f in result.findings if f.rule_id == "TST006"]
    assert len(changed) == 1, result.summary
    finding = changed[0]
    assert (finding.severity, finding.category, finding.path, finding.line) == ("medium", "coverage",
                                                                                "calc/core.py", 3)
    assert "calc/core.py lines 3, 12-14; calc/extra.py lines 1-2" in finding.message
    # changed and measurable: core 2, 3, 11-14 and extra 1-2 (never imported); executed: core 2 and 11 (def)
    assert result.metrics["changed_lines"] == 8
    assert result.metrics["changed_lines_coverage_percent"] == 25.0
    assert "changed lines 25.0 %" in result.summary


@pytest.mark.slow
def test_without_a_git_checkout_changed_lines_are_not_measured_and_the_summary_says_why(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    ctx = GateContext(root=root, config=ProjectConfig(), evidence_dir=root / "evidence", task=task("0123abcd"))
    result = run_gate(get_gate("tests"), ctx)
    assert result.status == "pass"
    assert result.metrics["changed_lines_coverage_percent"] is None
    assert "changed lines not measured: the project is not a git checkout" in result.summary


@pytest.mark.slow
@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_a_whole_project_run_measures_the_uncommitted_lines_of_a_subfolder_project(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    root = project(repo / "services" / "calc")  # the project is a subfolder of the repository
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (root / "calc" / "core.py").write_text(CHANGED, encoding="utf-8")
    ctx = GateContext(root=root, config=ProjectConfig(), evidence_dir=root / "evidence", task=None)
    result = run_gate(get_gate("tests"), ctx)
    # changed and measurable since HEAD: core 2, 3, 11-14; executed: 2 and 11
    assert result.metrics["changed_lines"] == 6
    assert result.metrics["changed_lines_coverage_percent"] == pytest.approx(33.3, abs=0.1)
    assert [f.path for f in result.findings if f.rule_id == "TST006"] == ["calc/core.py"]


def test_a_unified_zero_diff_gives_the_new_side_lines_per_file() -> None:
    diff = textwrap.dedent("""\
        diff --git a/app/a.py b/app/a.py
        --- a/app/a.py
        +++ b/app/a.py
        @@ -3 +3 @@ def f():
        -    return 1
        +    return 2
        @@ -10,0 +11,3 @@
        +x
        +y
        +z
        @@ -20,2 +22,0 @@
        diff --git a/app/gone.py b/app/gone.py
        --- a/app/gone.py
        +++ /dev/null
        @@ -1,2 +0,0 @@
        """)
    assert parse_diff(diff) == {"app/a.py": {3, 11, 12, 13}}


def test_only_measurable_changed_lines_count_and_nothing_measurable_gives_none() -> None:
    report = {"files": {"app/a.py": {"executed_lines": [1, 2, 3], "missing_lines": [4, 5]}}}
    measured = intersect({"app/a.py": {2, 4, 5, 9}, "tests/test_a.py": {1}}, report)
    assert (measured.percent, measured.measurable, measured.covered, measured.uncovered) == \
        (33.33, 3, 1, {"app/a.py": [4, 5]})
    nothing = intersect({"README.py": {1}}, report)
    assert nothing.percent is None and "no measurable line" in nothing.note


def test_line_lists_are_shown_as_compact_ranges() -> None:
    assert ranges([9, 3, 4, 5, 12, 13]) == "3-5, 9, 12-13"
    assert ranges([]) == ""
