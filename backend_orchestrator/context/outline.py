"""Symbol outlines of source files: signatures and names, never bodies or literal values.

Secret-looking assignments are shown as ``NAME = <redacted>`` and counted, so that no secret's
value can reach a context package through a settings default or a module constant.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

SECRET_NAME = re.compile(r"(secret|passw(or)?d|passwd|token|api_?key|private_?key|credential|dsn|"
                         r"database_url|db_url|auth|signing|salt)", re.I)


@dataclass
class Outline:
    lines: list[str]
    redactions: int


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    args = ast.unparse(node.args)
    ret = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({args}){ret}"


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
    return [f"@{ast.unparse(d)}" for d in node.decorator_list]


def _assignment(node: ast.Assign | ast.AnnAssign) -> tuple[str, bool] | None:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if not names:
        return None
    name = names[0]
    annotation = f": {ast.unparse(node.annotation)}" if isinstance(node, ast.AnnAssign) else ""
    value = node.value
    if value is None:
        return f"{name}{annotation}", False
    secret = bool(SECRET_NAME.search(name)) and _has_literal(value)
    if secret:
        return f"{name}{annotation} = <redacted>", True
    if isinstance(value, ast.Call):  # keep the constructor, drop the arguments' values
        return f"{name}{annotation} = {ast.unparse(value.func)}(...)", False
    return f"{name}{annotation}", False


def _has_literal(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value for n in ast.walk(node))


def outline(source: str, *, max_lines: int = 60) -> Outline:
    """An outline of ``source``; a file that does not parse gives a one-line note."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return Outline([f"# does not parse: line {exc.lineno}: {exc.msg}"], 0)
    lines: list[str] = []
    redactions = 0

    def visit(body: list[ast.stmt], indent: str) -> None:
        nonlocal redactions
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines.extend(f"{indent}{d}" for d in _decorators(node))
                lines.append(f"{indent}{_signature(node)}  # line {node.lineno}")
            elif isinstance(node, ast.ClassDef):
                lines.extend(f"{indent}{d}" for d in _decorators(node))
                bases = ", ".join(ast.unparse(b) for b in node.bases)
                lines.append(f"{indent}class {node.name}({bases}):  # line {node.lineno}")
                visit(node.body, indent + "    ")
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                shown = _assignment(node)
                if shown:
                    lines.append(f"{indent}{shown[0]}")
                    redactions += shown[1]
    visit(tree.body, "")
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"# ... {len(lines) - max_lines} more lines"]
    return Outline(lines, redactions)
