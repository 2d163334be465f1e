"""What the architecture gate reads from the project's parsed modules: imports, what names are bound to, and
every call with the context it is written in (awaited, in a loop, inside which `try`).

Names resolve to dotted strings: `requests.get`, `httpx.AsyncClient().get` (a method of an instance),
`sqlalchemy.orm.Session().execute` (a parameter annotated `Session`), following imports, module-level
instances (`client = httpx.Client()`) and annotation aliases (`SessionDep = Annotated[Session, ...]`) across the
project's modules. An unbound name stays as written (`session.execute`). Hand-written rather than taken from
a linter: ruff and semgrep can match a call pattern but not "inside the handler this registry names", and
import-linter sees imports, not calls. Trees come from the discovery parse cache, so nothing is parsed twice.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..discovery.files import SourceFile, load
from ..discovery.symbols import absolute_module, walk_statements

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Module
_SKIP = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_DB_DEPENDENCY = re.compile(r"db|session", re.IGNORECASE)
_EMPTY: Mapping[str, str] = {}
# (node, in a loop, in a lambda, the enclosing `try` statements, awaited)
_Visit = tuple[ast.AST, bool, bool, tuple[ast.Try | ast.TryStar, ...], bool]


@dataclass(frozen=True)
class Hit:
    """A finding before it is one: the rule, where, and what to say."""

    rule: str
    path: str
    line: int
    message: str
    title: str | None = None
    evidence: str | None = None
    endpoint: str | None = None  # a finding about the handler as a whole: its fingerprint follows the endpoint


@dataclass(frozen=True)
class CallSite:
    """One call, resolved: `name` is the dotted callee, `receiver` what the method is called on ("" for a plain
    function), `method` the last segment."""

    node: ast.Call
    name: str
    receiver: str
    method: str
    awaited: bool
    in_loop: bool
    deferred: bool  # written in a lambda: it runs later, maybe elsewhere
    tries: tuple[ast.Try | ast.TryStar, ...]  # the `try` statements whose body holds it, outermost first

    @property
    def line(self) -> int:
        return self.node.lineno


def snippet(node: ast.AST) -> str:
    """The source text of `node` for a message, cut to 80 characters (and safe on absurdly deep expressions)."""
    try:
        text = ast.unparse(node)
    except RecursionError:
        return "..."
    return text if len(text) <= 80 else text[:77] + "..."


def called(call: CallSite) -> str:
    """`requests.get()`: how a call is shown in a message."""
    return f"{snippet(call.node.func)}()"


def instance_class(receiver: str) -> str:
    """`httpx.Client()` -> `httpx.Client`; "" when the receiver is not a known instance."""
    return receiver[:-2] if receiver.endswith("()") else ""


class Project:
    """The parsed modules, and the module-level names that stand for an instance or a type."""

    def __init__(self, root: Path, paths: list[Path]) -> None:
        self.modules = [ModuleView(self, f) for f in load(root, paths) if f.tree is not None]
        self.by_path = {m.rel: m for m in self.modules}
        self.bound: dict[str, str] = {}  # "pkg.mod.name" -> "httpx.Client()" or "sqlalchemy.orm.Session"
        for module in self.modules:
            module.collect_globals()

    def resolve(self, dotted: str) -> str:
        for _ in range(3):  # a re-export of a re-export
            if dotted not in self.bound:
                break
            dotted = self.bound[dotted]
        return dotted


class ModuleView:
    """One parsed module: its imports and module-level bindings, its functions and their calls."""

    def __init__(self, project: Project, source: SourceFile) -> None:
        assert source.tree is not None
        self.project, self.source, self.tree, self.rel = project, source, source.tree, source.rel
        self.imports: dict[str, str] = {}
        self.globals: dict[str, str] = {}
        self.strings: dict[str, tuple[str, int]] = {}  # module-level NAME = "literal" -> (value, line)
        parsed = source.parsed
        for imp in parsed.nodes(ast.Import):
            for alias in imp.names:
                top = alias.name.split(".")[0]
                self.imports[alias.asname or top] = alias.name if alias.asname else top
        for frm in parsed.nodes(ast.ImportFrom):
            base = absolute_module(source.module, source.is_package, frm.module, frm.level)
            for alias in frm.names:
                if alias.name != "*":
                    self.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
        self.functions = {s.name: s for s in self.tree.body if isinstance(s, FuncDef)}
        self._calls: dict[int, list[CallSite]] = {}

    def defs(self) -> Iterator[FuncDef]:
        """Every function and method of the module, nested ones included."""
        yield from self.source.parsed.nodes(ast.FunctionDef)
        yield from self.source.parsed.nodes(ast.AsyncFunctionDef)

    def collect_globals(self) -> None:
        """Module-level instances (`x = httpx.Client()`), type aliases (`X = Annotated[T, ...]`), string constants."""
        for stmt, _, _ in walk_statements(self.tree.body):
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                name, value = stmt.targets[0].id, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                name, value = stmt.target.id, stmt.value
            else:
                continue
            bound = ""
            if isinstance(value, ast.Call):
                callee = self.qualname(value.func)
                bound = f"{callee}()" if callee else ""
            elif isinstance(value, ast.Subscript) and self.qualname(value.value).endswith("Annotated"):
                bound = self.annotation(value)
            elif isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.strings[name] = (value.value, stmt.lineno)
            if bound:
                self.globals[name] = bound
                self.project.bound[f"{self.source.module}.{name}"] = bound

    def qualname(self, expr: ast.AST, local: Mapping[str, str] = _EMPTY) -> str:
        """The dotted name `expr` stands for (`httpx.Client().get`), or "" when it is not a chain of names,
        attributes and calls."""
        suffix: list[str] = []
        while isinstance(expr, ast.Attribute | ast.Call):  # a loop, not recursion: chains can be long
            if isinstance(expr, ast.Attribute):
                suffix.append(f".{expr.attr}")
                expr = expr.value
            else:
                suffix.append("()")
                expr = expr.func
        if not isinstance(expr, ast.Name):
            return ""
        name = expr.id
        if name in local:
            head = local[name]
        elif name in self.globals:
            head = self.globals[name]
        elif name in self.imports:
            head = self.project.resolve(self.imports[name])
        else:
            head = name
        return head + "".join(reversed(suffix))

    def annotation(self, node: ast.expr | None, local: Mapping[str, str] = _EMPTY) -> str:
        """The type an annotation names: through `Annotated[T, ...]`, `Optional[T]`, `T | None` and aliases."""
        if node is None:
            return ""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = node.left
            none = isinstance(left, ast.Constant) and left.value is None
            return self.annotation(node.right if none else left, local)
        if isinstance(node, ast.Subscript):
            outer = self.qualname(node.value, local)
            if outer.endswith(("Annotated", "Optional")):
                inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
                return self.annotation(inner, local)
            return ""
        name = self.qualname(node, local)
        return name.removesuffix("()")

    def _parameters(self, fn: FuncDef) -> dict[str, str]:
        """Parameters that are instances: annotated with a type, or injected by a db/session dependency."""
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        defaults: dict[str, ast.expr] = dict(zip([a.arg for a in positional[-len(args.defaults):]], args.defaults,
                                                 strict=False)) if args.defaults else {}
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None})
        found: dict[str, str] = {}
        for arg in (*positional, *args.kwonlyargs):
            kind = self.annotation(arg.annotation)
            if kind:
                found[arg.arg] = f"{kind}()"
            elif self._db_dependency(defaults.get(arg.arg)):
                found[arg.arg] = "db-session()"
        return found

    def _db_dependency(self, default: ast.expr | None) -> bool:
        if not isinstance(default, ast.Call) or not self.qualname(default.func).endswith("Depends") or not default.args:
            return False
        return bool(_DB_DEPENDENCY.search(self.qualname(default.args[0])))

    def calls(self, scope: Scope) -> list[CallSite]:
        """Every call written in `scope` (a function, or the module's own level), nested defs excluded."""
        key = id(scope)
        if key not in self._calls:
            local = self._parameters(scope) if isinstance(scope, FuncDef) else {}
            body = scope.body
            if isinstance(scope, ast.Module):
                body = [s for s in body if not isinstance(s, FuncDef)]
            self._calls[key] = self._walk(body, local)
        return self._calls[key]

    def _walk(self, body: list[ast.stmt], local: dict[str, str]) -> list[CallSite]:
        # Hand-written rather than ast.walk: the context (loop, lambda, enclosing try, await) is the point.
        # Iterative and in source order, so that a name is bound before the calls that follow use it.
        found: list[CallSite] = []
        stack: list[_Visit] = [(stmt, False, False, (), False) for stmt in reversed(body)]
        while stack:
            node, in_loop, deferred, tries, awaited = stack.pop()
            if isinstance(node, ast.Call):
                self._record(node, local, found, in_loop, deferred, tries, awaited)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
                callee = self.qualname(node.value.func, local)
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name) and callee:
                        local[target.id] = f"{callee}()"
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name) and isinstance(item.context_expr, ast.Call):
                        callee = self.qualname(item.context_expr.func, local)
                        if callee:
                            local[item.optional_vars.id] = f"{callee}()"
            children: list[_Visit] = []
            if isinstance(node, ast.Try | ast.TryStar):
                children = [(s, in_loop, deferred, (*tries, node), False) for s in node.body]
                children += [(p, in_loop, deferred, tries, False)
                             for p in (*node.handlers, *node.orelse, *node.finalbody)]
            elif isinstance(node, _LOOPS):
                head = [node.test] if isinstance(node, ast.While) else [node.target, node.iter]
                children = [(h, in_loop, deferred, tries, False) for h in head]
                children += [(s, True, deferred, tries, False) for s in (*node.body, *node.orelse)]
            else:
                loop = in_loop or isinstance(node, _COMPREHENSIONS)
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.Lambda):
                        children.append((child.body, loop, True, tries, False))
                    elif not isinstance(child, _SKIP):
                        children.append((child, loop, deferred, tries,
                                         isinstance(node, ast.Await) and isinstance(child, ast.Call)))
            stack.extend(reversed(children))
        return found

    def _record(self, node: ast.Call, local: Mapping[str, str], out: list[CallSite], in_loop: bool,
                deferred: bool, tries: tuple[ast.Try | ast.TryStar, ...], awaited: bool) -> None:
        func = node.func
        name = self.qualname(func, local)
        if isinstance(func, ast.Attribute):
            receiver, method = self.qualname(func.value, local), func.attr
        elif isinstance(func, ast.Name):
            receiver, method = "", func.id
        else:
            return
        out.append(CallSite(node, name, receiver, method, awaited, in_loop, deferred, tries))

    def handler(self, line: int, name: str) -> FuncDef | None:
        """The function a registry entry points at: defined on `line` (else the nearest one called `name`)."""
        named: list[FuncDef] = []
        for fn in self.defs():
            if fn.lineno == line:
                return fn
            if fn.name == name:
                named.append(fn)
        return min(named, key=lambda f: abs(f.lineno - line)) if named else None


def own_nodes(fn: FuncDef) -> Iterator[ast.AST]:
    """Every node of `fn`'s body, nested functions and lambdas excluded."""
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _SKIP))
