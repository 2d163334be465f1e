"""Events shared with other orchestrators through ai-state/events.jsonl."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .common import Contract, EndpointRef, Priority, TaskId, Timestamp, Versioned

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"


class Event(Versioned):
    id: str = Field(pattern=r"^evt-[0-9a-z]{6,40}$")
    type: str = Field(pattern=EVENT_TYPE_PATTERN)
    time: Timestamp
    source: str = Field(min_length=1)
    payload: dict[str, Any] = Field(default_factory=dict)


class FrontendApiRequest(Contract):
    """Payload of ``frontend.api.request``: another orchestrator needs an endpoint."""

    endpoint: EndpointRef
    description: str = Field(min_length=1)
    request_fields: dict[str, str] = Field(default_factory=dict, description="field -> type")
    response_fields: dict[str, str] = Field(default_factory=dict, description="field -> type")
    requested_by: str | None = None
    priority: Priority = "medium"


class BackendApiReady(Contract):
    """Payload of ``backend.api.ready``: endpoints are implemented and validated."""

    task_id: TaskId
    endpoints: list[EndpointRef]
    run_id: str
    report_path: str
    commit: str | None = None
    openapi_path: str | None = None
