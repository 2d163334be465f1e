"""`scan --mode static` replays its last output when nothing it read changed (scan_replay.py), and only then."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import backend_orchestrator.workflow as workflow
from backend_orchestrator import scan_replay
from backend_orchestrator.cli import main

STATE = Path("ai-state/active/backend")


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root, "app/__init__.py", "")
    write(root, "app/main.py", """
        from fastapi import FastAPI

        from app.api import items

        app = FastAPI()
        app.include_router(items.router, prefix="/api")
        """)
    write(root, "app/api/__init__.py", "")
    write(root, "app/api/items.py", """
        from fastapi import APIRouter

        router = APIRouter(prefix="/items")


        @router.get("/")
        def list_items() -> list[int]:
            return []


        @router.delete("/{item_id}")
        def delete_item(item_id: int) -> None:
            return None
        """)
    return root


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real scans run (their mode), as the CLI calls them."""
    calls: list[str] = []
    real: Callable[..., Any] = workflow.scan_project

    def counted(project: Any, path: str = ".", mode: str = "auto") -> Any:
        calls.append(mode)
        return real(project, path, mode)

    monkeypatch.setattr(workflow, "scan_project", counted)
    return calls


def scan(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> str:
    assert main(["scan", "--project", str(root), "--mode", "static", *args]) == 0
    return capsys.readouterr().out


def test_a_no_change_rescan_replays_the_output_a_real_rescan_prints(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    first = json.loads(scan(capsys, app, "--format", "json"))
    assert first["endpoints"] == 2 and first["changes"]["added"]
    assert (app / scan_replay.MANIFEST).is_file()
    replayed_json = scan(capsys, app, "--format", "json")
    replayed_text = scan(capsys, app)
    assert scans == ["static"]  # both answered from the manifest
    (app / scan_replay.MANIFEST).unlink()
    assert scan(capsys, app, "--format", "json") == replayed_json  # a real scan of the same inputs
    assert json.loads(replayed_json)["changes"] == {"added": [], "changed": [], "removed": []}
    (app / scan_replay.MANIFEST).unlink()
    assert scan(capsys, app) == replayed_text
    assert scans == ["static", "static", "static"]


def test_the_replay_imports_neither_pydantic_nor_the_discovery_engine(app: Path) -> None:
    command = [sys.executable, "-X", "importtime", "-m", "backend_orchestrator", "scan", "--mode", "static",
               "--project", str(app)]
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_START"}
    cold = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    again = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    assert "pydantic" in cold.stderr and "backend_orchestrator.discovery" in cold.stderr
    assert again.stdout.startswith(cold.stdout.splitlines()[0])
    imported = {line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines()}
    assert not {name for name in imported if name.split(".")[0] == "pydantic"}
    assert not {name for name in imported if name.startswith(("backend_orchestrator.discovery",
                                                               "backend_orchestrator.contracts",
                                                               "backend_orchestrator.state"))}


def test_a_changed_file_is_scanned_and_a_touched_one_with_the_same_content_is_not(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, app)
    items = app / "app/api/items.py"
    os.utime(items, ns=(items.stat().st_atime_ns, items.stat().st_mtime_ns + 5_000_000_000))
    scan(capsys, app)
    assert scans == ["static"]  # a new mtime, the same bytes: the content decides
    items.write_text(items.read_text(encoding="utf-8").replace('"/{item_id}"', '"/{item_id}/x"'), encoding="utf-8")
    out = json.loads(scan(capsys, app, "--format", "json"))
    assert scans == ["static", "static"]
    assert out["changes"]["added"] == ["DELETE /api/items/{item_id}/x"]


def test_an_edit_that_keeps_size_and_mtime_is_seen(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, app)
    items = app / "app/api/items.py"
    before = items.stat()
    items.write_text(items.read_text(encoding="utf-8").replace("list_items", "list_itemz"), encoding="utf-8")
    os.utime(items, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime, new content
    out = json.loads(scan(capsys, app, "--format", "json"))
    assert scans == ["static", "static"]
    assert out["changes"]["changed"] == ["GET /api/items/"]


@pytest.mark.parametrize("change", ["add_file", "remove_file", "add_package", "add_to_empty_folder"])
def test_an_added_or_removed_file_is_scanned(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str], change: str) -> None:
    if change == "add_to_empty_folder":
        (app / "app/api/later").mkdir()
    scan(capsys, app)
    route = '\n@router.get("/{item_id}/more")\ndef more(item_id: int) -> None:\n    return None\n'
    if change == "add_file":
        write(app, "app/api/extra.py", "from fastapi import APIRouter\n\nrouter = APIRouter()\n" + route)
    elif change == "remove_file":
        (app / "app/api/items.py").unlink()
    elif change == "add_package":
        write(app, "app/api/sub/__init__.py", "")
    else:
        write(app, "app/api/later/mod.py", "X = 1\n")
    scan(capsys, app)
    assert scans == ["static", "static"]


def test_a_config_change_is_scanned(app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, app)
    write(app, "backend-orchestrator.toml", 'source = ["app/api"]\n')
    scan(capsys, app)
    write(app, "pyproject.toml", '[project]\nname = "x"\n')
    scan(capsys, app)
    scan(capsys, app)
    (app / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.other]\nkey = 1\n', encoding="utf-8")
    scan(capsys, app)
    assert scans == ["static"] * 4


def test_other_options_are_scanned(app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, app)
    scan(capsys, app, "--path", "app/api")
    scan(capsys, app, "--path", "app/api")
    scan(capsys, app)
    assert scans == ["static", "static", "static"]  # the manifest holds the last scan's options
    assert main(["scan", "--project", str(app), "--mode", "auto"]) == 0
    assert main(["scan", "--project", str(app), "--mode", "auto"]) == 0
    assert scans[3:] == ["auto", "auto"]  # only static scans replay
    capsys.readouterr()


@pytest.mark.parametrize("how", ["edit", "delete", "touch"])
def test_a_registry_changed_on_disk_is_scanned(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str], how: str) -> None:
    scan(capsys, app)
    registry = app / STATE / "endpoints.json"
    original = registry.read_bytes()
    if how == "edit":
        document = json.loads(original)
        document["endpoints"] = document["endpoints"][:1]
        registry.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    elif how == "delete":
        registry.unlink()
    else:  # the same bytes, another mtime: replayed
        os.utime(registry, ns=(registry.stat().st_atime_ns, registry.stat().st_mtime_ns + 5_000_000_000))
    out = json.loads(scan(capsys, app, "--format", "json"))
    if how == "touch":
        assert scans == ["static"]
        return
    assert scans == ["static", "static"]
    assert registry.read_bytes() == original  # the real scan rewrote it
    assert out["changes"]["added"] == (["DELETE /api/items/{item_id}"] if how == "edit" else
                                       ["DELETE /api/items/{item_id}", "GET /api/items/"])


def test_other_state_and_a_bad_manifest_are_scanned(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, app)
    (app / STATE / ".gitignore").unlink()
    scan(capsys, app)
    assert (app / STATE / ".gitignore").is_file()
    (app / scan_replay.MANIFEST).write_text("{not json", encoding="utf-8")
    scan(capsys, app)
    manifest = json.loads((app / scan_replay.MANIFEST).read_text(encoding="utf-8"))
    manifest["code"] = "another version of the package"
    (app / scan_replay.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    scan(capsys, app)
    scan(capsys, app)
    assert scans == ["static"] * 4


def test_an_endpoint_reported_gone_is_not_replayed(
        app: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, app)
    items = app / "app/api/items.py"
    items.write_text(items.read_text(encoding="utf-8").replace("def delete_item", "def remove_item")
                     .replace('@router.delete("/{item_id}")\n', ""), encoding="utf-8")
    first = scan(capsys, app)
    assert "drift: gone: DELETE /api/items/{item_id}" in first
    second = scan(capsys, app)  # the next scan no longer reports it: it must run
    assert "gone" not in second
    third = scan(capsys, app)
    assert third == second
    assert scans == ["static", "static", "static"]


def test_migrations_and_a_live_database(shop: Path, capsys: pytest.CaptureFixture[str], scans: list[str]) -> None:
    scan(capsys, shop)
    scan(capsys, shop)
    assert scans == ["static", "static"]  # database_url: the database is read on every scan
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('database_url = "sqlite:///./shop.db"\n', ""),
                         encoding="utf-8")
    first = scan(capsys, shop)
    assert scan(capsys, shop) == first  # replayed (the first scan changed nothing either)
    assert scans == ["static"] * 3
    versions = shop / "migrations" / "versions"
    newest = sorted(versions.glob("*.py"))[-1]
    write(shop, "migrations/versions/zz_later.py",
          f'revision = "zz1"\ndown_revision = {json.dumps(_revision(newest))}\n')
    out = scan(capsys, shop)
    assert scans == ["static"] * 4 and "migrations head zz1" in out
    (shop / "alembic.ini").unlink()
    scan(capsys, shop)
    assert scans == ["static"] * 5


def _revision(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("revision"):
            return line.split("=", 1)[1].split("#")[0].strip().strip("\"'")
    raise AssertionError(f"no revision in {path}")
