"""Hardcoded configuration (BS-AP-003): URLs, hosts, ports and credentials written into the code instead of read
from settings. No value is ever repeated: URLs are shown with their password and query values masked, secrets
not at all.

Hand-written: detect-secrets and bandit B105 (run by the security gate) find secret-looking strings, but not a
production host in `REDIS_URL = "redis://cache.internal:6379"`, nor an environment read that falls back to a
usable secret, which is what makes configuration differ per environment.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ..discovery.symbols import walk_statements
from .architecture_scan import CallSite, Hit, ModuleView

_URL = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?:(?P<user>[^\s:/@]*)(?::(?P<password>[^\s/@]*))?@)?"
    r"(?P<host>\[[^\]\s]*\]|[^\s/:?#]*)(?::(?P<port>\d*))?(?P<rest>[/?#]\S*)?",
    re.IGNORECASE,
)
_HOST = re.compile(r"^(localhost|[a-z0-9-]+(\.[a-z0-9-]+)+)$", re.IGNORECASE)
_CONFIG_NAME = re.compile(r"(^|_)(URL|URI|HOST|HOSTNAME|PORT|DSN)$|^(DATABASE|REDIS)_", re.IGNORECASE)
_CREDENTIAL_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIALS?|"
                              r"(SECRET|API|PRIVATE|ACCESS|SIGNING|AUTH|JWT|ENCRYPTION|HMAC)_?KEY)$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"[*{}$<>]|%\(")
_LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})
_ENV_READS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault"})
_CLIENT_LIBS = frozenset({"httpx", "requests", "aiohttp", "urllib", "sqlalchemy", "sqlmodel", "redis", "aioredis",
                          "pymongo", "motor", "celery", "asyncpg", "psycopg", "psycopg2", "pika", "aio_pika", "kombu",
                          "elasticsearch", "databases", "boto3", "kafka", "aiokafka", "nats"})
_CLIENT_FACTORIES = frozenset({"create_engine", "create_async_engine", "from_url"})


def parse_url(text: str) -> re.Match[str] | None:
    return _URL.fullmatch(text.strip())


def _in_memory(url: re.Match[str]) -> bool:
    """`sqlite://` or `sqlite:///:memory:`: a throwaway database, not configuration."""
    return url.group("scheme").lower().startswith("sqlite") and (url.group("rest") or "") in ("", "/:memory:")


def _password(url: re.Match[str]) -> bool:
    secret = url.group("password")
    return bool(secret) and not _PLACEHOLDER.search(secret)


def _local(url: re.Match[str]) -> bool:
    scheme = url.group("scheme").lower().split("+")[0]
    host = url.group("host").lower()
    return scheme in ("sqlite", "file") or host in _LOCAL_HOSTS or host.endswith(".localhost")


def mask(url: re.Match[str]) -> str:
    """The URL with its password and query values replaced by `***`, cut to 80 characters."""
    text = url.group(0).strip()
    if url.group("password"):
        start, end = url.span("password")
        text = text[:start] + "***" + text[end:]
    text = re.sub(r"([?&][^=&#]+=)[^&#]*", r"\1***", text)
    return text if len(text) <= 80 else text[:77] + "..."


def _string(module: ModuleView, node: ast.AST | None) -> tuple[str, str] | None:
    """(value, constant name or "") of a string literal, or of a name bound to one at module level."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, ""
    if isinstance(node, ast.Name) and node.id in module.strings:
        return module.strings[node.id][0], node.id
    return None


def _url_hit(path: str, line: int, where: str, url: re.Match[str]) -> Hit:
    if _password(url):
        return Hit("AR004", path, line, f"{where} is a URL with a password ({mask(url)}). Read the URL from the "
                   "environment or a secret manager through the settings, and rotate the password: it is in the "
                   "repository's history.", title="Password in a hardcoded URL", evidence=mask(url))
    return Hit("AR003", path, line, f"{where} is the literal {mask(url)}. Read it from settings or the environment "
               "(e.g. a pydantic-settings field) so that each environment can point elsewhere.",
               title="Hardcoded URL", evidence=mask(url))


def _default_hit(path: str, line: int, key: str, value: str, source: str, settings: bool) -> Hit | None:
    """An environment read's (or a settings field's) default: a credential, or a non-local URL."""
    url = parse_url(value)
    if url and _password(url):
        return _url_hit(path, line, f"The default of {key} ({source})", url)
    if _CREDENTIAL_NAME.search(key) and value.strip():
        fix = "make the field required" if settings else f'read `os.environ["{key}"]`'
        return Hit("AR004", path, line, f"{key} falls back to a hardcoded secret ({source}) when it is not set, so a "
                   "deployment that forgets it runs with a key anyone with the code knows. Remove the default "
                   f"({fix}) so the app fails at startup instead.", title="Hardcoded fallback secret",
                   evidence=f"default of {key}: {source} (value not shown)")
    if url and not settings and not _local(url):
        return Hit("AR003", path, line, f"The default of {key} is the host {mask(url)}: a deployment that forgets "
                   "the variable silently talks to it. Keep environment-specific hosts out of the code: no default, "
                   "or a local one.", title="Hardcoded URL as an environment default", evidence=mask(url))
    return None


def _literal_value(node: ast.expr | None, name: str) -> str | None:
    """A config-like literal for a config-like name: an absolute URL, a host name, a port."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    value = node.value
    upper = name.upper()
    if isinstance(value, int) and upper.endswith("PORT") and 0 < value < 65536:
        return str(value)
    if not isinstance(value, str):
        return None
    if parse_url(value):
        return value
    if upper.endswith(("HOST", "HOSTNAME")) and _HOST.match(value.strip()):
        return value.strip()
    if upper.endswith("PORT") and value.strip().isdigit():
        return value.strip()
    return None


def _assignments(body: list[ast.stmt]) -> Iterator[tuple[str, ast.expr, int]]:
    for stmt, _, _ in walk_statements(body):
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    yield target.id, stmt.value, stmt.lineno
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            yield stmt.target.id, stmt.value, stmt.lineno


def _settings_default(value: ast.expr) -> ast.expr | None:
    """The default of a pydantic-settings field: `x: str = "..."` or `x: str = Field("...")`/`Field(default=...)`."""
    if isinstance(value, ast.Call):
        if value.args:
            return value.args[0]
        return next((k.value for k in value.keywords if k.arg == "default"), None)
    return value


def config_hits(module: ModuleView, calls: list[CallSite]) -> list[Hit]:
    """Every hardcoded-configuration finding of one module; `calls` are all its calls (module level and defs)."""
    path, hits = module.rel, []
    env_defaults: set[str] = set()
    for call in calls:
        node = call.node
        if call.name in _ENV_READS:
            key = _string(module, node.args[0]) if node.args else None
            default = _string(module, node.args[1] if len(node.args) > 1 else
                              next((k.value for k in node.keywords if k.arg == "default"), None))
            if key is None or default is None:
                continue
            if default[1]:
                env_defaults.add(default[1])
            source = f"the constant {default[1]}" if default[1] else "a string literal"
            hit = _default_hit(path, call.line, key[0], default[0], source, settings=False)
            hits.extend([hit] if hit else [])
        elif call.name.split(".")[0] in _CLIENT_LIBS or call.method in _CLIENT_FACTORIES:
            for arg in (*node.args, *(k.value for k in node.keywords)):
                if isinstance(arg, ast.JoinedStr) and arg.values:
                    arg = arg.values[0]
                found = _string(module, arg)
                url = parse_url(found[0]) if found else None
                # a constant with a config-like name is reported where it is assigned, below
                if found and url and not _in_memory(url) and not (found[1] and _CONFIG_NAME.search(found[1])):
                    line = module.strings[found[1]][1] if found[1] else arg.lineno
                    hits.append(_url_hit(path, line, f"The URL given to `{call.name}()`", url))
    for name, value, line in _assignments(module.tree.body):
        if name not in env_defaults and _CONFIG_NAME.search(name):
            hits.extend(_named_literal(path, line, name, value))
    for cls in module.tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        settings = any(module.qualname(b).endswith("BaseSettings") for b in cls.bases)
        for name, value, line in _assignments(cls.body):
            if settings:
                found = _string(module, _settings_default(value))
                hit = _default_hit(path, line, name, found[0], "the field's default", True) if found else None
                hits.extend([hit] if hit else [])
            elif _CONFIG_NAME.search(name):
                hits.extend(_named_literal(path, line, f"{cls.name}.{name}", value))
    for assign in module.source.parsed.nodes(ast.Assign):  # app.config["DATABASE_URL"] = "..."
        for target in assign.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
                item = target.slice.value
                if isinstance(item, str) and _CONFIG_NAME.search(item):
                    hits.extend(_named_literal(path, assign.lineno, f"[{item!r}]", assign.value))
    seen = {h.line for h in hits} | {module.strings[name][1] for name in env_defaults}
    for constant in module.source.parsed.nodes(ast.Constant):  # any other URL with a password in it
        if isinstance(constant.value, str) and "@" in constant.value and constant.lineno not in seen:
            url = parse_url(constant.value)
            if url and _password(url):
                hits.append(_url_hit(path, constant.lineno, "This string", url))
                seen.add(constant.lineno)
    return hits


def _named_literal(path: str, line: int, name: str, value: ast.expr) -> list[Hit]:
    literal = _literal_value(value, name.rsplit(".", 1)[-1].strip("[]'\""))
    if literal is None:
        return []
    url = parse_url(literal)
    if url:
        return [] if _in_memory(url) else [_url_hit(path, line, f"`{name}`", url)]
    return [Hit("AR003", path, line, f"`{name}` is the literal {literal!r}. Read it from settings or the environment "
                "so that each environment can set its own.", title="Hardcoded host or port", evidence=literal)]
