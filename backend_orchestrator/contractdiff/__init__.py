"""Breaking-change detection between two OpenAPI documents (3.0 and 3.1; JSON or YAML), in pure Python.

``diff(base, revision)`` returns every :class:`Change` a consumer of ``base`` may notice in ``revision``,
each with a stable rule id and a :class:`Level`: ``breaking`` (existing clients fail), ``warning`` (they may
fail) or ``info``. **Levels follow oasdiff's policy** (oasdiff's ``ERR`` / ``WARN`` / ``INFO``, as its tests at
commit ``4553c69`` expect them, and as its later checker rates the checks that commit did not have), and so do
the ids wherever our rule means the same as oasdiff's; :mod:`.oasdiff_ids` lists which ids are oasdiff's. Among
the breaking rules oasdiff does not have: ``api-security-required`` (an anonymous operation now requires
authentication) and ``api-security-credentials-changed`` (an operation requires a security scheme whose
credentials clients must now send differently; oasdiff rates scheme changes informational).

What is compared: paths and operations (removed ones break unless deprecated first and past their
``x-sunset``), webhooks, parameters (path-level ones merged into each operation; their ``style``,
``explode``, ``allowReserved`` and ``allowEmptyValue``), request bodies, responses (success statuses, media
types, headers: required, ``explode``), every schema reachable from them (types, formats, nullability, enums,
numeric/length/item bounds with both forms of ``exclusiveMinimum``/``exclusiveMaximum``, patterns, defaults,
const, required, removed, read-only and write-only properties, ``oneOf``/``anyOf``/``allOf`` members,
discriminators, ``additionalProperties`` and the JSON Schema 2020-12 keywords of OpenAPI 3.1), security
requirements, and security schemes field by field (type, apiKey location and name, http scheme and
``bearerFormat``, OAuth flows with their URLs and scopes, OpenID Connect URL).

Known limits: external ``$ref``\\ s are rejected (bundle the document first); ``not`` and ``if`` subschemas
are reported as changed, not walked; ``readOnly`` properties added to or removed from a request, and
``writeOnly`` ones in a response, are not reported (a property that becomes read-only or write-only is);
composition members are matched by ``$ref``, content, title or position; a schema reached along several paths
of one body is reported once, at the first path (each operation still reports it); nesting deeper than 64
levels is not compared (a warning says so); servers, tags, examples, links and callbacks are not compared.

Errors::

    OrchestratorError
      └── InvalidArgument
            └── SpecError      an unreadable file, not OpenAPI 3.0/3.1, an external or dangling $ref
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from .load import Document, SpecError, check_openapi, check_refs, load_document, normalize_keys
from .model import Change, Level
from .rules import RULES, Rule

__all__ = ["Change", "Document", "Level", "RULES", "Rule", "SpecError", "diff", "diff_files", "load_document"]


def diff(base: dict[str, Any] | Document, revision: dict[str, Any] | Document, *,
         today: date | None = None) -> list[Change]:
    """The changes from ``base`` to ``revision``, worst first, in a deterministic order.

    ``today`` decides whether a removed deprecated operation's ``x-sunset`` date has passed (default: the
    current date). Raises :class:`SpecError` for a document that is not OpenAPI 3.0/3.1 or has an
    external or dangling ``$ref``.
    """
    from .checks import CHECKS
    from .engine import Differ, Spec

    documents = [_document(base, "base"), _document(revision, "revision")]
    for document in documents:
        check_openapi(document.data, document.source)
        check_refs(document.data, document.source)
    differ = Differ(Spec(documents[0]), Spec(documents[1]), today=today)
    for check in CHECKS:
        check(differ)
    return sorted(set(differ.changes), key=Change.sort_key)


def diff_files(base: str | Path, revision: str | Path, *, today: date | None = None) -> list[Change]:
    """:func:`diff` of two files (JSON or YAML)."""
    return diff(load_document(base), load_document(revision), today=today)


def _document(value: dict[str, Any] | Document, name: str) -> Document:
    if isinstance(value, Document):
        return value
    return Document(data=normalize_keys(value), source=f"<{name}>")
