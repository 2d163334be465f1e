"""Events shared with other orchestrators: ai-state/events.jsonl, one JSON event per line.

Append-only under its own lock; every line is validated against schemas/event.schema.json, and
the payloads of the seed events against their own schemas (``frontend.api.request`` in,
``backend.api.ready`` out).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from filelock import FileLock

from .contracts.event import EVENT_TYPE_PATTERN, Event
from .contracts.tools import EventPage
from .errors import InvalidArgument, NotFound, StateError
from .state import Project
from .state.paths import confined
from .state.schemas import problems
from .state.store import EVENTS_FILE

PAYLOAD_SCHEMAS = {"frontend.api.request": "frontend-api-request", "backend.api.ready": "backend-api-ready"}
SOURCE = "backend-orchestrator"
MAX_PAGE = 500
_TYPE = re.compile(EVENT_TYPE_PATTERN)


def _path(project: Project) -> Path:
    return confined(project.root, EVENTS_FILE)


def publish(project: Project, type: str, payload: dict[str, Any], source: str = SOURCE) -> Event:
    if not isinstance(type, str) or not _TYPE.match(type):
        raise InvalidArgument(f"invalid event type {type!r}: use dotted lowercase names such as "
                              f"{', '.join(sorted(PAYLOAD_SCHEMAS))} or backend.task.<name>")
    if not isinstance(payload, dict):
        raise InvalidArgument("payload must be a JSON object")
    if type in PAYLOAD_SCHEMAS:
        found = problems(PAYLOAD_SCHEMAS[type], payload)
        if found:
            raise InvalidArgument(f"payload of {type!r} does not match schemas/{PAYLOAD_SCHEMAS[type]}.schema.json: "
                                  + "; ".join(found))
    event = Event(id=project.new_id("evt"), type=type, time=project.clock(), source=source, payload=payload)
    line = json.dumps(event.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    path = _path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=30), open(path, "a", encoding="utf-8") as out:
        out.write(line + "\n")
        out.flush()
    return event


def read_all(project: Project) -> list[Event]:
    path = _path(project)
    if not path.is_file():
        return []
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{EVENTS_FILE.as_posix()}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StateError(f"{where} is not valid JSON: {exc.msg}") from None
        found = problems("event", data)
        if found:
            raise StateError(f"{where} does not match schemas/event.schema.json: " + "; ".join(found))
        events.append(Event.model_validate(data))
    return events


def poll(project: Project, after: str | None = None, types: list[str] | None = None, limit: int = 50) -> EventPage:
    """Events after the one with id ``after`` (oldest first), optionally of the given types."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"limit {limit!r} is out of range; use 1..{MAX_PAGE}")
    events = read_all(project)
    start = 0
    if after:
        ids = [e.id for e in events]
        if after not in ids:
            raise NotFound(f"unknown event id {after!r}: pass an id or next_cursor from an earlier poll_events")
        start = ids.index(after) + 1
    selected = [e for e in events[start:] if not types or e.type in types]
    page = selected[:limit]
    cursor: str | None
    if len(selected) > limit:
        cursor = page[-1].id
    else:  # everything after `after` was read: resume from the newest event, matching or not
        cursor = events[-1].id if events[start:] else after
    return EventPage(events=page, next_cursor=cursor)
