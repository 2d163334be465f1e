"""Secrets: literals in code (SC301, our AST rule), detect-secrets' hits (SC302), committed env and
key files (SC303). Values are read to classify them and never leave this module.

A value is a *placeholder* when it announces itself as one ("change-me", "dev-only", "example",
"your-...", "<...>", "${...}", "xxx", ...) or is a well-known default credential ("guest",
"postgres", "minioadmin", ...): reported low, because it discloses nothing and only hurts if
production forgets to override it. Empty defaults are not reported. Anything else assigned to a
secret-like name is treated as real (high): the gate cannot tell a test value from a live one.
Strings with whitespace (messages), paths, URLs without credentials and scheme or field names such
as "bearer" are not secrets.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..contracts.common import Severity
from ..discovery import literals
from ..discovery.files import SourceFile
from ..discovery.symbols import walk_statements
from .security_common import Code, Hit, words

_SECRET_WORDS = frozenset({"secret", "password", "passwd", "passphrase", "token", "apikey", "credential",
                           "credentials"})
_KEY_QUALIFIERS = frozenset({"api", "private", "access", "signing", "encryption", "jwt", "hmac", "fernet",
                             "master", "auth", "secret", "aes", "crypto"})
_NOT_SECRET_SUFFIX = frozenset({
    "url", "uri", "endpoint", "path", "header", "name", "type", "algorithm", "algorithms", "alg", "prefix",
    "field", "pattern", "regex", "re", "file", "dir", "env", "var", "scheme", "schemes", "length", "len",
    "min", "max", "expire", "expires", "expiry", "ttl", "lifetime", "seconds", "minutes", "hours", "days",
    "kind", "label", "param", "cookie", "location", "id", "policy", "rounds", "iterations", "backend",
    "mode", "timeout", "limit", "size", "count", "format", "encoding", "route", "audience", "issuer", "scope",
    "scopes", "version", "class", "model", "table", "column", "message", "msg", "error", "text", "help",
    "title", "template", "hash", "hasher", "context", "key_name", "source", "store", "provider",
})
_PLACEHOLDER = re.compile(
    r"change|replace|example|placeholder|dummy|fake|sample|your[-_ ]|^your|xxx|todo|fixme|insecure"
    r"|dev[-_]?only|not[-_]?a[-_]?secret|notasecret|redacted|<[^>]*>|\$\{|\{\{|%\(|^\*+$|^\.+$",
    re.IGNORECASE)
_DEFAULT_CREDENTIALS = frozenset({"guest", "postgres", "password", "root", "admin", "user", "test", "secret",
                                  "pass", "default", "mysql", "redis", "minio", "minioadmin", "rabbitmq"})
_HIGH_ENTROPY = frozenset({"Base64 High Entropy String", "Hex High Entropy String"})
_ENV_EXAMPLE = frozenset({"example", "sample", "template", "dist", "tpl", "test", "testing", "ci"})  # fake values
# test fixtures (tests/data/saml.key, a test .env) are made for the tests: measured on real code, every
# key or env file found under a test folder was one (benchmarks/corpus labels)
_SKIP_DIRS = frozenset({".venv", "venv", "ai-state", "node_modules", ".git", "__pycache__", ".tox", ".nox",
                        ".mypy_cache", ".ruff_cache", ".pytest_cache", "site-packages", "dist", "build", "tests",
                        "test", "testing"})
_KEY_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*[=:]\s*(.*?)\s*$")
_DS_LOCK = threading.Lock()  # detect-secrets keeps its settings in a process-wide singleton


def is_secret_name(name: str) -> bool:
    parts = words(name)
    if not parts or parts[-1] in _NOT_SECRET_SUFFIX or "_".join(parts[-2:]) in _NOT_SECRET_SUFFIX:
        return False
    if any(p in _SECRET_WORDS for p in parts):
        return True
    return any(p == "key" and i > 0 and parts[i - 1] in _KEY_QUALIFIERS for i, p in enumerate(parts))


def is_placeholder(value: str) -> bool:
    return not value.strip() or bool(_PLACEHOLDER.search(value)) or value.lower() in _DEFAULT_CREDENTIALS


_WELL_KNOWN = frozenset({"bearer", "basic", "digest", "jwt", "password", "client_credentials", "authorization_code",
                         "refresh_token", "access_token", "id_token", "token", "secret", "api_key", "apikey",
                         "x-api-key", "authorization", "hs256", "rs256", "es256", "none", "null", "true", "false",
                         "undefined"})


def _could_be_secret(value: str) -> bool:
    if len(value) < 4 or any(c.isspace() for c in value) or value.lower() in _WELL_KNOWN:
        return False
    return not ("://" in value and "@" not in value) and not value.startswith(("/", "./"))


def classify(name: str, value: str) -> str | None:
    """"real", "placeholder", or None (not a secret) for a literal `value` assigned to `name`."""
    value = value.strip()
    if len(value) < 4 or not is_secret_name(name):
        return None
    if is_placeholder(value):
        return "placeholder"
    if not _could_be_secret(value) or set(words(value)) <= set(words(name)):  # apiKey = "apiKey"
        return None
    parts = set(words(name))
    only_token = parts & _SECRET_WORDS == {"token"} and not parts & {"api", "auth", "access", "bearer", "refresh"}
    random_looking = any(c.isdigit() for c in value) or (value.lower() != value and value.upper() != value)
    if only_token and not random_looking:  # _DEFAULT_TOKEN = "_sa_default": a parser's token, not a credential
        return None
    return "real"


def plausible_secret(value: str) -> bool:
    """Whether a value bandit calls a hardcoded password could be one: not a path, a URL without
    credentials, a message, or a well-known scheme/grant/field name such as "bearer" or "password"."""
    return _could_be_secret(value) or (is_placeholder(value) and bool(value.strip()))


# --- SC301: literals in code ---------------------------------------------------------------------------

def _literal(node: ast.AST | None) -> str | None:
    """A string literal, or the default of `Field("x")` / `Field(default="x")` / `SecretStr("x")`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        return node.value.decode("utf-8", "replace") if isinstance(node.value, bytes) else node.value
    if isinstance(node, ast.Call) and literals.source(node.func).rsplit(".", 1)[-1] in ("Field", "SecretStr"):
        return _literal(literals.keyword(node, "default", 0))
    return None


def _env_default(node: ast.AST) -> tuple[str, str] | None:
    """(variable, default) of `os.getenv("X", "d")`, `os.environ.get("X", "d")`, `environ.setdefault(...)`."""
    if not isinstance(node, ast.Call) or len(node.args) < 2:
        return None
    callee = literals.source(node.func)
    if not (callee.endswith(("getenv", "environ.get", "environ.setdefault")) or callee == "config"):
        return None
    name, default = literals.string(node.args[0]), _literal(node.args[1])
    return (name, default) if name is not None and default is not None else None


def _targets(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.Assign):
        return [t.id if isinstance(t, ast.Name) else t.attr for t in stmt.targets
                if isinstance(t, ast.Name | ast.Attribute)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name | ast.Attribute):
        return [stmt.target.id if isinstance(stmt.target, ast.Name) else stmt.target.attr]
    return []


def _assignments(tree: ast.Module) -> Iterator[tuple[ast.stmt, bool]]:
    """Module-level and class-level assignments: (statement, in a class)."""
    for stmt, _, _ in walk_statements(tree.body):
        yield stmt, False
        if isinstance(stmt, ast.ClassDef):
            for inner, _, _ in walk_statements(stmt.body):
                yield inner, True


def code_secrets(code: Code) -> list[Hit]:
    hits: list[Hit] = []
    for source in code.files:
        if source.tree is None:
            continue
        seen: set[int] = set()
        for stmt, in_class in _assignments(source.tree):
            node = getattr(stmt, "value", None)
            value, where = _literal(node), "settings default" if in_class else "module constant"
            env = _env_default(node) if node is not None and value is None else None
            if env is not None:  # SECRET_KEY = os.getenv("APP_KEY", "...")
                value, where = env[1], "environment default"
            for name in _targets(stmt):
                if value is not None and (classify(name, value) or (env and classify(env[0], value))):
                    hits.append(_secret_hit(source.rel, stmt.lineno, name, value, where))
                    seen.add(stmt.lineno)
                    break
        for call in source.parsed.nodes(ast.Call):
            found = _env_default(call)
            if found is None or call.lineno in seen:
                continue
            variable, default = found
            if classify(variable, default) is not None:
                hits.append(_secret_hit(source.rel, call.lineno, variable, default, "environment default"))
                seen.add(call.lineno)
    return hits


def _secret_hit(rel: str, line: int, name: str, value: str, where: str) -> Hit:
    if is_placeholder(value):
        return Hit("SC301", f"`{name}` ({rel}:{line}) defaults to a placeholder secret. If the environment "
                            "does not override it, the app runs with a value anyone can read in the source: "
                            "make the setting required (no default) so start-up fails when it is missing.",
                   path=rel, line=line, title=f"Placeholder secret default in {name}", severity="low",
                   evidence=f"{where}; value masked ({len(value)} characters, placeholder)")
    return Hit("SC301", f"`{name}` ({rel}:{line}) holds a secret literal. Remove it from the code, rotate it "
                        "(it is in the history), and read it from the environment through the settings "
                        "object (pydantic-settings `SecretStr`, no default).",
               path=rel, line=line, title=f"Hardcoded secret in {name}",
               evidence=f"{where}; value masked ({len(value)} characters)")


# --- SC302 and SC303: detect-secrets, env files, key files ---------------------------------------------

@dataclass
class Detected:
    path: str
    line: int
    type: str
    placeholder: bool


@dataclass
class SecretFiles:
    env: list[Path] = field(default_factory=list)
    keys: list[Path] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def secret_file_kind(name: str) -> str | None:
    """``env`` for an env file name (`.env`, `.env.*`, `*.env`), ``key`` for a private key's, else None."""
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    if name in _KEY_NAMES or name.endswith((".pem", ".key", ".p12", ".pfx")):
        return "key"
    return None


def secret_files(root: Path) -> SecretFiles:
    """Env files (`.env`, `.env.*`, `*.env`) and private-key files anywhere in the project, minus
    virtualenvs, dependencies, ai-state and files the project's .gitignore excludes."""
    found = SecretFiles()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not os.path.islink(Path(dirpath, d)))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            kind = secret_file_kind(name)
            if kind is None or path.is_symlink():
                continue
            rel = path.relative_to(root).as_posix()
            if _git_ignored(root, rel):
                found.ignored.append(rel)
            else:
                (found.env if kind == "env" else found.keys).append(path)
    return found


def _git_ignored(root: Path, rel: str) -> bool:
    """Whether a .gitignore on the way to `rel` excludes it (name and path patterns, `!` negation).

    A small subset of gitignore matching, enough for env and key files; git itself is not run."""
    parts = rel.split("/")
    ignored = False
    for depth in range(len(parts)):
        rules = Path(root, *parts[:depth], ".gitignore")
        if not rules.is_file():
            continue
        below = "/".join(parts[depth:])
        for raw in rules.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = line.lstrip("!").rstrip("/")
            anchored = "/" in pattern
            pattern = pattern.lstrip("/")
            if fnmatch.fnmatch(below, pattern) or (not anchored and fnmatch.fnmatch(parts[-1], pattern)):
                ignored = not negate
    return ignored


def _candidate_lines(source: SourceFile, text: list[str]) -> list[int] | None:
    """The lines of a Python file that can hold a secret: string literals (docstrings aside) and
    comments. None when the file did not parse (then every line is scanned)."""
    tree = source.tree
    if tree is None:
        return None
    scopes: list[ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef] = [
        tree, *source.parsed.nodes(ast.ClassDef), *source.parsed.nodes(ast.FunctionDef),
        *source.parsed.nodes(ast.AsyncFunctionDef)]
    docstrings = {id(first.value) for node in scopes if node.body and isinstance(first := node.body[0], ast.Expr)}
    lines: set[int] = set()
    for const in source.parsed.nodes(ast.Constant):
        if isinstance(const.value, str | bytes) and id(const) not in docstrings:
            lines.update(range(const.lineno, (const.end_lineno or const.lineno) + 1))
    for joined in source.parsed.nodes(ast.JoinedStr):
        lines.update(range(joined.lineno, (joined.end_lineno or joined.lineno) + 1))
    lines.update(n for n, line in enumerate(text, start=1) if "#" in line)  # comments, roughly
    return sorted(n for n in lines if n <= len(text))


def detect(code: Code, others: list[Path], workdir: Path, cancelled: threading.Event) -> list[Detected] | None:
    """detect-secrets over the source files and `others` (env and key files), files given explicitly
    (it would use `git ls-files` otherwise). None when cancelled.

    Python files are scanned through a copy holding only the lines that can carry a secret (string
    literals and comments; docstrings aside), at their original line numbers: detect-secrets costs
    about 0.2 ms per line and plugin set, which is most of this gate's time on a large project
    otherwise."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import transient_settings

    # Every plugin but the public-IP one: an address in code is configuration, not a secret.
    classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
    plugins = [{"name": c.__name__} for c in classes if c.__name__ != "IPPublicDetector"]

    jobs: list[tuple[Path, str, list[int] | None]] = []  # (scan root, relative path, original line numbers)
    for source in code.files:
        text = source.path.read_text(encoding="utf-8", errors="replace").split("\n")  # ast's line breaks
        lines = _candidate_lines(source, text)
        if lines is None:
            jobs.append((code.root, source.rel, None))
        elif lines:
            copy = workdir / source.rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text("\n".join(text[n - 1] for n in lines) + "\n", encoding="utf-8")
            jobs.append((workdir, source.rel, lines))
    jobs.extend((code.root, p.relative_to(code.root).as_posix(), None) for p in others)
    out: list[Detected] = []
    with _DS_LOCK, transient_settings({"plugins_used": plugins}):
        for base, rel, lines in jobs:
            if cancelled.is_set():
                return None
            collection = SecretsCollection(root=str(base))
            collection.scan_file(rel)
            if not collection.data:
                continue
            text = (base / rel).read_text(encoding="utf-8", errors="replace").split("\n")
            for secrets in collection.data.values():
                out.extend(Detected(rel, lines[s.line_number - 1] if lines else s.line_number, s.type,
                                    is_placeholder(s.secret_value or "")) for s in secrets
                           if s.type != "Secret Keyword" or _keyword_secret(text[s.line_number - 1], s.secret_value))
    return sorted(out, key=lambda d: (d.path, d.line, d.type))


_NAMED_VALUE = re.compile(r"""([A-Za-z_][\w.-]*)["']?\s*(?:=|:|==|!=)\s*[bruf]*["']([^"']*)["']""")


def _keyword_secret(line: str, value: str | None) -> bool:
    """Whether detect-secrets' keyword hit is a secret: the name it is assigned to (when the line shows
    one) must be secret-like by our rules too (`password1_field_name="password1"` is not)."""
    for name, found in _NAMED_VALUE.findall(line):
        if found == value:
            return classify(name, found) is not None
    return plausible_secret(value or "")


def detected_hits(found: list[Detected], skip: set[str]) -> list[Hit]:
    hits = []
    for d in found:
        if d.path in skip:
            continue
        level: Severity = "low" if d.placeholder else "medium" if d.type in _HIGH_ENTROPY else "high"
        what = f"detect-secrets found a {d.type} at {d.path}:{d.line}"
        what += " (a placeholder or well-known default value)" if d.placeholder else ""
        hits.append(Hit("SC302", f"{what}. Remove it, rotate it if it was ever real, and read it from the "
                                 "environment through the settings object; if it is not a secret, mark the line "
                                 "`# pragma: allowlist secret`.",
                        path=d.path, line=d.line, title=f"Possible secret: {d.type}", severity=level,
                        evidence=f"detect-secrets {d.type}" + (" (placeholder value)" if d.placeholder else ""),
                        source=f"detect-secrets {d.type}"))
    return hits


def file_hits(root: Path, files: SecretFiles, found: list[Detected]) -> list[Hit]:
    by_path: dict[str, list[Detected]] = {}
    for d in found:
        by_path.setdefault(d.path, []).append(d)
    hits = [h for path in files.env if (h := _env_hit(root, path, by_path)) is not None]
    for path in files.keys:
        rel = path.relative_to(root).as_posix()
        private = path.suffix in (".p12", ".pfx") or any(d.type == "Private Key" for d in by_path.get(rel, []))
        if private:
            hits.append(Hit("SC303", f"{rel} is a private key committed with the code. Remove it from the "
                                     "repository (and its history), revoke and replace the key, and load keys "
                                     "from a secret store or a mounted file outside the project.",
                            path=rel, line=1, title="Private key committed", severity="high",
                            evidence="private key file; contents not shown"))
    return hits


def _env_hit(root: Path, path: Path, detected: dict[str, list[Detected]]) -> Hit | None:
    rel = path.relative_to(root).as_posix()
    valued: list[tuple[int, str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        match = _ENV_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            value = match.group(2).strip().strip("'\"")
            if value:
                valued.append((number, match.group(1), value))
    types = sorted({d.type for d in detected.get(rel, []) if not d.placeholder})
    flagged = {d.line for d in detected.get(rel, []) if not d.placeholder}
    secret_keys = [(n, k) for n, k, v in valued
                   if n in flagged or (is_secret_name(k) and not is_placeholder(v) and _could_be_secret(v))]
    example = bool(set(path.name.lower().split(".")) & _ENV_EXAMPLE)
    if example:
        if not secret_keys:
            return None
        names = ", ".join(f"{k} (line {n})" for n, k in secret_keys)
        return Hit("SC303", f"{rel} is an example env file but holds real-looking values for {names}. Replace "
                            "them with placeholders, and rotate them if they were ever real.",
                   path=rel, line=secret_keys[0][0], title="Example env file holds real-looking secrets",
                   severity="medium", evidence=_env_evidence(secret_keys, types))
    if not valued:
        return None
    names = ", ".join(k for _, k, _ in valued[:8]) + (", ..." if len(valued) > 8 else "")
    return Hit("SC303", f"{rel} is an env file with values ({names}) inside the project. Never commit env "
                        "files: add it to .gitignore, remove it from the repository, rotate the secrets it "
                        "held, and commit a .env.example with placeholders instead.",
               path=rel, line=(secret_keys or [(valued[0][0], "")])[0][0], title="Env file with values committed",
               severity="high" if secret_keys else "medium",
               evidence=_env_evidence(secret_keys, types) if secret_keys else "no secret-looking values")


def _env_evidence(keys: list[tuple[int, str]], types: list[str]) -> str:
    listed = ", ".join(f"{k} (line {n})" for n, k in keys)
    return f"secret-looking values: {listed}" + (f"; detect-secrets: {', '.join(types)}" if types else "") + \
        "; values not shown"
