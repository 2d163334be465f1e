"""Results of `scan` and of registry queries: apart from the other tool results (`tools.py`, which re-exports
them), so that a static scan does not load the task, context and event contracts."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .common import Contract


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
