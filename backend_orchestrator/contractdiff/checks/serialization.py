"""How parameters and response headers are serialized: ``style``, ``explode``, ``allowReserved``,
``allowEmptyValue``.

What it does
    Compares the serialization *in effect* (OpenAPI's defaults filled in: ``form`` for query and cookie
    parameters, ``simple`` for path and header ones and for headers; ``explode`` true only for ``form``), so
    writing out a default is not a change. Reports a changed style (``request-parameter-style-changed``), a
    changed explode where it changes the bytes on the wire (``request-parameter-explode-changed``,
    ``response-header-explode-changed``), a query parameter that stops accepting reserved characters or empty
    values (``request-parameter-became-not-allow-reserved``, ``request-parameter-became-not-allow-empty-value``)
    or starts to (info).
Why it matters
    A client serializes ``?tags=a&tags=b`` (form, explode) or ``?tags=a,b`` (form, no explode) as the contract
    said; a server parsing the other way reads one garbled value. A client reading an object-valued header
    splits it as the contract said.
Limits
    ``explode`` makes no difference to a single value, nor to an array in ``simple`` style (``a,b`` either
    way); those are not reported. Parameters described by ``content`` are serialized by their media type and
    are not compared here.
"""

from __future__ import annotations

from typing import Any

from ..engine import Differ, Spec
from .schema_values import declared_types

_SCALARS = frozenset({"string", "number", "integer", "boolean"})


def in_effect(where: str, node: dict[str, Any]) -> tuple[str, bool]:
    """The style and explode a parameter (``where`` = its ``in``) or a header (``where`` = ``"header"``) uses."""
    style = node.get("style")
    if not isinstance(style, str) or not style:
        style = "form" if where in ("query", "cookie") else "simple"
    explode = node.get("explode")
    return style, explode if isinstance(explode, bool) else style == "form"


def _shape(spec: Spec, schema: Any) -> str:
    """``scalar``, ``array`` or ``other`` (an object, or a schema that does not say: it may be either)."""
    resolved, _ = spec.deref(schema, "")
    if not isinstance(resolved, dict) or any(k in resolved for k in ("oneOf", "anyOf", "allOf")):
        return "other"
    types = declared_types(resolved)
    if types and types <= _SCALARS:
        return "scalar"
    return "array" if types == frozenset({"array"}) else "other"


def explode_matters(d: Differ, style: str, old_schema: Any, new_schema: Any) -> bool:
    """Whether explode changes the serialization of a value of either schema in ``style``."""
    shapes = {_shape(d.base, old_schema), _shape(d.revision, new_schema)}
    if shapes == {"scalar"}:
        return False
    return not (style == "simple" and shapes <= {"scalar", "array"})


def check_parameter_serialization(d: Differ, label: str, where: str, name: str, old: dict[str, Any],
                                  new: dict[str, Any], location: str, base_pointer: str,
                                  revision_pointer: str) -> None:
    """``old`` / ``new``: the resolved parameter objects of one parameter in ``where`` (path, query...)."""
    what = f"the {where} parameter {name!r}"
    at: dict[str, Any] = {"operation": label, "location": location, "base_pointer": base_pointer,
                          "revision_pointer": revision_pointer}
    if "schema" in old and "schema" in new:
        old_style, old_explode = in_effect(where, old)
        new_style, new_explode = in_effect(where, new)
        if old_style != new_style:
            d.emit("request-parameter-style-changed", f"{what}: the style changed from {old_style!r} to "
                   f"{new_style!r}; clients serialize it the old way", **at)
        elif old_explode != new_explode and explode_matters(d, new_style, old["schema"], new["schema"]):
            d.emit("request-parameter-explode-changed", f"{what}: explode changed from {str(old_explode).lower()} "
                   f"to {str(new_explode).lower()}; clients serialize arrays and objects the old way", **at)
    if where != "query":
        return
    for key, rule, text in (("allowReserved", "allow-reserved", "reserved characters without percent-encoding"),
                            ("allowEmptyValue", "allow-empty-value", "an empty value")):
        was, now = old.get(key) is True, new.get(key) is True
        if was and not now:
            d.emit(f"request-parameter-became-not-{rule}", f"{what} no longer accepts {text} ({key} is no longer "
                   "true); requests that relied on it may be rejected", **at)
        elif now and not was:
            d.emit(f"request-parameter-became-{rule}", f"{what} now accepts {text} ({key}: true)", **at)


def check_header_serialization(d: Differ, label: str, name: str, status: str, old: dict[str, Any],
                               new: dict[str, Any], location: str, base_pointer: str, revision_pointer: str) -> None:
    """``old`` / ``new``: the resolved header objects of one response header (always ``simple`` style)."""
    if "schema" not in old or "schema" not in new:
        return
    _, old_explode = in_effect("header", old)
    _, new_explode = in_effect("header", new)
    if old_explode != new_explode and explode_matters(d, "simple", old["schema"], new["schema"]):
        d.emit("response-header-explode-changed", f"the header {name!r} of response {status}: explode changed "
               f"from {str(old_explode).lower()} to {str(new_explode).lower()}; clients split its object value the "
               "old way", operation=label, location=location, base_pointer=base_pointer,
               revision_pointer=revision_pointer)
