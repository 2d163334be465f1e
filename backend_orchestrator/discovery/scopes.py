"""Where apps and routers are built: a module's body, and the body of each top-level function.

App factories (`def create_app(): app = Flask(__name__); ...`) build their app, and often import
their blueprints, inside a function. A `Scope` carries that function's own names (parameters,
assignments) and its local imports, so `resolve` finds what a name written there refers to.

`RouteCollector` is what the FastAPI and Flask collectors share:

- names that stand for an app, router or blueprint made elsewhere: `app = create_app()`,
  `include_router(make_router())`, `bp = construct_blueprint(...)` (the object the factory returns),
  and `register_routes(app)` (inside `register_routes`, its parameter is that app);
- string arguments (prefixes, paths, rules) that are not literals but resolve (`values.py`), each
  recorded as a `Resolved` with where its value came from;
- `if`/`else` around routes and includes: a condition that resolves with the defaults selects its
  branch (the other is not taken, and the `Resolved` of the condition says what was left out);
  one that does not resolve takes the first branch, and an include, mount or registration in a later
  branch is listed as an alternative in `unresolved` and not followed;
- `for` loops over a list that resolves (`for d in ["rated", "hot"]: bp.add_url_rule(f"/{d}", ...)`,
  `for bp in (users, items): app.register_blueprint(bp)`) are unrolled, once per item; routes in any
  other loop stay unresolved.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from ..contracts.common import HTTP_METHODS
from ..contracts.registry import Resolved, Unresolved
from . import literals
from .symbols import Import, ModuleInfo, ProjectIndex, Ref, imported_names, last, walk_statements
from .values import Frame, Known, Result, Unknown, describe, sorted_sources, truth, values_for

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Scope:
    """A module body (`name == ""`), or the body of a top-level function with the names local to it."""

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
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = {a.arg for a in (*stmt.args.posonlyargs, *stmt.args.args, *stmt.args.kwonlyargs)}
        names.update(a.arg for a in (stmt.args.vararg, stmt.args.kwarg) if a is not None)
        imports: dict[str, Import] = {}
        for inner, _, _ in walk_statements(stmt.body):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                imports.update((n, imp) for n, imp in imported_names(info.source, inner) if n != "*")
                continue
            targets = inner.targets if isinstance(inner, ast.Assign) else [getattr(inner, "target", None)]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        found.append(Scope(info, stmt.name, stmt.body, frozenset(names - set(imports)), imports, stmt))
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
        nested: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            part = getattr(stmt, name, None)
            if isinstance(part, list):
                nested.extend(part)
        for handler in getattr(stmt, "handlers", ()):
            nested.extend(handler.body)
        for case in getattr(stmt, "cases", ()):
            nested.extend(case.body)
        stack.extend(reversed(nested))


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
        self._conflicts: set[tuple[tuple[str, str, str], int]] = set()
        self._registering = self.REGISTERING | {m.lower() for m in HTTP_METHODS}

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
        for stmt, guards, in_loop in walk_guarded(body, outer, loop):
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
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in names
                for d in stmt.decorator_list
            )
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in names

    # -- the app/router/blueprint objects, by (module, function or "", name) ----------------------

    @property
    def table(self) -> dict[tuple[str, str, str], Any]:
        raise NotImplementedError

    def find(self, scope: Scope, expr: ast.expr | None) -> Any:
        raise NotImplementedError

    def returned(self, scope: Scope, call: ast.Call) -> Any:
        """The app/router/blueprint a call of a scanned top-level function returns, if it returns one."""
        ref = scope.resolve(self.index, call.func)
        func = self.index.function_def(ref)
        if ref is None or func is None or id(func) in self._returning:
            return None
        factory = next((s for s in scopes(self.index.modules[ref.module]) if s.node is func), None)
        if factory is None:
            return None
        self._returning.add(id(func))
        try:
            for value in own_returns(func):
                found = self.find(factory, value)
                if found is not None:
                    return found
        finally:
            self._returning.discard(id(func))
        return None

    def link(self, found: list[Scope]) -> None:
        """Names that stand for an app/router/blueprint made elsewhere: `x = factory()`, and the
        parameters of functions it is passed to (`register_routes(app)`), until nothing new is found."""
        calls = [(scope, *call) for scope in found for call in self._calls_of_functions(scope)]
        for _ in range(6):
            added = 0
            for scope, target, call, ref, func in calls:
                if target is not None:
                    key = (scope.module, scope.name, target)
                    if key not in self.table and (node := self.find(scope, call)) is not None:
                        self.table[key] = node
                        added += 1
                added += self._bind_arguments(scope, call, ref, func)
            if not added:
                return

    def _calls_of_functions(self, scope: Scope) -> Iterator[tuple[str | None, ast.Call, Ref, FuncDef]]:
        """`x = f(...)` and `f(...)` statements (outside loops) calling a top-level function of the scanned
        code: (x or None, the call, the function's ref, the function)."""
        for stmt, _, loop in walk_statements(scope.body):
            if loop or not isinstance(stmt, ast.Expr | ast.Assign | ast.AnnAssign):
                continue
            call = stmt.value
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name | ast.Attribute):
                continue
            ref = scope.resolve(self.index, call.func)
            func = self.index.function_def(ref)
            if ref is None or func is None or not any(s.node is func for s in scopes(self.index.modules[ref.module])):
                continue
            assigned = assigned_call(stmt)
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
        return self.values.evaluate(scope.frame, node)

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
        name = last(scope.qualname(self.index, func))
        ref = scope.resolve(self.index, func)
        if name in self.APPS or self.index.derives_from(ref, self.APPS):
            return "app"
        if name in self.CONTAINERS or self.index.derives_from(ref, self.CONTAINERS):
            return self.CONTAINER_KIND
        return None


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
