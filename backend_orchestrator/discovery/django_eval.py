"""A small reader of the Python that builds Django URL patterns, for ``django_urls`` (stdlib ``ast``, no import).

URLconfs often hold patterns a helper returns: ``*SomeView.get_urls(url_base="teams")`` (a class method that
returns ``[path(cls.get_url_pattern(url_base, action), cls.as_view(action=action)) for action in actions]``),
``get_schedule_urls("schedule")`` (a function over a literal table) or ``path("404", error_view(404))`` (a
factory that returns a view). ``Evaluator`` runs such helpers the way a reader follows them: assignments,
``if``/``return``, comprehensions over known values, f-strings, operators, dict/str methods, class attributes
looked up along the bases, and calls of the project's functions and methods. ``path(...)`` gives an
``Entry``, ``SomeView.as_view(...)`` an ``AsView``; a function or class gives a ``Func`` or ``Cls``. What depends
on something it cannot know (an external call, an ``if`` on an unknown value) is ``UNKNOWN``, never guessed.
"""

from __future__ import annotations

import ast
import contextlib
from dataclasses import dataclass, field
from typing import Any

from .django_values import (
    COMPARE,
    MAX_DEPTH,
    PLAIN,
    SAFE_METHODS,
    STEPS,
    UNKNOWN,
    AsView,
    Bound,
    Cls,
    Entry,
    Ext,
    Func,
    call_method,
    mro,
    truth,
)
from .symbols import ProjectIndex, Ref, dotted, last

__all__ = ["UNKNOWN", "AsView", "Cls", "Entry", "Evaluator", "Func", "mro"]


@dataclass
class _Run:
    env: dict[str, Any]
    module: str
    setattrs: list[str] = field(default_factory=list)


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Evaluator:
    def __init__(self, index: ProjectIndex, settings: str | None = None) -> None:
        self.index = index
        self.settings = settings  # the settings module `django.conf.settings.X` is read in
        self.steps = 0

    # -- entry points ------------------------------------------------------------------------------
    def value(self, module: str, expr: ast.expr) -> Any:
        """What `expr`, written at the top level of `module`, evaluates to (UNKNOWN when it cannot be said)."""
        self.steps = 0
        try:
            return self.eval(expr, _Run({}, module), 0)
        except (RecursionError, _Return):  # names defined in terms of themselves; too long a computation
            return UNKNOWN

    def truth(self, module: str, expr: ast.expr) -> bool | None:
        """Whether a condition holds (``if settings.DEBUG:``), None when it cannot be said."""
        return truth(self.value(module, expr))

    def entries(self, module: str, expr: ast.expr) -> list[Entry] | None:
        """The URL patterns a call like ``View.get_urls(...)`` returns, or None when they cannot be read."""
        found = self.value(module, expr)
        if isinstance(found, list | tuple) and found and all(isinstance(e, Entry) for e in found):
            return list(found)
        return None

    def handler_verbs(self, cls: Ref, kwargs: dict[str, Any]) -> list[str] | None:
        """The HTTP verbs a project ``as_view(**kwargs)`` binds with ``setattr(self, verb, ...)`` in its view
        function (a view that picks its handlers per URL); None when it binds none this reading sees."""
        found = self.attribute(Cls(cls), "as_view")
        if not isinstance(found, Func):
            return None
        inner = next((s for s in found.node.body if isinstance(s, ast.FunctionDef)), None)
        if inner is None:
            return None
        run = _Run(self.bind(found, [], dict(kwargs)), found.module)
        self.steps = 0
        with contextlib.suppress(_Return, RecursionError):  # it returns its dispatch(): the handlers are bound
            self.block(inner.body, run, 1)
        return run.setattrs or None

    # -- statements --------------------------------------------------------------------------------
    def call(self, func: Func, args: list[Any], kwargs: dict[str, Any], depth: int) -> Any:
        if depth > MAX_DEPTH:
            return UNKNOWN
        run = _Run(self.bind(func, args, kwargs), func.module)
        try:
            self.block(func.node.body, run, depth + 1)
        except _Return as done:
            return done.value
        return None

    def bind(self, func: Func, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        spec = func.node.args
        positional = [*spec.posonlyargs, *spec.args]
        env: dict[str, Any] = {}
        static = any(dotted(d) == "staticmethod" for d in func.node.decorator_list)
        if func.owner is not None and positional and not static:
            env[positional[0].arg] = func.owner
            positional = positional[1:]
        defaults = dict(zip([p.arg for p in positional][len(positional) - len(spec.defaults):], spec.defaults,
                            strict=True))
        defaults.update({p.arg: d for p, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True) if d is not None})
        for param, value in zip(positional, args, strict=False):
            env[param.arg] = value
        for param in [*positional, *spec.kwonlyargs]:
            if param.arg not in env:
                default = defaults.get(param.arg)
                env[param.arg] = kwargs.get(param.arg, UNKNOWN if default is None
                                            else self.eval(default, _Run({}, func.module), 1))
        return env

    def block(self, body: list[ast.stmt], run: _Run, depth: int) -> None:
        for stmt in body:
            self.steps += 1
            if self.steps > STEPS:
                raise _Return(UNKNOWN)
            self.statement(stmt, run, depth)

    def statement(self, stmt: ast.stmt, run: _Run, depth: int) -> None:
        if isinstance(stmt, ast.Return):
            raise _Return(None if stmt.value is None else self.eval(stmt.value, run, depth))
        if isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, run, depth)
            for target in stmt.targets:
                self.assign(target, value, run)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, run, depth), run)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            value = self.binop(stmt.op, run.env.get(stmt.target.id, UNKNOWN), self.eval(stmt.value, run, depth))
            run.env[stmt.target.id] = value
        elif isinstance(stmt, ast.If):
            test = truth(self.eval(stmt.test, run, depth))
            if test is None:
                raise _Return(UNKNOWN)
            self.block(stmt.body if test else stmt.orelse, run, depth)
        elif isinstance(stmt, ast.For):
            items = self.eval(stmt.iter, run, depth)
            if not isinstance(items, list | tuple | dict):
                raise _Return(UNKNOWN)
            for item in list(items):
                self.assign(stmt.target, item, run)
                self.block(stmt.body, run, depth)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            run.env[stmt.name] = Func(run.module, stmt)
        elif isinstance(stmt, ast.Expr):
            self.eval(stmt.value, run, depth)
        elif not isinstance(stmt, ast.Pass | ast.Import | ast.ImportFrom):
            raise _Return(UNKNOWN)  # raise, try, while, ...: not followed

    def assign(self, target: ast.expr, value: Any, run: _Run) -> None:
        if isinstance(target, ast.Name):
            run.env[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            parts = list(value) if isinstance(value, list | tuple) and len(value) == len(target.elts) else None
            for i, inner in enumerate(target.elts):
                self.assign(inner, UNKNOWN if parts is None else parts[i], run)

    # -- expressions -------------------------------------------------------------------------------
    def eval(self, expr: ast.expr, run: _Run, depth: int) -> Any:
        if isinstance(expr, ast.Constant):
            return expr.value
        if isinstance(expr, ast.Name):
            return run.env[expr.id] if expr.id in run.env else self.name(run.module, expr, depth)
        if isinstance(expr, ast.Attribute):
            base = self.eval(expr.value, run, depth)
            if isinstance(base, Ext):
                return self.setting(expr.attr) if base.name == "django.conf.settings" else \
                    Ext(f"{base.name}.{expr.attr}")
            return self.attribute(base, expr.attr)
        if isinstance(expr, ast.Call):
            return self.call_expr(expr, run, depth)
        if isinstance(expr, ast.JoinedStr):
            parts = [self.eval(v.value, run, depth) if isinstance(v, ast.FormattedValue) else self.eval(v, run, depth)
                     for v in expr.values]
            return "".join(str(p) for p in parts) if all(isinstance(p, str | int) for p in parts) else UNKNOWN
        if isinstance(expr, ast.List | ast.Tuple):
            items: list[Any] = []
            for elt in expr.elts:
                if isinstance(elt, ast.Starred):
                    inner = self.eval(elt.value, run, depth)
                    if not isinstance(inner, list | tuple):
                        return UNKNOWN
                    items += inner
                else:
                    items.append(self.eval(elt, run, depth))
            return items if isinstance(expr, ast.List) else tuple(items)
        if isinstance(expr, ast.Dict):
            out: dict[Any, Any] = {}
            for key, val in zip(expr.keys, expr.values, strict=True):
                if key is None:
                    return UNKNOWN
                k = self.eval(key, run, depth)
                if not isinstance(k, str | int | bool | type(None)):
                    return UNKNOWN
                out[k] = self.eval(val, run, depth)
            return out
        if isinstance(expr, ast.ListComp | ast.GeneratorExp):
            return self.comprehension(expr, run, depth)
        if isinstance(expr, ast.BinOp):
            return self.binop(expr.op, self.eval(expr.left, run, depth), self.eval(expr.right, run, depth))
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            test = truth(self.eval(expr.operand, run, depth))
            return UNKNOWN if test is None else not test
        if isinstance(expr, ast.BoolOp):
            return self.boolop(expr, run, depth)
        if isinstance(expr, ast.Compare):
            return self.compare(expr, run, depth)
        if isinstance(expr, ast.IfExp):
            test = truth(self.eval(expr.test, run, depth))
            return UNKNOWN if test is None else self.eval(expr.body if test else expr.orelse, run, depth)
        if isinstance(expr, ast.Subscript):
            base, key = self.eval(expr.value, run, depth), self.eval(expr.slice, run, depth)
            try:
                return base[key] if isinstance(base, dict | list | tuple | str) else UNKNOWN
            except (KeyError, IndexError, TypeError):
                return UNKNOWN
        if isinstance(expr, ast.NamedExpr):
            value = self.eval(expr.value, run, depth)
            run.env[expr.target.id] = value
            return value
        return UNKNOWN

    def name(self, module: str, expr: ast.Name, depth: int) -> Any:
        ref = self.index.resolve(module, expr)
        if ref is None:
            return Ext(f"builtins.{expr.id}") if expr.id in ("getattr", "len", "list", "tuple", "setattr") \
                else UNKNOWN
        return self.ref_value(ref, depth)

    def setting(self, name: str) -> Any:
        """``settings.NAME``: its value in the settings module, when it binds it there."""
        if self.settings is None or name not in self.index.modules[self.settings].bindings:
            return UNKNOWN
        return self.ref_value(Ref("local", self.settings, name), 1)

    def ref_value(self, ref: Ref, depth: int) -> Any:
        if ref.kind == "external":
            return Ext(ref.module)
        if ref.kind == "module":
            return ref
        bound = self.index.binding(ref)
        if bound is None or bound.node is None or depth > MAX_DEPTH:
            return UNKNOWN
        if isinstance(bound.node, ast.ClassDef):
            return Cls(ref)
        if isinstance(bound.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return Func(ref.module, bound.node)
        if isinstance(bound.node, ast.expr):
            return self.eval(bound.node, _Run({}, ref.module), depth + 1)
        return UNKNOWN

    def attribute(self, base: Any, attr: str) -> Any:
        if isinstance(base, Ref) and base.kind == "module":
            ref = self.index.resolve_name(base.module, attr)
            if ref is None and f"{base.module}.{attr}" in self.index.modules:
                return Ref("module", f"{base.module}.{attr}")
            return UNKNOWN if ref is None else self.ref_value(ref, 1)
        if isinstance(base, Cls):
            for current in mro(self.index, base.ref):
                node = self.index.class_def(current)
                for stmt in node.body if node is not None else []:
                    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == attr:
                        return Func(current.module, stmt, base)
                    if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == attr
                                                            for t in stmt.targets):
                        return self.eval(stmt.value, _Run({}, current.module), 1)
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and \
                            stmt.target.id == attr and stmt.value is not None:
                        return self.eval(stmt.value, _Run({}, current.module), 1)
            return UNKNOWN
        if isinstance(base, dict | str | list) and attr in SAFE_METHODS | {"update", "append", "extend"}:
            return Bound(base, attr)
        return UNKNOWN

    def call_expr(self, call: ast.Call, run: _Run, depth: int) -> Any:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "as_view":
            owner = self.eval(call.func.value, run, depth)
            if isinstance(owner, Cls):
                given = tuple((k.arg, self.eval(k.value, run, depth)) for k in call.keywords if k.arg)
                return AsView(owner.ref, given)
        func = self.eval(call.func, run, depth)
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return UNKNOWN
        args = [self.eval(a, run, depth) for a in call.args]
        kwargs = {k.arg: self.eval(k.value, run, depth) for k in call.keywords if k.arg is not None}
        if isinstance(func, Func):
            return self.call(func, args, kwargs, depth)
        if isinstance(func, Bound):
            return call_method(func, args, kwargs)
        if isinstance(func, Ext):
            return self.external(func.name, call, args, kwargs, run)
        return UNKNOWN

    def external(self, name: str, call: ast.Call, args: list[Any], kwargs: dict[str, Any], run: _Run) -> Any:
        short = last(name)
        if short in ("path", "re_path", "url") and name.startswith("django."):
            route = args[0] if args else kwargs.get("route", UNKNOWN)
            view = args[1] if len(args) > 1 else kwargs.get("view", UNKNOWN)
            return Entry(route, view, short != "path", call.lineno)
        if name == "builtins.getattr" and len(args) >= 2 and isinstance(args[1], str):
            found = self.attribute(args[0], args[1]) if isinstance(args[0], Cls) else \
                self.setting(args[1]) if args[0] == Ext("django.conf.settings") else UNKNOWN
            return args[2] if found is UNKNOWN and len(args) > 2 else found
        if name == "builtins.setattr" and len(args) == 3 and isinstance(args[1], str):
            run.setattrs.append(args[1])
            return None
        if name in ("builtins.list", "builtins.tuple") and len(args) == 1 and isinstance(args[0], list | tuple):
            return list(args[0]) if short == "list" else tuple(args[0])
        if name == "builtins.len" and len(args) == 1 and isinstance(args[0], list | tuple | dict | str):
            return len(args[0])
        return UNKNOWN

    def comprehension(self, expr: ast.ListComp | ast.GeneratorExp, run: _Run, depth: int) -> Any:
        out: list[Any] = []

        def loop(level: int, env: dict[str, Any]) -> bool:
            if level == len(expr.generators):
                out.append(self.eval(expr.elt, _Run(env, run.module, run.setattrs), depth))
                return True
            gen = expr.generators[level]
            items = self.eval(gen.iter, _Run(env, run.module, run.setattrs), depth)
            if not isinstance(items, list | tuple | dict):
                return False
            for item in list(items):
                self.steps += 1
                if self.steps > STEPS:
                    return False
                inner = _Run(dict(env), run.module, run.setattrs)
                self.assign(gen.target, item, inner)
                tests = [truth(self.eval(t, inner, depth)) for t in gen.ifs]
                if any(t is None for t in tests):
                    return False
                if all(tests) and not loop(level + 1, inner.env):
                    return False
            return True

        return out if loop(0, dict(run.env)) else UNKNOWN

    def binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Add) and type(left) is type(right) and isinstance(left, str | list | tuple | int):
            return left + right
        if isinstance(op, ast.Mod) and isinstance(left, str) and isinstance(right, str | int | tuple):
            try:
                return left % right
            except (TypeError, ValueError):
                return UNKNOWN
        return UNKNOWN

    def boolop(self, expr: ast.BoolOp, run: _Run, depth: int) -> Any:
        value: Any = UNKNOWN
        for part in expr.values:
            value = self.eval(part, run, depth)
            test = truth(value)
            if test is None:
                return UNKNOWN
            if test == isinstance(expr.op, ast.Or):
                return value
        return value

    def compare(self, expr: ast.Compare, run: _Run, depth: int) -> Any:
        left = self.eval(expr.left, run, depth)
        for op, comparator in zip(expr.ops, expr.comparators, strict=True):
            right = self.eval(comparator, run, depth)
            if not isinstance(left, PLAIN) or not isinstance(right, PLAIN) or type(op) not in COMPARE:
                return UNKNOWN
            try:
                if not COMPARE[type(op)](left, right):
                    return False
            except TypeError:
                return UNKNOWN
            left = right
        return True
