"""Static discovery resolves what a reader of the code resolves, and says where each value came from.

One fixture per kind of resolution, each with a reviewed expected.json: the FastAPI full-stack template
(settings class default, `if` on a setting), settings getters and instances, module constants and string
operations, environment defaults, `if`/`else` around includes and mounts, Flask app factories, Flask-RESTful
and RESTX resources, and table names from `declared_attr`.
"""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.registry import Resolved
from backend_orchestrator.discovery import Discovery, scan

from .support import FIXTURES, dump, endpoint, refs, write

RESOLUTION_FIXTURES = [
    "fullstack_template",
    "settings_getters",
    "constants",
    "env_defaults",
    "branches",
    "flask_factory",
    "flask_restful_api",
    "declared_tables",
]


@cache
def scan_fixture(name: str) -> Discovery:
    return scan(FIXTURES / name, ProjectConfig())


def resolved_at(found: Discovery, file: str, line: int) -> Resolved:
    matches = [r for r in [*found.endpoints.resolved, *found.models.resolved] if (r.file, r.line) == (file, line)]
    assert len(matches) == 1, [(r.file, r.line, r.expression) for r in found.endpoints.resolved]
    return matches[0]


def reasons(found: Discovery) -> dict[tuple[str, int], str]:
    return {(u.file, u.line): u.reason for u in [*found.endpoints.unresolved, *found.models.unresolved]}


@pytest.mark.parametrize("name", RESOLUTION_FIXTURES)
def test_scan_of_each_resolution_fixture_matches_its_reviewed_expectation(name: str) -> None:
    expected = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    assert dump(scan_fixture(name)) == expected


@pytest.mark.parametrize("name", [*RESOLUTION_FIXTURES, "nested", "flask_app"])
def test_every_resolved_value_names_the_file_and_line_it_came_from(name: str) -> None:
    found = scan_fixture(name)
    for item in [*found.endpoints.resolved, *found.models.resolved]:
        assert (FIXTURES / name / item.file).is_file()
        for source in item.sources:
            file, line = re.fullmatch(r"(.+\.py):(\d+)", source).groups()  # type: ignore[union-attr]
            lines = (FIXTURES / name / file).read_text(encoding="utf-8").splitlines()
            assert 1 <= int(line) <= len(lines), source


# -- settings ------------------------------------------------------------------------------------------


def test_the_full_stack_template_serves_every_route_under_the_settings_api_prefix() -> None:
    found = scan_fixture("fullstack_template")
    assert all(e.path.startswith("/api/v1/") for e in found.endpoints.endpoints)
    assert endpoint(found, "GET /api/v1/users/me").handler == "app.api.routes.users:read_user_me"
    prefix = resolved_at(found, "backend/app/main.py", 32)
    assert (prefix.expression, prefix.value, prefix.sources) == (
        "settings.API_V1_STR",
        "/api/v1",
        ["backend/app/core/config.py:16"],
    )
    assert "class default of Settings.API_V1_STR" in prefix.detail
    assert "the environment can override it" in prefix.detail
    assert found.endpoints.unresolved == []


def test_an_include_under_a_settings_condition_true_by_default_is_followed() -> None:
    found = scan_fixture("fullstack_template")
    assert endpoint(found, "POST /api/v1/private/users/").handler == "app.api.routes.private:create_user"
    condition = resolved_at(found, "backend/app/api/main.py", 13)
    assert (condition.expression, condition.value) == ("settings.ENVIRONMENT == 'local'", True)
    assert condition.sources == ["backend/app/core/config.py:20"]


def test_a_settings_instance_from_an_lru_cache_getter_resolves_defaults_fields_and_properties() -> None:
    found = scan_fixture("settings_getters")
    assert endpoint(found, "GET /api/v2/reports/daily").handler == "svc.reports:daily"  # property + field
    assert endpoint(found, "POST /api/exports/csv").handler == "svc.exports:export_csv"  # get_settings().x
    reports = resolved_at(found, "svc/main.py", 7)
    assert reports.value == "/api/v2/reports"
    assert reports.sources == ["svc/config.py:11", "svc/config.py:12", "svc/config.py:17", "svc/config.py:30"]


def test_dataclass_fields_and_a_plain_class_init_resolve() -> None:
    found = scan_fixture("settings_getters")
    assert resolved_at(found, "svc/exports.py", 5).detail == "the default of field Paths.exports"
    legacy = resolved_at(found, "svc/main.py", 9)
    assert (legacy.value, legacy.sources) == ("/legacy", ["svc/config.py:38"])
    assert "set by LegacyConfig.__init__" in legacy.detail
    assert endpoint(found, "GET /legacy/ping").handler == "svc.old:ping"


def test_a_settings_field_without_a_default_stays_unresolved_and_says_why() -> None:
    found = scan_fixture("settings_getters")
    assert "Settings.admin_path has no default" in reasons(found)[("svc/main.py", 10)]
    assert endpoint(found, "DELETE /cache").handler == "svc.admin:clear_cache"  # listed without the prefix


# -- constants and strings -------------------------------------------------------------------------


def test_module_constants_resolve_through_fstrings_concatenation_percent_and_format() -> None:
    found = scan_fixture("constants")
    assert {"GET /api/v1/items", "GET /api/v1/orders", "GET /api/v1/users/me"} <= set(refs(found))
    items = resolved_at(found, "api/routers/items.py", 5)
    assert (items.value, items.detail) == ("/api/v1/items", "the module constant api.constants.ITEMS")
    assert items.sources == ["api/constants.py:3", "api/constants.py:4", "api/constants.py:5", "api/constants.py:6"]


def test_constants_imported_absolutely_relatively_and_under_an_alias_resolve() -> None:
    found = scan_fixture("constants")
    assert resolved_at(found, "api/routers/users.py", 5).value == "/api/v1/users"  # from api import constants
    assert resolved_at(found, "api/routers/items.py", 5).value == "/api/v1/items"  # from ..constants import
    assert resolved_at(found, "api/app.py", 14).expression == "P.HEALTH"  # from .constants import Paths as P


def test_class_attributes_resolve_including_names_of_the_class_body() -> None:
    found = scan_fixture("constants")
    status = resolved_at(found, "api/app.py", 19)
    assert (status.value, status.sources) == ("/health/status", ["api/constants.py:16", "api/constants.py:17"])
    assert endpoint(found, "GET /health/status").handler == "api.app:status"


def test_a_methods_list_from_a_constant_gives_one_route_per_method() -> None:
    found = scan_fixture("constants")
    assert {"GET /api/v1/orders/{order_id}", "PUT /api/v1/orders/{order_id}"} <= set(refs(found))


def test_a_constant_assigned_twice_is_not_resolved() -> None:
    found = scan_fixture("constants")
    assert "PREFIX is assigned more than once in api/constants.py (lines 11, 12)" in reasons(found)[("api/app.py", 11)]
    assert endpoint(found, "POST /wipe").handler == "api.routers.scratch:wipe"


# -- the environment -------------------------------------------------------------------------------


def test_environment_defaults_are_used_and_said_to_be_defaults() -> None:
    found = scan_fixture("env_defaults")
    assert {"GET /api/items", "GET /docs/guide", "POST /hooks/github", "GET /admin/users"} <= set(refs(found))
    api = resolved_at(found, "app/main.py", 46)
    assert (api.value, api.sources) == ("/api", ["app/settings.py:10"])
    assert "the default of os.getenv('API_PREFIX'): the environment variable API_PREFIX overrides it" in api.detail
    assert "os.environ.get('DOCS_PREFIX')" in resolved_at(found, "app/main.py", 47).detail
    assert "None while HOOKS_PREFIX is unset" in resolved_at(found, "app/main.py", 48).detail  # getenv() or ...
    assert "config('ADMIN_PREFIX')" in resolved_at(found, "app/main.py", 49).detail  # starlette Config


def test_an_environment_read_without_a_default_stays_unresolved() -> None:
    problems = reasons(scan_fixture("env_defaults"))
    assert "read from the environment without a default" in problems[("app/main.py", 50)]
    assert "it resolves to None, not a string" in problems[("app/main.py", 51)]


# -- if / else ---------------------------------------------------------------------------------------


def test_a_condition_that_resolves_selects_its_branch_and_says_what_was_left_out() -> None:
    found = scan_fixture("branches")
    assert "GET /api/v2/items" in refs(found) and "GET /api/v1/items" not in refs(found)
    use_v2 = resolved_at(found, "app/main.py", 9)
    assert (use_v2.value, use_v2.sources) == (True, ["app/config.py:2"])
    assert "not taken: include_router(v1) (line 12)" in use_v2.detail
    assert "is included only in a branch that is not taken" in reasons(found)[("app/routers.py", 3)]
    assert not [e for e in found.endpoints.endpoints if e.path.startswith("/admin")]  # ENABLE_ADMIN = False


def test_a_mount_chosen_by_an_elif_uses_the_branch_the_defaults_select() -> None:
    found = scan_fixture("branches")
    assert endpoint(found, "GET /public-metrics/requests").handler == "app.routers:requests_count"
    assert resolved_at(found, "app/main.py", 17).value is False
    assert resolved_at(found, "app/main.py", 19).value is True


def test_a_condition_that_does_not_resolve_takes_the_first_branch_and_lists_the_other_as_an_alternative() -> None:
    found = scan_fixture("branches")
    assert endpoint(found, "GET /search/search").handler == "app.routers:search_beta"
    problems = reasons(found)
    assert (
        "in the other branch (not followed): app.include_router(stable, prefix='/search')"
        in problems[("app/main.py", 23)]
    )
    assert "listed as an alternative and not followed" in problems[("app/main.py", 25)]
    assert "flags.feature_enabled" in problems[("app/main.py", 25)]


def test_routes_under_if_name_main_are_not_listed() -> None:
    found = scan_fixture("branches")
    assert "GET /debug" not in refs(found)
    assert resolved_at(found, "app/main.py", 27).value is False


# -- Flask -------------------------------------------------------------------------------------------


def test_blueprints_registered_in_the_app_factory_and_by_a_helper_it_calls_get_their_prefixes() -> None:
    found = scan_fixture("flask_factory")
    assert refs(found) == [
        "GET /about",
        "GET /account/profile",
        "GET /help/{name}",
        "GET /reports/daily",
        "POST /reports/rebuild",
        "GET /terms",
    ]
    assert found.endpoints.unresolved == []


def test_a_config_key_loaded_from_an_import_string_and_a_settings_blueprint_prefix_resolve() -> None:
    found = scan_fixture("flask_factory")
    reports = resolved_at(found, "portal/__init__.py", 14)
    assert (reports.value, reports.sources) == ("/reports", ["portal/config.py:12"])
    assert "config_object is 'portal.config.DevConfig'" in reports.detail
    account = resolved_at(found, "portal/account.py", 6)
    assert (account.expression, account.value) == ("settings.ACCOUNT_PREFIX", "/account")


def test_a_loop_over_a_literal_list_is_unrolled_once_per_item() -> None:
    found = scan_fixture("flask_factory")
    assert endpoint(found, "GET /about").handler == endpoint(found, "GET /terms").handler == "portal.pages:page"
    rule = resolved_at(found, "portal/pages.py", 17)
    assert (rule.value, rule.detail) == ("/about | /terms", "one value per item of an unrolled loop")


def test_flask_restful_resources_are_routed_under_the_api_prefix_with_one_route_per_method() -> None:
    found = scan_fixture("flask_restful_api")
    todo = [e for e in found.endpoints.endpoints if e.path == "/api/v1/todos/{todo_id}"]
    assert [(e.method, e.handler) for e in todo] == [
        ("GET", "svc.resources:Todo.get"),
        ("PUT", "svc.resources:Todo.put"),
        ("DELETE", "svc.resources:Todo.delete"),
    ]
    assert endpoint(found, "GET /api/v1/todo/{todo_id}").handler == "svc.resources:Todo.get"  # a second URL
    assert endpoint(found, "POST /api/v1/todos").auth == ["login_required"]  # method_decorators of a base
    assert endpoint(found, "POST /api/v1/todos").status_codes == [201]


def test_a_resource_on_a_blueprints_api_gets_the_blueprints_prefix() -> None:
    assert endpoint(scan_fixture("flask_restful_api"), "GET /ops/health").handler == "svc.resources:Health.get"


def test_flask_restx_namespaces_use_their_path_or_their_name() -> None:
    found = scan_fixture("flask_restful_api")
    assert endpoint(found, "GET /v2/felines/{name}").handler == "svc.restx_app:Cat.get"
    assert {"GET /v2/dogs/", "POST /v2/dogs/"} <= set(refs(found))


# -- tables -----------------------------------------------------------------------------------------


def test_a_declared_attr_naming_convention_on_the_base_names_every_subclass_table() -> None:
    found = scan_fixture("declared_tables")
    tables = {m.name: m.table for m in found.models.models}
    assert tables["OrderLine"] == "order_lines"  # snake(cls.__name__) + "s", a helper calling re.sub
    order_line = resolved_at(found, "db/models.py", 7)
    assert order_line.sources == ["db/base.py:11", "db/base.py:16", "db/base.py:17"]
    assert "the declared_attr __tablename__ of Base (db/base.py:16)" in order_line.detail


def test_a_declared_attr_on_a_mixin_and_on_a_sqlmodel_base_name_the_tables() -> None:
    tables = {m.name: m.table for m in scan_fixture("declared_tables").models.models}
    assert (tables["Invoice"], tables["Hero"]) == ("invoice", "t_hero")


def test_a_tablename_expression_resolves_and_a_literal_still_wins() -> None:
    found = scan_fixture("declared_tables")
    tables = {m.name: m.table for m in found.models.models}
    assert (tables["AuditEntry"], tables["Customer"]) == ("app_audit", "clients")
    assert resolved_at(found, "db/models.py", 18).sources == ["db/base.py:7"]


def test_a_declared_attr_that_does_not_resolve_is_reported_not_guessed() -> None:
    found = scan_fixture("declared_tables")
    assert "Receipt" not in {m.name for m in found.models.models}
    assert "json.load" in reasons(found)[("db/legacy.py", 21)]


# -- limits ------------------------------------------------------------------------------------------


def test_a_format_that_would_build_a_huge_string_is_not_evaluated(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": (
                "from fastapi import APIRouter, FastAPI\n"
                "app = FastAPI()\n"
                "r = APIRouter()\n\n"
                "@r.get('/x')\n"
                "def x():\n    pass\n\n"
                "app.include_router(r, prefix='%99999999s' % '/p')\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert refs(found) == ["GET /x"]
    assert "too large to evaluate" in found.endpoints.unresolved[0].reason


def test_a_name_that_refers_to_itself_is_unresolved_not_a_hang(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": "from b import B\nA = B + '/a'\n",
            "b.py": "from a import A\nB = A + '/b'\n",
            "main.py": (
                "from fastapi import APIRouter, FastAPI\nfrom a import A\n"
                "app = FastAPI()\nr = APIRouter()\n\n@r.get('/x')\ndef x():\n    pass\n\n"
                "app.include_router(r, prefix=A)\n"
            ),
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert refs(found) == ["GET /x"]
    assert "refers to itself" in found.endpoints.unresolved[0].reason


def test_resolved_values_are_kept_by_the_disk_cache(tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "branches", root)
    cache_dir = tmp_path / "cache"
    first = scan(root, ProjectConfig(), cache_dir=cache_dir)
    second = scan(root, ProjectConfig(), cache_dir=cache_dir)
    assert second.endpoints.resolved == first.endpoints.resolved != []


# -- apps made by factories and passed to functions -------------------------------------------------


def test_routes_added_by_a_function_the_factory_built_app_is_passed_to_belong_to_that_app(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "srv/__init__.py": "",
            "srv/app.py": (
                "from fastapi import FastAPI\n"
                "from .routers import users\n\n"
                "def create_app() -> FastAPI:\n"
                "    app = FastAPI()\n"
                "    return app\n\n"
                "def register_routes(app: FastAPI) -> None:\n"
                "    app.include_router(users.router)\n\n"
                "    @app.get('/healthcheck')\n"
                "    async def healthcheck() -> dict[str, str]:\n"
                "        return {}\n"
            ),
            "srv/routers/__init__.py": "",
            "srv/routers/users.py": (
                "from fastapi import APIRouter\n"
                "router = APIRouter(prefix='/api/users')\n\n"
                "@router.post('/list')\n"
                "def list_users() -> list[str]:\n    return []\n"
            ),
            "srv/main.py": (
                "from srv.app import create_app, register_routes\n\napp = create_app()\nregister_routes(app)\n"
            ),
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert refs(found) == ["POST /api/users/list", "GET /healthcheck"]
    assert found.endpoints.unresolved == []


def test_a_function_given_two_different_apps_is_recorded_on_the_first_and_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": (
                "from fastapi import APIRouter, FastAPI\n"
                "public = FastAPI()\n"
                "internal = FastAPI()\n"
                "router = APIRouter()\n\n"
                "@router.get('/ping')\n"
                "def ping() -> str:\n    return 'pong'\n\n"
                "def add_ping(app: FastAPI) -> None:\n"
                "    app.include_router(router, prefix='/p')\n\n"
                "add_ping(public)\n"
                "add_ping(internal)\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert refs(found) == ["GET /p/ping"]
    [problem] = found.endpoints.unresolved
    assert problem.line == 14
    assert problem.reason.startswith("add_ping() is called with more than one app/router/blueprint as `app`")


def test_cadwyn_versioned_routers_and_apps_are_fastapi_routers_and_apps(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "api.py": (
                "from cadwyn import Cadwyn, VersionedAPIRouter\n"
                "from fastapi import APIRouter, FastAPI\n"
                "router = VersionedAPIRouter(prefix='/tasks')\n\n"
                "@router.get('/{task_id}')\n"
                "def task(task_id: str) -> str:\n    return task_id\n\n"
                "execution = Cadwyn(versions=None)\n"
                "execution.generate_and_include_versioned_routers(router)\n"
                "app = FastAPI()\n"
                "app.mount('/execution', execution)\n"
            )
        },
    )
    assert refs(scan(tmp_path, ProjectConfig())) == ["GET /execution/tasks/{task_id}"]


def test_a_name_bound_under_if_type_checking_loses_to_the_binding_that_runs(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "models.py": (
                "from typing import TYPE_CHECKING, Any\n"
                "from sqlalchemy import Column, Integer\n"
                "from sqlalchemy.orm import registry\n\n"
                "if TYPE_CHECKING:\n"
                "    Base = Any\n"
                "else:\n"
                "    Base = registry().generate_base()\n\n"
                "class Dag(Base):\n"
                "    __tablename__ = 'dag'\n"
                "    id = Column(Integer, primary_key=True)\n"
            )
        },
    )
    assert [m.table for m in scan(tmp_path, ProjectConfig()).models.models] == ["dag"]
