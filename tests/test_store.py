"""The store: git-friendly atomic writes, a cross-process lock, and corrupt files left alone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from backend_orchestrator.contracts.registry import EndpointRegistry, ServiceRegistry
from backend_orchestrator.errors import InvalidArgument, NotFound, PathOutsideProject, StateError
from backend_orchestrator.state import Project
from backend_orchestrator.state.paths import confined
from backend_orchestrator.workflow import receive_task

REPO = Path(__file__).resolve().parents[1]


def test_documents_are_written_with_sorted_keys_two_space_indent_and_a_newline(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    path = project.store.registry_path("endpoints")
    project.store.ensure_layout()
    project.store.write(path, "endpoints", EndpointRegistry())
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert '\n  "endpoints": []' in text


def test_init_layout_ignores_artifacts_and_logs(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    project.store.ensure_layout()
    ignore = (project.store.dir / ".gitignore").read_text(encoding="utf-8")
    assert "artifacts/" in ignore and "logs/" in ignore


def test_a_file_that_is_not_json_is_reported_by_path_and_not_overwritten(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    project.store.ensure_layout()
    path = project.store.registry_path("endpoints")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateError, match=r"ai-state/active/backend/endpoints.json is not valid JSON"):
        project.store.read(path, "endpoints", EndpointRegistry)
    with pytest.raises(StateError, match="not valid JSON"):
        project.store.write(path, "endpoints", EndpointRegistry())
    assert path.read_text(encoding="utf-8") == "{not json"


def test_a_file_that_fails_its_schema_names_the_field(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    project.store.ensure_layout()
    path = project.store.registry_path("endpoints")
    path.write_text('{"schema_version": 1, "endpoints": [{"method": "FETCH"}]}', encoding="utf-8")
    with pytest.raises(StateError, match=r"endpoints/0"):
        project.store.read(path, "endpoints", EndpointRegistry)


def test_schema_invalid_documents_are_never_written(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    project.store.ensure_layout()
    from backend_orchestrator.contracts.registry import Endpoint

    bad = EndpointRegistry(endpoints=[Endpoint.model_construct(method="FETCH", path="/x", handler="m:f",
                                                                file="m.py", line=1)])
    path = project.store.registry_path("endpoints")
    with pytest.raises(StateError):
        project.store.write(path, "endpoints", bad)
    assert not path.exists()


def test_paths_are_confined_to_the_project_even_through_symlinks(tmp_path: Path) -> None:
    root = (tmp_path / "p").resolve()
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    assert confined(root, "a", "b") == root / "a" / "b"
    for escape in ("..", "/etc/passwd", "link/x", "a/../../x"):
        with pytest.raises(PathOutsideProject):
            confined(root, escape)


def test_task_ids_must_have_the_seed_form(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    for bad in ("task-1-api", "task-001-frontend", "../task-001-api", "task-001-api.json"):
        with pytest.raises(InvalidArgument, match="task-002-api"):
            project.store.task_path(bad)
    with pytest.raises(NotFound, match="no tasks yet"):
        project.store.load_task("task-001-api")


ALLOCATE = """
import sys
from backend_orchestrator.state import Project
from backend_orchestrator.workflow import receive_task
project = Project.open(sys.argv[1])
for i in range(int(sys.argv[2])):
    receive_task(project, f"Write tests for the products module {i}", kind="testing")
"""


def test_concurrent_processes_allocate_distinct_task_ids(shop: Path) -> None:
    project = Project.open(shop)
    receive_task(project, "Seed the registries first", kind="testing")
    procs = [subprocess.Popen([sys.executable, "-c", ALLOCATE, str(shop), "6"], cwd=REPO) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    ids = project.store.task_ids()
    assert len(ids) == 19
    assert ids[-1] == "task-019-testing"
    for task_id in ids:
        assert project.store.load_task(task_id).id == task_id


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    project.store.ensure_layout()
    for _ in range(3):
        project.store.write(project.store.registry_path("services"), "services", ServiceRegistry())
    leftovers = [p.name for p in project.store.dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_written_files_are_readable_by_the_team(tmp_path: Path) -> None:
    project = Project.open(tmp_path)
    project.store.ensure_layout()
    path = project.store.registry_path("services")
    project.store.write(path, "services", ServiceRegistry())
    assert path.stat().st_mode & 0o777 == 0o644


# -- validation paid once per content ----------------------------------------------------------------------
def _registry(*paths: str) -> EndpointRegistry:
    from backend_orchestrator.contracts.registry import Endpoint

    return EndpointRegistry(endpoints=[Endpoint(method="GET", path=p, handler="m:f", file="m.py", line=1)
                                       for p in paths])


def _new_process(monkeypatch: pytest.MonkeyPatch, project: Project) -> Project:
    """The project as a new process sees it: nothing validated in memory (the records on disk remain)."""
    from backend_orchestrator.state import store

    monkeypatch.setattr(store, "_VALID", set())
    return Project.open(project.root)


def _validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schema checks (jsonschema, on read) and contract checks (pydantic, on write) made from now on."""
    from backend_orchestrator.state import schemas

    made: list[str] = []

    def counting(name: str) -> Callable[[str, object], list[str]]:
        real = getattr(schemas, name)

        def check(schema: str, document: object) -> list[str]:
            made.append(f"{name}:{schema}")
            found: list[str] = real(schema, document)
            return found

        return check

    for name in ("problems", "contract_problems"):
        monkeypatch.setattr(schemas, name, counting(name))
    return made


@pytest.fixture
def project(tmp_path: Path) -> Project:
    opened = Project.open(tmp_path)
    opened.store.ensure_layout()
    return opened


def test_writing_the_document_a_file_already_holds_validates_and_writes_nothing(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project.store.registry_path("endpoints")
    assert project.store.write(path, "endpoints", _registry("/a", "/b")) is True
    before = path.stat()
    store = _new_process(monkeypatch, project).store
    checks = _validations(monkeypatch)
    assert store.write(path, "endpoints", _registry("/a", "/b")) is False
    assert checks == []
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert store.read(path, "endpoints", EndpointRegistry) == _registry("/a", "/b")
    assert checks == []  # read back: its record vouches for it
    assert store.write(path, "endpoints", _registry("/a", "/c")) is True
    assert checks == ["contract_problems:endpoints"]  # the new content only: the old one is known


def test_the_record_of_a_validated_file_is_kept_under_the_git_ignored_cache(project: Project) -> None:
    path = project.store.registry_path("services")
    project.store.write(path, "services", ServiceRegistry())
    record = project.store.dir / ".cache" / "validated" / "services.json"
    assert record.read_text(encoding="utf-8").startswith("services ")
    assert ".cache/" in (project.store.dir / ".gitignore").read_text(encoding="utf-8")


def test_a_file_edited_by_hand_is_checked_against_its_schema_again_and_never_overwritten_when_it_fails(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project.store.registry_path("endpoints")
    project.store.write(path, "endpoints", _registry("/a"))
    edited = json.loads(path.read_text(encoding="utf-8"))
    edited["endpoints"][0]["method"] = "FETCH"
    path.write_text(json.dumps(edited), encoding="utf-8")
    store = _new_process(monkeypatch, project).store
    with pytest.raises(StateError, match=r"endpoints.json does not match .* endpoints/0/method"):
        store.read(path, "endpoints", EndpointRegistry)
    with pytest.raises(StateError, match=r"endpoints.json does not match .* was not overwritten: endpoints/0/method"):
        store.write(path, "endpoints", _registry("/b"))
    assert json.loads(path.read_text(encoding="utf-8")) == edited


def test_a_file_edited_by_hand_into_another_valid_document_is_validated_once_then_known(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project.store.registry_path("endpoints")
    project.store.write(path, "endpoints", _registry("/a"))
    path.write_text(json.dumps(_registry("/hand").model_dump(mode="json")), encoding="utf-8")
    store = _new_process(monkeypatch, project).store
    checks = _validations(monkeypatch)
    assert store.read(path, "endpoints", EndpointRegistry) == _registry("/hand")
    assert checks == ["problems:endpoints"]
    store = _new_process(monkeypatch, project).store
    assert store.read(path, "endpoints", EndpointRegistry) == _registry("/hand")
    assert checks == ["problems:endpoints"]  # its record now names this content


def test_a_record_made_under_another_schema_file_vouches_for_nothing(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend_orchestrator.state import schemas

    path = project.store.registry_path("endpoints")
    project.store.write(path, "endpoints", _registry("/a"))
    store = _new_process(monkeypatch, project).store
    monkeypatch.setattr(schemas, "fingerprint", lambda name: "0" * 64)  # as after an upgrade
    checks = _validations(monkeypatch)
    store.read(path, "endpoints", EndpointRegistry)
    assert checks == ["problems:endpoints"]


def test_a_file_validated_once_in_a_process_is_not_validated_again_even_without_records(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    path = project.store.registry_path("endpoints")
    project.store.write(path, "endpoints", _registry("/a"))
    monkeypatch.setattr(type(project.store), "_record_path", lambda self, path: None)
    store = _new_process(monkeypatch, project).store
    checks = _validations(monkeypatch)
    for _ in range(2):
        assert Project.open(project.root).store.read(path, "endpoints", EndpointRegistry) == _registry("/a")
    assert store.write(path, "endpoints", _registry("/a")) is False
    assert checks == ["problems:endpoints"]


def test_a_document_that_fails_its_contract_is_reported_by_field_and_not_written(project: Project) -> None:
    from backend_orchestrator.contracts.registry import Endpoint

    path = project.store.registry_path("endpoints")
    project.store.write(path, "endpoints", _registry("/a"))
    bad = EndpointRegistry(endpoints=[Endpoint.model_construct(method="GET", path="no-slash", handler="m:f",
                                                                file="m.py", line=1)])
    with pytest.raises(StateError, match=r"endpoints.json does not match schemas/endpoints.schema.json: "
                                         r"endpoints/0/path"):
        project.store.write(path, "endpoints", bad)
    assert project.store.read(path, "endpoints", EndpointRegistry) == _registry("/a")
