"""The values ``django_eval`` computes: plain Python values, ``UNKNOWN``, and what stands for the project's code
(``Cls``, ``Func``, ``Ext``), a ``SomeView.as_view(...)`` (``AsView``) and a ``path(...)`` (``Entry``)."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .symbols import ProjectIndex, Ref

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
MAX_DEPTH = 16
STEPS = 20_000
PLAIN = (str, int, float, bool, type(None), list, tuple, dict)
SAFE_METHODS = frozenset({"get", "keys", "values", "items", "copy", "strip", "rstrip", "lstrip", "lower",
                           "upper", "replace", "format", "join", "split", "startswith", "endswith", "removeprefix",
                           "removesuffix"})
COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}


@dataclass(frozen=True)
class Cls:
    ref: Ref  # a class of the project


@dataclass(frozen=True)
class Func:
    module: str
    node: FuncDef
    owner: Cls | None = None  # bound to `cls`/`self`


@dataclass(frozen=True)
class Ext:
    name: str  # a dotted name outside the scanned code (django.urls.path)


@dataclass(frozen=True)
class AsView:
    cls: Ref
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Entry:
    route: Any  # str when known
    view: Any
    regex: bool
    line: int


@dataclass(frozen=True)
class Bound:
    owner: Any
    name: str


def truth(value: Any) -> bool | None:
    if isinstance(value, PLAIN):
        return bool(value)
    if isinstance(value, Cls | Func | AsView | Entry):
        return True
    return None


def call_method(bound: Bound, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if not all(isinstance(a, PLAIN) for a in [*args, *kwargs.values()]) and bound.name not in ("get", "update"):
        return UNKNOWN
    owner = bound.owner
    if bound.name in ("update", "append", "extend"):
        if (bound.name == "update" and isinstance(owner, dict) and args and isinstance(args[0], dict)) or \
                (isinstance(owner, list) and args):
            getattr(owner, bound.name)(args[0])
            return None
        return UNKNOWN
    try:
        result = getattr(owner, bound.name)(*args, **kwargs)
    except (TypeError, ValueError, KeyError, AttributeError):
        return UNKNOWN
    if bound.name in ("keys", "values", "items"):
        return [tuple(r) if isinstance(r, tuple) else r for r in result]
    return result


def mro(index: ProjectIndex, ref: Ref) -> Iterator[Ref]:
    """The class and its scanned bases in (an approximation of) Python's method resolution order: depth
    first, left to right, a class shared by several bases placed after the last of them."""
    order: list[Ref] = []

    def visit(current: Ref, path: tuple[Ref, ...]) -> None:
        order.append(current)
        node = index.class_def(current)
        if node is None or len(order) > 200:
            return
        for base in index.bases(current.module, node):
            if base not in path:  # a class that derives from itself (through others): not followed
                visit(base, (*path, base))

    visit(ref, (ref,))
    return iter([current for i, current in enumerate(order) if current not in order[i + 1:]])
