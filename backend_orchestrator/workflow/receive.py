"""Step 1: receive a task — parse the requirements, check the dependencies, store it."""

from __future__ import annotations

import re

from ..contracts.common import ENDPOINT_REF_PATTERN, PRIORITIES, TASK_KINDS
from ..contracts.task import StatusChange, Task, UnknownReferences
from ..contracts.tools import ReceiveResult
from ..errors import DependencyError, InvalidArgument, NotFound, invalid_choice
from ..state import Project
from ..state.paths import check_task_id
from . import parse
from .lifecycle import unfinished_dependencies
from .registry import load_registries

_ENDPOINT_REF = re.compile(ENDPOINT_REF_PATTERN)


def receive_task(
    project: Project,
    description: str,
    title: str | None = None,
    kind: str | None = None,
    endpoints: list[str] | None = None,
    models: list[str] | None = None,
    requirements: list[str] | None = None,
    depends_on: list[str] | None = None,
    priority: str = "medium",
    source_event: str | None = None,
) -> ReceiveResult:
    if not isinstance(description, str) or not description.strip():
        raise InvalidArgument("description is empty: describe the backend work, e.g. "
                              "'Add pagination and filtering to GET /api/v1/products'")
    if kind is not None and kind not in TASK_KINDS:
        raise invalid_choice("kind", kind, TASK_KINDS)
    if priority not in PRIORITIES:
        raise invalid_choice("priority", priority, PRIORITIES)
    if title is not None and not title.strip():
        raise InvalidArgument("title is empty: leave it out to derive one from the description")
    if title is not None and len(title) > 200:
        raise InvalidArgument(f"title is {len(title)} characters long; keep it to 200")
    for ref in endpoints or []:
        if not _ENDPOINT_REF.match(ref):
            raise InvalidArgument(f"invalid endpoint {ref!r}: write endpoints as 'METHOD /path', "
                                  "e.g. 'GET /api/v1/products'")
    if source_event is not None:
        endpoints = _from_event(project, source_event, endpoints)
    deps = list(dict.fromkeys(depends_on or []))
    for dep in deps:
        check_task_id(dep)

    registries, scanned = load_registries(project)
    text = f"{title or ''}\n{description}"
    inferred: list[str] = []
    if title is None:
        title = parse.title_from(description)
        inferred.append("title")
    notes = ["no registry existed yet: scanned the project first"] if scanned else []
    if kind is None:
        kind, scores = parse.infer_kind(text)
        inferred.append("kind")
        ranked = ", ".join(f"{k} {v:g}" for k, v in sorted(scores.items(), key=lambda kv: -kv[1]) if v)
        notes.append(f"kind inferred as {kind!r} from the description ({ranked or 'no keywords; default'})")
    if endpoints is None:
        endpoints = parse.find_endpoints(text)
        inferred.append("endpoints")
    if models is None:
        known = [(m.name, m.table) for m in registries.models.models]
        models = parse.find_models(text, known)
        for ref in endpoints:
            ep = registries.endpoint(ref)
            for candidate in (ep.request_model, ep.response_model) if ep else ():
                for m in registries.models.models:
                    if candidate and m.name in candidate and m.name not in models:
                        models.append(m.name)
        inferred.append("models")
    if requirements is None:
        requirements = parse.acceptance_criteria(description)
        inferred.append("requirements")
    requirements = [r.strip() for r in requirements if r.strip()]

    unknown = UnknownReferences(
        endpoints=[ref for ref in endpoints if registries.endpoint(ref) is None],
        models=[m for m in models if registries.model(m) is None],
    )
    if unknown.endpoints:
        notes.append("not in the endpoint registry (new, or not scanned yet): " + ", ".join(unknown.endpoints))
    if unknown.models:
        notes.append("not in the model registry: " + ", ".join(unknown.models))

    store = project.store
    with store.locked():
        for dep in deps:
            try:
                store.load_task(dep)
            except NotFound as exc:
                raise DependencyError(f"depends_on names {dep!r}, which does not exist; {exc}") from None
        now = project.clock()
        task = Task(
            id=store.next_task_id(kind), title=title.strip(), description=description.strip(),
            kind=kind, status="received", priority=priority, requirements=requirements,
            endpoints=endpoints, models=models, depends_on=deps, base_commit=project.git_head(),
            source_event=source_event, created_at=now, updated_at=now, inferred=inferred,
            unknown_references=unknown,
            history=[StatusChange(time=now, from_status=None, to_status="received", note="received")],
        )
        task.blocked_by = unfinished_dependencies(project, task)
        if task.blocked_by:
            task.status = "blocked"
            task.history.append(StatusChange(time=now, from_status="received", to_status="blocked",
                                             note="waiting for " + ", ".join(task.blocked_by)))
            notes.append("blocked until these are done: " + ", ".join(task.blocked_by))
        store.save_task(task)
        _snapshot_contract(project, task.id)
    from ..events import publish

    publish(project, "backend.task.received", {"task_id": task.id, "kind": task.kind, "title": task.title,
                                               "status": task.status, "endpoints": task.endpoints})
    return ReceiveResult(task=task, unknown_references=unknown, notes=notes)


def _from_event(project: Project, event_id: str, endpoints: list[str] | None) -> list[str] | None:
    """Check the event exists; a ``frontend.api.request`` contributes the endpoint it asks for."""
    from ..events import read_all

    event = next((e for e in read_all(project) if e.id == event_id), None)
    if event is None:
        raise NotFound(f"unknown event {event_id!r}: pass the id of an event from poll_events")
    requested = event.payload.get("endpoint") if event.type == "frontend.api.request" else None
    if requested and requested not in (endpoints or []):
        return [*(endpoints or []), requested]
    return endpoints


def _snapshot_contract(project: Project, task_id: str) -> None:
    """Keep the API contract as it is now, so the contract gate can tell what the task changed."""
    from .registry import OPENAPI_FILE

    recorded = project.store.path(OPENAPI_FILE)
    if recorded.is_file():
        base = project.store.artifacts(task_id, "openapi-base.json")
        base.parent.mkdir(parents=True, exist_ok=True)
        base.write_bytes(recorded.read_bytes())
