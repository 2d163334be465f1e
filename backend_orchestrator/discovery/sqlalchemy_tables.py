"""Classic `Table("name", metadata, Column(...), ...)` objects, and `Index(...)` written beside models.

A module-level `users = Table("users", metadata, ...)` (or Flask-SQLAlchemy's `db.Table(...)`) is a
model named after its variable (its name a literal, or an expression that resolves: `values.py`), with
the columns and table-level constraints among its arguments;
`Table(..., autoload_with=engine)` takes its columns from the database and is reported as
unresolved. A module-level `Index("ix_name", User.email)` or `Index("ix_name", users.c.email)` is
added to the table its columns belong to.
"""

from __future__ import annotations

import ast

from ..contracts.registry import Index, Resolved
from . import literals
from .model_parts import COLUMN_CALLS, Draft, Note, add_column_indexes, apply_constraints, column_from_call
from .sqlalchemy_models import is_flask_db
from .symbols import ProjectIndex, Ref, last, statements
from .values import Frame, Known, sorted_sources, values_for

_REFLECTION = ("autoload_with", "autoload")


def _is_sqlalchemy(index: ProjectIndex, module: str, call: ast.Call, kind: str) -> bool:
    """Whether `call` builds SQLAlchemy's `kind` (`Table`, `Index`), directly or through Flask-SQLAlchemy's `db`."""
    name = index.qualname(module, call.func)
    if last(name) != kind:
        return False
    if name.startswith(("sqlalchemy.", "sqlmodel.")):
        return True
    return isinstance(call.func, ast.Attribute) and is_flask_db(index, module, call.func.value)


def _assigned_call(stmt: ast.stmt) -> tuple[str, ast.Call] | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target, value = stmt.target, stmt.value
    else:
        return None
    return (target.id, value) if isinstance(target, ast.Name) and isinstance(value, ast.Call) else None


def scan_tables(index: ProjectIndex, note: Note) -> list[Draft]:
    found: list[Draft] = []
    for module, info in index.modules.items():
        for stmt, _, _ in statements(info.source, info.tree.body):
            assigned = _assigned_call(stmt)
            if assigned is None or not _is_sqlalchemy(index, module, assigned[1], "Table"):
                continue
            variable, call = assigned
            file = info.source.rel
            name = literals.keyword(call, "name", 0)
            table = literals.string(name)
            source = None
            if table is None and name is not None:  # Table(f"{PREFIX}users", ...): resolved when it can be
                result = values_for(index).evaluate(Frame(module), name)
                if isinstance(result, Known) and isinstance(result.value, str):
                    table = result.value
                    source = Resolved(
                        file=file,
                        line=stmt.lineno,
                        expression=f"{variable}: Table({literals.source(name)}, ...)",
                        value=table,
                        sources=sorted_sources(result.sources),
                        detail="; ".join(result.notes),
                    )
            if table is None:
                note(file, stmt.lineno, f"Table {variable} has no literal name; not listed")
                continue
            if any(literals.keyword(call, k) is not None for k in _REFLECTION):
                note(
                    file,
                    stmt.lineno,
                    f"Table {variable} ({table!r}) is reflected from the database; its columns "
                    "are not known statically",
                )
            draft = Draft(variable, table, file, stmt.lineno, module, Ref("local", module, variable))
            draft.table_source = source
            constraints: list[ast.expr] = []
            for arg in call.args[1:]:
                if not isinstance(arg, ast.Call):
                    continue  # the MetaData
                if last(index.qualname(module, arg.func)) not in COLUMN_CALLS:
                    constraints.append(arg)
                elif (column := literals.string(arg.args[0]) if arg.args else None) is not None:
                    draft.columns[column] = column_from_call(index, draft, module, column, None, arg)
                else:
                    note(file, arg.lineno, f"a column of Table {variable} has no literal name; not listed")
            apply_constraints(index, draft, module, constraints)
            add_column_indexes(draft)
            found.append(draft)
    return found


def add_module_indexes(index: ProjectIndex, drafts: list[Draft], note: Note) -> None:
    """`Index("ix_users_email", User.email)` at module level: an index of the model it names."""
    by_ref = {d.ref: d for d in drafts if d.ref is not None}
    for module, info in index.modules.items():
        for stmt, _, _ in statements(info.source, info.tree.body):
            call = stmt.value if isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign) else None
            if not isinstance(call, ast.Call) or not _is_sqlalchemy(index, module, call, "Index"):
                continue
            name = literals.string(literals.keyword(call, "name", 0))
            owners = [_owner(index, module, arg, by_ref) for arg in call.args[1:]]
            draft = owners[0] if owners and all(o is not None and o is owners[0] for o in owners) else None
            if name is None or draft is None:
                note(
                    info.source.rel,
                    stmt.lineno,
                    f"Index {literals.source(call)[:80]} is not resolved to one model's columns; not listed",
                )
                continue
            columns = [draft.column_name(arg.attr) for arg in call.args[1:] if isinstance(arg, ast.Attribute)]
            unique = bool(literals.boolean(literals.keyword(call, "unique")))
            draft.indexes.append(Index(name=name, columns=columns, unique=unique))


def _owner(index: ProjectIndex, module: str, arg: ast.expr, by_ref: dict[Ref, Draft]) -> Draft | None:
    """The model of `User.email` or the Table of `users.c.email`."""
    if not isinstance(arg, ast.Attribute):
        return None
    owner = arg.value
    if isinstance(owner, ast.Attribute) and owner.attr == "c":
        owner = owner.value
    ref = index.resolve(module, owner)
    return by_ref.get(ref) if ref is not None else None
