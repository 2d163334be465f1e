"""Values a reader of the code resolves without running it: settings defaults, constants, env defaults.

`Values(index).evaluate(frame, expr)` answers `Known(value, sources, notes)` or `Unknown(reason)`:

- literals and containers; `True`/`False`/`None`; `__name__` (the module's dotted name);
  `typing.TYPE_CHECKING` (False);
- names bound in the function being read (its parameters' defaults, its single assignment, a `global`
  it assigns; a parameter the caller binds, e.g. to an `Opaque` app), in its module, or imported from
  another scanned module (absolute, relative, aliased);
  a module-level name assigned more than once, or only inside a conditional block, is not resolved;
- class attributes (`Config.PREFIX`), and attributes of instances (`settings = Settings()`,
  `get_settings()` returning one, an `@lru_cache` getter): keyword arguments of the call, then
  `self.x = ...` in a plain class's `__init__`, then the class-level default — pydantic
  `BaseSettings`/`BaseModel` fields (`Field(default=...)` too), dataclass fields (`field(default=...)`),
  plain class attributes — then the same in the scanned base classes; `@property` methods;
- calls of scanned functions: the value every `return` agrees on, with the call's arguments (else the
  parameters' defaults) bound;
- `os.getenv("X", "d")`, `os.environ.get("X", "d")` and starlette/decouple `config("X", default=...)`:
  the default (the note says the environment variable overrides it); `os.environ["X"]` is unknown;
- f-strings, `+`, `%`, `.format(...)`, a few pure `str` methods, `str()`/`int()`/`bool()`,
  comparisons, `and`/`or`/`not`, conditional expressions and subscripts.

`sources` are the `file:line` of the definitions the value was read from (literals written where the
value is used are not listed); `notes` say how (a class default, an environment default, ...).
Nothing is imported or executed: the only Python run is pure operations on values already computed,
with guards on the sizes they can reach.
"""

from __future__ import annotations

import ast
import operator
import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import literals
from .files import SourceFile
from .symbols import (
    Import,
    ProjectIndex,
    Ref,
    child_statements,
    dotted,
    imported_names,
    last,
    statements,
    walk_statements,
)

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef

_MAX_DEPTH = 40
_MAX_TEXT = 10_000
_BIG_NUMBER = re.compile(r"\d{4,}")  # a format width/precision that could allocate a huge string
_PLAIN = str | int | float | bool | None
_ENV_GETTERS = frozenset({"os.getenv", "os.environ.get", "posix.getenv"})
_CONFIG_CALLS = frozenset({"decouple.config", "starlette.config.Config"})
_FIELD_CALLS = frozenset({"Field", "field", "attrib", "ib"})
_PROPERTIES = frozenset({"property", "cached_property", "computed_field"})
_STR_METHODS = frozenset(
    {
        "format",
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "removeprefix",
        "removesuffix",
        "replace",
        "join",
        "split",
        "rsplit",
        "startswith",
        "endswith",
        "title",
        "capitalize",
        "casefold",
    }
)
_DICT_METHODS = frozenset({"get"})
_CONSTANT = "the module constant"
_BUILTINS: dict[str, Callable[..., Any]] = {"str": str, "int": int, "float": float, "bool": bool}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Known:
    value: object
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def but(self, value: object) -> Known:
        return Known(value, self.sources, self.notes)


@dataclass(frozen=True)
class Unknown:
    reason: str


Result = Known | Unknown


def merge(value: object, parts: list[Known]) -> Known:
    """`value`, with the sources and notes of every part it was computed from (in order, once each)."""
    sources = tuple(dict.fromkeys(s for p in parts for s in p.sources))
    notes = tuple(dict.fromkeys(n for p in parts for n in p.notes))
    return Known(value, sources, notes)


# -- what names can stand for, beside plain Python values ------------------------------------------


@dataclass(frozen=True)
class _Module:
    name: str


@dataclass(frozen=True, eq=False)
class _Class:
    module: str
    node: ast.ClassDef
    ref: Ref | None  # None for a class nested in another one


@dataclass(frozen=True, eq=False)
class _Instance:
    cls: _Class
    args: tuple[Result, ...] = ()
    kwargs: tuple[tuple[str, Result], ...] = ()


@dataclass(frozen=True, eq=False)
class _Function:
    module: str
    node: FuncDef
    owner: _Instance | _Class | None = None  # bound to `self` / `cls`


@dataclass(frozen=True)
class _External:
    name: str  # a dotted name outside the scanned code, e.g. os.getenv


@dataclass(frozen=True)
class _ExternalInstance:
    name: str  # an object of an external class, e.g. starlette.config.Config(".env")


@dataclass(frozen=True)
class _Method:
    owner: object  # a str or dict value
    name: str


@dataclass(frozen=True)
class Opaque:
    """An object known to be there but not computed with: the app or router a function is called with.
    It is true (`if app:`); its attributes and calls are not resolved."""

    label: str


@dataclass(frozen=True)
class Frame:
    """Where an expression is read: a module, maybe inside a function, with names bound by a call."""

    module: str
    func: FuncDef | None = None
    imports: Mapping[str, Import] = field(default_factory=dict)  # imports written in the function
    params: Mapping[str, Result] = field(default_factory=dict)


@dataclass
class _Locals:
    """The names a function binds: assignments (value, line, conditional), params, globals."""

    assigned: dict[str, list[tuple[ast.expr | None, int, bool]]]
    functions: dict[str, FuncDef]
    params: dict[str, ast.expr | None]  # name -> default
    globals: set[str]
    imports: dict[str, Import]


def truth(result: Result) -> bool | None:
    """Python truthiness of a known plain value (objects count as true); None when it cannot be said."""
    if not isinstance(result, Known):
        return None
    value = result.value
    if isinstance(value, _PLAIN | tuple | list | dict | frozenset | set):
        return bool(value)
    if isinstance(value, _Module | _Class | _Instance | _Function | Opaque):
        return True
    return None


def describe(value: object) -> str:
    if isinstance(value, Opaque):
        return value.label
    return repr(value) if isinstance(value, _PLAIN | tuple | list | dict) else type(value).__name__.strip("_")


_SHARED: weakref.WeakKeyDictionary[ProjectIndex, Values] = weakref.WeakKeyDictionary()


def values_for(index: ProjectIndex) -> Values:
    """The one `Values` of a scan's index, shared by the collectors so module-level names resolve once."""
    found = _SHARED.get(index)
    if found is None:
        found = _SHARED[index] = Values(index)
    return found


def sorted_sources(sources: tuple[str, ...]) -> list[str]:
    """`file:line` strings by file, then line number."""

    def key(source: str) -> tuple[str, int]:
        file, _, line = source.rpartition(":")
        return file, int(line) if line.isdigit() else 0

    return sorted(dict.fromkeys(sources), key=key)


class Values:
    """Evaluates expressions of the scanned code; results of module-level names are memoised per scan."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._bindings: dict[tuple[str, str], Result] = {}
        self._reassigned: dict[str, dict[str, list[int]]] = {}
        self._locals: dict[int, _Locals] = {}
        self._calling: set[int] = set()
        self._reading: set[tuple[int, str]] = set()  # class members and function locals being evaluated

    def _guarded(self, key: tuple[int, str], name: str, read: Callable[[], Result]) -> Result:
        """`read()`, unless `key` is already being read (a name defined in terms of itself)."""
        if key in self._reading:
            return Unknown(f"{name} refers to itself")
        self._reading.add(key)
        try:
            return read()
        finally:
            self._reading.discard(key)

    # -- entry points ------------------------------------------------------------------------------

    def evaluate(self, frame: Frame, expr: ast.expr) -> Result:
        try:
            return self._eval(frame, expr, False, 0)
        except RecursionError:
            return Unknown(f"{literals.source(expr)} nests too deeply to be resolved")

    def call_function(self, module: str, func: FuncDef, params: Mapping[str, Result]) -> Result:
        """What `func` returns with `params` bound (the other parameters take their defaults)."""
        return self._returned(_Function(module, func), [], [], params, 0)

    def attribute(self, base: Known, name: str) -> Result:
        """`base.name`, for an object `evaluate` answered."""
        try:
            return self._attribute(base, name, name, 0)
        except RecursionError:
            return Unknown(f".{name} nests too deeply to be resolved")

    def import_path(self, path: str) -> Result:
        """The module or module attribute a dotted import string names (`"app.config.Settings"`)."""
        module = self.index.find_module(path)
        if module is not None:
            return Known(_Module(module))
        owner, _, name = path.rpartition(".")
        module = self.index.find_module(owner)
        if module is None:
            return Unknown(f"{path!r} is not a module of the scanned code")
        return self.attribute(Known(_Module(module)), name)

    def file(self, module: str) -> str:
        info = self.index.modules.get(module)
        return info.source.rel if info is not None else module

    def where(self, module: str, line: int) -> str:
        return f"{self.file(module)}:{line}"

    def class_of(self, module: str, node: ast.ClassDef, ref: Ref | None) -> _Class:
        return _Class(module, node, ref)

    # -- the evaluator -----------------------------------------------------------------------------

    def _eval(self, frame: Frame, expr: ast.expr, far: bool, depth: int) -> Result:
        if depth > _MAX_DEPTH:
            return Unknown(f"{literals.source(expr)} is too many steps away from a value")
        depth += 1
        if isinstance(expr, ast.Constant):
            if expr.value is Ellipsis:
                return Unknown("`...` (a required value)")
            return Known(expr.value, (self.where(frame.module, expr.lineno),) if far else ())
        if isinstance(expr, ast.Name):
            return self._name(frame, expr, depth)
        if isinstance(expr, ast.Attribute):
            base = self._eval(frame, expr.value, far, depth)
            return self._attribute(base, expr.attr, literals.source(expr), depth) if isinstance(base, Known) else base
        if isinstance(expr, ast.Call):
            return self._call(frame, expr, far, depth)
        if isinstance(expr, ast.JoinedStr):
            return self._fstring(frame, expr, far, depth)
        if isinstance(expr, ast.BinOp):
            return self._binop(frame, expr, far, depth)
        if isinstance(expr, ast.BoolOp):
            return self._boolop(frame, expr, far, depth)
        if isinstance(expr, ast.UnaryOp):
            operand = self._eval(frame, expr.operand, far, depth)
            if not isinstance(operand, Known):
                return operand
            if isinstance(expr.op, ast.Not):
                value = truth(operand)
                return (
                    operand.but(not value)
                    if value is not None
                    else Unknown(f"truth of {literals.source(expr.operand)}")
                )
            return self._pure(operand, lambda v: -v if isinstance(expr.op, ast.USub) else +v, expr)
        if isinstance(expr, ast.Compare):
            return self._compare(frame, expr, far, depth)
        if isinstance(expr, ast.IfExp):
            test = self._eval(frame, expr.test, far, depth)
            chosen = truth(test)
            if chosen is None:
                return test if isinstance(test, Unknown) else Unknown(f"truth of {literals.source(expr.test)}")
            picked = self._eval(frame, expr.body if chosen else expr.orelse, far, depth)
            return (
                merge(picked.value, [test, picked]) if isinstance(picked, Known) and isinstance(test, Known) else picked
            )
        if isinstance(expr, ast.List | ast.Tuple | ast.Set):
            items = [self._eval(frame, e, far, depth) for e in expr.elts]
            if any(isinstance(e, ast.Starred) for e in expr.elts):
                return Unknown(f"{literals.source(expr)} unpacks a value")
            missing = next((i for i in items if isinstance(i, Unknown)), None)
            if missing is not None:
                return missing
            known = [i for i in items if isinstance(i, Known)]
            values = [i.value for i in known]
            if isinstance(expr, ast.Set):
                return self._pure(merge(None, known), lambda _v: frozenset(values), expr)
            return merge(tuple(values) if isinstance(expr, ast.Tuple) else values, known)
        if isinstance(expr, ast.Dict):
            return self._dict(frame, expr, far, depth)
        if isinstance(expr, ast.Subscript):
            return self._subscript(frame, expr, far, depth)
        return Unknown(f"{literals.source(expr)} is not a value static discovery computes")

    def _pure(self, known: Known, op: Callable[[Any], Any], expr: ast.AST) -> Result:
        """`op(known.value)` on plain values only, with size limits; Unknown when it fails."""
        try:
            value = op(known.value)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ZeroDivisionError) as exc:
            return Unknown(f"{literals.source(expr)} fails on the resolved values ({type(exc).__name__})")
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            return Unknown(f"{literals.source(expr)} is too long a value")
        return known.but(value)

    # -- names -------------------------------------------------------------------------------------

    def _name(self, frame: Frame, expr: ast.Name, depth: int) -> Result:
        name = expr.id
        if name in frame.params:
            return frame.params[name]
        if frame.func is not None:
            local = self._function_locals(frame.module, frame.func)
            if name in frame.imports or name in local.imports:
                imp = frame.imports.get(name) or local.imports[name]
                return self._ref(self.index.resolve_import(frame.module, imp), name, depth)
            found = self._local(frame, local, name, depth)
            if found is not None:
                return found
        if name == "__name__":
            return Known(frame.module, (), (f"__name__ is {frame.module!r} when the module is imported",))
        return self._module_name(frame.module, name, depth)

    def _local(self, frame: Frame, local: _Locals, name: str, depth: int) -> Result | None:
        """A name bound in the function of `frame`; None when the function does not bind it."""
        assert frame.func is not None
        where = f"{name} in {frame.func.name}()"
        if name in local.functions:
            return Known(_Function(frame.module, local.functions[name]))
        sites = local.assigned.get(name, [])
        if name in local.globals and len(sites) == 1 and sites[0][0] is not None:
            # `global _settings; if _settings is None: _settings = Settings()`: what the function stores
            return self._eval(frame, sites[0][0], True, depth)
        if name in local.globals:
            return None
        if not sites:
            if name in local.params:
                default = local.params[name]
                if default is None:
                    return Unknown(f"parameter {name} of {frame.func.name}() has no default")
                known = self._eval(Frame(frame.module), default, True, depth)
                note = f"the default of parameter {name} of {frame.func.name}()"
                return merge(known.value, [Known(None, (), (note,)), known]) if isinstance(known, Known) else known
            return None
        if len(sites) > 1 or name in local.params:
            lines = ", ".join(str(s[1]) for s in sites)
            return Unknown(f"{where} is assigned more than once (lines {lines})")
        value, _line, conditional = sites[0]
        if value is None:
            return Unknown(f"{where} is bound by a statement static discovery does not evaluate")
        if conditional:
            return Unknown(f"{where} is assigned only inside a conditional block")
        known = self._guarded((id(frame.func), name), where, lambda: self._eval(frame, value, True, depth))
        if isinstance(known, Known) and isinstance(known.value, _PLAIN | tuple | list | dict):
            return merge(known.value, [Known(None, (), (f"the local variable {where}",)), known])
        return known

    def _module_name(self, module: str, name: str, depth: int) -> Result:
        ref = self.index.resolve_name(module, name)
        if ref is None and name in _BUILTINS:
            return Known(_External(f"builtins.{name}"))
        return self._ref(ref, name, depth)

    def _ref(self, ref: Ref | None, name: str, depth: int) -> Result:
        if ref is None:
            return Unknown(f"{name} is not found in the scanned code")
        if ref.kind == "module":
            return Known(_Module(ref.module))
        if ref.kind == "external":
            if ref.module in ("typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"):
                return Known(False)
            return Known(_External(ref.module))
        key = (ref.module, ref.name)
        if key not in self._bindings:
            self._bindings[key] = Unknown(f"{ref.name} refers to itself")  # cycle guard
            self._bindings[key] = self._binding(ref, depth)
        return self._bindings[key]

    def _binding(self, ref: Ref, depth: int) -> Result:
        """The value of a name bound at the top level of a scanned module."""
        bound = self.index.binding(ref)
        if bound is None:
            return Unknown(f"{ref.name} is not found in the scanned code")
        node = bound.node
        if isinstance(node, ast.ClassDef):
            return Known(_Class(ref.module, node, ref))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return Known(_Function(ref.module, node))
        file = self.file(ref.module)
        lines = self._module_assignments(ref.module).get(ref.name, [])
        if len(lines) > 1:
            return Unknown(f"{ref.name} is assigned more than once in {file} (lines {', '.join(map(str, lines))})")
        if node is None or not isinstance(node, ast.expr):
            return Unknown(f"{ref.name} ({file}:{bound.line}) is bound by unpacking or a statement not evaluated")
        if bound.conditional:
            return Unknown(f"{ref.name} ({file}:{bound.line}) is assigned inside a conditional block")
        known = self._eval(Frame(ref.module), node, True, depth)
        if isinstance(known, Known) and isinstance(known.value, _PLAIN | tuple | list | dict):
            inner = Known(known.value, known.sources, tuple(n for n in known.notes if not n.startswith(_CONSTANT)))
            return merge(known.value, [Known(None, (), (f"{_CONSTANT} {ref.module}.{ref.name}",)), inner])
        return known

    def _module_assignments(self, module: str) -> dict[str, list[int]]:
        """Lines where each module-level name is (re)assigned, `x += ...` and loop targets included."""
        if module not in self._reassigned:
            found: dict[str, list[int]] = {}
            info = self.index.modules[module]
            for stmt, _, _ in statements(info.source, info.tree.body):
                for name in _assigned_names(stmt):
                    found.setdefault(name, []).append(stmt.lineno)
            self._reassigned[module] = found
        return self._reassigned[module]

    def _function_locals(self, module: str, func: FuncDef) -> _Locals:
        key = id(func)
        if key not in self._locals:
            self._locals[key] = _function_locals(func, self.index.modules[module].source)
        return self._locals[key]

    # -- attributes --------------------------------------------------------------------------------

    def _attribute(self, base: Known, attr: str, text: str, depth: int) -> Result:
        value = base.value
        result: Result
        if isinstance(value, _Module):
            ref = self.index.resolve_name(value.name, attr)
            if ref is None and f"{value.name}.{attr}" in self.index.modules:
                ref = Ref("module", f"{value.name}.{attr}")
            result = self._ref(ref, text, depth)
        elif isinstance(value, _External):
            result = Known(_External(f"{value.name}.{attr}"))
        elif isinstance(value, _Class):
            result = self._class_attribute(value, attr, None, depth)
        elif isinstance(value, _Instance):
            result = self._instance_attribute(value, attr, depth)
        elif (isinstance(value, str) and attr in _STR_METHODS) or (isinstance(value, dict) and attr in _DICT_METHODS):
            result = Known(_Method(value, attr))
        else:
            result = Unknown(f"{text}: .{attr} of {describe(value)} is not resolved statically")
        if isinstance(result, Known):
            return merge(result.value, [base, result])
        return result

    def _members(self, cls: _Class) -> Iterator[tuple[_Class, ast.stmt]]:
        """Top-level statements of the class body, then of its scanned bases (nearest first), last first."""
        seen: list[_Class] = [cls]
        if cls.ref is not None:
            for base in self.index.ancestors(cls.ref):
                node = self.index.class_def(base)
                if node is not None:
                    seen.append(_Class(base.module, node, base))
        for owner in seen:
            for stmt in reversed(owner.node.body):
                yield owner, stmt

    def _member(self, cls: _Class, attr: str) -> tuple[_Class, ast.stmt] | None:
        for owner, stmt in self._members(cls):
            if attr in _class_body_names(stmt):
                return owner, stmt
        return None

    def _class_attribute(self, cls: _Class, attr: str, instance: _Instance | None, depth: int) -> Result:
        if attr == "__name__":
            return Known(cls.node.name)
        if attr == "__qualname__":
            return Known(cls.node.name)
        if attr == "__module__":
            return Known(cls.module)
        found = self._member(cls, attr)
        name = f"{cls.node.name}.{attr}"
        if found is None:
            return Unknown(f"{name} is not defined in the scanned code")
        owner, stmt = found
        frame = Frame(owner.module, params=_ClassScope(self, owner, depth))
        if isinstance(stmt, ast.ClassDef):
            return Known(_Class(owner.module, stmt, None))
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = {last(dotted(d)) for d in stmt.decorator_list}
            bound: _Instance | _Class | None = instance if "staticmethod" not in decorators else None
            if "classmethod" in decorators:
                bound = cls
            function = _Function(owner.module, stmt, bound)
            if decorators & _PROPERTIES and instance is not None:
                return self._returned(function, [], [], {}, depth)
            return Known(function)
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            value = stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            value = stmt.value
            if value is None:
                return Unknown(f"{name} has no default (declared at {self.where(owner.module, stmt.lineno)})")
        if value is None:
            return Unknown(f"{name} is bound by a statement not evaluated")
        kind = self._class_kind(owner)
        if isinstance(value, ast.Call) and last(dotted(value.func)) in _FIELD_CALLS and kind != "plain":
            default = literals.keyword(value, "default", 0 if kind in ("pydantic", "settings") else None)
            if default is None:
                factory = "default_factory" if literals.keyword(value, "default_factory") else "no default"
                return Unknown(f"{name} has {factory} (declared at {self.where(owner.module, stmt.lineno)})")
            value = default
        known = self._guarded((id(owner.node), attr), name, lambda: self._eval(frame, value, True, depth))
        if not isinstance(known, Known):
            return known
        note = {
            "settings": f"the class default of {name} (pydantic BaseSettings: the environment can override it)",
            "pydantic": f"the default of field {name}",
            "dataclass": f"the default of field {name}",
            "plain": f"the class attribute {name}",
        }[kind]
        return merge(known.value, [Known(None, (), (note,)), known])

    def _class_kind(self, cls: _Class) -> str:
        if cls.ref is not None and self.index.derives_from(cls.ref, frozenset({"BaseSettings"})):
            return "settings"
        if cls.ref is not None and self.index.derives_from(cls.ref, frozenset({"BaseModel", "SQLModel"})):
            return "pydantic"
        decorators = {last(dotted(d.func if isinstance(d, ast.Call) else d)) for d in cls.node.decorator_list}
        return "dataclass" if decorators & {"dataclass", "define", "frozen", "attrs", "s"} else "plain"

    def _instance_attribute(self, instance: _Instance, attr: str, depth: int) -> Result:
        cls = instance.cls
        kind = self._class_kind(cls)
        for name, value in instance.kwargs:
            if name == attr and kind != "plain":
                if isinstance(value, Known):
                    note = f"{cls.node.name}({attr}=...) where it is created"
                    return merge(value.value, [Known(None, (), (note,)), value])
                return value
        if instance.args and kind != "plain" and self._member(cls, attr) is not None:
            return Unknown(f"{cls.node.name} is created with positional arguments; {attr} is not resolved")
        init = self._member(cls, "__init__")
        if kind == "plain" and init is not None and isinstance(init[1], ast.FunctionDef):
            assigned = _self_assignments(init[1]).get(attr)
            if assigned is not None:
                if len(assigned) > 1 or assigned[0] is None:
                    return Unknown(f"{cls.node.name}.__init__ sets self.{attr} more than once or conditionally")
                params = self._bind(
                    init[0].module, init[1], list(instance.args), list(instance.kwargs), instance, depth
                )
                frame = Frame(init[0].module, init[1], {}, params)
                known = self._eval(frame, assigned[0], True, depth)
                if isinstance(known, Known):
                    note = f"set by {cls.node.name}.__init__"
                    return merge(known.value, [Known(None, (), (note,)), known])
                return known
        return self._class_attribute(cls, attr, instance, depth)

    # -- calls -------------------------------------------------------------------------------------

    def _call(self, frame: Frame, call: ast.Call, far: bool, depth: int) -> Result:
        callee = self._eval(frame, call.func, far, depth)
        if not isinstance(callee, Known):
            return callee
        target = callee.value
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return Unknown(f"{literals.source(call)} unpacks its arguments")
        if isinstance(target, _External):
            return self._external_call(frame, target.name, call, far, depth)
        if isinstance(target, _ExternalInstance):
            if target.name in _CONFIG_CALLS:
                return self._env_default(frame, call, "default", None, far, depth, target.name)
            return Unknown(f"{literals.source(call)} calls {target.name} (outside the scanned code)")
        args = [self._eval(frame, a, far, depth) for a in call.args]
        kwargs = [(k.arg, self._eval(frame, k.value, far, depth)) for k in call.keywords if k.arg is not None]
        if isinstance(target, _Class):
            return callee.but(_Instance(target, tuple(args), tuple(kwargs)))
        if isinstance(target, _Function):
            result = self._returned(target, args, kwargs, None, depth)
            return merge(result.value, [callee, result]) if isinstance(result, Known) else result
        if isinstance(target, _Method):
            return self._method(callee, target, args, kwargs, call)
        return Unknown(f"{literals.source(call)} is not a call static discovery evaluates")

    def _external_call(self, frame: Frame, name: str, call: ast.Call, far: bool, depth: int) -> Result:
        if name in _ENV_GETTERS:
            return self._env_default(frame, call, "default", 1, far, depth, name)
        if name in ("os.environ.__getitem__",):
            return Unknown("read from the environment without a default")
        if name in _CONFIG_CALLS:
            if name == "decouple.config":
                return self._env_default(frame, call, "default", None, far, depth, name)
            return Known(_ExternalInstance(name))
        if name.startswith("builtins."):
            builtin = _BUILTINS[name.split(".", 1)[1]]
            if len(call.args) != 1 or call.keywords:
                return Unknown(f"{literals.source(call)} is not evaluated")
            arg = self._eval(frame, call.args[0], far, depth)
            if not isinstance(arg, Known) or not isinstance(arg.value, _PLAIN):
                return arg if isinstance(arg, Unknown) else Unknown(f"{literals.source(call)} is not evaluated")
            return self._pure(arg, builtin, call)
        if name in ("re.sub",) and len(call.args) == 3 and not call.keywords:
            parts = [self._eval(frame, a, far, depth) for a in call.args]
            known = [p for p in parts if isinstance(p, Known)]
            if len(known) != 3 or not all(isinstance(p.value, str) for p in known):
                return next((p for p in parts if isinstance(p, Unknown)), Unknown(f"{literals.source(call)}"))
            pattern, repl, text = (str(p.value) for p in known)
            if len(text) > 200 or "\\g" in repl:
                return Unknown(f"{literals.source(call)} is not evaluated")
            return self._pure(merge(None, known), lambda _v: re.sub(pattern, repl, text), call)
        return Unknown(f"{literals.source(call)} calls {name} (outside the scanned code)")

    def _env_default(
        self, frame: Frame, call: ast.Call, key: str, position: int | None, far: bool, depth: int, how: str
    ) -> Result:
        variable = literals.string(literals.keyword(call, "key", 0)) or literals.string(
            literals.keyword(call, "var", 0)
        )
        shown = repr(variable) if variable is not None else literals.source(call.args[0]) if call.args else "?"
        default = literals.keyword(call, key, position)
        getter = how.replace("posix.", "os.") if how in _ENV_GETTERS else "config"
        if default is None:
            if how not in _ENV_GETTERS:
                return Unknown(f"{getter}({shown}) is read from the environment and has no default")
            note = f"{getter}({shown}) without a default: None while {variable or shown} is unset"
            return Known(None, (self.where(frame.module, call.lineno),) if far else (), (note,))
        known = self._eval(frame, default, far, depth)
        if not isinstance(known, Known):
            return known
        cast = literals.keyword(call, "cast")
        if cast is not None and isinstance(known.value, str) and dotted(cast) != "str":
            return Unknown(f"{getter}({shown}) casts its string default with {dotted(cast)}")
        note = f"the default of {getter}({shown}): the environment variable {variable or shown} overrides it"
        return merge(known.value, [Known(None, (), (note,)), known])

    def _method(
        self, callee: Known, method: _Method, args: list[Result], kwargs: list[tuple[str, Result]], call: ast.Call
    ) -> Result:
        parts = [r for r in [*args, *(v for _, v in kwargs)]]
        missing = next((p for p in parts if isinstance(p, Unknown)), None)
        if missing is not None:
            return missing
        known = [p for p in parts if isinstance(p, Known)]
        if not all(isinstance(k.value, _PLAIN | tuple | list) for k in known):
            return Unknown(f"{literals.source(call)} has arguments static discovery does not evaluate")
        values = [a.value for a in args if isinstance(a, Known)]
        named = {k: v.value for k, v in kwargs if isinstance(v, Known)}
        if method.name == "format" and isinstance(method.owner, str) and _BIG_NUMBER.search(method.owner):
            return Unknown(f"{literals.source(call)} has a format too large to evaluate")
        bound = getattr(method.owner, method.name)
        return self._pure(merge(None, [callee, *known]), lambda _v: bound(*values, **named), call)

    def _bind(
        self,
        module: str,
        func: FuncDef,
        args: list[Result],
        kwargs: list[tuple[str, Result]],
        owner: _Instance | _Class | None,
        depth: int,
    ) -> dict[str, Result]:
        """The parameters of `func` for a call: self/cls, the arguments given, else the defaults."""
        spec = func.args
        positional = [*spec.posonlyargs, *spec.args]
        defaults = dict(
            zip([p.arg for p in positional][len(positional) - len(spec.defaults) :], spec.defaults, strict=True)
        )
        defaults.update({p.arg: d for p, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True) if d is not None})
        bound: dict[str, Result] = {}
        if owner is not None and positional:
            bound[positional[0].arg] = Known(owner)
            positional = positional[1:]
        for param, value in zip(positional, args, strict=False):
            bound[param.arg] = value
        given = dict(kwargs)
        for param in [*positional, *spec.kwonlyargs]:
            if param.arg in bound:
                continue
            if param.arg in given:
                bound[param.arg] = given[param.arg]
            elif param.arg in defaults:
                known = self._eval(Frame(module), defaults[param.arg], True, depth)
                note = f"the default of parameter {param.arg} of {func.name}()"
                bound[param.arg] = (
                    merge(known.value, [Known(None, (), (note,)), known]) if isinstance(known, Known) else known
                )
            else:
                bound[param.arg] = Unknown(f"parameter {param.arg} of {func.name}() is not given")
        return bound

    def _returned(
        self,
        function: _Function,
        args: list[Result],
        kwargs: list[tuple[str, Result]],
        params: Mapping[str, Result] | None,
        depth: int,
    ) -> Result:
        func = function.node
        if id(func) in self._calling:
            return Unknown(f"{func.name}() calls itself")
        if params is None:
            params = self._bind(function.module, func, args, kwargs, function.owner, depth)
        else:
            params = {**self._bind(function.module, func, [], [], function.owner, depth), **params}
        returns = [s for s in _own_statements(func.body) if isinstance(s, ast.Return)]
        if not returns:
            return Unknown(f"{func.name}() returns nothing static discovery can read")
        frame = Frame(function.module, func, {}, params)
        self._calling.add(id(func))
        try:
            results = [self._eval(frame, r.value, True, depth) if r.value is not None else Known(None) for r in returns]
        finally:
            self._calling.discard(id(func))
        missing = next((r for r in results if isinstance(r, Unknown)), None)
        if missing is not None:
            return missing
        known = [r for r in results if isinstance(r, Known)]
        first = known[0].value
        if any(not _same(k.value, first) for k in known[1:]):
            return Unknown(f"{func.name}() returns different values ({len(known)} return statements)")
        return merge(first, known)

    # -- operators ---------------------------------------------------------------------------------

    def _fstring(self, frame: Frame, expr: ast.JoinedStr, far: bool, depth: int) -> Result:
        pieces: list[str] = []
        parts: list[Known] = []
        for value in expr.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                pieces.append(value.value)
                if far:
                    parts.append(Known(None, (self.where(frame.module, value.lineno),)))
                continue
            if not isinstance(value, ast.FormattedValue):
                return Unknown(f"{literals.source(expr)} is not evaluated")
            known = self._eval(frame, value.value, far, depth)
            if not isinstance(known, Known):
                return known
            if not isinstance(known.value, _PLAIN | tuple | list):
                return Unknown(f"{literals.source(value.value)} is {describe(known.value)}, not a value")
            spec = ""
            if value.format_spec is not None:
                spec_value = (
                    self._fstring(frame, value.format_spec, far, depth)
                    if isinstance(value.format_spec, ast.JoinedStr)
                    else Unknown("format spec")
                )
                if not isinstance(spec_value, Known) or not isinstance(spec_value.value, str):
                    return spec_value if isinstance(spec_value, Unknown) else Unknown("format spec")
                spec = spec_value.value
                if _BIG_NUMBER.search(spec):
                    return Unknown(f"{literals.source(expr)} has a format too large to evaluate")
            converted: object = known.value
            if value.conversion == ord("r"):
                converted = repr(converted)
            elif value.conversion == ord("s"):
                converted = str(converted)
            elif value.conversion == ord("a"):
                converted = ascii(converted)
            try:
                pieces.append(format(converted, spec))
            except (TypeError, ValueError) as exc:
                return Unknown(f"{literals.source(expr)} fails on the resolved values ({type(exc).__name__})")
            parts.append(known)
        text = "".join(pieces)
        if len(text) > _MAX_TEXT:
            return Unknown(f"{literals.source(expr)} is too long a value")
        return merge(text, parts)

    def _binop(self, frame: Frame, expr: ast.BinOp, far: bool, depth: int) -> Result:
        left = self._eval(frame, expr.left, far, depth)
        if not isinstance(left, Known):
            return left
        right = self._eval(frame, expr.right, far, depth)
        if not isinstance(right, Known):
            return right
        a, b = left.value, right.value
        if not (isinstance(a, _PLAIN | tuple | list) and isinstance(b, _PLAIN | tuple | list | dict)):
            return Unknown(f"{literals.source(expr)} combines values static discovery does not evaluate")
        both = merge(None, [left, right])
        if isinstance(expr.op, ast.Add):
            return self._pure(both, lambda _v: a + b, expr)  # type: ignore[operator]
        if isinstance(expr.op, ast.Mod):
            if isinstance(a, str) and _BIG_NUMBER.search(a):
                return Unknown(f"{literals.source(expr)} has a format too large to evaluate")
            return self._pure(both, lambda _v: a % b, expr)  # type: ignore[operator]
        if isinstance(expr.op, ast.Sub) and isinstance(a, int | float) and isinstance(b, int | float):
            return self._pure(both, lambda _v: a - b, expr)
        return Unknown(f"{literals.source(expr)}: the operator is not evaluated statically")

    def _boolop(self, frame: Frame, expr: ast.BoolOp, far: bool, depth: int) -> Result:
        seen: list[Known] = []
        result: Known | None = None
        for operand in expr.values:
            known = self._eval(frame, operand, far, depth)
            if not isinstance(known, Known):
                return known
            value = truth(known)
            if value is None:
                return Unknown(f"truth of {literals.source(operand)}")
            seen.append(known)
            result = known
            if value == isinstance(expr.op, ast.Or):  # `or` stops at a true value, `and` at a false one
                break
        assert result is not None
        return merge(result.value, seen)

    def _compare(self, frame: Frame, expr: ast.Compare, far: bool, depth: int) -> Result:
        left = self._eval(frame, expr.left, far, depth)
        if not isinstance(left, Known):
            return left
        seen = [left]
        outcome = True
        for op, comparator in zip(expr.ops, expr.comparators, strict=True):
            right = self._eval(frame, comparator, far, depth)
            if not isinstance(right, Known):
                return right
            seen.append(right)
            a, b = left.value, right.value
            if isinstance(op, ast.Is | ast.IsNot):
                if not (b is None or isinstance(b, bool) or a is None or isinstance(a, bool)):
                    return Unknown(f"{literals.source(expr)}: identity of values is not evaluated")
                holds = (a is b) if isinstance(op, ast.Is) else (a is not b)
            elif not isinstance(a, _PLAIN | tuple | list | dict | frozenset) or not isinstance(
                b, _PLAIN | tuple | list | dict | frozenset
            ):
                return Unknown(f"{literals.source(expr)} compares values static discovery does not evaluate")
            else:
                try:
                    holds = bool(_COMPARE[type(op)](a, b))
                except (TypeError, KeyError):
                    return Unknown(f"{literals.source(expr)} cannot be compared on the resolved values")
            outcome = outcome and holds
            left = right
        return merge(outcome, seen)

    def _dict(self, frame: Frame, expr: ast.Dict, far: bool, depth: int) -> Result:
        known: list[Known] = []
        items: dict[Any, Any] = {}
        for key, value in zip(expr.keys, expr.values, strict=True):
            if key is None:
                return Unknown(f"{literals.source(expr)} unpacks a value")
            k, v = self._eval(frame, key, far, depth), self._eval(frame, value, far, depth)
            if not isinstance(k, Known):
                return k
            if not isinstance(v, Known):
                return v
            if not isinstance(k.value, _PLAIN):
                return Unknown(f"{literals.source(key)} is not a plain key")
            items[k.value] = v.value
            known.extend((k, v))
        return merge(items, known)

    def _subscript(self, frame: Frame, expr: ast.Subscript, far: bool, depth: int) -> Result:
        base = self._eval(frame, expr.value, far, depth)
        if not isinstance(base, Known):
            return base
        if isinstance(base.value, _External) and base.value.name == "os.environ":
            return Unknown(f"{literals.source(expr)} is read from the environment without a default")
        if isinstance(expr.slice, ast.Slice):
            return Unknown(f"{literals.source(expr)}: slices are not evaluated")
        key = self._eval(frame, expr.slice, far, depth)
        if not isinstance(key, Known):
            return key
        container, index = base.value, key.value
        if not isinstance(container, str | tuple | list | dict) or not isinstance(index, _PLAIN):
            return Unknown(f"{literals.source(expr)} indexes a value static discovery does not evaluate")
        return self._pure(merge(None, [base, key]), lambda _v: container[index], expr)  # type: ignore[index]


def _same(a: object, b: object) -> bool:
    if isinstance(a, _PLAIN | tuple | list | dict) and isinstance(b, _PLAIN | tuple | list | dict):
        return type(a) is type(b) and a == b
    if isinstance(a, _Instance) and isinstance(b, _Instance):
        return a.cls.node is b.cls.node and not a.args and not b.args and not a.kwargs and not b.kwargs
    return a is b or a == b


def _assigned_names(stmt: ast.stmt) -> Iterator[str]:
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        targets = [stmt.target] if getattr(stmt, "value", True) is not None else []
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        targets = [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                yield node.id


def _class_body_names(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.Assign):
        return {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    return set()


def _own_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a function body, nested blocks included, nested defs and classes not."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        stack.extend(reversed(child_statements(stmt)))


def _function_locals(func: FuncDef, source: SourceFile) -> _Locals:
    spec = func.args
    positional = [*spec.posonlyargs, *spec.args]
    params: dict[str, ast.expr | None] = {p.arg: None for p in positional}
    params.update(zip([p.arg for p in positional][len(positional) - len(spec.defaults) :], spec.defaults, strict=True))
    params.update({p.arg: d for p, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True)})
    params.update({a.arg: None for a in (spec.vararg, spec.kwarg) if a is not None})
    assigned: dict[str, list[tuple[ast.expr | None, int, bool]]] = {}
    functions: dict[str, FuncDef] = {}
    names_global: set[str] = set()
    imports: dict[str, Import] = {}
    for stmt, conditional, loop in walk_statements(func.body):
        if isinstance(stmt, ast.Global | ast.Nonlocal):
            names_global.update(stmt.names)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            imports.update((n, imp) for n, imp in imported_names(source, stmt) if n != "*")
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and not conditional:
            functions[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            assigned.setdefault(stmt.targets[0].id, []).append((stmt.value, stmt.lineno, conditional or loop))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            assigned.setdefault(stmt.target.id, []).append((stmt.value, stmt.lineno, conditional or loop))
        else:
            for name in _assigned_names(stmt):
                assigned.setdefault(name, []).append((None, stmt.lineno, True))
    return _Locals(assigned, functions, params, names_global, imports)


def _self_assignments(init: ast.FunctionDef) -> dict[str, list[ast.expr | None]]:
    """`self.x = value` in `__init__`, by attribute; None for one not at the top level of its body."""
    params = [*init.args.posonlyargs, *init.args.args]
    if not params:
        return {}
    me = params[0].arg
    top = {id(stmt) for stmt in init.body}
    found: dict[str, list[ast.expr | None]] = {}
    for stmt in _own_statements(init.body):
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = list(stmt.targets)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
            targets = [stmt.target]
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == me:
                plain = id(stmt) in top and isinstance(stmt, ast.Assign | ast.AnnAssign)
                value = stmt.value if plain and isinstance(stmt, ast.Assign | ast.AnnAssign) else None
                found.setdefault(target.attr, []).append(value)
    return found


class _ClassScope(Mapping[str, Result]):
    """The names a class body binds, as a bare name written in that body sees them."""

    def __init__(self, values: Values, cls: _Class, depth: int) -> None:
        self._resolver, self.cls, self.depth = values, cls, depth

    def _names(self) -> set[str]:
        return {n for stmt in self.cls.node.body for n in _class_body_names(stmt)}

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __getitem__(self, name: str) -> Result:
        if name not in self._names():
            raise KeyError(name)
        return self._resolver._class_attribute(self.cls, name, None, self.depth + 1)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names()))

    def __len__(self) -> int:
        return len(self._names())
