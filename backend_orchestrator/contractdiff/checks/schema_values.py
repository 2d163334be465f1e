"""Schema checks on one node: types and formats, nullability, enums, bounds, patterns, defaults, const.

Each function compares the keywords of one base/revision schema pair at a :class:`~..engine.Site` and
emits through :func:`emit`; recursion into subschemas lives in :mod:`.schemas`.
"""

from __future__ import annotations

import json
from typing import Any

from ..engine import Differ, Site
from ..model import Level
from ..rules import RULES

# Formats whose values are a superset of another format's (a request may widen, a response may narrow); no
# format at all is wider than any.
_WIDER_FORMAT = {("int32", "int64"), ("float", "double")}
# Patterns that accept any string: changing to one of these generalises.
ANY_PATTERNS = frozenset({".*", "^.*$", "^.*", ".*$", "(.*)", "^(.*)$", "[\\s\\S]*", "^[\\s\\S]*$"})

_CONSEQUENCE = {
    ("request", Level.BREAKING): "requests that used to be valid may now be rejected",
    ("request", Level.WARNING): "some requests that used to be valid may now be rejected",
    ("response", Level.BREAKING): "clients may now receive data they were not built to handle",
    ("response", Level.WARNING): "some clients may receive data they were not built to handle",
}


def emit(d: Differ, site: Site, suffix: str, what: str, b_ptr: str | None, r_ptr: str | None) -> None:
    """Emit schema rule ``suffix`` at ``site`` unless the registry has no such rule for that side."""
    d.record(site, emit, (suffix, what, b_ptr, r_ptr))
    rule_id = site.rule(suffix)
    rule = RULES.get(rule_id)
    if rule is None:
        return
    message = f"{site.name}: {what}"
    consequence = _CONSEQUENCE.get((site.direction, rule.level))
    if consequence:
        message += f"; {consequence}"
    d.emit(rule_id, message, operation=site.operation, location=site.location, base_pointer=b_ptr,
           revision_pointer=r_ptr)


def canonical(value: Any) -> str:
    """A stable text form of a JSON value, for set operations on unhashable values."""
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):  # a recursive structure (YAML alias cycle)
        return repr(value)


def show(value: Any) -> str:
    return canonical(value) if not isinstance(value, str) else repr(value)


def declared_types(schema: dict[str, Any]) -> frozenset[str] | None:
    """The declared non-null types, or ``None`` when the schema declares none."""
    raw = schema.get("type")
    if raw is None:
        return None
    types = {raw} if isinstance(raw, str) else {t for t in raw if isinstance(t, str)} if isinstance(raw, list) \
        else set()
    types.discard("null")
    return frozenset(types)


def effective_types(schema: dict[str, Any]) -> frozenset[str] | None:
    """Declared types, else what the keywords imply (``properties`` -> object, ``items`` -> array, the types
    of ``const`` / ``enum`` values)."""
    types = declared_types(schema)
    if types is not None:
        return types
    if any(k in schema for k in ("properties", "additionalProperties", "required", "patternProperties")):
        return frozenset({"object"})
    if any(k in schema for k in ("items", "prefixItems")):
        return frozenset({"array"})
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    if isinstance(values, list) and values:
        return frozenset(_json_type(v) for v in values) - {"null"} or None
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "string"


def nullable(schema: dict[str, Any]) -> bool | None:
    """Whether null is valid; ``None`` when unknown (an untyped schema without ``nullable``)."""
    if "nullable" in schema:
        return schema.get("nullable") is True or _null_in_type(schema)
    if schema.get("type") is None:
        return None
    return _null_in_type(schema)


def _null_in_type(schema: dict[str, Any]) -> bool:
    raw = schema.get("type")
    return raw == "null" or (isinstance(raw, list) and "null" in raw)


def _has_composition(schema: dict[str, Any]) -> bool:
    return any(k in schema for k in ("allOf", "anyOf", "oneOf"))


def _join(types: frozenset[str]) -> str:
    return "/".join(sorted(types)) or "(none)"


_TYPE_ONLY = frozenset({"type", "format", "title", "description"})


def member_types(d: Differ, schema: dict[str, Any], *, base: bool) -> frozenset[str] | None:
    """For an untyped schema made of ``oneOf``/``anyOf`` members that each declare a type (oasdiff's
    "list of types"): the union of those types. ``None`` otherwise."""
    if "type" in schema or "allOf" in schema:
        return None
    members = [m for k in ("oneOf", "anyOf") if isinstance(schema.get(k), list) for m in schema[k]]
    if not members:
        return None
    spec = d.base if base else d.revision
    found: set[str] = set()
    for member in members:
        resolved, _ = spec.deref(member, "")
        types = declared_types(resolved) if isinstance(resolved, dict) else None
        if not types:
            return None
        found |= types
    return frozenset(found)


def type_only_members(d: Differ, members: list[Any], *, base: bool) -> bool:
    """Every member only states a type: the list-of-types check describes a change of them."""
    spec = d.base if base else d.revision
    for member in members:
        resolved, _ = spec.deref(member, "")
        if not isinstance(resolved, dict) or "type" not in resolved or not resolved.keys() <= _TYPE_ONLY:
            return False
    return True


def check_type(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    bm, rm = member_types(d, b, base=True), member_types(d, r, base=False)
    bt, rt = bm or effective_types(b), rm or effective_types(r)
    if bt == rt:
        if bt is not None and len(bt) == 1 and bm is None and rm is None:
            _check_format(d, site, b, r, bp, rp, next(iter(bt)))
        return
    if bt is None or rt is None:
        if _has_composition(b) or _has_composition(r):
            return  # the composition checks describe this change
        if bt is not None:  # the revision accepts any type
            what = f"type {_join(bt)} was removed (any type is now accepted)"
            emit(d, site, "type-generalized" if site.direction == "request" else "type-changed", what, bp, rp)
        else:
            what = f"type {_join(rt or frozenset())} was added (any type used to be accepted)"
            emit(d, site, "type-changed" if site.direction == "request" else "type-specialized", what, bp, rp)
        return
    if site.parameter is not None and not site.nested and rt == {"array"} and "array" not in bt:
        suffix = "type-generalized" if _array_generalizes(d, b, r) else "type-changed"
        emit(d, site, suffix, f"type changed from {_join(bt)} to array", bp, rp)
        return
    if len(bt) > 1 or len(rt) > 1 or bm is not None or rm is not None:
        _check_list_of_types(d, site, bt, rt, bp, rp)
        return
    old, new = next(iter(bt)), next(iter(rt))
    what = f"type changed from {old} to {new}"
    if site.media_type is not None and "xml" in site.media_type and not site.nested and "string" in (old, new):
        suffix = "type-compatible"
    elif site.kind == "request-parameter-property":
        suffix = ("type-generalized" if (old, new) == ("integer", "number")
                  else "type-specialized" if old == "string" else "type-changed")
    elif site.direction == "request":
        suffix = "type-generalized" if (old, new) == ("integer", "number") else "type-changed"
    else:
        suffix = "type-specialized" if (old, new) == ("number", "integer") else "type-changed"
    emit(d, site, suffix, what, bp, rp)


def _array_generalizes(d: Differ, b: dict[str, Any], r: dict[str, Any]) -> bool:
    """A scalar query parameter that became an unconstrained array of a compatible scalar: ``?x=1`` still
    parses (form style, one element)."""
    items, _ = d.revision.deref(r.get("items"), "")
    if not isinstance(items, dict):
        return False
    item_types = declared_types(items) or frozenset()
    base_types = declared_types(b) or frozenset()
    constraints = {"pattern", "enum", "const", "format", "minimum", "maximum", "exclusiveMinimum",
                   "exclusiveMaximum", "minLength", "maxLength", "multipleOf"}
    if constraints & items.keys():
        return False
    return item_types == {"string"} or (bool(item_types) and base_types <= item_types)


def _check_list_of_types(d: Differ, site: Site, bt: frozenset[str], rt: frozenset[str], bp: str,
                         rp: str) -> None:
    covered = set(rt) | ({"integer"} if "number" in rt else set())
    removed = sorted(t for t in bt if t not in covered)
    added = sorted(t for t in rt if t not in bt)
    if added:
        emit(d, site, "list-of-types-widened", f"types {', '.join(added)} were added to {_join(bt)}", bp, rp)
    if removed:
        emit(d, site, "list-of-types-narrowed", f"types {', '.join(removed)} were removed from {_join(bt)}",
             bp, rp)


def _check_format(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str,
                  type_: str) -> None:
    old, new = b.get("format"), r.get("format")
    if old == new:
        return
    what = f"format of type {type_} changed from {old or '(none)'} to {new or '(none)'}"
    # dropping a format accepts more values (int32 -> none, date-time -> none); adding one promises fewer
    if site.direction == "request":
        suffix = "type-generalized" if (old, new) in _WIDER_FORMAT or new is None else "type-changed"
    else:
        suffix = "type-specialized" if (new, old) in _WIDER_FORMAT or old is None else "type-changed"
    emit(d, site, suffix, what, bp, rp)


def check_nullable(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    old, new = nullable(b), nullable(r)
    if old is None or new is None or old == new:
        return
    if new:
        emit(d, site, "became-nullable", "null became a valid value", bp, rp)
    else:
        emit(d, site, "became-not-nullable", "null is no longer a valid value", bp, rp)


def check_enum(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    old, new = b.get("enum"), r.get("enum")
    if isinstance(old, list) and isinstance(new, list):
        old_keys, new_keys = {canonical(v) for v in old}, {canonical(v) for v in new}
        for value in old:
            if canonical(value) not in new_keys:
                emit(d, site, "enum-value-removed", f"enum value {show(value)} was removed", bp, rp)
        for value in new:
            if canonical(value) not in old_keys:
                emit(d, site, "enum-value-added", f"enum value {show(value)} was added", bp, rp)
    elif isinstance(new, list) and old is None:
        values = ", ".join(show(v) for v in new)
        emit(d, site, "became-enum", f"values were restricted to the enum [{values}]", bp, rp)
    elif isinstance(old, list) and new is None:
        emit(d, site, "became-not-enum", "the enum restriction was removed", bp, rp)
    old_x, new_x = b.get("x-extensible-enum"), r.get("x-extensible-enum")
    if isinstance(old_x, list) and isinstance(new_x, list):
        new_keys = {canonical(v) for v in new_x}
        for value in old_x:
            if canonical(value) not in new_keys:
                emit(d, site, "x-extensible-enum-value-removed", f"x-extensible-enum value {show(value)} was "
                     "removed", bp, rp)


# keyword -> (rule stem, value when absent; None: the bound is unset, so setting it is its own change)
_BOUNDS: tuple[tuple[str, str, float | None], ...] = (
    ("maximum", "max", None),
    ("minimum", "min", None),
    ("exclusiveMaximum", "exclusive-max", None),
    ("exclusiveMinimum", "exclusive-min", None),
    ("maxLength", "max-length", None),
    ("minLength", "min-length", 0),
    ("maxItems", "max-items", None),
    ("minItems", "min-items", 0),
    ("maxProperties", "max-properties", None),
    ("minProperties", "min-properties", 0),
    ("maxContains", "max-contains", None),
    ("minContains", "min-contains", 1),
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_bounds(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    for keyword, stem, absent in _BOUNDS:
        old, new = _number(b.get(keyword)), _number(r.get(keyword))
        if old is None:
            old = absent
        if new is None:
            new = absent
        if old == new:
            continue
        if old is None and new is not None:
            emit(d, site, f"{stem}-set", f"{keyword} was set to {_fmt(new)}", bp, rp)
        elif new is None and old is not None:
            emit(d, site, f"{stem}-unset", f"{keyword} {_fmt(old)} was removed", bp, rp)
        elif old is not None and new is not None:
            direction = "increased" if new > old else "decreased"
            emit(d, site, f"{stem}-{direction}", f"{keyword} {direction} from {_fmt(old)} to {_fmt(new)}", bp, rp)
    _check_exclusive_flags(d, site, b, r, bp, rp)
    _check_multiple_of(d, site, b, r, bp, rp)
    old_u, new_u = b.get("uniqueItems") is True, r.get("uniqueItems") is True
    if old_u != new_u:
        emit(d, site, "unique-items-set" if new_u else "unique-items-unset",
             "uniqueItems was set" if new_u else "uniqueItems was removed", bp, rp)


def _check_exclusive_flags(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    """OpenAPI 3.0's boolean ``exclusiveMinimum`` / ``exclusiveMaximum``: the ``minimum`` / ``maximum`` became
    exclusive (the bound itself is no longer valid) or inclusive. 3.1's numeric form is a bound of
    :data:`_BOUNDS`."""
    for flag, bound, stem in (("exclusiveMinimum", "minimum", "exclusive-min"),
                              ("exclusiveMaximum", "maximum", "exclusive-max")):
        old, new = b.get(flag) is True, r.get(flag) is True
        value = _number(r.get(bound)) if new else _number(b.get(bound))
        if old == new or value is None:
            continue
        if new:
            emit(d, site, f"{stem}-set", f"{bound} {_fmt(value)} became exclusive ({flag}: true); {_fmt(value)} "
                 "itself is no longer valid", bp, rp)
        else:
            emit(d, site, f"{stem}-unset", f"{bound} {_fmt(value)} is no longer exclusive ({flag} removed); "
                 f"{_fmt(value)} itself is now valid", bp, rp)


def _check_multiple_of(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    old, new = _number(b.get("multipleOf")), _number(r.get("multipleOf"))
    if old == new:
        return
    if old is None and new is not None:
        emit(d, site, "multiple-of-set", f"multipleOf was set to {_fmt(new)}", bp, rp)
    elif new is None and old is not None:
        emit(d, site, "multiple-of-unset", f"multipleOf {_fmt(old)} was removed", bp, rp)
    elif old and new:
        what = f"multipleOf changed from {_fmt(old)} to {_fmt(new)}"
        if site.direction == "request" and (old / new).is_integer():
            emit(d, site, "multiple-of-generalized", what, bp, rp)
        elif site.direction == "response" and (new / old).is_integer():
            emit(d, site, "multiple-of-specialized", what, bp, rp)
        else:
            emit(d, site, "multiple-of-changed", what, bp, rp)


def check_pattern(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str, rp: str) -> None:
    old, new = b.get("pattern") or None, r.get("pattern") or None
    if old == new:
        return
    if old is None:
        emit(d, site, "pattern-added", f"the pattern {new!r} was added", bp, rp)
    elif new is None:
        emit(d, site, "pattern-removed", f"the pattern {old!r} was removed", bp, rp)
    elif new in ANY_PATTERNS:
        emit(d, site, "pattern-generalized", f"the pattern changed from {old!r} to {new!r} (any string)", bp, rp)
    else:
        emit(d, site, "pattern-changed", f"the pattern changed from {old!r} to {new!r}", bp, rp)


def check_default_and_const(d: Differ, site: Site, b: dict[str, Any], r: dict[str, Any], bp: str,
                            rp: str) -> None:
    if not (site.parameter is not None and not site.nested and site.parameter_required):
        # a required parameter is always sent, so its default never applies (oasdiff reports nothing)
        _presence_change(d, site, "default", "default-value", b, r, bp, rp, "default value")
    _presence_change(d, site, "const", "const", b, r, bp, rp, "const")


def _presence_change(d: Differ, site: Site, key: str, stem: str, b: dict[str, Any], r: dict[str, Any],
                     bp: str, rp: str, label: str) -> None:
    if key not in b and key not in r:
        return
    if key not in b:
        emit(d, site, f"{stem}-added", f"{label} {show(r[key])} was added", bp, rp)
    elif key not in r:
        emit(d, site, f"{stem}-removed", f"{label} {show(b[key])} was removed", bp, rp)
    elif canonical(b[key]) != canonical(r[key]):
        emit(d, site, f"{stem}-changed", f"{label} changed from {show(b[key])} to {show(r[key])}", bp, rp)
