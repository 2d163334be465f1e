"""What the security gate's parts share: a finding-to-be (`Hit`) and the parsed project (`Code`).

The parts (bandit, detect-secrets, the taint rules, the route rules) return hits; the gate turns
them into findings after merging the ones different tools report for the same line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..contracts.common import Severity
from ..contracts.registry import Endpoint
from ..discovery.files import SourceFile, load
from ..discovery.symbols import ProjectIndex, last

Function = ast.FunctionDef | ast.AsyncFunctionDef


# the methods of a DRF viewset that answer an HTTP method on the collection (False) or one item (True)
_VIEWSET_ACTIONS = {("GET", False): ("list",), ("GET", True): ("retrieve",), ("POST", False): ("create",),
                    ("PUT", True): ("update",), ("PATCH", True): ("partial_update", "update"),
                    ("DELETE", True): ("destroy",)}


@dataclass
class Hit:
    """One finding before merging: the rule, where, and what found it (`source`, empty for our own rules)."""

    rule_id: str
    message: str
    path: str
    line: int | None
    title: str | None = None
    evidence: str | None = None
    severity: Severity | None = None
    cwe: int | None = None
    end_line: int | None = None
    source: str = ""
    endpoint: str | None = None  # about an endpoint as a whole (its fingerprint follows the endpoint, not the code)


class Code:
    """The project's parsed source files (shared with discovery's parse cache) and their name index."""

    def __init__(self, root: Path, paths: list[Path]) -> None:
        self.root = root
        self.files = load(root, paths)
        self.index = ProjectIndex(self.files)
        self.by_rel = {f.rel: f for f in self.files}

    def handler(self, endpoint: Endpoint) -> tuple[SourceFile, Function] | None:
        """The function an endpoint's registry entry names (`module:function`, at `file:line`); for a
        class-based view (`module:Class`, Django and DRF) the method that answers the endpoint's HTTP method
        (`post`, or the viewset action `create`/`update`/`partial_update`/`destroy`), in the class or a base
        class of the project."""
        source = self.by_rel.get(endpoint.file)
        if source is None or source.tree is None:
            return None
        name = last(endpoint.handler.rpartition(":")[2])
        candidates = [f for f in source.parsed.nodes(ast.FunctionDef) + source.parsed.nodes(ast.AsyncFunctionDef)
                      if f.name == name]
        for func in candidates:
            first = min([func.lineno, *(d.lineno for d in func.decorator_list)])
            if first <= endpoint.line <= func.lineno:
                return source, func
        if len(candidates) == 1:
            return source, candidates[0]
        if candidates:
            return None
        return self._view_method(source, name, endpoint)

    def _view_method(self, source: SourceFile, name: str, endpoint: Endpoint) -> tuple[SourceFile, Function] | None:
        ref = self.index.resolve(source.module, ast.Name(name))
        if self.index.class_def(ref) is None or ref is None:
            return None
        detail = endpoint.path.rstrip("/").endswith("}")
        wanted = [endpoint.method.lower(), *_VIEWSET_ACTIONS.get((endpoint.method, detail), ())]
        for current in (ref, *(b for b in self.index.ancestors(ref) if b.kind == "local")):
            node = self.index.class_def(current)
            methods = {s.name: s for s in (node.body if node is not None else [])
                       if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)}
            for method in wanted:
                if method in methods:
                    return self.index.modules[current.module].source, methods[method]
        return None


def functions(source: SourceFile) -> Iterator[Function]:
    """Every function of a file, nested ones included, in source order."""
    if source.tree is None:
        return
    found = source.parsed.nodes(ast.FunctionDef) + source.parsed.nodes(ast.AsyncFunctionDef)
    yield from sorted(found, key=lambda f: (f.lineno, f.col_offset))


def own_nodes(func: Function) -> Iterator[ast.AST]:
    """The nodes of `func`'s body, not descending into nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed([c for c in ast.iter_child_nodes(node)
                               if not isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                                                 | ast.Lambda)]))


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words(name: str) -> list[str]:
    """`DEV_SECRET_KEY`, `apiKey`, `client-secret` -> lower-case words."""
    return [w for w in re.split(r"[_\-.\s]+", _CAMEL.sub("_", name).lower()) if w]
