"""Pydantic models that are the wire and disk contracts; schemas/ is generated from them.

Every name below is imported on first use (PEP 562): importing one contract module (e.g.
`contracts.registry`) runs this package's initialisation, which must not build every model of every
contract (that is most of the start-up time of `backend-orchestrator scan`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

    SCHEMA_MODELS: dict[str, type[BaseModel]]

# schema file stem -> (module, model). `backend-orchestrator schemas` writes schemas/<stem>.schema.json.
SCHEMA_LOCATIONS: dict[str, tuple[str, str]] = {
    "assignment": ("assignment", "Assignment"),
    "backend-api-ready": ("event", "BackendApiReady"),
    "config": ("config", "ProjectConfig"),
    "context-package": ("context", "ContextPackage"),
    "endpoints": ("registry", "EndpointRegistry"),
    "event": ("event", "Event"),
    "frontend-api-request": ("event", "FrontendApiRequest"),
    "models": ("registry", "ModelRegistry"),
    "services": ("registry", "ServiceRegistry"),
    "skill-manifest": ("skill", "SkillManifest"),
    "task": ("task", "Task"),
    "validation-report": ("report", "ValidationReport"),
}


def schema_model(stem: str) -> type[BaseModel]:
    """The model of ``schemas/<stem>.schema.json``, importing its module only."""
    module, name = SCHEMA_LOCATIONS[stem]
    model: type[BaseModel] = getattr(importlib.import_module(f".{module}", __name__), name)
    return model


_WHERE: dict[str, str] = {  # name -> the module that defines it
    "Assignment": "assignment",
    "ChecklistItem": "assignment",
    "RoutingScore": "assignment",
    "SuccessCriteria": "assignment",
    "HTTP_METHODS": "common",
    "PRIORITIES": "common",
    "SCHEMA_VERSION": "common",
    "SEVERITIES": "common",
    "STATUSES": "common",
    "TASK_KINDS": "common",
    "ProjectConfig": "config",
    "Thresholds": "config",
    "Timeouts": "config",
    "Budget": "context",
    "ContextPackage": "context",
    "DatabaseSection": "context",
    "EndpointsSection": "context",
    "SourceFile": "context",
    "StandardClause": "context",
    "TaskBrief": "context",
    "TestRequirements": "context",
    "BackendApiReady": "event",
    "Event": "event",
    "FrontendApiRequest": "event",
    "Column": "registry",
    "Drift": "registry",
    "Endpoint": "registry",
    "EndpointRegistry": "registry",
    "Index": "registry",
    "LiveDatabase": "registry",
    "LiveTable": "registry",
    "Migrations": "registry",
    "Model": "registry",
    "ModelRegistry": "registry",
    "Relation": "registry",
    "Resolved": "registry",
    "Service": "registry",
    "ServiceRegistry": "registry",
    "Unresolved": "registry",
    "Finding": "report",
    "GateResult": "report",
    "RunProgress": "report",
    "RunStatus": "report",
    "ValidationReport": "report",
    "Routing": "skill",
    "SkillManifest": "skill",
    "AssignmentSummary": "task",
    "StatusChange": "task",
    "Task": "task",
    "UnknownReferences": "task",
    "ValidationSummary": "task",
}


def __getattr__(name: str) -> Any:
    if name == "SCHEMA_MODELS":  # schema file stem -> model
        value: Any = {stem: schema_model(stem) for stem in SCHEMA_LOCATIONS}
    elif name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


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
