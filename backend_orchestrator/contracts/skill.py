"""A sub-skill's manifest.yaml: tools, gates, standards and routing hints."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Contract, TaskKind


class Routing(Contract):
    kinds: list[TaskKind]
    keywords: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)


class SkillManifest(Contract):
    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)
    kind: TaskKind
    summary: str
    tools: list[str]
    gates: list[str]
    standards: list[str]
    checklist: list[str]
    routing: Routing
