"""The model registry's models: declarative classes (SQLAlchemy and Flask-SQLAlchemy), SQLModel
tables and classic `Table(...)` objects, with their foreign keys resolved across all of them.
"""

from __future__ import annotations

from ..contracts.registry import Model, Resolved, Unresolved
from .model_parts import finish, resolve_foreign_keys
from .sqlalchemy_models import scan_declarative
from .sqlalchemy_tables import add_module_indexes, scan_tables
from .sqlmodel_models import scan_sqlmodel
from .symbols import ProjectIndex


def scan_models(index: ProjectIndex) -> tuple[list[Model], list[Unresolved], list[Resolved]]:
    """The models, what could not be read, and where table names that are not literals came from."""
    unresolved: list[Unresolved] = []

    def note(file: str, line: int, reason: str) -> None:
        unresolved.append(Unresolved(file=file, line=line, reason=reason))

    drafts = [*scan_declarative(index, note), *scan_sqlmodel(index), *scan_tables(index, note)]
    add_module_indexes(index, drafts, note)
    resolve_foreign_keys(index, drafts, note)
    models = sorted((finish(d) for d in drafts), key=lambda m: (m.table, m.name, m.file))
    resolved = sorted((d.table_source for d in drafts if d.table_source), key=lambda r: (r.file, r.line))
    return models, unresolved, resolved
