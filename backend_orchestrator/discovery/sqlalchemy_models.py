"""SQLAlchemy declarative models: tables, columns, indexes, relationships.

A model is a class deriving (transitively, within the scanned code) from a `DeclarativeBase`
subclass, a `declarative_base()`/`registry().generate_base()` result, or an `@as_declarative()`
class, with a literal `__tablename__`. Columns come from `Mapped[...]` annotations,
`mapped_column(...)` and classic `Column(...)`; those of mixins and `__abstract__` bases are
inherited, those of a concrete parent model (joined-table inheritance) are not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..contracts.registry import Column, Index, Model, Relation, Unresolved
from . import literals
from .symbols import ProjectIndex, Ref, dotted, last

_ROOT_BASES = frozenset({"DeclarativeBase", "DeclarativeBaseNoMeta"})
_ROOT_FACTORIES = frozenset({"declarative_base", "generate_base"})
_COLUMN_CALLS = frozenset({"mapped_column", "Column"})
_NOT_TYPES = frozenset(
    {"ForeignKey", "Sequence", "Identity", "Computed", "CheckConstraint", "FetchedValue", "DefaultClause"}
)
_COLLECTIONS = frozenset({"list", "List", "set", "Set", "Sequence", "Collection", "MutableSequence"})
_MAPPED = frozenset({"Mapped", "WriteOnlyMapped", "DynamicMapped"})
_PY_TYPES = {
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


@dataclass
class _Model:
    ref: Ref
    node: ast.ClassDef
    table: str
    file: str
    columns: dict[str, Column] = field(default_factory=dict)  # by attribute name
    indexes: list[Index] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    foreign_keys: dict[str, tuple[str, ast.expr]] = field(default_factory=dict)  # attr -> (module, expr)


class _Scanner:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.unresolved: list[Unresolved] = []
        self._roots: dict[Ref, bool] = {}

    def note(self, file: str, line: int, reason: str) -> None:
        self.unresolved.append(Unresolved(file=file, line=line, reason=reason))

    def is_root(self, ref: Ref) -> bool:
        """Whether `ref` is a declarative base itself."""
        if ref not in self._roots:
            self._roots[ref] = self._is_root(ref)
        return self._roots[ref]

    def _is_root(self, ref: Ref) -> bool:
        bound = self.index.binding(ref)
        node = bound.node if bound is not None else None
        if isinstance(node, ast.Call):  # Base = declarative_base() / registry().generate_base()
            return last(self.index.qualname(ref.module, node.func)) in _ROOT_FACTORIES
        if not isinstance(node, ast.ClassDef):
            return False
        if any(
            b.kind == "external" and last(b.module) in _ROOT_BASES for b in self.index.bases(ref.module, node)
        ):
            return True  # class Base(DeclarativeBase)
        decorators = (d.func if isinstance(d, ast.Call) else d for d in node.decorator_list)
        return any(last(dotted(d)) == "as_declarative" for d in decorators)

    def is_mapped(self, ref: Ref) -> bool:
        return not self.is_root(ref) and any(
            self.is_root(b) for b in self.index.ancestors(ref) if b.kind == "local"
        )

    def lineage(self, ref: Ref, node: ast.ClassDef) -> list[tuple[Ref, ast.ClassDef]]:
        """The mixins/abstract bases whose columns `ref` inherits, then `ref` itself (reverse MRO)."""
        order: list[tuple[Ref, ast.ClassDef]] = []

        def visit(current: Ref, cls: ast.ClassDef, top: bool) -> None:
            if any(r == current for r, _ in order):
                return
            if not top and (self.is_root(current) or _class_attr(cls, "__tablename__") is not None):
                return  # the declarative base, or a concrete parent model with its own table
            for base in reversed(self.index.bases(current.module, cls)):
                base_node = self.index.class_def(base)
                if base_node is not None:
                    visit(base, base_node, False)
            order.append((current, cls))

        visit(ref, node, True)
        return order

    def model(self, ref: Ref, node: ast.ClassDef) -> _Model | None:
        file = self.index.modules[ref.module].source.rel
        lineage = self.lineage(ref, node)
        if any(literals.boolean(_class_attr(cls, "__abstract__")) for r, cls in lineage if r == ref):
            return None
        table = next(
            (t for _, cls in reversed(lineage) if (t := literals.string(_class_attr(cls, "__tablename__")))),
            None,
        )
        if table is None:
            self.note(file, node.lineno, f"model {node.name} has no literal __tablename__; not listed")
            return None
        model = _Model(ref, node, table, file)
        # own columns first, then the inherited ones: the order SQLAlchemy gives the table
        for owner, cls in reversed(lineage):
            for stmt in cls.body:
                self._member(model, owner.module, stmt)
        table_args = _class_attr(node, "__table_args__")
        if table_args is not None:
            self._table_args(model, ref.module, table_args)
        for col in model.columns.values():
            if col.index:
                model.indexes.append(
                    Index(name=f"ix_{table}_{col.name}", columns=[col.name], unique=col.unique)
                )
        return model

    def _member(self, model: _Model, module: str, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            name, annotation, value = stmt.target.id, stmt.annotation, stmt.value
        elif (
            isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
        ):
            name, annotation, value = stmt.targets[0].id, None, stmt.value
        else:
            return
        if name.startswith("__") or name in model.columns or any(r.name == name for r in model.relations):
            return  # dunder, or overridden by a subclass
        wrapper, mapped = _mapped_inner(annotation)
        call = value if isinstance(value, ast.Call) else None
        callee = last(self.index.qualname(module, call.func)) if call is not None else ""
        if callee == "relationship" and call is not None:
            model.relations.append(_relation(name, mapped, call))
        elif callee in _COLUMN_CALLS and call is not None:
            model.columns[name] = self._column(model, module, name, mapped, call)
        elif value is None and wrapper == "Mapped":
            model.columns[name] = self._column(model, module, name, mapped, None)

    def _column(
        self, model: _Model, module: str, attr: str, mapped: ast.expr | None, call: ast.Call | None
    ) -> Column:
        args = call.args if call is not None else []
        column_name = literals.string(args[0]) if args else None
        type_text = None
        for arg in args[1:] if column_name is not None else args:
            callee = arg.func if isinstance(arg, ast.Call) else arg
            kind = last(self.index.qualname(module, callee))
            if kind == "ForeignKey" and isinstance(arg, ast.Call) and arg.args:
                model.foreign_keys[attr] = (module, arg.args[0])
            elif (
                kind not in _NOT_TYPES
                and type_text is None
                and isinstance(arg, ast.Name | ast.Attribute | ast.Call)
            ):
                type_text = _render_type(arg)
        optional, inner = _optional(mapped) if mapped is not None else (False, None)
        if type_text is None and inner is not None:
            type_text = _PY_TYPES.get(last(dotted(inner)), ast.unparse(inner))

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

    def _table_args(self, model: _Model, module: str, node: ast.expr) -> None:
        if isinstance(node, ast.Dict):
            return
        if not isinstance(node, ast.Tuple | ast.List):
            self.note(
                model.file,
                node.lineno,
                f"__table_args__ of {model.node.name} is not a literal tuple; "
                "its indexes and constraints are not listed",
            )
            return
        names = {attr: col.name for attr, col in model.columns.items()}
        for item in node.elts:
            if not isinstance(item, ast.Call):
                continue
            kind = last(self.index.qualname(module, item.func))
            cols = [
                names.get(s, s) if (s := literals.string(a)) is not None else ast.unparse(a)
                for a in item.args
            ]
            name = literals.string(literals.keyword(item, "name"))
            if kind == "Index" and cols:
                unique = bool(literals.boolean(literals.keyword(item, "unique")))
                index_name = literals.string(item.args[0]) or ast.unparse(item.args[0])
                model.indexes.append(Index(name=index_name, columns=cols[1:], unique=unique))
            elif kind == "UniqueConstraint" and cols:
                model.indexes.append(
                    Index(name=name or f"uq_{model.table}_{'_'.join(cols)}", columns=cols, unique=True)
                )
            elif kind == "ForeignKeyConstraint" and len(item.args) == 2:
                local, remote = literals.strings(item.args[0]) or [], literals.strings(item.args[1]) or []
                for column, target in zip(local, remote, strict=False):
                    attr = next((a for a, c in model.columns.items() if c.name == column), column)
                    model.foreign_keys[attr] = (module, ast.Constant(target))

    def resolve_foreign_keys(self, models: list[_Model]) -> None:
        """Set `foreign_key` ("table.column"), resolving `ForeignKey(User.id)` through the models."""
        by_class = {m.ref: m for m in models}
        by_table = {m.table: m for m in models}
        for model in models:
            for attr, (module, target) in model.foreign_keys.items():
                column = model.columns.get(attr)
                if column is None:
                    continue
                text = literals.string(target)
                if text is None and isinstance(target, ast.Attribute):  # ForeignKey(User.id)
                    ref = self.index.resolve(module, target.value)
                    owner = by_class.get(ref) if ref is not None else None
                    if owner is not None and target.attr in owner.columns:
                        text = f"{owner.table}.{owner.columns[target.attr].name}"
                if text is None:
                    where = f"{model.node.name}.{attr}"
                    self.note(
                        model.file,
                        model.node.lineno,
                        f"foreign key {ast.unparse(target)} of {where} is unresolved",
                    )
                    continue
                update: dict[str, object] = {"foreign_key": text}
                if column.type == "unknown":  # Column(ForeignKey("users.id")) takes the type of users.id
                    table, _, target_column = text.rpartition(".")
                    referenced = by_table.get(table)
                    types = (
                        [c.type for c in referenced.columns.values() if c.name == target_column]
                        if referenced
                        else []
                    )
                    update["type"] = types[0] if types else "unknown"
                model.columns[attr] = column.model_copy(update=update)


def scan_models(index: ProjectIndex) -> tuple[list[Model], list[Unresolved]]:
    scanner = _Scanner(index)
    found: list[_Model] = []
    for module, info in index.modules.items():
        for name, bound in info.bindings.items():
            ref = Ref("local", module, name)
            if isinstance(bound.node, ast.ClassDef) and scanner.is_mapped(ref):
                model = scanner.model(ref, bound.node)
                if model is not None:
                    found.append(model)
    scanner.resolve_foreign_keys(found)
    models = [
        Model(
            name=m.node.name,
            table=m.table,
            file=m.file,
            line=m.node.lineno,
            columns=list(m.columns.values()),
            indexes=sorted(m.indexes, key=lambda i: i.name),
            relations=m.relations,
        )
        for m in found
    ]
    return sorted(models, key=lambda m: (m.table, m.name, m.file)), scanner.unresolved


def _class_attr(node: ast.ClassDef, name: str) -> ast.expr | None:
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return stmt.value
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            return stmt.value
    return None


def _mapped_inner(annotation: ast.expr | None) -> tuple[str, ast.expr | None]:
    """(`Mapped`, `T`) for `Mapped[T]` (string annotations parsed); ("", None) for anything else."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        annotation = _parse(annotation.value)
    if not isinstance(annotation, ast.Subscript) or last(dotted(annotation.value)) not in _MAPPED:
        return "", None
    inner: ast.expr | None = annotation.slice
    if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
        inner = _parse(inner.value)
    return last(dotted(annotation.value)), inner


def _parse(text: str) -> ast.expr | None:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None


def _optional(node: ast.expr) -> tuple[bool, ast.expr]:
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


def _render_type(node: ast.expr) -> str:
    """`sa.String(255)` -> `String(255)`, `Integer()` -> `Integer`, `DateTime(timezone=True)` as written."""
    if isinstance(node, ast.Call):
        name = last(dotted(node.func))
        if not node.args and not node.keywords:
            return name
        return ast.unparse(ast.Call(ast.Name(name), node.args, node.keywords))
    return last(dotted(node))


def _relation(name: str, mapped: ast.expr | None, call: ast.Call) -> Relation:
    uselist: bool | None = None
    target: ast.expr | None = None
    if mapped is not None:
        _, inner = _optional(mapped)
        if isinstance(inner, ast.Subscript) and last(dotted(inner.value)) in _COLLECTIONS:
            uselist, target = True, inner.slice
        else:
            uselist, target = False, inner
    elif call.args:
        target = call.args[0]
    if isinstance(target, ast.Constant) and isinstance(target.value, str):
        target = _parse(target.value) or target
    explicit = literals.boolean(literals.keyword(call, "uselist"))
    return Relation(
        name=name,
        target=(literals.string(target) or dotted(target)) if target is not None else "unknown",
        back_populates=literals.string(literals.keyword(call, "back_populates")),
        uselist=explicit if explicit is not None else uselist,
    )
