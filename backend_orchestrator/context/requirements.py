"""The package's derived text: API conventions seen in the registry, and the task's test requirements.

Test requirements are the mission's test types (unit, integration, API, load, security, contract)
made concrete for the task: which endpoints, which tables, which status codes, which thresholds.
"""

from __future__ import annotations

from ..contracts.registry import Endpoint, Model
from ..contracts.task import Task
from .graph import resource

_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def patterns(endpoints: list[Endpoint]) -> list[str]:
    """Conventions of the whole API, in a few lines: versioning, naming, status codes, pagination, auth."""
    if not endpoints:
        return ["no endpoints discovered yet"]
    out = []
    versions = sorted({e.version for e in endpoints if e.version})
    if versions:
        share = sum(1 for e in endpoints if e.version) / len(endpoints)
        out.append(f"versioned paths ({', '.join(versions)}) on {share:.0%} of endpoints, e.g. /api/{versions[-1]}/...")
    resources = sorted({resource(e.path) for e in endpoints if resource(e.path)})
    if resources:
        plural = sum(1 for r in resources if r.endswith("s"))
        sample = ", ".join(resources[:8]) + (f", … ({len(resources)} in all)" if len(resources) > 8 else "")
        out.append(f"resource segments: {sample}; {plural}/{len(resources)} plural")
    creates = [e for e in endpoints if e.method == "POST"]
    if creates:
        with_201 = sum(1 for e in creates if 201 in e.status_codes)
        out.append(f"POST returns 201 on {with_201}/{len(creates)} create endpoints")
    lists = [e for e in endpoints if e.method == "GET" and not e.path_params]
    if lists:
        out.append(f"{len(lists)} collection reads (GET without path parameters); check each for pagination")
    guarded = sum(1 for e in endpoints if e.auth)
    names = sorted({a for e in endpoints for a in e.auth})
    listed = f": {', '.join(names[:5])}" if names else ""
    out.append(f"auth dependencies on {guarded}/{len(endpoints)} endpoints{listed}")
    with_model = sum(1 for e in endpoints if e.response_model)
    out.append(f"response_model declared on {with_model}/{len(endpoints)} endpoints")
    return out


def test_requirements(task: Task, eps: list[Endpoint], tables: tuple[Model, ...]) -> TestLines:
    refs = [e.ref for e in eps] or task.endpoints
    names = [t.table for t in tables]
    by_id = [e.ref for e in eps if e.path_params]
    lists = [e.ref for e in eps if e.method == "GET" and not e.path_params]
    lines = TestLines(
        functional=[f"one test per requirement ({len(task.requirements)} in task.requirements)"]
        if task.requirements else [],
        unit=[f"the service/repository functions behind {r}: happy path and each error branch" for r in refs]
        or ["each new function: happy path and each error branch"],
        integration=[f"a real database session against {', '.join(names)} (an SQLite file per test)"]
        if names else ["exercise the change through the app with a real database"],
        api=[f"{r}: success, 422 on invalid input"
             + (", 404 on an unknown id" if r in by_id else "")
             + (", 401/403 without or with wrong credentials" if r.split(" ")[0] in _MUTATING else "")
             + (", limit/offset bounds (default, maximum, above maximum → 422)" if r in lists else "")
             for r in refs],
        load=[f"{r}: p95 < 200 ms and error rate < 0.1 % under the configured profile" for r in refs],
        security=(["each mutating endpoint requires authentication"] if any(
            r.split(" ")[0] in _MUTATING for r in refs) else [])
        + ([f"{r}: another user's id gives 404 (ownership)" for r in by_id[:3]])
        + ["no SQL or shell built from request data; secrets only from settings"],
        contract=["existing operations keep their paths, required fields and response fields"]
        + [f"{r} documented with its status codes; schemathesis finds no 5xx or schema violation" for r in refs],
    )
    return lines


class TestLines:
    """The lines of each test type (plain lists; the builder copies them into the package)."""

    __test__ = False  # not a pytest class

    def __init__(self, **kinds: list[str]) -> None:
        self.functional = kinds.get("functional", [])
        self.unit = kinds.get("unit", [])
        self.integration = kinds.get("integration", [])
        self.api = kinds.get("api", [])
        self.load = kinds.get("load", [])
        self.security = kinds.get("security", [])
        self.contract = kinds.get("contract", [])
