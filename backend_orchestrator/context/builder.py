"""Build a ContextPackage: walk the registry graph from the task, render each item at its level of
detail, and fill the budget best-first.

Levels of detail: what the task names (and what the caller ``include``-s) as full entries; items
one hop away (the endpoints' models and tables, handler files, tests that call the routes, services
the handler modules use, tables linked to a named one) as full entries or symbol outlines; items two
hops away as one-line summaries; the rest of the API as one line per resource and the rest of the
schema as table names. Each item is offered as a candidate with a tier (0: always in; 1: conventions,
checklist standards, test requirements; 2: one hop; 4: other standards; 5: two hops; 6: model and
service files; 7: the rest of the API; 8: other tables) and ``fit.py`` fills the budget tier by tier,
in rank order inside a tier; an item that does not fit is listed in ``budget.omitted``, never cut in
half. What the task names is always in: if that alone is over the budget, the caller is told the
budget it needs.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any

from ..contracts.context import (
    Budget,
    ContextPackage,
    DatabaseSection,
    EndpointsSection,
    Redaction,
    SourceFile,
    StandardClause,
    TaskBrief,
    TestRequirements,
)
from ..contracts.registry import Endpoint, EndpointRegistry, Model, ModelRegistry, Service, ServiceRegistry
from ..contracts.task import Task
from ..docs import clauses
from ..errors import InvalidArgument
from . import graph as graphs
from .fit import Candidate, fit
from .outline import cached_outline
from .requirements import patterns, test_requirements
from .standards import Touch, applicable
from .tokens import METHOD, compact, text_tokens

ONE_HOP = 1.0
NEAR = 2.5  # one-line summaries for endpoints and tables up to this cost


def _norm(ref: str) -> str:
    method, _, path = ref.partition(" ")
    return f"{method.upper()} {re.sub(r'{[^}]*}', '{}', path.rstrip('/') or '/')}"


def _one_line(e: Endpoint) -> str:
    flags = (" [auth]" if e.auth else "") + (" [hidden]" if e.hidden else "")
    return f"{e.method} {e.path}" + (f" — {e.summary}" if e.summary else "") + flags


def _table_line(m: Model) -> str:
    cols = []
    for c in m.columns:
        marks = ("PK" if c.primary_key else "") + (f" FK→{c.foreign_key}" if c.foreign_key else "")
        marks += " idx" if c.index or c.unique else ""
        cols.append(f"{c.name} {c.type}{(' ' + marks.strip()) if marks.strip() else ''}")
    extra = f"; indexes {', '.join(i.name for i in m.indexes)}" if m.indexes else ""
    return f"{m.table} ({m.name}): {', '.join(cols)}{extra}"


def _resource_line(res: str, eps: list[Endpoint]) -> str:
    by_path: dict[str, list[str]] = {}
    for e in sorted(eps, key=lambda e: (e.path, e.method)):
        by_path.setdefault(e.path, []).append(e.method)
    parts = [f"{','.join(methods)} {path}" for path, methods in by_path.items()]
    return f"{res or '/'}: " + "; ".join(parts)


def _cost(item: object, memo: dict[object, float] | None = None) -> float:
    """Tokens ``item`` adds to the package. Registry objects and strings are memoised per graph
    (registry objects are the store's cached ones, alive as long as the graph is)."""
    key: object = item if isinstance(item, str) else id(item)
    if memo is not None and key in memo:
        return memo[key]
    data = item.model_dump(mode="json") if hasattr(item, "model_dump") else item
    tokens = text_tokens(compact(data)) + 0.8  # the separating comma and its run
    if memo is not None and isinstance(item, str | Endpoint | Model | Service):
        memo[key] = tokens
    return tokens


class _Named:
    """What the task and the caller's ``include`` name, resolved against the graph."""

    def __init__(self, g: graphs.Graph, task: Task, include: list[str], clause_ids: set[str]) -> None:
        by_norm = g.memo("endpoints by normalised ref", lambda: {_norm(ref): ref for ref in g.endpoints})
        self.endpoints = list(dict.fromkeys(by_norm[_norm(r)] for r in task.endpoints if _norm(r) in by_norm))
        self.models = list(dict.fromkeys(k.split(":", 1)[1] for k in (g.model_key(m) for m in task.models) if k))
        self.files: list[str] = []
        self.services: list[str] = []
        self.standards: list[str] = []
        for item in include:
            kind, _, value = item.partition(":")
            if _norm(item) in by_norm:
                self.endpoints.append(by_norm[_norm(item)])
            elif kind == "model" and g.model_key(value):
                self.models.append((g.model_key(value) or "").split(":", 1)[1])
            elif kind == "service" and value in g.services:
                self.services.append(value)
            elif kind == "standard" and value in clause_ids:
                self.standards.append(value)
            elif kind == "file" and value:
                self.files.append(value)
            else:
                raise InvalidArgument(_unknown_item(item, g))
        self.endpoints = list(dict.fromkeys(self.endpoints))
        self.models = list(dict.fromkeys(self.models))


def _unknown_item(item: str, g: graphs.Graph) -> str:
    names = [*g.endpoints, *(f"model:{m}" for m in g.models), *(f"service:{s}" for s in g.services)]
    close = difflib.get_close_matches(item, names, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    return (f"unknown include item {item!r}{hint}; use 'METHOD /path' ({len(g.endpoints)} endpoints), "
            f"'model:Name' ({len(g.models)} models), 'service:name' ({len(g.services)} services), "
            "'file:relative/path.py' or 'standard:ID' (a clause of the task's skill)")


def build_package(
    root: Path, task: Task, endpoints: EndpointRegistry, models: ModelRegistry, services: ServiceRegistry,
    standards: list[str], checklist: list[str], budget: int, tests_dir: str = "tests",
    include: list[str] | None = None,
) -> ContextPackage:
    g = graphs.graph_for(root, endpoints, models, services, tests_dir)
    named = _Named(g, task, include or [], set(standards) | set(checklist))
    text = " ".join([task.title, *task.requirements])
    seeds = graphs.seeds(g, named.endpoints, named.models, text)
    seeds += [(f"service:{s}", 0.0, "named by the caller") for s in named.services]
    ranked = g.walk(seeds)
    rank = {r.key: r for r in ranked}

    def cost_of(key: str) -> float:
        return rank[key].cost if key in rank else math.inf

    package = ContextPackage(
        task_id=task.id,
        task=TaskBrief(title=task.title, kind=task.kind, requirements=task.requirements,
                       endpoints=task.endpoints, models=task.models),
        endpoints=EndpointsSection(), database=DatabaseSection(migrations=models.migrations),
        test_requirements=TestRequirements(), budget=Budget(limit_tokens=budget, used_tokens=0, estimate=METHOD),
    )
    cands: list[Candidate] = []
    memo = g.memo("token costs", dict[object, float])

    def offer(tier: int, key: str, label: str, section: list[Any], item: Any, why: str | None = None,
              found: list[Redaction] | None = None) -> None:
        def add() -> None:
            section.append(item)
            if why:
                package.relevance.append(why)
            if found:  # the record of withheld values travels with the file they were withheld from
                package.redacted = sorted([*package.redacted, *found], key=lambda r: (r.path, r.line, r.name))
                package.redactions = len(package.redacted)

        def remove() -> None:
            section.remove(item)
            if why:
                package.relevance.remove(why)
            if found:
                package.redacted = [r for r in package.redacted if r not in found]
                package.redactions = len(package.redacted)

        tokens = _cost(item, memo) + (text_tokens(compact(why)) + 0.8 if why else 0.0)
        tokens += sum(_cost(r) for r in found or ())
        cands.append(Candidate(tier, (cost_of(key) if tier else 0.0, key), label, add, remove, tokens))

    def why(key: str) -> str:
        r = rank[key]
        return f"{graphs._label(key)}: {r.reason} ({r.hops} hop{'s' if r.hops != 1 else ''})"

    # tier 0: what the task names — full entries
    named_eps = [g.endpoints[r] for r in named.endpoints]
    for e in named_eps:
        offer(0, f"endpoint:{e.ref}", f"endpoint {e.ref}", package.endpoints.relevant, e)
    table_names: list[str] = list(named.models)
    # one hop: the models behind the named endpoints and the tables linked to named ones
    for r in ranked:
        if r.key.startswith("model:") and r.cost <= ONE_HOP and r.key.split(":", 1)[1] not in table_names:
            table_names.append(r.key.split(":", 1)[1])
    for name in table_names:
        m = g.models[name]
        is_named = name in named.models
        offer(0 if is_named else 2, f"model:{name}", f"table {m.table}", package.database.tables, m,
              None if is_named else why(f"model:{name}"))

    # source files: handlers (focused on the handlers), tests, and the files named by include
    focus: dict[str, set[str]] = {}
    for e in named_eps + [g.endpoints[r.key.split(":", 1)[1]] for r in ranked
                          if r.key.startswith("endpoint:") and r.cost <= NEAR]:
        focus.setdefault(e.file, set()).add(e.handler.split(":", 1)[1])

    def source(rel: str, reason: str, tier: int, key: str, focus_on: set[str] | None, tests: bool = False) -> None:
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file() or path.suffix != ".py":
            if tier == 0:
                raise InvalidArgument(f"include item 'file:{rel}' is not a Python file inside the project")
            return
        out = cached_outline(path, focus_on, tests)
        found = [Redaction(path=rel, line=line, name=name) for line, name in out.redacted]
        offer(tier, key, f"source {rel}", package.source, SourceFile(path=rel, reason=reason, outline=out.lines),
              why(key) if key in rank and tier else None, found)

    for rel in named.files:
        source(rel, "named by the caller", 0, f"file:{rel}", None)
    for r in ranked:
        kind, _, value = r.key.partition(":")
        if value in named.files:
            continue
        if kind == "file" and r.cost <= ONE_HOP:
            source(value, "handlers of the task's endpoints", 2, r.key, focus.get(value))
        elif kind == "test" and r.cost <= ONE_HOP:
            source(value, "tests that call the task's endpoints", 2, r.key, None, tests=True)
        elif kind == "service" and (r.cost <= ONE_HOP or value in named.services):
            offer(0 if value in named.services else 2, r.key, f"service {value}", package.services,
                  g.services[value], None if value in named.services else why(r.key))
        elif kind == "file" and r.cost <= NEAR:
            source(value, "defines a model or service the task touches", 6, r.key, None)
        elif kind == "endpoint" and 0 < r.cost <= NEAR and value not in named.endpoints:
            offer(5, r.key, f"related endpoint {value}", package.endpoints.related, _one_line(g.endpoints[value]))
        elif kind == "model" and ONE_HOP < r.cost <= NEAR:
            offer(5, r.key, f"neighbour table {g.models[value].table}", package.database.neighbours,
                  _table_line(g.models[value]))

    # standards and test requirements for what the task touches
    touched_tables = tuple(g.models[n] for n in table_names)
    touch = Touch(tuple(named_eps), touched_tables, tuple(package_services(g, ranked, named.services)),
                  text.lower())
    keep, skipped = applicable(standards, checklist, touch)
    known = clauses()
    for i, clause_id in enumerate(dict.fromkeys([*named.standards, *keep])):
        c = known[clause_id]
        tier = 0 if clause_id in named.standards else 1 if clause_id in checklist else 4
        offer(tier, f"standard:{i:03d}", f"standard {clause_id}", package.standards,
              StandardClause(id=c.id, section=c.section, text=c.text, source=c.source))
    reqs = test_requirements(task, named_eps or [g.endpoints[r.key.split(":", 1)[1]] for r in ranked
                                                  if r.key.startswith("endpoint:") and r.cost <= ONE_HOP],
                             touched_tables)
    for field_name in ("api", "unit", "integration", "security", "contract", "load", "functional"):
        for j, line in enumerate(getattr(reqs, field_name)):
            offer(1, f"tests:{field_name}:{j:03d}", f"test_requirements.{field_name}",
                  getattr(package.test_requirements, field_name), line)
    for j, line in enumerate(g.memo("patterns", lambda: patterns(list(g.endpoints.values())))):
        offer(1, f"patterns:{j:03d}", "endpoints.patterns", package.endpoints.patterns, line)

    # background: the rest of the API by resource, the rest of the schema by name
    shown = set(named.endpoints) | {r.key.split(":", 1)[1] for r in ranked
                                    if r.key.startswith("endpoint:") and r.cost <= NEAR}
    closest: dict[str, tuple[float, str]] = {}  # resource -> its best-ranked endpoint (unranked: by name)
    for r in ranked:
        if r.key.startswith("endpoint:"):
            res = graphs.resource(r.key.split(" ", 1)[1])
            closest.setdefault(res, (r.cost, r.key))
    for res in sorted(g.by_resource, key=lambda res: (closest.get(res, (math.inf, ""))[0], res)):
        rest = [g.endpoints[x] for x in g.by_resource[res] if x not in shown]
        if rest:
            key = closest.get(res, (math.inf, f"endpoint:{g.by_resource[res][0]}"))[1]
            offer(7, key, "endpoints.existing", package.endpoints.existing, _resource_line(res, rest))
    in_tables = set(table_names) | {r.key.split(":", 1)[1] for r in ranked
                                    if r.key.startswith("model:") and r.cost <= NEAR}
    for m in sorted(g.models.values(), key=lambda m: (cost_of(f"model:{m.name}"), m.table)):
        if m.name not in in_tables:
            offer(8, f"model:{m.name}", "database.other_tables", package.database.other_tables, m.table)

    return fit(package, cands, budget, skipped)


def package_services(g: graphs.Graph, ranked: list[graphs.Ranked], named: list[str]) -> list[Any]:
    return [g.services[r.key.split(":", 1)[1]] for r in ranked
            if r.key.startswith("service:") and (r.cost <= ONE_HOP or r.key.split(":", 1)[1] in named)]
