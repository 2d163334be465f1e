"""Names across the scanned modules: imports, top-level bindings, and what an expression refers to.

`ProjectIndex.resolve(module, expr)` follows `import x.y as z`, `from .a import b` (relative and
absolute) and attribute access on modules, and answers with a `Ref`: a scanned module, a name bound
at the top level of a scanned module, or an external dotted name such as `fastapi.APIRouter`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from . import literals
from .files import SourceFile

_MAX_DEPTH = 12


@dataclass(frozen=True)
class Ref:
    kind: Literal["module", "local", "external"]
    module: str  # the module for "module"/"local"; the dotted name for "external"
    name: str = ""


@dataclass(frozen=True)
class Binding:
    node: ast.AST | None  # ClassDef, FunctionDef, or the assigned value (None when unknown)
    line: int
    conditional: bool


@dataclass(frozen=True)
class Import:
    module: str
    name: str | None  # None for `import module`
    line: int


@dataclass
class ModuleInfo:
    source: SourceFile
    tree: ast.Module
    imports: dict[str, Import] = field(default_factory=dict)
    bindings: dict[str, Binding] = field(default_factory=dict)
    stars: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.source.module


def walk_statements(
    body: list[ast.stmt], conditional: bool = False, loop: bool = False
) -> Iterator[tuple[ast.stmt, bool, bool]]:
    """Statements of one scope, entering compound statements but not defs: (stmt, conditional, loop)."""
    return iter(_flatten(body, conditional, loop, []))


def statements(source: SourceFile, body: list[ast.stmt]) -> list[tuple[ast.stmt, bool, bool]]:
    """`walk_statements(body)` as a list, computed once per file content and body (a scope's body is
    read by several analysers: the app/router finders, the name linker, the scope's own names)."""
    return source.parsed.memo(("statements", id(body)), lambda: _flatten(body, False, False, []))


def _flatten(
    body: list[ast.stmt], conditional: bool, loop: bool, out: list[tuple[ast.stmt, bool, bool]]
) -> list[tuple[ast.stmt, bool, bool]]:
    """`walk_statements` into `out` (a list: no generator per level of nesting)."""
    for stmt in body:
        out.append((stmt, conditional, loop))
        if type(stmt) in _NO_NESTED_SCOPE_STATEMENTS:
            continue
        if isinstance(stmt, ast.If):
            _flatten(stmt.body, True, loop, out)
            _flatten(stmt.orelse, True, loop, out)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            _flatten(stmt.body, True, True, out)
            _flatten(stmt.orelse, True, loop, out)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                _flatten(part, True, loop, out)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            _flatten(stmt.body, conditional, loop, out)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                _flatten(case.body, True, loop, out)
    return out


# statements with no statement of the same scope nested in them (a def's or class's body is another scope)
_NO_NESTED_SCOPE_STATEMENTS = frozenset(
    {
        ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Import, ast.ImportFrom, ast.Pass,
        ast.Raise, ast.Delete, ast.Global, ast.Nonlocal, ast.Break, ast.Continue, ast.Assert,
        ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
    }
)


def all_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in `body`, nested ones included (in defs, classes and compound statements).

    Much cheaper than visiting every node when only statements matter (imports, `raise`, `return`).
    """
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        stack.extend(reversed(child_statements(stmt)))


def absolute_module(info_module: str, is_package: bool, module: str | None, level: int) -> str:
    if not level:
        return module or ""
    parts = info_module.split(".") if is_package else info_module.split(".")[:-1]
    if level - 1 > len(parts):
        return ""
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])])


def imported_names(source: SourceFile, stmt: ast.stmt) -> Iterator[tuple[str, Import]]:
    """The names an import statement binds (`*` included, as the module it imports from)."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, Import(alias.name, None, stmt.lineno)
            else:
                top = alias.name.split(".")[0]
                yield top, Import(top, None, stmt.lineno)
    elif isinstance(stmt, ast.ImportFrom):
        module = absolute_module(source.module, source.is_package, stmt.module, stmt.level)
        for alias in stmt.names:
            yield (
                alias.asname or alias.name,
                Import(module, None if alias.name == "*" else alias.name, stmt.lineno),
            )


def _type_checking_only(body: list[ast.stmt]) -> set[int]:
    """Statements inside a module-level `if TYPE_CHECKING:` body: never run, so any other binding wins."""
    found: set[int] = set()
    for stmt in body:
        test = stmt.test if isinstance(stmt, ast.If) else None
        name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
        if isinstance(stmt, ast.If) and name == "TYPE_CHECKING":
            found.update(id(s) for s, _, _ in walk_statements(stmt.body))
    return found


def _module_info(source: SourceFile, tree: ast.Module) -> ModuleInfo:
    info = ModuleInfo(source, tree)
    typing_only = _type_checking_only(tree.body)
    from_typing_only: set[str] = set()  # names whose binding so far is one under `if TYPE_CHECKING:`
    for stmt, conditional, _ in statements(source, tree.body):
        names: list[tuple[str, ast.AST | None]] = []
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for name, imp in imported_names(source, stmt):
                if name == "*":
                    info.stars.append(imp.module)
                else:
                    info.imports.setdefault(name, imp)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append((stmt.name, stmt))
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    names.append((target.id, stmt.value))
                elif isinstance(target, ast.Tuple | ast.List):
                    names.extend((e.id, None) for e in target.elts if isinstance(e, ast.Name))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            names.append((stmt.target.id, stmt.value))
        for name, node in names:
            # an unconditional binding wins; one under `if TYPE_CHECKING:` loses to any other
            if name not in info.bindings or not conditional or name in from_typing_only:
                info.bindings[name] = Binding(node, stmt.lineno, conditional)
                if id(stmt) in typing_only:
                    from_typing_only.add(name)
                else:
                    from_typing_only.discard(name)
    return info


def dotted(expr: ast.AST) -> str:
    """`a.b.c` for a Name/Attribute chain, else the expression's source text."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{dotted(expr.value)}.{expr.attr}"
    return literals.source(expr)


def last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


class ProjectIndex:
    """Every parsed module of the scan, by dotted name, with name resolution between them."""

    def __init__(self, files: list[SourceFile]) -> None:
        self.modules: dict[str, ModuleInfo] = {}
        for source in files:
            tree = source.tree
            if tree is not None:
                self.modules[source.module] = source.parsed.memo(source, partial(_module_info, source, tree))
        self._suffixes: dict[str, list[str]] | None = None
        self._names: dict[tuple[str, str], Ref | None] = {}
        self._subclasses: dict[Ref, list[Ref]] | None = None

    def find_module(self, dotted_name: str) -> str | None:
        """The scanned module called `dotted_name`, or the only one whose name ends with it."""
        if not dotted_name:
            return None
        if dotted_name in self.modules:
            return dotted_name
        if dotted_name.split(".")[0] in sys.stdlib_module_names:
            return None
        if self._suffixes is None:
            self._suffixes = {}
            for name in self.modules:
                parts = name.split(".")
                for i in range(1, len(parts)):
                    self._suffixes.setdefault(".".join(parts[i:]), []).append(name)
        matches = self._suffixes.get(dotted_name, [])
        return matches[0] if len(matches) == 1 else None

    def resolve_name(self, module: str, name: str, depth: int = 0) -> Ref | None:
        key = (module, name)
        if key in self._names:
            return self._names[key]
        self._names[key] = None  # cycle guard
        ref = self._resolve_name(module, name, depth)
        self._names[key] = ref
        return ref

    def _resolve_name(self, module: str, name: str, depth: int) -> Ref | None:
        info = self.modules.get(module)
        if info is None or depth > _MAX_DEPTH:
            return None
        if name in info.bindings:
            return Ref("local", module, name)
        imp = info.imports.get(name)
        if imp is not None:
            return self.resolve_import(module, imp, depth)
        for star in info.stars:
            found = self.find_module(star)
            if found and found != module:
                ref = self.resolve_name(found, name, depth + 1)
                if ref is not None:
                    return ref
        return None

    def resolve_import(self, module: str, imp: Import, depth: int = 0) -> Ref | None:
        """What the name bound by `imp` (written in `module`) refers to."""
        found = self.find_module(imp.module)
        if imp.name is None:
            return Ref("module", found) if found else Ref("external", imp.module)
        if found is None:
            return Ref("external", f"{imp.module}.{imp.name}")
        target = self.modules[found]
        if imp.name in target.bindings:
            return Ref("local", found, imp.name)
        if imp.name in target.imports and found != module:  # `from .views import View` in a package
            ref = self.resolve_name(found, imp.name, depth + 1)  # shadows its submodule `views.View`
            if ref is not None:
                return ref
        if f"{found}.{imp.name}" in self.modules:
            return Ref("module", f"{found}.{imp.name}")
        if found != module:
            return self.resolve_name(found, imp.name, depth + 1)
        return None

    def resolve(self, module: str, expr: ast.AST, local: Mapping[str, Import] | None = None) -> Ref | None:
        """What `expr` (a Name or attribute chain) written in `module` refers to, if known.

        `local` holds the imports written in the function `expr` is in; they shadow the module's names.
        """
        if isinstance(expr, ast.Name):
            if local and expr.id in local:
                return self.resolve_import(module, local[expr.id])
            return self.resolve_name(module, expr.id)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(module, expr.value, local)
            if base is None:
                return None
            if base.kind == "external":  # `import a.b` where only a.b is scanned: a namespace package
                full = f"{base.module}.{expr.attr}"
                return Ref("module", full) if full in self.modules else Ref("external", full)
            if base.kind == "module":
                ref = self.resolve_name(base.module, expr.attr)
                if ref is None and f"{base.module}.{expr.attr}" in self.modules:
                    return Ref("module", f"{base.module}.{expr.attr}")
                return ref
        return None

    def qualname(self, module: str, expr: ast.AST, local: Mapping[str, Import] | None = None) -> str:
        """A dotted name for `expr`: external names in full, local ones as `module.name`."""
        ref = self.resolve(module, expr, local)
        if ref is None or ref.kind == "module":
            return dotted(expr)
        if ref.kind == "external":
            return ref.module
        return f"{ref.module}.{ref.name}"

    def binding(self, ref: Ref | None) -> Binding | None:
        if ref is None or ref.kind != "local":
            return None
        return self.modules[ref.module].bindings.get(ref.name)

    def class_def(self, ref: Ref | None) -> ast.ClassDef | None:
        bound = self.binding(ref)
        return bound.node if bound is not None and isinstance(bound.node, ast.ClassDef) else None

    def function_def(self, ref: Ref | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        bound = self.binding(ref)
        if bound is not None and isinstance(bound.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return bound.node
        return None

    def bases(self, module: str, node: ast.ClassDef) -> list[Ref]:
        refs = []
        for base in node.bases:
            if isinstance(base, ast.Subscript):  # Generic[T], DeclarativeBase[...]
                base = base.value
            ref = self.resolve(module, base)
            refs.append(ref if ref is not None else Ref("external", dotted(base)))
        return refs

    def ancestors(self, ref: Ref) -> Iterator[Ref]:
        """All base classes of the class `ref`, transitively, depth first (externals are leaves)."""
        seen: set[Ref] = set()
        stack = [ref]
        while stack:
            current = stack.pop()
            node = self.class_def(current)
            if node is None:
                continue
            for base in self.bases(current.module, node):
                if base not in seen:
                    seen.add(base)
                    yield base
                    stack.append(base)

    def derives_from(self, ref: Ref | None, names: frozenset[str]) -> bool:
        """Whether the class `ref` has an external ancestor whose last name is in `names`."""
        if ref is None:
            return False
        return any(base.kind == "external" and last(base.module) in names for base in self.ancestors(ref))

    def subclasses(self, ref: Ref) -> list[Ref]:
        """The scanned top-level classes deriving from the class `ref`, directly or not, by module and name."""
        if self._subclasses is None:
            found: dict[Ref, list[Ref]] = {}
            for module, info in sorted(self.modules.items()):
                for name, bound in info.bindings.items():
                    if isinstance(bound.node, ast.ClassDef):
                        sub = Ref("local", module, name)
                        for base in self.ancestors(sub):
                            if base.kind == "local" and base != sub:
                                found.setdefault(base, []).append(sub)
            self._subclasses = found
        return self._subclasses.get(ref, [])

    def method_def(self, ref: Ref, name: str) -> tuple[Ref, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        """The method `name` instances of the class `ref` have: its own, else the nearest scanned base's."""
        for cls in (ref, *self.ancestors(ref)):
            node = self.class_def(cls)
            for stmt in node.body if node is not None else ():
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
                    return cls, stmt
        return None

    def annotated_class(self, module: str, node: ast.expr, local: Mapping[str, Import] | None = None) -> Ref | None:
        """The scanned class an annotation names: `C`, `"C"`, `C | None`, `Optional[C]`; None for any other."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [n for n in (node.left, node.right) if not (isinstance(n, ast.Constant) and n.value is None)]
            return self.annotated_class(module, sides[0], local) if len(sides) == 1 else None
        if isinstance(node, ast.Subscript) and last(dotted(node.value)) == "Optional":
            return self.annotated_class(module, node.slice, local)
        if not isinstance(node, ast.Name | ast.Attribute):
            return None
        ref = self.resolve(module, node, local)
        return ref if self.class_def(ref) is not None else None


def child_statements(stmt: ast.stmt) -> list[ast.stmt]:
    """The statements directly inside `stmt`: its bodies, else/finally parts, except handlers and match cases."""
    nested: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        part = getattr(stmt, name, None)
        if isinstance(part, list):
            nested.extend(part)
    for handler in getattr(stmt, "handlers", ()):
        nested.extend(handler.body)
    for case in getattr(stmt, "cases", ()):
        nested.extend(case.body)
    return nested
