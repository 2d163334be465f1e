"""Django URL patterns a reader follows beyond literal lists (django_urls / django_eval / django_views /
django_routers): helpers that return patterns, a view per URL bound by a project ``as_view(action=...)``,
view factories, settings-driven ``if``s, DRF ``@action``s of mixins with regular-expression ``url_path``s and
a router with several lookup fields. The expected routes are those Django serves when the fixture is imported
(checked with its resolver)."""

from __future__ import annotations

import shutil
from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import scan

FIXTURE = Path(__file__).parent / "fixtures" / "django_helpers"

CRUD = {  # CRUDView.get_urls: per action, the verbs HandlerMap binds (+ extra_actions, + the class's own handlers)
    "GET /tags/", "GET /tags/new/", "POST /tags/new/", "GET /tags/{pk}/", "POST /tags/{pk}/",
    "GET /tags/{pk}/delete/", "POST /tags/{pk}/delete/",
    "GET /teams/{team}/members/", "DELETE /teams/{team}/members/",
    "GET /teams/{team}/members/new/", "POST /teams/{team}/members/new/", "DELETE /teams/{team}/members/new/",
    "GET /teams/{team}/members/{code}/", "POST /teams/{team}/members/{code}/",
    "DELETE /teams/{team}/members/{code}/",
    "GET /teams/{team}/members/{code}/edit/", "POST /teams/{team}/members/{code}/edit/",
    "DELETE /teams/{team}/members/{code}/edit/",
    "GET /teams/{team}/members/{code}/delete/", "POST /teams/{team}/members/{code}/delete/",
    "DELETE /teams/{team}/members/{code}/delete/",
}
REPORTS = {  # get_report_urls(prefix): a comprehension over a literal table
    "GET /reports/", "GET /reports.csv", "GET /reports/export/{name}",
    "GET /reports/v/{version}/", "GET /reports/v/{version}.csv", "GET /reports/v/{version}/export/{name}",
}
API = {  # MultiFieldRouter: lookup_fields; @action of a mixin; url_path with a regex group
    "GET /api/contacts/", "GET /api/contacts/{company__slug}/{slug}/",
    "GET /api/contacts/{company__slug}/{slug}/log/",
    "DELETE /api/contacts/{company__slug}/{slug}/labels/{label_id}/",
    "GET /api/notes/",  # NoteViewSet overrides `log` without @action: no route
}
OTHERS = {"GET /404", "GET /500", "GET /profile/", "POST /profile/", "GET /extras/"}


def scanned(root: Path) -> tuple[dict[str, str], set[str]]:
    found = scan(root.resolve(), ProjectConfig())
    assert found.endpoints.framework == "django"
    return {e.ref: e.handler for e in found.endpoints.endpoints}, {u.reason for u in found.endpoints.unresolved}


def test_helpers_factories_per_url_handlers_mixin_actions_and_multi_field_lookups_are_read() -> None:
    found, reasons = scanned(FIXTURE)
    assert set(found) == CRUD | REPORTS | API | OTHERS
    assert found["GET /404"] == "crm.errors:error_view_function"  # the function error_view(404) returns
    assert found["GET /500"] == "crm.errors:handle_500"
    assert found["POST /teams/{team}/members/{code}/"] == "crm.views:MemberView"  # extra_actions["detail"]
    assert found["GET /profile/"] == found["POST /profile/"] == "crm.views:ProfileView"  # TemplateView's GET + post
    assert found["GET /api/contacts/{company__slug}/{slug}/log/"] == "crm.views:ContactViewSet.log"
    assert found["GET /reports.csv"] == "crm.views:export_report"
    assert not any("is assigned in a branch" in r for r in reasons)  # URL_PREFIX = "": the `if` is decided


def test_settings_decide_the_branch_of_the_root_urlconf(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    settings = root / "config" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8").replace('URL_PREFIX = ""', 'URL_PREFIX = "crm/"')
                        .replace('"rest_framework", "crm"', '"rest_framework", "crm", "crm.billing"'),
                        encoding="utf-8")
    found, _ = scanned(root)
    assert set(found) == {f"{r.split()[0]} /crm{r.split()[1]}" for r in CRUD | REPORTS | API | OTHERS
                          | {"GET /billing/"}}


def test_without_settings_the_if_branch_is_read_and_the_alternative_noted(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    (root / "config" / "settings.py").unlink()
    found, reasons = scanned(root)
    # the roots are the URLconfs no other one includes: crm.api_urls is included as `(module, "api")`
    assert set(found) == CRUD | REPORTS | API | OTHERS | {"GET /billing/"}
    assert "`urlpatterns` is assigned in a branch that is not read statically" in reasons
