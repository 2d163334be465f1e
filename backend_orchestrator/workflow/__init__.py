"""The four steps and monitoring. The MCP server and the CLI both call these functions.

The functions are imported on first use (PEP 562): `from backend_orchestrator.workflow import scan_project`
loads the registry module only, not the validation pipeline, the gates or the context builder, so that a
command pays for what it runs (`backend-orchestrator scan` starts in a fraction of the time).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assign import assign_skill
    from .prepare import prepare_context
    from .receive import receive_task
    from .registry import query_registry, scan_project
    from .tasks import get_task, list_tasks, update_task
    from .validate import validate_results

_WHERE = {
    "assign_skill": "assign",
    "get_task": "tasks",
    "list_tasks": "tasks",
    "prepare_context": "prepare",
    "query_registry": "registry",
    "receive_task": "receive",
    "scan_project": "registry",
    "update_task": "tasks",
    "validate_results": "validate",
}

__all__ = [
    "assign_skill",
    "get_task",
    "list_tasks",
    "prepare_context",
    "query_registry",
    "receive_task",
    "scan_project",
    "update_task",
    "validate_results",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:  # a submodule (`from backend_orchestrator.workflow import runs`) is imported by Python
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
