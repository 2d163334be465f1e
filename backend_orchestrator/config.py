"""Loading the project's settings from ``[tool.backend-orchestrator]``.

Looked up in ``backend-orchestrator.toml`` (top level, or under the same table) and then in
``pyproject.toml``. Unknown keys are errors that list the valid keys and suggest the closest.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import ValidationError

from .contracts.config import ProjectConfig
from .errors import ConfigError, choices_hint

TABLE = "backend-orchestrator"


def _table(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from None
    table = data.get("tool", {}).get(TABLE)
    if table is None and path.name == "backend-orchestrator.toml":
        table = data
    return table if isinstance(table, dict) else None


def config_source(root: Path) -> Path | None:
    for name in ("backend-orchestrator.toml", "pyproject.toml"):
        path = root / name
        if path.is_file() and _table(path) is not None:
            return path
    return None


def load_config(root: Path) -> ProjectConfig:
    source = config_source(root)
    if source is None:
        return ProjectConfig()
    table = _table(source) or {}
    try:
        return ProjectConfig.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(_explain(source, exc)) from None


def _explain(source: Path, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        if error["type"] == "extra_forbidden":
            parent: Any = ProjectConfig
            for part in error["loc"][:-1]:
                if isinstance(part, int):  # an item of a list of tables, e.g. load.requests.0
                    continue
                field = getattr(parent, "model_fields", {}).get(str(part))
                parent = field.annotation if field else parent
                if get_origin(parent) is list:
                    parent = get_args(parent)[0]
            valid = [f.alias or name for name, f in getattr(parent, "model_fields", {}).items()]
            lines.append(f"unknown key {loc!r}; {choices_hint(str(error['loc'][-1]), valid)}")
        else:
            lines.append(f"{loc}: {error['msg']} (got {error.get('input')!r})")
    return f"[tool.{TABLE}] in {source.name} is invalid: " + "; ".join(lines)


def target_python(root: Path, config: ProjectConfig) -> str:
    """The target's interpreter: configured, else its .venv/venv, else the one running us."""
    if config.python:
        candidate = Path(config.python)
        if not candidate.is_absolute():
            candidate = root / candidate
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise ConfigError(f"python = {config.python!r} in the project config is not an executable file")
        return str(candidate)
    for venv in (".venv", "venv"):
        candidate = root / venv / "bin" / "python"
        if candidate.is_file():
            return str(candidate)
    return sys.executable
