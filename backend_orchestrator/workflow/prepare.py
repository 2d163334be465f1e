"""Step 2: prepare a schema-valid context package for a task."""

from __future__ import annotations

from ..contracts.context import ContextPackage
from ..contracts.task import Task
from ..contracts.tools import ContextResult
from ..errors import InvalidArgument
from ..skills import Skill, all_skills, get_skill
from ..state import Project
from ..state.paths import relative
from .lifecycle import require_ready, transition
from .registry import load_registries

MIN_BUDGET, MAX_BUDGET = 200, 200_000
MAX_INCLUDE = 50


def skill_for_kind(kind: str) -> Skill:
    """The sub-skill that serves ``kind`` by default (its manifest's ``kind``)."""
    for skill in all_skills().values():
        if skill.manifest.kind == kind:
            return skill
    raise RuntimeError(f"no sub-skill serves task kind {kind!r}: skills/ is incomplete")  # pragma: no cover


def build_context(project: Project, task: Task, token_budget: int | None, skill: Skill | None = None,
                  include: list[str] | None = None) -> ContextPackage:
    from ..context import build_package

    budget = project.config.token_budget if token_budget is None else token_budget
    if not isinstance(budget, int) or not MIN_BUDGET <= budget <= MAX_BUDGET:
        raise InvalidArgument(f"token_budget {token_budget!r} is out of range; use {MIN_BUDGET}..{MAX_BUDGET}")
    if include is not None and (len(include) > MAX_INCLUDE or not all(isinstance(i, str) and i for i in include)):
        raise InvalidArgument(f"include must be a list of at most {MAX_INCLUDE} non-empty item names, got {include!r}")
    registries, _ = load_registries(project, copy=False)  # read-only here: skip the defensive deep copy
    skill = skill or skill_for_kind(task.kind)
    return build_package(
        project.root, task, registries.endpoints, registries.models, registries.services,
        standards=skill.manifest.standards, checklist=skill.manifest.checklist, budget=budget,
        tests_dir=project.config.tests, include=include,
    )


def prepare_context(project: Project, task_id: str, token_budget: int | None = None,
                    include: list[str] | None = None) -> ContextResult:
    store = project.store
    task = store.load_task(task_id)
    require_ready(project, task, "prepare_context")
    skill = get_skill(task.assignment.skill) if task.assignment else None
    package = build_context(project, task, token_budget, skill, include)
    with store.locked():
        task = store.load_task(task_id)
        require_ready(project, task, "prepare_context")
        path = store.artifacts(task.id, "context.json")
        changed = store.write_json_if_changed(path, "context-package", package.model_dump(mode="json"))
        context_path = relative(project.root, path)
        if changed or task.context_path != context_path or task.status == "received":
            task.context_path = context_path
            if task.status in ("received", "context_ready"):
                transition(project, task, "context_ready",
                           note=f"context package: {package.budget.used_tokens}/{package.budget.limit_tokens} tokens")
            store.save_task(task)
    return ContextResult(task_id=task.id, status=task.status, path=task.context_path,
                         package=package)
