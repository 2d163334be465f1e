"""Mass assignment (SC210): a model built or updated from the whole request body.

The whole body is a raw request mapping (`request.json`, `request.form`, `await request.json()`, a
`dict` body parameter), or a request schema dumped whole (`.dict()`, `.model_dump()`, `vars()`) whose
class declares privilege, owner or balance fields and that an endpoint open to non-admins accepts.
It reaches a model through `Model(**body)`, `Model.objects.create(**body)`, `update(M).values(**body)`,
`obj.__dict__.update(body)`, a query's `.update(body)`, `Model.model_validate(body)` or a
`for k, v in body.items(): setattr(obj, k, v)` loop that checks no key.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..discovery import literals
from ..discovery.dependencies import parameter_deps, parameters, unwrap_annotated
from ..discovery.files import SourceFile
from ..discovery.symbols import dotted, last
from .security_api import Project, callee
from .security_common import Function, Hit

_PRIVILEGED_FIELDS = frozenset({
    "is_admin", "admin", "is_superuser", "superuser", "is_staff", "staff", "role", "roles", "permissions", "scopes",
    "is_verified", "verified", "email_verified", "is_active", "owner_id", "owner", "created_by", "created_by_id",
    "tenant_id", "organization_id", "org_id", "balance", "credits", "is_premium",
})
_BODY_ATTRS = frozenset({"json", "form", "values", "data", "POST", "GET", "args", "query_params"})
_BODY_CALLS = frozenset({"get_json", "json", "form", "get_data", "body"})
_DUMPS = frozenset({"dict", "model_dump", "model_dump_for_orm", "to_dict"})
_PRIVILEGED_AUTH = re.compile(r"admin|superuser|staff|role|permission|scope", re.IGNORECASE)
_RAW_TYPES = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "Any", "Json", "JSON"})
_LOADERS = frozenset({"get", "get_or_404", "first", "first_or_404", "one", "one_or_none", "scalar_one",
                      "scalar_one_or_none", "scalar", "get_object_or_404"})


@dataclass(frozen=True)
class _Body:
    """A whole request body: raw (`fields` None: the client picks every field), or a request schema's privileged
    fields (empty when the schema only accepts extra fields)."""

    what: str
    fields: frozenset[str] | None


def _client_schemas(project: Project) -> dict[tuple[str, str], bool]:
    """Request-body schema classes -> whether some endpoint reachable without an admin role takes them."""
    out: dict[tuple[str, str], bool] = {}
    index = project.code.index
    for source, func, endpoints in project.handlers.values():
        open_to_all = any(not any(_PRIVILEGED_AUTH.search(a) for a in e.auth) and "admin" not in e.path.lower()
                          for e in endpoints)
        for arg, default in parameters(func):
            if arg.annotation is None or parameter_deps(index, source.module, arg, default):
                continue
            ann = unwrap_annotated(index, source.module, arg.annotation)[0]
            ann = ann.slice if isinstance(ann, ast.Subscript) and last(dotted(ann.value)) in ("list", "List") \
                else ann
            ref = index.resolve(source.module, ann)
            if ref is not None and ref.kind == "local" and index.class_def(ref) is not None:
                key = (ref.module, ref.name)
                out[key] = out.get(key, False) or open_to_all
    return out


def _schema(project: Project, module: str, name: str, depth: int = 0) -> tuple[set[str], bool]:
    """The annotated fields of a project class and its project base classes, and whether it accepts extra fields
    (`extra="allow"` in `model_config`, a `Config` class or the class keywords)."""
    index = project.code.index
    ref = index.resolve_name(module, name)
    node = index.class_def(ref)
    if node is None or ref is None or depth > 5:
        return set(), False
    fields = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
    extra = any(_allows_extra(n) for s in node.body for n in ast.walk(s)
                if isinstance(s, ast.Assign | ast.ClassDef)) or any(_allows_extra(k) for k in node.keywords)
    for base in index.bases(ref.module, node):
        if base.kind == "local":
            inherited, open_ended = _schema(project, base.module, base.name, depth + 1)
            fields |= inherited
            extra = extra or open_ended
    return fields, extra


def _allows_extra(node: ast.AST) -> bool:
    """`extra="allow"` (a keyword, a dict item, or `extra = Extra.allow` in a `Config` class)."""
    if isinstance(node, ast.keyword) and node.arg == "extra":
        value: ast.AST | None = node.value
    elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "extra" for t in node.targets):
        value = node.value
    elif isinstance(node, ast.Dict):
        value = next((v for k, v in zip(node.keys, node.values, strict=True) if literals.string(k) == "extra"), None)
    else:
        return False
    return value is not None and (literals.string(value) == "allow" or dotted(value).endswith("Extra.allow"))


class _Bodies:
    """Which names of one function hold a whole request body."""

    def __init__(self, project: Project, source: SourceFile, func: Function,
                 schemas: dict[tuple[str, str], bool]) -> None:
        self.project, self.source, self.func, self.schemas = project, source, func, schemas
        self.requests = project.request_names(source, func)
        self.typed: dict[str, tuple[str, str]] = {}  # parameter -> its schema class (module, name)
        self.names: dict[str, _Body] = {}
        index, module = project.code.index, source.module
        handler = project.handlers.get(id(func))
        for arg, default in parameters(func):
            if arg.annotation is None:
                if handler and default is not None and last(dotted(getattr(default, "func", default))) == "Body":
                    self.names[arg.arg] = _Body(f"the body parameter `{arg.arg}`", None)
                continue
            if parameter_deps(index, module, arg, default):
                continue
            ann = unwrap_annotated(index, module, arg.annotation)[0]
            ann = ann.left if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr) else ann
            ann = ann.slice if isinstance(ann, ast.Subscript) and last(dotted(ann.value)) == "Optional" else ann
            base = ann.value if isinstance(ann, ast.Subscript) else ann
            ref = index.resolve(module, ann)
            if ref is not None and ref.kind == "local" and (ref.module, ref.name) in schemas:
                self.typed[arg.arg] = (ref.module, ref.name)
            elif handler and last(dotted(base)) in _RAW_TYPES:
                self.names[arg.arg] = _Body(f"the body parameter `{arg.arg}`", None)
        for _ in range(3):
            before = len(self.names)
            for node in project.nodes(func):
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    body = self.body(node.value)
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name) and body is not None:
                            self.names.setdefault(target.id, body)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr == "update" and isinstance(node.func.value, ast.Name) and node.args and \
                        (body := self.body(node.args[0])) is not None:
                    self.names.setdefault(node.func.value.id, body)
            if len(self.names) == before:
                break
        for node in project.nodes(func):  # `data.pop("is_admin")` / `del data["role"]`: the code filters it
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pop" \
                    and isinstance(node.func.value, ast.Name):
                self.names.pop(node.func.value.id, None)
            elif isinstance(node, ast.Delete):
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                        self.names.pop(target.value.id, None)

    def body(self, expr: ast.AST) -> _Body | None:
        if isinstance(expr, ast.Await):
            return self.body(expr.value)
        if isinstance(expr, ast.Name):
            return self.names.get(expr.id) or self._dump(expr, None, f"`{expr.id}`")
        if isinstance(expr, ast.Attribute):
            if isinstance(expr.value, ast.Name) and expr.value.id in self.requests and expr.attr in _BODY_ATTRS:
                return _Body(f"`{dotted(expr)}`", None)
            if expr.attr == "__dict__":
                return self._dump(expr.value, None, f"`{dotted(expr)}`")
            return None
        if isinstance(expr, ast.Subscript):
            return self.body(expr.value)
        if isinstance(expr, ast.BoolOp):
            return next((b for v in expr.values if (b := self.body(v)) is not None), None)
        if isinstance(expr, ast.Dict):
            return next((b for k, v in zip(expr.keys, expr.values, strict=True)
                         if k is None and (b := self.body(v)) is not None), None)
        if isinstance(expr, ast.Call):
            return self._call(expr)
        return None

    def _call(self, call: ast.Call) -> _Body | None:
        name = callee(call)
        receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
        if isinstance(receiver, ast.Name) and receiver.id in self.requests and name in _BODY_CALLS:
            return _Body(f"`{dotted(call.func)}()`", None)
        if receiver is not None and name in _DUMPS:
            inner = self._dump(receiver, call, f"`{dotted(receiver)}.{name}()`")
            if inner is not None:
                return inner
        if receiver is not None and name in ("copy", "to_dict", "get") and (b := self.body(receiver)) is not None:
            return b
        if name in ("dict", "vars", "jsonable_encoder", "loads", "asdict") and call.args:
            return self.body(call.args[0]) or self._dump(call.args[0], None, f"`{name}({dotted(call.args[0])})`")
        return None

    def _dump(self, expr: ast.AST, call: ast.Call | None, what: str) -> _Body | None:
        """A schema instance dumped whole: its privileged fields (after `include=`/`exclude=`), if any."""
        if not isinstance(expr, ast.Name) or expr.id not in self.typed:
            return None
        module, name = self.typed[expr.id]
        if not self.schemas.get((module, name)):
            return None  # only admins send it
        fields, extra = _schema(self.project, module, name)
        include = _literal_keys(literals.keyword(call, "include")) if call is not None else None
        exclude = _literal_keys(literals.keyword(call, "exclude")) if call is not None else None
        fields = (fields & include if include is not None else fields) - (exclude or set())
        privileged = frozenset(fields & _PRIVILEGED_FIELDS)
        if privileged:
            return _Body(f"{what} ({name}, whose fields include {', '.join(sorted(privileged))})", privileged)
        if extra and include is None:
            return _Body(f'{what} ({name}, which accepts extra fields: `extra="allow"`)', frozenset())
        return None


def _literal_keys(node: ast.AST | None) -> set[str] | None:
    if isinstance(node, ast.Dict):
        return {k for k in (literals.string(k) for k in node.keys) if k}
    found = literals.strings(node)
    return set(found) if found is not None else None


def mass_assignment(project: Project) -> Iterator[Hit]:
    schemas = _client_schemas(project)
    for source, func in project.functions():
        if id(func) not in project.handlers and not project.request_names(source, func) and \
                not any(a.annotation is not None for a, _ in parameters(func)):
            continue  # no request, no body parameter, no typed parameter: nothing here holds a request body
        bodies = _Bodies(project, source, func, schemas)
        if not bodies.names and not bodies.typed and not bodies.requests:
            continue
        for node in project.nodes(func):
            if isinstance(node, ast.Call):
                found = _assigning_call(project, source, func, bodies, node)
                if found is not None:
                    yield _mass_hit(source, func, node, *found)
            elif isinstance(node, ast.For | ast.AsyncFor):
                found_loop = _setattr_loop(bodies, node)
                if found_loop is not None:
                    yield _mass_hit(source, func, found_loop[0], "every key of", found_loop[1])


def _assigning_call(project: Project, source: SourceFile, func: Function, bodies: _Bodies,
                    call: ast.Call) -> tuple[str, _Body] | None:
    """`Model(**body)`, `Model.objects.create(**body)`, `update(M).values(**body)`, `obj.__dict__.update(body)`,
    `query.update(body)`, `Model.model_validate(body)`: what is written and from which body."""
    module = source.module
    spread = next((b for k in call.keywords if k.arg is None and (b := bodies.body(k.value)) is not None), None)
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if spread is not None:
        if project.is_model(module, call.func):
            return f"a {callee(call)} from", spread
        chain = dotted(receiver) if receiver is not None else ""
        if method in ("create", "get_or_create", "update_or_create", "update") and \
                (".objects" in f".{chain}" or _queryish(project, module, func, receiver)):
            return f"{chain}.{method}() from", spread
        if method == "values" and isinstance(receiver, ast.Call) and callee(receiver) in ("update",
                                                                                                     "insert"):
            return f"{dotted(receiver.func)}().values() from", spread
        return None
    first = bodies.body(call.args[0]) if call.args else None
    if first is None:
        return None
    if method == "update" and isinstance(receiver, ast.Attribute) and receiver.attr == "__dict__":
        return f"`{dotted(receiver)}` from", first
    if method == "update" and _queryish(project, module, func, receiver):
        return f"{dotted(receiver) if receiver is not None else 'it'}.update() from", first
    if method in ("model_validate", "parse_obj", "from_orm", "from_dict") and receiver is not None and \
            project.is_model(module, receiver):
        return f"a {last(dotted(receiver))} from", first
    return None


def _queryish(project: Project, module: str, func: Function, receiver: ast.AST | None) -> bool:
    """A query (`.filter(...)`, `.query`, `.objects`) or an object loaded or built as an ORM model here."""
    if isinstance(receiver, ast.Call):
        return callee(receiver) in ("filter", "filter_by", "where", "query", "all", "select") or \
            _queryish(project, module, func, receiver.func)
    if isinstance(receiver, ast.Attribute):
        return receiver.attr in ("query", "objects") or _queryish(project, module, func, receiver.value)
    if isinstance(receiver, ast.Name):
        for names, value in project.bound(func):
            if receiver.id in names and isinstance(value, ast.Call) and (
                    project.is_model(module, value.func) or (callee(value) in _LOADERS and (
                        any(isinstance(a, ast.Name) and project.is_model(module, a) for a in value.args)
                        or _queryish(project, module, func, getattr(value.func, "value", None))))):
                return True
    return False


def _setattr_loop(bodies: _Bodies, loop: ast.For | ast.AsyncFor) -> tuple[ast.Call, _Body] | None:
    """`for k, v in body.items(): setattr(obj, k, v)` without a check of `k` against a list of fields."""
    source = loop.iter
    if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute) and source.func.attr == "items":
        source = source.func.value
    body = bodies.body(source)
    if body is None:
        return None
    key = loop.target.elts[0] if isinstance(loop.target, ast.Tuple) and loop.target.elts else loop.target
    if not isinstance(key, ast.Name):
        return None
    stack: list[ast.stmt] = list(loop.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.If) and any(isinstance(n, ast.Name) and n.id == key.id and isinstance(c, ast.Compare)
                                            for c in ast.walk(stmt.test) for n in ast.walk(c)):
            continue  # the key is checked against something: an allowlist or a denylist
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and dotted(stmt.value.func) == "setattr" \
                and len(stmt.value.args) >= 2 and isinstance(stmt.value.args[1], ast.Name) and \
                stmt.value.args[1].id == key.id:
            return stmt.value, body
        for name in ("body", "orelse"):
            stack.extend(getattr(stmt, name, []))
    return None


def _mass_hit(source: SourceFile, func: Function, node: ast.Call, what: str, body: _Body) -> Hit:
    fields = "the client chooses every field, including the ones the server decides (role, is_admin, owner, " \
        "balance)" if body.fields is None else "the client can add any field" if not body.fields else \
        f"the client can set {', '.join(sorted(body.fields))}, which the server should decide"
    return Hit("SC210", f"{func.name}() writes {what} {body.what} ({source.rel}:{node.lineno}): {fields}. "
                        "Copy the fields the caller may "
                        "set from an explicit create/update schema without privilege or owner fields "
                        '(`model_config = ConfigDict(extra="forbid")`), and set the rest on the server.',
               path=source.rel, line=node.lineno, title="Mass assignment from the request body",
               evidence=f"{dotted(node.func)}(): {body.what}", end_line=node.end_lineno)
