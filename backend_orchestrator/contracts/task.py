"""The task: one file per task under ai-state/active/backend/tasks/."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Contract, EndpointRef, Priority, RunId, Status, TaskId, TaskKind, Timestamp, Versioned

InferredField = Literal["title", "kind", "endpoints", "models", "requirements"]


class StatusChange(Contract):
    time: Timestamp
    from_status: Status | None
    to_status: Status
    note: str = ""


class UnknownReferences(Contract):
    """Endpoints and models a task names that the registry does not know (yet)."""

    endpoints: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)


class AssignmentSummary(Contract):
    skill: str
    assigned_at: Timestamp
    gates: list[str]
    explicit: bool = False
    path: str = Field(description="the full assignment, relative to the project root")


class ValidationSummary(Contract):
    run_id: RunId
    verdict: Literal["pass", "fail", "error", "cancelled", "incomplete"]
    finished_at: Timestamp
    gates: dict[str, str] = Field(description="gate id -> status")
    findings: int
    report_path: str
    scope: Literal["change", "project"] = Field("project", description="what the verdict judged")
    new_findings: int = Field(0, description="findings the change brought (all findings when scope is project)")
    existing_findings: int = Field(0, description="findings the base had too: existing debt, reported, not blocking")
    fixed_findings: int = Field(0, description="findings of the base the change removed")
    missing_gates: list[str] = Field(default_factory=list, description="required gates this run did not cover "
                                                                       "(not run, or skipped for something missing)")
    tree_hash: str | None = Field(None, description="content hash of the files the gates ran on")


class Task(Versioned):
    id: TaskId
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1)
    kind: TaskKind
    status: Status
    priority: Priority = "medium"
    requirements: list[str] = Field(default_factory=list, description="acceptance criteria")
    endpoints: list[EndpointRef] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    depends_on: list[TaskId] = Field(default_factory=list)
    blocked_by: list[TaskId] = Field(default_factory=list, description="unfinished dependencies")
    base_commit: str | None = Field(None, description="git HEAD of the target when the task was received")
    source_event: str | None = Field(None, description="id of the event the task came from")
    created_at: Timestamp
    updated_at: Timestamp
    history: list[StatusChange] = Field(default_factory=list)
    inferred: list[InferredField] = Field(default_factory=list, description="fields inferred from the description")
    unknown_references: UnknownReferences = Field(default_factory=UnknownReferences)
    context_path: str | None = None
    assignment: AssignmentSummary | None = None
    validation: ValidationSummary | None = None


class TaskView(Task):
    """A task as get_task returns it: the stored task plus what is computed when it is read."""

    stale: bool | None = Field(None, description="the project's files differ from the tree the latest validation "
                                                 "ran on (None: no validation, or it cannot be told)")
    stale_reason: str = ""
