"""Paths, operations, parameters, request bodies, responses, security and webhooks."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from backend_orchestrator.contractdiff import Level, diff

from .specs import api, at, ids, with_parameters

OK = {"200": {"description": "ok"}}
Q = {"in": "query", "name": "q", "schema": {"type": "string"}}


def op(**extra: Any) -> dict[str, Any]:
    return {"responses": copy.deepcopy(OK), **extra}


# -- paths and operations ------------------------------------------------------------------------------
def test_removing_an_operation_without_deprecating_it_first_breaks() -> None:
    base = api({"/a": {"get": op(), "post": op()}})
    changes = diff(base, api({"/a": {"get": op()}}))
    assert [(c.id, c.operation) for c in changes] == [("api-removed-without-deprecation", "POST /a")]
    assert changes[0].level is Level.BREAKING


def test_removing_a_whole_path_breaks_for_each_of_its_operations() -> None:
    changes = diff(api({"/a": {"get": op(), "put": op()}, "/b": {"get": op()}}), api({"/b": {"get": op()}}))
    assert [(c.id, c.operation) for c in changes] == [("api-path-removed-without-deprecation", "GET /a"),
                                                      ("api-path-removed-without-deprecation", "PUT /a")]


def test_removing_a_deprecated_operation_after_its_sunset_is_informational() -> None:
    base = api({"/a": {"get": op(deprecated=True, **{"x-sunset": "2026-01-01"})}, "/b": {"get": op()}})
    changes = diff(base, api({"/b": {"get": op()}}), today=date(2026, 6, 1))
    assert [(c.id, c.level) for c in changes] == [("api-path-removed-with-deprecation", Level.INFO)]


def test_removing_a_deprecated_operation_before_its_sunset_breaks() -> None:
    base = api({"/a": {"get": op(deprecated=True, **{"x-sunset": date(2026, 12, 31)}), "post": op()}})
    changes = diff(base, api({"/a": {"post": op()}}), today=date(2026, 6, 1))
    assert ids(changes) == {"api-removed-before-sunset"}
    assert "2026-12-31" in changes[0].message


def test_adding_and_deprecating_operations_is_informational() -> None:
    changes = diff(api({"/a": {"get": op()}}), api({"/a": {"get": op(deprecated=True), "post": op()}}))
    assert ids(changes) == {"endpoint-added", "endpoint-deprecated"}
    assert at(changes, Level.BREAKING) == set()
    back = diff(api({"/a": {"get": op(deprecated=True)}}), api({"/a": {"get": op()}, "/b": {"get": op()}}))
    assert ids(back) == {"endpoint-reactivated", "endpoint-added"}


def test_a_renamed_path_parameter_is_the_same_path_and_parameter() -> None:
    p = {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}
    base = api({"/items/{id}": {"get": op(parameters=[p])}})
    revision = api({"/items/{itemId}": {"get": op(parameters=[{**p, "name": "itemId"}])}})
    assert diff(base, revision) == []


# -- parameters ----------------------------------------------------------------------------------------
def test_a_new_required_parameter_breaks_and_a_new_optional_one_does_not() -> None:
    changes = diff(with_parameters(), with_parameters({**Q, "required": True}, {**Q, "name": "page"}))
    assert {(c.id, c.level) for c in changes} == {("new-required-request-parameter", Level.BREAKING),
                                                 ("new-optional-request-parameter", Level.INFO)}


def test_a_parameter_becoming_required_breaks_and_becoming_optional_does_not() -> None:
    assert ids(diff(with_parameters(Q), with_parameters({**Q, "required": True}))) == {
        "request-parameter-became-required"}
    assert ids(diff(with_parameters({**Q, "required": True}), with_parameters(Q))) == {
        "request-parameter-became-optional"}


def test_removing_a_parameter_is_a_warning_unless_it_was_deprecated() -> None:
    (removed,) = diff(with_parameters(Q), with_parameters())
    assert (removed.id, removed.level) == ("request-parameter-removed", Level.WARNING)
    (deprecated,) = diff(with_parameters({**Q, "deprecated": True}), with_parameters())
    assert (deprecated.id, deprecated.level) == ("request-parameter-removed-with-deprecation", Level.INFO)


def test_a_parameter_enum_losing_a_value_breaks() -> None:
    base = with_parameters({**Q, "schema": {"type": "string", "enum": ["a", "b"]}})
    revision = with_parameters({**Q, "schema": {"type": "string", "enum": ["a"]}})
    assert ids(diff(base, revision)) == {"request-parameter-enum-value-removed"}


def test_header_parameters_match_case_insensitively() -> None:
    header = {"in": "header", "name": "X-Trace", "schema": {"type": "string"}}
    assert diff(with_parameters(header), with_parameters({**header, "name": "x-trace"})) == []


def test_a_path_level_parameter_added_to_an_existing_path_breaks_each_operation() -> None:
    base = api({"/a": {"get": op(), "post": op()}})
    revision = api({"/a": {"parameters": [{**Q, "required": True}], "get": op(), "post": op()}})
    changes = diff(base, revision)
    assert [(c.id, c.operation) for c in changes] == [
        ("new-required-request-default-parameter-to-existing-path", "GET /a"),
        ("new-required-request-default-parameter-to-existing-path", "POST /a")]


def test_path_level_parameters_are_merged_into_each_operation() -> None:
    base = api({"/a": {"parameters": [{**Q, "schema": {"type": "array", "items": {"type": "string"},
                                                         "maxItems": 9}}], "get": op()}})
    revision = copy.deepcopy(base)
    revision["paths"]["/a"]["parameters"][0]["schema"]["maxItems"] = 3
    assert ids(diff(base, revision)) == {"request-parameter-max-items-decreased"}


def test_a_changed_default_of_an_optional_parameter_breaks_but_of_a_required_one_does_not() -> None:
    def param(default: str, required: bool) -> dict[str, Any]:
        return {**Q, "required": required, "schema": {"type": "string", "default": default}}

    assert ids(diff(with_parameters(param("a", False)), with_parameters(param("b", False)))) == {
        "request-parameter-default-value-changed"}
    assert diff(with_parameters(param("a", True)), with_parameters(param("b", True))) == []


def test_a_scalar_query_parameter_becoming_an_unconstrained_array_is_compatible() -> None:
    array = {**Q, "schema": {"type": "array", "items": {"type": "string"}}}
    assert ids(diff(with_parameters(Q), with_parameters(array))) == {"request-parameter-type-generalized"}
    constrained = {**Q, "schema": {"type": "array", "items": {"type": "string", "pattern": "^a"}}}
    assert ids(diff(with_parameters(Q), with_parameters(constrained))) == {"request-parameter-type-changed"}


def test_a_new_path_parameter_breaks() -> None:
    p = {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}
    base = api({"/a/{id}": {"get": op()}})
    assert ids(diff(base, api({"/a/{id}": {"get": op(parameters=[p])}}))) == {"new-request-path-parameter"}


def test_a_property_of_a_header_parameter_becoming_an_enum_breaks() -> None:
    header: dict[str, Any] = {"in": "header", "name": "X-F",
                              "schema": {"type": "object", "properties": {"k": {"type": "string"}}}}
    changed = copy.deepcopy(header)
    changed["schema"]["properties"]["k"]["enum"] = ["a"]
    changed["schema"]["properties"]["n"] = {"type": "string"}
    changed["schema"]["required"] = ["n"]
    assert ids(diff(with_parameters(header), with_parameters(changed))) == {
        "request-header-property-became-enum", "new-required-request-header-property"}


# -- request bodies ------------------------------------------------------------------------------------
def body(required: bool = True, media: str = "application/json", schema: dict[str, Any] | None = None) -> dict[
        str, Any]:
    content = {media: {"schema": schema or {"type": "object"}}}
    return {"required": required, "content": content}


def test_a_request_body_added_as_required_breaks_and_as_optional_does_not() -> None:
    base = api({"/a": {"post": op()}})
    assert ids(diff(base, api({"/a": {"post": op(requestBody=body(True))}}))) == {"added-required-request-body"}
    assert ids(diff(base, api({"/a": {"post": op(requestBody=body(False))}}))) == {"added-optional-request-body"}


def test_removing_or_requiring_the_request_body_breaks() -> None:
    with_body = api({"/a": {"post": op(requestBody=body(False))}})
    assert ids(diff(with_body, api({"/a": {"post": op()}}))) == {"request-body-removed"}
    assert ids(diff(with_body, api({"/a": {"post": op(requestBody=body(True))}}))) == {"request-body-became-required"}
    assert ids(diff(api({"/a": {"post": op(requestBody=body(True))}}), with_body)) == {"request-body-became-optional"}


def test_removing_a_request_media_type_breaks_and_adding_one_does_not() -> None:
    two = body()
    two["content"]["application/xml"] = {"schema": {"type": "object"}}
    base = api({"/a": {"post": op(requestBody=two)}})
    assert ids(diff(base, api({"/a": {"post": op(requestBody=body())}}))) == {"request-body-media-type-removed"}
    assert ids(diff(api({"/a": {"post": op(requestBody=body())}}), base)) == {"request-body-media-type-added"}


def test_a_schema_appearing_in_a_request_media_type_breaks() -> None:
    bare = {"required": True, "content": {"application/json": {}}}
    changes = diff(api({"/a": {"post": op(requestBody=bare)}}), api({"/a": {"post": op(requestBody=body())}}))
    assert ids(changes) == {"request-body-media-type-schema-added"}


# -- responses -----------------------------------------------------------------------------------------
def responses(**codes: dict[str, Any]) -> dict[str, Any]:
    return api({"/a": {"get": {"responses": {k.removeprefix("s"): v for k, v in codes.items()}}}})


def test_removing_a_success_status_breaks_and_removing_an_error_status_does_not() -> None:
    base = responses(s200={"description": "ok"}, s404={"description": "no"})
    assert ids(diff(base, responses(s201={"description": "ok"}, s404={"description": "no"}))) == {
        "response-success-status-removed", "response-success-status-added"}
    assert {(c.id, c.level) for c in diff(base, responses(s200={"description": "ok"}))} == {
        ("response-non-success-status-removed", Level.INFO)}


def test_removing_a_response_media_type_breaks() -> None:
    json_only: dict[str, Any] = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    both = copy.deepcopy(json_only)
    both["content"]["text/csv"] = {"schema": {"type": "string"}}
    assert ids(diff(responses(s200=both), responses(s200=json_only))) == {"response-media-type-removed"}
    assert ids(diff(responses(s200=json_only), responses(s200=both))) == {"response-media-type-added"}


def test_response_headers_removed_or_made_optional_break_clients_that_read_them() -> None:
    def headers(**h: dict[str, Any]) -> dict[str, Any]:
        return {"description": "ok", "headers": h}

    base = responses(s200=headers(**{"X-Req": {"required": True}, "X-Opt": {}, "Content-Type": {}}))
    changes = diff(base, responses(s200=headers(**{"X-New": {}})))
    assert {(c.id, c.level) for c in changes} == {("required-response-header-removed", Level.BREAKING),
                                                 ("optional-response-header-removed", Level.WARNING),
                                                 ("response-header-added", Level.INFO)}
    assert ids(diff(base, responses(s200=headers(**{"x-req": {}, "X-Opt": {}})))) == {
        "response-header-became-optional"}


def test_integer_and_string_status_codes_are_the_same_response() -> None:
    base = api({"/a": {"get": {"responses": {200: {"description": "ok"}}}}})
    assert diff(base, api({"/a": {"get": {"responses": {"200": {"description": "ok"}}}}})) == []


# -- security ------------------------------------------------------------------------------------------
SCHEMES = {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "K"},
                               "oauth": {"type": "oauth2", "flows": {}}}}


def test_requiring_authentication_on_an_anonymous_operation_breaks() -> None:
    base = api({"/a": {"get": op()}}, components=SCHEMES)
    changes = diff(base, api({"/a": {"get": op(security=[{"key": []}])}}, components=SCHEMES))
    assert {(c.id, c.level) for c in changes} == {("api-security-added", Level.INFO),
                                                 ("api-security-required", Level.BREAKING)}


def test_adding_a_security_alternative_to_a_protected_operation_is_informational() -> None:
    base = api({"/a": {"get": op(security=[{"key": []}])}}, components=SCHEMES)
    revision = api({"/a": {"get": op(security=[{"key": []}, {"oauth": ["read"]}])}}, components=SCHEMES)
    assert {(c.id, c.level) for c in diff(base, revision)} == {("api-security-added", Level.INFO)}


def test_global_security_and_scope_changes_are_reported() -> None:
    base = api({"/a": {"get": op()}}, components=SCHEMES, security=[{"oauth": ["read"]}])
    revision = api({"/a": {"get": op()}}, components={"securitySchemes": {"oauth": {"type": "oauth2"}}},
                   security=[{"oauth": ["read", "write"]}, {}])
    assert ids(diff(base, revision)) == {"api-global-security-scope-added", "api-global-security-added",
                                         "api-security-component-removed"}
    assert ids(diff(revision, base)) == {"api-global-security-scope-removed", "api-global-security-removed",
                                         "api-security-component-added", "api-security-required"}


# -- webhooks ------------------------------------------------------------------------------------------
def test_removing_a_webhook_breaks_and_its_operations_are_compared() -> None:
    hook = {"post": {"requestBody": body(False, schema={"type": "object", "properties": {"id": {"type": "string"}}}),
                     "responses": copy.deepcopy(OK)}}
    base = api(version="3.1.0", webhooks={"created": hook, "deleted": hook})
    changed = copy.deepcopy(hook)
    changed["post"]["requestBody"]["required"] = True
    changes = diff(base, api(version="3.1.0", webhooks={"created": changed, "updated": hook}))
    assert {(c.id, c.operation) for c in changes} == {
        ("webhook-removed", None), ("webhook-added", None), ("request-body-became-required", "POST webhook created")}
