"""Reading OpenAPI documents safely and following their local ``$ref``\\ s.

* :func:`load_document` reads JSON or YAML (``yaml.safe_load``: no tags, no code) up to a size limit, turns
  every mapping key into a string (``200:`` and ``"200":`` are the same response), and records the source
  line of each value for YAML files.
* :class:`Resolver` follows ``$ref`` chains inside one document (``#/components/...``), merges OpenAPI 3.1
  sibling keywords, and stops on a circular chain. Recursive *schemas* are legal; the diff walker stops at a
  schema pair it is already comparing.
* External references (``other.yaml#/X``, URLs) are not followed: :func:`check_refs` rejects them up front
  with a message that says how to bundle the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..errors import InvalidArgument

MAX_BYTES = 10 * 1024 * 1024
SUPPORTED = ("3.0", "3.1")


class SpecError(InvalidArgument):
    """An OpenAPI document that cannot be read or compared: unreadable, not OpenAPI 3.x, a broken ``$ref``."""

    kind = "invalid_spec"


@dataclass
class Document:
    """A parsed OpenAPI document: its data, where it came from, and the source line of each JSON pointer."""

    data: dict[str, Any]
    source: str = "<memory>"
    lines: dict[str, int] = field(default_factory=dict)


def load_document(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Document:
    """Read an OpenAPI 3.0/3.1 document from a JSON or YAML file."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise SpecError(f"cannot read {str(file)!r}: {exc.strerror or exc}") from None
    if not file.is_file():
        raise SpecError(f"{str(file)!r} is not a file")
    if size > max_bytes:
        raise SpecError(f"{str(file)!r} is {size} bytes; the limit is {max_bytes} bytes")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read {str(file)!r}: {exc}") from None
    return parse_document(text, source=str(file), json_first=file.suffix.lower() == ".json")


def parse_document(text: str, *, source: str = "<memory>", json_first: bool = False) -> Document:
    """Parse JSON or YAML text into a :class:`Document` (checked to be OpenAPI 3.0 or 3.1)."""
    data: Any
    node: Any = None
    if json_first or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if json_first:
                raise SpecError(f"{source!r} is not valid JSON: {exc}") from None
            data, node = _yaml(text, source)
        else:
            node = _yaml_node(text)
    else:
        data, node = _yaml(text, source)
    data = normalize_keys(data)
    check_openapi(data, source)
    return Document(data=data, source=source, lines=_line_map(node) if node is not None else {})


def _loader(text: str) -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)


def _yaml(text: str, source: str) -> tuple[Any, Any]:
    """The data and the node tree of a YAML document (safe: no tags that build objects)."""
    import yaml

    loader = _loader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as exc:
        raise SpecError(f"{source!r} is not valid YAML or JSON: {exc}") from None
    finally:
        loader.dispose()


def _yaml_node(text: str) -> Any:
    """The YAML node tree of JSON text, for line numbers; ``None`` when YAML 1.1 cannot read it."""
    import yaml

    loader = _loader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def check_openapi(data: Any, source: str = "<memory>") -> None:
    """Raise :class:`SpecError` unless ``data`` looks like an OpenAPI 3.0 or 3.1 document."""
    if not isinstance(data, dict):
        raise SpecError(f"{source!r} is not an OpenAPI document: the top level is not a mapping")
    version = data.get("openapi")
    if version is None:
        hint = " (Swagger 2.0 is not supported; convert it to OpenAPI 3)" if "swagger" in data else ""
        raise SpecError(f"{source!r} has no 'openapi' version field{hint}")
    if not str(version).startswith(SUPPORTED):
        raise SpecError(f"{source!r} declares openapi {version!r}; supported: {', '.join(SUPPORTED)}")
    for key in ("paths", "webhooks", "components"):
        if key in data and data[key] is not None and not isinstance(data[key], dict):
            raise SpecError(f"{source!r}: {key!r} must be a mapping, not {type(data[key]).__name__}")


def normalize_keys(data: Any) -> Any:
    """The same structure with every mapping key a string (YAML reads ``200:`` as an int). Keeps shared and
    recursive nodes (YAML anchors) shared."""
    memo: dict[int, Any] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if id(node) in memo:
                return memo[id(node)]
            out: dict[str, Any] = {}
            memo[id(node)] = out
            for key, value in node.items():
                out[_key(key)] = walk(value)
            return out
        if isinstance(node, list):
            if id(node) in memo:
                return memo[id(node)]
            items: list[Any] = []
            memo[id(node)] = items
            items.extend(walk(value) for value in node)
            return items
        return node

    return walk(data)


def _key(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _line_map(root: Any) -> dict[str, int]:
    """JSON pointer -> 1-based line of the value, from a composed YAML node tree."""
    import yaml

    lines: dict[str, int] = {}
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        node, pointer = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        lines.setdefault(pointer, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = str(getattr(key_node, "value", ""))
                lines.setdefault(f"{pointer}/{escape(key)}", key_node.start_mark.line + 1)
                stack.append((value_node, f"{pointer}/{escape(key)}"))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, f"{pointer}/{index}"))
    return lines


def escape(token: str) -> str:
    """One JSON pointer reference token."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return unquote(token).replace("~1", "/").replace("~0", "~")


# Keys whose values this checker never follows: a $ref inside them is data or is not compared.
_NOT_FOLLOWED = frozenset({"example", "examples", "externalDocs", "links", "callbacks"})


def iter_refs(data: Any) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` the comparison may follow, with the pointer of the object that holds it (examples,
    links, callbacks and ``x-`` extensions are skipped)."""
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield ref, pointer
            for key, value in node.items():
                if key != "$ref" and key not in _NOT_FOLLOWED and not key.startswith("x-"):
                    stack.append((value, f"{pointer}/{escape(key)}"))
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            for index, value in enumerate(node):
                stack.append((value, f"{pointer}/{index}"))


def check_refs(data: dict[str, Any], source: str = "<memory>") -> None:
    """Raise :class:`SpecError` for an external or dangling ``$ref`` (reported with where it is)."""
    resolver = Resolver(data, source)
    for ref, pointer in sorted(iter_refs(data), key=lambda item: item[1]):
        if not ref.startswith("#"):
            raise SpecError(
                f"{source!r}: external $ref {ref!r} at {pointer or '/'} is not supported; bundle the document "
                "into one file first (for example `npx @redocly/cli bundle` or `swagger-cli bundle`)")
        resolver.target(ref, pointer)


class Resolver:
    """Follows local ``$ref``\\ s of one document."""

    def __init__(self, data: dict[str, Any], source: str = "<memory>") -> None:
        self.data = data
        self.source = source
        self._merged: dict[int, dict[str, Any]] = {}

    def target(self, ref: str, at: str = "") -> tuple[Any, str]:
        """The node ``ref`` points to and its pointer."""
        if not ref.startswith("#"):
            raise SpecError(f"{self.source!r}: external $ref {ref!r} at {at or '/'} is not supported")
        pointer = ref[1:]
        node: Any = self.data
        if pointer:
            if not pointer.startswith("/"):
                raise SpecError(f"{self.source!r}: $ref {ref!r} at {at or '/'} is not a JSON pointer")
            for raw in pointer[1:].split("/"):
                token = unescape(raw)
                if isinstance(node, dict) and token in node:
                    node = node[token]
                elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                else:
                    raise SpecError(f"{self.source!r}: $ref {ref!r} at {at or '/'} points to nothing")
        return node, pointer

    def deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow ``node``'s ``$ref`` chain; returns the final node and its pointer. Sibling keywords next to
        a ``$ref`` (OpenAPI 3.1) override the target's."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"{self.source!r}: circular $ref chain through {ref!r} at {pointer or '/'}")
            seen.add(ref)
            target, target_pointer = self.target(ref, pointer)
            siblings = {k: v for k, v in node.items() if k not in ("$ref", "description", "summary")}
            if siblings and isinstance(target, dict):
                key = id(node)
                if key not in self._merged:
                    self._merged[key] = {}  # a placeholder while the target's own chain is followed
                    resolved, _ = self.deref(target, target_pointer)
                    self._merged[key] = {**resolved, **siblings} if isinstance(resolved, dict) else siblings
                return self._merged[key], target_pointer
            node, pointer = target, target_pointer
        return node, pointer
