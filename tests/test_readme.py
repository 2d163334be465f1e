"""The README's Quickstart is exactly two commands, and both are exercised."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def quickstart(name: str) -> str:
    match = re.search(rf"<!-- quickstart:{name} -->\s*```bash\n(.+?)\n```", README, re.S)
    assert match, f"README lacks the quickstart:{name} block"
    return match.group(1).strip()


def test_the_quickstart_is_two_one_line_commands() -> None:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.+?)\n```", section, re.S)
    assert len(blocks) == 2
    assert all("\n" not in b.strip() for b in blocks)
    assert quickstart("demo").endswith("backend-orchestrator demo")
    assert quickstart("test").endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "quickstart:test" in script and 'bash -c "$cmd"' in script


@pytest.mark.slow
def test_the_demo_command_completes_the_flow() -> None:
    """Runs `backend-orchestrator demo` from the installed console script (what the README's line ends with)."""
    script = Path(sys.executable).parent / "backend-orchestrator"
    out = subprocess.run([str(script), "demo", "--clean"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    for step in ("1. scan_project", "2. receive_task", "3. prepare_context", "4. assign_skill", "5. the change",
                 "6. validate_results", "→ api-development", "The flow completed"):
        assert step in out.stdout, step
    # the gates really ran on the shop and judged the change: it passes and the task is done, while the
    # shop's planted gaps are reported as existing debt and the paginated list as fixed
    assert "verdict: PASS — judged on the change since" in out.stdout, out.stdout
    assert re.search(r"\] tests: (\d+)/\1 passed", out.stdout), out.stdout  # its status may be warn (full scans)
    assert "existing debt (not blocking): SC201 ×1, SC214 ×1, SC301 ×1" in out.stdout
    assert "existing debt (not blocking): AD010 ×1, AD012 ×1" in out.stdout
    assert "new 0 · existing 2 · fixed 1" in out.stdout  # api-design: GET /api/v1/products paginated now
    assert "task task-001-api is now 'done'" in out.stdout
    # and printed what they measured
    for key in ("measured — run", "coverage  ", "changed-lines coverage   100 %", "latency p50 / p95 / p99",
                "error rate", "slowest queries", "new / existing / fixed:"):
        assert key in out.stdout, key


@pytest.mark.slow
def test_the_demo_quickstart_works_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    """The README's first command, verbatim, in a copy of the repository: a fresh venv and a real pip install."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to copy the committed tree")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    for path in subprocess.run(["git", "ls-files", "-m", "-o", "--exclude-standard"], cwd=REPO, capture_output=True,
                               text=True, check=True).stdout.splitlines():
        source = REPO / path  # include uncommitted work so the test checks this tree, not the last commit
        if source.is_file():
            (clone / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / path)
    # The venv the command creates, made beforehand with the same `python3 -m venv .venv` (the command's own
    # run then finds it in place) and given this interpreter's installed packages by a .pth line: pip then
    # finds the dependencies satisfied and installs only this tree's wheel, built from the clone (not an
    # editable install), instead of downloading and unpacking every dependency again (minutes of the suite).
    subprocess.run(["python3", "-m", "venv", ".venv"], cwd=clone, check=True, timeout=300)
    venv_python = clone / ".venv" / "bin" / "python"
    site = subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "bo-test-dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)), encoding="utf-8")
    out = subprocess.run(["bash", "-c", quickstart("demo")], cwd=clone, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "verdict: PASS" in out.stdout and "The flow completed" in out.stdout
    # the demo ran this tree's package as pip installed it into the new venv
    where = subprocess.run([str(venv_python), "-c", "import backend_orchestrator as b; print(b.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(Path(site)), where
    console = (clone / ".venv" / "bin" / "backend-orchestrator").read_text(encoding="utf-8")
    assert console.startswith(f"#!{venv_python}") or str(clone / ".venv") in console.splitlines()[0], console
