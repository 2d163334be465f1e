"""The state of one comparison: both documents, where the walk is, and the changes found so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from .load import Document, Resolver, SpecError
from .model import Change
from .rules import RULES, schema_rule_id
from .walk import SchemaWalks

# A guard against documents too large to compare in reasonable time.
MAX_SCHEMA_PAIRS = 200_000

Direction = Literal["request", "response"]


class Spec:
    """One side of the comparison."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.data = document.data
        self.resolver = Resolver(document.data, document.source)

    def deref(self, node: Any, pointer: str) -> tuple[Any, str]:
        return self.resolver.deref(node, pointer)

    def line(self, pointer: str | None) -> int | None:
        if pointer is None:
            return None
        return self.document.lines.get(pointer)


@dataclass(frozen=True)
class Site:
    """Where a schema sits: request or response, body or parameter, and the property path inside it.

    ``path`` holds property names and structural steps (``items``, ``additionalProperties``); composition
    steps (``anyOf[...]``) are kept in ``path`` for messages but do not make a schema a *property*.
    """

    direction: Direction
    operation: str | None
    location: str
    parameter: tuple[str, str] | None = None  # (in, name)
    parameter_required: bool = False
    media_type: str | None = None
    path: tuple[str, ...] = ()

    @property
    def nested(self) -> bool:
        """A property inside the body or parameter, not its root. Composition members are part of the root,
        and so are the items of an array parameter (oasdiff reports their constraints as the parameter's)."""
        transparent = ("allOf[", "anyOf[", "oneOf[", "items") if self.parameter else ("allOf[", "anyOf[", "oneOf[")
        return any(not step.startswith(transparent) for step in self.path)

    @property
    def kind(self) -> str:
        """The rule-id prefix for a schema at this site."""
        if self.parameter is not None:
            return "request-parameter-property" if self.nested else "request-parameter"
        if self.direction == "request":
            return "request-property" if self.nested else "request-body"
        return "response-property" if self.nested else "response-body"

    def rule(self, suffix: str) -> str:
        if self.parameter is not None and self.nested and self.parameter[0] == "header" \
                and suffix in ("became-enum",):
            return f"request-header-property-{suffix}"
        return schema_rule_id(self.kind, suffix)

    @property
    def name(self) -> str:
        """How messages name the schema: ``request property 'data/name'``, ``response body``..."""
        prop = "/".join(self.path)
        if self.parameter is not None:
            where, pname = self.parameter
            base = f"{where} parameter {pname!r}"
            return f"property {prop!r} of the {base}" if prop else f"the {base}"
        side = "request" if self.direction == "request" else "response"
        return f"{side} property {prop!r}" if self.nested else f"the {side} body" + (f" ({prop})" if prop else "")

    def child(self, step: str, location_step: str) -> Site:
        return self.extend((step,), f"/{location_step}")

    def extend(self, path: tuple[str, ...], location: str) -> Site:
        """This site with ``path`` appended to its property path and ``location`` to its location."""
        return Site(self.direction, self.operation, self.location + location, self.parameter,
                    self.parameter_required, self.media_type, (*self.path, *path))


class Differ(SchemaWalks):
    """Collects changes. Checks call :meth:`emit` with a registered rule id; schema checks walk through
    :meth:`~.walk.SchemaWalks.walk`, which memoizes (see :mod:`.walk`)."""

    def __init__(self, base: Spec, revision: Spec, *, today: date | None = None) -> None:
        super().__init__()
        self.base = base
        self.revision = revision
        self.today = today or date.today()
        self.changes: list[Change] = []
        self.max_schema_pairs = MAX_SCHEMA_PAIRS
        self._pairs = 0

    def emit(self, rule_id: str, message: str, *, operation: str | None, location: str,
             base_pointer: str | None = None, revision_pointer: str | None = None) -> None:
        rule = RULES[rule_id]  # an unregistered id is a bug in a check, not a user error
        self.changes.append(Change(
            id=rule.id, level=rule.level, operation=operation, location=location, message=message,
            base_line=self.base.line(base_pointer), revision_line=self.revision.line(revision_pointer)))

    def count_schema_pair(self) -> None:
        self._pairs += 1
        if self._pairs > self.max_schema_pairs:
            raise SpecError(f"the documents are too large or too deeply shared to compare: more than "
                            f"{self.max_schema_pairs} schema pairs")


def operation_label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"
