"""The on-disk scan cache: reused across processes while files are unchanged, never trusted blindly.

A "new process" is simulated by emptying the in-process parse cache (`files._PARSED`); parsing is
observed by counting `ast.parse` calls on file contents (bytes).
"""

from __future__ import annotations

import ast
import gc
import shutil
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import analysis, cache, files, scan

from .support import FIXTURES, count_parses, dump, refs, write

ROUTES = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get({path!r})\ndef handler():\n    pass\n"


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "_PARSED", {})


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the cache reads to hash them, from now on."""
    read: list[Path] = []
    real = cache._read_bytes

    def counting(path: Path) -> bytes:
        read.append(path)
        return real(path)

    monkeypatch.setattr(cache, "_read_bytes", counting)
    return read


def project(tmp_path: Path) -> Path:
    return write(
        tmp_path / "project", {"a.py": ROUTES.format(path="/a"), "b.py": "from a import app\nX = 1\n"}
    )


@pytest.mark.parametrize("name", ["nested", "models", "flask_app", "models_variants", "services_more"])
def test_a_rescan_in_a_new_process_parses_no_file_when_nothing_changed(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache_dir = FIXTURES / name, tmp_path / "cache"
    first = scan(root, ProjectConfig(), cache_dir=cache_dir)
    new_process(monkeypatch)
    parsed = count_parses(monkeypatch)
    second = scan(root, ProjectConfig(), cache_dir=cache_dir)
    assert parsed == []
    assert dump(second) == dump(first) == dump(scan(root, ProjectConfig()))


def test_a_touched_file_is_reparsed_and_within_a_process_the_unchanged_ones_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache_dir = project(tmp_path), tmp_path / "cache"
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    parsed = count_parses(monkeypatch)
    (root / "a.py").write_text(ROUTES.format(path="/renamed"), encoding="utf-8")
    assert refs(scan(root, ProjectConfig(), cache_dir=cache_dir)) == ["GET /renamed"]
    assert parsed == [ROUTES.format(path="/renamed").encode()]


def test_a_change_made_between_two_processes_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cache_dir = project(tmp_path), tmp_path / "cache"
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    (root / "c.py").write_text(ROUTES.format(path="/c"), encoding="utf-8")
    (root / "b.py").unlink()
    new_process(monkeypatch)
    assert refs(scan(root, ProjectConfig(), cache_dir=cache_dir)) == ["GET /a", "GET /c"]


@pytest.mark.parametrize(
    ("file", "content"),
    [
        ("result.json", b"\x00not json"),
        ("result.json", None),  # the right header, then a registry cut in half
        ("result.json", b'{"version": "x", "key": "y"}\n'),
        ("index.json", b"[1, 2"),
        ("index.json", b'{"version": "%s", "files": {"a": "not a list"}, "revisions": []}'),
    ],
)
def test_a_corrupt_cache_file_is_ignored_and_rewritten(
    file: str, content: bytes | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache_dir = project(tmp_path), tmp_path / "cache"
    expected = dump(scan(root, ProjectConfig(), cache_dir=cache_dir))
    stored = (cache_dir / file).read_bytes()
    if content is None:
        content = stored[: len(stored) // 2]
    (cache_dir / file).write_bytes(content.replace(b"%s", cache.cache_version().encode()))
    new_process(monkeypatch)
    assert dump(scan(root, ProjectConfig(), cache_dir=cache_dir)) == expected
    new_process(monkeypatch)
    parsed = count_parses(monkeypatch)
    assert dump(scan(root, ProjectConfig(), cache_dir=cache_dir)) == expected
    assert parsed == []  # rewritten: usable again


@pytest.mark.parametrize(
    ("attribute", "value"), [("FORMAT", cache.FORMAT + 1), ("__version__", "0.0.0-other")]
)
def test_a_cache_written_by_another_format_or_package_version_is_ignored(
    attribute: str, value: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache_dir = project(tmp_path), tmp_path / "cache"
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    monkeypatch.setattr(cache, attribute, value)
    new_process(monkeypatch)
    parsed = count_parses(monkeypatch)
    assert refs(scan(root, ProjectConfig(), cache_dir=cache_dir)) == ["GET /a"]
    assert len(parsed) == 2


def test_a_file_is_not_even_read_while_its_stat_is_unchanged_and_read_again_once_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "RACY_NS", 0)  # as if the files were written long before the first scan
    root, cache_dir = project(tmp_path), tmp_path / "cache"
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    read = count_reads(monkeypatch)
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    assert read == []
    (root / "b.py").write_text("from a import app\nX = 22\n", encoding="utf-8")
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    assert read == [root.resolve() / "b.py"]


def test_a_file_changed_just_before_it_was_hashed_is_read_again_even_if_its_stat_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache_dir = project(tmp_path), tmp_path / "cache"
    scan(root, ProjectConfig(), cache_dir=cache_dir)  # hashed within RACY_NS of being written
    read = count_reads(monkeypatch)
    scan(root, ProjectConfig(), cache_dir=cache_dir)
    assert sorted(p.name for p in read) == ["a.py", "b.py"]


def test_a_cache_folder_that_cannot_be_written_does_not_fail_the_scan(tmp_path: Path) -> None:
    root = project(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    assert refs(scan(root, ProjectConfig(), cache_dir=blocker / "cache")) == ["GET /a"]


def test_a_new_migration_moves_the_head_while_the_code_result_and_old_revisions_are_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache_dir = tmp_path / "models", tmp_path / "cache"
    shutil.copytree(FIXTURES / "models", root)
    assert scan(root, ProjectConfig(), cache_dir=cache_dir).models.migrations.head == "5e6f"
    revision = 'revision = "7a8b"\ndown_revision = "5e6f"\n'
    (root / "migrations" / "versions" / "0004_next.py").write_text(revision, encoding="utf-8")
    new_process(monkeypatch)
    parsed = count_parses(monkeypatch)
    migrations = scan(root, ProjectConfig(), cache_dir=cache_dir).models.migrations
    assert (migrations.head, migrations.revisions) == ("7a8b", 4)
    assert parsed == [revision.encode()]


def test_paths_restrict_a_cached_result_exactly_like_a_direct_scan(tmp_path: Path) -> None:
    root, only = FIXTURES / "nested", [FIXTURES / "nested" / "app" / "api" / "v1"]
    scan(root, ProjectConfig(), cache_dir=tmp_path / "cache")
    cached = scan(root, ProjectConfig(), only, cache_dir=tmp_path / "cache")
    assert dump(cached) == dump(scan(root, ProjectConfig(), only))


def test_a_syntax_error_is_reported_with_its_line_and_the_other_files_are_still_scanned(
    tmp_path: Path,
) -> None:
    root = write(
        tmp_path / "project",
        {
            "app.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/up')\ndef up():\n    return ''\n",
            "api.py": ROUTES.format(path="/api"),
            "broken.py": '"""A file in the middle of an edit."""\n\ndef half(:\n    pass\n',
        },
    )
    for _ in range(2):  # computed, then read back from the cache
        found = scan(root, ProjectConfig(), cache_dir=tmp_path / "cache")
        assert refs(found) == ["GET /api", "GET /up"]
        for registry in (found.endpoints, found.models, found.services):
            assert [
                (u.file, u.line, u.reason.startswith("not scanned: syntax error"))
                for u in registry.unresolved
            ] == [("broken.py", 3, True)]


def test_a_scan_resumes_the_garbage_collector_it_paused_and_leaves_a_paused_one_paused(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    assert gc.isenabled()
    scan(root, ProjectConfig())
    assert gc.isenabled()
    gc.disable()
    try:
        scan(root, ProjectConfig())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_cold_scan_reads_each_file_once_and_parses_the_bytes_it_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    read: list[str] = []
    real = Path.read_bytes

    def counting(self: Path) -> bytes:
        if self.suffix == ".py":
            read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    new_process(monkeypatch)
    parsed = count_parses(monkeypatch)
    assert refs(scan(root, ProjectConfig(), cache_dir=tmp_path / "cache")) == ["GET /a"]
    assert sorted(read) == ["a.py", "b.py"]
    assert sorted(parsed) == sorted((root / name).read_bytes() for name in ("a.py", "b.py"))


def test_a_large_scan_moves_what_it_leaves_alive_out_of_the_collectors_sight_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if gc.get_freeze_count():
        pytest.skip("objects were frozen before this test")
    root = project(tmp_path)
    try:
        scan(root, ProjectConfig(), cache_dir=tmp_path / "cache")  # a small scan: nothing frozen
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(analysis, "SETTLE_OBJECTS", 0)  # as if it had been a large one
        new_process(monkeypatch)
        scan(root, ProjectConfig())
        frozen = gc.get_freeze_count()
        assert frozen > 0 and gc.isenabled()
        new_process(monkeypatch)
        scan(root, ProjectConfig(), cache_dir=tmp_path / "other")
        assert gc.get_freeze_count() == frozen  # once: later scans are left to the collector
    finally:
        gc.unfreeze()


def test_the_node_index_lists_nodes_in_source_order_and_knows_their_outermost_function() -> None:
    source = (
        b"import os\n"
        b"class A:\n"
        b"    def method(self):\n"
        b"        return os.getenv('X')\n"
        b"async def outer():\n"
        b"    def inner():\n"
        b"        return os.getenv('Y')\n"
        b"    return [inner() for _ in range(2)]\n"
        b"os.getenv('Z')\n"
    )
    parsed = files.parse_source(source)
    tree = parsed.tree
    assert tree is not None
    walked = sorted(ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    for kind in (ast.Call, ast.Name, ast.FunctionDef, ast.Constant):
        assert parsed.nodes(kind) == [n for n in walked if type(n) is kind]
    calls = {ast.unparse(c): c for c in parsed.nodes(ast.Call)}
    enclosing = {text: getattr(parsed.enclosing_function(c), "name", None) for text, c in calls.items()}
    assert enclosing == {"os.getenv('X')": "method", "os.getenv('Y')": "outer", "inner()": "outer",
                         "range(2)": "outer", "os.getenv('Z')": None}
    method = parsed.nodes(ast.FunctionDef)[0]
    assert parsed.enclosing_function(method) is None  # a function is not inside itself


def test_a_rescan_that_finds_nothing_changed_validates_and_rewrites_no_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend_orchestrator.state import Project, schemas, store
    from backend_orchestrator.workflow import scan_project

    root = project(tmp_path)
    first = scan_project(Project.open(root), mode="static")
    registries = [Project.open(root).store.registry_path(kind) for kind in ("endpoints", "models", "services")]
    stamps = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in registries]
    new_process(monkeypatch)
    monkeypatch.setattr(store, "_VALID", set())
    for name in ("check", "problems", "check_contract", "contract_problems"):
        monkeypatch.setattr(schemas, name, lambda *args, **kwargs: pytest.fail("validated again"))
    again = scan_project(Project.open(root), mode="static")
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in registries] == stamps
    assert again.changes.model_dump() == {"added": [], "removed": [], "changed": []}
    assert again.model_dump(exclude={"changes"}) == first.model_dump(exclude={"changes"})
