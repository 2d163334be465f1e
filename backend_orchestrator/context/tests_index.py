"""Which tests exercise which routes: the URL literals each test file sends, matched to endpoints.

A test file is read with ``ast`` (never imported): every string that looks like a URL path
(``"/api/v1/orders"``, ``f"/api/v1/orders/{order.id}"``, ``f"{API}/orders"`` with ``API`` a module
constant) becomes a pattern whose dynamic parts are wildcards; a literal passed straight to
``client.get/post/put/patch/delete(...)`` also records the method. Results are cached per file by
(mtime, size), so a warm ``prepare_context`` does not reparse the suite.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass
from pathlib import Path

from ..contracts.registry import Endpoint

WILD = "\x00"  # a dynamic segment part in a pattern
_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}
_cache: dict[Path, tuple[tuple[int, int], tuple[tuple[str | None, str], ...]]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Hit:
    test: str  # project-relative path of the test file
    method: str | None  # None when the literal was not passed to a client method directly


def _text(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                parts.append(value.value)
            elif (isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name)
                  and value.value.id in constants):
                parts.append(constants[value.value.id])
            else:
                parts.append(WILD)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, constants), _text(node.right, constants)
        if left is not None or right is not None:
            return (left if left is not None else WILD) + (right if right is not None else WILD)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return None


def _literals(source: str) -> tuple[tuple[str | None, str], ...]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
    found: dict[tuple[str | None, str], None] = {}
    claimed: set[int] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _METHODS and node.args):
            text = _text(node.args[0], constants)
            if text and text.startswith("/"):
                found[(node.func.attr.upper(), text.split("?", 1)[0])] = None
                claimed.add(id(node.args[0]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in claimed:
            text = _text(node, constants)
            if text and text.startswith("/") and len(text) > 1 and " " not in text:
                found[(None, text.split("?", 1)[0])] = None
    return tuple(found)


def literals(path: Path) -> tuple[tuple[str | None, str], ...]:
    """(method or None, URL pattern) pairs a test file sends; cached by (mtime, size)."""
    try:
        st = path.stat()
    except OSError:
        return ()
    key = (st.st_mtime_ns, st.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached and cached[0] == key:
        return cached[1]
    found = _literals(path.read_text(encoding="utf-8", errors="replace"))
    with _lock:
        _cache[path] = (key, found)
    return found


def _segments_match(pattern: str, route: str) -> bool:
    """Does a test's URL ``pattern`` address the route template ``route``?"""
    a, b = pattern.strip("/").split("/"), route.strip("/").split("/")
    if len(a) != len(b):
        return False
    for seg, tmpl in zip(a, b, strict=True):
        if tmpl.startswith("{") or WILD in seg:
            if tmpl.startswith("{") and not seg:
                return False
            continue
        if seg != tmpl:
            return False
    return True


def route_key(path: str) -> tuple[int, str]:
    """An index key for a route template or a test pattern: segment count and first literal segment."""
    segs = path.strip("/").split("/")
    return len(segs), segs[0] if segs and WILD not in segs[0] and not segs[0].startswith("{") else ""


class TestIndex:
    """Tests that exercise each endpoint, from the URL literals of every ``test*.py`` file."""

    def __init__(self, root: Path, tests_dir: str) -> None:
        self.by_route: dict[str, list[Hit]] = {}
        self.files: list[str] = []
        self._patterns: dict[tuple[int, str], list[tuple[str | None, str, str]]] = {}
        folder = (root / tests_dir).resolve()
        if not folder.is_dir() or not folder.is_relative_to(root):
            return  # no tests folder: no endpoint has tests
        for path in sorted(folder.rglob("*.py")):
            if not path.resolve().is_relative_to(root):
                continue
            rel = path.relative_to(root).as_posix()
            self.files.append(rel)
            for method, pattern in literals(path):
                self._patterns.setdefault(route_key(pattern), []).append((method, pattern, rel))

    def tests_for(self, endpoint: Endpoint) -> list[str]:
        """Test files that send a request to ``endpoint`` (the method must match when it is known)."""
        key = route_key(endpoint.path)
        if key[1]:
            candidates = self._patterns.get(key, []) + self._patterns.get((key[0], ""), [])
        else:  # the route starts with a parameter: any pattern of that length may address it
            candidates = [p for k, group in self._patterns.items() if k[0] == key[0] for p in group]
        hits = {rel for method, pattern, rel in candidates
                if (method is None or method == endpoint.method) and _segments_match(pattern, endpoint.path)}
        return sorted(hits)
