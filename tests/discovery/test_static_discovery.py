"""Static discovery against fixture projects that are parsed, never imported."""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import Discovery, files, literals, normalize_path, scan

from .support import FIXTURES, count_parses, dump, endpoint, write

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


@cache
def scan_fixture(name: str) -> Discovery:
    return scan(FIXTURES / name, ProjectConfig())


def app_with_route(path: str, owner: str = "FastAPI") -> str:
    """A module that creates an app (or an APIRouter) with one GET route at `path`."""
    return f"from fastapi import {owner}\napp = {owner}()\n\n@app.get({path!r})\ndef handler():\n    pass\n"


@pytest.mark.parametrize(
    "name", ["nested", "models", "services", "flask_app", "models_variants", "services_more"]
)
def test_scan_of_each_fixture_matches_its_reviewed_expectation(name: str) -> None:
    expected = json.loads((FIXTURES / name / "expected.json").read_text(encoding="utf-8"))
    assert dump(scan_fixture(name)) == expected


def test_normalize_path_replaces_every_parameter_with_empty_braces() -> None:
    assert normalize_path("/products/{product_id}") == "/products/{}"
    assert normalize_path("/products/{id}") == normalize_path("/products/{product_id}")
    assert normalize_path("/a/{x}/b/{y:path}") == "/a/{}/b/{}"
    assert normalize_path("/health") == "/health"


def test_include_router_prefixes_chain_across_modules() -> None:
    found = scan_fixture("nested")
    review = endpoint(found, "POST /api/v1/items/{item_id}/reviews/")
    assert review.handler == "app.api.v1.reviews:add_review"
    assert review.tags == ["v1", "items", "reviews"]
    assert review.path_params == ["item_id"]
    assert endpoint(found, "GET /api/v1/orders").handler == "app.api.v1.orders:list_orders"  # import x.y as z


def test_auth_comes_from_params_annotated_routers_includes_and_one_level_of_dependencies() -> None:
    found = scan_fixture("nested")
    assert endpoint(found, "POST /api/v1/items").auth == ["get_current_user"]  # Annotated[..., Depends()]
    assert endpoint(found, "GET /api/v1/orders").auth == ["get_current_user"]  # router dependencies
    assert endpoint(found, "GET /api/v1/users/me").auth == ["get_current_user"]  # include dependencies
    assert endpoint(found, "PUT /api/v1/items/{item_id}").auth == ["get_staff_member"]  # depends on auth
    assert endpoint(found, "GET /api/v1/items/{item_id}/reviews/").auth == ["partner_key"]  # APIKeyQuery()
    assert endpoint(found, "GET /api/v1/items").auth == []  # a DB session and a log dependency


def test_a_settings_prefix_resolves_to_its_default_and_a_condition_false_by_default_drops_its_include() -> None:
    found = scan_fixture("nested")
    assert endpoint(found, "POST /admin/reindex").handler == "app.admin:reindex"  # os.getenv(..., "/admin")
    assert endpoint(found, "GET /api/v1/orders/export").handler == "app.api.v1.orders:export_orders"
    resolved = {(r.file, r.line): r for r in found.endpoints.resolved}
    assert (resolved[("app/main.py", 12)].value, resolved[("app/main.py", 12)].sources) == (
        "/admin",
        ["app/core/config.py:5"],
    )
    assert resolved[("app/main.py", 14)].value is False  # `if settings.DEBUG:`: DEBUG unset
    assert "not taken: include_router(debug.router)" in resolved[("app/main.py", 14)].detail
    reasons = {(u.file, u.line): u.reason for u in found.endpoints.unresolved}
    assert "branch that is not taken" in reasons[("app/debug.py", 3)]
    assert not [e for e in found.endpoints.endpoints if e.path.startswith("/debug")]
    assert "never included" in reasons[("app/legacy.py", 3)]


def test_two_scans_of_the_same_code_are_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    first = scan(FIXTURES / "nested", ProjectConfig())
    monkeypatch.setattr(files, "_PARSED", {})  # cold cache: everything reparsed
    second = scan(FIXTURES / "nested", ProjectConfig())
    assert json.dumps(dump(first)) == json.dumps(dump(second))


def test_an_unchanged_file_is_not_reparsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.py": "X = 1\n", "b.py": "Y = 2\n"})
    scan(tmp_path, ProjectConfig())
    parsed = count_parses(monkeypatch)
    scan(tmp_path, ProjectConfig())
    assert parsed == []
    (tmp_path / "b.py").write_text("Y = 3\n", encoding="utf-8")
    scan(tmp_path, ProjectConfig())
    assert parsed == [b"Y = 3\n"]


def test_a_file_with_a_syntax_error_is_reported_as_unresolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": app_with_route("/ok"),
            "broken.py": "def broken(:\n    pass\n",
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert [e.ref for e in found.endpoints.endpoints] == ["GET /ok"]
    for registry in (found.endpoints, found.models, found.services):
        assert [(u.file, u.line) for u in registry.unresolved] == [("broken.py", 1)]
        assert registry.unresolved[0].reason.startswith("not scanned: syntax error")


def test_a_symlink_pointing_outside_the_root_is_not_followed(tmp_path: Path) -> None:
    outside = write(
        tmp_path / "outside", {"evil.py": app_with_route("/evil"), "pkg/x.py": app_with_route("/x")}
    )
    root = write(tmp_path / "project", {"main.py": app_with_route("/inside")})
    (root / "linked.py").symlink_to(outside / "evil.py")
    (root / "pkg").symlink_to(outside / "pkg", target_is_directory=True)
    (root / "src").symlink_to(outside, target_is_directory=True)
    assert [e.path for e in scan(root, ProjectConfig()).endpoints.endpoints] == ["/inside"]
    through_source = scan(root, ProjectConfig(source=["src"])).endpoints
    assert through_source.endpoints == []
    assert [u.file for u in through_source.unresolved] == ["src"]


def test_paths_restrict_the_results_while_prefixes_still_resolve() -> None:
    found = scan(FIXTURES / "nested", ProjectConfig(), paths=[FIXTURES / "nested" / "app" / "api" / "v1"])
    assert {e.file for e in found.endpoints.endpoints} == {
        "app/api/v1/items.py",
        "app/api/v1/orders.py",
        "app/api/v1/reviews.py",
        "app/api/v1/users.py",
    }
    assert all(e.path.startswith("/api/v1/") for e in found.endpoints.endpoints)
    assert found.endpoints.unresolved == []
    assert "app/api/v1/orders.py" in {r.file for r in found.endpoints.resolved}


def test_config_source_limits_the_files_read_and_auth_dependencies_extend_the_auth_names(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "svc/main.py": (
                "from fastapi import Depends, FastAPI\n"
                "app = FastAPI()\n\n"
                "def ensure_member():\n    pass\n\n"
                "@app.get('/members', dependencies=[Depends(ensure_member)])\n"
                "def members():\n    pass\n"
            ),
            "scripts/other.py": app_with_route("/other"),
        },
    )
    found = scan(tmp_path, ProjectConfig(source=["svc"], auth_dependencies=["ensure_member"]))
    assert [(e.ref, e.auth) for e in found.endpoints.endpoints] == [("GET /members", ["ensure_member"])]
    assert scan(tmp_path, ProjectConfig(source=["svc"])).endpoints.endpoints[0].auth == []


def test_routers_built_in_a_loop_are_unresolved_and_a_loop_over_literal_prefixes_is_unrolled(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "main.py": (
                "from fastapi import APIRouter, FastAPI\n"
                "app = FastAPI()\n"
                "routers = []\n"
                "for name in ('a', 'b'):\n"
                "    r = APIRouter(prefix=f'/{name}')\n"
                "    routers.append(r)\n"
                "sub = APIRouter(prefix='/sub')\n\n"
                "@sub.get('/x')\n"
                "def x():\n    pass\n\n"
                "for prefix in ('/p', '/q'):\n"
                "    app.include_router(sub, prefix=prefix)\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert [e.path for e in found.endpoints.endpoints] == ["/p/sub/x", "/q/sub/x"]
    assert [u.line for u in found.endpoints.unresolved] == [5]  # the router built in a loop
    assert [(r.line, r.value) for r in found.endpoints.resolved] == [(13, "'/p', '/q'"), (14, "/p | /q")]


def test_an_include_in_a_loop_over_values_that_do_not_resolve_stays_unresolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.py": (
                "import os\n"
                "from fastapi import APIRouter, FastAPI\n"
                "app = FastAPI()\n"
                "sub = APIRouter(prefix='/sub')\n\n"
                "@sub.get('/x')\n"
                "def x():\n    pass\n\n"
                "for prefix in os.environ['PREFIXES'].split(','):\n"
                "    app.include_router(sub, prefix=prefix)\n"
            )
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert [e.path for e in found.endpoints.endpoints] == ["/sub/x"]
    assert sorted(u.line for u in found.endpoints.unresolved) == [4, 11, 11]  # included only in a loop


def test_a_project_without_fastapi_has_framework_unknown() -> None:
    assert scan_fixture("services").endpoints.framework == "unknown"
    assert scan_fixture("nested").endpoints.framework == "fastapi"


def test_a_merge_revision_gives_a_single_alembic_head() -> None:
    migrations = scan_fixture("models").models.migrations
    assert (migrations.head, migrations.heads, migrations.revisions) == ("5e6f", ["5e6f"], 3)


def test_the_shop_example_is_discovered() -> None:
    if not SHOP.is_dir():
        pytest.skip("examples/shop is not there yet")
    found = scan(SHOP, ProjectConfig(source=["shop"], alembic_config="alembic.ini"))
    refs = {e.ref for e in found.endpoints.endpoints}
    assert {"GET /api/v1/products", "DELETE /api/v1/products/{product_id}", "POST /api/v1/orders"} <= refs
    assert endpoint(found, "DELETE /api/v1/products/{product_id}").auth == []
    assert endpoint(found, "POST /api/v1/orders").auth != []
    assert endpoint(found, "GET /api/v1/products").auth == []
    assert {"users", "products", "orders", "order_items"} <= {m.table for m in found.models.models}
    assert found.models.migrations.tool == "alembic"


def test_an_app_factory_with_mount_and_security_schemes_is_resolved(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/routes.py": (
                "from fastapi import APIRouter, Depends, Security\n"
                "from fastapi.security import HTTPBearer, OAuth2PasswordBearer\n"
                "scheme = OAuth2PasswordBearer('token')\n"
                "router = APIRouter(prefix='/things', responses={404: {}})\n\n"
                "@router.get('/secure')\n"
                "def secure(creds=Security(scheme, scopes=['read'])):\n    pass\n\n"
                "@router.get('/inline', dependencies=[Depends(HTTPBearer())])\n"
                "def inline():\n    pass\n"
            ),
            "pkg/app.py": (
                "from fastapi import FastAPI\n"
                "from pkg import routes\n"
                "sub = FastAPI()\n\n"
                "@sub.get('/ping')\n"
                "def ping():\n    pass\n\n"
                "def create_app() -> FastAPI:\n"
                "    app = FastAPI()\n"
                "    app.router.include_router(routes.router, prefix='/v2')\n"
                "    app.mount('/sub', sub)\n"
                "    def local():\n        pass\n"
                "    app.add_api_route('/local', local, methods=['POST'])\n"
                "    return app\n"
            ),
        },
    )
    found = scan(tmp_path, ProjectConfig())
    assert [(e.ref, e.auth, e.status_codes) for e in found.endpoints.endpoints] == [
        ("POST /local", [], [200]),
        ("GET /sub/ping", [], [200]),
        ("GET /v2/things/inline", ["HTTPBearer"], [200, 404]),
        ("GET /v2/things/secure", ["scheme"], [200, 404]),
    ]
    assert found.endpoints.unresolved == []


def test_source_renders_every_expression_of_the_fixtures_exactly_like_ast_unparse() -> None:
    for path in sorted(FIXTURES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.expr):
                assert literals.source(node) == ast.unparse(node), f"{path}:{node.lineno}"
