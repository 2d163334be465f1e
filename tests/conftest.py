"""Shared fixtures: a fresh copy of examples/shop per test, a project with a fixed clock, and an
in-memory MCP client on a server for it."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend_orchestrator.resources import example_dir
from backend_orchestrator.state import Project

from .pg import PgServer, postgres_server

REPO = Path(__file__).resolve().parents[1]

# A short load profile for every test that does not set its own (the performance gate, the demo and the
# stdio sessions would otherwise load for the default 15 s): the environment overrides the config for one
# run, exactly as a user's BO_LOAD_* does, and reaches the subprocesses (CLI, demo, served MCP) too.
os.environ.setdefault("BO_LOAD_SECONDS", "2")
os.environ.setdefault("BO_LOAD_USERS", "2")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def copy_shop(dest: Path) -> Path:
    target = dest / "shop"
    shutil.copytree(example_dir("shop"), target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.db", ".coverage", "ai-state"))
    return target


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A fresh copy of examples/shop."""
    return copy_shop(tmp_path)


def fixed_project(root: Path) -> Project:
    """A project whose clock ticks one second per reading and whose ids count up: reproducible files."""
    start = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    ticks = itertools.count()
    counters: dict[str, Iterator[int]] = {}

    def clock() -> datetime:
        return start + timedelta(seconds=next(ticks))

    def new_id(prefix: str) -> str:
        n = next(counters.setdefault(prefix, itertools.count(1)))
        return f"{prefix}-{n:06d}"

    project = Project.open(root)
    project.clock = clock
    project.new_id = new_id
    return project


@pytest.fixture
def project(shop: Path) -> Project:
    return fixed_project(shop)


@pytest.fixture
async def client(project: Project) -> AsyncIterator[object]:
    from mcp import Client

    from backend_orchestrator.server import create_server

    async with Client(create_server(project, tools="all"), raise_exceptions=True) as c:
        yield c


def state_snapshot(root: Path) -> dict[str, bytes]:
    """Every state file (tasks, registries, events) but logs and artifacts, for 'nothing changed' checks."""
    base = root / "ai-state"
    if not base.exists():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and "logs" not in p.parts and "artifacts" not in p.parts
            and p.name not in (".lock", ".gitignore")}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server for the session (tests/pg.py); skipped, with the reason, when none starts."""
    with postgres_server() as server:
        yield server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `slow` first (in their collected order, then the rest): pytest-xdist hands the rest
    to whichever worker is free, so the long ones do not start last and leave one core idle at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
