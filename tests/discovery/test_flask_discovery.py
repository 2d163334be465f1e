"""Flask routes read statically: blueprints, prefixes, converters, class-based views and auth."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import Discovery, scan
from backend_orchestrator.discovery.flask_endpoints import join, openapi_path

from .support import FIXTURES, endpoint, refs, write


@cache
def shop() -> Discovery:
    return scan(FIXTURES / "flask_app", ProjectConfig())


def reasons(found: Discovery) -> dict[tuple[str, int], str]:
    return {(u.file, u.line): u.reason for u in found.endpoints.unresolved}


def test_a_nested_blueprint_joins_its_prefix_to_its_parents_and_register_blueprint_overrides_its_own() -> (
    None
):
    paths = {e.path for e in shop().endpoints.endpoints}
    assert "/api/v1/items/{item_id}" in paths  # api (/api/v1) + items (/items/)
    assert "/api/v1/people/me" in paths  # users' own /users replaced by url_prefix="/people"
    assert not any(p.startswith("/api/v1/users") for p in paths)


def test_werkzeug_converters_become_openapi_parameters() -> None:
    export = endpoint(shop(), "GET /api/v1/items/export/{fmt}/{rest}")
    assert export.path_params == ["fmt", "rest"]
    assert endpoint(shop(), "PATCH /api/v1/people/{user_id}").path_params == ["user_id"]


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("/a/<b>", "/a/{b}"),
        ("/a/<int:b>/<path:rest>", "/a/{b}/{rest}"),
        ("/<string(length=2):code>", "/{code}"),
        ("/x/<any(a, 'b c'):kind>.json", "/x/{kind}.json"),
    ],
)
def test_openapi_path_turns_every_rule_variable_into_braces(rule: str, path: str) -> None:
    assert openapi_path(rule) == path


@pytest.mark.parametrize(
    ("prefix", "rule", "joined"),
    [
        (None, "/x", "/x"),
        ("/api/", "/x", "/api/x"),
        ("/api", "x", "/api/x"),
        ("/api", "", "/api"),
        ("", "/x", "/x"),
    ],
)
def test_a_rule_is_joined_to_its_prefix_with_exactly_one_slash(
    prefix: str | None, rule: str, joined: str
) -> None:
    assert join(prefix, rule) == joined


def test_methods_default_to_get_and_flask_2_shortcuts_give_their_own_method() -> None:
    found = shop()
    assert endpoint(found, "GET /api/v1/items/").handler == "shop.views.items:list_items"  # @bp.get("")
    assert endpoint(found, "POST /api/v1/items/").handler == "shop.views.items:create_item"
    assert {e.method for e in found.endpoints.endpoints if e.path == "/"} == {"GET", "HEAD"}
    assert endpoint(found, "GET /api/v1/items/{item_id}/legacy").method == "GET"  # @bp.route without methods


def test_auth_decorators_below_the_route_decorator_are_recorded() -> None:
    found = shop()
    assert endpoint(found, "POST /api/v1/items/").auth == ["jwt_required"]
    assert endpoint(found, "PUT /api/v1/items/{item_id}").auth == ["token_auth.login_required"]
    assert endpoint(found, "DELETE /api/v1/items/{item_id}").auth == ["login_required"]
    assert endpoint(found, "GET /api/v1/items/").auth == []


def test_an_auth_decorator_above_the_route_decorator_does_not_count_and_is_reported() -> None:
    assert endpoint(shop(), "GET /api/v1/items/{item_id}/legacy").auth == []
    assert "does not protect the route" in reasons(shop())[("shop/views/items.py", 37)]


def test_add_url_rule_registers_functions_wrapped_views_and_method_views() -> None:
    found = shop()
    assert endpoint(found, "GET /health").handler == "shop.health:health"
    assert endpoint(found, "GET /api/v1/people/me").auth == ["login_required"]  # login_required(me)
    user = endpoint(found, "PATCH /api/v1/people/{user_id}")
    assert (user.handler, user.auth) == ("shop.views.users:UserAPI.patch", ["login_required"])  # `decorators`
    assert not any(
        e.path == "/api/v1/people/{user_id}" and e.method == "POST" for e in found.endpoints.endpoints
    )


def test_a_before_request_guard_authenticates_every_route_of_its_blueprint() -> None:
    assert endpoint(shop(), "GET /admin/stats").auth == ["require_admin"]


def test_a_prefix_from_the_app_config_resolves_through_the_object_the_factory_loads() -> None:
    assert endpoint(shop(), "GET /admin/stats").handler == "shop.views.admin:stats"
    [resolved] = shop().endpoints.resolved
    assert (resolved.file, resolved.line, resolved.expression) == ("shop/__init__.py", 21, "app.config['ADMIN_PREFIX']")
    assert (resolved.value, resolved.sources) == ("/admin", ["shop/config.py:5"])
    assert "config.from_object(config)" in resolved.detail
    assert "the environment variable ADMIN_PREFIX overrides it" in resolved.detail


def test_a_blueprint_never_registered_is_listed_with_its_own_prefix_and_reported() -> None:
    assert endpoint(shop(), "GET /old/stats").handler == "shop.views.admin:old_stats"
    assert "never registered" in reasons(shop())[("shop/views/admin.py", 6)]


def test_routes_added_to_the_app_a_factory_returns_belong_to_that_app() -> None:
    assert endpoint(shop(), "GET /ping").handler == "wsgi:ping"  # app = create_app(); @app.get("/ping")
    assert shop().endpoints.framework == "flask"


def test_status_codes_come_from_returns_redirects_and_aborts() -> None:
    found = shop()
    assert endpoint(found, "POST /api/v1/items/").status_codes == [201]
    assert endpoint(found, "GET /api/v1/items/{item_id}").status_codes == [200, 404]
    assert endpoint(found, "GET /api/v1/items/{item_id}/legacy").status_codes == [302]
    assert endpoint(found, "DELETE /api/v1/items/{item_id}").status_codes == [204]


def test_a_loop_over_a_literal_tuple_of_blueprints_registers_each_and_any_other_loop_is_unresolved(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "app.py": (
                "from flask import Blueprint, Flask\n"
                "app = Flask(__name__)\n"
                "a = Blueprint('a', __name__, url_prefix='/a')\n\n"
                "@a.route('/x')\n"
                "def x():\n    return ''\n\n"
                "b = Blueprint('b', __name__, url_prefix='/b')\n\n"
                "@b.route('/y')\n"
                "def y():\n    return ''\n\n"
                "for bp in (a,):\n"
                "    app.register_blueprint(bp, url_prefix='/first')\n"
                "for bp in [b for _ in range(1)]:\n"
                "    app.register_blueprint(bp)\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert refs(found) == ["GET /b/y", "GET /first/x"]  # b: listed with its own prefix
    assert sorted(u.line for u in found.endpoints.unresolved) == [9, 18]  # b never registered; the loop


@pytest.mark.parametrize(
    ("flask_app", "framework"),
    [(True, "flask"), (False, "fastapi")],
)
def test_the_framework_is_the_one_whose_app_object_the_code_creates(
    tmp_path: Path, flask_app: bool, framework: str
) -> None:
    flask_owner = "Flask(__name__)" if flask_app else "Blueprint('b', __name__)"
    fastapi_owner = "APIRouter()" if flask_app else "FastAPI()"
    web = f"from flask import Blueprint, Flask\nweb = {flask_owner}\n\n@web.route('/w')\ndef w():\n    return ''\n"
    api = f"from fastapi import APIRouter, FastAPI\napi = {fastapi_owner}\n\n@api.get('/a')\ndef a():\n    pass\n"
    write(tmp_path, {"web.py": web, "api.py": api})
    found = scan(tmp_path, ProjectConfig())
    assert found.endpoints.framework == framework
    assert refs(found) == ["GET /a", "GET /w"]  # routes of both are reported


def test_views_guards_and_blueprints_in_less_common_forms(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "site.py": (
                "import os\n"
                "from typing import ClassVar\n"
                "from flask import Blueprint, Flask\n"
                "from flask.views import View\n\n"
                "app = Flask(__name__)\n"
                "bp = Blueprint('bp', __name__)\n"
                "bp = Blueprint('bp2', __name__)\n"
                "if os.environ.get('DEBUG'):\n"
                "    debug = Blueprint('debug', __name__, url_prefix='/debug')\n\n"
                "def check_token():\n    pass\n\n"
                "bp.before_request(check_token)\n\n"
                "@bp.route('/secret')\n"
                "def secret():\n    return ''\n\n"
                "class Report(View):\n"
                "    methods: ClassVar[list[str]] = ['GET', 'POST']\n"
                "    decorators: ClassVar[list[object]] = [check_token]\n\n"
                "    def dispatch_request(self):\n        return ''\n\n"
                "app.add_url_rule('/report', view_func=Report.as_view('report'))\n"
                "app.add_url_rule(os.environ['RULE'], view_func=secret)\n"
                "app.register_blueprint(bp, url_prefix='/bp')\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert [(e.ref, e.handler, e.auth) for e in found.endpoints.endpoints] == [
        ("GET /bp/secret", "site:secret", ["check_token"]),  # bp.before_request(check_token)
        ("GET /report", "site:Report.dispatch_request", ["check_token"]),  # View.methods and .decorators
        ("POST /report", "site:Report.dispatch_request", ["check_token"]),
    ]
    expected = [
        (8, "blueprint site:bp is created more than once"),
        (10, "blueprint site:debug is created inside a conditional block"),
        (29, "app.add_url_rule(...) is not resolved statically"),
    ]
    problems = found.endpoints.unresolved
    assert [
        (u.line, u.reason[: len(text)]) for u, (_, text) in zip(problems, expected, strict=True)
    ] == expected
