"""The store: schema-validated JSON under ai-state/, atomic writes, one cross-process lock.

Layout (DESIGN.md §3)::

    ai-state/events.jsonl
    ai-state/active/backend/{endpoints,models,services}.json
    ai-state/active/backend/tasks/task-NNN-<kind>.json
    ai-state/active/backend/artifacts/<task-id>/...      (git-ignored)
    ai-state/active/backend/logs/audit.jsonl             (git-ignored)
    ai-state/active/backend/.cache/validated/<file>      (git-ignored: see below)

Every document is valid on disk: what is written is checked against its contract first (and a
document that fails is never written), and a file read is checked against its schema. A file on
disk that is not JSON or does not match its schema is reported by path and never overwritten.

Validation is paid once per content, and an unchanged file costs no validation and no write:

- a record under ``.cache/validated/``, kept beside each document the store wrote or validated,
  names the schema file's sha256, the content's sha256 and, when the store wrote it, the sha256 of
  the document's ``model_dump_json``. A write of the document a file already holds is then skipped
  after hashing both (no validation, no JSON rendering, no write, no fsync), and a read of a file
  whose content matches its record skips the schema check;
- else a write whose rendered bytes equal the file's is skipped, and content validated once in
  this process (by its sha256) is not checked again.

A file edited by hand, or recorded under another schema file, matches no record and is validated
again in full; a record that cannot be written is skipped, it is only a shortcut.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from ..errors import NotFound, StateError
from . import schemas
from .jsonio import atomic_write_text, dumps
from .paths import check_task_id, confined

if TYPE_CHECKING:
    from ..contracts.task import Task

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
VALIDATED_DIR = Path(".cache") / "validated"

# (schema, sha256 of a content) checked in this process; bounded, since a server lives long
_VALID: set[tuple[str, str]] = set()
_VALID_LIMIT = 4096


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        itself, for callers that only serialise it (the hot path of get_task). A content already
        known to be valid (see the module's docstring) is parsed without the schema check.
        """
        try:
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(path)
            if cached and cached[0] == key and isinstance(cached[1], model):
                return cached[1].model_copy(deep=True) if copy else cached[1]
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"{self.display(path)} does not exist") from None
        digest = _sha256(data)
        known = self._known_valid(path, schema, digest)
        document = None if known else self._decode(path, data)
        if not known:
            schemas.check(schema, document, where=self.display(path))
        try:
            parsed = model.model_validate_json(data) if known else model.model_validate(document)
        except ValueError as exc:  # the schema and the model disagree: report, never overwrite
            raise StateError(f"{self.display(path)} is invalid: {exc}") from None
        if not known:
            self._remember_valid(path, schema, digest)
        self._cache[path] = (key, parsed)
        return parsed.model_copy(deep=True) if copy else parsed

    def write(self, path: Path, schema: str, document: BaseModel) -> bool:
        """Validate and atomically replace ``path``. Refuses to replace a file that is corrupt.

        A file that already holds exactly this document is left alone (nothing is validated or
        written): known from the record of what the store last wrote there, else by comparing the
        bytes. Returns whether the file was written."""
        shape = _sha256(document.model_dump_json().encode("utf-8"))  # a fast, exact fingerprint
        try:
            old: bytes | None = path.read_bytes()
        except FileNotFoundError:
            old = None
        if old is not None and self._holds(path, schema, shape, old):
            return False
        text = dumps(document.model_dump(mode="json"))
        data = text.encode("utf-8")
        digest = _sha256(data)
        if (schema, digest) not in _VALID:
            schemas.check_contract(schema, data, where=self.display(path))
        if old != data:
            if old is not None:
                self._refuse_if_corrupt(path, schema, old)
            atomic_write_text(path, text)
            self._cache.pop(path, None)
        self._remember_valid(path, schema, digest, shape)
        return old != data

    def write_json(self, path: Path, schema: str | None, data: Any) -> None:
        """Atomically write plain JSON (artifacts), checked against its contract when a schema is named."""
        text = dumps(data)
        if schema is not None:
            schemas.check_contract(schema, text, where=self.display(path))
        atomic_write_text(path, text)

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

    def _decode(self, path: Path, data: bytes) -> Any:
        try:
            return json.loads(data.decode("utf-8"))
        except json.JSONDecodeError as exc:
            raise StateError(
                f"{self.display(path)} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}); fix or remove it — it will not be overwritten"
            ) from None
        except UnicodeDecodeError as exc:
            raise StateError(f"{self.display(path)} is not UTF-8 text: {exc}") from None

    def _refuse_if_corrupt(self, path: Path, schema: str, data: bytes) -> None:
        """Raise unless ``data``, the content of ``path`` about to be replaced, matches its schema."""
        digest = _sha256(data)
        if self._known_valid(path, schema, digest):
            return
        document = self._decode(path, data)
        found = schemas.problems(schema, document)
        if found:
            raise StateError(
                f"{self.display(path)} does not match schemas/{schema}.schema.json and was not "
                "overwritten: " + "; ".join(found)
            )
        self._remember_valid(path, schema, digest, record=False)  # replaced next: no record

    # -- what is known to be valid -------------------------------------------------------------
    def _record_path(self, path: Path) -> Path | None:
        """Where the record of ``path``'s validated content is kept; None when there is no such place
        (a file outside the state folder, or a state folder without its .gitignore for .cache/)."""
        try:
            rel = path.relative_to(self.dir)
        except ValueError:
            return None
        if not rel.parts or rel.parts[0] == ".cache" or not (self.dir / ".gitignore").is_file():
            return None
        return self.dir / VALIDATED_DIR / rel

    def _record(self, path: Path, schema: str) -> tuple[str, str] | None:
        """(content sha256, document fingerprint or "-") recorded for ``path`` under this schema file."""
        target = self._record_path(path)
        try:
            fields = target.read_text(encoding="utf-8").split() if target is not None else []
        except (OSError, UnicodeDecodeError):
            return None
        if len(fields) != 4 or fields[:2] != [schema, schemas.fingerprint(schema)]:
            return None
        return fields[2], fields[3]

    def recorded_digest(self, path: Path, schema: str) -> str | None:
        """The sha256 of the content the store last wrote or validated at ``path`` (its record), if any."""
        record = self._record(path, schema)
        return record[0] if record else None

    def _known_valid(self, path: Path, schema: str, digest: str) -> bool:
        if (schema, digest) in _VALID:
            return True
        record = self._record(path, schema)
        if record is None or record[0] != digest:
            return False
        _remember(schema, digest)
        return True

    def _holds(self, path: Path, schema: str, shape: str, data: bytes) -> bool:
        """Whether ``data``, the content of ``path``, is what the store wrote there for a document of
        fingerprint ``shape`` (its ``model_dump_json``): then the file is valid and up to date."""
        record = self._record(path, schema)
        if record is None or record[1] != shape:
            return False
        digest = _sha256(data)
        if record[0] != digest:
            return False
        _remember(schema, digest)
        return True

    def _remember_valid(self, path: Path, schema: str, digest: str, shape: str = "-", *,
                        record: bool = True) -> None:
        """Note that this content of ``path`` is valid: for this process, and on disk for the next ones.
        ``shape`` is the fingerprint of the document it was written from (see `_holds`), if any."""
        _remember(schema, digest)
        target = self._record_path(path) if record else None
        if target is None:
            return
        text = f"{schema} {schemas.fingerprint(schema)} {digest} {shape}\n"
        try:
            if target.read_text(encoding="utf-8") == text:
                return
        except (OSError, UnicodeDecodeError):
            pass
        try:  # a record is only a shortcut: one that cannot be written is skipped, not an error
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, target)
        except OSError:
            Path(temporary).unlink(missing_ok=True)

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
        from ..contracts.task import Task  # not at import: a scan reads no task

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


def _remember(schema: str, digest: str) -> None:
    if len(_VALID) >= _VALID_LIMIT:
        _VALID.clear()
    _VALID.add((schema, digest))
