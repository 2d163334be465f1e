"""Step 3: route a task to a sub-skill and hand over the bundle."""

from __future__ import annotations

import re

from ..contracts.assignment import Assignment, ChecklistItem, RoutingScore, SuccessCriteria
from ..contracts.task import AssignmentSummary, Task
from ..docs import clauses
from ..skills import Skill, all_skills, get_skill
from ..state import Project
from ..state.paths import relative
from .lifecycle import require_ready, transition
from .prepare import build_context, skill_for_kind

KIND_WEIGHT = 10.0
KEYWORD_WEIGHT = 1.0
PATH_WEIGHT = 0.5


def route(task: Task, skills: dict[str, Skill], files: list[str]) -> list[RoutingScore]:
    """Score every skill for ``task``: its kind, its keywords in the text, its paths in the files."""
    text = " ".join([task.title, task.description, *task.requirements]).lower()
    scores = []
    for skill in skills.values():
        hints = skill.manifest.routing
        score, reasons = 0.0, []
        if task.kind in hints.kinds:
            score += KIND_WEIGHT
            reasons.append(f"serves kind {task.kind!r}")
        words = [w for w in hints.keywords if re.search(rf"(?<![a-z0-9]){re.escape(w.lower())}", text)]
        if words:
            score += KEYWORD_WEIGHT * len(words)
            reasons.append("keywords: " + ", ".join(words))
        paths = sorted({p for p in hints.paths for f in files if p in f})
        if paths:
            score += PATH_WEIGHT * len(paths)
            reasons.append("touches " + ", ".join(paths))
        scores.append(RoutingScore(skill=skill.name, score=score, reasons=reasons))
    return sorted(scores, key=lambda s: (-s.score, s.skill))


def gates_for(project: Project, task: Task, skill: Skill) -> list[str]:
    from ..gates import gate_ids

    configured = project.config.gates.get(task.kind)
    wanted = configured if configured is not None else skill.manifest.gates
    known = set(gate_ids())
    return [g for g in wanted if g in known]


def assign_skill(project: Project, task_id: str, skill: str | None = None) -> Assignment:
    store = project.store
    chosen_explicitly = skill is not None
    if skill is not None:
        get_skill(skill)  # unknown names fail here, before anything is read or written
    task = store.load_task(task_id)
    require_ready(project, task, "assign_skill")
    skills = all_skills()
    package = build_context(project, task, None, get_skill(skill) if skill else None)
    files = [e.file for e in package.endpoints.relevant] + [s.path for s in package.source]
    scores = route(task, skills, files)
    name = skill or scores[0].skill
    chosen = get_skill(name)
    if not chosen_explicitly and chosen.name != skill_for_kind(task.kind).name:
        package = build_context(project, task, None, chosen)  # the standards follow the routed skill
    known = clauses()
    thresholds = project.config.thresholds.model_dump()
    assignment = Assignment(
        task_id=task.id, skill=name, explicit=chosen_explicitly, why=scores, instructions=chosen.body,
        allowed_tools=chosen.manifest.tools, context=package,
        success_criteria=SuccessCriteria(
            gates=gates_for(project, task, chosen),
            thresholds={k: float(v) for k, v in thresholds.items()},
            checklist=[ChecklistItem(id=i, text=known[i].text) for i in chosen.manifest.checklist if i in known],
        ),
    )
    with store.locked():
        task = store.load_task(task_id)
        require_ready(project, task, "assign_skill")
        path = store.artifacts(task.id, "assignment.json")
        store.write_json(path, "assignment", assignment.model_dump(mode="json"))
        ctx_path = store.artifacts(task.id, "context.json")
        store.write_json(ctx_path, "context-package", package.model_dump(mode="json"))
        task.context_path = relative(project.root, ctx_path)
        if task.status == "received":
            transition(project, task, "context_ready", note="context prepared while assigning")
        if task.status in ("context_ready", "assigned"):
            why = scores[0] if not chosen_explicitly else next(s for s in scores if s.skill == name)
            transition(project, task, "assigned",
                       note=f"{name}: " + ("named by the caller" if chosen_explicitly else "; ".join(why.reasons)))
        task.assignment = AssignmentSummary(
            skill=name, assigned_at=project.clock(), gates=assignment.success_criteria.gates,
            explicit=chosen_explicitly, path=relative(project.root, path),
        )
        store.save_task(task)
    return assignment
