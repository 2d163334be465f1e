"""Agreement with oasdiff: run :func:`..diff` over oasdiff's own test pairs and score it.

The data (``cases.json``) lists base/revision pairs from oasdiff's checker tests with the change ids and
levels those tests expect. Two numbers matter:

* **breaking recall** — of the expected ``ERR`` changes whose id one of our rules implements (the table in
  :mod:`.oasdiff_ids`), the share we report *as breaking with that id*; plus plain id recall at any level.
* **false alarms** — breaking changes we report that oasdiff's test says are not there: in a test that ran
  *all* oasdiff checks and asserted the complete breaking list (``scope: all``), any breaking change of ours
  whose id is not an expected ``ERR``; in a test of *one* check (``scope: check``), such a change only when it
  is of the same kind (family, e.g. ``max-length`` or ``enum``) as what the test expects or is about.

``cases.json`` was extracted from the Go tests by pattern, and some entries are wrong: ids mentioned in
negative assertions (``require.False(containsId(...))``, ``NotEqual``) listed as expected, ``expect_no_changes``
set by an assertion about source locations, ids written as string literals missed. :data:`AUDIT` corrects
those from the test sources (each with its reason); cases whose assertions name no id are left unscored.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import diff, load_document
from .load import SpecError
from .model import Change, Level
from .oasdiff_ids import implemented_oasdiff_ids, oasdiff_id

Expected = tuple[tuple[str, str], ...]  # ((oasdiff id, "ERR" | "WARN" | "INFO"), ...)


@dataclass(frozen=True)
class Audit:
    reason: str
    expected: Expected | None = None  # replaces the extracted list
    scope: str | None = None  # "all" | "check" | "unscored"
    families: tuple[str, ...] = ()  # what a single-check test with no expected ids is about
    reverse: Expected | None = None  # the test also runs the pair the other way round, expecting these


_SOURCES = "the Go test asserts only source locations here (require.Empty(t, errs[0].GetBaseSource()))"

AUDIT: dict[str, Audit] = {
    # expected ids that the test asserts to be absent
    "TestRequestPropertyAnyOfInlineEnumRefactorToRef": Audit(
        "both ids appear in require.False(containsId(...)); the test asserts CheckBackwardCompatibility(all checks) "
        "is empty", expected=(), scope="all"),
    "TestRequestPropertyAllOfAdded_AnnotationOnly_EmitsInfo": Audit(
        "request-body-all-of-added appears in require.NotEqual", expected=(
            ("request-body-all-of-added-annotation-only", "INFO"),)),
    "TestRequestPropertyAllOfAdded_AnnotationOnly_AtProperty_EmitsInfo": Audit(
        "request-property-all-of-added appears in require.NotEqual", expected=(
            ("request-property-all-of-added-annotation-only", "INFO"),)),
    "TestResponsePropertyAllOfAdded_AnnotationOnly_EmitsInfoWithDistinctId": Audit(
        "response-body-all-of-added appears in require.NotEqual", expected=(
            ("response-body-all-of-added-annotation-only", "INFO"),)),
    "TestResponsePropertyOneOfWrappingIsBreaking": Audit(
        "the other four ids appear in require.False(containsId(...)); the test asserts exactly one change at any "
        "level with all checks", expected=(("response-body-wrapped-in-one-of", "ERR"),), scope="all"),
    "TestRequestPropertyOneOfWrappingIsBreaking": Audit(
        "the other four ids appear in require.False(containsId(...))",
        expected=(("request-body-wrapped-in-one-of", "ERR"),)),
    "TestMediaTypeSchemaExistence": Audit(
        "the test checks both directions of one pair: the *-added ids for base->revision, the *-removed ids for "
        "revision->base", expected=(("request-body-media-type-schema-added", "ERR"),
                                    ("response-body-media-type-schema-added", "INFO")),
        reverse=(("request-body-media-type-schema-removed", "INFO"),
                 ("response-body-media-type-schema-removed", "WARN"))),
    # expect_no_changes set by an assertion about sources
    "TestAPIGlobalSecurityDeleted_WithSources": Audit(_SOURCES, scope="check"),
    "TestAPISecurityDeleted_WithSources": Audit(_SOURCES, scope="check"),
    "TestRequiredRequestPropertyAdded_WithSources": Audit(_SOURCES, scope="check"),
    "TestRequestPropertyXExtensibleEnumValueRemoved_WithSources": Audit(_SOURCES, scope="check"),
    "TestResponsePropertyBecameRequired_WithSources": Audit(_SOURCES, scope="check"),
    "TestApiAdded_DetectsNewPathsAndNewOperations": Audit(
        _SOURCES + "; the ids are string literals (\"endpoint-added\", twice)",
        expected=(("endpoint-added", "INFO"),), scope="check"),
    "TestApiAdded_DetectsModifiedPathsWithPathParam": Audit(
        _SOURCES + "; the ids are string literals (\"endpoint-added\")",
        expected=(("endpoint-added", "INFO"),), scope="check"),
    # ids written as string literals, missed by the extraction
    "TestBreaking_AddPattern": Audit("asserts Len 1 with id \"request-property-pattern-added\" (all checks)",
                                     expected=(("request-property-pattern-added", "ERR"),), scope="all"),
    "TestBreaking_AddPatternRecursive": Audit("asserts Len 1 with id \"request-property-pattern-added\"",
                                              expected=(("request-property-pattern-added", "ERR"),), scope="all"),
    "TestBreaking_RespTypeChanged": Audit("asserts Len 1 with id \"response-property-type-changed\"",
                                          expected=(("response-property-type-changed", "ERR"),), scope="all"),
    "TestBreaking_RequestBodyMediaTypeRemoved": Audit(
        "asserts errs[0] is \"request-body-media-type-removed\" (not the full list)",
        expected=(("request-body-media-type-removed", "ERR"),), scope="check"),
    "TestBreaking_OneOf": Audit(
        "asserts Len 3; the newest test text names response-property-became-optional under allOf, anyOf and oneOf",
        expected=(("response-property-became-optional", "ERR"),), scope="all"),
    "TestBreaking_RequiredResponsePropertyAdded": Audit(
        "verifyNonBreakingChangeIsChangelogEntry(\"response-required-property-added\"): not breaking, INFO in the "
        "changelog", expected=(("response-required-property-added", "INFO"),), scope="all"),
    # oasdiff without --flatten-params does not see path-level parameters; we always merge them
    "TestBreaking_RequestParameterMaxItemsWithoutFlatten": Audit(
        "oasdiff only sees changes of path-level parameters with --flatten-params; on this same pair "
        "TestBreaking_RequestParameterMaxItemsWithFlatten expects request-parameter-max-items-decreased (ERR), "
        "and this checker always merges path-level parameters into operations",
        expected=(("request-parameter-max-items-decreased", "ERR"),), scope="check"),
    # single-check tests that expect nothing: what they are about
    "TestTypeCheckerSuppressedForNullOnly31": Audit("single check: the request type checker", scope="check",
                                                    families=("request:type", "request:list-of-types")),
    "TestResponseTypeCheckerSuppressedForNullOnly31": Audit(
        "single check: the response type checker", scope="check",
        families=("response:type", "response:list-of-types")),
    "TestRequestBodyMinItemsDecreased": Audit("single check: request min-items increased", scope="check",
                                              families=("request:min-items",)),
    # nothing machine-readable to compare with
    "TestBreaking_Attributes": Audit("asserts Len 2 and attributes, not ids", scope="unscored"),
    "TestBreaking_AttributesNone": Audit("asserts Len 2 and attributes, not ids", scope="unscored"),
    "TestBreaking_AttributesReverse": Audit("asserts attributes, not ids", scope="unscored"),
    "TestBreaking_AttributesTwo": Audit("asserts attributes, not ids", scope="unscored"),
    "TestRequestParameterPropertyEnumValueRemovedMessage": Audit("asserts a message text", scope="unscored"),
    "TestChangeMediaTypeParameters": Audit("media-type name checks newer than the id list", scope="unscored"),
    "TestSpecializeMediaTypeName": Audit("media-type name checks newer than the id list", scope="unscored"),
    "TestGeneralizeMediaTypeName": Audit("media-type name checks newer than the id list", scope="unscored"),
    "TestBreaking_CheckDoesNotMutateCallerDiff": Audit("tests oasdiff internals", scope="unscored"),
    "TestListOfTypesIntegration_CoreFunctionsExecution": Audit("tests oasdiff internals", scope="unscored"),
    "TestWalkPropertiesSkipsOneSidedSubSchemaDiff": Audit("tests oasdiff internals", scope="unscored"),
    "TestWalkModifiedSchemasSkipsOneSidedMediaTypeSchema": Audit("tests oasdiff internals", scope="unscored"),
}

# Where we disagree with oasdiff on purpose (listed next to the numbers in the report).
DELIBERATE: dict[str, str] = {
    "TestNotSubSchemaTraversalAddedProperty": "oasdiff walks `not` subschemas as if they were plain ones, so it "
    "calls a narrowing inside `not` breaking; the effect of `not` is inverted, so we report one "
    "request-body-not-changed warning instead",
    "TestNotSubSchemaTraversalModifiedProperty": "as above: a maxLength decreased inside `not` widens what is accepted",
    "TestNotSubSchemaTraversalDeletedProperty": "as above",
    "TestBreaking_AddPattern": "the property is readOnly: clients do not send it, so a request-side pattern on it "
                               "cannot break them (we skip readOnly properties in requests)",
    "TestBreaking_AddPatternRecursive": "as above (readOnly property)",
    "TestBreaking_ModifyPattern": "as above (readOnly property)",
    "TestAPISecurityAdded": "our api-security-required (breaking): the operation required no authentication and now "
                            "does, so anonymous clients fail; oasdiff only reports api-security-added (INFO)",
    "TestAPIGlobalSecurityyAdded": "as above, for a security requirement added to the whole document",
}

# Tests that ran every oasdiff check and asserted the complete list of breaking changes (require.Empty / Len).
ALL_CHECK_TESTS = frozenset({
    "TestBreaking_ReqBodyBecameEnum", "TestBreaking_ReqBodyEnumValueAdded",
    "TestBreaking_ReqBodyBecameEnumAndTypeChanged",
    "TestBreaking_ReqPropertyBecameEnum", "TestBreaking_ReqParameterBecameEnum",
    "TestBreaking_ReqParameterHeaderPropertyBecameEnum", "TestBreaking_RespBodyNullable",
    "TestBreaking_ReqBodyPropertyNotNullable", "TestBreaking_RespBodyPropertyNullable",
    "TestBreaking_RespBodyEmbeddedPropertyNullable", "TestBreaking_ResponseDeleteMediaType",
    "TestBreaking_DeletePatten",
    "TestBreaking_ModifyPattern", "TestBreaking_GeneralizedPattern", "TestBreaking_ModifyParameterPattern",
    "TestBreaking_ModifyPatternToAnyString", "TestBreaking_RequestPropertyAnyOfRemoved",
    "TestBreaking_RequestPropertyOneOfRemoved", "TestBreaking_RequestPropertyAllOfAdded",
    "TestBreaking_RequestPropertyAllOfRemoved", "TestBreaking_ResponseAddMediaType", "TestBreaking_Servers",
})

# Kinds of change, most specific first: a change id belongs to the first family whose words it contains.
FAMILIES = (
    "wrapped-in-one-of", "one-of", "any-of", "all-of", "discriminator", "list-of-types", "nullable",
    "x-extensible-enum", "enum", "exclusive-max", "exclusive-min", "max-length", "min-length", "max-items",
    "min-items", "max-properties", "min-properties", "max-contains", "min-contains", "multiple-of", "unique-items",
    "pattern-property", "property-names", "pattern", "default-value", "const", "if", "then", "else", "not",
    "contains", "dependent-required", "dependent-schema", "prefix-items", "unevaluated", "content-schema", "content",
    "media-type-schema", "media-type", "mediatype", "security", "status", "header", "webhook", "default-parameter",
    "path", "endpoint",
    "type", "max", "min", "became-required", "became-optional", "parameter", "property", "request-body",
)


def family(rule_id: str) -> str:
    """The kind of change an id reports, with the side it is on: ``request:max-length``, ``response:enum``..."""
    padded = f"-{rule_id}-"
    side = ("parameter" if any(w in padded for w in ("-request-parameter-", "-request-header-", "-parameter-to-"))
            else "response" if "-response-" in padded else "request" if "-request-" in padded else "operation")
    for name in FAMILIES:
        if f"-{name}-" in padded:
            return f"{side}:{name}"
    return f"{side}:{rule_id}"


@dataclass
class Case:
    test: str
    base: str
    revision: str
    expected: Expected
    scope: str  # "all" | "check" | "unscored"
    families: tuple[str, ...] = ()
    note: str | None = None


@dataclass
class Tally:
    expected: int = 0
    hits: int = 0
    misses: list[str] = field(default_factory=list)

    def rate(self) -> float | None:
        return round(self.hits / self.expected, 4) if self.expected else None


def default_data_dir() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "oasdiff-checker"


def load_cases(data_dir: Path) -> tuple[list[Case], dict[str, Any]]:
    """The cases of ``cases.json`` with :data:`AUDIT` applied, and the raw file's metadata."""
    raw = json.loads((data_dir / "cases.json").read_text(encoding="utf-8"))
    cases: list[Case] = []
    for entry in raw["cases"]:
        test = entry["test"].split("::")[-1]
        audit = AUDIT.get(test)
        expected: Expected = tuple((e["id"], e["level"]) for e in entry["expected"])
        if audit and audit.expected is not None:
            expected = audit.expected
        if audit and audit.scope:
            scope = audit.scope
        elif test in ALL_CHECK_TESTS:
            scope = "all"
        elif not expected and not entry["expect_no_changes"]:
            scope = "unscored"
        else:
            scope = "check"
        note = audit.reason if audit else None
        cases.append(Case(test, entry["base"], entry["revision"], expected, scope, audit.families if audit else (),
                          note))
        if audit and audit.reverse is not None:
            cases.append(Case(f"{test} (reversed)", entry["revision"], entry["base"], audit.reverse, "check", (),
                              audit.reason))
    meta = {k: v for k, v in raw.items() if k != "cases"}
    return cases, meta


def measure(data_dir: Path | None = None) -> dict[str, Any]:
    """Run every case and return the agreement report (a JSON-ready dict)."""
    data_dir = data_dir or default_data_dir()
    cases, meta = load_cases(data_dir)
    implemented = implemented_oasdiff_ids()
    breaking: defaultdict[str, Tally] = defaultdict(Tally)  # oasdiff id -> expected ERR, reported as breaking
    any_level: defaultdict[str, Tally] = defaultdict(Tally)  # oasdiff id -> expected at any level, reported
    level_agree = Counter[str]()
    not_implemented: Counter[str] = Counter()
    not_implemented_any: Counter[str] = Counter()
    false_alarms: list[dict[str, Any]] = []
    strict_alarms = 0
    errors: list[dict[str, str]] = []
    unscored: list[dict[str, str]] = []
    quiet_cases = 0
    corroborated = 0
    documents: dict[str, Any] = {}
    err_by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    for case in cases:
        err_by_pair[(case.base, case.revision)].update(their for their, level in case.expected if level == "ERR")
    for case in cases:
        if case.scope == "unscored":
            unscored.append({"test": case.test, "reason": case.note or "the test names no expected change id"})
            continue
        try:
            changes = _run(data_dir, case, documents)
        except SpecError as exc:
            errors.append({"test": case.test, "error": str(exc)})
            continue
        reported = _reported(changes)
        for their_id, their_level in case.expected:
            if their_id not in implemented:
                not_implemented_any[f"{their_id} ({their_level})"] += 1
                if their_level == "ERR":
                    not_implemented[their_id] += 1
                continue
            tally = any_level[their_id]
            tally.expected += 1
            levels = reported.get(their_id, set())
            if levels:
                tally.hits += 1
                if _level_name(min(levels, key=lambda lv: lv.rank)) == their_level or \
                        any(_level_name(lv) == their_level for lv in levels):
                    level_agree["same"] += 1
                else:
                    level_agree["different"] += 1
            else:
                tally.misses.append(case.test)
            if their_level == "ERR":
                hit = breaking[their_id]
                hit.expected += 1
                if Level.BREAKING in levels:
                    hit.hits += 1
                else:
                    hit.misses.append(case.test)
        alarms = _false_alarms(case, changes)
        expected_err = any(level == "ERR" for _, level in case.expected)
        if not expected_err:
            quiet_cases += 1
            ours = {oasdiff_id(c.id) for c in changes if c.level is Level.BREAKING}
            if ours:
                strict_alarms += 1
                if ours <= err_by_pair[(case.base, case.revision)]:
                    corroborated += 1
        if alarms:
            false_alarms.append({"test": case.test, "scope": case.scope,
                                 "reported": sorted({f"{c.id} ({c.operation})" for c in alarms}),
                                 "deliberate": DELIBERATE.get(case.test)})
    return _report(meta, cases, implemented, breaking, any_level, level_agree, (not_implemented, not_implemented_any),
                   false_alarms, (strict_alarms, corroborated, quiet_cases), errors, unscored)


def _run(data_dir: Path, case: Case, cache: dict[str, Any]) -> list[Change]:
    for name in (case.base, case.revision):
        if name not in cache:
            cache[name] = load_document(data_dir / name)
    return diff(cache[case.base], cache[case.revision])


def _reported(changes: list[Change]) -> dict[str, set[Level]]:
    found: dict[str, set[Level]] = defaultdict(set)
    for change in changes:
        their = oasdiff_id(change.id)
        if their is not None:
            found[their].add(change.level)
    return found


def _level_name(level: Level) -> str:
    return {Level.BREAKING: "ERR", Level.WARNING: "WARN", Level.INFO: "INFO"}[level]


def _false_alarms(case: Case, changes: list[Change]) -> list[Change]:
    """Breaking changes of ours that the case says are not breaking (see the module docstring)."""
    expected_err = {their for their, level in case.expected if level == "ERR"}
    kinds_not_breaking = set(case.families) | {family(their) for their, _ in case.expected}
    kinds_not_breaking -= {family(their) for their in expected_err}
    alarms = []
    for change in changes:
        if change.level is not Level.BREAKING or oasdiff_id(change.id) in expected_err:
            continue
        if case.scope == "all" or family(change.id) in kinds_not_breaking:
            alarms.append(change)
    return alarms


def _report(meta: dict[str, Any], cases: list[Case], implemented: frozenset[str], breaking: dict[str, Tally],
            any_level: dict[str, Tally], level_agree: Counter[str], missing: tuple[Counter[str], Counter[str]],
            false_alarms: list[dict[str, Any]], strict: tuple[int, int, int], errors: list[dict[str, str]],
            unscored: list[dict[str, str]]) -> dict[str, Any]:
    not_implemented, not_implemented_any = missing
    strict_alarms, corroborated, quiet_cases = strict
    b_expected = sum(t.expected for t in breaking.values())
    b_hits = sum(t.hits for t in breaking.values())
    a_expected = sum(t.expected for t in any_level.values())
    a_hits = sum(t.hits for t in any_level.values())
    scored = len(cases) - len(unscored)
    return {
        "data": {"source": meta.get("source"), "commit": meta.get("commit"), "cases": len(cases),
                 "scored": scored, "unscored": len(unscored), "audited": len(AUDIT)},
        "definitions": {
            "breaking_recall": "expected ERR changes whose oasdiff id we implement, reported by us as breaking "
                               "with the mapped id, over all such expected ERR changes",
            "id_recall": "expected changes (any level) whose oasdiff id we implement, reported with the mapped id "
                         "at any level",
            "false_alarm": "a breaking change we report whose id is not an expected ERR of the case: in a case "
                           "whose test ran all oasdiff checks and asserted the complete breaking list (scope all) "
                           "any such change; in a single-check test (scope check) one whose kind (side and "
                           "family, e.g. request:max-length) the test expects only at WARN/INFO level or, for an "
                           "audited test that expects nothing, is what the test is about",
            "strict": "quiet cases (no expected ERR) where we report anything breaking, of any kind: an upper "
                      "bound that also counts changes oasdiff's single-check test did not look at; "
                      "corroborated_elsewhere: those whose every breaking id of ours is an expected ERR of another "
                      "oasdiff test on the same file pair (the data reuses one pair for request and response "
                      "tests, so the other side's change is there too)",
        },
        "breaking_recall": {"expected": b_expected, "hits": b_hits,
                            "rate": round(b_hits / b_expected, 4) if b_expected else None},
        "id_recall": {"expected": a_expected, "hits": a_hits, "rate": round(a_hits / a_expected, 4) if a_expected
                      else None, "same_level": level_agree["same"], "different_level": level_agree["different"]},
        "false_alarms": {"cases": len(false_alarms), "deliberate": sum(1 for a in false_alarms if a["deliberate"]),
                         "scored_cases": scored, "details": false_alarms,
                         "strict": {"quiet_cases": quiet_cases, "with_breaking": strict_alarms,
                                    "corroborated_elsewhere": corroborated}},
        "deliberate_disagreements": {test: reason for test, reason in sorted(DELIBERATE.items())},
        "per_check": {their: {"expected_err": breaking[their].expected if their in breaking else 0,
                              "breaking_hits": breaking[their].hits if their in breaking else 0,
                              "expected_any": tally.expected, "id_hits": tally.hits,
                              "missed_in": sorted(set(tally.misses))}
                      for their, tally in sorted(any_level.items())},
        "expected_err_not_implemented": dict(sorted(not_implemented.items())),
        "expected_not_implemented": dict(sorted(not_implemented_any.items())),
        "implemented_oasdiff_ids": sorted(implemented),
        "errors": errors,
        "unscored": unscored,
        "audit": {test: audit.reason for test, audit in sorted(AUDIT.items())},
    }
