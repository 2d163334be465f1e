"""Sub-apps made by methods and mounted elsewhere, and routes in a branch the reader does not follow.

The `mounted_apps` fixture is the shape of an API server whose auth manager (a class chosen at run time,
declared by the return annotation of the function that creates it) contributes a FastAPI app mounted at
/auth, whose internal app is built by a method that mounts another method's app, and whose `GET /` exists
only when a statics folder does not (a condition no reader settles).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import Discovery, scan

from .support import FIXTURES, dump, endpoint, refs, write


@cache
def mounted() -> Discovery:
    return scan(FIXTURES / "mounted_apps", ProjectConfig())


def reasons(found: Discovery) -> dict[tuple[str, int], str]:
    return {(u.file, u.line): u.reason for u in found.endpoints.unresolved}


def test_the_scan_of_the_fixture_matches_its_reviewed_expectation() -> None:
    expected = json.loads((FIXTURES / "mounted_apps" / "expected.json").read_text(encoding="utf-8"))
    assert dump(mounted()) == expected


def test_an_app_returned_by_the_only_override_that_returns_one_is_mounted_under_its_prefix() -> None:
    found = mounted()
    assert endpoint(found, "POST /auth/token").handler == "svc.auth.routes:create_token"
    assert endpoint(found, "GET /auth/token/login").handler == "svc.auth.routes:login"
    catch_all = endpoint(found, "GET /auth/{rest_of_path:path}")
    assert (catch_all.handler, catch_all.hidden) == ("svc.auth.simple:webapp", True)
    assert not [ref for ref in refs(found) if ref.split(" ")[1].startswith("/token")]  # not at the root
    choice = next(r for r in found.endpoints.resolved if r.expression == "manager.get_app()")
    assert (choice.file, choice.line, choice.value) == ("svc/main.py", 16, "SimpleAuthManager.get_app")
    assert choice.sources == ["svc/auth/simple.py:7"]
    assert "returns a BaseAuthManager (its return annotation)" in choice.detail
    assert "only SimpleAuthManager's returns an app (not: BaseAuthManager)" in choice.detail


def test_a_parameter_the_function_is_called_with_an_app_for_is_not_its_default() -> None:
    # init_auth(app: FastAPI | None = None) is called with the app: `if app and ...` is not settled as False
    found = mounted()
    assert "inside a conditional block" in reasons(found)[("svc/main.py", 17)]
    assert not [r for r in found.endpoints.resolved if r.expression.startswith("app and")]


def test_an_app_built_by_a_method_of_self_is_mounted_where_that_app_is_mounted() -> None:
    assert endpoint(mounted(), "GET /internal/v1/ping").handler == "svc.server:ping"


def test_a_route_in_the_else_branch_of_a_condition_that_does_not_resolve_is_an_alternative() -> None:
    found = mounted()
    assert "GET /" not in refs(found)
    reason = reasons(found)[("svc/main.py", 28)]
    assert "route GET '/' (index) is in a later branch of `if _statics_exist()` (line 24)" in reason
    assert "listed as an alternative and not followed" in reason


def test_overrides_returning_different_apps_are_not_guessed(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/plugins.py": (
                "from fastapi import FastAPI\n\n\n"
                "class Plugin:\n"
                "    def app(self) -> FastAPI | None:\n"
                "        return None\n\n\n"
                "class Metrics(Plugin):\n"
                "    def app(self) -> FastAPI | None:\n"
                "        metrics = FastAPI()\n\n"
                "        @metrics.get('/count')\n"
                "        def count() -> int:\n"
                "            return 1\n\n"
                "        return metrics\n\n\n"
                "class Admin(Plugin):\n"
                "    def app(self) -> FastAPI | None:\n"
                "        admin = FastAPI()\n\n"
                "        @admin.get('/users')\n"
                "        def users() -> list[str]:\n"
                "            return []\n\n"
                "        return admin\n"
            ),
            "api/main.py": (
                "from fastapi import FastAPI\n\n"
                "from .plugins import Plugin\n\n\n"
                "def mount_plugin(app: FastAPI, plugin: Plugin) -> None:\n"
                "    app.mount('/plugin', plugin.app())\n\n\n"
                "app = FastAPI()\n"
            ),
        },
    )
    found = scan(root, ProjectConfig())
    assert not [ref for ref in refs(found) if "/plugin" in ref]
    reason = reasons(found)[("api/main.py", 7)]
    assert "parameter plugin is annotated Plugin" in reason
    assert "return different apps" in reason and "Metrics.app" in reason and "Admin.app" in reason


def test_a_blueprint_returned_by_a_method_of_a_module_level_instance_is_registered(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "site/__init__.py": (
                "from flask import Flask\n\n"
                "from .extension import extension\n\n\n"
                "def create_app() -> Flask:\n"
                "    app = Flask(__name__)\n"
                "    app.register_blueprint(extension.blueprint(), url_prefix='/ext')\n"
                "    return app\n"
            ),
            "site/extension.py": (
                "from flask import Blueprint\n\n\n"
                "class Extension:\n"
                "    def blueprint(self) -> Blueprint:\n"
                "        bp = Blueprint('ext', __name__)\n\n"
                "        @bp.route('/status')\n"
                "        def status() -> str:\n"
                "            return 'ok'\n\n"
                "        return bp\n\n\n"
                "extension = Extension()\n"
            ),
        },
    )
    found = scan(root, ProjectConfig())
    assert refs(found) == ["GET /ext/status"]
    assert endpoint(found, "GET /ext/status").handler == "site.extension:status"
    assert found.endpoints.resolved == []  # the class is known exactly: no choice to report
