"""Where apps and routers are built: a module's body, and the body of each top-level function.

App factories (`def create_app(): app = Flask(__name__); ...`) build their app, and often import
their blueprints, inside a function. A `Scope` carries that function's own names (parameters,
assignments) and its local imports, so `resolve` finds what a name written there refers to.

`RouteCollector` is what the FastAPI and Flask collectors share:

- names that stand for an app, router or blueprint made elsewhere: `app = create_app()`,
  `include_router(make_router())`, `bp = construct_blueprint(...)` (the object the factory returns),
  and `register_routes(app)` (inside `register_routes`, its parameter is that app, not its default);
- methods that return one (`app.mount("/auth", manager.get_app())`, `if (sub := manager.get_app()):`),
  when the class of the object is known (`dispatch`): made by `C(...)`, or declared — the return
  annotation of the function that made it, a parameter's annotation, `self` — in which case every
  scanned subclass's override is read too, and the app is followed only when exactly one of them
  returns one (a `Resolved` names it); the methods a call reaches get scopes of their own;
- string arguments (prefixes, paths, rules) that are not literals but resolve (`values.py`), each
  recorded as a `Resolved` with where its value came from;
- `if`/`else` around routes and includes: a condition that resolves with the defaults selects its
  branch (the other is not taken, and the `Resolved` of the condition says what was left out);
  one that does not resolve takes the first branch, and a route, include, mount or registration in a
  later branch is listed as an alternative in `unresolved` and not followed;
- `for` loops over a list that resolves (`for d in ["rated", "hot"]: bp.add_url_rule(f"/{d}", ...)`,
  `for bp in (users, items): app.register_blueprint(bp)`) are unrolled, once per item; routes in any
  other loop stay unresolved.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from ..contracts.common import HTTP_METHODS
from ..contracts.registry import Resolved, Unresolved
from . import literals
from .symbols import Import, ModuleInfo, ProjectIndex, Ref, child_statements, dotted, imported_names, last, statements
from .values import Frame, Known, Opaque, Result, Unknown, describe, sorted_sources, truth, values_for

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Scope:
    """A module body (`name == ""`), or the body of a top-level function (or of a method, `Class.method`)
    with the names local to it."""

    info: ModuleInfo
    name: str
    body: list[ast.stmt]
    local_names: frozenset[str]
    imports: dict[str, Import] = field(default_factory=dict)
    node: FuncDef | None = None  # the function, for a function's scope
    bindings: Mapping[str, Result] = field(default_factory=dict)  # a loop variable, in an unrolled loop

    @property
    def module(self) -> str:
        return self.info.name

    @property
    def file(self) -> str:
        return self.info.source.rel

    def label(self, name: str) -> str:
        return f"{self.info.name}:{self.name}.{name}" if self.name else f"{self.info.name}:{name}"

    def resolve(self, index: ProjectIndex, expr: ast.AST) -> Ref | None:
        return index.resolve(self.module, expr, self.imports)

    def qualname(self, index: ProjectIndex, expr: ast.AST) -> str:
        return index.qualname(self.module, expr, self.imports)

    @property
    def frame(self) -> Frame:
        return Frame(self.module, self.node, self.imports, self.bindings)


def scopes(info: ModuleInfo) -> list[Scope]:
    """The module's scope and one per top-level function, computed once per file content."""
    return info.source.parsed.memo(("scopes", info.source), partial(_scopes, info))


def _scopes(info: ModuleInfo) -> list[Scope]:
    found = [Scope(info, "", info.tree.body, frozenset())]
    for stmt in info.tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append(_function_scope(info, stmt, stmt.name))
    return found


def method_scopes(info: ModuleInfo) -> dict[int, Scope]:
    """A scope per method of the module's top-level classes (`Class.method`), by the id of its function;
    read only when a call reaches the method (`RouteCollector.with_methods`)."""

    def make() -> dict[int, Scope]:
        return {
            id(method): _function_scope(info, method, f"{stmt.name}.{method.name}")
            for stmt in info.tree.body
            if isinstance(stmt, ast.ClassDef)
            for method in stmt.body
            if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    return info.source.parsed.memo(("methods", info.source), make)


def function_scopes(info: ModuleInfo) -> dict[int, Scope]:
    """The scope of each top-level function of `info`, by the id of its function."""
    return info.source.parsed.memo(
        ("function scopes", info.source), lambda: {id(s.node): s for s in scopes(info) if s.node is not None}
    )


def scope_of(info: ModuleInfo, func: FuncDef) -> Scope | None:
    """The scope of a top-level function or of a method of a top-level class of `info`."""
    return function_scopes(info).get(id(func)) or method_scopes(info).get(id(func))


def _function_scope(info: ModuleInfo, func: FuncDef, name: str) -> Scope:
    names = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
    names.update(a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None)
    imports: dict[str, Import] = {}
    for inner, _, _ in statements(info.source, func.body):
        kind = type(inner)
        if kind is ast.Import or kind is ast.ImportFrom:
            imports.update((n, imp) for n, imp in imported_names(info.source, inner) if n != "*")
            continue
        if kind is ast.Assign:
            names.update(t.id for t in inner.targets if type(t) is ast.Name)  # type: ignore[attr-defined]
        elif kind in _WALRUS_HOSTS:
            names.update(target.id for target, _ in walrus_calls(inner))
        elif type(target := getattr(inner, "target", None)) is ast.Name:  # x: T = ..., x += ..., for x in ...
            names.add(target.id)
    return Scope(info, name, func.body, frozenset(names - set(imports)), imports, func)


_WALRUS_HOSTS = frozenset({ast.If, ast.While})  # the statements `walrus_calls` looks into


def walrus_calls(stmt: ast.stmt) -> Sequence[tuple[ast.Name, ast.Call]]:
    """(`x`, `call`) for each `(x := call(...))` an `if`/`while` test binds: the test itself, an operand of
    `and`/`or`/`not`, or the left side of a comparison (`if (app := make()) is not None:`)."""
    if not isinstance(stmt, ast.If | ast.While):
        return ()
    found: list[tuple[ast.Name, ast.Call]] = []
    stack: list[ast.expr] = [stmt.test]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.NamedExpr) and isinstance(node.value, ast.Call):
            found.append((node.target, node.value))
        elif isinstance(node, ast.BoolOp):
            stack.extend(reversed(node.values))
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
        elif isinstance(node, ast.Compare):
            stack.append(node.left)
    return found


@dataclass(frozen=True)
class Guard:
    """A compound statement around another one: an `if` (branch 0: its body, 1: its else) or a block
    static discovery does not settle (try, loop, match: branch -1)."""

    node: ast.stmt
    branch: int


def walk_guarded(
    body: list[ast.stmt], guards: tuple[Guard, ...] = (), loop: bool = False
) -> Iterator[tuple[ast.stmt, tuple[Guard, ...], bool]]:
    """`walk_statements`, saying which compound statements (and which branch) each statement is in."""
    for stmt in body:
        yield stmt, guards, loop
        if isinstance(stmt, ast.If):
            yield from walk_guarded(stmt.body, (*guards, Guard(stmt, 0)), loop)
            yield from walk_guarded(stmt.orelse, (*guards, Guard(stmt, 1)), loop)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            yield from walk_guarded(stmt.body, (*guards, Guard(stmt, -1)), True)
            yield from walk_guarded(stmt.orelse, (*guards, Guard(stmt, -1)), loop)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for part in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                yield from walk_guarded(part, (*guards, Guard(stmt, -1)), loop)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            yield from walk_guarded(stmt.body, guards, loop)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                yield from walk_guarded(case.body, (*guards, Guard(stmt, -1)), loop)


def guarded(scope: Scope, body: list[ast.stmt]) -> list[tuple[ast.stmt, tuple[Guard, ...], bool]]:
    """`walk_guarded(body)` as a list, computed once per file content and body."""
    return scope.info.source.parsed.memo(("guarded", id(body)), lambda: list(walk_guarded(body)))


@dataclass(frozen=True)
class Decision:
    """What the `if`s around a statement make of it."""

    excluded: ast.If | None = None  # a condition that resolves selects the other branch
    alternative: ast.If | None = None  # in a later branch of a condition that does not resolve
    conditional: bool = False  # inside a block static discovery does not settle
    settled: tuple[ast.If, ...] = ()  # the resolved conditions on the way


def own_returns(func: FuncDef) -> Iterator[ast.expr]:
    """The values of `return` statements of `func`'s own body (not of nested functions or classes)."""
    stack: list[ast.stmt] = list(reversed(func.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            yield stmt.value
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        stack.extend(reversed(child_statements(stmt)))


@dataclass(frozen=True)
class Method:
    """An implementation of a method: the class that defines it, and the function."""

    module: str
    owner: str
    func: FuncDef


def dispatch(
    index: ProjectIndex, scope: Scope, call: ast.Call, name: str
) -> tuple[Callable[[], str], list[Method]] | None:
    """The methods a call `obj.name(...)` written in `scope` may run, and how the class of `obj` is known
    (a text made on demand): `C(...)` makes a C (C's method, or the one it inherits); a declared class —
    the return annotation of the function that made `obj`, a parameter's annotation, `self` — may be a
    subclass, so every scanned subclass's override counts too. None when the class of `obj` is not known."""
    assert isinstance(call.func, ast.Attribute)
    receiver = _receiver(index, scope, call.func.value, 0)
    if receiver is None:
        return None
    cls, exact, how = receiver
    found: dict[int, Method] = {}
    for candidate in [cls] if exact else [cls, *index.subclasses(cls)]:
        method = index.method_def(candidate, name)
        if method is not None:
            owner, func = method
            found.setdefault(id(func), Method(owner.module, owner.name, func))
    return (how, list(found.values())) if found else None


_Receiver = tuple[Ref, bool, Callable[[], str]]


def _receiver(index: ProjectIndex, scope: Scope, expr: ast.expr, depth: int) -> _Receiver | None:
    """(the class of the object `expr` stands for, whether exactly that class, how it is known)."""
    if isinstance(expr, ast.Call):
        ref = scope.resolve(index, expr.func)
        if ref is None:
            return None
        if index.class_def(ref) is not None:
            return ref, True, lambda: f"{literals.source(expr)} makes a {ref.name}"
        func = index.function_def(ref)
        if func is not None and func.returns is not None:
            cls = index.annotated_class(ref.module, func.returns)
            if cls is not None:
                return cls, False, lambda: f"{literals.source(expr)} returns a {cls.name} (its return annotation)"
        return None
    if not isinstance(expr, ast.Name) or depth > 3:
        return None
    name = expr.id
    func = scope.node
    if func is not None:
        positional = [*func.args.posonlyargs, *func.args.args]
        owner = scope.name.partition(".")[0] if "." in scope.name else ""
        if owner and positional and positional[0].arg == name:
            cls = Ref("local", scope.module, owner)
            static = any(last(dotted(d)) == "staticmethod" for d in func.decorator_list)
            if index.class_def(cls) is not None and not static:
                return cls, False, lambda: f"{name} is a {owner}"
        for arg in (*positional, *func.args.kwonlyargs):
            if arg.arg == name and arg.annotation is not None:
                annotated = index.annotated_class(scope.module, arg.annotation, scope.imports)
                return (annotated, False, partial(_annotated, name, annotated)) if annotated is not None else None
    values = _assignments(scope).get(name)
    if values is not None:
        if len(values) != 1 or values[0] is None:
            return None
        return _named(name, _receiver(index, scope, values[0], depth + 1))
    if scope.name and name in scope.local_names:
        return None
    ref = scope.resolve(index, expr)  # a module-level `manager = Manager()`
    bound = index.binding(ref)
    if ref is not None and bound is not None and isinstance(bound.node, ast.Call) and not bound.conditional:
        return _named(ref.name, _receiver(index, scopes(index.modules[ref.module])[0], bound.node, depth + 1))
    return None


def _annotated(name: str, cls: Ref) -> str:
    return f"parameter {name} is annotated {cls.name}"


def _named(name: str, found: _Receiver | None) -> _Receiver | None:
    """`found` for a name assigned the object: `x = <how found is known>`."""
    if found is None:
        return None
    how = found[2]
    return found[0], found[1], lambda: f"{name} = {how()}"


def _assignments(scope: Scope) -> dict[str, list[ast.Call | None]]:
    """Per name the scope assigns: the call of each `x = call(...)` / `(x := call(...))`, None for any
    other value; computed once per scope."""

    def make() -> dict[str, list[ast.Call | None]]:
        found: dict[str, list[ast.Call | None]] = {}
        for stmt, _, _ in statements(scope.info.source, scope.body):
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                call = stmt.value if isinstance(stmt.value, ast.Call) and len(targets) == 1 else None
                for target in targets:
                    for node in ast.walk(target):
                        if isinstance(node, ast.Name):
                            found.setdefault(node.id, []).append(call if node is target else None)
            for target, call in walrus_calls(stmt):
                found.setdefault(target.id, []).append(call)
        return found

    key = ("assignments", scope.name, scope.node.lineno if scope.node is not None else 0)
    return scope.info.source.parsed.memo(key, make)


def _method_calls(scope: Scope) -> list[ast.Call]:
    """Calls `obj.method(...)` in the places an app/router/blueprint is read from: assigned (`x = ...`,
    `(x := ...)`), returned, an argument of a call statement (`app.mount("/x", obj.make())`), or the object
    a call statement is made on (`obj.make().include_router(...)`); computed once per scope."""
    key = ("method calls", scope.name, scope.node.lineno if scope.node is not None else 0)
    return scope.info.source.parsed.memo(key, lambda: list(_find_method_calls(scope)))


def _find_method_calls(scope: Scope) -> Iterator[ast.Call]:
    for stmt, _, _ in statements(scope.info.source, scope.body):
        kind = type(stmt)
        if kind in _WALRUS_HOSTS:
            candidates: list[ast.expr] = [call for _, call in walrus_calls(stmt)]
        elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.Return or kind is ast.Expr:
            candidates = []
        else:
            continue
        if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.Return) and stmt.value is not None:
            candidates.append(stmt.value)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            candidates.extend([*call.args, *(k.value for k in call.keywords)])
            if isinstance(call.func, ast.Attribute):
                candidates.append(call.func.value)
        for node in candidates:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield node


def assigned_call(stmt: ast.stmt) -> tuple[ast.Name, ast.Call] | None:
    """(`x`, `call`) for `x = call(...)` / `x: T = call(...)`."""
    target: ast.expr
    value: ast.expr | None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AnnAssign):
        target, value = stmt.target, stmt.value
    else:
        return None
    return (target, value) if isinstance(target, ast.Name) and isinstance(value, ast.Call) else None


def admit_route(
    note: Callable[[int, str], None], what: str, methods: list[str], line: int, *, conditional: bool, loop: bool
) -> list[str] | None:
    """The methods a route is recorded with, noting what static discovery cannot vouch for (FastAPI and
    Flask alike); None when the route must not be recorded at all (defined in a loop)."""
    if loop:
        note(line, f"{what} is defined in a loop; not resolved")
        return None
    unknown = [m for m in methods if m not in HTTP_METHODS]
    if unknown:
        note(line, f"{what} uses methods {unknown} that are not recorded")
    if conditional:
        note(line, f"{what} is defined inside a conditional block; it exists only when the condition holds")
    return [m for m in methods if m in HTTP_METHODS]


class RouteCollector:
    """What the FastAPI and Flask route collectors share: the unresolved notes, and telling an app from
    a router/blueprint by the class a call constructs (its name, or a project class deriving from it)."""

    APPS: frozenset[str] = frozenset()
    CONTAINERS: frozenset[str] = frozenset()
    CONTAINER_KIND = ""  # "router" or "blueprint"

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.values = values_for(index)
        self.unresolved: list[Unresolved] = []
        self.resolved: list[Resolved] = []
        self._conditions: dict[tuple[int, tuple[str, ...]], tuple[Scope, ast.If, Result]] = {}
        self._sites: dict[tuple[int, tuple[str, ...]], list[tuple[bool, str]]] = {}  # per if: (taken, what)
        self._returning: set[int] = set()
        self._dispatch: dict[int, tuple[Callable[[], str], list[Method]] | None] = {}
        self._noted: set[int] = set()
        self._conflicts: set[tuple[tuple[str, str, str], int]] = set()
        self._registering = self.REGISTERING | {m.lower() for m in HTTP_METHODS}
        self._returns: dict[int, list[ast.expr]] = {}  # own_returns, by id of the function
        self._kinds: dict[Ref, tuple[bool, bool]] = {}  # whether a scanned class derives from an app, a container
        self._method_names: frozenset[str] | None = None

    def note(self, scope: Scope, line: int, reason: str) -> None:
        self.unresolved.append(Unresolved(file=scope.file, line=line, reason=reason))

    # -- walking a scope ----------------------------------------------------------------------------

    def find_routes(self, scope: Scope) -> None:
        self.walk(scope, scope.body, (), False)

    def statement(self, scope: Scope, stmt: ast.stmt, guards: tuple[Guard, ...], loop: bool) -> None:
        """Read one statement of a scope for routes, includes and registrations."""
        raise NotImplementedError

    def walk(self, scope: Scope, body: list[ast.stmt], outer: tuple[Guard, ...], loop: bool) -> None:
        unrolled: set[int] = set()
        walked = guarded(scope, body) if not outer and not loop else walk_guarded(body, outer, loop)
        for stmt, guards, in_loop in walked:
            if any(id(g.node) in unrolled for g in guards):
                continue
            if (
                isinstance(stmt, ast.For)
                and not stmt.orelse
                and any(self.registers(inner) for inner, _, _ in walk_guarded(stmt.body))
                and self.decide(scope, guards).excluded is None
            ):
                runs = self.iterations(scope, stmt)
                if runs is not None:
                    unrolled.add(id(stmt))
                    for bound, objects in runs:
                        saved = {key: self.table.get(key) for key in objects}
                        self.table.update(objects)
                        try:
                            self.walk(bound, stmt.body, guards, in_loop)
                        finally:
                            for key, value in saved.items():
                                if value is None:
                                    del self.table[key]
                                else:
                                    self.table[key] = value
                    continue
            self.statement(scope, stmt, guards, in_loop)

    def iterations(self, scope: Scope, loop: ast.For) -> list[tuple[Scope, dict[tuple[str, str, str], Any]]] | None:
        """One (scope, objects) per item of a loop over what resolves: apps/routers/blueprints listed
        literally (bound to the loop variable in the table), or plain values (bound in the scope)."""
        target = loop.target
        if isinstance(target, ast.Name) and isinstance(loop.iter, ast.List | ast.Tuple) and loop.iter.elts:
            nodes = [self.find(scope, e) if not isinstance(e, ast.Starred) else None for e in loop.iter.elts]
            if all(n is not None for n in nodes):
                return [(scope, {(scope.module, scope.name, target.id): n}) for n in nodes]
        result = self.evaluate(scope, loop.iter)
        if not isinstance(result, Known) or not isinstance(result.value, list | tuple) or len(result.value) > 200:
            return None
        names = [target.id] if isinstance(target, ast.Name) else None
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            names = [e.id for e in target.elts if isinstance(e, ast.Name)]
        if names is None:
            return None
        runs: list[tuple[Scope, dict[tuple[str, str, str], Any]]] = []
        for item in result.value:
            values = [item] if isinstance(target, ast.Name) else item
            if not isinstance(values, list | tuple) or len(values) != len(names):
                return None
            bound = {name: Known(v, result.sources) for name, v in zip(names, values, strict=True)}
            runs.append((replace(scope, bindings={**scope.bindings, **bound}), {}))
        shown = ", ".join(repr(v) for v in result.value)
        self.record(
            scope,
            loop.lineno,
            loop.iter,
            result,
            shown if len(shown) <= 300 else shown[:297] + "...",
            f"the loop is unrolled: its body is read once for each of the {len(result.value)} items",
        )
        return runs

    REGISTERING: frozenset[str] = frozenset()  # methods that add routes or include others

    def registers(self, stmt: ast.stmt) -> bool:
        """Whether a statement may add routes: `x.<REGISTERING>(...)`, or a def/class decorated `@x.<name>(...)`
        with such a name or an HTTP method's."""
        names = self._registering
        kind = type(stmt)
        if kind is ast.Expr:
            call = stmt.value  # type: ignore[attr-defined]
            return type(call) is ast.Call and type(call.func) is ast.Attribute and call.func.attr in names
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            assert isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            return any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in names
                for d in stmt.decorator_list
            )
        return False

    # -- the app/router/blueprint objects, by (module, function or "", name) ----------------------

    @property
    def table(self) -> dict[tuple[str, str, str], Any]:
        raise NotImplementedError

    def find(self, scope: Scope, expr: ast.expr | None) -> Any:
        raise NotImplementedError

    def returned(self, scope: Scope, call: ast.Call) -> Any:
        """The app/router/blueprint a call returns, if it returns one: a call of a scanned top-level
        function, or of a method of a scanned class (`dispatch`)."""
        ref = scope.resolve(self.index, call.func)
        func = self.index.function_def(ref)
        if ref is not None and func is not None:
            return self._returned_by(ref.module, func)
        if isinstance(call.func, ast.Attribute):
            return self._returned_by_method(scope, call, call.func.attr)
        return None

    def _returned_by(self, module: str, func: FuncDef) -> Any:
        """The app/router/blueprint the scanned function or method `func` returns, if it returns one."""
        if id(func) in self._returning:
            return None
        factory = scope_of(self.index.modules[module], func)
        if factory is None:
            return None
        self._returning.add(id(func))
        try:
            returns = self._returns.get(id(func))
            if returns is None:
                returns = self._returns[id(func)] = list(own_returns(func))
            for value in returns:
                found = self.find(factory, value)
                if found is not None:
                    return found
        finally:
            self._returning.discard(id(func))
        return None

    def _returned_by_method(self, scope: Scope, call: ast.Call, name: str) -> Any:
        """`obj.name(...)` where the class of `obj` is known (`dispatch`): the app/router/blueprint its
        implementation returns; when the class is only declared (a return or parameter annotation, `self`),
        the implementations in it and in its scanned subclasses are all read, and followed only when
        exactly one returns an app/router/blueprint (a `Resolved` says which, when there was a choice)."""
        key = id(call)
        found = self._dispatched(scope, call)
        if found is None:
            return None
        how, implementations = found
        results: list[tuple[Any, Method]] = []
        for method in implementations:
            node = self._returned_by(method.module, method.func)
            if node is not None and all(node is not other for other, _ in results):
                results.append((node, method))
        if len(results) > 1:
            if key not in self._noted:
                self._noted.add(key)
                shown = ", ".join(f"{m.owner}.{m.func.name} ({r.label})" for r, m in results)
                self.note(
                    scope,
                    call.lineno,
                    f"{literals.source(call)}: {how()}; the implementations of {name}() in the scanned code return "
                    f"different apps: {shown}; not resolved",
                )
            return None
        if not results:
            return None
        node, method = results[0]
        if len(implementations) > 1:
            others = ", ".join(m.owner for m in implementations if m is not method)
            self.resolved.append(
                Resolved(
                    file=scope.file,
                    line=call.lineno,
                    expression=literals.source(call),
                    value=f"{method.owner}.{method.func.name}",
                    sources=[f"{self.index.modules[method.module].source.rel}:{method.func.lineno}"],
                    detail=f"{how()}; of the implementations of {name}() in the scanned code, only "
                    f"{method.owner}'s returns an app (not: {others}): it is followed; a class outside the "
                    "scanned code, chosen at run time, may return another",
                )
            )
        return node

    def with_methods(self, found: list[Scope]) -> list[Scope]:
        """`found`, and the scopes of the methods that calls written there (assigned, returned, passed as an
        argument, or called on) may run, by `dispatch`; then of the methods those call, and so on."""
        out = list(found)
        seen: set[int] = set()
        queue = list(found)
        while queue:
            scope = queue.pop()
            for call in _method_calls(scope):
                dispatched = self._dispatched(scope, call)
                for method in dispatched[1] if dispatched is not None else ():
                    reached = method_scopes(self.index.modules[method.module]).get(id(method.func))
                    if reached is not None and id(method.func) not in seen:
                        seen.add(id(method.func))
                        out.append(reached)
                        queue.append(reached)
        return out

    def _dispatched(self, scope: Scope, call: ast.Call) -> tuple[Callable[[], str], list[Method]] | None:
        key = id(call)
        if key not in self._dispatch:
            assert isinstance(call.func, ast.Attribute)
            # no scanned class has a method of that name: no class of the receiver can run one
            known = call.func.attr in self.method_names()
            self._dispatch[key] = dispatch(self.index, scope, call, call.func.attr) if known else None
        return self._dispatch[key]

    def method_names(self) -> frozenset[str]:
        """The names of the methods of every scanned class bound at the top of a module (`method_def`
        finds no other)."""
        if self._method_names is None:
            self._method_names = frozenset(
                stmt.name
                for info in self.index.modules.values()
                for bound in info.bindings.values()
                if isinstance(bound.node, ast.ClassDef)
                for stmt in bound.node.body
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
            )
        return self._method_names

    def link(self, found: list[Scope]) -> None:
        """Names that stand for an app/router/blueprint made elsewhere: `x = factory()`, and the
        parameters of functions it is passed to (`register_routes(app)`), until nothing new is found."""
        calls = [
            (scope, *call)
            for scope in found
            for call in self._calls_of_functions(scope)
            if call[0] is not None or (call[2] is not None and (call[1].args or call[1].keywords))
        ]  # a call neither assigned nor passing arguments binds nothing
        for _ in range(6):
            added = 0
            for scope, target, call, ref, func in calls:
                if target is not None:
                    key = (scope.module, scope.name, target)
                    if key not in self.table and (node := self.find(scope, call)) is not None:
                        self.table[key] = node
                        added += 1
                if ref is not None and func is not None:
                    added += self._bind_arguments(scope, call, ref, func)
            if not added:
                return

    def _calls_of_functions(
        self, scope: Scope
    ) -> Iterator[tuple[str | None, ast.Call, Ref | None, FuncDef | None]]:
        """`x = f(...)` and `f(...)` statements (outside loops) calling a top-level function of the scanned
        code: (x or None, the call, the function's ref, the function); and `x = obj.method(...)`,
        `if (x := f(...)):` (x, the call, and the function's ref and function when it is a top-level one)."""
        for stmt, _, loop in statements(scope.info.source, scope.body):
            if loop:
                continue
            kind = type(stmt)
            if kind in _WALRUS_HOSTS:
                for target, call in walrus_calls(stmt):
                    ref = scope.resolve(self.index, call.func)
                    func = self.index.function_def(ref)
                    yield target.id, call, (ref if func is not None else None), func
            if kind is not ast.Expr and kind is not ast.Assign and kind is not ast.AnnAssign:
                continue
            assert isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign)
            value = stmt.value
            if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name | ast.Attribute):
                continue
            call, assigned = value, assigned_call(stmt)
            ref = scope.resolve(self.index, call.func)
            func = self.index.function_def(ref)
            if ref is None or func is None or id(func) not in function_scopes(self.index.modules[ref.module]):
                if (
                    assigned is not None
                    and isinstance(call.func, ast.Attribute)
                    and func is None
                    and call.func.attr in self.method_names()  # else no scanned method can return an app
                ):
                    yield assigned[0].id, call, None, None  # `x = obj.method(...)`
                continue
            yield (assigned[0].id if assigned is not None else None), call, ref, func

    def _bind_arguments(self, scope: Scope, call: ast.Call, ref: Ref, func: FuncDef) -> int:
        """`register_routes(app)`: in `register_routes`, its parameter stands for `app`."""
        positional = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
        named = set(positional) | {a.arg for a in func.args.kwonlyargs}
        pairs: list[tuple[str, ast.expr]] = []
        for position, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred) or position >= len(positional):
                break
            pairs.append((positional[position], arg))
        pairs.extend((k.arg, k.value) for k in call.keywords if k.arg is not None and k.arg in named)
        added = 0
        for param, arg in pairs:
            key = (ref.module, func.name, param)
            node = self.find(scope, arg)
            if node is None:
                continue
            if key not in self.table:
                self.table[key] = node
                added += 1
            elif (
                self.table[key] is not node
                and (key, id(node)) not in self._conflicts
                and any(self.registers(stmt) for stmt, _, _ in walk_guarded(func.body))
            ):
                self._conflicts.add((key, id(node)))
                self.note(
                    scope,
                    call.lineno,
                    f"{func.name}() is called with more than one app/router/blueprint as `{param}`: what it "
                    f"adds is recorded on the first ({self.table[key].label}) only",
                )
        return added

    # -- values ------------------------------------------------------------------------------------

    def evaluate(self, scope: Scope, node: ast.expr) -> Result:
        """`node`'s value in `scope`; a parameter the function is called with an app/router/blueprint for
        (`init_auth(app)`) is that object (true), not its default (`app=None`)."""
        frame = scope.frame
        if scope.node is not None:
            args = scope.node.args
            passed = {
                a.arg: Known(Opaque(self.table[key].label))
                for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
                if a.arg not in scope.bindings and (key := (scope.module, scope.name, a.arg)) in self.table
            }
            if passed:
                frame = replace(frame, params={**passed, **frame.params})
        return self.values.evaluate(frame, node)

    def text(self, scope: Scope, node: ast.expr, line: int) -> tuple[str | None, str]:
        """A string argument: (value, "") when it is a literal or resolves (then recorded in `resolved`);
        (None, why not) otherwise."""
        literal = literals.string(node)
        if literal is not None:
            return literal, ""
        result = self.evaluate(scope, node)
        if isinstance(result, Known) and isinstance(result.value, str):
            self.record(scope, line, node, result, result.value)
            return result.value, ""
        if isinstance(result, Known):
            how = f": {'; '.join(result.notes)}" if result.notes else ""
            return None, f"it resolves to {describe(result.value)}, not a string{how}"
        return None, result.reason

    def texts(self, scope: Scope, node: ast.expr, line: int) -> list[str] | None:
        """A list of strings (methods): a literal list, or one that resolves; None otherwise."""
        listed = literals.strings(node)
        if listed is not None and all(isinstance(e, ast.Constant) for e in getattr(node, "elts", [])):
            return listed
        result = self.evaluate(scope, node)
        value = result.value if isinstance(result, Known) else None
        if isinstance(result, Known) and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            self.record(scope, line, node, result, ", ".join(value))
            return list(value)
        return None

    def record(
        self, scope: Scope, line: int, node: ast.expr, known: Known, value: str | bool | None, extra: str = ""
    ) -> None:
        detail = "; ".join([*([extra] if extra else []), *known.notes])
        self.resolved.append(
            Resolved(
                file=scope.file,
                line=line,
                expression=literals.source(node),
                value=value,
                sources=sorted_sources(known.sources),
                detail=detail,
            )
        )

    # -- if/else ------------------------------------------------------------------------------------

    def decide(self, scope: Scope, guards: tuple[Guard, ...]) -> Decision:
        alternative: ast.If | None = None
        conditional = False
        settled: list[ast.If] = []
        for guard in guards:
            node = guard.node
            if isinstance(node, ast.If):
                holds = self._condition(scope, node)
                if holds is not None:
                    settled.append(node)
                    if (0 if holds else 1) != guard.branch:
                        return Decision(excluded=node, settled=tuple(settled))
                    continue
                if guard.branch == 1 and alternative is None:
                    alternative = node
            conditional = True
        return Decision(None, alternative, conditional, tuple(settled))

    def _condition(self, scope: Scope, node: ast.If) -> bool | None:
        key = self._key(scope, node)
        if key not in self._conditions:
            self._conditions[key] = (scope, node, self.evaluate(scope, node.test))
        return truth(self._conditions[key][2])

    @staticmethod
    def _key(scope: Scope, node: ast.If) -> tuple[int, tuple[str, ...]]:
        """A condition per `if` and per binding of loop variables (an unrolled loop reads it once per item)."""
        return id(node), tuple(f"{k}={v}" for k, v in sorted(scope.bindings.items()))

    def condition_reason(self, scope: Scope, node: ast.If) -> str:
        result = self._conditions.get(self._key(scope, node))
        return result[2].reason if result is not None and isinstance(result[2], Unknown) else "unknown"

    def site(self, scope: Scope, decision: Decision, what: str) -> None:
        """A route/include under resolved conditions: kept for their `Resolved` entries."""
        for node in decision.settled:
            taken = node is not decision.excluded
            self._sites.setdefault(self._key(scope, node), []).append((taken, what))

    def alternatives(self, scope: Scope, decision: Decision, guards: tuple[Guard, ...]) -> str:
        """'; alternative ...' for an include taken in the first branch of a condition that does not
        resolve, naming what the later branches would include instead."""
        found: list[str] = []
        for guard in guards:
            node = guard.node
            if isinstance(node, ast.If) and guard.branch == 0 and self._condition(scope, node) is None:
                for stmt, _, _ in walk_guarded(node.orelse):
                    what = self.describe(stmt)
                    if what is not None:
                        found.append(f"{what} (line {stmt.lineno})")
        return f"; in the other branch (not followed): {', '.join(found)}" if found else ""

    def describe(self, stmt: ast.stmt) -> str | None:
        """A short text for an include/mount/registration statement, None for any other."""
        return None

    def alternative_note(self, scope: Scope, line: int, what: str, decision: Decision) -> None:
        node = decision.alternative
        assert node is not None
        self.note(
            scope,
            line,
            f"{what} is in a later branch of `if {literals.source(node.test)}` (line {node.lineno}), whose "
            f"condition does not resolve statically ({self.condition_reason(scope, node)}): the first branch is "
            "taken, this one is listed as an alternative and not followed",
        )

    def taken(self, scope: Scope, decision: Decision, what: str, line: int) -> bool:
        """Whether a route is recorded as far as the `if`s around it go: not in a branch the defaults do not
        select, nor in a later branch of a condition that does not resolve (the first branch is the one
        followed, as for includes and mounts: the route is listed in `unresolved` as an alternative)."""
        if decision.excluded is not None:
            return False
        if decision.alternative is not None:
            self.alternative_note(scope, line, what, decision)
            return False
        return True

    def finish(self) -> None:
        """A `Resolved` for each condition that selected a branch of routes or includes."""
        for key, sites in self._sites.items():
            scope, node, result = self._conditions[key]
            if not isinstance(result, Known):
                continue
            holds = bool(truth(result))
            skipped = [what for taken, what in sites if not taken]
            how = (
                "it holds with the defaults: its block is taken"
                if holds
                else "it does not hold with the defaults: "
                + ("the else branch is taken" if node.orelse else "its block is skipped")
            )
            if skipped:
                how += f"; not taken: {', '.join(dict.fromkeys(skipped))}"
            self.record(scope, node.lineno, node.test, result, holds, how)
        grouped: dict[tuple[str, int, str], list[Resolved]] = {}
        for r in self.resolved:
            grouped.setdefault((r.file, r.line, r.expression), []).append(r)
        self.resolved = [_merged(grouped[k]) for k in sorted(grouped)]

    def _kind(self, scope: Scope, func: ast.expr) -> str | None:
        ref = scope.resolve(self.index, func)
        name = last(_qualname(ref, func))
        derived: tuple[bool, bool] = (False, False)
        if ref is not None and ref.kind == "local":  # only a scanned class has ancestors
            if ref not in self._kinds:
                self._kinds[ref] = (
                    self.index.derives_from(ref, self.APPS), self.index.derives_from(ref, self.CONTAINERS)
                )
            derived = self._kinds[ref]
        if name in self.APPS or derived[0]:
            return "app"
        if name in self.CONTAINERS or derived[1]:
            return self.CONTAINER_KIND
        return None


def _qualname(ref: Ref | None, expr: ast.AST) -> str:
    """`ProjectIndex.qualname` of `expr`, from what it resolves to (`ref`)."""
    if ref is None or ref.kind == "module":
        return dotted(expr)
    return ref.module if ref.kind == "external" else f"{ref.module}.{ref.name}"


def _merged(items: list[Resolved]) -> Resolved:
    """One entry for an expression read more than once (in an unrolled loop: once per item)."""
    values = list(dict.fromkeys(r.value for r in items))
    if len(values) == 1:
        return items[0]
    shown = " | ".join(str(v) for v in values)
    notes = ["one value per item of an unrolled loop", *(r.detail for r in items)]
    sources = sorted_sources(tuple(s for r in items for s in r.sources))
    return items[0].model_copy(
        update={
            "value": shown if len(shown) <= 500 else shown[:497] + "...",
            "sources": sources,
            "detail": "; ".join(dict.fromkeys(n for n in notes if n)),
        }
    )
