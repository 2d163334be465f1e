"""Results of the MCP tools and CLI commands that are not themselves stored documents."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .common import Contract, Priority, Status, TaskId, TaskKind
from .context import ContextPackage
from .event import Event
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


class ScanChanges(Contract):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: list[str] = Field(default_factory=list)


class ScanResult(Contract):
    mode: Literal["static", "dynamic"]
    mode_reason: str = Field("", description="which mode was used and why")
    framework: str
    endpoints: int
    models: int
    services: int
    migrations_head: str | None
    openapi: str | None = Field(None, description="the recorded OpenAPI document, relative to the project root")
    database: str | None = Field(None, description="the live database: redacted URL and what was read, or why not")
    unresolved: list[str] = Field(default_factory=list)
    drift: list[str] = Field(default_factory=list, description="'kind: ref — detail' lines")
    changes: ScanChanges = Field(default_factory=ScanChanges)
    files: list[str] = Field(default_factory=list, description="registry files written")


class RegistryPage(Contract):
    registry: Literal["endpoints", "models", "services"]
    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None = None


class EventPage(Contract):
    events: list[Event]
    next_cursor: str | None = Field(None, description="pass as `after` to get newer events")
