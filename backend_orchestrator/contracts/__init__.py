"""Pydantic models that are the wire and disk contracts; schemas/ is generated from them."""

from __future__ import annotations

from pydantic import BaseModel

from .assignment import Assignment, ChecklistItem, RoutingScore, SuccessCriteria
from .common import (
    HTTP_METHODS,
    PRIORITIES,
    SCHEMA_VERSION,
    SEVERITIES,
    STATUSES,
    TASK_KINDS,
)
from .config import ProjectConfig, Thresholds, Timeouts
from .context import (
    Budget,
    ContextPackage,
    DatabaseSection,
    EndpointsSection,
    SourceFile,
    StandardClause,
    TaskBrief,
    TestRequirements,
)
from .event import BackendApiReady, Event, FrontendApiRequest
from .registry import (
    Column,
    Drift,
    Endpoint,
    EndpointRegistry,
    Index,
    LiveDatabase,
    LiveTable,
    Migrations,
    Model,
    ModelRegistry,
    Relation,
    Resolved,
    Service,
    ServiceRegistry,
    Unresolved,
)
from .report import Finding, GateResult, RunProgress, RunStatus, ValidationReport
from .skill import Routing, SkillManifest
from .task import AssignmentSummary, StatusChange, Task, UnknownReferences, ValidationSummary

# schema file stem -> model. `backend-orchestrator schemas` writes schemas/<stem>.schema.json.
SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "assignment": Assignment,
    "backend-api-ready": BackendApiReady,
    "config": ProjectConfig,
    "context-package": ContextPackage,
    "endpoints": EndpointRegistry,
    "event": Event,
    "frontend-api-request": FrontendApiRequest,
    "models": ModelRegistry,
    "services": ServiceRegistry,
    "skill-manifest": SkillManifest,
    "task": Task,
    "validation-report": ValidationReport,
}

__all__ = [
    "Assignment",
    "AssignmentSummary",
    "BackendApiReady",
    "Budget",
    "ChecklistItem",
    "Column",
    "ContextPackage",
    "DatabaseSection",
    "Drift",
    "Endpoint",
    "EndpointRegistry",
    "EndpointsSection",
    "Event",
    "Finding",
    "FrontendApiRequest",
    "GateResult",
    "HTTP_METHODS",
    "Index",
    "LiveDatabase",
    "LiveTable",
    "Migrations",
    "Model",
    "ModelRegistry",
    "PRIORITIES",
    "ProjectConfig",
    "Relation",
    "Resolved",
    "Routing",
    "RoutingScore",
    "RunProgress",
    "RunStatus",
    "SCHEMA_MODELS",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "STATUSES",
    "Service",
    "ServiceRegistry",
    "SkillManifest",
    "SourceFile",
    "StandardClause",
    "StatusChange",
    "SuccessCriteria",
    "TASK_KINDS",
    "Task",
    "TaskBrief",
    "TestRequirements",
    "Thresholds",
    "Timeouts",
    "UnknownReferences",
    "Unresolved",
    "ValidationReport",
    "ValidationSummary",
]
