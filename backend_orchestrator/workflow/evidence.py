"""What a validation run records beside its gates' evidence, so a later run can be compared with it.

Every run writes into ``artifacts/<owner>/runs/<run_id>/`` (``owner``: the task id, or ``project``
for a whole-project run): ``run.json`` (progress, pid), ``environment.json`` (the machine and the
load profile, written when the run starts), one folder per gate with its raw evidence (JUnit XML,
coverage JSON, locust stats, SQL timing logs, …) and, when the run ends, ``report.json``,
``report.md`` and ``report.sarif``. The report repeats the environment, the load profile, the
thresholds and the commit, so two report.json files carry everything needed to compare them.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from .. import __version__
from ..config import target_python
from ..contracts.config import ProjectConfig
from ..contracts.report import Environment, LoadSettings, ValidationReport
from ..errors import OrchestratorError
from ..gates.render import to_markdown, to_sarif

ENVIRONMENT = "environment.json"
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


def _cpu_count() -> int | None:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs we may use, not the machine's
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count()


def _target_version(root: Path, config: ProjectConfig) -> str | None:
    try:
        python = target_python(root, config)
    except OrchestratorError:
        return None  # the tests gate reports a bad interpreter itself
    if python == sys.executable:
        return platform.python_version()
    try:
        out = subprocess.run([python, "-c", _PROBE], cwd=root, capture_output=True, text=True, timeout=15,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = out.stdout.strip()
    return version if out.returncode == 0 and version else None


def environment(root: Path, config: ProjectConfig) -> Environment:
    """The machine the run measures on: CPUs, interpreters, OS. No hostname, user or path."""
    return Environment(cpu_count=_cpu_count(), python=platform.python_version(),
                       implementation=platform.python_implementation(), target_python=_target_version(root, config),
                       os=sys.platform, platform=platform.platform(terse=True), machine=platform.machine(),
                       orchestrator=__version__)


def load_settings(config: ProjectConfig) -> LoadSettings:
    """The performance gate's effective load profile (config, then BO_LOAD_* overrides)."""
    from ..gates.performance import Profile

    profile = Profile.from_config(config)
    # counted, never copied: a configured request may carry credentials
    requests = getattr(config.load, "requests", None)
    seed = getattr(getattr(config, "serve", None), "seed", None)
    return LoadSettings(users=profile.users, seconds=profile.seconds, startup_s=profile.startup_s,
                        requests=len(requests) if isinstance(requests, list | tuple) else 0,
                        seed=seed if isinstance(seed, str) else None)


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """The commit checked out at ``root`` (also inside a larger repository) and whether the files
    under ``root`` differ from it, ai-state/ left out. (None, None) outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        return None, None
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        head = subprocess.run([git, "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=15, check=False, env=env)
        if head.returncode != 0 or not head.stdout.strip():
            return None, None
        status = subprocess.run([git, "status", "--porcelain", "--", ".", ":(exclude)ai-state"], cwd=root,
                                capture_output=True, text=True, timeout=30, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None, None
    return head.stdout.strip(), (bool(status.stdout.strip()) if status.returncode == 0 else None)


def write_reports(folder: Path, report: ValidationReport) -> list[Path]:
    """report.md and report.sarif beside report.json (which the store writes, schema-checked)."""
    written = []
    for name, render in (("report.md", to_markdown), ("report.sarif", to_sarif)):
        path = folder / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(render(report), encoding="utf-8")
        tmp.replace(path)  # a reader never sees half a report
        written.append(path)
    return written
