"""The task status machine (DESIGN.md §4) and the moves every step makes through it.

    received → context_ready → assigned → in_progress → validating → done | failed
    failed → in_progress            any non-final → blocked | cancelled
    blocked → the status it was blocked from (or received), once its dependencies are done
"""

from __future__ import annotations

from ..contracts.common import STATUSES
from ..contracts.task import StatusChange, Task
from ..errors import DependencyError, InvalidTransition, invalid_choice
from ..state import Project

FINAL = frozenset({"done", "cancelled"})
_FORWARD: dict[str, set[str]] = {
    "received": {"context_ready"},
    # context can be prepared again (a new budget, a changed registry) without losing the status
    "context_ready": {"context_ready", "assigned"},
    "assigned": {"context_ready", "assigned", "in_progress"},
    "in_progress": {"validating"},
    "validating": {"done", "failed", "in_progress"},
    "failed": {"in_progress"},
    "blocked": {"received", "context_ready", "assigned", "in_progress"},
    "done": set(),
    "cancelled": set(),
}


def allowed(status: str) -> list[str]:
    nxt = set(_FORWARD[status])
    if status not in FINAL:
        nxt |= {"blocked", "cancelled"}
    if status == "blocked":
        nxt.discard("blocked")
    return sorted(nxt, key=STATUSES.index)


def transition(project: Project, task: Task, to: str, note: str = "") -> None:
    """Move ``task`` to ``to`` (in memory), recording it in the history; the caller saves."""
    if to not in STATUSES:
        raise invalid_choice("status", to, STATUSES)
    if to not in allowed(task.status):
        options = allowed(task.status)
        raise InvalidTransition(
            f"cannot move {task.id} from {task.status!r} to {to!r}; "
            + (f"allowed from {task.status!r}: {', '.join(options)}" if options
               else f"{task.status!r} is final")
        )
    now = project.clock()
    task.history.append(StatusChange(time=now, from_status=task.status, to_status=to, note=note))
    task.status = to  # type: ignore[assignment]  # checked against STATUSES above
    task.updated_at = now


def unfinished_dependencies(project: Project, task: Task) -> list[str]:
    return [dep for dep in task.depends_on if project.store.load_task(dep).status != "done"]


def require_ready(project: Project, task: Task, step: str) -> None:
    """Refuse to run ``step`` on a task that is final or waiting for its dependencies."""
    if task.status in FINAL:
        raise InvalidTransition(f"{task.id} is {task.status!r}, which is final; {step} needs an open task")
    if task.status == "blocked":
        waiting = unfinished_dependencies(project, task)
        detail = (f"it waits for {', '.join(waiting)} to be done" if waiting
                  else "unblock it first with update_task(status='received')")
        raise DependencyError(f"{task.id} is blocked: {detail}; {step} cannot run on a blocked task")


def status_before_block(task: Task) -> str:
    for change in reversed(task.history):
        if change.to_status == "blocked" and change.from_status and change.from_status != "blocked":
            return change.from_status
    return "received"


def release_dependents(project: Project, done_id: str) -> list[str]:
    """Unblock tasks that waited only on finished dependencies; call while holding the lock."""
    released = []
    for task_id in project.store.task_ids():
        task = project.store.load_task(task_id)
        if task.status != "blocked" or done_id not in task.blocked_by:
            continue
        task.blocked_by = unfinished_dependencies(project, task)
        if not task.blocked_by:
            transition(project, task, status_before_block(task), note=f"dependency {done_id} is done")
            released.append(task.id)
        project.store.save_task(task)
    return released
