"""The context package handed to a sub-skill: what it needs for the task, within a budget."""

from __future__ import annotations

from pydantic import Field

from .common import Contract, TaskId, TaskKind, Versioned
from .registry import Endpoint, Migrations, Model, Service


class TaskBrief(Contract):
    title: str
    kind: TaskKind
    requirements: list[str]
    endpoints: list[str]
    models: list[str]


class EndpointsSection(Contract):
    relevant: list[Endpoint] = Field(default_factory=list, description="full entries, most relevant first")
    related: list[str] = Field(default_factory=list,
                               description="one line per endpoint near the task (same resource, linked tables)")
    existing: list[str] = Field(default_factory=list,
                                description="the rest of the API, one line per resource, closest first")
    patterns: list[str] = Field(default_factory=list, description="conventions detected in the API")


class DatabaseSection(Contract):
    tables: list[Model] = Field(default_factory=list, description="schema of the relevant tables")
    neighbours: list[str] = Field(default_factory=list,
                                  description="one line per table two hops away: columns, keys, indexes")
    other_tables: list[str] = Field(default_factory=list)
    migrations: Migrations = Field(default_factory=Migrations)


class StandardClause(Contract):
    id: str
    section: str
    text: str
    source: str


class TestRequirements(Contract):
    functional: list[str] = Field(default_factory=list)
    unit: list[str] = Field(default_factory=list)
    integration: list[str] = Field(default_factory=list)
    api: list[str] = Field(default_factory=list)
    load: list[str] = Field(default_factory=list)
    security: list[str] = Field(default_factory=list)
    contract: list[str] = Field(default_factory=list)


class SourceFile(Contract):
    path: str
    reason: str
    outline: list[str] = Field(default_factory=list, description="symbol outline, no bodies, no values")


class Budget(Contract):
    limit_tokens: int = Field(ge=1)
    used_tokens: int = Field(ge=0, description="the project's token estimate of this package's compact JSON")
    estimate: str = Field("", description="how used_tokens is estimated")
    omitted: list[str] = Field(default_factory=list, description="items left out to fit the budget, best first")
    more: list[str] = Field(default_factory=list, description="how to ask for what was left out")


class Redaction(Contract):
    """Where a secret-looking value was withheld (the name, never the value)."""

    path: str
    line: int
    name: str


class ContextPackage(Versioned):
    task_id: TaskId
    task: TaskBrief
    endpoints: EndpointsSection
    database: DatabaseSection
    services: list[Service] = Field(default_factory=list)
    standards: list[StandardClause] = Field(default_factory=list)
    test_requirements: TestRequirements
    source: list[SourceFile] = Field(default_factory=list)
    relevance: list[str] = Field(default_factory=list,
                                 description="why each non-named item is in: 'item: reason (hops)', best first")
    budget: Budget
    redactions: int = Field(0, ge=0, description="secret values withheld from the package")
    redacted: list[Redaction] = Field(default_factory=list, description="where they were withheld")
