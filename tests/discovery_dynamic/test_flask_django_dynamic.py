"""Flask (an app factory with blueprints) and Django (settings from manage.py, include(), converters,
class-based and decorated views, models with a foreign key and indexes), imported in a subprocess."""

from __future__ import annotations

from collections.abc import Callable

from backend_orchestrator.state import Project
from backend_orchestrator.workflow import scan_project

from .conftest import refs, registry


def test_a_flask_app_factory_is_called_and_its_blueprint_routes_listed(make_project: Callable[[str], Project]) -> None:
    project = make_project("flask_factory")
    result = scan_project(project)
    assert result.mode == "dynamic" and result.framework == "flask"
    assert result.mode_reason.startswith("dynamic: imported blog:create_app (config `app`) with ")
    endpoints = registry(project, "endpoints")
    by_ref = {f"{e['method']} {e['path']}": e for e in endpoints["endpoints"]}
    assert set(by_ref) == {
        "GET /posts/", "POST /posts/", "GET /posts/{post_id}", "DELETE /posts/{post_id}",
        "PUT /posts/{slug}/comments/{rest}", "GET /api/v1/items", "POST /api/v1/items", "GET /health",
    }  # Flask's own /static/<path:filename> is not the project's code; HEAD and OPTIONS are implied
    assert by_ref["GET /posts/{post_id}"]["handler"] == "blog.posts:show"
    assert by_ref["GET /posts/{post_id}"]["path_params"] == ["post_id"]
    assert (by_ref["GET /posts/{post_id}"]["file"], by_ref["GET /posts/{post_id}"]["line"]) == ("blog/posts.py", 13)
    assert by_ref["GET /api/v1/items"]["handler"] == "blog.api:ItemsAPI"
    assert by_ref["GET /api/v1/items"]["summary"] == "Items, as a class-based view."
    assert by_ref["GET /health"]["handler"] == "blog:create_app.<locals>.health"
    assert by_ref["GET /health"]["file"] == "blog/__init__.py"
    assert endpoints["openapi"] is None and result.drift == []


def test_django_url_patterns_views_and_methods_come_from_the_resolver(make_project: Callable[[str], Project]) -> None:
    project = make_project("django_site")
    result = scan_project(project)
    assert result.mode == "dynamic" and result.framework == "django"
    assert result.mode_reason.startswith("dynamic: imported Django settings mysite.settings (manage.py) with ")
    endpoints = registry(project, "endpoints")
    by_ref = {f"{e['method']} {e['path']}": e for e in endpoints["endpoints"]}
    assert set(by_ref) == {
        "GET /api/books/", "POST /api/books/",  # class-based view: its handlers
        "GET /api/books/{pk}/", "DELETE /api/books/{pk}/",  # @require_http_methods(["GET", "DELETE"])
        "GET /api/authors/{slug}/", "GET /health/", "GET /archive/{year}/",  # undeclared: GET, with a note
    }
    assert by_ref["GET /api/books/"]["handler"] == "catalog.views:BookList"
    assert by_ref["GET /api/books/"]["summary"] == "List or add books."
    assert by_ref["GET /api/books/{pk}/"]["handler"] == "catalog.views:book_detail"
    assert (by_ref["GET /api/books/{pk}/"]["file"], by_ref["GET /api/books/{pk}/"]["line"]) == ("catalog/views.py", 17)
    assert by_ref["GET /archive/{year}/"]["path_params"] == ["year"]
    notes = {(u["file"], u["reason"]) for u in endpoints["unresolved"]}
    assert ("catalog/views.py", "view catalog.views:author_detail does not declare its HTTP methods; recorded as GET") \
        in notes
    assert ("mysite/urls.py", "regular expression '^legacy/.*$' is not a plain path; its routes are not listed") \
        in notes


def test_django_models_come_from_the_app_registry_with_foreign_keys_and_indexes(
        make_project: Callable[[str], Project]) -> None:
    project = make_project("django_site")
    result = scan_project(project)
    models = {m["name"]: m for m in registry(project, "models")["models"]}
    assert set(models) == {"Author", "Book"} and result.models == 2  # django.contrib's models are not the project's
    book = models["Book"]
    assert (book["table"], book["file"], book["line"]) == ("catalog_book", "catalog/models.py", 12)
    columns = {c["name"]: c for c in book["columns"]}
    assert list(columns) == ["id", "title", "author_id", "published"]
    assert columns["id"]["primary_key"] and columns["id"]["type"] == "BigAutoField"
    assert columns["author_id"]["foreign_key"] == "catalog_author.id" and columns["author_id"]["index"]
    assert columns["published"]["index"] and columns["published"]["type"] == "DateField"
    assert book["relations"] == [{"name": "author", "target": "Author", "back_populates": None, "uselist": False}]
    author = models["Author"]
    assert {c["name"]: c["unique"] for c in author["columns"]}["name"] is True
    assert {c["name"]: c["nullable"] for c in author["columns"]}["email"] is True
    assert author["indexes"] == [{"name": "author_email_idx", "columns": ["email"], "unique": False}]


def test_django_settings_can_be_configured_instead_of_read_from_manage_py(
        make_project: Callable[[str], Project]) -> None:
    project = make_project("django_site")
    (project.root / "manage.py").unlink()
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + 'django_settings = "mysite.settings"\n',
                         encoding="utf-8")
    result = scan_project(project)
    assert result.mode_reason.startswith("dynamic: imported Django settings mysite.settings (config `django_settings`)")
    assert "GET /api/books/" in refs(registry(project, "endpoints")["endpoints"])
