"""An assignment: the bundle a sub-skill receives."""

from __future__ import annotations

from pydantic import Field

from .common import Contract, TaskId, Versioned
from .context import ContextPackage


class RoutingScore(Contract):
    skill: str
    score: float
    reasons: list[str] = Field(default_factory=list)


class ChecklistItem(Contract):
    id: str
    text: str


class SuccessCriteria(Contract):
    gates: list[str]
    thresholds: dict[str, float]
    checklist: list[ChecklistItem] = Field(default_factory=list)


class Assignment(Versioned):
    task_id: TaskId
    skill: str
    explicit: bool = Field(False, description="the caller named the skill")
    why: list[RoutingScore] = Field(description="routing scores, best first")
    instructions: str = Field(description="the skill's SKILL.md body")
    allowed_tools: list[str]
    context: ContextPackage
    success_criteria: SuccessCriteria
