"""Drift: the code against the OpenAPI document, the previous registry and the live database."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ...contracts.common import HTTP_METHODS
from ...contracts.registry import Drift, Endpoint, LiveDatabase, Model
from .. import normalize_path

# tables a migration tool or the database engine keeps for itself
_SYSTEM_TABLES = frozenset({"alembic_version", "django_migrations", "sqlite_sequence", "sqlite_stat1"})


def operations(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, normalized path) -> path as written, for every operation of an OpenAPI document."""
    found = {}
    paths = document.get("paths")
    for path, item in (paths if isinstance(paths, dict) else {}).items():
        for method in item if isinstance(item, dict) else {}:
            if method.upper() in HTTP_METHODS:
                found[(method.upper(), normalize_path(path))] = path
    return found


def endpoint_drift(endpoints: list[Endpoint], document: dict[str, Any] | None, previous: list[Endpoint],
                   root: Path, *, source: str, external: set[tuple[str, str]] | None = None) -> list[Drift]:
    """hidden / undocumented / not-in-code against ``document`` (recorded at ``source``), gone against
    ``previous``. Without a document only hidden and gone can be told. ``external`` are routes served
    by code outside the project (a library's router): documented, but not ours to list."""
    drift = []
    documented = operations(document) if document is not None else None
    for endpoint in endpoints:
        key = (endpoint.method, normalize_path(endpoint.path))
        if endpoint.hidden:
            detail = f"include_in_schema=False: left out of the OpenAPI document ({endpoint.handler})"
            drift.append(Drift(kind="hidden", ref=endpoint.ref, detail=detail))
        elif documented is not None and key not in documented:
            drift.append(Drift(kind="undocumented", ref=endpoint.ref,
                               detail=f"in the code ({endpoint.handler}), missing from {source}"))
    if documented is not None:
        in_code = {(e.method, normalize_path(e.path)) for e in endpoints} | (external or set())
        drift += [Drift(kind="not-in-code", ref=f"{method} {path}", detail=f"in {source}, not found in the code")
                  for (method, key), path in documented.items() if (method, key) not in in_code]
    current = {(e.method, normalize_path(e.path)) for e in endpoints}
    for old in previous:
        if (old.method, normalize_path(old.path)) not in current and (why := _gone(root, old)):
            drift.append(Drift(kind="gone", ref=old.ref, detail=why))
    return sorted(drift, key=lambda d: (d.kind, d.ref))


def _gone(root: Path, endpoint: Endpoint) -> str | None:
    """Why the handler of a previously registered endpoint no longer exists; None while it does."""
    file = (root / endpoint.file).resolve()
    if not file.is_relative_to(root):
        return None
    if not file.is_file():
        return f"its handler file {endpoint.file} no longer exists"
    name = endpoint.handler.rpartition(":")[2].rpartition(".")[2]
    try:
        tree = ast.parse(file.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return None  # cannot tell; a syntax error is reported by the scan itself
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    return None if name in defined else f"its handler {endpoint.handler} is no longer defined in {endpoint.file}"


def model_drift(models: list[Model], database: LiveDatabase | None, ignore: set[str]) -> list[Drift]:
    """Tables and columns the models declare that the database lacks, and the other way round."""
    if database is None or database.status != "read":
        return []
    tables = {t.name: {c.name for c in t.columns} for t in database.tables}
    declared: dict[str, set[str]] = {}
    drift = []
    for model in models:
        declared.setdefault(model.table, set()).update(c.name for c in model.columns)
        if model.table not in tables:
            drift.append(Drift(kind="not-in-database", ref=f"model {model.name}",
                               detail=f"table {model.table!r} is not in the database: migrations not applied?"))
            continue
        drift += [Drift(kind="not-in-database", ref=f"model {model.name}",
                        detail=f"column {model.table}.{c.name} is not in the database: migrations not applied?")
                  for c in model.columns if c.name not in tables[model.table]]
    for name, columns in tables.items():
        if name in _SYSTEM_TABLES or name.startswith("sqlite_") or name in ignore:
            continue
        if name not in declared:
            drift.append(Drift(kind="not-in-models", ref=f"table {name}",
                               detail="in the database, no model declares it"))
            continue
        drift += [Drift(kind="not-in-models", ref=f"table {name}",
                        detail=f"column {name}.{c} is in the database, no model declares it")
                  for c in sorted(columns - declared[name])]
    return sorted(drift, key=lambda d: (d.kind, d.ref, d.detail))


def lines(drift: list[Drift]) -> list[str]:
    """One line per drift entry, for ScanResult: ``kind: ref — detail``."""
    return [f"{d.kind}: {d.ref} — {d.detail}" if d.detail else f"{d.kind}: {d.ref}" for d in drift]
