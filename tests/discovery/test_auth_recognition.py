"""Which decorators, hooks and dependencies static discovery records as authentication (`Endpoint.auth`):
read by name, and, for the project's own functions, by what their body does (`discovery/auth_checks.py`)."""

from __future__ import annotations

from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import scan
from backend_orchestrator.discovery.files import load
from backend_orchestrator.discovery.symbols import ProjectIndex

from .support import endpoint, write

FLASK_FACTORY = '''\
import functools

from flask import Blueprint, Flask, abort, g, redirect, request, session, url_for

admin = Blueprint("admin", __name__, url_prefix="/admin")


def timed(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        g.started = 1
        return view(*args, **kwargs)

    return wrapper


def role_required(role):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if role not in session.get("roles", []):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def api_key_checked(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("X-Api-Key") != "expected":
            return {"error": "unauthorised"}, 401
        return view(*args, **kwargs)

    return wrapper


@admin.post("/reindex")
def reindex():
    return {}


def create_app():
    app = Flask(__name__)

    @app.before_request
    def guard():
        if "user_id" not in session:
            return redirect(url_for("login"))

    @app.post("/timed")
    @timed
    def timed_view():
        return {}

    @app.post("/roles")
    @role_required("editor")
    def roles_view():
        return {}

    @app.post("/keys")
    @api_key_checked
    def keys_view():
        return {}

    app.register_blueprint(admin)
    return app
'''

FASTAPI_DEPENDENCIES = '''\
from fastapi import Depends, FastAPI, Header, HTTPException

app = FastAPI()
ITEMS = {}


def gatekeeper(x_key: str = Header("")) -> None:
    if x_key != "expected":
        raise HTTPException(status_code=403, detail="forbidden")


def item_or_404(item_id: int) -> dict:
    if item_id not in ITEMS:
        raise HTTPException(status_code=404)
    return ITEMS[item_id]


@app.delete("/items/{item_id}", dependencies=[Depends(gatekeeper)])
def delete_item(item_id: int) -> None:
    ITEMS.pop(item_id)


@app.put("/items/{item_id}")
def put_item(item_id: int, item: dict = Depends(item_or_404)) -> dict:
    return item
'''


def test_a_before_request_hook_in_an_app_factory_and_wrappers_that_refuse_are_authentication(
        tmp_path: Path) -> None:
    found = scan(write(tmp_path, {"app.py": FLASK_FACTORY}), ProjectConfig())
    assert endpoint(found, "POST /timed").auth == ["guard"]  # the app-wide hook; `timed` checks nothing
    assert endpoint(found, "POST /roles").auth == ["guard", "role_required"]  # a decorator factory's wrapper
    assert endpoint(found, "POST /keys").auth == ["guard", "api_key_checked"]  # a header compared, 401
    assert endpoint(found, "POST /admin/reindex").auth == ["guard"]


def test_a_dependency_that_refuses_in_its_body_authenticates_and_a_not_found_one_does_not(tmp_path: Path) -> None:
    found = scan(write(tmp_path, {"main.py": FASTAPI_DEPENDENCIES}), ProjectConfig())
    assert endpoint(found, "DELETE /items/{item_id}").auth == ["gatekeeper"]
    assert endpoint(found, "PUT /items/{item_id}").auth == []


DJANGO_URLCONF = {
    "site/settings.py": ('ROOT_URLCONF = "site.urls"\nMIDDLEWARE = ["django.middleware.common.CommonMiddleware"]\n'
                         'MIDDLEWARE += ["site.middleware.One"]\nMIDDLEWARE.append("site.middleware.Two")\n'),
    "site/__init__.py": "",
    "site/views.py": "def page(request):\n    return None\n",
    "site/staff_urls.py": ('from django.urls import path\n\nfrom site import views\n\napp_name = "staff"\n'
                           'urlpatterns = [path("page", views.page)]\n'),
    "site/urls.py": ('from django.urls import include, path\n\nfrom site import views\n\n'
                     'urlpatterns = [\n    path("s/", include("site.staff_urls")),\n'
                     '    path("o/", include("site.staff_urls", namespace="other")),\n'
                     '    path("t/", include(([path("x", views.page)], "tuple_app"))),\n'
                     '    path("p", views.page),\n]\n'),
}


def _index(root: Path) -> ProjectIndex:
    return ProjectIndex(load(root, sorted(root.rglob("*.py"))))


def test_django_routes_keep_the_url_namespace_their_include_declares_and_settings_list_middleware(
        tmp_path: Path) -> None:
    from backend_orchestrator.discovery import django_urls

    index = _index(write(tmp_path, DJANGO_URLCONF))
    found = django_urls.collect(index)
    assert found.namespaces == {"/s/page": ("staff",), "/o/page": ("other",), "/t/x": ("tuple_app",), "/p": ()}
    assert django_urls.middleware(index) == [
        "django.middleware.common.CommonMiddleware", "site.middleware.One", "site.middleware.Two"]


def test_a_view_that_sends_signed_in_users_away_is_no_refusal_and_a_dispatch_chain_is_followed(
        tmp_path: Path) -> None:
    from backend_orchestrator.discovery.django_views import view_check
    from backend_orchestrator.discovery.symbols import Ref

    index = _index(write(tmp_path, {"views.py": '''\
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views import View


class LoginPage(View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_anonymous:  # signed in already: nothing to do here
            return redirect("/")
        return super().dispatch(request, *args, **kwargs)


class Checked(View):
    def dispatch(self, request, *args, **kwargs):
        self.gatekeep(request)
        return super().dispatch(request, *args, **kwargs)

    def gatekeep(self, request):
        if not request.user.is_authenticated:
            raise PermissionDenied


class Passing(Checked):
    def dispatch(self, request, *args, **kwargs):
        request.seen = True
        return super().dispatch(request, *args, **kwargs)


class Replacing(Checked):
    def dispatch(self, request, *args, **kwargs):
        return View.dispatch(self, request, *args, **kwargs)
'''}))
    assert view_check(index, Ref("local", "views", "LoginPage")) is None
    assert "in `gatekeep()`" in (view_check(index, Ref("local", "views", "Checked")) or "")
    assert "of `Checked`" in (view_check(index, Ref("local", "views", "Passing")) or "")
    assert view_check(index, Ref("local", "views", "Replacing")) is None
