"""Request bodies and responses of one operation.

What it does
    Request body: added (required breaks), removed, made required, media types added/removed, a schema
    added to or removed from a media type, then the schema itself (``request-body-*`` /
    ``request-property-*``). Responses: success status codes removed (breaking) or added, media types
    removed (breaking) or added, headers added, removed, made optional (breaking) or required, or serialized
    differently (``explode``, see :mod:`.serialization`), then each common schema (``response-body-*`` /
    ``response-property-*``).
Why it matters
    Clients send the request body the old contract described and parse responses the old contract promised.
"""

from __future__ import annotations

from typing import Any

from ..engine import Differ, Site, Spec
from ..load import escape
from .schemas import compare_schemas
from .serialization import check_header_serialization


def _deref(spec: Spec, node: Any, pointer: str) -> tuple[dict[str, Any] | None, str]:
    resolved, resolved_pointer = spec.deref(node, pointer)
    return (resolved if isinstance(resolved, dict) else None), resolved_pointer


def _media_key(media_type: str) -> str:
    return media_type.replace(" ", "").lower()


def _content(node: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    content = node.get("content")
    if not isinstance(content, dict):
        return {}
    return {_media_key(k): (k, v) for k, v in content.items() if isinstance(v, dict)}


def check_request_body(d: Differ, label: str, old_op: dict[str, Any], new_op: dict[str, Any], old_pointer: str,
                       new_pointer: str, location: str) -> None:
    if "requestBody" not in old_op and "requestBody" not in new_op:
        return
    where = f"{location}/requestBody"
    old, old_ptr = _deref(d.base, old_op.get("requestBody"), f"{old_pointer}/requestBody")
    new, new_ptr = _deref(d.revision, new_op.get("requestBody"), f"{new_pointer}/requestBody")
    if old is None and new is None:
        return
    if old is None and new is not None:
        if new.get("required") is True:
            d.emit("added-required-request-body", "a required request body was added; existing clients do not "
                   "send one", operation=label, location=where, revision_pointer=new_ptr)
        else:
            d.emit("added-optional-request-body", "an optional request body was added", operation=label,
                   location=where, revision_pointer=new_ptr)
        return
    if new is None:
        d.emit("request-body-removed", "the request body was removed; clients still sending one may be rejected",
               operation=label, location=where, base_pointer=old_ptr)
        return
    assert old is not None
    if old.get("required") is not True and new.get("required") is True:
        d.emit("request-body-became-required", "the request body became required; clients that omit it will be "
               "rejected", operation=label, location=where, base_pointer=old_ptr, revision_pointer=new_ptr)
    elif old.get("required") is True and new.get("required") is not True:
        d.emit("request-body-became-optional", "the request body became optional", operation=label,
               location=where, base_pointer=old_ptr, revision_pointer=new_ptr)
    _check_content(d, label, "request", old, new, old_ptr, new_ptr, where)


def _check_content(d: Differ, label: str, direction: str, old: dict[str, Any], new: dict[str, Any], old_ptr: str,
                   new_ptr: str, where: str, status: str | None = None) -> None:
    old_content, new_content = _content(old), _content(new)
    side = "request body" if direction == "request" else f"response {status}"
    for key in sorted(set(old_content) | set(new_content)):
        if key not in new_content:
            name = old_content[key][0]
            loc, ptr = f"{where}/content/{escape(name)}", f"{old_ptr}/content/{escape(name)}"
            if direction == "request":
                d.emit("request-body-media-type-removed", f"the media type {name!r} was removed from the {side}; "
                       "clients sending it will be rejected", operation=label, location=loc, base_pointer=ptr)
            else:
                d.emit("response-media-type-removed", f"the media type {name!r} was removed from the {side}; "
                       "clients that ask for it will not get it", operation=label, location=loc, base_pointer=ptr)
            continue
        if key not in old_content:
            name = new_content[key][0]
            loc, ptr = f"{where}/content/{escape(name)}", f"{new_ptr}/content/{escape(name)}"
            rule = "request-body-media-type-added" if direction == "request" else "response-media-type-added"
            d.emit(rule, f"the media type {name!r} was added to the {side}", operation=label, location=loc,
                   revision_pointer=ptr)
            continue
        old_name, old_media = old_content[key]
        new_name, new_media = new_content[key]
        loc = f"{where}/content/{escape(new_name)}"
        bp, rp = f"{old_ptr}/content/{escape(old_name)}", f"{new_ptr}/content/{escape(new_name)}"
        prefix = "request-body" if direction == "request" else "response-body"
        if "schema" in old_media and "schema" not in new_media:
            d.emit(f"{prefix}-media-type-schema-removed", f"the schema of media type {new_name!r} of the {side} "
                   "was removed", operation=label, location=loc, base_pointer=bp, revision_pointer=rp)
        elif "schema" in new_media and "schema" not in old_media:
            d.emit(f"{prefix}-media-type-schema-added", f"a schema was added to media type {new_name!r} of the "
                   f"{side}", operation=label, location=loc, base_pointer=bp, revision_pointer=rp)
        elif "schema" in old_media:
            site = Site(direction="request" if direction == "request" else "response", operation=label,
                        location=f"{loc}/schema", media_type=key)
            compare_schemas(d, site, old_media["schema"], new_media["schema"], f"{bp}/schema", f"{rp}/schema")


def _success(status: str) -> bool:
    return status.startswith("2")


def check_responses(d: Differ, label: str, old_op: dict[str, Any], new_op: dict[str, Any], old_pointer: str,
                    new_pointer: str, location: str) -> None:
    old_all, new_all = old_op.get("responses"), new_op.get("responses")
    old_all = old_all if isinstance(old_all, dict) else {}
    new_all = new_all if isinstance(new_all, dict) else {}
    old_keys = {k.upper(): k for k in old_all}
    new_keys = {k.upper(): k for k in new_all}
    for status in sorted(set(old_keys) | set(new_keys)):
        if status not in new_keys:
            raw = old_keys[status]
            loc, ptr = f"{location}/responses/{escape(raw)}", f"{old_pointer}/responses/{escape(raw)}"
            if _success(status):
                d.emit("response-success-status-removed", f"the success response {raw} was removed; clients "
                       "expecting it will break", operation=label, location=loc, base_pointer=ptr)
            else:
                d.emit("response-non-success-status-removed", f"the response {raw} was removed",
                       operation=label, location=loc, base_pointer=ptr)
            continue
        if status not in old_keys:
            raw = new_keys[status]
            loc, ptr = f"{location}/responses/{escape(raw)}", f"{new_pointer}/responses/{escape(raw)}"
            rule = "response-success-status-added" if _success(status) else "response-non-success-status-added"
            d.emit(rule, f"the response {raw} was added", operation=label, location=loc, revision_pointer=ptr)
            continue
        old_raw, new_raw = old_keys[status], new_keys[status]
        old, old_ptr = _deref(d.base, old_all[old_raw], f"{old_pointer}/responses/{escape(old_raw)}")
        new, new_ptr = _deref(d.revision, new_all[new_raw], f"{new_pointer}/responses/{escape(new_raw)}")
        if old is None or new is None:
            continue
        where = f"{location}/responses/{escape(new_raw)}"
        _check_headers(d, label, old, new, old_ptr, new_ptr, where, new_raw)
        _check_content(d, label, "response", old, new, old_ptr, new_ptr, where, new_raw)


def _check_headers(d: Differ, label: str, old: dict[str, Any], new: dict[str, Any], old_ptr: str, new_ptr: str,
                   where: str, status: str) -> None:
    old_h, new_h = old.get("headers"), new.get("headers")
    old_h = {k.lower(): k for k in old_h} if isinstance(old_h, dict) else {}
    new_h = {k.lower(): k for k in new_h} if isinstance(new_h, dict) else {}
    old_h.pop("content-type", None)
    new_h.pop("content-type", None)

    def header(spec: Spec, owner: dict[str, Any], name: str, pointer: str) -> dict[str, Any]:
        node, _ = spec.deref(owner["headers"][name], pointer)
        return node if isinstance(node, dict) else {}

    for key in sorted(set(old_h) | set(new_h)):
        if key not in new_h:
            name = old_h[key]
            ptr = f"{old_ptr}/headers/{escape(name)}"
            was_required = header(d.base, old, name, ptr).get("required") is True
            rule = "required-response-header-removed" if was_required else "optional-response-header-removed"
            d.emit(rule, f"the {'required' if was_required else 'optional'} header {name!r} of response "
                   f"{status} was removed; clients reading it may break", operation=label,
                   location=f"{where}/headers/{escape(name)}", base_pointer=ptr)
        elif key not in old_h:
            name = new_h[key]
            ptr = f"{new_ptr}/headers/{escape(name)}"
            kind = "required" if header(d.revision, new, name, ptr).get("required") is True else "optional"
            d.emit("response-header-added", f"the {kind} header {name!r} was added to response {status}",
                   operation=label, location=f"{where}/headers/{escape(name)}", revision_pointer=ptr)
        else:
            old_name, new_name = old_h[key], new_h[key]
            bp, rp = f"{old_ptr}/headers/{escape(old_name)}", f"{new_ptr}/headers/{escape(new_name)}"
            b, r = header(d.base, old, old_name, bp), header(d.revision, new, new_name, rp)
            loc = f"{where}/headers/{escape(new_name)}"
            was, now = b.get("required") is True, r.get("required") is True
            if was and not now:
                d.emit("response-header-became-optional", f"the header {new_name!r} of response {status} became "
                       "optional; clients relying on it will break", operation=label, location=loc,
                       base_pointer=bp, revision_pointer=rp)
            elif now and not was:
                d.emit("response-header-became-required", f"the header {new_name!r} of response {status} became "
                       "required", operation=label, location=loc, base_pointer=bp, revision_pointer=rp)
            check_header_serialization(d, label, new_name, status, b, r, loc, bp, rp)
