"""Fixture projects for dynamic discovery, copied to a temporary folder per test (the scan writes
ai-state/ into the project, and the probe must never run inside the repository)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backend_orchestrator.state import Project

from ..conftest import fixed_project

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[str], Project]:
    """``make_project("flask_factory")``: a fresh copy of a fixture project, opened with a fixed clock."""

    def make(name: str) -> Project:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "*.db"))
        return fixed_project(target)

    return make


def registry(project: Project, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project.store.dir / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def refs(entries: list[dict[str, Any]]) -> set[str]:
    return {f"{e['method']} {e['path']}" for e in entries}
