"""Paths, operations and webhooks: what was added, removed or deprecated, then each common operation.

What it does
    Matches paths with their parameter names ignored (``/pets/{id}`` = ``/pets/{petId}``) and reports
    operations added, operations or whole paths removed — breaking unless the operation was deprecated first
    (``deprecated: true``) and its ``x-sunset`` date, if any, has passed — operations deprecated or
    reactivated, webhooks added or removed; then compares each common operation's parameters, request body,
    responses and security.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from ..engine import Differ, Spec, operation_label
from ..load import escape
from . import bodies, parameters, security

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"{[^}/]*}")


def _normalize(path: str) -> str:
    return _TEMPLATE.sub("{}", path)


def _items(spec: Spec, section: str) -> dict[str, tuple[str, dict[str, Any], str]]:
    """{normalized key: (original key, resolved path item, its pointer)}."""
    raw = spec.data.get(section)
    if not isinstance(raw, dict):
        return {}
    found: dict[str, tuple[str, dict[str, Any], str]] = {}
    for key in sorted(raw):
        item, pointer = spec.deref(raw[key], f"/{section}/{escape(key)}")
        if isinstance(item, dict):
            found.setdefault(_normalize(key) if section == "paths" else key, (key, item, pointer))
    return found


def _operations(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m: item[m] for m in METHODS if isinstance(item.get(m), dict)}


def _sunset(operation: dict[str, Any]) -> date | None:
    raw = operation.get("x-sunset")
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            return None
    return None


def check_paths(d: Differ) -> None:
    old_items, new_items = _items(d.base, "paths"), _items(d.revision, "paths")
    for key in sorted(set(old_items) | set(new_items)):
        if key not in new_items:
            path, item, pointer = old_items[key]
            for method, operation in _operations(item).items():
                _removed(d, "api-path", path, method, operation, f"{pointer}/{method}", whole_path=True)
        elif key not in old_items:
            path, item, pointer = new_items[key]
            for method in _operations(item):
                d.emit("endpoint-added", f"{method.upper()} {path} was added", operation=operation_label(method, path),
                       location=f"/paths/{escape(path)}/{method}", revision_pointer=f"{pointer}/{method}")
        else:
            _compare_items(d, "paths", old_items[key], new_items[key])
    _check_webhooks(d)


def _removed(d: Differ, kind: str, path: str, method: str, operation: dict[str, Any], pointer: str, *,
             whole_path: bool) -> None:
    label = operation_label(method, path)
    what = f"{label} was removed" + (" with its whole path" if whole_path else "")
    location = f"/paths/{escape(path)}/{method}"
    sunset = _sunset(operation)
    if operation.get("deprecated") is True:
        if sunset is not None and sunset > d.today:
            d.emit(f"{kind}-removed-before-sunset", f"{what} before its sunset date {sunset.isoformat()}; clients "
                   "were promised it until then", operation=label, location=location, base_pointer=pointer)
        else:
            d.emit(f"{kind}-removed-with-deprecation", f"{what} after being deprecated", operation=label,
                   location=location, base_pointer=pointer)
    else:
        d.emit(f"{kind}-removed-without-deprecation", f"{what} without being deprecated first; clients calling it "
               "will get 404/405", operation=label, location=location, base_pointer=pointer)


def _compare_items(d: Differ, section: str, old: tuple[str, dict[str, Any], str],
                   new: tuple[str, dict[str, Any], str]) -> None:
    old_path, old_item, old_pointer = old
    new_path, new_item, new_pointer = new
    old_ops, new_ops = _operations(old_item), _operations(new_item)
    for method in METHODS:
        if method not in old_ops and method not in new_ops:
            continue
        display = new_path if section == "paths" else f"webhook {new_path}"
        label = operation_label(method, display)
        location = f"/{section}/{escape(new_path)}/{method}"
        if method not in new_ops:
            if section == "paths":
                _removed(d, "api", old_path, method, old_ops[method], f"{old_pointer}/{method}", whole_path=False)
            else:
                d.emit("webhook-removed", f"the {method.upper()} operation of webhook {old_path!r} was removed",
                       operation=label, location=location, base_pointer=f"{old_pointer}/{method}")
            continue
        if method not in old_ops:
            rule = "endpoint-added" if section == "paths" else "webhook-added"
            d.emit(rule, f"{label} was added", operation=label, location=location,
                   revision_pointer=f"{new_pointer}/{method}")
            continue
        compare_operation(d, label, section, (old_path, old_item, old_pointer, old_ops[method]),
                          (new_path, new_item, new_pointer, new_ops[method]), method, location)


def compare_operation(d: Differ, label: str, section: str, old: tuple[str, dict[str, Any], str, dict[str, Any]],
                      new: tuple[str, dict[str, Any], str, dict[str, Any]], method: str, location: str) -> None:
    old_path, old_item, old_item_ptr, old_op = old
    new_path, new_item, new_item_ptr, new_op = new
    old_ptr, new_ptr = f"{old_item_ptr}/{method}", f"{new_item_ptr}/{method}"
    if old_op.get("deprecated") is not True and new_op.get("deprecated") is True:
        d.emit("endpoint-deprecated", f"{label} was deprecated", operation=label, location=location,
               revision_pointer=new_ptr)
    elif old_op.get("deprecated") is True and new_op.get("deprecated") is not True:
        d.emit("endpoint-reactivated", f"{label} is no longer deprecated", operation=label, location=location,
               revision_pointer=new_ptr)
    item_location = location.rsplit("/", 1)[0]
    old_params = parameters.collect(d.base, old_path, old_item, old_item_ptr, item_location, old_op, old_ptr,
                                    location)
    new_params = parameters.collect(d.revision, new_path, new_item, new_item_ptr, item_location, new_op, new_ptr,
                                    location)
    parameters.check_parameters(d, label, old_params, new_params, path_existed=True)
    bodies.check_request_body(d, label, old_op, new_op, old_ptr, new_ptr, location)
    bodies.check_responses(d, label, old_op, new_op, old_ptr, new_ptr, location)
    if section == "paths":
        security.check_operation_security(d, label, old_op, new_op, old_ptr, new_ptr, location)


def _check_webhooks(d: Differ) -> None:
    old_items, new_items = _items(d.base, "webhooks"), _items(d.revision, "webhooks")
    for key in sorted(set(old_items) | set(new_items)):
        if key not in new_items:
            name, _, pointer = old_items[key]
            d.emit("webhook-removed", f"the webhook {name!r} was removed; subscribers stop receiving it",
                   operation=None, location=f"/webhooks/{escape(name)}", base_pointer=pointer)
        elif key not in old_items:
            name, _, pointer = new_items[key]
            d.emit("webhook-added", f"the webhook {name!r} was added", operation=None,
                   location=f"/webhooks/{escape(name)}", revision_pointer=pointer)
        else:
            _compare_items(d, "webhooks", old_items[key], new_items[key])
