"""Each rule's declared confidence is the one its measured precision on real code gives (issue 11).

The measurement is benchmarks/corpus/precision.json: per rule, how many of its findings on the corpus of
real backends were triaged true and false (`benchmarks/real_code.py --save`). A rule triaged at least
``MIN_SAMPLE`` times must declare exactly the confidence its precision rates; so a rule that is often wrong
on real code is `low` and never blocks, and a rule cannot be declared better than it measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend_orchestrator.gates import GATES
from backend_orchestrator.gates.base import MIN_SAMPLE, measured_confidence
from backend_orchestrator.gates.policy import blocks

PRECISION = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus" / "precision.json"
RULES = {rule.id: (gate, rule) for gate in GATES for rule in gate.rules}
MEASURED = json.loads(PRECISION.read_text(encoding="utf-8"))["rules"]


def test_the_bands_are_the_ones_the_acceptance_bars_use() -> None:
    assert measured_confidence(8, 2) == "high"
    assert measured_confidence(7, 3) == measured_confidence(6, 4) == "medium"
    assert measured_confidence(5, 5) == measured_confidence(0, 20) == "low"
    assert measured_confidence(0, MIN_SAMPLE - 1) is None  # too few to rate


def test_every_measured_rule_is_one_of_ours() -> None:
    assert set(MEASURED) <= set(RULES)


@pytest.mark.parametrize("rule_id", sorted(MEASURED))
def test_a_rule_declares_the_confidence_its_triaged_sample_gives(rule_id: str) -> None:
    counts = MEASURED[rule_id]
    rated = measured_confidence(counts["true"], counts["false"])
    if rated is None:
        pytest.skip(f"{rule_id}: {counts['true'] + counts['false']} triaged findings, too few to rate")
    assert RULES[rule_id][1].confidence == rated, (
        f"{rule_id} is declared {RULES[rule_id][1].confidence!r} but measured {counts['true']} true / "
        f"{counts['false']} false on the corpus, which rates {rated!r}")


@pytest.mark.parametrize("rule_id", sorted(r for r, c in MEASURED.items() if c["true"] + c["false"] >= MIN_SAMPLE))
def test_a_rule_that_blocks_by_default_meets_the_bar_of_its_severity(rule_id: str) -> None:
    """Acceptance of issue 11: blocking high/critical rules ≥ 0.8, blocking medium rules ≥ 0.6."""
    from backend_orchestrator.contracts.report import Finding

    gate, rule = RULES[rule_id]
    probe = Finding(rule_id=rule.id, gate=gate.id, severity=rule.severity, category=rule.category, title=rule.title,
                    message=rule.help, confidence=rule.confidence)
    if not blocks(gate(), probe):
        return
    counts = MEASURED[rule_id]
    bar = 0.8 if rule.severity in ("critical", "high") else 0.6
    assert counts["true"] / (counts["true"] + counts["false"]) >= bar
