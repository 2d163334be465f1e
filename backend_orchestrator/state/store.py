"""The store: schema-validated JSON under ai-state/, atomic writes, one cross-process lock.

Layout (DESIGN.md §3)::

    ai-state/events.jsonl
    ai-state/active/backend/{endpoints,models,services}.json
    ai-state/active/backend/tasks/task-NNN-<kind>.json
    ai-state/active/backend/artifacts/<task-id>/...      (git-ignored)
    ai-state/active/backend/logs/audit.jsonl             (git-ignored)
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from ..contracts.task import Task
from ..errors import NotFound, StateError
from . import schemas
from .jsonio import atomic_write_text, dumps
from .paths import check_task_id, confined

M = TypeVar("M", bound=BaseModel)

STATE_DIR = Path("ai-state") / "active" / "backend"
EVENTS_FILE = Path("ai-state") / "events.jsonl"
GITIGNORE = (
    "# written by backend-orchestrator: evidence and logs are not reviewed in git\n"
    "artifacts/\nlogs/\n.cache/\n.lock\n"
)
REGISTRIES = {"endpoints": "endpoints.json", "models": "models.json", "services": "services.json"}
_SEQ = re.compile(r"^task-(\d{3,})-[a-z]+\.json$")
LOCK_TIMEOUT_S = 30.0


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = confined(root, STATE_DIR)
        self.tasks_dir = self.dir / "tasks"
        self._lock: Any = None  # a filelock.FileLock, made on first use (keeps start-up light)
        self._thread_lock = threading.RLock()
        self._cache: dict[Path, tuple[tuple[int, int], BaseModel]] = {}

    # -- locking -----------------------------------------------------------------------------
    def ensure_layout(self) -> None:
        self.tasks_dir.mkdir(parents=True, exist_ok=True)
        ignore = self.dir / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, GITIGNORE)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the project's state lock (re-entrant in this process, exclusive across processes)."""
        from filelock import FileLock, Timeout

        self.ensure_layout()
        with self._thread_lock:
            if self._lock is None:
                self._lock = FileLock(str(self.dir / ".lock"), timeout=LOCK_TIMEOUT_S, thread_local=False)
            try:
                with self._lock:
                    yield
            except Timeout:
                raise StateError(
                    f"could not lock {self._lock.lock_file} within {LOCK_TIMEOUT_S:.0f} s: "
                    "another backend-orchestrator process holds it"
                ) from None

    # -- documents ---------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return confined(self.root, STATE_DIR, *parts)

    def display(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def read(self, path: Path, schema: str, model: type[M], *, copy: bool = True) -> M:
        """Read, schema-check and parse ``path``; a corrupt file is a StateError naming it.

        Parsed documents are cached by (mtime, size); ``copy=False`` returns the cached object
        itself, for callers that only serialise it (the hot path of get_task).
        """
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise NotFound(f"{self.display(path)} does not exist") from None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached and cached[0] == key and isinstance(cached[1], model):
            return cached[1].model_copy(deep=True) if copy else cached[1]
        document = self._load_json(path)
        schemas.check(schema, document, where=self.display(path))
        try:
            parsed = model.model_validate(document)
        except ValueError as exc:  # the schema and the model disagree: report, never overwrite
            raise StateError(f"{self.display(path)} is invalid: {exc}") from None
        self._cache[path] = (key, parsed)
        return parsed.model_copy(deep=True) if copy else parsed

    def write(self, path: Path, schema: str, document: BaseModel) -> None:
        """Validate and atomically replace ``path``. Refuses to replace a file that is corrupt."""
        data = document.model_dump(mode="json")
        schemas.check(schema, data, where=self.display(path))
        if path.exists():
            self._refuse_if_corrupt(path, schema)
        atomic_write_text(path, dumps(data))
        self._cache.pop(path, None)

    def write_json(self, path: Path, schema: str | None, data: Any) -> None:
        """Atomically write plain JSON (artifacts), schema-checked when a schema is named."""
        if schema is not None:
            schemas.check(schema, data, where=self.display(path))
        atomic_write_text(path, dumps(data))

    def write_json_if_changed(self, path: Path, schema: str | None, data: Any) -> bool:
        """``write_json`` unless the file already holds exactly this document; True when written.

        Deterministic artifacts (context packages) are rebuilt on every call: an unchanged one
        costs no validation, no fsync and no history entry."""
        text = dumps(data)
        try:
            if path.read_text(encoding="utf-8") == text:
                return False
        except (OSError, UnicodeDecodeError):
            pass
        self.write_json(path, schema, data)
        return True

    def _load_json(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StateError(
                f"{self.display(path)} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}); fix or remove it — it will not be overwritten"
            ) from None
        except UnicodeDecodeError as exc:
            raise StateError(f"{self.display(path)} is not UTF-8 text: {exc}") from None

    def _refuse_if_corrupt(self, path: Path, schema: str) -> None:
        document = self._load_json(path)
        found = schemas.problems(schema, document)
        if found:
            raise StateError(
                f"{self.display(path)} does not match schemas/{schema}.schema.json and was not "
                "overwritten: " + "; ".join(found)
            )

    # -- tasks -------------------------------------------------------------------------------
    def task_path(self, task_id: str) -> Path:
        # the id pattern admits no separators, so the file sits directly in tasks/; only a
        # symlinked file needs the full (slower) resolution to stay inside the project
        path = self.tasks_dir / f"{check_task_id(task_id)}.json"
        if path.is_symlink() or self.tasks_dir.is_symlink():
            return confined(self.root, STATE_DIR, "tasks", path.name)
        return path

    def task_ids(self) -> list[str]:
        if not self.tasks_dir.is_dir():
            return []
        ids = [p.stem for p in self.tasks_dir.glob("task-*.json") if _SEQ.match(p.name)]
        return sorted(ids, key=lambda i: (int(i.split("-")[1]), i))

    def next_task_id(self, kind: str) -> str:
        """Allocate the next id; call while holding :meth:`locked`."""
        seqs = [int(m.group(1)) for p in self.tasks_dir.glob("task-*.json") if (m := _SEQ.match(p.name))]
        return f"task-{max(seqs, default=0) + 1:03d}-{kind}"

    def load_task(self, task_id: str, *, copy: bool = True) -> Task:
        path = self.task_path(task_id)
        try:
            return self.read(path, "task", Task, copy=copy)
        except NotFound:
            raise NotFound(f"unknown task {task_id!r}; {self._known_tasks_hint(task_id)}") from None

    def save_task(self, task: Task) -> None:
        self.write(self.task_path(task.id), "task", task)

    def _known_tasks_hint(self, task_id: str) -> str:
        from ..errors import choices_hint

        ids = self.task_ids()
        if not ids:
            return "there are no tasks yet: create one with receive_task"
        return choices_hint(task_id, ids[-50:])

    # -- registries --------------------------------------------------------------------------
    def registry_path(self, name: str) -> Path:
        return self.path(REGISTRIES[name])

    def artifacts(self, owner: str, *parts: str) -> Path:
        """``artifacts/<owner>/<parts>``; ``owner`` is a task id or 'project'."""
        if owner != "project":
            check_task_id(owner)
        return confined(self.root, STATE_DIR, "artifacts", owner, *parts)
