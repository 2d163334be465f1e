"""Outbound clients and infrastructure a module sets up: HTTP clients, caches, queues, email, payment,
storage, databases, search.

A service is recognised only by a call whose callee resolves, through the module's imports, to a
known constructor (`service_catalog.py`: `httpx.AsyncClient`, `redis.from_url`, `celery.Celery`,
`rq.Queue`, `kafka.KafkaProducer`, `pika.BlockingConnection`, `smtplib.SMTP`, `boto3.client("s3")`,
`minio.Minio`, `sqlalchemy.create_engine`, ...), or by any use of the `stripe` module.
`config_keys` are names only, never values (a literal URL or host is not recorded): environment
variables the module reads and settings keys (`settings.redis_url`, `app.config["REDIS_URL"]`)
passed to the constructor (followed one step through a module-level name or a parameter of the
enclosing function); environment variables read elsewhere in the module go to every service of
the module, since which one uses them is unknown.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import partial
from operator import attrgetter

from ..contracts.registry import Service, ServiceKind
from . import literals
from .service_catalog import (
    ANY_USE,
    BOTO3,
    BOTO3_SESSIONS,
    CONSTRUCTORS,
    ENV_READERS,
    IMPORT_PREFIXES,
    MODULE_FUNCTIONS,
)
from .symbols import (
    Import,
    ModuleInfo,
    ProjectIndex,
    absolute_module,
    all_statements,
    dotted,
    last,
    statements,
)

_SETTINGS_NAMES = frozenset({"settings", "config", "conf", "cfg"})


def _service_of(index: ProjectIndex, module: str, call: ast.Call) -> tuple[ServiceKind, str] | None:
    name = index.qualname(module, call.func)
    if name in CONSTRUCTORS:
        return CONSTRUCTORS[name]
    owner, _, function = name.rpartition(".")
    if function in MODULE_FUNCTIONS.get(owner, ()):
        return "http-client", owner
    if name in ("boto3.client", "boto3.resource") or _is_boto3_session_client(index, module, call.func):
        service = literals.string(literals.keyword(call, "service_name", 0)) or "aws"
        return BOTO3.get(service, "other"), service
    return None


def _is_boto3_session_client(index: ProjectIndex, module: str, func: ast.expr) -> bool:
    """`boto3.Session(...).client(...)`, or `session.client(...)` with a module-level `session = boto3.Session()`."""
    if not (isinstance(func, ast.Attribute) and func.attr in ("client", "resource")):
        return False
    owner: ast.expr | None = func.value
    if isinstance(owner, ast.Name):
        bound = index.binding(index.resolve(module, owner))
        owner = bound.node if bound is not None and isinstance(bound.node, ast.expr) else None
    return isinstance(owner, ast.Call) and index.qualname(module, owner.func) in BOTO3_SESSIONS


def _may_construct(imp: Import) -> bool:
    target = imp.module if imp.name is None else f"{imp.module}.{imp.name}"
    return target in IMPORT_PREFIXES or target.split(".")[0] in ANY_USE


def _env_keys(index: ProjectIndex, module: str, tree: ast.AST, walk: bool = True) -> Iterator[str]:
    """Names read with os.environ["X"], os.environ.get("X"), os.getenv("X")."""
    for node in ast.walk(tree) if walk else (tree,):
        if isinstance(node, ast.Subscript) and index.qualname(module, node.value) == "os.environ":
            if (key := literals.string(node.slice)) is not None:
                yield key
        elif isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute | ast.Name):
            name = index.qualname(module, node.func)
            if name in ENV_READERS and (key := literals.string(node.args[0])) is not None:
                yield key


def _is_settings(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    name = last(dotted(node)).lower() if isinstance(node, ast.Name | ast.Attribute) else ""
    name = name.removeprefix("get_")
    return name in _SETTINGS_NAMES or name.endswith("settings") or name.endswith("_config")


def _settings_keys(tree: ast.AST) -> Iterator[str]:
    """Keys read from a settings object: `settings.database_url`, `get_settings().redis_url`,
    `app.config["REDIS_URL"]`, `current_app.config.get("MAIL_SERVER")`."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and id(node) not in called
            and not node.attr.startswith("_")
            and _is_settings(node.value)
        ):
            yield node.attr
        elif isinstance(node, ast.Subscript) and _is_settings(node.value):
            if (key := literals.string(node.slice)) is not None:
                yield key
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and _is_settings(node.func.value)
            and node.args
            and (key := literals.string(node.args[0])) is not None
        ):
            yield key


def _is_stripe(name: str) -> bool:
    return name == "stripe" or name.startswith("stripe.")


def _stripe_reachable(index: ProjectIndex) -> bool:
    """Whether a name can resolve to `stripe.*` through imports at all: some scanned module imports stripe
    (or is called stripe). Otherwise only a name written `stripe` (a function-level import) can."""
    return any(_is_stripe(name) for name in index.modules) or any(
        _is_stripe(imp.module) for info in index.modules.values() for imp in info.imports.values()
    )


class _ModuleServices:
    def __init__(self, index: ProjectIndex, info: ModuleInfo, stripe: bool = True) -> None:
        self.index, self.info, self.module = index, info, info.name
        self.parsed = info.source.parsed
        self.stripe = stripe  # whether a name may resolve to `stripe.*` through imports

    def services(self) -> dict[tuple[str, ServiceKind], list[str]]:
        """(name, kind) -> config keys of each service the module sets up."""
        if not any(_may_construct(imp) for imp in self.info.imports.values()):
            return {}  # imports no constructor of a known service: nothing to find
        bound: dict[int, str] = {}  # id(call) -> the module-level name it is assigned to
        for stmt, _, _ in statements(self.info.source, self.info.tree.body):
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and isinstance(stmt.value, ast.Call):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if len(targets) == 1 and isinstance(targets[0], ast.Name):
                    bound[id(stmt.value)] = targets[0].id
        found: dict[tuple[str, ServiceKind], set[str]] = {}
        for node in self.parsed.nodes(ast.Call):
            if (match := _service_of(self.index, self.module, node)) is not None:
                kind, default = match
                found.setdefault((bound.get(id(node), default), kind), set()).update(self._call_keys(node))
        may_use_stripe = self.stripe or "stripe" in map(attrgetter("id"), self.parsed.nodes(ast.Name))
        stripe = {
            id(n)
            for n in (self.parsed.nodes(ast.Attribute) if may_use_stripe else ())
            if self.index.qualname(self.module, n).startswith("stripe.")
        }
        if stripe:
            keys = found.setdefault(("stripe", "payment"), set())
            for assign in self.parsed.nodes(ast.Assign):  # stripe.api_key = settings.stripe_key
                if any(id(t) in stripe for t in assign.targets):
                    keys.update(self._keys(assign.value))
            for call in self.parsed.nodes(ast.Call):
                if id(call.func) in stripe:
                    keys.update(self._call_keys(call))
        if not found:
            return {}  # no service: the environment variables it reads are of no one's
        # environment variables read elsewhere in the module: which service uses them is unknown
        attributed = {key for keys in found.values() for key in keys}
        elsewhere = set(self._module_env_keys()) - attributed
        return {service: sorted(keys | elsewhere) for service, keys in sorted(found.items())}

    def _module_env_keys(self) -> Iterator[str]:
        for node in [*self.parsed.nodes(ast.Subscript), *self.parsed.nodes(ast.Call)]:
            yield from _env_keys(self.index, self.module, node, walk=False)

    def _keys(self, node: ast.AST) -> set[str]:
        return {*_settings_keys(node), *_env_keys(self.index, self.module, node)}

    def _call_keys(self, call: ast.Call) -> set[str]:
        keys = self._keys(call)
        func = self.parsed.enclosing_function(call)
        params = {a.arg: i for i, a in enumerate([*func.args.posonlyargs, *func.args.args])} if func else {}
        kwonly = {a.arg for a in func.args.kwonlyargs} if func else set()
        receiver = [call.func.value] if isinstance(call.func, ast.Attribute) else []  # session.client("sqs")
        for arg in [*call.args, *(k.value for k in call.keywords), *receiver]:
            if not isinstance(arg, ast.Name):
                continue
            bound = self.info.bindings.get(arg.id)
            if func is not None and (arg.id in params or arg.id in kwonly):
                keys.update(self._argument_keys(func.name, arg.id, params.get(arg.id)))
            elif bound is not None and isinstance(bound.node, ast.expr):
                keys.update(self._keys(bound.node))  # URL = settings.redis_url; Redis.from_url(URL)
        return keys

    def _argument_keys(self, function: str, param: str, position: int | None) -> Iterator[str]:
        """Settings and environment passed for `param` where this module calls `function(...)`."""
        for node in self.parsed.nodes(ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == function:
                value = literals.keyword(node, param, position)
                if value is not None:
                    yield from self._keys(value)


def _imports(info: ModuleInfo) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of the module, those inside functions included.

    Each import statement has the word `import` in it: when the module-level ones account for every
    `import` in the source, there is no other, and the functions and classes need not be walked."""
    kinds = ast.Import | ast.ImportFrom
    top = [s for s, _, _ in statements(info.source, info.tree.body) if isinstance(s, kinds)]
    if info.source.parsed.data.count(b"import") == len(top):
        return top
    return [s for s in all_statements(info.tree.body) if isinstance(s, kinds)]


def _imported_modules(
    index: ProjectIndex, info: ModuleInfo, targets: frozenset[str] | None = None, wanted: frozenset[str] = frozenset()
) -> set[str]:
    """The scanned modules `info` imports (anywhere in it); only those of `targets`, when given.

    `find_module(name)` is `name` itself or the one module ending with it: a name that is no dotted suffix
    of a target cannot find one, and is looked up only when what it finds decides (`from base import x`
    falls back to `base` when `base.x` is no module). `wanted`: every dotted suffix of `targets`."""
    found: set[str] = set()
    imports = info.source.parsed.memo(("imports", info.source), partial(_imports, info))
    find = index.find_module
    for imp in imports:
        if isinstance(imp, ast.Import):
            names = [a.name for a in imp.names if targets is None or a.name in wanted]
            found.update(m for name in names if (m := find(name)))
            continue
        node = imp
        base = absolute_module(info.name, info.source.is_package, node.module, node.level)
        for alias in node.names:
            full = f"{base}.{alias.name}"
            if targets is None or full in wanted:
                module = find(full) or find(base)
            elif base in wanted:
                module = None if find(full) else find(base)
            else:
                continue
            if module:
                found.add(module)
    found.discard(info.name)
    return found if targets is None else found & targets


def _suffixes(names: frozenset[str]) -> frozenset[str]:
    """Every dotted suffix of `names` (`a.b.c` -> `a.b.c`, `b.c`, `c`)."""
    parts = [name.split(".") for name in names]
    return frozenset(".".join(p[i:]) for p in parts for i in range(len(p)))


def scan_services(index: ProjectIndex) -> list[Service]:
    stripe = _stripe_reachable(index)
    found = {name: _ModuleServices(index, info, stripe).services() for name, info in index.modules.items()}
    targets = frozenset(name for name, services in found.items() if services)
    importers: dict[str, set[str]] = {}
    if targets:  # who imports a module with services (its `used_by`)
        wanted = _suffixes(targets)
        for name, info in index.modules.items():
            for imported in _imported_modules(index, info, targets, wanted):
                importers.setdefault(imported, set()).add(name)
    services = [
        Service(
            name=service,
            kind=kind,
            module=name,
            file=index.modules[name].source.rel,
            config_keys=keys,
            used_by=sorted(importers.get(name, ())),
        )
        for name, module_services in found.items()
        for (service, kind), keys in module_services.items()
    ]
    return sorted(services, key=lambda s: (s.name, s.module))
