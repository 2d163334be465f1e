"""Django routes read statically from the URLconfs (discovery/django_urls.py), agreeing with the import."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import scan

FIXTURES = Path(__file__).parent / "fixtures"
DYNAMIC = Path(__file__).parents[1] / "discovery_dynamic" / "fixtures"


def routes(root: Path) -> dict[str, tuple[str, list[str]]]:
    found = scan(root.resolve(), ProjectConfig())
    assert found.endpoints.framework == "django"
    return {e.ref: (e.handler, e.auth) for e in found.endpoints.endpoints}


def test_drf_routers_viewsets_generic_views_and_function_views_are_listed_with_their_methods_and_auth() -> None:
    found = routes(FIXTURES / "django_drf")
    assert found == {
        "GET /account/": ("shop.views:account", ["login_required"]),  # wrapped in the URLconf
        "GET /api/v1/carts/": ("shop.views:CartList", ["IsAuthenticated (REST_FRAMEWORK default)"]),
        "POST /api/v1/carts/": ("shop.views:CartList", ["IsAuthenticated (REST_FRAMEWORK default)"]),
        "GET /api/v1/carts/{pk}/": ("shop.views:CartDetail", ["LoginRequiredMixin"]),
        "DELETE /api/v1/carts/{pk}/": ("shop.views:CartDetail", ["LoginRequiredMixin"]),
        "GET /api/v1/export/": ("shop.views:export", ["IsAuthenticated (REST_FRAMEWORK default)"]),
        "GET /api/v1/orders/": ("shop.views:OrderViewSet", ["IsAuthenticated (REST_FRAMEWORK default)"]),
        "GET /api/v1/orders/recent/": ("shop.views:OrderViewSet.recent", ["IsAuthenticated (REST_FRAMEWORK default)"]),
        "GET /api/v1/orders/{number}/": ("shop.views:OrderViewSet", ["IsAuthenticated (REST_FRAMEWORK default)"]),
        # permission_classes = [AllowAny]: public by its own declaration; http_method_names leaves PUT/PATCH out
        "GET /api/v1/products/": ("shop.views:ProductViewSet", []),
        "POST /api/v1/products/": ("shop.views:ProductViewSet", []),
        "GET /api/v1/products/{pk}/": ("shop.views:ProductViewSet", []),
        "DELETE /api/v1/products/{pk}/": ("shop.views:ProductViewSet", []),
        "POST /api/v1/products/{pk}/restock/": ("shop.views:ProductViewSet.restock", []),
        "GET /health/": ("shop.views:health", []),
        "POST /reports/{year}/": ("shop.views:yearly_report", []),  # re_path, @require_POST
    }


def test_what_cannot_be_read_is_noted_and_the_admin_is_left_out(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "django_drf", root)
    urls = root / "config" / "urls.py"
    urls.write_text(urls.read_text(encoding="utf-8") + "urlpatterns += build_patterns()\n"
                    "urlpatterns += [re_path(r'^legacy/.*$', views.health)]\n", encoding="utf-8")
    found = scan(root, ProjectConfig())
    assert not any(e.path.startswith("/admin") for e in found.endpoints.endpoints)
    reasons = {u.reason for u in found.endpoints.unresolved}
    assert "URL pattern `build_patterns()` is not read statically" in reasons
    assert "regular expression '^legacy/.*$' is not a plain path; its routes are not listed" in reasons
    assert "view shop.views:health does not declare its HTTP methods; recorded as GET" in reasons


def test_the_static_reading_of_the_django_site_fixture_agrees_with_its_import() -> None:
    found = routes(DYNAMIC / "django_site")
    assert set(found) == {"GET /api/books/", "POST /api/books/", "GET /api/books/{pk}/", "DELETE /api/books/{pk}/",
                          "GET /api/authors/{slug}/", "GET /health/", "GET /archive/{year}/"}
    assert found["GET /api/books/"][0] == "catalog.views:BookList"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("rest_framework") is None, reason="needs djangorestframework")
def test_static_and_dynamic_discovery_agree_on_the_drf_fixture(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURES / "django_drf", root)
    done = subprocess.run([sys.executable, "-m", "backend_orchestrator", "scan", "--mode", "dynamic", "--project",
                           str(root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    dynamic = json.loads((root / "ai-state" / "active" / "backend" / "endpoints.json").read_text(encoding="utf-8"))
    assert dynamic["mode"] == "dynamic"
    assert {f"{e['method']} {e['path']}" for e in dynamic["endpoints"]} == set(routes(FIXTURES / "django_drf"))
