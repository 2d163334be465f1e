"""The project's configuration: [tool.backend-orchestrator] in pyproject.toml."""

from __future__ import annotations

from pydantic import Field

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


class LoadProfile(Contract):
    """The performance gate's load: locust users against the app on 127.0.0.1."""

    users: int = Field(10, ge=1, le=200, description="concurrent users (also the spawn rate)")
    seconds: int = Field(15, ge=1, le=600, description="how long the load runs")
    startup_s: int = Field(30, ge=1, le=300, description="how long the app may take to listen")


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
