"""The `security` gate: bandit, detect-secrets and our own rules over the routes, on fixture projects
written for it and on the example shop.

The bad fixture marks every planted defect with a `# planted: SCnnn` comment on the line the gate must
report; its findings are also pinned in tests/gates/golden/security.json (BO_UPDATE_GOLDEN=1 rewrites it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.report import GateResult
from backend_orchestrator.gates.base import GateContext, run_gate
from backend_orchestrator.gates.security import SecurityGate

FIXTURES = Path(__file__).parent / "fixtures" / "security"
GOLDEN = Path(__file__).parent / "golden" / "security.json"
PLANTED = re.compile(r"#.*\bplanted: (SC\d{3})")
PLANTED_ELSEWHERE = {("SC303", ".env", 3)}  # env files take no comment on the reported line
SECRET_VALUES = ("Zk3q9VxW2Lm8RtY5pQ7n", "dev-only-placeholder", "Xk82jdPq4w", "Adm1nT0kenXyZ9", "Vb72kLq9Zt",
                 "N4vQ8sLp2XwZ7rTm5KcY")


def fixture(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def context(root: Path, **config: object) -> GateContext:
    return GateContext(root=root, config=ProjectConfig.model_validate({"source": ["app"], **config}),
                       evidence_dir=root / "evidence")


def run(root: Path, **config: object) -> GateResult:
    return run_gate(SecurityGate(), context(root, **config))


def planted(root: Path) -> set[tuple[str, str, int]]:
    marks = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if match := PLANTED.search(line):
                marks.add((match.group(1), path.relative_to(root).as_posix(), number))
    return marks


def golden(result: GateResult) -> list[dict[str, object]]:
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line,
             "title": f.title, "fingerprint": f.fingerprint} for f in result.findings]
    return sorted(rows, key=lambda r: (str(r["path"]), int(str(r["line"])), str(r["rule_id"])))


def evidence_text(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted((root / "evidence").rglob("*")) if p.is_file())


@pytest.mark.parametrize("case", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(case: str, tmp_path: Path) -> None:
    root = fixture(case, tmp_path)
    result = run(root)
    expected = planted(root) | (PLANTED_ELSEWHERE if case == "bad" else set())
    assert {(f.rule_id, f.path, f.line) for f in result.findings} == expected
    gate = SecurityGate()
    assert all(f.category == gate.rule(f.rule_id).category for f in result.findings)
    if case == "ok":
        assert (result.status, result.findings) == ("pass", [])
        assert result.metrics["bandit_noise_dropped"] == result.metrics["bandit_issues"] == 6
        return
    assert result.status == "fail"
    assert {f.rule_id for f in result.findings} == {r.id for r in gate.rules}, "bad/ must exercise every rule"
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(golden(result), indent=2) + "\n", encoding="utf-8")
    assert golden(result) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_example_shop_reports_its_unauthenticated_delete_and_its_placeholder_secret_only(shop: Path) -> None:
    result = run(shop, source=["shop"])
    assert [(f.rule_id, f.severity, f.category, f.path, f.line) for f in result.findings] == [
        ("SC201", "high", "missing-auth", "shop/routers/products.py", 51),
        ("SC301", "low", "hardcoded-secret", "shop/config.py", 8),
    ]
    assert result.status == "fail"
    assert "DELETE /api/v1/products/{product_id}" in result.findings[0].message
    assert "require_admin" in result.findings[0].message  # the sibling operations' dependency, as a hint
    assert "placeholder" in result.findings[1].title.lower()
    assert "bandit B105" in (result.findings[1].evidence or "")  # merged, not reported twice
    assert result.metrics["bandit_issues"] == 1 and result.metrics["secrets_detected"] == 1
    assert sorted(result.evidence) == ["evidence/security/bandit.json", "evidence/security/detect-secrets.json"]
    assert "dev-only-insecure-secret-change-me" not in result.model_dump_json() + evidence_text(shop)


def test_secret_values_never_reach_findings_or_evidence_files(tmp_path: Path) -> None:
    root = fixture("bad", tmp_path)
    result = run(root)
    written = result.model_dump_json() + evidence_text(root)
    assert [value for value in SECRET_VALUES if value in written] == []


def test_request_data_makes_string_built_sql_high_while_typed_ids_and_untraced_strings_stay_medium(
        tmp_path: Path) -> None:
    root = fixture("bad", tmp_path)
    sql = {(f.path, f.line): f for f in run(root).findings if f.rule_id == "SC202"}
    assert {where: f.severity for where, f in sql.items()} == {
        ("app/routes/items.py", 12): "high",  # f-string with the query parameter q
        ("app/repo.py", 8): "high",  # % formatting, fed by a handler through a repository call
        ("app/routes/items.py", 23): "medium",  # f-string with an `int` path parameter
        ("app/repo.py", 14): "medium",  # concatenation no handler visibly feeds
    }
    assert "via items_in_category()" in (sql[("app/repo.py", 8)].evidence or "")
    assert all("also reported by bandit B608" in (f.evidence or "") for f in sql.values())


FLASK_APP = """\
import sqlite3
import subprocess

import requests
from flask import Flask, request
from flask_login import login_required

app = Flask(__name__)


@app.get("/fetch")
def fetch():
    return requests.get(request.args["url"], timeout=5).text


@app.post("/search")
@login_required
def search():
    rows = sqlite3.connect("blog.db").execute("SELECT * FROM posts WHERE title = '" + request.form["t"] + "'")
    return {"rows": rows.fetchall()}


@app.post("/render/<name>")
@login_required
def render(name):
    return {"out": subprocess.check_output(f"pandoc {name}.md", shell=True).decode()}
"""


def test_flask_request_data_is_traced_into_urls_sql_and_shells(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "main.py").write_text(FLASK_APP, encoding="utf-8")
    result = run(root)
    assert [(f.rule_id, f.severity, f.line) for f in result.findings] == [
        ("SC204", "high", 13), ("SC202", "high", 19), ("SC203", "high", 26)]


HANDLER = """\
import enum
import subprocess
from typing import Literal, Optional
from urllib.parse import urljoin

import httpx
import requests
from fastapi import FastAPI
from sqlalchemy import text

app = FastAPI()
BASE = "https://api.example.com/"


class Sort(str, enum.Enum):
    asc = "asc"

{helper}

@app.get("/x")
def handler(q: str, n: Optional[int] = None, order: Literal["asc", "desc"] = "asc", sort: Sort = Sort.asc,
            session=None, cursor=None):
{body}
"""
FIND = """
def find(session, term):
    return session.execute(text(f"SELECT * FROM t WHERE a = '{term}'"))
"""
TAINT_CASES = {
    "format": ('    cursor.execute("SELECT * FROM t WHERE a = \'{}\'".format(q))', [("SC202", "high")]),
    "augmented": ('    sql = "SELECT * FROM t WHERE 1 = 1"\n    sql += f" AND a = \'{q}\'"\n'
                  "    session.execute(text(sql))", [("SC202", "high")]),
    "statement": ("    session.execute(text(q))", [("SC202", "high")]),
    "keyword-call": ("    find(session=session, term=q)", [("SC202", "high")]),  # in `find`, defined below
    "optional-int": ('    session.execute(text(f"SELECT * FROM t LIMIT {n}"))', [("SC202", "medium")]),
    "literal-and-enum": ('    session.execute(text(f"SELECT * FROM t ORDER BY a {order}, b {sort}"))',
                         [("SC202", "medium")]),
    "sanitised": ('    session.execute(text(f"SELECT * FROM t WHERE id = {int(q)}"))', []),
    "urljoin": ("    httpx.get(urljoin(BASE, q), timeout=5)", [("SC204", "high")]),
    "fixed-host": ('    httpx.get(f"https://api.example.com/items/{q}", timeout=5)', []),
    "request-verb": ('    requests.request("GET", q, timeout=5)', [("SC204", "high")]),
    "format-host": ('    requests.get("{}/status".format(q), timeout=5)', [("SC204", "high")]),
    "format-path": ('    requests.get("https://api.example.com/{}".format(q), timeout=5)', []),
    "session-client": ("    s = requests.Session()\n    s.get(q, timeout=5)", [("SC204", "high")]),
    "argument-list": ('    subprocess.run(["/usr/bin/convert", q], timeout=5)', []),
}


@pytest.mark.parametrize("case", sorted(TAINT_CASES))
def test_request_data_is_traced_precisely_through_handlers(case: str, tmp_path: Path) -> None:
    body, expected = TAINT_CASES[case]
    helper = FIND if case == "keyword-call" else ""
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "main.py").write_text(HANDLER.replace("{body}", body).replace("{helper}", helper), encoding="utf-8")
    result = run(root)
    own = [(f.rule_id, f.severity) for f in result.findings if f.rule_id.startswith("SC2")]
    assert own == expected


def test_a_committed_private_key_is_reported_and_a_git_ignored_env_file_is_not(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "deploy").mkdir()
    body = "".join(chr(65 + (i * 7) % 26) for i in range(64))  # not a real key: only its armour matters
    (root / "deploy" / "server.pem").write_text(
        f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n", encoding="utf-8")
    (root / ".env").write_text("SESSION_SECRET=N4vQ8sLp2XwZ7rTm5KcY\n", encoding="utf-8")
    (root / ".gitignore").write_text("# local only\n.env\n", encoding="utf-8")
    result = run(root)
    assert [(f.rule_id, f.severity, f.path, f.title) for f in result.findings] == [
        ("SC303", "high", "deploy/server.pem", "Private key committed")]
    assert result.metrics["git_ignored_secret_files"] == 1 and result.metrics["key_files"] == 1
    assert body not in result.model_dump_json() + evidence_text(root)


@pytest.mark.parametrize(("value", "expected"), [("change-me", []), ("N4vQ8sLp2XwZ7rTm5KcY", [("SC303", "medium")])])
def test_an_example_env_file_is_reported_only_when_it_holds_real_looking_values(
        value: str, expected: list[tuple[str, str]], tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / ".env.example").write_text(f"APP_ENV=development\nSESSION_SECRET={value}\n", encoding="utf-8")
    result = run(root)
    assert [(f.rule_id, f.severity) for f in result.findings] == expected
    assert all(f.line == 2 and value not in f.message for f in result.findings)


def test_high_findings_within_the_allowed_number_leave_the_gate_at_warn(shop: Path) -> None:
    result = run(shop, source=["shop"], thresholds={"max_high_findings": 1})
    assert result.status == "warn"
    assert len(result.findings) == 2


def test_a_bandit_failure_is_an_error_that_keeps_the_findings_of_the_other_checks(
        shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend_orchestrator.gates import security_bandit

    fake = tmp_path / "broken-python"
    fake.write_text("#!/bin/sh\necho 'bandit: plugin failed to load' >&2\nexit 2\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setattr(security_bandit.sys, "executable", str(fake))
    result = run(shop, source=["shop"])
    assert result.status == "error"
    assert result.summary.startswith("bandit exited 2 without a report: bandit: plugin failed to load")
    assert [f.rule_id for f in result.findings] == ["SC201", "SC301"]


def test_a_cancelled_run_stops_with_an_error(shop: Path) -> None:
    ctx = context(shop, source=["shop"])
    ctx.cancelled.set()
    result = SecurityGate().run(ctx)
    assert (result.status, result.summary) == ("error", "cancelled")


def test_a_project_without_python_sources_is_not_applicable(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.status == "not-applicable"
    assert "no Python source files" in result.summary
