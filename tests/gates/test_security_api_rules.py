"""The security gate's OWASP API rules (SC208-SC214, `gates/security_api*.py`) on fixture projects written for
them: a FastAPI app (`api/`) and a Flask app (`web/`) in each.

The bad fixture marks every planted flaw with a `# planted: SCnnn` comment on the line the gate must report
(several ids when one line holds several flaws); its Flask login sits behind an app-wide `before_request` hook,
which must not hide it. The ok fixture holds the safe version of each, and near misses (a peek at the issuer
before a verified decode, an allowlisted `setattr` loop, an admin-only schema with a role, `re.escape`, a password
mask, an authenticated `login/test-token`, a reset confirmed by a token whose user lookup may say "does not
exist"), and must report none of these rules.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.report import Finding, GateResult
from backend_orchestrator.gates.base import GateContext, run_gate
from backend_orchestrator.gates.security import SecurityGate
from backend_orchestrator.gates.security_api_regex import redos_risk

FIXTURES = Path(__file__).parent / "fixtures" / "security_api"
API_RULES = {f"SC{n}" for n in range(208, 215)}
PLANTED = re.compile(r"#.*\bplanted: (SC\d{3}(?:, SC\d{3})*)")
KEYS = ("changeme", "legacy-secret-value-for-the-old-clients!", "letmein-debug", "admin123")


def run(root: Path) -> GateResult:
    config = ProjectConfig.model_validate({"source": ["api", "web"]})
    return run_gate(SecurityGate(), GateContext(root=root, config=config, evidence_dir=root / "evidence"))


def ours(result: GateResult) -> list[Finding]:
    return [f for f in result.findings if f.rule_id in API_RULES]


def planted(root: Path) -> set[tuple[str, str, int]]:
    marks = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if match := PLANTED.search(line):
                marks |= {(rule, path.relative_to(root).as_posix(), number) for rule in match.group(1).split(", ")}
    return marks


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GateResult]:
    root = Path(shutil.copytree(FIXTURES / "bad", tmp_path_factory.mktemp("api") / "bad"))
    return root, run(root)


def test_the_bad_fixture_reports_exactly_its_planted_flaws_and_every_rule(bad: tuple[Path, GateResult]) -> None:
    root, result = bad
    found = {(f.rule_id, f.path, f.line) for f in ours(result)}
    assert found == planted(root)
    assert {f.rule_id for f in ours(result)} == API_RULES, "bad/ must exercise every rule"
    gate = SecurityGate()
    assert all(f.category == gate.rule(f.rule_id).category and f.clause == gate.rule(f.rule_id).clause
               for f in ours(result))


def test_the_ok_fixture_reports_none_of_these_rules(tmp_path: Path) -> None:
    root = Path(shutil.copytree(FIXTURES / "ok", tmp_path / "ok"))
    result = run(root)
    assert result.status != "error", result.summary
    assert ours(result) == []


def test_unverified_tokens_and_back_doors_block_while_heuristic_rules_only_warn(bad: tuple[Path, GateResult]) -> None:
    _, result = bad
    assert result.status == "fail"
    blocking = {f.rule_id for f in ours(result) if f.severity == "high" and f.confidence != "low"}
    assert blocking == {"SC208", "SC213"}
    by_rule = {f.rule_id: f for f in ours(result)}
    assert {by_rule[r].confidence for r in ("SC210", "SC211", "SC214")} == {"low"}
    tokens = sorted((f.title, f.severity) for f in ours(result) if f.rule_id == "SC208")
    assert tokens == [("JWT accepted without verifying its signature", "high")] * 2 + [
        ("JWT decoded without a pinned algorithm list", "medium")]
    settings_switch = [f for f in ours(result) if f.rule_id == "SC213" and "settings.DEBUG" in (f.evidence or "")]
    assert [f.severity for f in settings_switch] == ["medium"]


def test_a_login_finding_is_about_its_endpoint_and_findings_never_carry_the_secret_values(
        bad: tuple[Path, GateResult]) -> None:
    root, result = bad
    logins = sorted((f.endpoint, f.severity) for f in ours(result) if f.rule_id == "SC214")
    assert logins == [("POST /api/auth/login", "medium"), ("POST /api/password-recovery/{email}", "medium"),
                      ("POST /login", "medium")]
    text = " ".join(f"{f.message} {f.evidence} {f.title}" for f in ours(result))
    assert not [key for key in KEYS if key in text]
    short = next(f for f in ours(result) if f.rule_id == "SC209" and "make_token" in f.message)
    assert "8 bytes" in short.message and "api/settings.py:4" in short.message
    enumeration = next(f for f in ours(result) if f.rule_id == "SC211" and f.path == "api/routes.py")
    assert "404 'User not found'" in enumeration.message and "401 'Wrong password'" in enumeration.message
    assert all(f.fingerprint for f in ours(result))
    del root


def test_a_global_limiter_lowers_the_login_finding_to_low(tmp_path: Path) -> None:
    root = tmp_path / "limited"
    (root / "api").mkdir(parents=True)
    (root / "api" / "__init__.py").write_text("", encoding="utf-8")
    (root / "api" / "main.py").write_text(
        "from fastapi import FastAPI\n"
        "from slowapi import Limiter\n"
        "from slowapi.util import get_remote_address\n\n"
        "app = FastAPI()\n"
        'limiter = Limiter(key_func=get_remote_address, default_limits=["100/minute"])\n'
        "app.state.limiter = limiter\n\n\n"
        '@app.post("/token")\n'
        "def issue_token(username: str, password: str) -> dict[str, str]:\n"
        '    return {"access_token": username}\n', encoding="utf-8")
    result = run(root)
    logins = [(f.rule_id, f.endpoint, f.severity) for f in ours(result)]
    assert logins == [("SC214", "POST /token", "low")]
    assert "api/main.py:6" in ours(result)[0].message


@pytest.mark.parametrize("pattern", [
    r"^(a+)+$", r"(\w+\s?)*$", r"(.*a){3,}", r"(.*a){20}", r"^(([a-z])+.)+[A-Z]([a-z])+$", r"^(\s*\w+)*$",
    r"(\d+)*x", r"(x+x+)+y", r"^([0-9a-zA-Z]([-.\w]*[0-9a-zA-Z])*@{1}([0-9a-zA-Z][-\w]*[0-9a-zA-Z]\.)+[a-zA-Z]{2,9})$",
    r"(\w+|\d+)*!", r"^(\d|[0-5]x)*$",
])
def test_patterns_with_ambiguous_nested_repeats_are_reported(pattern: str) -> None:
    assert redos_risk(pattern) is not None


@pytest.mark.parametrize("pattern", [
    r"^[\w.-]+@[\w-]+(\.[\w-]+)+$", r"([a-z0-9]+\.)+[a-z]+", r"([^,]+,)*", r"(\d{1,3}\.?){4}", r"\w+",
    r"^([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*\.)+[a-zA-Z]{2,}$", r"^[a-z]+(?:-[a-z]+)*$", r"(a|b)+", r'"(\\.|[^"\\])*"',
    r"(?:\s*,\s*\w+)*", r"(.*a){2}", r"^(\d+)(\.\d+)*$", r"(\w|\d)+x", r"[",
])
def test_linear_and_invalid_patterns_are_not_reported(pattern: str) -> None:
    assert redos_risk(pattern) is None
