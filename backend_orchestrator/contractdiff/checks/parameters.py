"""Parameters of one operation: added, removed, required, and their schemas.

What it does
    Merges path-level and operation-level parameters (the operation's win, as OpenAPI says; oasdiff does
    this with ``--flatten-params``), matches them by location and name (header names case-insensitively,
    path parameters by their position in the path template so a renamed ``{id}`` still matches), and
    reports parameters added (required ones break clients), removed, made required or optional, changes of
    how they are serialized (:mod:`.serialization`), and every change of their schema (``request-parameter-*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..engine import Differ, Site, Spec
from .schemas import compare_schemas
from .serialization import check_parameter_serialization

_TEMPLATE = re.compile(r"{([^}/]+)}")


@dataclass(frozen=True)
class Param:
    node: dict[str, Any]
    pointer: str
    location: str  # the logical pointer (through the operation)
    path_level: bool

    @property
    def where(self) -> str:
        return str(self.node.get("in", ""))

    @property
    def name(self) -> str:
        return str(self.node.get("name", ""))

    @property
    def required(self) -> bool:
        return self.where == "path" or self.node.get("required") is True

    def schema(self) -> tuple[Any, str] | None:
        if "schema" in self.node:
            return self.node["schema"], f"{self.pointer}/schema"
        content = self.node.get("content")
        if isinstance(content, dict) and content:
            media = sorted(content)[0]
            entry = content[media]
            if isinstance(entry, dict) and "schema" in entry:
                return entry["schema"], f"{self.pointer}/content/{media.replace('/', '~1')}/schema"
        return None


def collect(spec: Spec, path: str, item: dict[str, Any], item_pointer: str, item_location: str,
            operation: dict[str, Any], operation_pointer: str, operation_location: str) -> dict[tuple[str, str], Param]:
    """The effective parameters of an operation, keyed for matching."""
    template = _TEMPLATE.findall(path)
    found: dict[tuple[str, str], Param] = {}
    unplaced = 0  # path parameters whose name is not in the template (an invalid document): matched by order
    for level, owner, owner_pointer, owner_location in ((True, item, item_pointer, item_location),
                                                         (False, operation, operation_pointer, operation_location)):
        raw = owner.get("parameters")
        if not isinstance(raw, list):
            continue
        for index, entry in enumerate(raw):
            node, pointer = spec.deref(entry, f"{owner_pointer}/parameters/{index}")
            if not isinstance(node, dict) or "name" not in node or "in" not in node:
                continue
            param = Param(node, pointer, f"{owner_location}/parameters/{index}", level)
            if param.where == "path":
                if param.name in template:
                    key = ("path", f"#{template.index(param.name)}")
                else:
                    key, unplaced = ("path", f"#{unplaced}"), unplaced + 1
            elif param.where == "header":
                key = ("header", param.name.lower())
            else:
                key = (param.where, param.name)
            found[key] = param
    return found


def check_parameters(d: Differ, label: str, old: dict[tuple[str, str], Param], new: dict[tuple[str, str], Param],
                     path_existed: bool) -> None:
    for key in sorted(set(old) | set(new)):
        if key not in old:
            _added(d, label, new[key], path_existed)
        elif key not in new:
            param = old[key]
            what = f"the {param.where} parameter {param.name!r}"
            if param.node.get("deprecated") is True:
                d.emit("request-parameter-removed-with-deprecation", f"{what} was removed after being deprecated",
                       operation=label, location=param.location, base_pointer=param.pointer)
            else:
                d.emit("request-parameter-removed", f"{what} was removed; clients still sending it may be "
                       "rejected or silently ignored", operation=label, location=param.location,
                       base_pointer=param.pointer)
        else:
            _modified(d, label, old[key], new[key])


def _added(d: Differ, label: str, param: Param, path_existed: bool) -> None:
    what = f"the {param.where} parameter {param.name!r}"
    if param.where == "path":
        rule, text = "new-request-path-parameter", f"{what} was added to the path; existing URLs no longer match"
    elif param.path_level and path_existed:
        rule = ("new-required-request-default-parameter-to-existing-path" if param.required
                else "new-optional-request-default-parameter-to-existing-path")
        text = f"{what} was added to the path's parameters" + (
            "; existing clients do not send it" if param.required else "")
    elif param.required:
        rule, text = "new-required-request-parameter", f"{what} was added as required; existing clients do not send it"
    else:
        rule, text = "new-optional-request-parameter", f"{what} was added (optional)"
    d.emit(rule, text, operation=label, location=param.location, revision_pointer=param.pointer)


def _modified(d: Differ, label: str, old: Param, new: Param) -> None:
    what = f"the {new.where} parameter {new.name!r}"
    if not old.required and new.required:
        d.emit("request-parameter-became-required", f"{what} became required; clients that omit it will be "
               "rejected", operation=label, location=new.location, base_pointer=old.pointer,
               revision_pointer=new.pointer)
    elif old.required and not new.required:
        d.emit("request-parameter-became-optional", f"{what} became optional", operation=label,
               location=new.location, base_pointer=old.pointer, revision_pointer=new.pointer)
    check_parameter_serialization(d, label, new.where, new.name, old.node, new.node, new.location, old.pointer,
                                  new.pointer)
    old_schema, new_schema = old.schema(), new.schema()
    if old_schema is None or new_schema is None:
        return
    site = Site(direction="request", operation=label, location=f"{new.location}/schema",
                parameter=(new.where, new.name), parameter_required=new.node.get("required") is True)
    compare_schemas(d, site, old_schema[0], new_schema[0], old_schema[1], new_schema[1])
