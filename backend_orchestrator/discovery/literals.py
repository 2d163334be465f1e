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
    return [s if (s := string(e)) is not None else ast.unparse(e) for e in node.elts]


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
