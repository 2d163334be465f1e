"""Conventions as tests: skills, manifests, standards, gates and tools refer to things that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from backend_orchestrator.contracts.common import TASK_KINDS
from backend_orchestrator.docs import CLAUSE, clauses
from backend_orchestrator.gates import GATES, gate_ids
from backend_orchestrator.server import ALL_TOOLS
from backend_orchestrator.skills import all_skills, frontmatter_problems, split_frontmatter
from backend_orchestrator.state.schemas import problems

REPO = Path(__file__).resolve().parents[1]
SKILLS = sorted(p.name for p in (REPO / "skills").iterdir() if p.is_dir())


def test_the_five_sub_skills_exist() -> None:
    assert SKILLS == ["api-development", "auth", "database", "service-integration", "testing"]


@pytest.mark.parametrize("name", SKILLS)
def test_sub_skill_frontmatter_is_valid_agent_skills_format(name: str) -> None:
    data, body = split_frontmatter((REPO / "skills" / name / "SKILL.md").read_text(encoding="utf-8"))
    assert frontmatter_problems(name, data) == []
    assert len(body.splitlines()) > 40, "the instructions must be real guidance"


def test_top_level_skill_frontmatter_is_valid() -> None:
    data, body = split_frontmatter((REPO / "SKILL.md").read_text(encoding="utf-8"))
    assert frontmatter_problems("backend-orchestrator", data) == []
    for step in ("receive_task", "prepare_context", "assign_skill", "validate_results"):
        assert step in body


@pytest.mark.parametrize("name", SKILLS)
def test_manifest_validates_and_names_only_existing_things(name: str) -> None:
    raw = yaml.safe_load((REPO / "skills" / name / "manifest.yaml").read_text(encoding="utf-8"))
    assert problems("skill-manifest", raw) == []
    assert raw["name"] == name
    known = clauses()
    assert [c for c in raw["standards"] if c not in known] == []
    assert set(raw["checklist"]) <= set(raw["standards"])
    assert set(raw["tools"]) <= set(ALL_TOOLS)
    assert set(raw["gates"]) <= set(gate_ids())


def test_every_task_kind_has_exactly_one_default_skill() -> None:
    kinds = sorted(s.manifest.kind for s in all_skills().values())
    assert kinds == sorted(TASK_KINDS)


def test_standard_clauses_have_unique_contiguous_ids() -> None:
    seen: dict[str, list[int]] = {}
    for path in sorted((REPO / "standards").glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("- **"):
                match = CLAUSE.match(line)
                assert match, f"{path.name}: malformed clause line {line[:60]!r}"
                prefix, number = match.group(1).rsplit("-", 1)
                seen.setdefault(prefix, []).append(int(number))
    for prefix, numbers in seen.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), prefix
        assert len(set(numbers)) == len(numbers), prefix
    assert {"BS-API", "BS-DB", "BS-SEC", "BS-MET", "BS-AP", "API", "DB", "SEC", "TEST"} <= set(seen)


def test_the_success_metrics_are_stated_with_their_numbers() -> None:
    text = (REPO / "standards" / "backend-standard.md").read_text(encoding="utf-8")
    for metric in ("p95 < 200 ms", "< 50 ms", "> 80 %", "< 0.1 %"):
        assert metric in text


def test_every_clause_a_gate_names_exists() -> None:
    import inspect
    import re

    known = clauses()
    for gate in GATES:
        source = inspect.getsource(inspect.getmodule(gate))  # type: ignore[arg-type]
        for clause_id in re.findall(r'clause="([A-Z-]+\d{3})"', source):
            assert clause_id in known, f"gate {gate.id} names unknown clause {clause_id}"


def test_gate_ids_are_unique_and_documented() -> None:
    ids = [g.id for g in GATES]
    assert len(ids) == len(set(ids))
    for gate in GATES:
        doc = __import__(gate.__module__, fromlist=["x"]).__doc__ or ""
        for heading in ("What it does", "Why it matters", "Rules", "Use instead"):
            assert heading in doc, f"{gate.id}: docstring lacks {heading!r}"


def test_gate_rules_are_unique_documented_and_anchored_in_the_standards() -> None:
    known = clauses()
    seen: set[str] = set()
    for gate in GATES:
        assert gate.rules, f"{gate.id} declares no rules"
        for rule in gate.rules:
            assert rule.id not in seen, f"rule id {rule.id} is reused"
            seen.add(rule.id)
            assert rule.help and rule.title, rule.id
            assert rule.clause is None or rule.clause in known, f"{rule.id} names unknown clause {rule.clause}"


def test_finding_categories_are_documented_and_anchored() -> None:
    from backend_orchestrator.gates.categories import categories

    known = clauses()
    vocabulary = categories()
    assert len(vocabulary) >= 25
    for category, (meaning, anchors) in vocabulary.items():
        assert meaning and anchors, category
        assert [c for c in anchors if c not in known] == [], category
    for gate in GATES:
        for rule in gate.rules:
            assert rule.category in vocabulary, f"{rule.id}: category {rule.category!r} is not in the vocabulary"
