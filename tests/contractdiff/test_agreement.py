"""Agreement with oasdiff's own test pairs, and the conventions of the rule registry."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from backend_orchestrator.contractdiff import RULES, Level
from backend_orchestrator.contractdiff.agreement import AUDIT, DELIBERATE, family, load_cases, measure
from backend_orchestrator.contractdiff.oasdiff_ids import OURS_TO_OASDIFF, SHARED, implemented_oasdiff_ids

DATA = Path(os.environ.get("BO_OASDIFF_DATA") or Path(__file__).resolve().parents[2].parent
            / "shared/data/oasdiff-checker")
needs_data = pytest.mark.skipif(not (DATA / "cases.json").is_file(), reason=f"no oasdiff cases under {DATA}")


@needs_data
def test_breaking_recall_on_the_checks_we_implement_is_at_least_90_percent() -> None:
    report = measure(DATA)
    assert report["errors"] == []
    recall = report["breaking_recall"]
    assert recall["expected"] >= 150, "the measurement lost most of its cases"
    assert recall["rate"] >= 0.9, report["per_check"]
    assert report["id_recall"]["rate"] >= 0.9
    assert report["id_recall"]["different_level"] == 0, "a shared id reports a different level than oasdiff"
    alarms = report["false_alarms"]
    assert alarms["cases"] == alarms["deliberate"], alarms["details"]  # every disagreement is a known, stated one


@needs_data
def test_every_audited_case_exists_in_the_data() -> None:
    cases, meta = load_cases(DATA)
    tests = {case.test for case in cases}
    assert set(AUDIT) <= tests
    assert set(DELIBERATE) <= tests
    assert meta["commit"].startswith("4553c69")


def test_rule_ids_are_kebab_case_with_a_level_and_a_summary() -> None:
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule_id), rule_id
        assert rule.id == rule_id and isinstance(rule.level, Level) and rule.summary


def test_every_shared_oasdiff_id_is_one_of_our_rules_with_the_same_spelling() -> None:
    assert set(SHARED) <= set(RULES)
    assert implemented_oasdiff_ids() == SHARED
    assert set(OURS_TO_OASDIFF) == set(RULES)


def test_the_breaking_rules_oasdiff_lacks_are_few_and_deliberate() -> None:
    ours_only = sorted(r for r in RULES if r not in SHARED and RULES[r].level is Level.BREAKING
                       and "-parameter-property-" not in r)
    assert {"api-security-required", "api-security-credentials-changed"} <= set(ours_only)
    assert len(ours_only) <= 40, ours_only


def test_families_group_a_change_with_its_side() -> None:
    assert family("request-property-max-length-decreased") == "request:max-length"
    assert family("response-mediatype-enum-value-removed") == "response:enum"
    assert family("new-required-request-default-parameter-to-existing-path") == "parameter:default-parameter"
    assert family("api-security-required") == "operation:security"


def test_the_public_names_are_sorted() -> None:
    import backend_orchestrator.contractdiff as contractdiff

    assert contractdiff.__all__ == sorted(contractdiff.__all__)
