"""What every model style shares: columns from `Column(...)`/`mapped_column(...)` calls, table-level
constraints, foreign-key resolution, and reading type annotations.

A `Draft` is a model being read: declarative classes, SQLModel tables and `Table(...)` objects
all become one, and `finish` turns it into the contract's `Model`. Types are named by their
SQLAlchemy type as written (`String(255)`, `Integer`), or, from a Python annotation, by the type
SQLAlchemy maps it to (`int` -> `Integer`, `str` -> `String`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from ..contracts.registry import Column, Index, Model, Relation, Resolved
from . import literals
from .symbols import ProjectIndex, Ref, dotted, last
from .values import Frame, Known, Values, sorted_sources, values_for

COLUMN_CALLS = frozenset({"mapped_column", "Column"})
_NOT_TYPES = frozenset(
    {"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint", "FetchedValue", "DefaultClause"}
)
_COLLECTIONS = frozenset({"list", "List", "set", "Set", "Sequence", "Collection", "MutableSequence"})
_MAPPED = frozenset({"Mapped", "WriteOnlyMapped", "DynamicMapped"})
PY_TYPES = {
    "int": "Integer",
    "str": "String",
    "bool": "Boolean",
    "float": "Float",
    "Decimal": "Numeric",
    "datetime": "DateTime",
    "date": "Date",
    "time": "Time",
    "timedelta": "Interval",
    "bytes": "LargeBinary",
    "UUID": "Uuid",
}

Note = Callable[[str, int, str], None]  # (file, line, reason)


@dataclass
class Draft:
    """A model being read. `ref` is the class (None for a `Table(...)` object)."""

    name: str
    table: str
    file: str
    line: int
    module: str
    ref: Ref | None = None
    columns: dict[str, Column] = field(default_factory=dict)  # by attribute name
    indexes: list[Index] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    foreign_keys: dict[str, tuple[str, ast.expr]] = field(default_factory=dict)  # attr -> (module, expr)
    table_source: Resolved | None = None  # where a table name that is not a literal came from

    def column_name(self, attr: str) -> str:
        column = self.columns.get(attr)
        return column.name if column is not None else attr

    def attr_of(self, column_name: str) -> str:
        return next((a for a, c in self.columns.items() if c.name == column_name), column_name)


def column_from_call(
    index: ProjectIndex, draft: Draft, module: str, attr: str, mapped: ast.expr | None, call: ast.Call | None
) -> Column:
    """A column from `Column(...)`/`mapped_column(...)` and/or its `Mapped[...]` annotation."""
    args = call.args if call is not None else []
    column_name = literals.string(args[0]) if args else None
    type_text = None
    for arg in args[1:] if column_name is not None else args:
        callee = arg.func if isinstance(arg, ast.Call) else arg
        kind = last(index.qualname(module, callee))
        if kind == "ForeignKey" and isinstance(arg, ast.Call) and arg.args:
            draft.foreign_keys[attr] = (module, arg.args[0])
        elif kind not in _NOT_TYPES and type_text is None and isinstance(arg, ast.Name | ast.Attribute | ast.Call):
            type_text = render_type(arg)
    optional, inner = split_optional(mapped) if mapped is not None else (False, None)
    if type_text is None and inner is not None:
        type_text = PY_TYPES.get(last(dotted(inner)), literals.source(inner))

    def flag(name: str) -> bool | None:
        return literals.boolean(literals.keyword(call, name)) if call is not None else None

    primary_key = bool(flag("primary_key"))
    nullable = flag("nullable")
    if nullable is None:
        nullable = False if primary_key else optional if mapped is not None else True
    return Column(
        name=column_name or attr,
        type=type_text or "unknown",
        nullable=nullable,
        primary_key=primary_key,
        unique=bool(flag("unique")),
        index=bool(flag("index")),
    )


def apply_constraints(index: ProjectIndex, draft: Draft, module: str, items: list[ast.expr]) -> None:
    """Table-level `Index`, `UniqueConstraint`, `PrimaryKeyConstraint`, `ForeignKeyConstraint`."""
    for item in items:
        if not isinstance(item, ast.Call):
            continue
        kind = last(index.qualname(module, item.func))
        cols = [_constraint_column(draft, a) for a in item.args]
        name = literals.string(literals.keyword(item, "name"))
        if kind == "Index" and cols:
            unique = bool(literals.boolean(literals.keyword(item, "unique")))
            index_name = literals.string(item.args[0]) or literals.source(item.args[0])
            draft.indexes.append(Index(name=index_name, columns=cols[1:], unique=unique))
        elif kind == "UniqueConstraint" and cols:
            draft.indexes.append(Index(name=name or f"uq_{draft.table}_{'_'.join(cols)}", columns=cols, unique=True))
        elif kind == "PrimaryKeyConstraint":
            for column in cols:
                attr = draft.attr_of(column)
                if attr in draft.columns:
                    draft.columns[attr] = draft.columns[attr].model_copy(
                        update={"primary_key": True, "nullable": False}
                    )
        elif kind == "ForeignKeyConstraint" and len(item.args) == 2:
            local, remote = literals.strings(item.args[0]) or [], literals.strings(item.args[1]) or []
            for column, target in zip(local, remote, strict=False):
                draft.foreign_keys[draft.attr_of(column)] = (module, ast.Constant(target))


def _constraint_column(draft: Draft, node: ast.expr) -> str:
    """A column named in a constraint: `"email"`, or the attribute `User.email`/`users.c.email`."""
    text = literals.string(node)
    if text is not None:
        return draft.column_name(text)
    if isinstance(node, ast.Attribute):
        return draft.column_name(node.attr)
    return literals.source(node)


def add_column_indexes(draft: Draft) -> None:
    """The `ix_<table>_<column>` index SQLAlchemy creates for each `index=True` column."""
    for col in draft.columns.values():
        if col.index:
            draft.indexes.append(Index(name=f"ix_{draft.table}_{col.name}", columns=[col.name], unique=col.unique))


def resolve_foreign_keys(index: ProjectIndex, drafts: list[Draft], note: Note) -> None:
    """Set `foreign_key` ("table.column"), resolving `ForeignKey(User.id)` through the models."""
    by_class = {d.ref: d for d in drafts if d.ref is not None}
    by_table = {d.table: d for d in drafts}
    for draft in drafts:
        for attr, (module, target) in draft.foreign_keys.items():
            column = draft.columns.get(attr)
            if column is None:
                continue
            text = literals.string(target)
            if text is None and isinstance(target, ast.Attribute):  # ForeignKey(User.id), ForeignKey(users.c.id)
                owner_expr = target.value
                if isinstance(owner_expr, ast.Attribute) and owner_expr.attr == "c":
                    owner_expr = owner_expr.value
                ref = index.resolve(module, owner_expr)
                owner = by_class.get(ref) if ref is not None else None
                if owner is not None and target.attr in owner.columns:
                    text = f"{owner.table}.{owner.columns[target.attr].name}"
            if text is None:
                note(
                    draft.file,
                    draft.line,
                    f"foreign key {literals.source(target)} of {draft.name}.{attr} is unresolved",
                )
                continue
            update: dict[str, object] = {"foreign_key": text}
            if column.type == "unknown":  # Column(ForeignKey("users.id")) takes the type of users.id
                table, _, target_column = text.rpartition(".")
                referenced = by_table.get(table)
                types = [c.type for c in referenced.columns.values() if c.name == target_column] if referenced else []
                update["type"] = types[0] if types else "unknown"
            draft.columns[attr] = column.model_copy(update=update)


def finish(draft: Draft) -> Model:
    return Model(
        name=draft.name,
        table=draft.table,
        file=draft.file,
        line=draft.line,
        columns=list(draft.columns.values()),
        indexes=sorted(draft.indexes, key=lambda i: i.name),
        relations=draft.relations,
    )


def mapped_inner(annotation: ast.expr | None) -> tuple[str, ast.expr | None]:
    """(`Mapped`, `T`) for `Mapped[T]` (string annotations parsed); ("", None) for anything else."""
    annotation = unquote(annotation)
    if not isinstance(annotation, ast.Subscript) or last(dotted(annotation.value)) not in _MAPPED:
        return "", None
    return last(dotted(annotation.value)), unquote(annotation.slice)


def unquote(node: ast.expr | None) -> ast.expr | None:
    """A string annotation (`"User"`, `"list[Order]"`) parsed; anything else unchanged."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    return node


def split_optional(node: ast.expr) -> tuple[bool, ast.expr]:
    """(is it Optional, the inner type) for `Optional[T]`, `Union[T, None]`, `T | None`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        parts = [p for p in (node.left, node.right) if not _is_none(p)]
        if len(parts) == 1:
            return True, parts[0]
    if isinstance(node, ast.Subscript) and last(dotted(node.value)) in ("Optional", "Union"):
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        parts = [p for p in elts if not _is_none(p)]
        if len(parts) == 1 and (len(elts) > 1 or last(dotted(node.value)) == "Optional"):
            return True, parts[0]
    return False, node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def render_type(node: ast.expr) -> str:
    """`sa.String(255)` -> `String(255)`, `Integer()` -> `Integer`, `DateTime(timezone=True)` as written."""
    if isinstance(node, ast.Call):
        name = last(dotted(node.func))
        if not node.args and not node.keywords:
            return name
        return literals.source(ast.Call(ast.Name(name), node.args, node.keywords))
    return last(dotted(node))


def relation(name: str, annotation: ast.expr | None, call: ast.Call) -> Relation:
    """A relationship from `relationship(...)`/`Relationship(...)` and the attribute's annotation."""
    uselist: bool | None = None
    target: ast.expr | None = None
    if annotation is not None:
        inner = unquote(split_optional(annotation)[1])
        if isinstance(inner, ast.Subscript) and last(dotted(inner.value)) in _COLLECTIONS:
            uselist, target = True, unquote(inner.slice)
        else:
            uselist, target = False, inner
    elif call.args:
        target = unquote(call.args[0]) or call.args[0]
    explicit = literals.boolean(literals.keyword(call, "uselist"))
    return Relation(
        name=name,
        target=dotted(target) if target is not None else "unknown",
        back_populates=literals.string(literals.keyword(call, "back_populates")),
        uselist=explicit if explicit is not None else uselist,
    )


def declared_table(index: ProjectIndex, ref: Ref, node: ast.ClassDef, file: str) -> tuple[str | None, Resolved | None]:
    """The table of model `ref` when `__tablename__` is not a literal the model (or a mixin) writes:

    - a `@declared_attr` (`declared_attr.directive`) method, on the model or on any scanned base —
      the declarative base included, as a naming convention for every subclass — evaluated with `cls`
      bound to the model (`return cls.__name__.lower()`, a helper turning the name into snake_case, ...);
    - an expression that resolves (`__tablename__ = PREFIX + "users"`).

    (name, where it came from) when it resolves; (None, None) when no class defines `__tablename__` that
    way (or a literal comes first); (None, Resolved with the reason in `detail`, value None) when one does
    but it does not resolve.
    """
    values = values_for(index)
    for owner in [ref, *index.ancestors(ref)]:
        cls = index.class_def(owner)
        if cls is None:
            continue
        for stmt in reversed(cls.body):
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "__tablename__":
                return _from_declared_attr(values, ref, node, owner, stmt, file)
            value = _assigned(stmt, "__tablename__")
            if value is None:
                continue
            if literals.string(value) is not None:
                return None, None  # a literal: the caller's own rules apply
            result = values.evaluate(Frame(owner.module), value)
            expression = f"{cls.name}.__tablename__ = {literals.source(value)}"
            if isinstance(result, Known) and isinstance(result.value, str):
                where = values.where(owner.module, stmt.lineno)
                detail = "; ".join([f"__tablename__ of {cls.name} ({where})", *result.notes])
                return result.value, _table_resolved(file, node, expression, result.value, result.sources, detail)
            reason = result.reason if not isinstance(result, Known) else f"it is {result.value!r}, not a string"
            return None, _table_resolved(file, node, expression, None, (), reason)
    return None, None


def _from_declared_attr(
    values: Values, ref: Ref, node: ast.ClassDef, owner: Ref, func: ast.FunctionDef, file: str
) -> tuple[str | None, Resolved | None]:
    where = values.where(owner.module, func.lineno)
    decorators = {last(dotted(d.func if isinstance(d, ast.Call) else d)) for d in func.decorator_list}
    decorators |= {dotted(d) for d in func.decorator_list}
    owner_name = owner.name or node.name
    expression = f"{owner_name}.__tablename__ (declared_attr)"
    if not decorators & {"declared_attr", "declared_attr.directive", "directive"}:
        return None, _table_resolved(
            file, node, expression, None, (), f"{where}: __tablename__ is a method without @declared_attr"
        )
    params = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    bound = {params[0]: Known(values.class_of(ref.module, node, ref))} if params else {}
    result = values.call_function(owner.module, func, bound)
    if isinstance(result, Known) and isinstance(result.value, str):
        returned = next((literals.source(r.value) for r in ast.walk(func) if isinstance(r, ast.Return) and r.value), "")
        detail = "; ".join(
            [
                f"the declared_attr __tablename__ of {owner_name} ({where}) names the table of each subclass: "
                f"return {returned}",
                *result.notes,
            ]
        )
        return result.value, _table_resolved(file, node, expression, result.value, (where, *result.sources), detail)
    reason = result.reason if not isinstance(result, Known) else f"it returns {result.value!r}, not a string"
    return None, _table_resolved(
        file, node, expression, None, (where,), f"the declared_attr ({where}) does not resolve statically: {reason}"
    )


def _assigned(stmt: ast.stmt, name: str) -> ast.expr | None:
    if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
        return stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
        return stmt.value
    return None


def _table_resolved(
    file: str, node: ast.ClassDef, expression: str, value: str | None, sources: tuple[str, ...], detail: str
) -> Resolved:
    return Resolved(
        file=file,
        line=node.lineno,
        expression=f"{node.name}: {expression}",
        value=value,
        sources=sorted_sources(sources),
        detail=detail,
    )
