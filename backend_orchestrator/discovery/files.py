"""Which files static discovery reads, and their parsed trees.

Parsing is cached per process by content hash, so an unchanged file is never reparsed, whatever
its path or mtime. Nothing here imports or executes the target's code.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..contracts.registry import Unresolved

EXCLUDED_DIRS = frozenset(
    {
        "tests",
        "test",
        "testing",  # test support packages (fixtures, fake clients): not the backend
        "migrations",
        "alembic",
        ".venv",
        "venv",
        "ai-state",
        "node_modules",
        "site-packages",
        "build",
        "dist",
        "__pycache__",
    }
)
_CACHE_LIMIT = 20_000
MAX_FILE_BYTES = 2_000_000


class Parsed:
    """A parsed file (or why it could not be parsed).

    It lives as long as the content is cached, so what is derived from the tree alone is memoised
    here too: nodes by type, the function each node is written in, and `memo(key, make)` values.
    """

    __slots__ = ("_by_type", "_enclosing", "_memo", "data", "error", "error_line", "tree")

    def __init__(self, tree: ast.Module | None, error: str = "", error_line: int = 1, data: bytes = b"") -> None:
        self.tree = tree
        self.data = data  # the source bytes parsed (for cheap textual filters: what they lack is not there)
        self.error = error
        self.error_line = error_line
        self._by_type: dict[type, list[ast.AST]] | None = None
        self._enclosing: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] | None = None
        self._memo: dict[object, object] = {}

    def nodes(self, kind: type[_N]) -> list[_N]:
        """Every node of exactly type `kind` in the file, in source order."""
        by_type = self._by_type
        if by_type is None:
            by_type = self._index()
        return by_type.get(kind, [])  # type: ignore[return-value]

    def _index(self) -> dict[type, list[ast.AST]]:
        """Build the index, then publish it whole: gates running in parallel threads share this object,
        and one must never see another's half-built index (it would miss nodes).

        One pre-order walk over the fields that can hold nodes (what `ast.iter_child_nodes` does, at a
        fraction of the cost: this walk is most of what an analyser spends on a file it looks into).
        Expression contexts and operators (`Load`, `Add`, `Eq`, ...: shared singletons, no source
        position) are not indexed."""
        by_type: dict[type, list[ast.AST]] = {}
        found = by_type.get
        fields_of = _CHILD_FIELDS.get
        stack: list[ast.AST] = [self.tree] if self.tree is not None else []
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            kind = type(node)
            same = found(kind)
            if same is None:
                by_type[kind] = [node]
            else:
                same.append(node)
            fields = fields_of(kind)
            if fields is None:
                fields = _child_fields(kind)
            for name in fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    extend([child for child in reversed(value) if isinstance(child, _AST)])
                elif isinstance(value, _AST):
                    push(value)
        self._by_type = by_type
        return by_type

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The outermost function `node` is written in, if any: the one whose source span (from its first
        decorator to its end) holds where `node` starts (the spans of outermost functions are disjoint, and
        only a function's own nodes lie within its span). A node with no position is looked up by id."""
        line = getattr(node, "lineno", None)
        if line is None:
            enclosing = self._enclosing
            if enclosing is None:
                enclosing = self._enclosing = self._functions()
            return enclosing.get(id(node))
        spans = self.memo("function spans", self._spans)
        where = (line, getattr(node, "col_offset", 0))
        at = bisect.bisect_right(spans[0], where)
        if at and where <= spans[1][at - 1] and spans[2][at - 1] is not node:
            return spans[2][at - 1]
        return None

    def _spans(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[_Function]]:
        """The outermost functions, sorted: their starts, their ends and themselves."""
        functions: list[_Function] = [*self.nodes(ast.FunctionDef), *self.nodes(ast.AsyncFunctionDef)]
        found = sorted(
            (
                min([(f.lineno, f.col_offset), *((d.lineno, d.col_offset) for d in f.decorator_list)]),
                (f.end_lineno or f.lineno, f.end_col_offset or 0),
                f,
            )
            for f in functions
        )
        starts: list[tuple[int, int]] = []
        ends: list[tuple[int, int]] = []
        outermost: list[_Function] = []
        for start, end, function in found:
            if ends and start <= ends[-1]:  # nested in the previous outermost function
                continue
            starts.append(start)
            ends.append(end)
            outermost.append(function)
        return starts, ends, outermost

    def _functions(self) -> dict[int, ast.FunctionDef | ast.AsyncFunctionDef]:
        """id(node) -> the outermost function it is written in, for every node inside a function."""
        enclosing: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
            *self.nodes(ast.FunctionDef), *self.nodes(ast.AsyncFunctionDef)
        ]
        for function in functions:
            if id(function) in enclosing:  # nested in another function: the outer one claims it
                continue
            stack: list[ast.AST] = list(ast.iter_child_nodes(function))
            while stack:
                node = stack.pop()
                enclosing[id(node)] = function
                stack.extend(ast.iter_child_nodes(node))
        return enclosing

    def memo(self, key: object, make: Callable[[], _T]) -> _T:
        """`make()`, computed once per content and `key`."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]  # type: ignore[return-value]


_AST = ast.AST
_Function = ast.FunctionDef | ast.AsyncFunctionDef
_N = TypeVar("_N", bound=ast.AST)
_T = TypeVar("_T")
_PARSED: dict[bytes, Parsed] = {}
# fields `Parsed._index` does not look into: expression contexts and operators (singletons), and
# `Constant.value` (a Python value)
_NOT_CHILDREN = frozenset({"ctx", "op", "ops"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of node type `kind` that may hold nodes, last first (the walk pushes them on a stack)."""
    fields = tuple(
        name for name in reversed(getattr(kind, "_fields", ()))
        if name not in _NOT_CHILDREN and not (kind is ast.Constant and name == "value")
    )
    _CHILD_FIELDS[kind] = fields
    return fields


@dataclass(frozen=True)
class SourceFile:
    """One Python file of the target; `tree` is None when it could not be parsed."""

    path: Path
    rel: str
    module: str
    is_package: bool
    parsed: Parsed

    @property
    def tree(self) -> ast.Module | None:
        return self.parsed.tree

    @property
    def error(self) -> str:
        return self.parsed.error

    @property
    def error_line(self) -> int:
        return self.parsed.error_line


def parse_source(data: bytes) -> Parsed:
    """Parse `data`, memoised by content hash."""
    key = hashlib.blake2b(data, digest_size=16).digest()
    hit = _PARSED.get(key)
    if hit is not None:
        return hit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences in the target's code
            result = Parsed(ast.parse(data), data=data)
    except SyntaxError as exc:
        result = Parsed(None, f"syntax error: {exc.msg}", exc.lineno or 1)
    except (ValueError, RecursionError, MemoryError) as exc:
        result = Parsed(None, f"cannot parse: {type(exc).__name__}: {exc}")
    if len(_PARSED) >= _CACHE_LIMIT:
        for old in list(_PARSED)[: _CACHE_LIMIT // 4]:
            del _PARSED[old]
    _PARSED[key] = result
    return result


def parse_file(path: Path, data: bytes | None = None) -> Parsed:
    """Parse the file at `path`; `data`, when given, is its content already read (e.g. to hash it)."""
    try:
        if data is None:
            if path.stat().st_size > MAX_FILE_BYTES:
                return _too_large()
            data = path.read_bytes()
    except OSError as exc:
        return Parsed(None, f"cannot read: {exc.strerror or exc}")
    return _too_large() if len(data) > MAX_FILE_BYTES else parse_source(data)


def _too_large() -> Parsed:
    return Parsed(None, f"larger than {MAX_FILE_BYTES // 1_000_000} MB; probably generated")


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def is_test_file(name: str) -> bool:
    """A test module by pytest's and Django's conventions (``test_*.py``, ``*_test.py``, ``tests.py``) — not
    ``*_tests.py``, which real code uses for modules about tests (airflow's ``connection_tests.py``)."""
    return name.startswith("test_") or name.endswith("_test.py") or name in ("conftest.py", "tests.py")


def _descend(dirpath: str, dirnames: list[str]) -> list[str]:
    """The sub-folders of `dirpath` the walk goes into."""
    return sorted(
        d
        for d in dirnames
        if d not in EXCLUDED_DIRS and not d.startswith(".") and not os.path.islink(os.path.join(dirpath, d))
    )


def walked_folders(top: Path) -> list[str]:
    """Every folder `_walk(top, ...)` goes through (for the CLI's replay manifest, `scan_replay.py`)."""
    found = []
    for dirpath, dirnames, _ in os.walk(top):
        dirnames[:] = _descend(dirpath, dirnames)
        found.append(dirpath)
    return found


def _walk(top: Path, root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(top):  # does not descend into symlinked dirs
        dirnames[:] = _descend(dirpath, dirnames)
        for name in sorted(filenames):
            if not name.endswith(".py") or is_test_file(name):
                continue
            path = Path(dirpath, name)
            if path.is_symlink() and not _inside(path, root):
                continue
            yield path


def source_paths(root: Path, source: list[str]) -> tuple[list[Path], list[Unresolved]]:
    """The backend's `.py` files: the configured `source` entries, else the whole project."""
    problems: list[Unresolved] = []
    if not source:
        return sorted(set(_walk(root, root))), problems
    found: set[Path] = set()
    for entry in source:
        path = root / entry
        if not path.exists() or not _inside(path, root):
            problems.append(
                Unresolved(
                    file=entry,
                    line=1,
                    reason=f"source entry {entry!r} is not a folder or .py file inside the project",
                )
            )
        elif path.is_dir():
            found.update(_walk(path, root))
        elif path.suffix == ".py":
            found.add(path)
    return sorted(found), problems


def _stem(name: str) -> str:
    """`Path(name).stem`, on a string."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _module_name(root: str, rel: str, init_cache: dict[str, bool]) -> tuple[str, bool]:
    """The dotted module name of the root-relative posix path `rel`, and whether it is a package."""

    def has_init(folder: str) -> bool:
        known = init_cache.get(folder)
        if known is None:
            known = init_cache[folder] = os.path.isfile(f"{root}/{folder}/__init__.py")
        return known

    folder, _, name = rel.rpartition("/")
    is_package = name == "__init__.py"
    parts = [] if is_package else [_stem(name)]
    if folder and not has_init(folder):  # namespace package: use the path, minus src/
        names = folder.split("/")
        if names[0] == "src":
            names = names[1:]
        return ".".join([*names, *parts]), is_package
    while folder and has_init(folder):
        folder, _, package = folder.rpartition("/")
        parts.insert(0, package)
    return ".".join(parts), is_package


def load(root: Path, paths: list[Path], contents: Mapping[Path, bytes] | None = None) -> list[SourceFile]:
    """Parse `paths` (absolute, under `root`) into SourceFiles with dotted module names.

    `contents` holds files already read (by path), which are then parsed from those bytes."""
    init_cache: dict[str, bool] = {}
    files: list[SourceFile] = []
    seen: set[str] = set()
    known = contents or {}
    top = str(root)
    prefix = top.rstrip("/") + "/"
    for path in paths:
        name = str(path)
        rel = name[len(prefix):] if name.startswith(prefix) else path.relative_to(root).as_posix()
        module, is_package = _module_name(top, rel, init_cache)
        if not module or module in seen:  # e.g. two namespace roots: fall back to the full path
            folder, _, base = rel.rpartition("/")
            module = ".".join([*(folder.split("/") if folder else []), _stem(base)])
        seen.add(module)
        files.append(SourceFile(path, rel, module, is_package, parse_file(path, known.get(path))))
    return files
