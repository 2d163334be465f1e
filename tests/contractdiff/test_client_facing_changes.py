"""Changes real clients feel: security schemes, serialization, response headers, readOnly/writeOnly, exclusive
bounds, discriminators and formats — each a base and a revision spec, with the id and level reported."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from backend_orchestrator.contractdiff import Change, Level, diff, diff_files

from .specs import api, at, ids, obj, with_parameters, with_request, with_response

FIXTURES = Path(__file__).parent / "fixtures"
OK = {"200": {"description": "ok"}}
S = {"type": "string"}
B, W, N = Level.BREAKING, Level.WARNING, Level.INFO


def levels(changes: list[Change]) -> set[tuple[str, Level]]:
    return {(c.id, c.level) for c in changes}


def secured(scheme: dict[str, Any], *, requirement: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    """``GET /a`` requiring the scheme ``s`` (or ``requirement``), with ``scheme`` as ``s``."""
    operation = {"security": requirement if requirement is not None else [{"s": []}], "responses": copy.deepcopy(OK)}
    return api({"/a": {"get": operation}}, components={"securitySchemes": {"s": scheme, **extra}})


# -- security schemes ----------------------------------------------------------------------------------
def test_the_auth_fixture_pair_reports_each_scheme_change_once_and_each_operation_that_breaks() -> None:
    changes = diff_files(FIXTURES / "auth_v1.yaml", FIXTURES / "auth_v2.yaml")
    assert {(c.id, c.operation) for c in changes if c.level is B} == {
        ("api-security-credentials-changed", "GET /orders"),  # the document's partnerKey moved to the query
        ("api-security-credentials-changed", "POST /orders"),  # its flow's URLs, its scope, a flow gone
        ("api-security-credentials-changed", "GET /reports"),  # bearer became basic
        ("api-security-credentials-changed", "GET /profile"),  # another OpenID Connect URL
    }  # GET /status is anonymous; the unused 'legacy' scheme's type change breaks nobody
    assert {(c.id, c.level) for c in changes if c.operation is None} == {
        ("api-security-component-api-key-location-changed", N), ("api-security-component-api-key-name-changed", N),
        ("api-security-component-http-scheme-changed", N), ("api-security-component-bearer-format-changed", N),
        ("api-security-component-type-changed", N), ("api-security-component-oauth-url-changed", N),
        ("api-security-component-oauth-token-url-changed", N), ("api-security-component-oauth-refresh-url-changed", W),
        ("api-security-component-oauth-flow-added", N), ("api-security-component-oauth-flow-removed", N),
        ("api-security-component-oauth-scope-added", N), ("api-security-component-oauth-scope-removed", N),
        ("api-security-component-oauth-scope-changed", N), ("api-security-component-open-id-connect-url-changed", N),
    }
    (partner,) = [c for c in changes if c.operation == "GET /orders"]
    assert "moved from the header to the query" in partner.message and "'partner_key'" in partner.message
    assert partner.location == "/components/securitySchemes/partnerKey"
    assert (partner.base_line, partner.revision_line) == (41, 41)


@pytest.mark.parametrize(("old", "new", "component"), [
    pytest.param({"type": "apiKey", "in": "header", "name": "K"}, {"type": "http", "scheme": "bearer"},
                 "api-security-component-type-changed", id="type"),
    pytest.param({"type": "apiKey", "in": "header", "name": "K"}, {"type": "apiKey", "in": "query", "name": "K"},
                 "api-security-component-api-key-location-changed", id="apiKey in"),
    pytest.param({"type": "apiKey", "in": "header", "name": "K"}, {"type": "apiKey", "in": "header", "name": "Key"},
                 "api-security-component-api-key-name-changed", id="apiKey name"),
    pytest.param({"type": "http", "scheme": "bearer"}, {"type": "http", "scheme": "basic"},
                 "api-security-component-http-scheme-changed", id="http scheme"),
    pytest.param({"type": "openIdConnect", "openIdConnectUrl": "https://a/.well-known"},
                 {"type": "openIdConnect", "openIdConnectUrl": "https://b/.well-known"},
                 "api-security-component-open-id-connect-url-changed", id="openIdConnectUrl"),
])
def test_a_scheme_change_breaks_the_operations_that_use_it_and_is_info_for_the_component(
        old: dict[str, Any], new: dict[str, Any], component: str) -> None:
    assert levels(diff(secured(old), secured(new))) == {(component, N), ("api-security-credentials-changed", B)}
    unused = diff(secured({"type": "http", "scheme": "basic"}, other=old),
                  secured({"type": "http", "scheme": "basic"}, other=new))
    assert levels(unused) == {(component, N)}


def test_spelling_differences_that_clients_do_not_see_are_not_changes() -> None:
    header_key = {"type": "apiKey", "in": "header", "name": "X-Key"}
    assert diff(secured(header_key), secured({**header_key, "name": "x-key"})) == []  # header names ignore case
    assert diff(secured({"type": "http", "scheme": "Bearer"}), secured({"type": "http", "scheme": "bearer"})) == []
    query_key = {"type": "apiKey", "in": "query", "name": "key"}
    assert ids(diff(secured(query_key), secured({**query_key, "name": "Key"}))) == {
        "api-security-component-api-key-name-changed", "api-security-credentials-changed"}


def test_a_changed_bearer_format_is_informational() -> None:
    bearer = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert levels(diff(secured(bearer), secured({**bearer, "bearerFormat": "opaque"}))) == {
        ("api-security-component-bearer-format-changed", N)}


def oauth(**flows: dict[str, Any]) -> dict[str, Any]:
    return {"type": "oauth2", "flows": flows}


CODE = {"authorizationUrl": "https://a/authorize", "tokenUrl": "https://a/token", "refreshUrl": "https://a/refresh",
        "scopes": {"read": "read", "write": "write"}}


@pytest.mark.parametrize(("key", "rule"), [("authorizationUrl", "api-security-component-oauth-url-changed"),
                                           ("tokenUrl", "api-security-component-oauth-token-url-changed")])
def test_an_oauth_flow_url_clients_call_changing_breaks_its_operations(key: str, rule: str) -> None:
    changed = diff(secured(oauth(authorizationCode=CODE)),
                   secured(oauth(authorizationCode={**CODE, key: "https://b/x"})))
    assert levels(changed) == {(rule, N), ("api-security-credentials-changed", B)}


def test_a_changed_refresh_url_is_a_warning() -> None:
    changed = diff(secured(oauth(authorizationCode=CODE)),
                   secured(oauth(authorizationCode={**CODE, "refreshUrl": "https://b/refresh"})))
    assert levels(changed) == {("api-security-component-oauth-refresh-url-changed", W)}


def test_removing_an_oauth_flow_breaks_and_adding_one_does_not() -> None:
    implicit = {"authorizationUrl": "https://a/authorize", "scopes": {"read": "read"}}
    both = secured(oauth(authorizationCode=CODE, implicit=implicit))
    one = secured(oauth(authorizationCode=CODE))
    assert levels(diff(both, one)) == {("api-security-component-oauth-flow-removed", N),
                                       ("api-security-credentials-changed", B)}
    assert levels(diff(one, both)) == {("api-security-component-oauth-flow-added", N)}


def test_removing_a_scope_breaks_the_operations_that_ask_for_it_only() -> None:
    fewer = {**CODE, "scopes": {"read": "read"}}
    uses_write = diff(secured(oauth(authorizationCode=CODE), requirement=[{"s": ["write"]}]),
                      secured(oauth(authorizationCode=fewer), requirement=[{"s": ["read"]}]))
    assert levels(uses_write) == {("api-security-component-oauth-scope-removed", N),
                                  ("api-security-credentials-changed", B), ("api-security-scope-added", N),
                                  ("api-security-scope-removed", N)}
    uses_read = diff(secured(oauth(authorizationCode=CODE), requirement=[{"s": ["read"]}]),
                     secured(oauth(authorizationCode=fewer), requirement=[{"s": ["read"]}]))
    assert levels(uses_read) == {("api-security-component-oauth-scope-removed", N)}
    described = diff(secured(oauth(authorizationCode=CODE)),
                     secured(oauth(authorizationCode={**CODE, "scopes": {"read": "Read", "write": "write",
                                                                         "admin": "admin"}})))
    assert levels(described) == {("api-security-component-oauth-scope-changed", N),
                                 ("api-security-component-oauth-scope-added", N)}


def test_a_scheme_change_breaks_nobody_where_the_operation_now_also_allows_anonymous_calls() -> None:
    key = {"type": "apiKey", "in": "header", "name": "K"}
    changes = diff(secured(key), secured({**key, "in": "cookie"}, requirement=[{"s": []}, {}]))
    assert at(changes, B) == set()
    assert "api-security-component-api-key-location-changed" in ids(changes)


def test_a_requirement_added_to_the_document_breaks_each_anonymous_operation() -> None:
    schemes = {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "K"}}}
    base = api({"/a": {"get": {"responses": OK}}, "/b": {"get": {"security": [], "responses": OK}}},
               components=schemes)
    revision = copy.deepcopy(base)
    revision["security"] = [{"key": []}]
    changes = diff(base, revision)
    assert {(c.id, c.level, c.operation) for c in changes} == {
        ("api-global-security-added", N, None), ("api-security-required", B, "GET /a")}  # /b opts out


def test_the_scopes_of_an_operation_requirement_changing_are_reported_at_oasdiffs_level() -> None:
    scheme = oauth(authorizationCode=CODE)
    changes = diff(secured(scheme, requirement=[{"s": ["read"]}]), secured(scheme, requirement=[{"s": ["write"]}]))
    assert levels(changes) == {("api-security-scope-added", N), ("api-security-scope-removed", N)}


# -- parameter serialization ---------------------------------------------------------------------------
TAGS = {"in": "query", "name": "tags", "schema": {"type": "array", "items": S}}


def test_a_changed_parameter_style_breaks_and_writing_out_the_default_does_not() -> None:
    (change,) = diff(with_parameters(TAGS), with_parameters({**TAGS, "style": "pipeDelimited"}))
    assert (change.id, change.level) == ("request-parameter-style-changed", B)
    assert "'form' to 'pipeDelimited'" in change.message
    assert diff(with_parameters(TAGS), with_parameters({**TAGS, "style": "form", "explode": True})) == []
    path = {"in": "path", "name": "id", "required": True, "schema": S}
    changed = diff(with_parameters(path, path="/a/{id}"), with_parameters({**path, "style": "label"}, path="/a/{id}"))
    assert levels(changed) == {("request-parameter-style-changed", B)}


def test_a_changed_explode_breaks_where_it_changes_what_is_sent() -> None:
    assert levels(diff(with_parameters(TAGS), with_parameters({**TAGS, "explode": False}))) == {
        ("request-parameter-explode-changed", B)}
    scalar = {"in": "query", "name": "q", "schema": S}
    assert diff(with_parameters(scalar), with_parameters({**scalar, "explode": False})) == []  # one value either way
    header_list = {"in": "header", "name": "X-Ids", "schema": {"type": "array", "items": S}}
    assert diff(with_parameters(header_list), with_parameters({**header_list, "explode": True})) == []  # a,b both
    header_object = {"in": "header", "name": "X-Rgb", "schema": {"type": "object"}}
    assert levels(diff(with_parameters(header_object), with_parameters({**header_object, "explode": True}))) == {
        ("request-parameter-explode-changed", B)}  # R,100,G,200 became R=100,G=200


def test_a_query_parameter_no_longer_allowing_empty_values_breaks_and_allowing_them_does_not() -> None:
    q = {"in": "query", "name": "q", "schema": S}
    assert levels(diff(with_parameters({**q, "allowEmptyValue": True}), with_parameters(q))) == {
        ("request-parameter-became-not-allow-empty-value", B)}
    assert levels(diff(with_parameters(q), with_parameters({**q, "allowEmptyValue": True}))) == {
        ("request-parameter-became-allow-empty-value", N)}
    assert levels(diff(with_parameters({**q, "allowReserved": True}), with_parameters(q))) == {
        ("request-parameter-became-not-allow-reserved", B)}
    assert levels(diff(with_parameters(q), with_parameters({**q, "allowReserved": True}))) == {
        ("request-parameter-became-allow-reserved", N)}


# -- response headers ----------------------------------------------------------------------------------
def headers(**h: dict[str, Any]) -> dict[str, Any]:
    return api({"/a": {"get": {"responses": {"200": {"description": "ok", "headers": h}}}}})


def test_a_response_header_becoming_optional_breaks_and_becoming_required_does_not() -> None:
    limit = {"schema": {"type": "integer"}}
    assert levels(diff(headers(**{"X-Limit": {**limit, "required": True}}), headers(**{"X-Limit": limit}))) == {
        ("response-header-became-optional", B)}
    assert levels(diff(headers(**{"X-Limit": limit}), headers(**{"X-Limit": {**limit, "required": True}}))) == {
        ("response-header-became-required", N)}
    (added,) = diff(headers(), headers(**{"X-Limit": {**limit, "required": True}}))
    assert (added.id, added.level) == ("response-header-added", N)
    assert "required header 'X-Limit'" in added.message


def test_a_response_header_explode_change_breaks_for_object_values_only() -> None:
    rgb = {"schema": {"type": "object", "properties": {"R": {"type": "integer"}}}}
    (change,) = diff(headers(**{"X-Rgb": rgb}), headers(**{"X-Rgb": {**rgb, "explode": True}}))
    assert (change.id, change.level) == ("response-header-explode-changed", B)
    assert change.location == "/paths/~1a/get/responses/200/headers/X-Rgb"
    ids_header = {"schema": {"type": "array", "items": S}}
    assert diff(headers(**{"X-Ids": ids_header}), headers(**{"X-Ids": {**ids_header, "explode": True}})) == []


# -- readOnly / writeOnly ------------------------------------------------------------------------------
def flag(key: str) -> dict[str, Any]:
    return {"type": "string", key: True}


@pytest.mark.parametrize(("side", "base", "revision", "expected"), [
    pytest.param("request", obj({"id": S}, ["id"]), obj({"id": flag("readOnly")}, ["id"]),
                 ("request-required-property-became-read-only", W), id="request required became read-only"),
    pytest.param("request", obj({"id": S}), obj({"id": flag("readOnly")}),
                 ("request-optional-property-became-read-only", W), id="request optional became read-only"),
    pytest.param("request", obj({"id": flag("readOnly")}, ["id"]), obj({"id": S}, ["id"]),
                 ("request-required-property-became-not-read-only", B), id="request required no longer read-only"),
    pytest.param("request", obj({"id": flag("readOnly")}), obj({"id": S}),
                 ("request-optional-property-became-not-read-only", N), id="request optional no longer read-only"),
    pytest.param("request", obj({"pw": S}, ["pw"]), obj({"pw": flag("writeOnly")}, ["pw"]),
                 ("request-required-property-became-write-only", N), id="request required became write-only"),
    pytest.param("request", obj({"pw": flag("writeOnly")}), obj({"pw": S}),
                 ("request-optional-property-became-not-write-only", N), id="request optional no longer write-only"),
    pytest.param("response", obj({"pw": S}, ["pw"]), obj({"pw": flag("writeOnly")}, ["pw"]),
                 ("response-required-property-became-write-only", N), id="response required became write-only"),
    pytest.param("response", obj({"pw": flag("writeOnly")}, ["pw"]), obj({"pw": S}, ["pw"]),
                 ("response-required-property-became-not-write-only", W), id="response required no longer write-only"),
    pytest.param("response", obj({"pw": S}), obj({"pw": flag("writeOnly")}),
                 ("response-optional-property-became-write-only", N), id="response optional became write-only"),
    pytest.param("response", obj({"id": S}, ["id"]), obj({"id": flag("readOnly")}, ["id"]),
                 ("response-required-property-became-read-only", N), id="response required became read-only"),
    pytest.param("response", obj({"id": flag("readOnly")}), obj({"id": S}),
                 ("response-optional-property-became-not-read-only", N), id="response optional no longer read-only"),
])
def test_a_read_only_or_write_only_flip_is_reported_at_oasdiffs_level(
        side: str, base: dict[str, Any], revision: dict[str, Any], expected: tuple[str, Level]) -> None:
    build = with_request if side == "request" else with_response
    assert levels(diff(build(base), build(revision))) == {expected}


def test_a_required_property_no_longer_read_only_breaks_in_openapi_30_only() -> None:
    base, revision = obj({"id": flag("readOnly")}, ["id"]), obj({"id": S}, ["id"])
    (change,) = diff(with_request(base), with_request(revision))
    assert "clients that omit it will be rejected" in change.message
    # in 3.1 `required` applied to the read-only property in requests already: clients send it
    assert diff(with_request(base, version="3.1.0"), with_request(revision, version="3.1.0")) == []
    # leaving the required list as it stops being read-only: required in requests on neither side
    assert levels(diff(with_request(base), with_request(obj({"id": S})))) == {
        ("request-optional-property-became-not-read-only", N), ("request-property-became-optional", N)}


def test_a_read_only_flip_in_a_shared_component_is_reported_for_each_operation() -> None:
    def spec(user: dict[str, Any]) -> dict[str, Any]:
        body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}
        operation = {"requestBody": body, "responses": copy.deepcopy(OK)}
        return api({"/users": {"post": operation, "put": copy.deepcopy(operation)}},
                   components={"schemas": {"User": user}})

    changes = diff(spec(obj({"id": S}, ["id"])), spec(obj({"id": flag("readOnly")}, ["id"])))
    assert sorted((c.id, c.operation) for c in changes) == [
        ("request-required-property-became-read-only", "POST /users"),
        ("request-required-property-became-read-only", "PUT /users")]


# -- exclusiveMinimum / exclusiveMaximum ---------------------------------------------------------------
def number(**bounds: Any) -> dict[str, Any]:
    return obj({"n": {"type": "number", **bounds}})


@pytest.mark.parametrize(("side", "base", "revision", "version", "expected"), [
    pytest.param("request", number(), number(exclusiveMinimum=0), "3.1.0",
                 ("request-property-exclusive-min-set", W), id="3.1 request exclusiveMinimum added"),
    pytest.param("request", number(exclusiveMinimum=0), number(exclusiveMinimum=5), "3.1.0",
                 ("request-property-exclusive-min-increased", B), id="3.1 request exclusiveMinimum tightened"),
    pytest.param("request", number(exclusiveMaximum=9), number(exclusiveMaximum=5), "3.1.0",
                 ("request-property-exclusive-max-decreased", B), id="3.1 request exclusiveMaximum tightened"),
    pytest.param("response", number(exclusiveMaximum=5), number(exclusiveMaximum=9), "3.1.0",
                 ("response-property-exclusive-max-increased", B), id="3.1 response exclusiveMaximum loosened"),
    pytest.param("request", number(minimum=0), number(minimum=0, exclusiveMinimum=True), "3.0.3",
                 ("request-property-exclusive-min-set", W), id="3.0 request minimum became exclusive"),
    pytest.param("request", number(maximum=9), number(maximum=9, exclusiveMaximum=True), "3.0.3",
                 ("request-property-exclusive-max-set", W), id="3.0 request maximum became exclusive"),
    pytest.param("request", number(maximum=9, exclusiveMaximum=True), number(maximum=5, exclusiveMaximum=True),
                 "3.0.3", ("request-property-max-decreased", B), id="3.0 request exclusive maximum tightened"),
    pytest.param("response", number(maximum=9, exclusiveMaximum=True), number(maximum=9), "3.0.3",
                 ("response-property-exclusive-max-unset", B), id="3.0 response maximum no longer exclusive"),
    pytest.param("response", number(minimum=0), number(minimum=0, exclusiveMinimum=True), "3.0.3",
                 ("response-property-exclusive-min-set", N), id="3.0 response minimum became exclusive"),
])
def test_exclusive_bounds_added_or_tightened_in_either_openapi_form(
        side: str, base: dict[str, Any], revision: dict[str, Any], version: str, expected: tuple[str, Level]) -> None:
    build = with_request if side == "request" else with_response
    assert levels(diff(build(base, version=version), build(revision, version=version))) == {expected}


def test_a_parameter_minimum_becoming_exclusive_is_reported_for_the_parameter() -> None:
    page = {"in": "query", "name": "page", "schema": {"type": "integer", "minimum": 0}}
    strict = copy.deepcopy(page)
    strict["schema"]["exclusiveMinimum"] = True
    assert levels(diff(with_parameters(page), with_parameters(strict))) == {("request-parameter-exclusive-min-set", W)}


# -- discriminators ------------------------------------------------------------------------------------
def pets(property_name: str, mapping: dict[str, str]) -> dict[str, Any]:
    return {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": property_name, "mapping": mapping}}


PETS = {"schemas": {"Cat": obj({"kind": S}), "Dog": obj({"kind": S})}}
MAPPING = {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}


@pytest.mark.parametrize("side", ["request", "response"])
def test_discriminator_changes_are_reported_on_either_side_at_oasdiffs_level(side: str) -> None:
    build = with_request if side == "request" else with_response
    base = build(pets("kind", MAPPING), components=PETS)
    renamed = diff(base, build(pets("type", MAPPING), components=PETS))
    assert levels(renamed) == {(f"{side}-body-discriminator-property-name-changed", N)}
    remapped = diff(base, build(pets("kind", {"cat": "#/components/schemas/Dog"}), components=PETS))
    assert levels(remapped) == {(f"{side}-body-discriminator-mapping-changed", N),
                                (f"{side}-body-discriminator-mapping-deleted", N)}
    nested = diff(build(obj({"pet": pets("kind", MAPPING)}), components=PETS),
                  build(obj({"pet": pets("kind", {"cat": MAPPING["cat"]})}), components=PETS))
    (deleted,) = nested
    assert (deleted.id, deleted.level) == (f"{side}-property-discriminator-mapping-deleted", N)
    assert "'dog'" in deleted.message


# -- formats -------------------------------------------------------------------------------------------
def formatted(type_: str, fmt: str | None) -> dict[str, Any]:
    return obj({"v": {"type": type_, **({"format": fmt} if fmt else {})}})


@pytest.mark.parametrize(("side", "type_", "old", "new", "expected"), [
    pytest.param("request", "string", "date-time", "date", ("request-property-type-changed", B),
                 id="request date-time to date"),
    pytest.param("response", "string", "date-time", "date", ("response-property-type-changed", B),
                 id="response date-time to date"),
    pytest.param("request", "integer", "int64", "int32", ("request-property-type-changed", B),
                 id="request int64 narrowed to int32"),
    pytest.param("response", "integer", "int64", "int32", ("response-property-type-specialized", N),
                 id="response int64 narrowed to int32"),
    pytest.param("response", "integer", "int32", "int64", ("response-property-type-changed", B),
                 id="response int32 widened to int64"),
    pytest.param("request", "integer", "int32", "int64", ("request-property-type-generalized", N),
                 id="request int32 widened to int64"),
    pytest.param("request", "string", "date", None, ("request-property-type-generalized", N),
                 id="request format dropped"),
    pytest.param("request", "string", None, "uuid", ("request-property-type-changed", B),
                 id="request format added"),
    pytest.param("response", "string", None, "uuid", ("response-property-type-specialized", N),
                 id="response format added"),
    pytest.param("response", "string", "uuid", None, ("response-property-type-changed", B),
                 id="response format dropped"),
])
def test_format_changes_break_where_values_no_longer_fit(side: str, type_: str, old: str | None, new: str | None,
                                                         expected: tuple[str, Level]) -> None:
    build = with_request if side == "request" else with_response
    (change,) = diff(build(formatted(type_, old)), build(formatted(type_, new)))
    assert (change.id, change.level) == expected
    assert f"format of type {type_} changed from {old or '(none)'} to {new or '(none)'}" in change.message


def test_a_parameter_format_narrowing_breaks() -> None:
    since = {"in": "query", "name": "since", "schema": {"type": "string", "format": "date-time"}}
    narrowed = copy.deepcopy(since)
    narrowed["schema"]["format"] = "date"
    assert levels(diff(with_parameters(since), with_parameters(narrowed))) == {("request-parameter-type-changed", B)}
