"""The four steps and monitoring. The MCP server and the CLI both call these functions."""

from .assign import assign_skill
from .prepare import prepare_context
from .receive import receive_task
from .registry import query_registry, scan_project
from .tasks import get_task, list_tasks, update_task
from .validate import validate_results

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
