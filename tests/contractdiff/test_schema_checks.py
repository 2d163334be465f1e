"""Each schema check, with tiny inline specs: a change that breaks clients and a compatible twin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from backend_orchestrator.contractdiff import Level, diff

from .specs import at, ids, obj, with_request, with_response

S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741


@dataclass(frozen=True)
class Row:
    rule: str  # what the breaking (or warning) revision reports
    side: str  # "request" | "response"
    base: dict[str, Any]
    changed: dict[str, Any]
    twin: dict[str, Any]  # a compatible revision of the same base
    twin_rule: str | None = None  # what the twin reports instead (info), if anything
    level: Level = Level.BREAKING
    version: str = "3.0.3"


ROWS = {
    "a request property changing type breaks; widening integer to number does not": Row(
        "request-property-type-changed", "request", obj({"n": I}), obj({"n": S}), obj({"n": {"type": "number"}}),
        "request-property-type-generalized"),
    "a request property changing format breaks; widening int32 to int64 does not": Row(
        "request-property-type-changed", "request", obj({"n": {"type": "integer", "format": "int64"}}),
        obj({"n": {"type": "integer", "format": "int32"}}), obj({"n": {"type": "integer", "format": "int64",
                                                                        "description": "x"}})),
    "a response property changing type breaks; narrowing number to integer does not": Row(
        "response-property-type-changed", "response", obj({"n": {"type": "number"}}), obj({"n": S}),
        obj({"n": I}), "response-property-type-specialized"),
    "removing a required response property breaks; adding one does not": Row(
        "response-required-property-removed", "response", obj({"a": S, "b": S}, ["a"]), obj({"b": S}),
        obj({"a": S, "b": S, "c": S}, ["a", "c"]), "response-required-property-added"),
    "removing an optional response property is a warning; adding one is info": Row(
        "response-optional-property-removed", "response", obj({"a": S, "b": S}, ["a"]), obj({"a": S}, ["a"]),
        obj({"a": S, "b": S, "c": S}, ["a"]), "response-optional-property-added", Level.WARNING),
    "a response property becoming optional breaks; becoming required does not": Row(
        "response-property-became-optional", "response", obj({"a": S, "b": S}, ["a"]), obj({"a": S, "b": S}),
        obj({"a": S, "b": S}, ["a", "b"]), "response-property-became-required"),
    "a new required request property breaks; a new optional one does not": Row(
        "new-required-request-property", "request", obj({"a": S}), obj({"a": S, "b": S}, ["b"]),
        obj({"a": S, "b": S}), "new-optional-request-property"),
    "a new required request property with a default still breaks": Row(
        "new-required-request-property-with-default", "request", obj({"a": S}),
        obj({"a": S, "b": {"type": "string", "default": "x"}}, ["b"]), obj({"a": S})),
    "a request property becoming required breaks; becoming optional does not": Row(
        "request-property-became-required", "request", obj({"a": S, "b": S}, ["a"]), obj({"a": S, "b": S}, ["a", "b"]),
        obj({"a": S, "b": S}), "request-property-became-optional"),
    "removing a request property is a warning; read-only ones are ignored": Row(
        "request-property-removed", "request", obj({"a": S, "id": {"type": "string", "readOnly": True}}),
        obj({"id": {"type": "string", "readOnly": True}}), obj({"a": S}), None, Level.WARNING),
    "removing a request enum value breaks; adding one does not": Row(
        "request-property-enum-value-removed", "request", obj({"c": {"type": "string", "enum": ["a", "b"]}}),
        obj({"c": {"type": "string", "enum": ["a"]}}), obj({"c": {"type": "string", "enum": ["a", "b", "c"]}}),
        "request-property-enum-value-added"),
    "restricting a request value to an enum breaks; lifting the enum does not": Row(
        "request-property-became-enum", "request", obj({"c": S}), obj({"c": {"type": "string", "enum": ["a"]}}),
        obj({"c": S})),
    "adding a response enum value is a warning; removing one is info": Row(
        "response-property-enum-value-added", "response", obj({"c": {"type": "string", "enum": ["a", "b"]}}),
        obj({"c": {"type": "string", "enum": ["a", "b", "c"]}}), obj({"c": {"type": "string", "enum": ["a"]}}),
        "response-property-enum-value-removed", Level.WARNING),
    "decreasing a request maxLength breaks; increasing it does not": Row(
        "request-property-max-length-decreased", "request", obj({"s": {"type": "string", "maxLength": 10}}),
        obj({"s": {"type": "string", "maxLength": 5}}), obj({"s": {"type": "string", "maxLength": 20}}),
        "request-property-max-length-increased"),
    "setting a request maxLength is a warning; removing it is not": Row(
        "request-property-max-length-set", "request", obj({"s": S}), obj({"s": {"type": "string", "maxLength": 5}}),
        obj({"s": S}), None, Level.WARNING),
    "increasing a request minLength breaks; decreasing it does not": Row(
        "request-property-min-length-increased", "request", obj({"s": {"type": "string", "minLength": 1}}),
        obj({"s": {"type": "string", "minLength": 3}}), obj({"s": S}), "request-property-min-length-decreased"),
    "increasing a request minimum breaks; decreasing it does not": Row(
        "request-property-min-increased", "request", obj({"n": {"type": "integer", "minimum": 0}}),
        obj({"n": {"type": "integer", "minimum": 5}}), obj({"n": {"type": "integer", "minimum": -5}}),
        "request-property-min-decreased"),
    "decreasing a request exclusiveMaximum (3.1) breaks; increasing it does not": Row(
        "request-property-exclusive-max-decreased", "request", obj({"n": {"type": "integer", "exclusiveMaximum": 9}}),
        obj({"n": {"type": "integer", "exclusiveMaximum": 5}}), obj({"n": {"type": "integer", "exclusiveMaximum": 99}}),
        "request-property-exclusive-max-increased", version="3.1.0"),
    "increasing a response maximum breaks; decreasing it does not": Row(
        "response-property-max-increased", "response", obj({"n": {"type": "integer", "maximum": 10}}),
        obj({"n": {"type": "integer", "maximum": 99}}), obj({"n": {"type": "integer", "maximum": 5}})),
    "increasing response maxItems breaks; decreasing them does not": Row(
        "response-property-max-items-increased", "response",
        obj({"l": {"type": "array", "items": S, "maxItems": 3}}), obj({"l": {"type": "array", "items": S,
                                                                           "maxItems": 9}}),
        obj({"l": {"type": "array", "items": S, "maxItems": 2}})),
    "increasing request minItems breaks; decreasing them does not": Row(
        "request-property-min-items-increased", "request", obj({"l": {"type": "array", "items": S, "minItems": 1}}),
        obj({"l": {"type": "array", "items": S, "minItems": 2}}), obj({"l": {"type": "array", "items": S}}),
        "request-property-min-items-decreased"),
    "adding a request pattern breaks; removing it does not": Row(
        "request-property-pattern-added", "request", obj({"s": S}), obj({"s": {"type": "string", "pattern": "^a"}}),
        obj({"s": S})),
    "changing a request pattern is a warning; changing it to match anything is info": Row(
        "request-property-pattern-changed", "request", obj({"s": {"type": "string", "pattern": "^a"}}),
        obj({"s": {"type": "string", "pattern": "^b"}}), obj({"s": {"type": "string", "pattern": ".*"}}),
        "request-property-pattern-generalized", Level.WARNING),
    "a response property becoming nullable breaks; becoming not nullable does not": Row(
        "response-property-became-nullable", "response", obj({"s": S}), obj({"s": {"type": "string",
                                                                                  "nullable": True}}),
        obj({"s": S})),
    "a request property losing null (3.1 type list) breaks; gaining it does not": Row(
        "request-property-became-not-nullable", "request", obj({"s": {"type": ["string", "null"]}}), obj({"s": S}),
        obj({"s": {"type": ["string", "null"]}}), version="3.1.0"),
    "a response type list gaining a type breaks; losing one does not": Row(
        "response-property-list-of-types-widened", "response", obj({"v": {"type": ["string", "integer"]}}),
        obj({"v": {"type": ["string", "integer", "boolean"]}}), obj({"v": {"type": ["string"]}}),
        "response-property-list-of-types-narrowed", version="3.1.0"),
    "a request oneOf losing a member breaks; gaining one does not": Row(
        "request-body-one-of-removed", "request", {"oneOf": [obj({"a": S}), obj({"b": S}, title="B")]},
        {"oneOf": [obj({"a": S})]}, {"oneOf": [obj({"a": S}), obj({"b": S}, title="B"), obj({"c": S})]},
        "request-body-one-of-added"),
    "a response oneOf gaining a member breaks; losing one does not": Row(
        "response-body-one-of-added", "response", {"oneOf": [obj({"a": S}), obj({"b": S})]},
        {"oneOf": [obj({"a": S}), obj({"b": S}), obj({"c": I}, title="C")]}, {"oneOf": [obj({"a": S})]},
        "response-body-one-of-removed"),
    "a request allOf gaining a constraint breaks; gaining only annotations does not": Row(
        "request-body-all-of-added", "request", {"allOf": [obj({"a": S})]},
        {"allOf": [obj({"a": S}), {"required": ["a"]}]}, {"allOf": [obj({"a": S}), {"description": "doc"}]},
        "request-body-all-of-added-annotation-only"),
    "a request forbidding additional properties breaks; allowing them does not": Row(
        "request-body-additional-properties-disallowed", "request", obj({"a": S}),
        obj({"a": S}, additionalProperties=False), obj({"a": S}, additionalProperties=True)),
    "a request const changing breaks; dropping it does not": Row(
        "request-property-const-changed", "request", obj({"k": {"const": "a"}}), obj({"k": {"const": "b"}}),
        obj({"k": S}), "request-property-const-removed", version="3.1.0"),
    "request uniqueItems being set breaks; being unset does not": Row(
        "request-property-unique-items-set", "request", obj({"l": {"type": "array", "items": S}}),
        obj({"l": {"type": "array", "items": S, "uniqueItems": True}}), obj({"l": {"type": "array", "items": S}})),
    "a request multipleOf changing to a non-divisor breaks; to a divisor does not": Row(
        "request-property-multiple-of-changed", "request", obj({"n": {"type": "integer", "multipleOf": 4}}),
        obj({"n": {"type": "integer", "multipleOf": 3}}), obj({"n": {"type": "integer", "multipleOf": 2}}),
        "request-property-multiple-of-generalized"),
    "a request if/then being added breaks; being removed does not": Row(
        "request-body-if-added", "request", obj({"a": S}),
        obj({"a": S}, **{"if": {"properties": {"a": {"const": "x"}}}, "then": {"required": ["b"]}}), obj({"a": S}),
        version="3.1.0"),
    "a request dependentRequired entry being added breaks; being removed does not": Row(
        "request-body-dependent-required-added", "request", obj({"a": S, "b": S}),
        obj({"a": S, "b": S}, dependentRequired={"a": ["b"]}), obj({"a": S, "b": S}), version="3.1.0"),
    "a request array item constraint is reported on the items of the property": Row(
        "request-property-max-length-decreased", "request", obj({"l": {"type": "array", "items": {
            "type": "string", "maxLength": 9}}}), obj({"l": {"type": "array", "items": {"type": "string",
                                                                                         "maxLength": 3}}}),
        obj({"l": {"type": "array", "items": {"type": "string", "maxLength": 10}}})),
    "a response wrapped into a oneOf breaks once; other changes are not reported for it": Row(
        "response-body-wrapped-in-one-of", "response", obj({"a": S, "b": S}, ["a", "b"]),
        {"oneOf": [obj({"a": S, "b": S}, ["a"]), obj({"a": S, "b": S}, ["b"])]}, obj({"a": S, "b": S}, ["a", "b"])),
    "a changed `not` subschema is a warning, not walked": Row(
        "request-body-not-changed", "request", obj({"a": S}, **{"not": {"required": ["a"]}}),
        obj({"a": S}, **{"not": {"required": ["b"]}}), obj({"a": S}, **{"not": {"required": ["a"]}}), None,
        Level.WARNING),
}


def _spec(side: str, schema: dict[str, Any], version: str) -> dict[str, Any]:
    return (with_request if side == "request" else with_response)(schema, version=version)


@pytest.mark.parametrize("row", list(ROWS.values()), ids=list(ROWS))
def test_a_narrowing_change_is_reported_at_its_level_and_its_compatible_twin_does_not_break(row: Row) -> None:
    base = _spec(row.side, row.base, row.version)
    changed = diff(base, _spec(row.side, row.changed, row.version))
    assert row.rule in at(changed, row.level), [c.id for c in changed]
    if row.level is Level.WARNING:
        assert not at(changed, Level.BREAKING)
    twin = diff(base, _spec(row.side, row.twin, row.version))
    assert not at(twin, Level.BREAKING), [c.id for c in twin]
    if row.twin_rule:
        assert row.twin_rule in ids(twin)


def test_the_wrapping_into_a_oneof_is_the_only_change_reported_for_that_body() -> None:
    base = with_response(obj({"a": S, "b": S}, ["a", "b"]))
    revision = with_response({"oneOf": [obj({"a": S, "b": S}, ["a"]), obj({"a": S, "b": S}, ["b"])]})
    assert [c.id for c in diff(base, revision)] == ["response-body-wrapped-in-one-of"]


def test_a_null_only_change_of_a_31_type_list_is_not_a_type_change() -> None:
    base = with_request(obj({"s": S}), version="3.1.0")
    revision = with_request(obj({"s": {"type": ["string", "null"]}}), version="3.1.0")
    assert ids(diff(base, revision)) == {"request-property-became-nullable"}


def test_a_oneof_of_plain_types_is_compared_as_a_list_of_types() -> None:
    base = with_request(obj({"v": {"oneOf": [S, I]}}), version="3.1.0")
    revision = with_request(obj({"v": I}), version="3.1.0")
    assert ids(diff(base, revision)) == {"request-property-list-of-types-narrowed"}


def test_an_inline_composition_member_refactored_into_an_equal_ref_is_not_a_change() -> None:
    role = {"type": "string", "enum": ["user", "admin"]}
    base = with_request(obj({"r": {"anyOf": [role, I]}}))
    revision = with_request(obj({"r": {"anyOf": [{"$ref": "#/components/schemas/Role"}, I]}}),
                            components={"schemas": {"Role": {**role, "title": "Role"}}})
    assert diff(base, revision) == []


def test_a_write_only_property_removed_from_a_response_is_not_reported() -> None:
    base = with_response(obj({"a": S, "secret": {"type": "string", "writeOnly": True}}, ["secret"]))
    assert diff(base, with_response(obj({"a": S}))) == []


def test_default_and_discriminator_changes_are_informational() -> None:
    base = with_request({"oneOf": [obj({"k": S}, title="A")], "discriminator": {"propertyName": "k",
                                                                                 "mapping": {"a": "#/x"}}})
    revision = with_request({"oneOf": [obj({"k": {"type": "string", "default": "a"}}, title="A")],
                             "discriminator": {"propertyName": "kind", "mapping": {"b": "#/x"}}})
    changes = diff(base, revision)
    assert {c.level for c in changes} == {Level.INFO}
    assert {"request-body-discriminator-property-name-changed", "request-body-discriminator-mapping-added",
            "request-body-discriminator-mapping-deleted", "request-property-default-value-added"} <= ids(changes)


def test_messages_name_the_property_and_say_what_a_client_would_break_on() -> None:
    base = with_response(obj({"data": obj({"name": S}, ["name"])}, ["data"]))
    revision = with_response(obj({"data": obj({}, [])}, ["data"]))
    (change,) = diff(base, revision)
    assert change.id == "response-required-property-removed"
    assert "'data/name'" in change.message and "clients reading it will break" in change.message
    assert change.operation == "GET /items"
    assert change.location == "/paths/~1items/get/responses/200/content/application~1json/schema/properties/data/" \
                              "properties/name"
