"""Which decorators, hooks and dependencies static discovery records as authentication (`Endpoint.auth`):
read by name, and, for the project's own functions, by what their body does (`discovery/auth_checks.py`)."""

from __future__ import annotations

from pathlib import Path

from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import scan

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
