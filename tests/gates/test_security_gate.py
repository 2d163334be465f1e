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
PLANTED = re.compile(r"#.*\bplanted: (SC\d{3}(?: SC\d{3})*)")
# the OWASP API rules have fixtures of their own (tests/gates/fixtures/security_api, test_security_api_rules.py)
API_RULES = {f"SC{n}" for n in range(208, 215)}
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
                marks.update((rule, path.relative_to(root).as_posix(), number) for rule in match.group(1).split())
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
    assert {f.rule_id for f in result.findings} | API_RULES == {r.id for r in gate.rules}, \
        "bad/ must exercise every rule"
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(golden(result), indent=2) + "\n", encoding="utf-8")
    assert golden(result) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_the_example_shop_reports_its_unauthenticated_delete_its_unlimited_login_and_its_placeholder_secret_only(
        shop: Path) -> None:
    result = run(shop, source=["shop"])
    assert [(f.rule_id, f.severity, f.category, f.path, f.line) for f in result.findings] == [
        ("SC201", "high", "missing-auth", "shop/routers/products.py", 51),
        ("SC214", "medium", "rate-limiting", "shop/routers/auth.py", 12),  # the shop has no limiter (AD012)
        ("SC301", "low", "hardcoded-secret", "shop/config.py", 8),
    ]
    assert result.status == "fail"
    assert "DELETE /api/v1/products/{product_id}" in result.findings[0].message
    assert "require_admin" in result.findings[0].message  # the sibling operations' dependency, as a hint
    assert result.findings[1].confidence == "low" and not result.findings[1].blocking
    assert "placeholder" in result.findings[2].title.lower()
    assert "bandit B105" in (result.findings[2].evidence or "")  # merged, not reported twice
    assert result.metrics["bandit_issues"] == 1 and result.metrics["secrets_detected"] == 1
    assert sorted(result.evidence) == ["evidence/security/bandit.json", "evidence/security/detect-secrets.json",
                                       "evidence/security/unauthenticated-endpoints.json"]
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
    # an allowlist or a validator makes request data safe where it guards it, and only there
    "allowlist-reset": ('    if q not in ("name", "price"):\n        q = "name"\n'
                        '    session.execute(text(f"SELECT * FROM t ORDER BY {q}"))', []),
    "allowlist-exit": ('    if not q in SORTABLE:\n        return None\n'
                       '    session.execute(text("SELECT * FROM t ORDER BY " + q))', []),
    "allowlist-branch": ('    if order == "asc" and q in SORTABLE:\n'
                         '        session.execute(text(f"SELECT * FROM t ORDER BY {q} {order}"))', []),
    "allowlist-elsewhere": ('    if q in SORTABLE:\n        n = 1\n'
                            '    session.execute(text(f"SELECT * FROM t ORDER BY {q}"))', [("SC202", "high")]),
    "allowlisted-choice": ('    column = q if q in SORTABLE else "name"\n'
                           '    session.execute(text(f"SELECT * FROM t ORDER BY {column}"))', []),
    "quotes-doubled": ("    session.execute(text(\"SELECT * FROM t WHERE a = '{}'\".format(q.replace(\"'\", \"''\"))))",
                       []),
    "schema-statement": ('    session.execute(text(f"ALTER TABLE t ADD COLUMN c{n} INTEGER"))', []),
    "schema-statement-from-request": ('    session.execute(text(f"ALTER TABLE t ADD COLUMN {q} INTEGER"))',
                                      [("SC202", "high")]),
    "validated-url": ("    if not is_safe_url(q):\n        return None\n    httpx.get(q, timeout=5)", []),
    "unvalidated-url": ("    is_safe_url(q)\n    httpx.get(q, timeout=5)", [("SC204", "high")]),
    "operator-opt-in": ("    if ALLOW_LOCALHOST:\n        return requests.get(q, timeout=5).text\n"
                        "    return None", []),
}
HELPERS = {
    "keyword-call": FIND,
    "validated-url": "\ndef is_safe_url(url):\n    return url.startswith(BASE)\n",
    "unvalidated-url": "\ndef is_safe_url(url):\n    return url.startswith(BASE)\n",
}
PREAMBLE = 'SORTABLE = ("name", "price")\nALLOW_LOCALHOST = False\n'


@pytest.mark.parametrize("case", sorted(TAINT_CASES))
def test_request_data_is_traced_precisely_through_handlers(case: str, tmp_path: Path) -> None:
    body, expected = TAINT_CASES[case]
    helper = PREAMBLE + HELPERS.get(case, "")
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
    assert len(result.findings) == 3


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
    assert [f.rule_id for f in result.findings] == ["SC201", "SC214", "SC301"]


def test_a_cancelled_run_stops_with_an_error(shop: Path) -> None:
    ctx = context(shop, source=["shop"])
    ctx.cancelled.set()
    result = SecurityGate().run(ctx)
    assert (result.status, result.summary) == ("error", "cancelled")


def test_a_project_without_python_sources_is_not_applicable(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.status == "not-applicable"
    assert "no Python source files" in result.summary


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    for name, text in {"app/__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def own(result: GateResult) -> list[tuple[str, str, int | None]]:
    return [(f.rule_id, f.severity, f.line) for f in result.findings if f.rule_id.startswith("SC2")]


def test_endpoints_left_out_of_sc201_are_listed_in_the_evidence_with_the_reason(tmp_path: Path) -> None:
    root = fixture("ok", tmp_path)
    result = run(root)
    listed = json.loads((root / "evidence" / "security" / "unauthenticated-endpoints.json").read_text())["endpoints"]
    decisions = {e["endpoint"]: (e["decision"], e["why"]) for e in listed}
    assert decisions["POST /api/v1/public/password-recovery"][0] == "public by design"
    assert "secret in its URL (`token`)" in decisions["POST /api/v1/public/reset/{token}"][1]
    assert decisions["POST /api/v1/public/server/get_info"][0] == "changes nothing"
    assert decisions["DELETE /api/v1/public/docs/{name}"][0] == "changes nothing"
    assert decisions["POST /catalogue/{rest}"] == (
        "changes nothing", "its handler answers GET on this path with the same code and reads no request body")
    assert decisions["POST /language/auto-detect"][0] == "changes nothing"
    for checked in ("POST /api/v1/public/hooks/deploys", "POST /notes/{note_id}/favourite",
                    "POST /notes/{note_id}/unfavourite", "POST /dj/notes/{pk}/flag"):
        assert decisions[checked][0] == "checked in the handler", checked
    assert "refuses the request" in decisions["POST /notes/{note_id}/favourite"][1]
    assert "finding" not in {d for d, _ in decisions.values()}
    assert result.metrics["unauthenticated.finding"] == 0 and result.metrics["unauthenticated.public by design"] >= 4


def test_every_common_auth_decorator_mixin_and_hook_is_recognised(tmp_path: Path) -> None:
    from backend_orchestrator.discovery import scan

    root = fixture("ok", tmp_path)
    found = scan(root, context(root).config)
    auth = {e.ref: e.auth for e in found.endpoints.endpoints}
    assert auth["POST /notes/"] == ["login_required"]  # Flask-Login
    assert auth["PUT /notes/{note_id}"] == ["fresh_login_required"]
    assert auth["DELETE /notes/{note_id}"] == ["basic.login_required"]  # Flask-HTTPAuth
    assert auth["POST /notes/{note_id}/share"] == ["jwt_required"]  # Flask-JWT-Extended
    assert auth["POST /notes/{note_id}/archive"] == ["members_only"]  # a wrapper that checks the session
    assert auth["POST /admin/reindex"] == ["gate"]  # a before_request hook that aborts
    assert auth["POST /dj/notes/{pk}/archive"] == ["login_required"]
    assert auth["POST /dj/notes/{pk}/purge"] == ["permission_required"]
    assert auth["POST /dj/notes/{pk}/star"] == ["members_only"]
    assert auth["POST /dj/notes/{pk}/edit"] == ["LoginRequiredMixin"]
    assert auth["POST /dj/notes/{pk}/publish"] == ["PermissionRequiredMixin"]
    assert auth["POST /dj/notes/{pk}/review"] == ["UserPassesTestMixin"]
    assert auth["POST /dj/notes/"] == ["IsAuthenticated"]  # DRF permission_classes
    assert auth["POST /dj/notes/{pk}/tag"] == ["IsAuthenticated"]  # @permission_classes on an @api_view
    assert auth["GET /api/v1/projects/{project_id}"] == ["requires_project_access", "get_current_user"]


def test_a_drf_action_that_empties_its_permission_classes_is_unauthenticated(tmp_path: Path) -> None:
    from backend_orchestrator.discovery import scan

    root = fixture("bad", tmp_path)
    auth = {e.ref: e.auth for e in scan(root, context(root).config).endpoints.endpoints}
    assert auth["POST /dj/api/notes/"] == ["IsAuthenticated"]
    assert auth["POST /dj/api/notes/{pk}/wipe/"] == []
    django = [f for f in run(root).findings if f.rule_id == "SC201" and f.path == "app/dj/views.py"]
    assert [f.severity for f in django] == ["medium", "medium"]  # a Django view: project-wide auth is unseen
    assert all("middleware" in f.message for f in django)


def test_a_drf_default_permission_built_by_a_settings_helper_authenticates_writes(tmp_path: Path) -> None:
    from backend_orchestrator.discovery import scan

    root = project(tmp_path, {
        "app/drf.py": (
            "def drf_settings(require_login: bool) -> dict[str, object]:\n"
            "    return {'DEFAULT_PERMISSION_CLASSES': [\n"
            "        'rest_framework.permissions.IsAuthenticated' if require_login\n"
            "        else 'rest_framework.permissions.IsAuthenticatedOrReadOnly']}\n"),
        "app/views.py": (
            "from rest_framework import viewsets\n\n\nclass TagViewSet(viewsets.ModelViewSet):\n"
            "    queryset = None\n"),
        "app/urls.py": (
            "from rest_framework.routers import DefaultRouter\n\nfrom app import views\n\n"
            "router = DefaultRouter()\nrouter.register('tags', views.TagViewSet)\nurlpatterns = router.urls\n"),
    })
    found = scan(root, context(root).config).endpoints.endpoints
    assert {e.ref: e.auth for e in found}["DELETE /tags/{pk}/"] == [
        "IsAuthenticated (REST_FRAMEWORK default)", "IsAuthenticatedOrReadOnly (REST_FRAMEWORK default)"]


def test_a_dependency_named_by_a_module_level_depends_and_a_dependency_factory_authenticate(
        tmp_path: Path) -> None:
    root = project(tmp_path, {"app/main.py": """\
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Request
from fastapi.security import HTTPBearer

app = FastAPI()
router = APIRouter()
bearer = HTTPBearer()
CurrentToken = Depends(bearer)


def has_variable_access(variable_key: Annotated[str, Path()], token=CurrentToken) -> bool:
    return True


def requires_access(method: str):
    def inner(request: Request, token=CurrentToken) -> None:
        if method != "GET" and not token:
            raise HTTPException(403)

    return inner


@router.put("/variables/{variable_key}", dependencies=[Depends(has_variable_access)])
def put_variable(variable_key: str, value: str) -> dict[str, str]:
    return {variable_key: value}


@router.delete("/dags/{dag_id}", dependencies=[Depends(requires_access("DELETE"))])
def delete_dag(dag_id: str) -> None:
    return None


app.include_router(router)
"""})
    result = run(root)
    assert own(result) == []
    listed = json.loads((root / "evidence" / "security" / "unauthenticated-endpoints.json").read_text())
    assert listed == {"endpoints": []}


def test_auth_in_a_flask_handler_body_is_seen_and_a_not_found_check_is_not_auth(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/main.py": """\
from flask import Flask, abort, g, redirect, request, session, url_for

app = Flask(__name__)
NOTES: dict[int, str] = {}


@app.post("/notes/<int:note_id>/a")
def a(note_id):
    if not g.user:
        abort(401)
    NOTES[note_id] = request.form["text"]
    return "", 204


@app.post("/notes/<int:note_id>/b")
def b(note_id):
    if session.get("user_id") is None:
        return redirect(url_for("login"))
    NOTES.pop(note_id)
    return "", 204


@app.post("/notes/<int:note_id>/c")
def c(note_id):
    if note_id not in NOTES:
        abort(404)
    NOTES.pop(note_id)
    return "", 204
"""})
    assert own(run(root)) == [("SC201", "high", 24)]  # c: a 404 for a missing note authenticates nobody


def test_cli_commands_are_not_request_data_sources(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/main.py": """\
import argparse
import os
import subprocess

import click
import typer
from flask import Flask, request

app = Flask(__name__)
cli = typer.Typer()


@click.command()
@click.argument("name")
def archive(name):
    subprocess.run(f"tar czf /tmp/{name}.tgz /srv", shell=True, timeout=60)


@cli.command()
def restore(name: str):
    os.system(f"tar xzf /tmp/{name}.tgz")


@app.cli.command("purge")
@click.argument("path")
def purge(path):
    os.system("rm -rf " + path)


def main():
    args = argparse.ArgumentParser().parse_args()
    os.system(f"convert {args.input} out.png")


@app.post("/render")
def render():
    return {"code": os.system("pandoc " + request.form["name"])}
"""})
    assert own(run(root)) == [("SC201", "high", 36), ("SC203", "high", 37)]  # the route only


def test_only_the_data_of_a_request_object_is_request_data(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/main.py": """\
import httpx
from fastapi import FastAPI, Request
from sqlalchemy import text

app = FastAPI()


@app.get("/a")
async def a(request: Request, session=None):
    session.execute(text(f"SELECT * FROM t WHERE owner = {request.user.id} AND app = '{request.app.title}'"))
    return httpx.get(f"{request.base_url}status", timeout=5).text  # the server's own address


@app.get("/b")
async def b(request: Request, session=None):
    body = await request.json()
    session.execute(text(f"SELECT * FROM t WHERE name = '{body['name']}'"))
    return lookup(request)


def lookup(req):
    return httpx.get(req.query_params["next"], timeout=5).text
"""})
    assert sorted(own(run(root))) == [("SC202", "high", 17), ("SC202", "medium", 10), ("SC204", "high", 22)]


def test_django_request_data_is_traced_in_function_and_class_based_views(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "app/views.py": """\
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.views import View


@login_required
def search(request):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM notes WHERE title = '{request.GET['q']}' AND owner = {request.user.pk}")
        return JsonResponse({"rows": cursor.fetchall()})


class Export(View):
    def post(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM notes WHERE tag = '%s'" % self.request.POST["tag"])
            return JsonResponse({"rows": cursor.fetchall()})
""",
        "app/urls.py": """\
from django.urls import path

from app import views

urlpatterns = [path("search", views.search), path("export", views.Export.as_view())]
""",
    })
    result = run(root)
    assert sorted(own(result)) == [("SC201", "medium", 14), ("SC202", "high", 10), ("SC202", "high", 17)]
    assert {f.line: f.message.split(")")[0].rpartition("(")[2] for f in result.findings if f.rule_id == "SC202"} == {
        10: "request.GET", 17: "self.request.POST"}


def test_a_public_looking_word_does_not_make_a_change_of_data_public(tmp_path: Path) -> None:
    root = project(tmp_path, {"app/main.py": """\
from fastapi import FastAPI

app = FastAPI()
FEEDS: dict[int, int] = {}


@app.post("/auth/refresh")
def refresh_token(refresh_token: str) -> dict[str, str]:
    FEEDS.clear()
    return {"access_token": refresh_token[::-1]}


@app.post("/invites/{token}/accept")
def accept_invite(token: str) -> dict[str, str]:
    FEEDS[len(FEEDS)] = 0
    return {"accepted": token}


@app.post("/feeds/{feed_id}/refresh")
def refresh_feed(feed_id: int) -> dict[str, int]:
    FEEDS[feed_id] = FEEDS.get(feed_id, 0) + 1
    return {"fetched": FEEDS[feed_id]}


@app.post("/orders/{order_key}/confirm")
def confirm_order(order_key: str) -> dict[str, str]:
    FEEDS.clear()
    return {"confirmed": order_key}


@app.post("/reports/get_or_create")
def get_or_create_report(name: str) -> dict[str, str]:
    FEEDS.setdefault(len(FEEDS), 0)
    return {"name": name}
"""})
    assert sorted(own(run(root))) == [("SC201", "high", 20), ("SC201", "high", 26), ("SC201", "high", 32)]


# --- SC201 on Django: a dispatch that checks, a project middleware that refuses anonymous requests ----------

DJANGO_VIEWS = '''\
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.decorators.http import require_POST

from app.models import Note


class GuardedView(View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("/accounts/login/")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return HttpResponse(status=204)


class CheckedBase(View):
    def dispatch(self, request, *args, **kwargs):
        if not self.may_edit():
            raise Http404()
        return super().dispatch(request, *args, **kwargs)

    def may_edit(self):
        return self.request.user.has_perm("app.change_note")


class ArchiveNote(CheckedBase):
    def post(self, request, pk):
        Note.objects.filter(pk=pk).update(archived=True)
        return HttpResponse(status=204)


class OpenNote(CheckedBase):
    def may_edit(self):
        return True

    def post(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return HttpResponse(status=204)


class ShortCircuit(CheckedBase):
    def dispatch(self, request, *args, **kwargs):
        return self.post(request, *args, **kwargs)

    def post(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return HttpResponse(status=204)


class LateCheck(View):
    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if not request.user.is_authenticated:
            raise PermissionDenied()
        return response

    def post(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return HttpResponse(status=204)


class StaffOnly(UserPassesTestMixin):
    def test_func(self):
        return self.request.user.is_staff


class PublishNote(StaffOnly, View):
    def post(self, request, pk):
        Note.objects.filter(pk=pk).update(published=True)
        return HttpResponse(status=204)


@require_POST
def purge(request, pk):
    Note.objects.filter(pk=pk).delete()
    return HttpResponse(status=204)
'''
DJANGO_URLS = '''\
from django.urls import path

from app import views

urlpatterns = [
    path("guarded/<int:pk>/delete", views.GuardedView.as_view()),
    path("archive/<int:pk>/do", views.ArchiveNote.as_view()),
    path("open/<int:pk>/delete", views.OpenNote.as_view()),
    path("short/<int:pk>/delete", views.ShortCircuit.as_view()),
    path("late/<int:pk>/delete", views.LateCheck.as_view()),
    path("publish/<int:pk>/do", views.PublishNote.as_view()),
    path("purge/<int:pk>", views.purge),
]
'''
DJANGO_MODELS = "from django.db import models\n\n\nclass Note(models.Model):\n    text = models.TextField()\n"


def django_project(tmp_path: Path, files: dict[str, str]) -> Path:
    return project(tmp_path, {"app/models.py": DJANGO_MODELS, "app/views.py": DJANGO_VIEWS,
                              "app/settings.py": 'ROOT_URLCONF = "app.urls"\n', "app/urls.py": DJANGO_URLS,
                              **files})


def sc201(result: GateResult) -> list[str]:
    return sorted(str(f.endpoint) for f in result.findings if f.rule_id == "SC201")


def decisions(root: Path) -> dict[str, tuple[str, str]]:
    listed = json.loads((root / "evidence" / "security" / "unauthenticated-endpoints.json").read_text())["endpoints"]
    return {e["endpoint"]: (e["decision"], e["why"]) for e in listed}


def test_a_django_dispatch_that_checks_before_handing_on_lets_the_view_through(tmp_path: Path) -> None:
    root = django_project(tmp_path, {})
    found = sc201(run(root))
    # no check: a plain view; a check the subclass opens (`may_edit` returns True), cuts off (a dispatch
    # that does not call super()) or runs after the handler
    assert found == ["POST /late/{pk}/delete", "POST /open/{pk}/delete", "POST /purge/{pk}",
                     "POST /short/{pk}/delete"]
    decided = decisions(root)
    assert decided["POST /guarded/{pk}/delete"][0] == "checked in the handler"
    assert "in `dispatch`" in decided["POST /guarded/{pk}/delete"][1]
    assert decided["POST /archive/{pk}/do"][0] == "checked in the handler"  # inherited, through `may_edit()`
    assert "`dispatch` of `CheckedBase`" in decided["POST /archive/{pk}/do"][1]
    assert "POST /publish/{pk}/do" not in decided  # UserPassesTestMixin (a project mixin's test_func): auth


PREFIX_MIDDLEWARE = '''\
from django.contrib.auth.views import redirect_to_login


class BackofficeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/static/"):
            return self.get_response(request)
        path = request.path_info
        if path.startswith(("/backoffice/", "/staff/")) and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
'''
NAMESPACE_MIDDLEWARE = '''\
from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import resolve
from django.utils.deprecation import MiddlewareMixin


class ManageMiddleware(MiddlewareMixin):
    PUBLIC = ("manage-login",)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = resolve(request.path_info)
        if "manage" in match.namespaces:
            return self.require_login(request, match)
        return None

    def require_login(self, request, match):
        if request.user.is_anonymous and match.url_name not in self.PUBLIC:
            return HttpResponseRedirect(settings.LOGIN_URL)
        return None
'''
OPAQUE_MIDDLEWARE = '''\
from django.contrib.auth.views import redirect_to_login


def login_everywhere(get_response):
    def middleware(request):
        if getattr(request, "public_view", False):
            return get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return get_response(request)

    return middleware
'''
LOGGING_MIDDLEWARE = '''\
import logging


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            logging.getLogger(__name__).info("anonymous %s", request.path)
        return self.get_response(request)
'''


def middleware_settings(*names: str) -> str:
    listed = ", ".join(repr(n) for n in ("django.contrib.auth.middleware.AuthenticationMiddleware", *names))
    return f'ROOT_URLCONF = "app.urls"\nMIDDLEWARE = [{listed}]\n'


def test_a_middleware_that_redirects_anonymous_requests_under_a_path_prefix_protects_those_routes(
        tmp_path: Path) -> None:
    root = django_project(tmp_path, {
        "app/middleware.py": PREFIX_MIDDLEWARE,
        "app/settings.py": middleware_settings("app.middleware.BackofficeMiddleware"),
        "app/urls.py": DJANGO_URLS.replace('    path("purge/<int:pk>", views.purge),\n',
                                           '    path("purge/<int:pk>", views.purge),\n'
                                           '    path("backoffice/purge/<int:pk>", views.purge),\n'
                                           '    path("staff/open/<int:pk>", views.OpenNote.as_view()),\n'),
    })
    found = sc201(run(root))
    assert "POST /purge/{pk}" in found and "POST /open/{pk}/delete" in found  # outside the guarded prefixes
    assert "POST /backoffice/purge/{pk}" not in found and "POST /staff/open/{pk}" not in found
    decision, why = decisions(root)["POST /backoffice/purge/{pk}"]
    assert decision == "protected by middleware"
    assert "app.middleware.BackofficeMiddleware" in why and "startswith" in why and "may protect" not in why


def test_a_middleware_that_guards_a_url_namespace_protects_the_routes_its_include_declares(tmp_path: Path) -> None:
    root = django_project(tmp_path, {
        "app/middleware.py": NAMESPACE_MIDDLEWARE,
        "app/settings.py": middleware_settings("app.middleware.ManageMiddleware"),
        "app/manage_urls.py": ('from django.urls import path\n\nfrom app import views\n\napp_name = "manage"\n'
                               'urlpatterns = [path("purge/<int:pk>", views.purge)]\n'),
        "app/urls.py": DJANGO_URLS.replace("from django.urls import path", "from django.urls import include, path")
        .replace("]\n", '    path("manage/", include("app.manage_urls")),\n]\n'),
    })
    found = sc201(run(root))
    assert "POST /manage/purge/{pk}" not in found and "POST /purge/{pk}" in found
    decision, why = decisions(root)["POST /manage/purge/{pk}"]
    assert decision == "protected by middleware" and "'manage' in resolve(request.path_info).namespaces" in why


def test_a_middleware_whose_conditions_cannot_be_mapped_may_protect_every_django_route(tmp_path: Path) -> None:
    root = django_project(tmp_path, {
        "app/middleware.py": OPAQUE_MIDDLEWARE,
        "app/settings.py": middleware_settings("app.middleware.login_everywhere"),
    })
    assert sc201(run(root)) == []
    decision, why = decisions(root)["POST /purge/{pk}"]
    assert decision == "protected by middleware" and why.startswith("a middleware may protect it")


def test_a_middleware_not_in_settings_or_that_refuses_nobody_protects_nothing(tmp_path: Path) -> None:
    root = django_project(tmp_path, {
        "app/middleware.py": PREFIX_MIDDLEWARE.replace('"/backoffice/", "/staff/"', '"/"') + LOGGING_MIDDLEWARE,
        "app/settings.py": middleware_settings("app.middleware.AuditMiddleware"),  # not BackofficeMiddleware
    })
    assert "POST /purge/{pk}" in sc201(run(root))
    assert "protected by middleware" not in {d for d, _ in decisions(root).values()}
