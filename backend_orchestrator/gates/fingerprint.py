"""Stable identities of findings, so a finding of the base tree and one of the changed tree can be matched.

A fingerprint is a hash of:

- the rule id;
- for a finding about a *subject* that is not a place in the code (a path prefix, the API as a whole,
  a table): that subject alone;
- for a finding about an *endpoint* as a whole: the project-relative path and the endpoint
  (``METHOD /path``, path parameters written ``{}``), so editing the handler keeps it;
- otherwise the path, the enclosing symbol (``Class.method``) and the **normalised flagged code**:
  the statement on the finding's line (or the header of the ``def``/``class``/``if``/``for``/... when
  the line is one) as an AST dump without positions (:func:`dump`), so reformatting and comments do not change it
  and line shifts or edits elsewhere in the file do not either; a file that does not parse, or is
  not Python, contributes the whitespace-normalised text of the line;
- an occurrence number when the same identity appears more than once (two identical calls in one
  function).

What changes it: the flagged code itself, the enclosing function's or class's name, the file's path.
GitHub code scanning (``partialFingerprints``) and SonarQube's issue tracking match findings the
same way; we write it to SARIF as ``partialFingerprints["backendOrchestrator/v1"]``.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..contracts.report import Finding

VERSION = "backendOrchestrator/v1"
_PARAM = re.compile(r"\{[^{}]*\}|<[^<>]*>")
_SPACE = re.compile(r"\s+")
_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While,
             ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match)
_BODIES = ("body", "orelse", "handlers", "finalbody", "cases")


def endpoint_identity(ref: str) -> str:
    """``GET /orders/{order_id}/`` → ``GET /orders/{}/``: renaming a path parameter keeps the endpoint."""
    return _PARAM.sub("{}", ref.strip())


@dataclass
class _Source:
    lines: list[str]
    tree: ast.Module | None


class Sources:
    """Files read and parsed once per fingerprinting pass, relative to one root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._files: dict[str, _Source | None] = {}

    def get(self, relpath: str) -> _Source | None:
        if relpath not in self._files:
            path = (self.root / relpath).resolve()
            source: _Source | None = None
            if path.is_relative_to(self.root) and path.is_file():
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = None
                if text is not None:
                    tree = None
                    if path.suffix == ".py":
                        try:
                            tree = ast.parse(text)
                        except (SyntaxError, ValueError):
                            tree = None
                    source = _Source(text.splitlines(), tree)
            self._files[relpath] = source
        return self._files[relpath]


_IGNORED_FIELDS = frozenset({"ctx", "type_comment", "type_params", "kind"})


def dump(node: object) -> str:
    """An AST without positions, contexts and empty fields: the same text for the same code on every Python
    (``ast.dump`` omits empty fields only from 3.13 on, and 3.12 added ``type_params``)."""
    if isinstance(node, ast.AST):
        fields = [f"{name}={dump(value)}" for name, value in ast.iter_fields(node)
                  if name not in _IGNORED_FIELDS and value is not None and value != []]
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(dump(item) for item in node) + "]"
    return repr(node)


def _header(node: ast.stmt) -> str:
    """The part of a compound statement that is not its body."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return "def:" + "|".join(dump(n) for n in (*node.decorator_list, node.args)) + "|" + (
            dump(node.returns) if node.returns else "")
    if isinstance(node, ast.ClassDef):
        return "class:" + "|".join(dump(n) for n in (*node.decorator_list, *node.bases, *node.keywords))
    if isinstance(node, ast.If | ast.While):
        return type(node).__name__ + ":" + dump(node.test)
    if isinstance(node, ast.For | ast.AsyncFor):
        return "for:" + dump(node.target) + "|" + dump(node.iter)
    if isinstance(node, ast.With | ast.AsyncWith):
        return "with:" + "|".join(dump(i) for i in node.items)
    if isinstance(node, ast.Match):
        return "match:" + dump(node.subject)
    return type(node).__name__


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _children(node: ast.stmt) -> Iterable[ast.stmt]:
    for name in _BODIES:
        for child in getattr(node, name, None) or []:
            if isinstance(child, ast.ExceptHandler | ast.match_case):
                yield from child.body
            elif isinstance(child, ast.stmt):
                yield child


def _body_start(node: ast.stmt) -> int:
    body = [c for c in _children(node)]
    return min((_first_line(c) for c in body), default=node.lineno + 1)


def locate(tree: ast.Module, line: int) -> tuple[list[str], str | None]:
    """The enclosing symbol path and the normalised code flagged at ``line`` (None: no statement there)."""
    symbol: list[str] = []
    nodes: Iterable[ast.stmt] = tree.body
    while True:
        hit = next((n for n in nodes if _first_line(n) <= line <= (n.end_lineno or n.lineno)), None)
        if hit is None:
            return symbol, None
        named = isinstance(hit, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if isinstance(hit, _COMPOUND):
            if line < _body_start(hit) or (isinstance(hit, ast.Try) and line == hit.lineno):
                if named:
                    symbol.append(hit.name)  # type: ignore[union-attr]
                return symbol, _header(hit)
            if named:
                symbol.append(hit.name)  # type: ignore[union-attr]
            nodes = list(_children(hit))
            continue
        return symbol, dump(hit)


def code_identities(tree: ast.Module) -> set[str]:
    """Every ``symbol|code`` a finding in this module could be flagged at (see :func:`locate`)."""
    found: set[str] = set()

    def walk(nodes: Iterable[ast.stmt], symbol: list[str]) -> None:
        for node in nodes:
            if isinstance(node, _COMPOUND):
                inner = [*symbol, node.name] if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef
                                                             | ast.ClassDef) else symbol
                found.add(".".join(inner) + "|" + _header(node))
                walk(_children(node), inner)
            else:
                found.add(".".join(symbol) + "|" + dump(node))

    walk(tree.body, [])
    return found


def code_identity(sources: Sources, path: str | None, line: int | None) -> str | None:
    """``symbol|code`` flagged at ``path:line`` (a Python file that parses), else None."""
    source = sources.get(path) if path and line else None
    if source is None or source.tree is None or line is None:
        return None
    symbol, code = locate(source.tree, line)
    return None if code is None else ".".join(symbol) + "|" + code


def _identity(finding: Finding, sources: Sources) -> str:
    parts = [finding.rule_id]
    if finding.subject:
        return "|".join([*parts, "subject", finding.subject])
    parts.append(finding.path or "")
    if finding.endpoint:
        return "|".join([*parts, "endpoint", endpoint_identity(finding.endpoint)])
    if not finding.path or not finding.line:
        return "|".join(parts)
    source = sources.get(finding.path)
    if source is None:
        return "|".join(parts)
    if source.tree is not None:
        symbol, code = locate(source.tree, finding.line)
        if code is not None:
            return "|".join([*parts, ".".join(symbol), code])
        parts.append(".".join(symbol))
    text = source.lines[finding.line - 1] if 0 < finding.line <= len(source.lines) else ""
    return "|".join([*parts, "line", _SPACE.sub(" ", text.split("#", 1)[0] if finding.path.endswith(".py")
                                                  else text).strip()])


def fingerprints(findings: list[Finding], root: Path, sources: Sources | None = None) -> list[str]:
    """The fingerprint of each finding, in order; repeated identities are numbered in line order."""
    sources = sources or Sources(root)
    identities = [_identity(f, sources) for f in findings]
    order = sorted(range(len(findings)), key=lambda i: (findings[i].line or 0, findings[i].message, i))
    seen: Counter[str] = Counter()
    numbered = [""] * len(findings)
    for i in order:
        n = seen[identities[i]]
        seen[identities[i]] += 1
        numbered[i] = identities[i] + (f"#{n}" if n else "")
    return [hashlib.sha256(text.encode("utf-8")).hexdigest()[:24] for text in numbered]


def assign(findings: list[Finding], root: Path, sources: Sources | None = None) -> list[Finding]:
    """The findings with ``fingerprint`` set."""
    return [f.model_copy(update={"fingerprint": fp}) for f, fp in zip(findings, fingerprints(findings, root, sources),
                                                                        strict=True)]
