"""Registries derived from the target's code: endpoints, models, services."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Contract, Versioned

DiscoveryMode = Literal["static", "dynamic"]


class Unresolved(Contract):
    """Something discovery saw but could not resolve; recorded, never guessed."""

    file: str
    line: int
    reason: str


class Endpoint(Contract):
    method: str = Field(pattern=r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$")
    path: str = Field(pattern=r"^/")
    version: str | None = Field(None, description="API version segment such as 'v1', if the path has one")
    summary: str = ""
    handler: str = Field(description="module:function")
    file: str
    line: int
    auth: list[str] = Field(default_factory=list, description="names of the dependencies that authenticate")
    request_model: str | None = None
    response_model: str | None = None
    status_codes: list[int] = Field(default_factory=list)
    path_params: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    hidden: bool = False

    @property
    def ref(self) -> str:
        return f"{self.method} {self.path}"


class EndpointRegistry(Versioned):
    framework: str = "fastapi"
    mode: DiscoveryMode = "static"
    endpoints: list[Endpoint] = Field(default_factory=list)
    unresolved: list[Unresolved] = Field(default_factory=list)


class Column(Contract):
    name: str
    type: str
    nullable: bool = True
    primary_key: bool = False
    foreign_key: str | None = Field(None, description="table.column it references")
    unique: bool = False
    index: bool = False


class Index(Contract):
    name: str
    columns: list[str]
    unique: bool = False


class Relation(Contract):
    name: str
    target: str = Field(description="the related model class")
    back_populates: str | None = None
    uselist: bool | None = None


class Model(Contract):
    name: str
    table: str
    file: str
    line: int
    columns: list[Column] = Field(default_factory=list)
    indexes: list[Index] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)


class Migrations(Contract):
    tool: Literal["alembic", "none"] = "none"
    directory: str | None = None
    head: str | None = None
    heads: list[str] = Field(default_factory=list)
    revisions: int = 0


class ModelRegistry(Versioned):
    models: list[Model] = Field(default_factory=list)
    migrations: Migrations = Field(default_factory=Migrations)
    unresolved: list[Unresolved] = Field(default_factory=list)


ServiceKind = Literal[
    "http-client", "queue", "cache", "email", "payment", "storage", "db", "search", "other",
]


class Service(Contract):
    name: str
    kind: ServiceKind
    module: str
    file: str
    config_keys: list[str] = Field(default_factory=list, description="settings/env names it reads; never values")
    used_by: list[str] = Field(default_factory=list, description="modules that import it")


class ServiceRegistry(Versioned):
    services: list[Service] = Field(default_factory=list)
    unresolved: list[Unresolved] = Field(default_factory=list)
