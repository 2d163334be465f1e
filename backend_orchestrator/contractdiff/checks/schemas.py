"""The schema walker: compares a base and a revision schema and every subschema they share.

What it does
    Follows ``$ref``\\ s on both sides, runs the keyword checks of :mod:`.schema_values` on each pair,
    reports properties added/removed/made required or read-only/write-only (:mod:`.access`), composition
    (``oneOf``/``anyOf``/``allOf``) members added/removed, discriminator and JSON Schema 2020-12 keywords
    (``if``/``then``/``else``, ``contains``, ``dependentRequired``, ``prefixItems``, ``unevaluated*``,
    ``content*`` ...), and recurses into properties, ``items``, ``additionalProperties``, matched composition
    members and the other subschemas.
Why it matters
    Most breaking changes hide inside schemas: a response field removed, a request field made required, an
    enum narrowed. A narrowing breaks requests; a widening breaks responses.
Limits
    Walks are memoized and recursion stops where a schema meets itself (see :mod:`..walk`). ``not`` and
    ``if`` subschemas are not walked (their effect is inverted or conditional): a change there is one
    ``*-not-changed`` / ``*-if-changed`` warning. Composition members are matched by ``$ref``, then by equal
    content, then by title, then by position; a renamed ``$ref`` reads as one removed and one added member.
"""

from __future__ import annotations

from typing import Any

from ..engine import Differ, Site
from .access import check_access
from .schema_values import (
    canonical,
    check_bounds,
    check_default_and_const,
    check_enum,
    check_nullable,
    check_pattern,
    check_type,
    emit,
    type_only_members,
)

_ANNOTATIONS = frozenset({"title", "description", "examples", "example", "default", "externalDocs", "$comment",
                          "deprecated", "readOnly", "writeOnly"})
_COMPOSITION = (("oneOf", "one-of"), ("anyOf", "any-of"), ("allOf", "all-of"))

def compare_schemas(d: Differ, site: Site, base: Any, revision: Any, base_pointer: str,
                    revision_pointer: str) -> None:
    """Compare two schema nodes (either may be a ``$ref``) at ``site``."""
    b, bp = d.base.deref(base, base_pointer)
    r, rp = d.revision.deref(revision, revision_pointer)
    b, r = _as_schema(b), _as_schema(r)
    if b is None or r is None:
        return
    ref = base.get("$ref") if isinstance(base, dict) else None  # the wrapped-in-oneOf check looks at it
    key = (id(b), id(r), ref, site.direction, site.parameter, site.parameter_required, site.media_type, site.nested)
    d.walk(site, key, lambda: _compare(d, site, base, b, r, bp, rp))


def _compare(d: Differ, site: Site, base: Any, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    d.count_schema_pair()
    if _wrapped_in_one_of(d, base, b, r):
        emit(d, site, "wrapped-in-one-of", "the schema was wrapped into a oneOf; a value that matches more than "
             "one alternative is now invalid, and fields guaranteed before may be absent", bp, rp)
        return
    check_type(d, site, b, r, bp, rp)
    check_nullable(d, site, b, r, bp, rp)
    check_enum(d, site, b, r, bp, rp)
    check_bounds(d, site, b, r, bp, rp)
    check_pattern(d, site, b, r, bp, rp)
    check_default_and_const(d, site, b, r, bp, rp)
    _check_discriminator(d, site, b, r, bp, rp)
    _check_keywords(d, site, b, r, bp, rp)
    _check_composition(d, site, b, r, bp, rp)
    _check_properties(d, site, b, r, bp, rp)
    for keyword in ("items", "additionalProperties"):
        if isinstance(b.get(keyword), dict) and isinstance(r.get(keyword), dict):
            compare_schemas(d, site.child(keyword, keyword), b[keyword], r[keyword], f"{bp}/{keyword}",
                            f"{rp}/{keyword}")
    _check_additional_properties(d, site, b, r, bp, rp)


def _as_schema(node: Any) -> dict[str, Any] | None:
    if node is True:
        return {}
    return node if isinstance(node, dict) else None


def _wrapped_in_one_of(d: Differ, base_raw: Any, b: dict[str, Any], r: dict[str, Any]) -> bool:
    """The revision moved the base schema into ``oneOf`` alternatives (oasdiff #702)."""
    alternatives = r.get("oneOf")
    if not isinstance(alternatives, list) or not alternatives or "oneOf" in b or "anyOf" in b:
        return False
    if "properties" in r or ("type" in r and r.get("type") != "object"):
        return False
    if isinstance(base_raw, dict) and "$ref" in base_raw \
            and any(isinstance(a, dict) and a.get("$ref") == base_raw["$ref"] for a in alternatives):
        return True
    names = set(b.get("properties") or {})
    if not names:
        return False
    seen: set[str] = set()
    for alternative in alternatives:
        alt, _ = d.revision.deref(alternative, "")
        if isinstance(alt, dict):
            seen.update(alt.get("properties") or {})
    return names <= seen


def _check_discriminator(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    old, new = b.get("discriminator"), r.get("discriminator")
    if not isinstance(old, dict) and not isinstance(new, dict):
        return
    if not isinstance(old, dict):
        emit(d, site, "discriminator-added", "a discriminator was added", bp, rp)
        return
    if not isinstance(new, dict):
        emit(d, site, "discriminator-removed", "the discriminator was removed", bp, rp)
        return
    if old.get("propertyName") != new.get("propertyName"):
        emit(d, site, "discriminator-property-name-changed", f"the discriminator property changed from "
             f"{old.get('propertyName')!r} to {new.get('propertyName')!r}", bp, rp)
    old_map, new_map = old.get("mapping") or {}, new.get("mapping") or {}
    if not isinstance(old_map, dict) or not isinstance(new_map, dict):
        return
    for value in sorted(set(new_map) - set(old_map)):
        emit(d, site, "discriminator-mapping-added", f"discriminator mapping {value!r} was added", bp, rp)
    for value in sorted(set(old_map) - set(new_map)):
        emit(d, site, "discriminator-mapping-deleted", f"discriminator mapping {value!r} was deleted", bp, rp)
    for value in sorted(set(old_map) & set(new_map)):
        if old_map[value] != new_map[value]:
            emit(d, site, "discriminator-mapping-changed", f"discriminator mapping {value!r} changed from "
                 f"{old_map[value]!r} to {new_map[value]!r}", bp, rp)


# keyword -> (rule stem, whether matching subschemas are walked)
_SUBSCHEMA_KEYWORDS = (
    ("then", "then", True),
    ("else", "else", True),
    ("contains", "contains", True),
    ("propertyNames", "property-names", True),
    ("unevaluatedItems", "unevaluated-items", True),
    ("unevaluatedProperties", "unevaluated-properties", True),
    ("contentSchema", "content-schema", True),
    ("if", "if", False),
    ("not", "not", False),
)


def _check_keywords(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    for keyword, stem, walk in _SUBSCHEMA_KEYWORDS:
        old, new = b.get(keyword), r.get(keyword)
        if old is None and new is None:
            continue
        if old is None:
            emit(d, site, f"{stem}-added", f"{keyword} was added", bp, rp)
        elif new is None:
            emit(d, site, f"{stem}-removed", f"{keyword} was removed", bp, rp)
        elif walk:
            compare_schemas(d, site.child(keyword, keyword), old, new, f"{bp}/{keyword}", f"{rp}/{keyword}")
        elif canonical(_resolved(d, old, base=True)) != canonical(_resolved(d, new, base=False)):
            emit(d, site, f"{stem}-changed", f"the {keyword} subschema changed", bp, rp)
    for keyword in ("contentMediaType", "contentEncoding"):
        old, new = b.get(keyword), r.get(keyword)
        if old != new:
            stem = "content-media-type" if keyword == "contentMediaType" else "content-encoding"
            emit(d, site, f"{stem}-changed", f"{keyword} changed from {old!r} to {new!r}", bp, rp)
    _check_dependent_required(d, site, b, r, bp, rp)
    for keyword, stem in (("dependentSchemas", "dependent-schema"), ("patternProperties", "pattern-property")):
        old_map, new_map = b.get(keyword), r.get(keyword)
        old_map = old_map if isinstance(old_map, dict) else {}
        new_map = new_map if isinstance(new_map, dict) else {}
        for name in sorted(set(new_map) - set(old_map)):
            emit(d, site, f"{stem}-added", f"{keyword} entry {name!r} was added", bp, rp)
        for name in sorted(set(old_map) - set(new_map)):
            emit(d, site, f"{stem}-removed", f"{keyword} entry {name!r} was removed", bp, rp)
        for name in sorted(set(old_map) & set(new_map)):
            step = f"{keyword}/{name}"
            compare_schemas(d, site.child(step, step.replace("~", "~0")), old_map[name], new_map[name],
                            f"{bp}/{keyword}/{name}", f"{rp}/{keyword}/{name}")
    old_prefix, new_prefix = b.get("prefixItems"), r.get("prefixItems")
    old_prefix = old_prefix if isinstance(old_prefix, list) else []
    new_prefix = new_prefix if isinstance(new_prefix, list) else []
    if len(new_prefix) > len(old_prefix):
        emit(d, site, "prefix-items-added", f"prefixItems grew from {len(old_prefix)} to {len(new_prefix)} "
             "entries", bp, rp)
    elif len(new_prefix) < len(old_prefix):
        emit(d, site, "prefix-items-removed", f"prefixItems shrank from {len(old_prefix)} to {len(new_prefix)} "
             "entries", bp, rp)
    for index, (old, new) in enumerate(zip(old_prefix, new_prefix, strict=False)):
        step = f"prefixItems/{index}"
        compare_schemas(d, site.child(step, step), old, new, f"{bp}/{step}", f"{rp}/{step}")


def _resolved(d: Differ, node: Any, *, base: bool) -> Any:
    spec = d.base if base else d.revision
    return spec.deref(node, "")[0]


def _check_dependent_required(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str,
                              rp: str) -> None:
    old, new = b.get("dependentRequired"), r.get("dependentRequired")
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    for name in sorted(set(new) - set(old)):
        emit(d, site, "dependent-required-added", f"dependentRequired for {name!r} was added", bp, rp)
    for name in sorted(set(old) - set(new)):
        emit(d, site, "dependent-required-removed", f"dependentRequired for {name!r} was removed", bp, rp)
    for name in sorted(set(old) & set(new)):
        if canonical(sorted(map(str, old[name] or []))) != canonical(sorted(map(str, new[name] or []))):
            emit(d, site, "dependent-required-changed", f"dependentRequired for {name!r} changed from "
                 f"{old[name]!r} to {new[name]!r}", bp, rp)


def _member_key(node: Any) -> tuple[str, str]:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return ("ref", node["$ref"])
    return ("inline", canonical(node))


def _label(node: Any, resolved: Any, index: int) -> str:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"])
    if isinstance(resolved, dict) and isinstance(resolved.get("title"), str):
        return str(resolved["title"])
    return f"#{index}"


def _match_members(d: Differ, old: list[Any], new: list[Any]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pair composition members: equal ``$ref`` or content, then equal title, then position (inline only)."""
    pairs: list[tuple[int, int]] = []
    free_old, free_new = list(range(len(old))), list(range(len(new)))
    for i in list(free_old):
        key = _member_key(old[i])
        for j in free_new:
            if _member_key(new[j]) == key:
                pairs.append((i, j))
                free_old.remove(i)
                free_new.remove(j)
                break

    def title(node: Any, base: bool) -> object:
        resolved = _resolved(d, node, base=base)
        return resolved.get("title") if isinstance(resolved, dict) else None

    for i in list(free_old):
        t = title(old[i], True)
        if t is None or _member_key(old[i])[0] == "ref":
            continue
        for j in free_new:
            if _member_key(new[j])[0] == "inline" and title(new[j], False) == t:
                pairs.append((i, j))
                free_old.remove(i)
                free_new.remove(j)
                break
    for i in list(free_old):  # an inline member refactored into an equal $ref, or back
        content = _content_key(d, old[i], base=True)
        for j in free_new:
            if (_member_key(old[i])[0], _member_key(new[j])[0]) != ("ref", "ref") \
                    and _content_key(d, new[j], base=False) == content:
                pairs.append((i, j))
                free_old.remove(i)
                free_new.remove(j)
                break
    inline_old = [i for i in free_old if _member_key(old[i])[0] == "inline"]
    inline_new = [j for j in free_new if _member_key(new[j])[0] == "inline"]
    if inline_old and len(inline_old) == len(inline_new):
        for i, j in zip(inline_old, inline_new, strict=True):
            pairs.append((i, j))
            free_old.remove(i)
            free_new.remove(j)
    return sorted(pairs), free_old, free_new


def _content_key(d: Differ, node: Any, *, base: bool) -> str:
    resolved = _resolved(d, node, base=base)
    if isinstance(resolved, dict):
        resolved = {k: v for k, v in resolved.items() if k not in _ANNOTATIONS or k in ("default", "readOnly",
                                                                                         "writeOnly")}
    return canonical(resolved)


def _annotation_only(d: Differ, node: Any) -> bool:
    resolved = _resolved(d, node, base=False)
    return isinstance(resolved, dict) and all(k in _ANNOTATIONS or k.startswith("x-") for k in resolved)


def _check_composition(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    for keyword, stem in _COMPOSITION:
        old, new = b.get(keyword), r.get(keyword)
        old = old if isinstance(old, list) else []
        new = new if isinstance(new, list) else []
        if not old and not new:
            continue
        if keyword != "allOf" and type_only_members(d, old, base=True) and type_only_members(d, new, base=False):
            continue  # a list of types: the type check reports it
        pairs, removed, added = _match_members(d, old, new)
        for i in removed:
            label = _label(old[i], _resolved(d, old[i], base=True), i)
            emit(d, site, f"{stem}-removed", f"{label!r} was removed from the {keyword} list", bp, rp)
        for j in added:
            label = _label(new[j], _resolved(d, new[j], base=False), j)
            suffix = f"{stem}-added"
            if keyword == "allOf" and _annotation_only(d, new[j]):
                suffix = "all-of-added-annotation-only"
            emit(d, site, suffix, f"{label!r} was added to the {keyword} list", bp, rp)
        for i, j in pairs:
            label = _label(new[j], _resolved(d, new[j], base=False), j)
            compare_schemas(d, site.child(f"{keyword}[{label}]", f"{keyword}/{j}"), old[i], new[j],
                            f"{bp}/{keyword}/{i}", f"{rp}/{keyword}/{j}")


def _flag(d: Differ, node: Any, key: str, *, base: bool) -> bool:
    resolved = _resolved(d, node, base=base)
    return isinstance(resolved, dict) and resolved.get(key) is True


def _property_ids(site: Site) -> dict[str, str]:
    if site.parameter is not None:
        prefix = "request-header-property" if site.parameter[0] == "header" else "request-parameter-property"
        return {"new-required": f"new-required-{prefix}", "new-optional": f"new-optional-{prefix}",
                "removed": f"{prefix}-removed", "became-required": f"{prefix}-became-required",
                "became-optional": f"{prefix}-became-optional"}
    return {"new-required": "new-required-request-property", "new-optional": "new-optional-request-property",
            "removed": "request-property-removed", "became-required": "request-property-became-required",
            "became-optional": "request-property-became-optional"}


def _check_properties(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    old, new = b.get("properties"), r.get("properties")
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    if not old and not new:
        return
    old_required = {str(n) for n in b.get("required") or [] if isinstance(n, str | int)}
    new_required = {str(n) for n in r.get("required") or [] if isinstance(n, str | int)}
    hidden = "readOnly" if site.direction == "request" else "writeOnly"
    for name in sorted(set(old) | set(new)):
        child = site.child(name, f"properties/{name.replace('~', '~0').replace('/', '~1')}")
        b_child, r_child = f"{bp}/properties/{name}", f"{rp}/properties/{name}"
        if name not in old:
            if _flag(d, new[name], hidden, base=False):
                continue
            required = name in new_required
            _emit_property(d, child, "added", required, _has_default(d, new[name], base=False), b_child, r_child)
        elif name not in new:
            if _flag(d, old[name], hidden, base=True):
                continue
            _emit_property(d, child, "removed", name in old_required, False, b_child, r_child)
        else:
            if _flag(d, old[name], hidden, base=True) and _flag(d, new[name], hidden, base=False):
                continue
            was, now = name in old_required, name in new_required
            check_access(d, child, old[name], new[name], was, now, b_child, r_child)
            if was != now:
                _emit_property(d, child, "became-required" if now else "became-optional", now,
                               _has_default(d, new[name], base=False), b_child, r_child)
            compare_schemas(d, child, old[name], new[name], b_child, r_child)


def _has_default(d: Differ, schema: Any, *, base: bool) -> bool:
    resolved = _resolved(d, schema, base=base)
    return isinstance(resolved, dict) and "default" in resolved


def _emit_property(d: Differ, child: Site, event: str, required: bool, has_default: bool, bp: str,
                   rp: str) -> None:
    """A property of ``child``'s parent was added, removed, or made required or optional."""
    d.record(child, _emit_property, (event, required, has_default, bp, rp))
    name = "/".join(child.path)
    if child.direction == "response":
        rule_id, what = {
            ("added", True): ("response-required-property-added", "a required property was added"),
            ("added", False): ("response-optional-property-added", "an optional property was added"),
            ("removed", True): ("response-required-property-removed",
                                "a required property was removed; clients reading it will break"),
            ("removed", False): ("response-optional-property-removed",
                                 "an optional property was removed; clients reading it may break"),
            ("became-required", True): ("response-property-became-required", "the property became required"),
            ("became-optional", False): ("response-property-became-optional",
                                         "the property became optional; clients relying on it will break"),
        }[(event, required)]
        subject = f"response property {name!r}"
    else:
        ids = _property_ids(child)
        rule_id, what = {
            ("added", True): (ids["new-required"], "a required property was added; existing clients do not "
                              "send it"),
            ("added", False): (ids["new-optional"], "an optional property was added"),
            ("removed", True): (ids["removed"], "the property was removed; clients still sending it may be "
                                "rejected"),
            ("removed", False): (ids["removed"], "the property was removed; clients still sending it may be "
                                 "rejected"),
            ("became-required", True): (ids["became-required"], "the property became required; clients that "
                                        "omit it will be rejected"),
            ("became-optional", False): (ids["became-optional"], "the property became optional"),
        }[(event, required)]
        if child.parameter is None and has_default and rule_id in ("new-required-request-property",
                                                                    "request-property-became-required"):
            rule_id = "new-required-request-property-with-default" if rule_id.startswith("new-") \
                else "request-property-became-required-with-default"
        if child.parameter is not None:
            where, pname = child.parameter
            subject = f"property {name!r} of the {where} parameter {pname!r}"
        else:
            subject = f"request property {name!r}"
    d.emit(rule_id, f"{subject}: {what}", operation=child.operation, location=child.location,
           base_pointer=None if event == "added" else bp, revision_pointer=None if event == "removed" else rp)


def _check_additional_properties(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str,
                                 rp: str) -> None:
    old, new = b.get("additionalProperties"), r.get("additionalProperties")
    if (old is False) == (new is False):
        return
    if new is False:
        emit(d, site, "additional-properties-disallowed", "additionalProperties became false", bp, rp)
    else:
        emit(d, site, "additional-properties-allowed", "additionalProperties is no longer false", bp, rp)
