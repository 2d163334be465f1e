"""SQLModel tables: `class Hero(SQLModel, table=True)`.

The table is the literal `__tablename__`, else what a `@declared_attr __tablename__` on a scanned base
returns for the class (or a `__tablename__` expression that resolves; `model_parts.declared_table`),
else the lowercased class name (SQLModel's default).
Every annotated field is a column, those of non-table SQLModel bases (`class HeroBase(SQLModel)`)
first, as pydantic orders them; `Field(primary_key=..., foreign_key="team.id", unique=..., index=...,
nullable=..., sa_type=..., sa_column=Column(...))` refines it, and `Relationship(...)` is a relation.
A column is nullable when its annotation is Optional and it is not a primary key, unless `nullable=`
says otherwise. Types are named as SQLAlchemy's (`str` -> `String`, `max_length=50` -> `String(50)`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..contracts.registry import Column
from . import literals
from .model_parts import (
    COLUMN_CALLS,
    PY_TYPES,
    Draft,
    add_column_indexes,
    apply_constraints,
    column_from_call,
    declared_table,
    relation,
    render_type,
    split_optional,
    unquote,
)
from .sqlalchemy_models import class_attr
from .symbols import ProjectIndex, Ref, dotted, last

_SQLMODEL = frozenset({"SQLModel"})
_NOT_FIELDS = frozenset({"model_config"})
_STRING_TYPES = frozenset(
    {"str", "EmailStr", "Path", "IPv4Address", "IPv6Address", "IPv4Network", "IPv6Network"}
)


def is_table(node: ast.ClassDef) -> bool:
    return any(k.arg == "table" and literals.boolean(k.value) is True for k in node.keywords)


class SQLModelScanner:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index

    def lineage(self, ref: Ref, node: ast.ClassDef) -> list[tuple[Ref, ast.ClassDef]]:
        """Non-table SQLModel bases in pydantic's field order (the furthest first), then the class."""
        order: list[tuple[Ref, ast.ClassDef]] = []

        def visit(current: Ref, cls: ast.ClassDef, top: bool) -> None:
            if any(r == current for r, _ in order) or (not top and is_table(cls)):
                return
            for base in reversed(self.index.bases(current.module, cls)):
                base_node = self.index.class_def(base)
                if base_node is not None:
                    visit(base, base_node, False)
            order.append((current, cls))

        visit(ref, node, True)
        return order

    def model(self, ref: Ref, node: ast.ClassDef) -> Draft:
        file = self.index.modules[ref.module].source.rel
        table = literals.string(class_attr(node, "__tablename__"))
        source = None
        if table is None:
            table, source = declared_table(self.index, ref, node, file)
        draft = Draft(node.name, table or node.name.lower(), file, node.lineno, ref.module, ref)
        draft.table_source = source if table is not None else None
        fields: dict[str, tuple[str, ast.AnnAssign]] = {}
        for owner, cls in self.lineage(ref, node):
            for stmt in cls.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    fields[stmt.target.id] = (owner.module, stmt)  # a subclass overrides, in place
        for name, (module, stmt) in fields.items():
            if not name.startswith("_") and name not in _NOT_FIELDS:
                self._field(draft, module, name, stmt)
        table_args = class_attr(node, "__table_args__")
        if isinstance(table_args, ast.Tuple | ast.List):
            apply_constraints(self.index, draft, ref.module, list(table_args.elts))
        add_column_indexes(draft)
        return draft

    def _field(self, draft: Draft, module: str, name: str, stmt: ast.AnnAssign) -> None:
        annotation = unquote(stmt.annotation)
        if annotation is None or last(dotted(_outer(annotation))) == "ClassVar":
            return
        call = stmt.value if isinstance(stmt.value, ast.Call) else None
        callee = last(self.index.qualname(module, call.func)) if call is not None else ""
        if call is not None and callee == "Relationship":
            draft.relations.append(relation(name, annotation, call))
            return
        field = call if call is not None and callee == "Field" else None
        sa_column = literals.keyword(field, "sa_column") if field is not None else None
        if (
            isinstance(sa_column, ast.Call)
            and last(self.index.qualname(module, sa_column.func)) in COLUMN_CALLS
        ):
            draft.columns[name] = column_from_call(self.index, draft, module, name, None, sa_column)
            return
        draft.columns[name] = self._column(draft, module, name, annotation, field)

    def _column(
        self, draft: Draft, module: str, name: str, annotation: ast.expr, field: ast.Call | None
    ) -> Column:
        def keyword(key: str) -> ast.expr | None:
            return literals.keyword(field, key) if field is not None else None

        optional, inner = split_optional(annotation)
        primary_key = bool(literals.boolean(keyword("primary_key")))
        nullable = literals.boolean(keyword("nullable"))
        foreign_key = keyword("foreign_key")
        if foreign_key is not None:
            draft.foreign_keys[name] = (module, foreign_key)
        sa_type = keyword("sa_type")
        return Column(
            name=name,
            type=render_type(sa_type) if sa_type is not None else self._type(module, inner, keyword),
            nullable=(not primary_key and optional) if nullable is None else nullable,
            primary_key=primary_key,
            unique=bool(literals.boolean(keyword("unique"))),
            index=bool(literals.boolean(keyword("index"))),
        )

    def _type(self, module: str, inner: ast.expr, keyword: Callable[[str], ast.expr | None]) -> str:
        name = last(dotted(inner))
        ref = self.index.resolve(module, inner)
        if self.index.derives_from(ref, frozenset({"Enum", "StrEnum", "IntEnum"})):
            return "Enum"
        if name in _STRING_TYPES:
            length = keyword("max_length")
            return f"String({literals.source(length)})" if length is not None else "String"
        if name == "Decimal":
            digits, places = keyword("max_digits"), keyword("decimal_places")
            if digits is not None or places is not None:
                args = [literals.source(n) if n is not None else "None" for n in (digits, places)]
                return f"Numeric({', '.join(args)})"
        return PY_TYPES.get(name, literals.source(inner))


def _outer(annotation: ast.expr) -> ast.expr:
    return annotation.value if isinstance(annotation, ast.Subscript) else annotation


def scan_sqlmodel(index: ProjectIndex) -> list[Draft]:
    scanner = SQLModelScanner(index)
    found: list[Draft] = []
    for module, info in index.modules.items():
        for name, bound in info.bindings.items():
            ref = Ref("local", module, name)
            if (
                isinstance(bound.node, ast.ClassDef)
                and is_table(bound.node)
                and index.derives_from(ref, _SQLMODEL)
            ):
                found.append(scanner.model(ref, bound.node))
    return found
