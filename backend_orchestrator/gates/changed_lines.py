"""Coverage of the lines a task changed: ``git diff --unified=0 <base_commit>`` against the working tree
(committed and uncommitted changes, plus untracked files) intersected with a coverage JSON report.

Used by the ``tests`` gate. Only lines coverage can measure count (executed or missing statements of
files in the report, i.e. under the measured sources): comments, blank lines, tests and files outside
the sources do not.
"""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import process

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass
class ChangedCoverage:
    percent: float | None = None  # None: nothing measurable changed, or no diff (see note)
    measurable: int = 0
    covered: int = 0
    uncovered: dict[str, list[int]] = field(default_factory=dict)  # path -> uncovered changed lines
    note: str = ""


def parse_diff(text: str) -> dict[str, set[int]]:
    """Line numbers (new side) added or modified per file in a ``--unified=0`` diff."""
    changed: dict[str, set[int]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = line[4:].strip()
            current = target[2:] if target.startswith("b/") else None  # "/dev/null": a deleted file
        elif current is not None and (match := HUNK.match(line)):
            start, count = int(match.group(1)), int(match.group(2) or "1")
            changed.setdefault(current, set()).update(range(start, start + count))
    return {path: lines for path, lines in changed.items() if lines}


def ranges(lines: list[int]) -> str:
    """``[3, 4, 5, 9]`` → ``"3-5, 9"``."""
    parts: list[str] = []
    for n in sorted(lines):
        if parts and n == int(parts[-1].rsplit("-", 1)[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{n}"
        else:
            parts.append(str(n))
    return ", ".join(parts)


def changed_lines(root: Path, base_commit: str, log_dir: Path,
                  cancelled: threading.Event | None = None) -> tuple[dict[str, set[int]] | None, str]:
    """Changed lines of .py files since ``base_commit`` (None and the reason when git cannot tell)."""
    git = shutil.which("git")
    if git is None:
        return None, "git is not installed"
    if not re.fullmatch(r"[0-9A-Za-z._/~^-]{1,100}", base_commit) or base_commit.startswith("-"):
        return None, f"base commit {base_commit[:40]!r} is not a revision"
    env = process.target_env({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    inside = process.run([git, "rev-parse", "--is-inside-work-tree"], cwd=root, timeout=30,
                         log=log_dir / "git-rev-parse.log", env=env, cancelled=cancelled)
    if inside.returncode != 0 or inside.output.strip() != "true":
        return None, "the project is not a git checkout"
    # --relative: paths relative to the project root even when it is a subfolder of the repository
    diff = process.run([git, "-c", "core.quotepath=off", "diff", "--no-color", "--no-ext-diff", "--unified=0",
                        "--relative", base_commit, "--", "*.py"], cwd=root, timeout=60, log=log_dir / "git-diff.log",
                       env=env, cancelled=cancelled)
    if diff.returncode != 0:
        reason = diff.output.strip().splitlines()[-1:] or [f"exit {diff.returncode}"]
        return None, f"git diff against {base_commit[:12]} failed: {reason[0][:200]}"
    changed = parse_diff(diff.output)
    untracked = process.run([git, "-c", "core.quotepath=off", "ls-files", "--others", "--exclude-standard", "--",
                             "*.py"], cwd=root, timeout=60, log=log_dir / "git-untracked.log", env=env,
                            cancelled=cancelled)
    if untracked.returncode == 0:
        for name in untracked.output.splitlines():
            path = root / name
            if name and path.is_file():  # a new file: every line is changed
                count = len(path.read_text(encoding="utf-8", errors="replace").splitlines())
                changed[name] = set(range(1, count + 1))
    return changed, ""


def intersect(changed: dict[str, set[int]], coverage: dict[str, Any]) -> ChangedCoverage:
    """Changed lines against a coverage JSON report (paths relative to the project root)."""
    result = ChangedCoverage()
    files = {Path(name).as_posix(): info for name, info in coverage.get("files", {}).items()}
    for path, lines in sorted(changed.items()):
        info = files.get(path)
        if info is None:
            continue
        executed = lines & set(info.get("executed_lines", []))
        missing = lines & set(info.get("missing_lines", []))
        result.measurable += len(executed) + len(missing)
        result.covered += len(executed)
        if missing:
            result.uncovered[path] = sorted(missing)
    if result.measurable:
        result.percent = round(100.0 * result.covered / result.measurable, 2)
    else:
        result.note = "no measurable line of the application package changed"
    return result
