"""Symbol outlines of source files: signatures and names, never bodies or literal values.

Secret-looking assignments are shown as ``NAME = <redacted>``, and so are secret-looking defaults in
signatures and literals in decorators; each is recorded (line and name, never the value), so that no
secret's value can reach a context package through a settings default, a module constant or a
parameter default. With ``focus``, only the named top-level symbols are outlined in full; the rest of
the file is one line of names.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from pathlib import Path

SECRET_NAME = re.compile(r"(secret|passw(or)?d|passwd|token|api_?key|private_?key|credential|dsn|"
                         r"database_url|db_url|auth|signing|salt)", re.I)


# a literal that looks like a key or token whatever its name: long, no spaces, letters and digits mixed
SECRET_VALUE = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-+/=.:]{20,}$")


@dataclass
class Outline:
    lines: list[str]
    redacted: list[tuple[int, str]]  # (line, name) of each withheld value

    @property
    def redactions(self) -> int:
        return len(self.redacted)


class _Redactor(ast.NodeTransformer):
    """Replaces secret-looking string literals (by the name they are bound to, or by their look)."""

    def __init__(self, sink: list[tuple[int, str]]) -> None:
        self.sink = sink
        self.name = ""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, str) and value and (SECRET_NAME.search(self.name) or SECRET_VALUE.match(value)):
            self.sink.append((node.lineno, self.name or "literal"))
            return ast.copy_location(ast.Name(id="<redacted>"), node)
        return node


def _redact(node: ast.AST, name: str, sink: list[tuple[int, str]]) -> str:
    redactor = _Redactor(sink)
    redactor.name = name
    return ast.unparse(redactor.visit(copy.deepcopy(node)))


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, sink: list[tuple[int, str]]) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    args = copy.deepcopy(node.args)
    positional = args.posonlyargs + args.args
    defaulted = positional[len(positional) - len(args.defaults):]
    for i, (arg, default) in enumerate(zip(defaulted, args.defaults, strict=True)):
        args.defaults[i] = _named(default, arg.arg, sink)
    for i, (arg, kw_default) in enumerate(zip(args.kwonlyargs, args.kw_defaults, strict=True)):
        if kw_default is not None:
            args.kw_defaults[i] = _named(kw_default, arg.arg, sink)
    ret = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({ast.unparse(args)}){ret}"


def _named(node: ast.expr, name: str, sink: list[tuple[int, str]]) -> ast.expr:
    redactor = _Redactor(sink)
    redactor.name = name
    result: ast.expr = redactor.visit(node)
    return result


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, sink: list[tuple[int, str]]) -> list[str]:
    return [f"@{_redact(d, '', sink)}" for d in node.decorator_list]


def _assignment(node: ast.Assign | ast.AnnAssign) -> tuple[str, bool] | None:
    """How an assignment is shown, and whether a value was withheld."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    if not names:
        return None
    name = names[0]
    annotation = f": {ast.unparse(node.annotation)}" if isinstance(node, ast.AnnAssign) else ""
    value = node.value
    if value is None:
        return f"{name}{annotation}", False
    secret = (bool(SECRET_NAME.search(name)) and _has_literal(value)) or _looks_secret(value)
    if secret:
        return f"{name}{annotation} = <redacted>", True
    if isinstance(value, ast.Call):  # keep the constructor, drop the arguments' values
        return f"{name}{annotation} = {ast.unparse(value.func)}(...)", False
    return f"{name}{annotation}", False


def _has_literal(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value for n in ast.walk(node))


def _looks_secret(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) and SECRET_VALUE.match(n.value)
               for n in ast.walk(node))


def outline(source: str, *, focus: set[str] | None = None, names_only: bool = False,
            max_lines: int = 60) -> Outline:
    """An outline of ``source``; a file that does not parse gives a one-line note.

    ``focus``: top-level function and class names to outline in full; the others are listed by name
    on one line (``None``: outline everything). ``names_only``: functions as ``def name  # line N``
    without decorators or parameters (tests: the name is the behaviour, the fixtures are noise).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return Outline([f"# does not parse: line {exc.lineno}: {exc.msg}"], [])
    lines: list[str] = []
    redacted: list[tuple[int, str]] = []
    others: list[str] = []

    def visit(body: list[ast.stmt], indent: str) -> None:
        for node in body:
            if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                    and not indent and focus is not None and node.name not in focus):
                others.append(node.name)
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and names_only:
                lines.append(f"{indent}def {node.name}  # line {node.lineno}")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines.extend(f"{indent}{d}" for d in _decorators(node, redacted))
                lines.append(f"{indent}{_signature(node, redacted)}  # line {node.lineno}")
            elif isinstance(node, ast.ClassDef):
                lines.extend(f"{indent}{d}" for d in _decorators(node, redacted))
                bases = ", ".join(ast.unparse(b) for b in node.bases)
                lines.append(f"{indent}class {node.name}({bases}):  # line {node.lineno}")
                visit(node.body, indent + "    ")
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                shown = _assignment(node)
                if shown:
                    if shown[1]:
                        redacted.append((node.lineno, shown[0].split(" ", 1)[0].rstrip(":")))
                    lines.append(f"{indent}{shown[0]}")
    visit(tree.body, "")
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"# ... {len(lines) - max_lines} more lines"]
    if others:
        lines.append(f"# also defined here: {', '.join(others)}")
    return Outline(lines, redacted)


_outlines: dict[tuple[Path, frozenset[str] | None, bool], tuple[tuple[int, int], Outline]] = {}


def cached_outline(path: Path, focus: set[str] | None = None, names_only: bool = False) -> Outline:
    """``outline`` of a file, cached by (mtime, size): warm context packages reparse nothing."""
    st = path.stat()
    key = (path, frozenset(focus) if focus is not None else None, names_only)
    hit = _outlines.get(key)
    if hit and hit[0] == (st.st_mtime_ns, st.st_size):
        return hit[1]
    found = outline(path.read_text(encoding="utf-8", errors="replace"), focus=focus, names_only=names_only)
    if len(_outlines) > 4096:  # bound the memory of a long-lived server
        _outlines.clear()
    _outlines[key] = ((st.st_mtime_ns, st.st_size), found)
    return found
