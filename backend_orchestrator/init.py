"""``backend-orchestrator init``: set a project up for the orchestrator.

Writes ``[tool.backend-orchestrator]`` (detected values) into pyproject.toml, or a
backend-orchestrator.toml when there is none; the ai-state skeleton with its ignore file; a
``.mcp.json`` entry for Claude Code; and prints the Claude Desktop snippet.
"""

from __future__ import annotations

import configparser
import json
import re
import shutil
import sys
from pathlib import Path

from .config import config_source
from .errors import InvalidArgument
from .state import Project
from .state.jsonio import atomic_write_text

_SKIP = {"tests", "test", "migrations", "alembic", "docs", "ai-state", "node_modules", "build", "dist"}
_APP = re.compile(r"^(\w+)\s*(?::\s*\w+\s*)?=\s*(?:fastapi\.)?FastAPI\(", re.M)


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def detect(root: Path) -> dict[str, object]:
    """Values for the config table, from what the project's files show."""
    found: dict[str, object] = {}
    packages = sorted(p.name for p in root.iterdir()
                      if p.is_dir() and (p / "__init__.py").is_file() and p.name not in _SKIP
                      and not p.name.startswith("."))
    if packages:
        found["source"] = packages
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            match = _APP.search(path.read_text(encoding="utf-8", errors="replace"))
            if match:
                module = ".".join(path.relative_to(root).with_suffix("").parts)
                found["app"] = f"{module.removesuffix('.__init__')}:{match.group(1)}"
                break
        if "app" in found:
            break
    for tests in ("tests", "test"):
        if (root / tests).is_dir():
            found["tests"] = tests
            break
    ini = root / "alembic.ini"
    if ini.is_file():
        found["alembic_config"] = "alembic.ini"
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ini, encoding="utf-8")
        url = parser.get("alembic", "sqlalchemy.url", fallback="")
        if url.startswith("sqlite"):  # only a local file URL; a server URL may carry credentials
            found["database_url"] = url
    for venv in (".venv", "venv"):
        if (root / venv / "bin" / "python").is_file():
            found["python"] = f"{venv}/bin/python"
            break
    return found


def _table(values: dict[str, object]) -> str:
    lines = ["", "[tool.backend-orchestrator]"]
    for key, value in values.items():
        if isinstance(value, list):
            lines.append(f"{key} = [{', '.join(_toml_str(v) for v in value)}]")
        else:
            lines.append(f"{key} = {_toml_str(str(value))}")
    lines += ["", "[tool.backend-orchestrator.thresholds]", "api_p95_ms = 200", "db_query_ms = 50",
              "coverage_percent = 80", "error_rate_percent = 0.1", "max_high_findings = 0", ""]
    return "\n".join(lines)


def server_command() -> tuple[str, list[str]]:
    """How a client starts our server: the console script if on PATH, else this interpreter."""
    script = shutil.which("backend-orchestrator")
    return (script, []) if script else (sys.executable, ["-m", "backend_orchestrator"])


def init_project(path: Path) -> str:
    root = path.expanduser().resolve()
    if not root.is_dir():
        raise InvalidArgument(f"{str(path)!r} is not a directory")
    report = []
    existing = config_source(root)
    if existing:
        report.append(f"config: kept the existing table in {existing.name}")
    else:
        values = detect(root)
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            text = pyproject.read_text(encoding="utf-8")
            atomic_write_text(pyproject, text.rstrip("\n") + "\n" + _table(values))
            report.append("config: added [tool.backend-orchestrator] to pyproject.toml")
        else:
            atomic_write_text(root / "backend-orchestrator.toml", _table(values).lstrip("\n"))
            report.append("config: wrote backend-orchestrator.toml")
        report += [f"  {k} = {v}" for k, v in values.items()]
    project = Project.open(root)
    project.store.ensure_layout()
    report.append(f"state: {project.store.display(project.store.dir)}/ (artifacts/ and logs/ are git-ignored)")

    command, prefix = server_command()
    entry = {"command": command, "args": [*prefix, "serve", "--project", "."]}
    mcp_json = root / ".mcp.json"
    data = json.loads(mcp_json.read_text(encoding="utf-8")) if mcp_json.is_file() else {}
    if not isinstance(data, dict):
        raise InvalidArgument(f"{mcp_json} is not a JSON object; fix it or remove it")
    data.setdefault("mcpServers", {})["backend-orchestrator"] = entry
    atomic_write_text(mcp_json, json.dumps(data, indent=2, sort_keys=True) + "\n")
    report.append("claude code: wrote the backend-orchestrator server into .mcp.json")
    desktop = {"mcpServers": {"backend-orchestrator": {
        "command": command, "args": [*prefix, "serve", "--project", str(root)]}}}
    report += ["claude desktop: add this to claude_desktop_config.json:", json.dumps(desktop, indent=2),
               "next: backend-orchestrator scan, then ask your agent to use the backend-orchestrator tools"]
    return "\n".join(report)
