"""SQLAlchemy declarative models, Flask-SQLAlchemy's `db.Model` included.

A model is a class deriving (transitively, within the scanned code) from a declarative base: a
`DeclarativeBase` subclass, a `declarative_base()`/`registry().generate_base()` result, an
`@as_declarative()` class, or the `Model` of a Flask-SQLAlchemy `db = SQLAlchemy()`. Its table is
its literal `__tablename__` (its own or a mixin's); else what a `@declared_attr def __tablename__(cls)`
on it or on a base returns for it (a naming convention on the declarative base: `cls.__name__.lower()`,
...), or a `__tablename__` expression that resolves (`model_parts.declared_table`, recorded in the
registry's `resolved`); else, for a Flask-SQLAlchemy model, the snake_case class name, as
Flask-SQLAlchemy 3 gives it. Columns come from `Mapped[...]` annotations, `mapped_column(...)`
and classic `Column(...)`; those of mixins and `__abstract__` bases are inherited, those of a
concrete parent model (joined-table inheritance) are not.
"""

from __future__ import annotations

import ast
import re

from . import literals
from .model_parts import (
    COLUMN_CALLS,
    Draft,
    Note,
    add_column_indexes,
    apply_constraints,
    column_from_call,
    declared_table,
    mapped_inner,
    relation,
)
from .symbols import ProjectIndex, Ref, dotted, last

_ROOT_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
_ROOT_FACTORIES = frozenset({"declarative_base", "generate_base"})


def snake_case(name: str) -> str:
    """Flask-SQLAlchemy 3's default table name: `OrderLine` -> `order_line`, `HTTPLog` -> `http_log`."""
    return re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")


def is_flask_db(index: ProjectIndex, module: str, expr: ast.expr) -> bool:
    """Whether `expr` names a Flask-SQLAlchemy `db = SQLAlchemy(...)` object."""
    ref = index.resolve(module, expr)
    bound = index.binding(ref)
    return (
        ref is not None
        and bound is not None
        and isinstance(bound.node, ast.Call)
        and last(index.qualname(ref.module, bound.node.func)) == "SQLAlchemy"
    )


def class_attr(node: ast.ClassDef, name: str) -> ast.expr | None:
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return stmt.value
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            return stmt.value
    return None


class DeclarativeScanner:
    def __init__(self, index: ProjectIndex, note: Note) -> None:
        self.index = index
        self.note = note
        self._roots: dict[Ref, str | None] = {}

    def root_kind(self, ref: Ref) -> str | None:
        """ "sqlalchemy" or "flask" when `ref` is a declarative base itself, else None."""
        if ref not in self._roots:
            self._roots[ref] = self._root_kind(ref)
        return self._roots[ref]

    def _root_kind(self, ref: Ref) -> str | None:
        bound = self.index.binding(ref)
        node = bound.node if bound is not None else None
        if isinstance(node, ast.Call):  # Base = declarative_base() / registry().generate_base()
            return (
                "sqlalchemy" if last(self.index.qualname(ref.module, node.func)) in _ROOT_FACTORIES else None
            )
        if not isinstance(node, ast.ClassDef):
            return None
        if any(
            b.kind == "external" and last(b.module) in _ROOT_BASES for b in self.index.bases(ref.module, node)
        ):
            return "sqlalchemy"  # class Base(DeclarativeBase)
        decorators = (d.func if isinstance(d, ast.Call) else d for d in node.decorator_list)
        return "sqlalchemy" if any(last(dotted(d)) == "as_declarative" for d in decorators) else None

    def is_flask_model_base(self, module: str, base: ast.expr) -> bool:
        """`db.Model`, where `db = SQLAlchemy(...)` (Flask-SQLAlchemy)."""
        return (
            isinstance(base, ast.Attribute)
            and base.attr == "Model"
            and is_flask_db(self.index, module, base.value)
        )

    def flavour(self, ref: Ref, seen: frozenset[Ref] = frozenset()) -> str | None:
        """ "sqlalchemy" or "flask" when the class `ref` is mapped (derives from a declarative base)."""
        node = self.index.class_def(ref)
        if node is None or ref in seen or self.root_kind(ref) is not None:
            return None
        for expr, base in zip(node.bases, self.index.bases(ref.module, node), strict=True):
            if self.is_flask_model_base(ref.module, expr):
                return "flask"
            if base.kind != "local":
                continue
            kind = self.root_kind(base) or self.flavour(base, seen | {ref})
            if kind is not None:
                return kind
        return None

    def is_concrete(self, ref: Ref) -> bool:
        node = self.index.class_def(ref)
        return (
            node is not None
            and self.flavour(ref) is not None
            and not literals.boolean(class_attr(node, "__abstract__"))
        )

    def lineage(self, ref: Ref, node: ast.ClassDef) -> list[tuple[Ref, ast.ClassDef]]:
        """The mixins/abstract bases whose columns `ref` inherits, then `ref` itself (reverse MRO)."""
        order: list[tuple[Ref, ast.ClassDef]] = []

        def visit(current: Ref, cls: ast.ClassDef, top: bool) -> None:
            if any(r == current for r, _ in order):
                return
            if not top and (
                self.root_kind(current) is not None
                or class_attr(cls, "__tablename__") is not None
                or self.is_concrete(current)
            ):
                return  # the declarative base, or a concrete parent model with its own table
            for base in reversed(self.index.bases(current.module, cls)):
                base_node = self.index.class_def(base)
                if base_node is not None:
                    visit(base, base_node, False)
            order.append((current, cls))

        visit(ref, node, True)
        return order

    def model(self, ref: Ref, node: ast.ClassDef, flavour: str) -> Draft | None:
        file = self.index.modules[ref.module].source.rel
        lineage = self.lineage(ref, node)
        if literals.boolean(class_attr(node, "__abstract__")):
            return None
        table = next(
            (t for _, cls in reversed(lineage) if (t := literals.string(class_attr(cls, "__tablename__")))),
            None,
        )
        source = None
        if table is None:
            table, source = declared_table(self.index, ref, node, file)
            if table is None and source is not None and flavour == "flask":
                self.note(file, node.lineno, f"model {node.name}: {source.detail}; the default table name is used")
        draft = Draft(node.name, table or snake_case(node.name), file, node.lineno, ref.module, ref)
        draft.table_source = source if table is not None else None
        # own columns first, then the inherited ones: the order SQLAlchemy gives the table
        for owner, cls in reversed(lineage):
            for stmt in cls.body:
                self._member(draft, owner.module, stmt)
        if table is None and flavour != "flask":
            why = f" ({source.detail})" if source is not None else ""
            self.note(file, node.lineno, f"model {node.name} has no literal __tablename__{why}; not listed")
            return None
        if table is None and (parent := self._single_table_parent(ref, node, draft)) is not None:
            self.note(
                file,
                node.lineno,
                f"model {node.name} extends {parent} without a primary key of its own (single-table "
                f"inheritance): its columns are in {parent}'s table; not listed",
            )
            return None
        table_args = class_attr(node, "__table_args__")
        if isinstance(table_args, ast.Tuple | ast.List):
            apply_constraints(self.index, draft, ref.module, list(table_args.elts))
        elif table_args is not None and not isinstance(table_args, ast.Dict):
            self.note(
                file,
                table_args.lineno,
                f"__table_args__ of {node.name} is not a literal tuple; its indexes and constraints are not listed",
            )
        add_column_indexes(draft)
        return draft

    def _single_table_parent(self, ref: Ref, node: ast.ClassDef, draft: Draft) -> str | None:
        """The concrete model a Flask-SQLAlchemy class shares its table with, when it has no primary key
        of its own (then Flask-SQLAlchemy gives it no table); None when it gets its own table."""
        if any(c.primary_key for c in draft.columns.values()):
            return None
        parents = [b for b in self.index.bases(ref.module, node) if b.kind == "local" and self.is_concrete(b)]
        return parents[0].name if parents else None

    def _member(self, draft: Draft, module: str, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, annotation, value = stmt.target.id, stmt.annotation, stmt.value
        elif (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        ):
            name, annotation, value = stmt.targets[0].id, None, stmt.value
        else:
            return
        if name.startswith("__") or name in draft.columns or any(r.name == name for r in draft.relations):
            return  # dunder, or overridden by a subclass
        wrapper, mapped = mapped_inner(annotation)
        call = value if isinstance(value, ast.Call) else None
        callee = last(self.index.qualname(module, call.func)) if call is not None else ""
        if callee == "relationship" and call is not None:
            draft.relations.append(relation(name, mapped, call))
        elif callee in COLUMN_CALLS and call is not None:
            draft.columns[name] = column_from_call(self.index, draft, module, name, mapped, call)
        elif value is None and wrapper == "Mapped":
            draft.columns[name] = column_from_call(self.index, draft, module, name, mapped, None)


def scan_declarative(index: ProjectIndex, note: Note) -> list[Draft]:
    scanner = DeclarativeScanner(index, note)
    found: list[Draft] = []
    for module, info in index.modules.items():
        for name, bound in info.bindings.items():
            ref = Ref("local", module, name)
            if not isinstance(bound.node, ast.ClassDef):
                continue
            flavour = scanner.flavour(ref)
            if flavour is not None and (draft := scanner.model(ref, bound.node, flavour)) is not None:
                found.append(draft)
    return found
