"""The rule registry: every change id the checks may emit, with its level and what it means.

Ids and levels follow oasdiff's policy (oasdiff commit ``4553c69``, and its later checker for the checks that
commit did not have) wherever a rule has the same meaning; ids oasdiff does not have are ours, spelled the
same way (see :mod:`.oasdiff_ids` for the mapping).

Schema rules are generated from one table: a *suffix* (``max-length-decreased``) is prefixed with the site
of the schema — ``request-body`` / ``request-property`` (request body root / nested), ``request-parameter``
/ ``request-parameter-property`` (parameter schema root / nested), ``response-body`` / ``response-property``
— and gets the level the table gives for the request or the response side. A narrowing is breaking in a
request (clients send what used to be valid) and harmless in a response; a widening the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Level

# oasdiff's names for the three levels, so the tables below read like its rule list
ERR, WARN, INFO = Level.BREAKING, Level.WARNING, Level.INFO


@dataclass(frozen=True)
class Rule:
    id: str
    level: Level
    summary: str


# (suffix, request level, response level, what changed). ``None``: not emitted on that side.
_SCHEMA: tuple[tuple[str, Level | None, Level | None, str], ...] = (
    ("type-changed", ERR, ERR, "the type or format changed incompatibly"),
    ("type-generalized", INFO, None, "the type or format now accepts more values (e.g. integer to number)"),
    ("type-specialized", None, INFO, "the type or format now covers fewer values (e.g. number to integer)"),
    ("type-compatible", INFO, INFO, "the type changed in a loosely typed (XML) body, where both read as text"),
    ("list-of-types-widened", INFO, ERR, "the list of allowed types gained a type"),
    ("list-of-types-narrowed", ERR, INFO, "the list of allowed types lost a type"),
    ("became-nullable", INFO, ERR, "null became a valid value"),
    ("became-not-nullable", ERR, INFO, "null is no longer a valid value"),
    ("became-enum", ERR, INFO, "the values were restricted to an enum"),
    ("became-not-enum", INFO, WARN, "the enum restriction was removed"),
    ("enum-value-removed", ERR, INFO, "an enum value was removed"),
    ("enum-value-added", INFO, WARN, "an enum value was added"),
    ("x-extensible-enum-value-removed", ERR, None, "an x-extensible-enum value was removed"),
    ("max-decreased", ERR, INFO, "maximum decreased"),
    ("max-increased", INFO, ERR, "maximum increased"),
    ("max-set", WARN, INFO, "a maximum was set"),
    ("max-unset", INFO, ERR, "the maximum was removed"),
    ("min-increased", ERR, INFO, "minimum increased"),
    ("min-decreased", INFO, ERR, "minimum decreased"),
    ("min-set", WARN, INFO, "a minimum was set"),
    ("min-unset", INFO, ERR, "the minimum was removed"),
    ("exclusive-max-decreased", ERR, INFO, "exclusiveMaximum decreased"),
    ("exclusive-max-increased", INFO, ERR, "exclusiveMaximum increased"),
    ("exclusive-max-set", WARN, INFO, "an exclusiveMaximum was set"),
    ("exclusive-max-unset", INFO, ERR, "the exclusiveMaximum was removed"),
    ("exclusive-min-increased", ERR, INFO, "exclusiveMinimum increased"),
    ("exclusive-min-decreased", INFO, ERR, "exclusiveMinimum decreased"),
    ("exclusive-min-set", WARN, INFO, "an exclusiveMinimum was set"),
    ("exclusive-min-unset", INFO, ERR, "the exclusiveMinimum was removed"),
    ("max-length-decreased", ERR, INFO, "maxLength decreased"),
    ("max-length-increased", INFO, ERR, "maxLength increased"),
    ("max-length-set", WARN, INFO, "a maxLength was set"),
    ("max-length-unset", INFO, ERR, "the maxLength was removed"),
    ("min-length-increased", ERR, INFO, "minLength increased"),
    ("min-length-decreased", INFO, ERR, "minLength decreased"),
    ("max-items-decreased", ERR, INFO, "maxItems decreased"),
    ("max-items-increased", INFO, ERR, "maxItems increased"),
    ("max-items-set", WARN, INFO, "a maxItems was set"),
    ("max-items-unset", INFO, ERR, "the maxItems was removed"),
    ("min-items-increased", ERR, INFO, "minItems increased"),
    ("min-items-decreased", INFO, ERR, "minItems decreased"),
    ("max-properties-decreased", ERR, INFO, "maxProperties decreased"),
    ("max-properties-increased", INFO, ERR, "maxProperties increased"),
    ("max-properties-set", WARN, INFO, "a maxProperties was set"),
    ("max-properties-unset", INFO, ERR, "the maxProperties was removed"),
    ("min-properties-increased", ERR, INFO, "minProperties increased"),
    ("min-properties-decreased", INFO, ERR, "minProperties decreased"),
    ("min-contains-increased", ERR, INFO, "minContains increased"),
    ("min-contains-decreased", INFO, ERR, "minContains decreased"),
    ("max-contains-decreased", ERR, INFO, "maxContains decreased"),
    ("max-contains-increased", INFO, ERR, "maxContains increased"),
    ("multiple-of-set", ERR, INFO, "a multipleOf was set"),
    ("multiple-of-unset", INFO, ERR, "the multipleOf was removed"),
    ("multiple-of-changed", ERR, ERR, "multipleOf changed to a value that is not a divisor or multiple"),
    ("multiple-of-generalized", INFO, None, "multipleOf changed to a divisor of the old value"),
    ("multiple-of-specialized", None, INFO, "multipleOf changed to a multiple of the old value"),
    ("unique-items-set", ERR, INFO, "uniqueItems was set"),
    ("unique-items-unset", INFO, ERR, "uniqueItems was removed"),
    ("pattern-added", ERR, INFO, "a pattern was added"),
    ("pattern-removed", INFO, INFO, "the pattern was removed"),
    ("pattern-changed", WARN, WARN, "the pattern changed"),
    ("pattern-generalized", INFO, INFO, "the pattern changed to one that matches any string"),
    ("default-value-changed", INFO, INFO, "the default value changed"),
    ("default-value-added", INFO, INFO, "a default value was added"),
    ("default-value-removed", INFO, INFO, "the default value was removed"),
    ("const-changed", ERR, ERR, "the const value changed"),
    ("const-added", ERR, INFO, "a const was added"),
    ("const-removed", INFO, ERR, "the const was removed"),
    ("one-of-added", INFO, ERR, "a oneOf alternative was added"),
    ("one-of-removed", ERR, INFO, "a oneOf alternative was removed"),
    ("any-of-added", INFO, INFO, "an anyOf alternative was added"),
    ("any-of-removed", ERR, INFO, "an anyOf alternative was removed"),
    ("all-of-added", ERR, INFO, "an allOf subschema was added"),
    ("all-of-removed", WARN, INFO, "an allOf subschema was removed"),
    ("all-of-added-annotation-only", INFO, INFO, "an allOf subschema with only annotations was added"),
    ("wrapped-in-one-of", ERR, ERR, "the schema was wrapped into a oneOf"),
    ("discriminator-added", INFO, INFO, "a discriminator was added"),
    ("discriminator-removed", INFO, INFO, "the discriminator was removed"),
    ("discriminator-property-name-changed", INFO, INFO, "the discriminator property name changed"),
    ("discriminator-mapping-added", INFO, INFO, "a discriminator mapping was added"),
    ("discriminator-mapping-deleted", INFO, INFO, "a discriminator mapping was deleted"),
    ("discriminator-mapping-changed", INFO, INFO, "a discriminator mapping changed"),
    ("if-added", ERR, INFO, "an if subschema was added"),
    ("if-removed", INFO, ERR, "the if subschema was removed"),
    ("if-changed", WARN, WARN, "the if subschema changed (which branch applies may differ)"),
    ("then-added", ERR, INFO, "a then subschema was added"),
    ("then-removed", INFO, ERR, "the then subschema was removed"),
    ("else-added", ERR, INFO, "an else subschema was added"),
    ("else-removed", INFO, ERR, "the else subschema was removed"),
    ("not-added", ERR, INFO, "a not subschema was added"),
    ("not-removed", INFO, ERR, "the not subschema was removed"),
    ("not-changed", WARN, WARN, "the not subschema changed (its effect is inverted)"),
    ("contains-added", ERR, INFO, "a contains subschema was added"),
    ("contains-removed", INFO, ERR, "the contains subschema was removed"),
    ("dependent-required-added", ERR, INFO, "a dependentRequired entry was added"),
    ("dependent-required-removed", INFO, ERR, "a dependentRequired entry was removed"),
    ("dependent-required-changed", ERR, ERR, "a dependentRequired entry changed"),
    ("dependent-schema-added", ERR, INFO, "a dependentSchemas entry was added"),
    ("dependent-schema-removed", INFO, ERR, "a dependentSchemas entry was removed"),
    ("pattern-property-added", ERR, INFO, "a patternProperties entry was added"),
    ("pattern-property-removed", INFO, ERR, "a patternProperties entry was removed"),
    ("prefix-items-added", INFO, ERR, "a prefixItems entry was added"),
    ("prefix-items-removed", ERR, INFO, "a prefixItems entry was removed"),
    ("property-names-added", ERR, INFO, "a propertyNames subschema was added"),
    ("property-names-removed", INFO, ERR, "the propertyNames subschema was removed"),
    ("unevaluated-items-added", ERR, INFO, "unevaluatedItems was added"),
    ("unevaluated-items-removed", INFO, ERR, "unevaluatedItems was removed"),
    ("unevaluated-properties-added", ERR, INFO, "unevaluatedProperties was added"),
    ("unevaluated-properties-removed", INFO, ERR, "unevaluatedProperties was removed"),
    ("content-schema-added", ERR, INFO, "a contentSchema was added"),
    ("content-schema-removed", INFO, ERR, "the contentSchema was removed"),
    ("content-media-type-changed", ERR, ERR, "contentMediaType changed"),
    ("content-encoding-changed", ERR, ERR, "contentEncoding changed"),
    ("additional-properties-disallowed", ERR, INFO, "additionalProperties became false"),
    ("additional-properties-allowed", INFO, INFO, "additionalProperties is no longer false"),
)

REQUEST_SITES = ("request-body", "request-property")
PARAMETER_SITES = ("request-parameter", "request-parameter-property")
RESPONSE_SITES = ("response-body", "response-property")

# The suffixes that also apply to parameter schemas (scalars, arrays, simple objects). Composition and the
# JSON Schema 2020-12 keywords inside a parameter schema are not reported.
_PARAMETER_SUFFIXES = frozenset({
    "type-changed", "type-generalized", "type-specialized", "list-of-types-widened", "list-of-types-narrowed",
    "became-nullable", "became-not-nullable", "became-enum", "became-not-enum", "enum-value-removed",
    "enum-value-added", "x-extensible-enum-value-removed", "max-decreased", "max-increased", "max-set", "max-unset",
    "min-increased", "min-decreased", "min-set", "min-unset", "exclusive-max-decreased", "exclusive-max-increased",
    "exclusive-max-set", "exclusive-max-unset", "exclusive-min-increased", "exclusive-min-decreased",
    "exclusive-min-set", "exclusive-min-unset", "max-length-decreased", "max-length-increased", "max-length-set",
    "max-length-unset", "min-length-increased", "min-length-decreased", "max-items-decreased",
    "max-items-increased", "max-items-set", "max-items-unset", "min-items-increased", "min-items-decreased",
    "multiple-of-set", "multiple-of-unset", "multiple-of-changed", "multiple-of-generalized", "unique-items-set",
    "unique-items-unset", "pattern-added", "pattern-removed", "pattern-changed", "pattern-generalized",
    "default-value-changed", "default-value-added", "default-value-removed", "const-changed", "const-added",
    "const-removed",
})

# Schema rule ids that oasdiff spells differently from the generated ``<site>-<suffix>``.
SCHEMA_RENAMES = {"response-body-enum-value-removed": "response-mediatype-enum-value-removed"}

# Rules for one site whose level differs from the table, or that only that site has (oasdiff's policy for
# these parameter rules: a nested property of a query parameter is compared as serialized text).
_SITE_RULES = {
    "request-parameter-property-type-changed": WARN,
    "request-parameter-property-type-specialized": ERR,
    "request-parameter-default-value-changed": ERR,
    "request-parameter-default-value-added": ERR,
    "request-parameter-default-value-removed": ERR,
}

_FIXED: tuple[tuple[str, Level, str], ...] = (
    # paths and operations
    ("endpoint-added", INFO, "an operation was added"),
    ("api-path-removed-without-deprecation", ERR, "a path was removed without being deprecated first"),
    ("api-path-removed-with-deprecation", INFO, "a deprecated path was removed"),
    ("api-path-removed-before-sunset", ERR, "a deprecated path was removed before its sunset date"),
    ("api-removed-without-deprecation", ERR, "an operation was removed without being deprecated first"),
    ("api-removed-with-deprecation", INFO, "a deprecated operation was removed"),
    ("api-removed-before-sunset", ERR, "a deprecated operation was removed before its sunset date"),
    ("endpoint-deprecated", INFO, "an operation was deprecated"),
    ("endpoint-reactivated", INFO, "an operation is no longer deprecated"),
    ("webhook-added", INFO, "a webhook was added"),
    ("webhook-removed", ERR, "a webhook was removed"),
    # parameters
    ("new-required-request-parameter", ERR, "a required parameter was added"),
    ("new-optional-request-parameter", INFO, "an optional parameter was added"),
    ("new-request-path-parameter", ERR, "a path parameter was added"),
    ("new-required-request-default-parameter-to-existing-path", ERR,
     "a required path-level parameter was added to an existing path"),
    ("new-optional-request-default-parameter-to-existing-path", INFO,
     "an optional path-level parameter was added to an existing path"),
    ("request-parameter-removed", WARN, "a parameter was removed (clients still sending it may be rejected)"),
    ("request-parameter-removed-with-deprecation", INFO, "a deprecated parameter was removed"),
    ("request-parameter-became-required", ERR, "an optional parameter became required"),
    ("request-parameter-became-optional", INFO, "a required parameter became optional"),
    # how a parameter is serialized (style, explode, allowReserved, allowEmptyValue)
    ("request-parameter-style-changed", ERR, "a parameter's serialization style changed (form, simple, "
                                            "pipeDelimited...); clients serialize it the old way"),
    ("request-parameter-explode-changed", ERR, "a parameter's explode setting changed; arrays and objects are "
                                              "serialized differently"),
    ("request-parameter-became-allow-reserved", INFO, "a query parameter now accepts reserved characters "
                                                      "without percent-encoding"),
    ("request-parameter-became-not-allow-reserved", ERR, "a query parameter no longer accepts reserved "
                                                         "characters without percent-encoding"),
    ("request-parameter-became-allow-empty-value", INFO, "a query parameter now accepts an empty value"),
    ("request-parameter-became-not-allow-empty-value", ERR, "a query parameter no longer accepts an empty value"),
    # properties of object-valued parameters
    ("new-required-request-header-property", ERR, "a required property was added to a header parameter"),
    ("new-optional-request-header-property", INFO, "an optional property was added to a header parameter"),
    ("request-header-property-removed", WARN, "a property of a header parameter was removed"),
    ("request-header-property-became-required", ERR, "a property of a header parameter became required"),
    ("request-header-property-became-optional", INFO, "a property of a header parameter became optional"),
    ("request-header-property-became-enum", ERR, "a property of a header parameter was restricted to an enum"),
    ("new-required-request-parameter-property", ERR, "a required property was added to a parameter"),
    ("new-optional-request-parameter-property", INFO, "an optional property was added to a parameter"),
    ("request-parameter-property-removed", WARN, "a property of a parameter was removed"),
    ("request-parameter-property-became-required", ERR, "a property of a parameter became required"),
    ("request-parameter-property-became-optional", INFO, "a property of a parameter became optional"),
    # request body
    ("added-required-request-body", ERR, "a required request body was added"),
    ("added-optional-request-body", INFO, "an optional request body was added"),
    ("request-body-removed", ERR, "the request body was removed"),
    ("request-body-became-required", ERR, "the request body became required"),
    ("request-body-became-optional", INFO, "the request body became optional"),
    ("request-body-media-type-added", INFO, "a request media type was added"),
    ("request-body-media-type-removed", ERR, "a request media type was removed"),
    ("request-body-media-type-schema-added", ERR, "a schema was added to a request media type"),
    ("request-body-media-type-schema-removed", INFO, "the schema of a request media type was removed"),
    # request body properties
    ("new-required-request-property", ERR, "a required request property was added"),
    ("new-required-request-property-with-default", ERR, "a required request property with a default was added"),
    ("new-optional-request-property", INFO, "an optional request property was added"),
    ("request-property-removed", WARN, "a request property was removed (clients still sending it may be rejected)"),
    ("request-property-became-required", ERR, "an optional request property became required"),
    ("request-property-became-required-with-default", ERR, "an optional request property with a default became "
                                                           "required"),
    ("request-property-became-optional", INFO, "a required request property became optional"),
    # readOnly / writeOnly of request properties (a read-only property is not sent; required applies to it in
    # responses only, in OpenAPI 3.0)
    ("request-optional-property-became-read-only", WARN, "an optional request property became read-only; "
                                                         "servers may reject or ignore it"),
    ("request-required-property-became-read-only", WARN, "a required request property became read-only; "
                                                         "servers may reject or ignore it"),
    ("request-optional-property-became-not-read-only", INFO, "an optional request property is no longer "
                                                             "read-only"),
    ("request-required-property-became-not-read-only", ERR, "a required read-only request property is no longer "
                                                            "read-only, so clients must now send it"),
    ("request-optional-property-became-write-only", INFO, "an optional request property became write-only"),
    ("request-required-property-became-write-only", INFO, "a required request property became write-only"),
    ("request-optional-property-became-not-write-only", INFO, "an optional request property is no longer "
                                                              "write-only"),
    ("request-required-property-became-not-write-only", INFO, "a required request property is no longer "
                                                              "write-only"),
    # responses
    ("response-success-status-removed", ERR, "a success status code was removed"),
    ("response-non-success-status-removed", INFO, "a non-success status code was removed"),
    ("response-success-status-added", INFO, "a success status code was added"),
    ("response-non-success-status-added", INFO, "a non-success status code was added"),
    ("response-media-type-added", INFO, "a response media type was added"),
    ("response-media-type-removed", ERR, "a response media type was removed"),
    ("response-body-media-type-schema-added", INFO, "a schema was added to a response media type"),
    ("response-body-media-type-schema-removed", WARN, "the schema of a response media type was removed"),
    ("required-response-header-removed", ERR, "a required response header was removed"),
    ("optional-response-header-removed", WARN, "an optional response header was removed"),
    ("response-header-became-optional", ERR, "a required response header became optional"),
    ("response-header-added", INFO, "a response header was added"),
    ("response-header-became-required", INFO, "an optional response header became required"),
    ("response-header-explode-changed", ERR, "a response header's explode setting changed; object values are "
                                             "serialized differently"),
    # response body properties
    ("response-required-property-added", INFO, "a required response property was added"),
    ("response-optional-property-added", INFO, "an optional response property was added"),
    ("response-required-property-removed", ERR, "a required response property was removed"),
    ("response-optional-property-removed", WARN, "an optional response property was removed"),
    ("response-property-became-optional", ERR, "a required response property became optional"),
    ("response-property-became-required", INFO, "an optional response property became required"),
    # readOnly / writeOnly of response properties (a write-only property is not returned)
    ("response-optional-property-became-read-only", INFO, "an optional response property became read-only"),
    ("response-required-property-became-read-only", INFO, "a required response property became read-only"),
    ("response-optional-property-became-not-read-only", INFO, "an optional response property is no longer "
                                                              "read-only"),
    ("response-required-property-became-not-read-only", INFO, "a required response property is no longer "
                                                              "read-only"),
    ("response-optional-property-became-write-only", INFO, "an optional response property became write-only"),
    ("response-required-property-became-write-only", INFO, "a required response property became write-only"),
    ("response-optional-property-became-not-write-only", INFO, "an optional response property is no longer "
                                                               "write-only"),
    ("response-required-property-became-not-write-only", WARN, "a required response property is no longer "
                                                               "write-only, so responses now carry it"),
    # security
    ("api-global-security-added", INFO, "a global security requirement was added"),
    ("api-global-security-removed", INFO, "a global security requirement was removed"),
    ("api-global-security-scope-added", INFO, "a scope was added to a global security requirement"),
    ("api-global-security-scope-removed", INFO, "a scope was removed from a global security requirement"),
    ("api-security-added", INFO, "a security requirement was added to an operation"),
    ("api-security-removed", INFO, "a security requirement was removed from an operation"),
    ("api-security-scope-added", INFO, "a scope was added to an operation's security requirement"),
    ("api-security-scope-removed", INFO, "a scope was removed from an operation's security requirement"),
    ("api-security-component-added", INFO, "a security scheme was added to the components"),
    ("api-security-component-removed", INFO, "a security scheme was removed from the components"),
    ("api-security-required", ERR, "an operation that required no authentication now requires it"),
    # security schemes (components): oasdiff reports them at INFO; what breaks is reported per operation that
    # uses the scheme (api-security-credentials-changed)
    ("api-security-component-type-changed", INFO, "a security scheme's type changed"),
    ("api-security-component-api-key-location-changed", INFO, "an apiKey scheme moved (header, query, cookie)"),
    ("api-security-component-api-key-name-changed", INFO, "an apiKey scheme's header, query or cookie name "
                                                          "changed"),
    ("api-security-component-http-scheme-changed", INFO, "an http scheme's authorization scheme changed "
                                                         "(bearer, basic...)"),
    ("api-security-component-bearer-format-changed", INFO, "an http bearer scheme's bearerFormat changed"),
    ("api-security-component-oauth-url-changed", INFO, "an OAuth flow's authorizationUrl changed"),
    ("api-security-component-oauth-token-url-changed", INFO, "an OAuth flow's tokenUrl changed"),
    ("api-security-component-oauth-refresh-url-changed", WARN, "an OAuth flow's refreshUrl changed; clients "
                                                               "refreshing tokens at the old URL fail"),
    ("api-security-component-oauth-flow-added", INFO, "an OAuth flow was added to a scheme"),
    ("api-security-component-oauth-flow-removed", INFO, "an OAuth flow was removed from a scheme"),
    ("api-security-component-oauth-scope-added", INFO, "a scope was added to an OAuth flow"),
    ("api-security-component-oauth-scope-removed", INFO, "a scope was removed from an OAuth flow"),
    ("api-security-component-oauth-scope-changed", INFO, "an OAuth scope's description changed"),
    ("api-security-component-open-id-connect-url-changed", INFO, "an openIdConnect scheme's openIdConnectUrl "
                                                                 "changed"),
    ("api-security-credentials-changed", ERR, "a security scheme an operation requires changed how clients "
                                              "authenticate (type, apiKey location or name, http scheme, OAuth "
                                              "flow, URL or scope, OpenID Connect URL)"),
    # the checker itself
    ("schema-depth-limit-reached", WARN, "schemas nest deeper than the checker compares; changes below were not "
                                         "checked"),
)


def schema_rule_id(site: str, suffix: str) -> str:
    """The id of schema rule ``suffix`` at ``site`` (``request-body``, ``response-property``...)."""
    rule_id = f"{site}-{suffix}"
    return SCHEMA_RENAMES.get(rule_id, rule_id)


def _build() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for fixed_id, fixed_level, summary in _FIXED:
        rules[fixed_id] = Rule(fixed_id, fixed_level, summary)
    for suffix, request_level, response_level, what in _SCHEMA:
        groups: list[tuple[tuple[str, ...], Level | None]] = [(REQUEST_SITES, request_level),
                                                               (RESPONSE_SITES, response_level)]
        if suffix in _PARAMETER_SUFFIXES:
            groups.append((PARAMETER_SITES, request_level))
        for sites, level in groups:
            for site in sites:
                rule_id = schema_rule_id(site, suffix)
                site_level = _SITE_RULES.get(rule_id, level)
                if site_level is not None:
                    rules.setdefault(rule_id, Rule(rule_id, site_level, f"{site.replace('-', ' ')}: {what}"))
    return dict(sorted(rules.items()))


RULES: dict[str, Rule] = _build()

