"""Which standards clauses apply to a task: its skill's clauses, narrowed to what the task touches.

The skill's manifest picks clauses by the kind of work (``standards`` and ``checklist``). Some of
them are about things a task may not touch at all — pagination needs a collection read, ownership
needs an access by id, idempotency needs a PUT/DELETE or a side-effecting POST — so each such clause
has a condition here; a clause without one always applies. The checklist clauses come first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..contracts.registry import Endpoint, Model, Service


@dataclass(frozen=True)
class Touch:
    """What a task touches, as far as the standards care."""

    endpoints: tuple[Endpoint, ...]
    tables: tuple[Model, ...]
    services: tuple[Service, ...]
    text: str  # the task's title and requirements, lower-case

    @property
    def methods(self) -> set[str]:
        return {e.method for e in self.endpoints}

    def collection_read(self) -> bool:
        return any(e.method == "GET" and not e.path_params for e in self.endpoints) or _says(self, "list|paginat")

    def by_id(self) -> bool:
        return any(e.path_params for e in self.endpoints) or _says(self, "by id|ownership|tenant")

    def mutating(self) -> bool:
        return bool(self.methods & {"POST", "PUT", "PATCH", "DELETE"}) or _says(self, "create|update|delete|add ")

    def creating(self) -> bool:
        return "POST" in self.methods or _says(self, "create|add ")

    def idempotent_methods(self) -> bool:
        return bool(self.methods & {"PUT", "DELETE"}) or (self.creating() and bool(self.services))

    def auth(self) -> bool:
        return _says(self, "auth|login|token|password|session|jwt|oauth|credential|role|permission")

    def database(self) -> bool:
        return bool(self.tables) or _says(self, "table|column|migration|index|schema|model")

    def relations(self) -> bool:
        return any(t.relations or any(c.foreign_key for c in t.columns) for t in self.tables)

    def outbound(self) -> bool:
        return bool(self.services) or _says(self, "webhook|integration|http client|email|payment|queue")


def _says(touch: Touch, pattern: str) -> bool:
    return re.search(pattern, touch.text) is not None


# clause id -> (condition, what it needs: for the record of what was left out)
CONDITIONS: dict[str, tuple[Callable[[Touch], bool], str]] = {
    "API-015": (Touch.collection_read, "a collection read"),
    "BS-API-005": (Touch.collection_read, "a collection read"),
    "BS-AP-008": (Touch.collection_read, "a collection read"),
    "TEST-013": (Touch.collection_read, "a collection read"),
    "API-017": (lambda t: _says(t, "filter|sort|search|query param"), "filtering or sorting"),
    "API-009": (Touch.creating, "a create"),
    "API-020": (lambda t: t.creating() and t.outbound(), "a POST with external side effects"),
    "API-019": (Touch.idempotent_methods, "PUT or DELETE"),
    "BS-API-009": (Touch.idempotent_methods, "PUT, DELETE or a side-effecting POST"),
    "SEC-006": (Touch.by_id, "an access by id"),
    "BS-SEC-002": (Touch.by_id, "an access by id"),
    "SEC-008": (Touch.mutating, "a write"),
    "SEC-002": (Touch.auth, "passwords or tokens"),
    "SEC-003": (Touch.auth, "passwords or tokens"),
    "SEC-004": (Touch.auth, "a login"),
    "SEC-005": (Touch.auth, "cookies or sessions"),
    "BS-SEC-005": (Touch.auth, "passwords"),
    "BS-SEC-006": (Touch.auth, "tokens"),
    "API-022": (lambda t: t.auth() or _says(t, "rate limit|throttl|expensive"), "auth or an expensive endpoint"),
    "BS-AP-007": (Touch.relations, "related tables"),
    "DB-018": (Touch.relations, "related tables"),
    "TEST-015": (Touch.relations, "related tables"),
    "BS-AP-005": (Touch.outbound, "outbound calls"),
    "BS-AP-009": (Touch.outbound, "outbound calls"),
    "BS-AP-012": (Touch.outbound, "outbound calls"),
    "SEC-012": (Touch.outbound, "outbound calls"),
    "TEST-011": (Touch.outbound, "outbound calls"),
    "BS-MET-002": (Touch.database, "the database"),
}


def applicable(clause_ids: list[str], checklist: list[str], touch: Touch) -> tuple[list[str], list[str]]:
    """(clauses that apply, checklist first; clauses left out, as 'ID (needs …)')."""
    keep: list[str] = []
    dropped: list[str] = []
    ordered = [c for c in checklist if c in clause_ids] + [c for c in clause_ids if c not in checklist]
    for clause_id in dict.fromkeys(ordered):
        condition = CONDITIONS.get(clause_id)
        if condition is None or condition[0](touch):
            keep.append(clause_id)
        else:
            dropped.append(f"{clause_id} (needs {condition[1]})")
    return keep, dropped
