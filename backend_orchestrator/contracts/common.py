"""Shared vocabulary of the contracts: kinds, statuses, severities, id patterns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1

TaskKind = Literal["api", "database", "service", "auth", "testing"]
TASK_KINDS: tuple[str, ...] = ("api", "database", "service", "auth", "testing")

Status = Literal[
    "received", "context_ready", "assigned", "in_progress", "validating",
    "done", "failed", "blocked", "cancelled",
]
STATUSES: tuple[str, ...] = (
    "received", "context_ready", "assigned", "in_progress", "validating",
    "done", "failed", "blocked", "cancelled",
)

Priority = Literal["low", "medium", "high", "critical"]
PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "critical")

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
Confidence = Literal["high", "medium", "low"]

HTTP_METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

TASK_ID_PATTERN = r"^task-\d{3,}-(api|database|service|auth|testing)$"
RUN_ID_PATTERN = r"^run-[0-9a-z]{6,40}$"
ENDPOINT_REF_PATTERN = r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*$"

TaskId = Annotated[str, Field(pattern=TASK_ID_PATTERN, description="e.g. task-002-api")]
RunId = Annotated[str, Field(pattern=RUN_ID_PATTERN)]
EndpointRef = Annotated[str, Field(pattern=ENDPOINT_REF_PATTERN, description='"METHOD /path"')]
Timestamp = Annotated[datetime, Field(description="UTC, ISO 8601")]


class Contract(BaseModel):
    """Base of every wire and disk contract: unknown keys are errors, values are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Versioned(Contract):
    """A document stored on disk or sent whole: it carries its schema version."""

    schema_version: Literal[1] = 1
