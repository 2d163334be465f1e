"""Reading literal values out of the AST: strings, booleans, lists of strings, HTTP status codes."""

from __future__ import annotations

import ast
import re

_STATUS_NAME = re.compile(r"^HTTP_(\d{3})(_|$)")


def keyword(call: ast.Call, name: str, position: int | None = None) -> ast.expr | None:
    """The argument `name` of `call`, by keyword or (when given) by position."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if (
        position is not None
        and len(call.args) > position
        and not isinstance(call.args[position], ast.Starred)
    ):
        return call.args[position]
    return None


def string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def boolean(node: ast.AST | None) -> bool | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, bool) else None


def strings(node: ast.AST | None) -> list[str] | None:
    """A literal list/tuple/set as strings (non-string items as source text); None if not a literal."""
    if not isinstance(node, ast.List | ast.Tuple | ast.Set):
        return None
    return [s if (s := string(e)) is not None else source(e) for e in node.elts]


def status_code(node: ast.AST | None) -> int | None:
    """`201`, `status.HTTP_201_CREATED`, `HTTPStatus.CREATED` -> 201; None when not recognisable."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
        if isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
            return int(value)
        return None
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    if match := _STATUS_NAME.match(name):
        return int(match.group(1))
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name | ast.Attribute):
        owner = node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id
        if owner == "HTTPStatus":
            from http import HTTPStatus

            member = HTTPStatus.__members__.get(node.attr)
            return int(member) if member is not None else None
    return None


_PLAIN = re.compile(r"^[\w .,:/{}()<>\[\]@+*=#-]*$")


def source(node: ast.AST) -> str:
    """Exactly `ast.unparse(node)`, with a fast path for the common shapes: names, attributes,
    plain constants, calls, subscripts and `X | Y` (unparse is slow: a visitor with context managers)."""
    text = _fast_source(node)
    return text if text is not None else ast.unparse(node)


def _fast_source(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _fast_source(node.value) if isinstance(node.value, ast.Name | ast.Attribute) else None
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, bool | int) or (isinstance(value, str) and _PLAIN.match(value)):
            return repr(value)
        return None
    if isinstance(node, ast.Call):
        parts = [_fast_source(a) for a in node.args]
        parts += [f"{k.arg}={v}" if k.arg and (v := _fast_source(k.value)) else None for k in node.keywords]
        func = _fast_source(node.func) if isinstance(node.func, ast.Name | ast.Attribute) else None
        joined = _join(parts)
        return f"{func}({joined})" if func is not None and joined is not None else None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name | ast.Attribute):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        inner = [
            _fast_source(i) if not isinstance(i, ast.Tuple | ast.Slice | ast.Starred) else None for i in items
        ]
        value, joined = _fast_source(node.value), _join(inner)
        return f"{value}[{joined}]" if value is not None and joined else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [
            _fast_source(s)
            if isinstance(s, ast.Name | ast.Attribute | ast.Constant | ast.Subscript | ast.BinOp)
            else None
            for s in (node.left, node.right)
        ]
        if isinstance(node.right, ast.BinOp) or None in sides:
            return None  # a | (b | c) needs parentheses
        return f"{sides[0]} | {sides[1]}"
    return None


def _join(parts: list[str | None]) -> str | None:
    """`a, b, c`, or None when a part has no fast rendering."""
    texts = [p for p in parts if p is not None]
    return ", ".join(texts) if len(texts) == len(parts) else None
