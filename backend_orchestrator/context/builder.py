"""Build a ContextPackage: rank what the task touches, render it, fit it to the budget.

Relevance walks the registry graph: the endpoints the task names → endpoints of the same
resource → request/response models → tables (and their foreign-key neighbours) → services the
handlers' modules use → source files and the tests that exercise those paths. What the task
names is always kept; the rest is dropped lowest-rank first until the package fits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from ..contracts.context import (
    Budget,
    ContextPackage,
    DatabaseSection,
    EndpointsSection,
    SourceFile,
    StandardClause,
    TaskBrief,
    TestRequirements,
)
from ..contracts.registry import Endpoint, EndpointRegistry, Model, ModelRegistry, ServiceRegistry
from ..contracts.task import Task
from ..docs import clauses
from ..errors import InvalidArgument
from .outline import outline

_SCHEMA_SUFFIX = re.compile(r"(Create|Update|Read|Out|In|Response|Request|Public|Detail|List|Schema)$")
_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def estimate_tokens(document: object) -> int:
    """The project's token estimate: ceil(UTF-8 bytes of compact JSON / 4).

    Four bytes per token is the usual rule of thumb for English and code in BPE tokenizers;
    compact JSON is what a client puts on the wire. Issue #6 measures its error.
    """
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return math.ceil(len(text.encode("utf-8")) / 4)


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


def _resource(path: str) -> str:
    parts = [p for p in path.split("/") if p and not p.startswith("{") and p != "api"
             and not re.fullmatch(r"v\d+", p)]
    return parts[0] if parts else ""


def _model_for(schema_name: str | None, models: dict[str, Model]) -> list[str]:
    if not schema_name:
        return []
    found = []
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", schema_name):
        base = _SCHEMA_SUFFIX.sub("", word)
        if base in models and base not in found:
            found.append(base)
    return found


def _patterns(endpoints: list[Endpoint]) -> list[str]:
    if not endpoints:
        return ["no endpoints discovered yet"]
    out = []
    versions = sorted({e.version for e in endpoints if e.version})
    if versions:
        share = sum(1 for e in endpoints if e.version) / len(endpoints)
        out.append(f"versioned paths ({', '.join(versions)}) on {share:.0%} of endpoints, e.g. /api/{versions[-1]}/...")
    resources = sorted({_resource(e.path) for e in endpoints if _resource(e.path)})
    if resources:
        plural = [r for r in resources if r.endswith("s")]
        out.append(f"resource segments: {', '.join(resources)} ({len(plural)}/{len(resources)} plural)")
    creates = [e for e in endpoints if e.method == "POST"]
    if creates:
        with_201 = sum(1 for e in creates if 201 in e.status_codes)
        out.append(f"POST returns 201 on {with_201}/{len(creates)} create endpoints")
    lists = [e for e in endpoints if e.method == "GET" and not e.path_params]
    if lists:
        out.append(f"{len(lists)} collection reads (GET without path parameters); check each for pagination")
    guarded = sum(1 for e in endpoints if e.auth)
    names = sorted({a for e in endpoints for a in e.auth})
    listed = f": {', '.join(names)}" if names else ""
    out.append(f"auth dependencies on {guarded}/{len(endpoints)} endpoints{listed}")
    with_model = sum(1 for e in endpoints if e.response_model)
    out.append(f"response_model declared on {with_model}/{len(endpoints)} endpoints")
    return out


def _one_line(e: Endpoint) -> str:
    extra = " [auth]" if e.auth else ""
    extra += " [hidden]" if e.hidden else ""
    return f"{e.method} {e.path}" + (f" — {e.summary}" if e.summary else "") + extra


def _tests_touching(root: Path, tests_dir: str, needles: Iterable[str]) -> list[str]:
    folder = root / tests_dir
    if not folder.is_dir():
        return []
    wanted = [n for n in needles if n]
    hits = []
    for path in sorted(folder.rglob("*.py")):
        if not path.resolve().is_relative_to(root):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(n in text for n in wanted):
            hits.append(path.relative_to(root).as_posix())
    return hits


def build_package(
    root: Path, task: Task, endpoints: EndpointRegistry, models: ModelRegistry, services: ServiceRegistry,
    clause_ids: list[str], budget: int, tests_dir: str = "tests", keep_standards: int = 0,
) -> ContextPackage:
    by_name = {m.name: m for m in models.models}
    by_table = {m.table: m for m in models.models}

    # 1. endpoints: named first, then the same resource, ranked by closeness
    named_refs = {_norm(ref.split(" ", 1)[1]) + "|" + ref.split(" ", 1)[0] for ref in task.endpoints}
    named_eps = [e for e in endpoints.endpoints if f"{_norm(e.path)}|{e.method}" in named_refs]
    resources = {_resource(ref.split(" ", 1)[1]) for ref in task.endpoints}
    resources |= {by_name[m].table for m in task.models if m in by_name}
    related_eps = [e for e in endpoints.endpoints if e not in named_eps and _resource(e.path) in resources]
    relevant = named_eps + related_eps
    existing = [_one_line(e) for e in endpoints.endpoints if e not in relevant]

    # 2. tables: named, those behind the endpoints' schemas, then foreign-key neighbours
    table_names: list[str] = [m for m in task.models if m in by_name]
    for e in relevant:
        for name in _model_for(e.request_model, by_name) + _model_for(e.response_model, by_name):
            if name not in table_names:
                table_names.append(name)
    for res in resources:
        singular = res[:-1] if res.endswith("s") else res
        for m in models.models:
            if (m.table == res or m.name.lower() == singular.lower()) and m.name not in table_names:
                table_names.append(m.name)
    core = list(table_names)
    for name in core:
        for col in by_name[name].columns:
            target = (col.foreign_key or "").split(".")[0]
            if target in by_table and by_table[target].name not in table_names:
                table_names.append(by_table[target].name)
        for other in models.models:  # tables pointing at this one
            if other.name not in table_names and any(
                (c.foreign_key or "").split(".")[0] == by_name[name].table for c in other.columns
            ):
                table_names.append(other.name)
    tables = [by_name[n] for n in table_names]
    other_tables = sorted(m.table for m in models.models if m.name not in table_names)

    # 3. services used by the handlers' modules
    handler_modules = {e.handler.split(":")[0] for e in relevant}
    used = [s for s in services.services if handler_modules & set(s.used_by) or s.module in handler_modules]

    # 4. source files: handlers, model files, services, and tests that exercise the paths
    files: dict[str, str] = {}
    for e in relevant:
        files.setdefault(e.file, f"handler of {e.method} {e.path}")
    for m in tables:
        files.setdefault(m.file, f"model {m.name}")
    for s in used:
        files.setdefault(s.file, f"service {s.name}")
    needles = [e.path.split("{")[0].rstrip("/") for e in named_eps or relevant]
    needles += [e.handler.split(":")[1] for e in named_eps]
    for test in _tests_touching(root, tests_dir, needles):
        files.setdefault(test, "tests that exercise these endpoints")
    source, redactions = [], 0
    for rel, reason in files.items():
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue
        out = outline(path.read_text(encoding="utf-8", errors="replace"))
        redactions += out.redactions
        source.append(SourceFile(path=rel, reason=reason, outline=out.lines))

    # 5. standards and tests for this kind of work
    known = clauses()
    standards = [StandardClause(id=c.id, section=c.section, text=c.text, source=c.source)
                 for c in (known[i] for i in clause_ids if i in known)]
    tests = _test_requirements(task, named_eps or relevant, tables)

    package = ContextPackage(
        task_id=task.id,
        task=TaskBrief(title=task.title, kind=task.kind, requirements=task.requirements,
                       endpoints=task.endpoints, models=task.models),
        endpoints=EndpointsSection(relevant=relevant, existing=existing, patterns=_patterns(endpoints.endpoints)),
        database=DatabaseSection(tables=tables, other_tables=other_tables, migrations=models.migrations),
        services=used, standards=standards, test_requirements=tests, source=source,
        budget=Budget(limit_tokens=budget, used_tokens=0), redactions=redactions,
    )
    return _fit(package, budget, keep_endpoints=len(named_eps), keep_tables=len(core),
                keep_standards=keep_standards)


def _test_requirements(task: Task, eps: list[Endpoint], tables: list[Model]) -> TestRequirements:
    refs = [f"{e.method} {e.path}" for e in eps] or task.endpoints
    names = [t.table for t in tables]
    return TestRequirements(
        functional=list(task.requirements),
        unit=[f"service/repository functions behind {r}: happy path and each error branch" for r in refs]
        or ["each new function: happy path and each error branch"],
        integration=[f"real database session against tables {', '.join(names)} (SQLite file per test)"]
        if names else ["exercise the change through the app with a real database"],
        api=[f"{r}: success, 422 on invalid input, 404 on unknown ids"
             + (", 401/403 without or with wrong credentials" if r.split(" ")[0] in _MUTATING else "")
             for r in refs],
        load=[f"{r}: p95 < 200 ms and error rate < 0.1 % under the configured profile" for r in refs],
        security=["every mutating endpoint requires authentication and checks ownership",
                  "no SQL or shell built from request data; secrets only from settings"],
        contract=["existing operations keep their paths, required fields and response fields "
                  "(no breaking change for current clients)"]
        + [f"{r} is documented in the OpenAPI document with its status codes" for r in refs],
    )


def _fit(package: ContextPackage, budget: int, keep_endpoints: int, keep_tables: int,
         keep_standards: int) -> ContextPackage:
    """Drop the lowest-ranked items until the package fits ``budget``; list what was dropped.

    What the task names (its endpoints and tables) is never dropped: when that alone does not
    fit, the budget is too small and the caller is told how much is needed.
    """
    omitted: list[str] = []

    def size() -> int:
        return estimate_tokens(package.model_dump(mode="json"))

    def cost(item: object) -> int:
        return estimate_tokens(item.model_dump(mode="json") if hasattr(item, "model_dump") else item)

    tests = package.test_requirements
    steps: list[tuple[str, Callable[[], object], int]] = []

    def drop_source(kinds: tuple[str, ...]) -> None:
        for f in reversed(package.source):
            if f.reason.startswith(kinds):
                steps.append((f"source {f.path}", partial(package.source.remove, f), cost(f)))

    def drop_all(label: str, owner: list[Any], items: list[Any], name: Callable[[Any], str]) -> None:
        steps.extend((f"{label} {name(i)}", partial(owner.remove, i), cost(i)) for i in reversed(items))

    # lowest value first: what another section already carries, then background, then the core
    drop_source(("model ", "service "))
    drop_all("standard", package.standards, package.standards[keep_standards:], lambda c: c.id)
    steps.append(("endpoints.existing", package.endpoints.existing.clear, cost(package.endpoints.existing)))
    steps.append(("database.other_tables", package.database.other_tables.clear, cost(package.database.other_tables)))
    drop_source(("tests ",))
    drop_source(("handler ",))
    drop_all("service", package.services, package.services, lambda s: s.name)
    relevant, tables = package.endpoints.relevant, package.database.tables
    drop_all("endpoint", relevant, relevant[keep_endpoints:], lambda e: f"{e.method} {e.path}")
    drop_all("table", tables, tables[keep_tables:], lambda t: t.table)
    drop_all("standard", package.standards, package.standards[:keep_standards], lambda c: c.id)
    for name in ("contract", "load", "security", "integration", "unit", "api"):
        items = getattr(tests, name)
        steps.append((f"test_requirements.{name}", items.clear, cost(items)))
    steps.append(("endpoints.patterns", package.endpoints.patterns.clear, cost(package.endpoints.patterns)))

    package.budget.omitted = omitted  # filled in place: the list counts towards the size
    total = size()
    for label, drop, saved in steps:
        if total <= budget:
            break
        drop()
        omitted.append(label)
        total += cost(label) + 1 - saved
        if total <= budget:  # the estimate says it fits: confirm with the exact size
            total = size()
    # used_tokens is part of the package: settle it (its own digits can grow the size by a token)
    for _ in range(3):
        package.budget.used_tokens = size()
    if package.budget.used_tokens > budget:
        raise InvalidArgument(
            f"token_budget {budget} is too small for what {package.task_id} names: its endpoints and tables "
            f"alone need {package.budget.used_tokens} tokens; pass token_budget={package.budget.used_tokens} or more"
        )
    return package
