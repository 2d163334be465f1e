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


class Resolved(Contract):
    """A value discovery computed rather than read as a literal where it is used, and where it came from.

    A prefix or path built from settings defaults, module constants, environment defaults and string
    operations; the condition that chose an `if`/`else` branch of includes; a table name a
    `declared_attr` derives. `file`/`line` are where the value is used, `sources` where it is written.
    """

    file: str
    line: int
    expression: str = Field(description="the expression as written, e.g. settings.API_V1_STR")
    value: str | bool | int | float | None = Field(description="what it resolves to with the defaults")
    sources: list[str] = Field(
        default_factory=list, description="file:line of each definition the value was read from"
    )
    detail: str = Field("", description="how: a class default, an environment default (which may override), ...")


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


DriftKind = Literal["hidden", "undocumented", "not-in-code", "gone", "not-in-database", "not-in-models"]


class Drift(Contract):
    """A difference between the code, the OpenAPI document, the live database and the previous registry.

    hidden: in code, left out of the OpenAPI document on purpose (include_in_schema=False);
    undocumented: in code, missing from the OpenAPI document for another reason;
    not-in-code: in the OpenAPI document, not found in the code;
    gone: in the previous registry, but its handler file or function no longer exists;
    not-in-database: a model's table or column that the live database lacks (migrations not applied?);
    not-in-models: a table or column of the live database that no model declares.
    """

    kind: DriftKind
    ref: str = Field(description="'METHOD /path', 'model Name' or 'table name'")
    detail: str = ""


class EndpointRegistry(Versioned):
    framework: Literal["fastapi", "flask", "django", "unknown"] = "fastapi"
    mode: DiscoveryMode = "static"
    mode_reason: str = Field("", description="why this mode was used (e.g. why the app did not import)")
    openapi: str | None = Field(None, description="the recorded OpenAPI document, relative to the project root")
    endpoints: list[Endpoint] = Field(default_factory=list)
    unresolved: list[Unresolved] = Field(default_factory=list)
    resolved: list[Resolved] = Field(
        default_factory=list, description="prefixes, paths and branch conditions computed from the code"
    )
    drift: list[Drift] = Field(default_factory=list)


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


class LiveTable(Contract):
    """A table as the live database reports it (SQLAlchemy inspector)."""

    name: str
    columns: list[Column] = Field(default_factory=list)
    indexes: list[Index] = Field(default_factory=list, description="indexes and unique constraints")


class LiveDatabase(Contract):
    """The configured database, introspected read-only. Never holds a password."""

    url: str = Field(description="database_url with the password masked ('user:***@')")
    status: Literal["read", "missing", "error"] = Field(
        description="read: introspected; missing: an SQLite file not created yet; error: see `error`")
    dialect: str | None = None
    tables: list[LiveTable] = Field(default_factory=list)
    error: str | None = None


class ModelRegistry(Versioned):
    models: list[Model] = Field(default_factory=list)
    migrations: Migrations = Field(default_factory=Migrations)
    database: LiveDatabase | None = Field(None, description="the live database, when database_url is configured")
    unresolved: list[Unresolved] = Field(default_factory=list)
    resolved: list[Resolved] = Field(
        default_factory=list, description="table names computed from the code (declared_attr)"
    )
    drift: list[Drift] = Field(default_factory=list, description="models vs the live database")


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
