"""Results of the MCP tools and CLI commands that are not themselves stored documents."""

from __future__ import annotations

from pydantic import Field

from .common import Contract, Priority, Status, TaskId, TaskKind
from .context import ContextPackage
from .event import Event
from .scan import RegistryPage as RegistryPage
from .scan import ScanChanges as ScanChanges
from .scan import ScanResult as ScanResult
from .task import Task, UnknownReferences


class ReceiveResult(Contract):
    task: Task
    unknown_references: UnknownReferences
    notes: list[str] = Field(default_factory=list)


class TaskSummary(Contract):
    id: TaskId
    title: str
    kind: TaskKind
    status: Status
    priority: Priority
    depends_on: list[str]
    updated_at: str


class TaskPage(Contract):
    tasks: list[TaskSummary]
    total: int
    next_cursor: str | None = None


class ContextResult(Contract):
    task_id: TaskId
    status: Status
    path: str
    package: ContextPackage


class EventPage(Contract):
    events: list[Event]
    next_cursor: str | None = Field(None, description="pass as `after` to get newer events")
