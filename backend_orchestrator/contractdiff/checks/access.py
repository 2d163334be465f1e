"""``readOnly`` / ``writeOnly`` of a property present in both documents: set or unset, in a request or a response.

What it does
    For each property of a request or response body that both documents have, reports ``readOnly`` or
    ``writeOnly`` becoming true or false, with oasdiff's ids and levels:
    ``request-{required,optional}-property-became-[not-]{read,write}-only`` and the ``response-`` ones.
    Whether the property counts as required is read from the base, except for a property that stops being
    read-only, which is judged by the revision (it is required in requests only if the revision says so).
Why it matters
    A read-only property is not sent: a client that sends one the server now marks read-only may be rejected
    or silently ignored (warning). In OpenAPI 3.0 ``required`` applies to a read-only property in responses
    only, so when a required property stops being read-only, clients that omitted it are now rejected
    (breaking; in OpenAPI 3.1 ``required`` always applied to requests, so that is not reported). A required
    response property that stops being write-only now appears in responses (warning).
Limits
    The flag is read from the property's own schema (after ``$ref``), not from ``allOf`` members. Parameter
    schemas are not checked.
"""

from __future__ import annotations

from typing import Any

from ..engine import Differ, Site


def _flag(d: Differ, node: Any, key: str, *, base: bool) -> bool:
    spec = d.base if base else d.revision
    resolved, _ = spec.deref(node, "")
    return isinstance(resolved, dict) and resolved.get(key) is True


def check_access(d: Differ, child: Site, old: Any, new: Any, was_required: bool, now_required: bool, bp: str,
                 rp: str) -> None:
    """Compare ``readOnly`` and ``writeOnly`` of one property (``child``) present in both documents."""
    if child.parameter is not None:
        return
    for key, word in (("readOnly", "read-only"), ("writeOnly", "write-only")):
        was, now = _flag(d, old, key, base=True), _flag(d, new, key, base=False)
        if was == now:
            continue
        required = now_required if (child.direction == "request" and key == "readOnly" and not now) else was_required
        if child.direction == "request" and key == "readOnly" and not now and required \
                and str(d.base.data.get("openapi", "")).startswith("3.1"):
            continue  # OpenAPI 3.1: required applied to the read-only property in requests already
        _emit_access(d, child, word, now, required, bp, rp)


def _emit_access(d: Differ, child: Site, word: str, now: bool, required: bool, bp: str, rp: str) -> None:
    d.record(child, _emit_access, (word, now, required, bp, rp))
    name = "/".join(child.path)
    side = child.direction
    kind = "required" if required else "optional"
    rule_id = f"{side}-{kind}-property-became-{'' if now else 'not-'}{word}"
    what = f"became {word}" if now else f"is no longer {word}"
    consequence = {
        "request-optional-property-became-read-only": "; clients still sending it may be rejected, or the value "
                                                      "silently ignored",
        "request-required-property-became-read-only": "; clients still sending it may be rejected, or the value "
                                                      "silently ignored",
        "request-required-property-became-not-read-only": "; it is now required in requests, so clients that "
                                                          "omit it will be rejected",
        "response-required-property-became-not-write-only": "; responses now carry it",
        "response-required-property-became-write-only": "; responses no longer carry it",
    }.get(rule_id, "")
    d.emit(rule_id, f"{side} property {name!r} ({kind}) {what}{consequence}", operation=child.operation,
           location=child.location, base_pointer=bp, revision_pointer=rp)
