"""Monitoring: get, list and update tasks."""

from __future__ import annotations

from ..contracts.common import STATUSES, TASK_KINDS
from ..contracts.task import StatusChange, Task, TaskView
from ..contracts.tools import TaskPage, TaskSummary
from ..errors import InvalidArgument, invalid_choice
from ..state import Project
from .lifecycle import release_dependents, transition, unfinished_dependencies
from .paging import paginate


def get_task(project: Project, task_id: str) -> TaskView:
    """The task, and whether the project's files changed since its latest validation (``stale``)."""
    task = project.store.load_task(task_id, copy=False)
    if task.status == "validating":  # is a run still going on somewhere? a dead one is marked error now
        from .validate import recover

        if recover(project):
            task = project.store.load_task(task_id, copy=False)
    view = TaskView.model_construct(**dict(task))
    validation = task.validation
    if validation is not None and validation.tree_hash:
        from .treehash import content_hash

        view.stale = content_hash(project.root) != validation.tree_hash
        view.stale_reason = (f"the project's files changed since run {validation.run_id} validated them: "
                             "its verdict no longer describes them; validate again" if view.stale else "")
    return view


def list_tasks(project: Project, status: str | None = None, kind: str | None = None,
               cursor: str | None = None, limit: int = 50) -> TaskPage:
    if status is not None and status not in STATUSES:
        raise invalid_choice("status", status, STATUSES)
    if kind is not None and kind not in TASK_KINDS:
        raise invalid_choice("kind", kind, TASK_KINDS)
    paginate([], cursor, limit)  # check the paging arguments before reading anything
    rows = []
    for task_id in project.store.task_ids():
        task = project.store.load_task(task_id, copy=False)
        if (status is None or task.status == status) and (kind is None or task.kind == kind):
            rows.append(TaskSummary(id=task.id, title=task.title, kind=task.kind, status=task.status,
                                    priority=task.priority, depends_on=task.depends_on,
                                    updated_at=task.updated_at.isoformat().replace("+00:00", "Z")))
    page, nxt = paginate(rows, cursor, limit)
    return TaskPage(tasks=page, total=len(rows), next_cursor=nxt)


def update_task(project: Project, task_id: str, status: str | None = None, note: str | None = None) -> Task:
    """Change a task's status along the state machine and/or add a note to its history."""
    if status is None and not (note and note.strip()):
        raise InvalidArgument("nothing to update: give a status, a note, or both")
    store = project.store
    with store.locked():
        task = store.load_task(task_id)
        if status is None:
            now = project.clock()
            task.history.append(StatusChange(time=now, from_status=task.status, to_status=task.status,
                                             note=note.strip() if note else ""))
            task.updated_at = now
        else:
            if status in ("done", "failed", "validating"):
                raise InvalidArgument(
                    f"status {status!r} is set by validate_results, not by hand: run validate_results "
                    f"on {task.id} to measure the work"
                )
            if task.status == "blocked" and status != "cancelled":
                waiting = unfinished_dependencies(project, task)
                if waiting:
                    raise InvalidArgument(
                        f"{task.id} is blocked by {', '.join(waiting)}, which are not done; "
                        "it unblocks by itself when they are"
                    )
                task.blocked_by = []
            transition(project, task, status, note=(note or "").strip())
        store.save_task(task)
    return task


def finish(project: Project, task: Task) -> list[str]:
    """After a task reached ``done``: release the tasks waiting on it (lock held by the caller)."""
    return release_dependents(project, task.id) if task.status == "done" else []
