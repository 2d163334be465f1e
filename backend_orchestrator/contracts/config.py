"""The project's configuration: [tool.backend-orchestrator] in pyproject.toml."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from .common import Contract


class Thresholds(Contract):
    """The mission's success metrics; a gate fails when a measurement crosses one."""

    api_p95_ms: float = Field(200.0, gt=0, description="API latency p95 must stay below this")
    db_query_ms: float = Field(50.0, gt=0, description="DB statement p95 must stay below this")
    coverage_percent: float = Field(80.0, ge=0, le=100, description="line coverage must exceed this")
    error_rate_percent: float = Field(0.1, ge=0, le=100, description="error rate must stay below this")
    max_high_findings: int = Field(0, ge=0, description="high/critical security findings allowed")


class Timeouts(Contract):
    tests_s: float = Field(600.0, gt=0)
    gate_s: float = Field(300.0, gt=0)
    discovery_s: float = Field(30.0, gt=0, description="importing the app (dynamic scan) or reading the database")


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
SEED = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class LoadRequest(Contract):
    """One request the load profile sends besides the safe GETs: parameters, a body, credentials."""

    method: HttpMethod = Field(description="HTTP method")
    path: str = Field(pattern=r"^/", description="path; {name} placeholders take values the seed returned, "
                                                 "e.g. '/api/v1/orders/{order_id}'")
    name: str | None = Field(None, min_length=1, max_length=200,
                             description="the name its stats are reported under; default 'METHOD path'")
    body: Any = Field(None, alias="json", description="a JSON body to send")
    auth: bool = Field(False, description="send the headers the seed returned (credentials)")
    weight: int = Field(1, ge=1, le=100, description="relative share of the requests")

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("path", mode="before")
    @classmethod
    def _absolute(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.startswith("/"):
            raise ValueError(f"path {value!r} must start with '/', e.g. '/api/v1/orders/{{order_id}}'")
        return value

    @field_validator("path")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        if value.count("{") != value.count("}") or len(PLACEHOLDER.findall(value)) != value.count("{"):
            raise ValueError(f"path {value!r} has unbalanced braces; placeholders look like {{order_id}}")
        for name in PLACEHOLDER.findall(value):
            if not name.isidentifier():
                raise ValueError(f"path {value!r} has the placeholder {{{name}}}; "
                                 "a placeholder name is an identifier, e.g. {order_id}")
        return value

    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.path)


class LoadProfile(Contract):
    """The performance gate's load: locust users against the app on 127.0.0.1."""

    users: int = Field(10, ge=1, le=200, description="concurrent users (also the spawn rate)")
    seconds: int = Field(15, ge=1, le=600, description="how long the load runs")
    startup_s: int = Field(30, ge=1, le=300, description="how long the app may take to listen")
    requests: list[LoadRequest] = Field(
        default_factory=list, description="requests with parameters, bodies or credentials, loaded besides "
                                          "the safe GETs (see the performance gate for the selection rule)")


class ServeConfig(Contract):
    """How the runtime gates serve the app: its interface and an optional seed step."""

    interface: Literal["auto", "asgi", "wsgi"] = Field(
        "auto", description="auto: decided in the target process (an async __call__ is ASGI, a callable "
                            "taking (environ, start_response) is WSGI, as Flask and Django apps are)")
    seed: str | None = Field(
        None, pattern=SEED.pattern,
        description="'module:function' in the target's code, run on the scratch database before the server "
                    "starts; it may return {'headers': {...}, 'values': {...}}: headers go with requests "
                    "marked auth, values fill {placeholders} in request paths")
    seed_timeout_s: int = Field(120, ge=1, le=1800, description="how long the seed may take")

    @field_validator("seed", mode="before")
    @classmethod
    def _function_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not SEED.fullmatch(value):
            raise ValueError(f"seed {value!r} is not 'module:function' (e.g. 'shop.seed:seed'): it names a "
                             "function in the project's code, never a command")
        return value


ContractCheck = Literal[
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "ignored_auth", "negative_data_rejection", "positive_data_acceptance", "response_headers_conformance",
    "missing_required_header", "unsupported_method", "allow_header_conformance", "use_after_free",
    "ensure_resource_availability",
]
ContractPhase = Literal["examples", "coverage", "fuzzing", "stateful"]
DEFAULT_CHECKS: tuple[ContractCheck, ...] = (
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance",
    "ignored_auth",
)
ALL_PHASES: tuple[ContractPhase, ...] = ("examples", "coverage", "fuzzing", "stateful")


class ContractTestsConfig(Contract):
    """The contract-tests gate: schemathesis against the served app, bounded in examples and time."""

    max_examples: int = Field(10, ge=1, le=1000, description="test cases per operation and phase")
    seconds: int = Field(120, ge=5, le=3600, description="wall-clock bound of the schemathesis run")
    checks: list[ContractCheck] = Field(default_factory=lambda: list(DEFAULT_CHECKS), min_length=1,
                                        description="schemathesis checks to run on every response")
    phases: list[ContractPhase] = Field(
        default_factory=lambda: list(ALL_PHASES), min_length=1,
        description="schemathesis phases; stateful follows the document's links with the data it created")
    seed: int | None = Field(None, description="a fixed seed repeats a run's test cases")


class VerdictConfig(Contract):
    """How a validation run's verdict is reached (the verdict policy: gates/policy.py)."""

    scope: Literal["change", "project"] = Field(
        "change", description="change: a task (or a run with --baseline) is judged on what its change brought, "
                              "existing debt is reported but does not block; project: every finding counts")
    coverage_drop_percent: float = Field(
        0.5, ge=0, le=100, description="in change scope, total coverage may fall this many points below the "
                                       "base's before the change is blamed (the threshold still applies to "
                                       "projects that meet it)")
    compare_base: bool = Field(
        False, description="in change scope, also load the base tree in the performance gate and report each "
                           "endpoint's p95 at the base and now (validate --compare-base)")


class ProjectConfig(Contract):
    app: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$",
                            description="import path of the ASGI/WSGI app or of its factory, e.g. 'shop.main:app'")
    django_settings: str | None = Field(None, pattern=r"^[\w.]+$",
                                        description="Django settings module; default: read from manage.py")
    source: list[str] = Field(default_factory=list, description="packages or folders holding the backend code")
    tests: str = Field("tests", description="folder with the pytest suite")
    python: str | None = Field(None, description="the target's interpreter; default: .venv, venv, or ours")
    database_url: str | None = None
    alembic_config: str | None = Field(None, description="alembic.ini, relative to the project root")
    token_budget: int = Field(4000, ge=200, le=200_000)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    gates: dict[str, list[str]] = Field(
        default_factory=dict, description="task kind -> gate ids, overriding the skill's manifest"
    )
    load: LoadProfile = Field(default_factory=LoadProfile)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    database_env: str | None = Field(
        None, pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="the environment variable the app reads its database URL from (e.g. SHOP_DATABASE_URL); "
                    "the performance gate points it at a migrated scratch copy",
    )
    scratch_database_url: str | None = Field(
        None, description="an empty database the database gate may migrate when the real one is not SQLite",
    )
    auth_dependencies: list[str] = Field(
        default_factory=list, description="extra callable names that authenticate a request"
    )
    contract_tests: ContractTestsConfig = Field(default_factory=ContractTestsConfig)
    verdict: VerdictConfig = Field(default_factory=VerdictConfig)
