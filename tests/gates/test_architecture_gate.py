"""The `architecture` gate: the mission's anti-patterns found with `ast` in route handlers, async code, outbound
calls and configuration, on fixture projects (each planted defect marked `# expect: ARnnn` on its line), on
examples/shop and on edge cases."""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.registry import Endpoint, EndpointRegistry, ModelRegistry, ServiceRegistry
from backend_orchestrator.contracts.report import Finding, GateResult
from backend_orchestrator.gates.architecture import ArchitectureGate
from backend_orchestrator.gates.base import GateContext, Registries, run_gate

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "architecture"
GOLDEN = HERE / "golden" / "architecture.json"
EXPECT = re.compile(r"# expect: ((?:AR\d{3} ?)+)")


def copy_fixture(name: str, dest: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, dest / name, ignore=shutil.ignore_patterns("__pycache__")))


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def run(root: Path, registries: Registries | None = None) -> GateResult:
    ctx = GateContext(root=root.resolve(), config=load_config(root), evidence_dir=root / "evidence")
    ctx._registries = registries
    return run_gate(ArchitectureGate(), ctx)


def located(findings: list[Finding]) -> set[tuple[str, str | None, int | None]]:
    return {(f.rule_id, f.path, f.line) for f in findings}


def planted(root: Path) -> set[tuple[str, str | None, int | None]]:
    """Every `# expect: AR001 AR009` marker of a fixture, as (rule, path, line)."""
    found = set()
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if match := EXPECT.search(line):
                found.update((rule, path.relative_to(root).as_posix(), number) for rule in match.group(1).split())
    return found


def pinned(findings: list[Finding]) -> list[dict[str, object]]:
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line,
             "title": f.title, "fingerprint": f.fingerprint} for f in findings]
    return sorted(rows, key=lambda r: (str(r["path"]), r["line"] or 0, str(r["rule_id"])))


@pytest.mark.parametrize("name", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(name: str, tmp_path: Path) -> None:
    root = copy_fixture(name, tmp_path)
    result = run(root)
    assert located(result.findings) == planted(root), result.summary
    if name == "ok":
        assert (result.status, result.findings) == ("pass", [])
        assert result.metrics["handlers"] == 7 and result.metrics["handlers_not_found"] == 0
        return
    assert result.status == "fail"
    assert {f.rule_id for f in result.findings} == {r.id for r in ArchitectureGate.rules}, "every rule planted"
    rows = pinned(result.findings)
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert rows == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_findings_carry_the_rule_s_category_clause_and_cwe(tmp_path: Path) -> None:
    result = run(copy_fixture("bad", tmp_path))
    categories = {f.rule_id: (f.category, f.clause, f.severity) for f in result.findings}
    assert categories["AR001"] == ("db-in-route", "BS-AP-001", "medium")
    assert categories["AR002"] == ("logic-in-route", "BS-AP-002", "low")
    assert categories["AR004"] == ("hardcoded-config", "BS-AP-003", "high")
    assert categories["AR007"] == ("missing-timeout", "BS-AP-005", "medium")
    assert categories["AR008"] == ("missing-timeout", "BS-AP-005", "low")
    assert categories["AR009"] == ("blocking-call-in-async", "BS-AP-006", "high")
    assert categories["AR010"] == ("slow-side-effect", "BS-AP-009", "low")
    assert {f.cwe for f in result.findings if f.rule_id in ("AR007", "AR008")} == {400}
    handlers = json.loads((tmp_path / "bad" / "evidence" / "architecture" / "handlers.json").read_text("utf-8"))
    create = next(h for h in handlers["handlers"] if h["handler"] == "create_item")
    assert (create["statements"], create["complexity"]) == (22, 12)
    assert result.evidence == ["evidence/architecture/handlers.json"]


def test_no_credential_value_appears_in_the_report(tmp_path: Path) -> None:
    result = run(copy_fixture("bad", tmp_path))
    text = result.model_dump_json()
    for secret in ("s3cr3t-pw", "please-change-me", "tok-live-0123456789"):
        assert secret not in text
    database = next(f for f in result.findings if f.rule_id == "AR004" and f.line == 10)
    assert "postgresql://app:***@db.internal:5432/app" in database.message


def test_the_shop_has_thin_handlers_and_one_fallback_secret(shop: Path) -> None:
    result = run(shop)
    assert result.metrics["handlers"] == 12 and result.metrics["handlers_not_found"] == 0
    assert not [f for f in result.findings if f.category == "db-in-route"], "the shop's handlers call services"
    assert located(result.findings) == {("AR004", "shop/config.py", 23)}
    secret = result.findings[0]
    assert "SHOP_SECRET_KEY" in secret.message and "dev-only" not in secret.model_dump_json()
    assert result.status == "fail"
    assert result.duration_s < 5


def test_flask_sqlalchemy_and_raw_engine_access_in_handlers_is_database_access(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy
            from sqlalchemy import create_engine, text

            app = Flask(__name__)
            db = SQLAlchemy(app)
            engine = create_engine(app.config["DATABASE_URL"])


            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)


            @app.route("/api/v1/users/<int:user_id>")
            def read_user(user_id):
                return {"id": User.query.filter_by(id=user_id).first_or_404().id}


            @app.route("/api/v1/users", methods=["POST"])
            def create_user():
                db.session.add(User())
                db.session.commit()
                return {}, 201


            @app.route("/api/v1/stats")
            def stats():
                with engine.connect() as connection:
                    return {"users": connection.execute(text("select count(*) from users")).scalar()}
        """,
    })
    result = run(root)
    assert located(result.findings) == {("AR001", "app/main.py", 16), ("AR001", "app/main.py", 21),
                                        ("AR001", "app/main.py", 28)}
    assert "User.query.filter_by()" in result.findings[0].message
    assert "engine.connect()" in result.findings[2].message and "text()" in result.findings[2].message


def test_flask_sqlalchemy_helpers_and_a_session_held_by_another_object_are_database_access(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/extensions.py": """
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()
        """,
        "app/library.py": """
            from sqlalchemy.orm import sessionmaker


            class Library:
                def __init__(self):
                    self.session = sessionmaker()()


            library = Library()
        """,
        "app/views.py": """
            from flask import Blueprint, session
            from sqlalchemy import select

            from app.extensions import db
            from app.library import library
            from app.models import Book, User

            bp = Blueprint("books", __name__)


            @bp.get("/users/<int:user_id>")
            def user(user_id):
                return {"name": db.get_or_404(User, user_id).name}


            @bp.get("/users/by-name/<name>")
            def user_by_name(name):
                return {"id": db.first_or_404(select(User).filter_by(name=name)).id}


            @bp.get("/users/one/<name>")
            def one_user(name):
                return {"id": db.one_or_404(select(User).filter_by(name=name)).id}


            @bp.get("/users")
            def users():
                return {"page": [u.id for u in db.paginate(select(User).order_by(User.id))]}


            @bp.get("/books/<int:book_id>")
            def book(book_id):
                return {"title": Book.query.filter_by(id=book_id).first().title}


            @bp.get("/books/count")
            def count():
                return {"books": db.session.execute(select(Book)).all()}


            @bp.get("/shelf/<int:shelf_id>")
            def shelf(shelf_id):
                return {"books": library.session.query(Book).filter(Book.shelf == shelf_id).count()}


            @bp.get("/me")
            def me():
                return {"user": session.get("user_id")}
        """,
        "app/models.py": """
            from app.extensions import db


            class User(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                name = db.Column(db.String(80))


            class Book(db.Model):
                id = db.Column(db.Integer, primary_key=True)
                shelf = db.Column(db.Integer)
        """,
        "app/main.py": """
            from flask import Flask

            from app.views import bp

            app = Flask(__name__)
            app.register_blueprint(bp)
        """,
    })
    result = run(root)
    found = {f.line: f.evidence for f in result.findings if f.rule_id == "AR001"}
    assert found == {
        13: "db.get_or_404() (line 13)", 18: "db.first_or_404() (line 18), select() (line 18)",
        23: "db.one_or_404() (line 23), select() (line 23)", 28: "db.paginate() (line 28), select() (line 28)",
        33: "Book.query.filter_by() (line 33)", 38: "db.session.execute() (line 38), select() (line 38)",
        43: "library.session.query() (line 43)"}


def test_an_error_handled_by_the_caller_or_an_app_wide_handler_is_not_reported(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/clients.py": """
            import aiohttp
            import requests


            def fetch(url):
                return requests.get(url, timeout=5).json()


            async def fetch_async(url):
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
                    async with session.get(url) as response:
                        return await response.json()
        """,
        "app/main.py": """
            import aiohttp
            import requests
            from fastapi import FastAPI, HTTPException

            from app.clients import fetch

            app = FastAPI()
            app.add_exception_handler(aiohttp.ClientError, lambda request, exc: None)


            @app.get("/api/v1/quotes")
            def quotes():
                try:
                    return fetch("/quotes")
                except requests.RequestException as exc:
                    raise HTTPException(502, "quotes unavailable") from exc
        """,
    })
    result = run(root)
    assert result.findings == []
    assert result.status == "pass"


def test_async_code_that_hands_blocking_work_to_a_thread_is_not_blocking(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import asyncio
            import subprocess
            import urllib.request

            from fastapi import FastAPI

            app = FastAPI()


            @app.get("/api/v1/reports")
            async def reports():
                await asyncio.to_thread(lambda: subprocess.run(["ls"], check=True))
                subprocess.run(["ls"], check=True)
                return {}


            async def poll(url):
                return urllib.request.urlopen(url, timeout=3).read()
        """,
    })
    result = run(root)
    assert located(result.findings) == {("AR009", "app/main.py", 13), ("AR009", "app/main.py", 18),
                                        ("AR005", "app/main.py", 18)}
    assert "asyncio.create_subprocess_exec" in result.findings[0].message


def test_untyped_sessions_sync_httpx_and_smtplib_block_an_async_handler(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import os
            import smtplib

            import httpx
            from fastapi import Depends, FastAPI

            from app.deps import get_db

            app = FastAPI()
            HOOKS = [print]
            BROKER_PORT = "5672"
            STATS_HOST: str = "stats.internal.example.com"
            REPLICA_URL = os.environ.get("REPLICA_URL", "postgresql://ro:r3plica-pw@replica.internal/db")


            @app.post("/api/v1/orders", status_code=201)
            async def place(db=Depends(get_db)):
                HOOKS[0]("placing")
                db.execute("select 1")
                db.add(object())
                await _audit()
                try:
                    httpx.post("/orders", timeout=3)
                    with smtplib.SMTP("mail.internal", 25, timeout=5) as smtp:
                        smtp.sendmail("a@example.com", ["b@example.com"], "placed")
                except (httpx.HTTPError, smtplib.SMTPException) as exc:
                    raise RuntimeError("notification failed") from exc
                return {}


            async def _audit():
                return os.environ.get("AUDIT_TOKEN")
        """,
        "app/deps.py": "def get_db():\n    yield None\n",
    })
    result = run(root)
    assert {(f.rule_id, f.line) for f in result.findings} == {
        ("AR003", 11), ("AR003", 12), ("AR004", 13),
        ("AR001", 19), ("AR009", 19), ("AR009", 23), ("AR009", 24), ("AR009", 25),
    }
    assert "r3plica-pw" not in result.model_dump_json()


def test_side_effects_in_sync_handlers_are_low_and_only_low_findings_make_a_warning(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import time

            import httpx
            from fastapi import FastAPI
            from twilio.rest import Client

            app = FastAPI()
            sms = Client()


            @app.post("/api/v1/alerts", status_code=201)
            def alert(number: str):
                time.sleep(1)
                try:
                    sms.messages.create(to=number, body="alert")
                    httpx.post("https://hooks.example.com/alert", timeout=2)
                except Exception as exc:
                    raise RuntimeError("alert failed") from exc
                return {}


            async def hook():
                async with httpx.AsyncClient() as client:
                    return await client.get("/hook")
        """,
    })
    result = run(root)
    assert {(f.rule_id, f.line, f.severity) for f in result.findings} == {
        ("AR010", 13, "low"), ("AR010", 15, "low"), ("AR003", 16, "medium"), ("AR008", 23, "low"),
        ("AR005", 24, "medium"),
    }
    assert {f.rule_id: f.message for f in result.findings if f.line == 15}["AR010"].count("SMS") == 1
    root_low = write(tmp_path / "low", {"app/__init__.py": "", "app/main.py": """
        import httpx


        async def hook():
            async with httpx.AsyncClient() as client:
                try:
                    return await client.get("/hook")
                except httpx.HTTPError as exc:
                    raise LookupError("hook failed") from exc
    """})
    low = run(root_low)
    assert (low.status, [f.rule_id for f in low.findings]) == ("warn", ["AR008"])


def test_swallowed_exceptions_and_flask_config_literals_are_reported(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import FastAPI

            app = FastAPI()
            app.state.config = {}
            app.state.config["CACHE_URL"] = "redis://cache.internal:6379"
            BACKUP = {"target": "mysql://backup:hunter2-pw@backup.internal/db"}


            @app.get("/api/v1/ping")
            def ping():
                try:
                    return {"pong": True}
                except Exception:
                    pass
        """,
    })
    result = run(root)
    assert located(result.findings) == {("AR003", "app/main.py", 5), ("AR004", "app/main.py", 6),
                                        ("AR006", "app/main.py", 13)}
    assert "hunter2-pw" not in result.model_dump_json()


def test_unparsable_files_and_very_long_expressions_do_not_stop_the_gate(tmp_path: Path) -> None:
    chain = "query" + ".where(x)" * 950  # as deep as the parser goes: far deeper than the recursion limit
    terms = " + ".join(f"'p{n}'" for n in range(950))
    root = write(tmp_path, {
        "app/__init__.py": "",
        "app/broken.py": "def broken(:\n",
        "app/long.py": f"import time\n\n\nasync def build(query, x):\n    time.sleep(0)\n    return {chain}, {terms}\n",
    })
    result = run(root)
    assert located(result.findings) == {("AR009", "app/long.py", 5)}


def test_a_registry_that_points_at_no_function_is_counted_not_guessed(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/main.py": "def ping():\n    return 1\n"})
    endpoint = Endpoint(method="GET", path="/gone", handler="app.main:gone", file="app/main.py", line=40)
    elsewhere = Endpoint(method="GET", path="/elsewhere", handler="app.other:x", file="app/other.py", line=1)
    moved = Endpoint(method="GET", path="/ping", handler="app.main:ping", file="app/main.py", line=7)
    registries = Registries(EndpointRegistry(endpoints=[endpoint, elsewhere, moved]), ModelRegistry(),
                            ServiceRegistry())
    result = run(root, registries)
    assert result.status == "pass" and result.metrics["handlers_not_found"] == 2
    assert result.metrics["handlers"] == 1, "a handler that moved is found by its name"
    assert "2 handler(s) not found" in result.summary


def test_a_project_without_python_files_is_not_applicable_and_a_cancelled_run_is_an_error(tmp_path: Path) -> None:
    empty = run(tmp_path)
    assert (empty.status, empty.summary) == ("not-applicable", "no Python source files in the project")
    write(tmp_path, {"app/__init__.py": "", "app/main.py": "X = 1\n"})
    ctx = GateContext(root=tmp_path.resolve(), config=ProjectConfig(), evidence_dir=tmp_path / "evidence")
    ctx.cancelled.set()
    assert run_gate(ArchitectureGate(), ctx).status == "error"
