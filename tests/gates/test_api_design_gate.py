"""The `api-design` gate: REST design rules over the endpoint registry, the handlers' code and the recorded
OpenAPI document, on fixture projects, on examples/shop and on edge cases."""

from __future__ import annotations

import ast
import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.registry import Endpoint
from backend_orchestrator.contracts.report import Finding, GateResult
from backend_orchestrator.gates import api_design_code as code_rules
from backend_orchestrator.gates import api_design_paths as path_rules
from backend_orchestrator.gates.api_design import ApiDesignGate
from backend_orchestrator.gates.base import GateContext, run_gate

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures" / "api-design"
GOLDEN = HERE / "golden" / "api-design.json"
DOCUMENT = "ai-state/active/backend/openapi.json"


def copy_fixture(name: str, dest: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, dest / name, ignore=shutil.ignore_patterns("__pycache__")))


def run(root: Path) -> GateResult:
    ctx = GateContext(root=root.resolve(), config=load_config(root), evidence_dir=root / "evidence")
    return run_gate(ApiDesignGate(), ctx)


def pinned(findings: list[Finding]) -> list[dict[str, object]]:
    rows = [{"rule_id": f.rule_id, "severity": f.severity, "category": f.category, "path": f.path, "line": f.line,
             "title": f.title, "fingerprint": f.fingerprint} for f in findings]
    return sorted(rows, key=lambda r: (str(r["path"]), r["line"] or 0, str(r["rule_id"]), str(r["title"])))


def edit_document(root: Path, change: object) -> None:
    path = root / DOCUMENT
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)  # type: ignore[operator]
    path.write_text(json.dumps(document), encoding="utf-8")


def endpoint(method: str, path: str, **fields: object) -> Endpoint:
    return Endpoint.model_validate({"method": method, "path": path, "handler": "app.api:handler",
                                    "file": "app/api.py", "line": 1, **fields})


@pytest.mark.parametrize("name", ["ok", "bad"])
def test_each_fixture_reports_exactly_its_planted_defects(name: str, tmp_path: Path) -> None:
    root = copy_fixture(name, tmp_path)
    result = run(root)
    if name == "ok":
        assert (result.status, result.findings) == ("pass", []), result.summary
        assert "rate limiting: app/main.py:8" in result.summary
        return
    assert result.status == "fail"
    rows = pinned(result.findings)
    if os.environ.get("BO_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    assert rows == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert {f.rule_id for f in result.findings} == {r.id for r in ApiDesignGate.rules}, "every rule planted once"
    assert result.evidence == ["evidence/api-design/openapi-validation.json"]
    raw = json.loads((root / result.evidence[0]).read_text(encoding="utf-8"))
    assert raw["errors"] == [{"json_path": "$.paths['/api/v1/stats'].get.deprecated",
                              "message": "'soon' is not of type 'boolean'"}]


def test_the_planted_defects_are_reported_at_their_lines(tmp_path: Path) -> None:
    result = run(copy_fixture("bad", tmp_path))
    at = {(f.rule_id, f.path, f.line) for f in result.findings}
    catalog = "app/routers/catalog.py"
    assert {("AD010", catalog, 12), ("AD006", catalog, 18), ("AD009", catalog, 29), ("AD007", catalog, 34),
            ("AD001", catalog, 40), ("AD003", catalog, 40), ("AD003", catalog, 46), ("AD008", catalog, 46),
            ("AD002", catalog, 54), ("AD004", catalog, 62), ("AD004", catalog, 68), ("AD014", catalog, 74),
            ("AD013", "app/routers/orders.py", 11), ("AD005", "app/routers/reports.py", 9),
            ("AD012", "app/main.py", 5), ("AD013", "app/main.py", 5)} <= at


@pytest.mark.parametrize("name", ["ok", "bad"])
def test_the_recorded_registry_of_each_fixture_matches_its_code(name: str) -> None:
    from backend_orchestrator.discovery import scan

    root = FIXTURES / name
    stored = json.loads((root / "ai-state/active/backend/endpoints.json").read_text(encoding="utf-8"))
    fresh = scan(root.resolve(), load_config(root)).endpoints.endpoints
    key = ("method", "path", "handler", "file", "line")
    assert sorted(tuple(e[k] for k in key) for e in stored["endpoints"]) == sorted(
        tuple(getattr(e, k) for k in key) for e in fresh)


def test_the_example_shop_reports_its_unpaginated_lists_and_missing_rate_limiting(shop: Path) -> None:
    result = run(shop)
    assert result.status == "fail"
    assert [(f.rule_id, f.path, f.line) for f in result.findings] == [
        ("AD010", "shop/routers/orders.py", 27), ("AD010", "shop/routers/products.py", 23),
        ("AD012", "shop/main.py", 7)]
    assert [f.evidence for f in result.findings[:2]] == ["GET /api/v1/orders", "GET /api/v1/products"]
    assert "no OpenAPI document recorded" in result.summary and "spec-based rules were skipped" in result.summary
    assert result.metrics["openapi"] is None


@pytest.mark.slow
def test_with_a_recorded_document_the_shop_documents_its_error_statuses_until_a_route_drops_them(shop: Path) -> None:
    from backend_orchestrator.state import Project
    from backend_orchestrator.workflow.registry import scan_project

    assert scan_project(Project.open(shop), mode="dynamic").openapi == DOCUMENT
    result = run(shop)
    # no AD008 (every 400/401/403/404/409 is in responses=), no AD011 (one error shape), no AD013 (every protected
    # operation declares security: the unauthenticated DELETE is the security gate's finding)
    assert [(f.rule_id, f.evidence) for f in result.findings] == [
        ("AD010", "GET /api/v1/orders"), ("AD010", "GET /api/v1/products"), ("AD012", None)]
    assert result.metrics["openapi_errors"] == 0

    router = shop / "shop" / "routers" / "orders.py"
    declared = ', responses=error_responses(401, 403, 404))\ndef read_order('
    router.write_text(router.read_text(encoding="utf-8").replace(declared, ")\ndef read_order("), encoding="utf-8")
    scan_project(Project.open(shop), mode="dynamic")
    undocumented = [(f.evidence, f.message.split(" raises ")[1].split(" but ")[0])
                    for f in run(shop).findings if f.rule_id == "AD008"]
    assert undocumented == [("GET /api/v1/orders/{order_id}", "403, 404")]


def test_an_unresolvable_ref_is_reported_as_an_invalid_document_not_raised(tmp_path: Path) -> None:
    root = copy_fixture("ok", tmp_path)
    edit_document(root, lambda d: d["paths"]["/api/v1/stats"]["get"]["responses"]["200"]["content"][
        "application/json"].__setitem__("schema", {"$ref": "#/components/schemas/Missing"}))
    result = run(root)
    assert result.status == "fail"
    [finding] = result.findings
    assert (finding.rule_id, finding.severity, finding.path) == ("AD014", "high", DOCUMENT)
    assert "'/components/schemas/Missing'" in finding.message and "{" not in finding.title


def test_a_recorded_document_that_is_not_json_is_an_invalid_document_finding(tmp_path: Path) -> None:
    root = copy_fixture("ok", tmp_path)
    (root / DOCUMENT).write_text('{"openapi": "3.1.0",', encoding="utf-8")
    result = run(root)
    assert [(f.rule_id, f.path, f.line) for f in result.findings] == [("AD014", DOCUMENT, 1)]
    assert "is not JSON" in result.summary


def test_a_document_without_a_version_is_an_invalid_document_finding(tmp_path: Path) -> None:
    root = copy_fixture("ok", tmp_path)
    edit_document(root, lambda d: d.pop("openapi"))
    result = run(root)
    assert [(f.rule_id, f.evidence) for f in result.findings] == [("AD014", "$.openapi")]


def test_a_missing_recorded_document_skips_the_spec_rules_and_says_so(tmp_path: Path) -> None:
    root = copy_fixture("bad", tmp_path)
    (root / DOCUMENT).unlink()
    result = run(root)
    assert "is missing" in result.summary
    rules = {f.rule_id for f in result.findings}
    assert not rules & {"AD008", "AD011", "AD013", "AD014"}
    assert {"AD001", "AD005", "AD010", "AD012"} <= rules


def test_an_operation_taking_input_without_any_4xx_is_reported(tmp_path: Path) -> None:
    root = copy_fixture("ok", tmp_path)
    edit_document(root, lambda d: d["paths"]["/api/v1/reports/{report_id}"]["get"]["responses"].pop("422"))
    [finding] = run(root).findings
    assert (finding.rule_id, finding.path, finding.line) == ("AD008", "app/routers/reports.py", 9)
    assert "documents no 4xx" in finding.message


def test_only_low_findings_make_the_gate_warn(tmp_path: Path) -> None:
    root = copy_fixture("ok", tmp_path)
    main = root / "app" / "main.py"
    text = main.read_text(encoding="utf-8")
    text = text.replace("from app.ratelimit import RateLimitMiddleware", "# no limiter")
    main.write_text(text.replace("app.add_middleware(RateLimitMiddleware, per_minute=120)", "# none"), "utf-8")
    (root / "app" / "ratelimit.py").unlink()
    result = run(root)
    assert [(f.rule_id, f.severity) for f in result.findings] == [("AD012", "low")]
    assert result.status == "warn"


def test_a_project_without_endpoints_is_not_applicable(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    result = run(tmp_path)
    assert (result.status, result.summary) == ("not-applicable", "no endpoints discovered")


def test_accepted_names_are_not_naming_findings() -> None:
    fine = [endpoint("GET", "/api/v1/products/search", response_model="list[ProductRead]"),
            endpoint("POST", "/api/v1/auth/login"), endpoint("GET", "/api/v1/users/me"),
            endpoint("GET", "/api/v1/statuses/{status_id}"), endpoint("GET", "/api/v1/people/{person_id}"),
            endpoint("GET", "/api/v1/addresses/{address_id}"), endpoint("GET", "/openapi.json"),
            endpoint("GET", "/api/v1/order-items/{item_id}/metadata"), endpoint("GET", "/"),
            endpoint("GET", "/api/v2/sub0/{item_id}")]
    assert path_rules.naming(fine) == []
    wrong = [endpoint("GET", "/api/v1/status/{status_id}"), endpoint("POST", "/api/v1/orders/{order_id}/cancel"),
             endpoint("GET", "/api/v1/Products"), endpoint("GET", "/api/v1/address/{address_id}")]
    assert sorted((h.rule, h.evidence) for h in path_rules.naming(wrong)) == [
        ("AD001", "POST /api/v1/orders/{order_id}/cancel"), ("AD002", "GET /api/v1/address/{address_id}"),
        ("AD002", "GET /api/v1/status/{status_id}"), ("AD003", "GET /api/v1/Products")]


def test_an_api_mostly_without_versions_gets_one_finding_at_the_app() -> None:
    endpoints = [endpoint("GET", "/orders"), endpoint("GET", "/products"), endpoint("GET", "/carts"),
                 endpoint("GET", "/tags"), endpoint("GET", "/api/v1/users"), endpoint("GET", "/health")]
    [hit] = path_rules.versioning(endpoints, ("app/main.py", 3))
    assert (hit.rule, hit.path, hit.line, hit.subject, hit.endpoint) == (
        "AD005", "app/main.py", 3, "API version prefix", None)
    assert hit.message.startswith("4 of 5 endpoints (80 %) have no version prefix (e.g. GET /orders)")
    assert "house style" in hit.message


def test_a_small_api_without_any_version_gets_one_finding_and_a_small_mixed_one_a_finding_per_endpoint() -> None:
    unversioned = [endpoint("GET", "/orders"), endpoint("GET", "/products", line=2), endpoint("GET", "/health")]
    [hit] = path_rules.versioning(unversioned, ("app/main.py", 3))
    assert (hit.subject, hit.path) == ("API version prefix", "app/main.py")
    assert hit.message.startswith("2 of 2 endpoints (100 %) have no version prefix") and "house" not in hit.message
    mixed = [*unversioned, endpoint("GET", "/api/v1/users", line=3)]  # 2 of 3 unversioned: too few for a house style
    hits = path_rules.versioning(mixed, ("app/main.py", 3))
    assert [(h.endpoint, h.subject, h.line) for h in hits] == [("GET /orders", None, 1), ("GET /products", None, 2)]
    assert "outside the version prefix /api/v1 that 1 of 3 endpoints (33 %) of this project share" in hits[0].message


def test_a_versioned_house_reports_every_endpoint_outside_its_prefix_by_endpoint() -> None:
    endpoints = [endpoint("GET", f"/api/v2/{name}") for name in ("orders", "products", "carts", "tags")]
    endpoints += [endpoint("GET", "/api/v1/users"), endpoint("GET", "/reports", line=7),
                  endpoint("POST", "/reports", line=9), endpoint("GET", "/healthz")]
    hits = path_rules.versioning(endpoints, ("app/main.py", 3))
    assert [(h.rule, h.endpoint, h.line, h.title) for h in hits] == [
        ("AD005", "GET /reports", 7, "Unversioned endpoint /reports"),
        ("AD005", "POST /reports", 9, "Unversioned endpoint /reports")]
    assert "outside the version prefix /api/v2 that 5 of 7 endpoints (71 %) of this project share" in hits[0].message


def test_a_create_is_told_by_its_collection_or_its_handler_name_but_token_endpoints_are_not() -> None:
    endpoints = [endpoint("POST", "/api/v1/orders"), endpoint("GET", "/api/v1/orders/{order_id}"),
                 endpoint("POST", "/api/v1/signups", handler="app.api:register_user"),
                 endpoint("POST", "/api/v1/auth/token", handler="app.api:create_token"),
                 endpoint("POST", "/api/v1/reports/{report_id}/exports", status_codes=[202]),
                 endpoint("POST", "/api/v1/searches")]
    assert sorted(h.evidence for h in path_rules.status_codes(endpoints) if h.rule == "AD006") == [
        "POST /api/v1/orders", "POST /api/v1/signups"]


def handler_of(source: str) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(source)).body[-1]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_pagination_is_seen_through_a_dependency_or_the_query_string() -> None:
    assert code_rules.paginates(handler_of("def f(params: Annotated[PageParams, Depends()]): ..."))
    assert code_rules.paginates(handler_of("def f(p=Depends(pagination)): ..."))
    assert code_rules.paginates(handler_of("def f():\n    n = request.args.get('per_page', 20)\n"))
    assert not code_rules.paginates(handler_of("def f(session: SessionDep, q: str | None = None): ..."))


def test_error_bodies_are_told_from_error_responses_with_their_status() -> None:
    body = handler_of("""
        def f(x):
            if x == 1:
                return {"error": "missing"}
            if x == 2:
                return JSONResponse({"error": "gone"}, status_code=410)
            if x == 3:
                return JSONResponse(content={"errors": []})
            if x == 4:
                return {"success": False, "reason": "no"}
            if x == 5:
                return JSONResponse({"error": "bad"}, status_code=status.HTTP_400_BAD_REQUEST)
            def nested():
                return {"error": "not this one"}
            return {"ok": True}
    """)
    assert code_rules.error_returns(body) == [4, 8, 10]


def test_rate_limiting_is_found_through_slowapi_or_a_documented_429(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "export.py").write_text("import csv\n\ndelimiter = ';'\nreader = csv.reader([], delimiter=delimiter)\n",
                                   "utf-8")
    code = code_rules.CodeIndex(tmp_path.resolve(), [(app / "export.py").resolve()])
    assert code_rules.rate_limiting(code) is None
    (app / "main.py").write_text("from slowapi import Limiter\n\nlimiter = Limiter(key_func=None)\n", "utf-8")
    code = code_rules.CodeIndex(tmp_path.resolve(), [(app / "export.py").resolve(), (app / "main.py").resolve()])
    assert code_rules.rate_limiting(code) == "app/main.py:1"
    root = copy_fixture("bad", tmp_path)
    edit_document(root, lambda d: d["paths"]["/api/v1/stats"]["get"]["responses"].__setitem__(
        "429", {"description": "Too many requests"}))
    result = run(root)
    assert "AD012" not in {f.rule_id for f in result.findings}
    assert "rate limiting: GET /api/v1/stats documents 429" in result.summary


def test_the_app_is_located_from_the_config_or_from_its_constructor(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "web.py").write_text("import fastapi\n\n\napi = fastapi.FastAPI()\n", encoding="utf-8")
    code = code_rules.CodeIndex(tmp_path.resolve(), [(tmp_path / "svc" / "web.py").resolve()])
    assert code_rules.app_location(code, "svc.web:api", []) == ("svc/web.py", 4)
    assert code_rules.app_location(code, None, []) == ("svc/web.py", 4)
    assert code_rules.app_location(code, "svc.missing:app", []) == ("svc/web.py", 4)


def test_naming_hits_are_identified_by_their_path_prefix_or_path_whichever_endpoint_anchors_them() -> None:
    wrong = [endpoint("GET", "/api/v1/getWidgetCount", line=20), endpoint("GET", "/api/v1/person/{person_id}", line=30),
             endpoint("GET", "/api/v1/tags/", line=40)]
    hits = path_rules.naming(wrong)
    assert sorted((h.rule, h.subject, h.endpoint) for h in hits) == [
        ("AD001", "path prefix /api/v1/getWidgetCount", None), ("AD002", "path prefix /api/v1/person", None),
        ("AD003", "path prefix /api/v1/getWidgetCount", None), ("AD004", "path /api/v1/tags/", None)]
    anchored_earlier = [*wrong, endpoint("DELETE", "/api/v1/person/{person_id}", line=10)]
    [moved] = [h for h in path_rules.naming(anchored_earlier) if h.rule == "AD002"]
    assert (moved.line, moved.evidence, moved.subject) == (10, "DELETE /api/v1/person/{person_id}",
                                                            "path prefix /api/v1/person")
    creates = [endpoint("POST", "/api/v1/widgets"), endpoint("GET", "/api/v1/widgets/{widget_id}"),
               endpoint("DELETE", "/api/v1/widgets/{widget_id}", status_codes=[201])]
    assert sorted((h.rule, h.endpoint, h.subject) for h in path_rules.status_codes(creates)) == [
        ("AD006", "POST /api/v1/widgets", None), ("AD007", "DELETE /api/v1/widgets/{widget_id}", None)]


def test_a_project_whose_paths_mostly_end_with_a_slash_wants_the_slash_on_new_endpoints_too() -> None:
    house = [endpoint("GET", "/api/v1/items/"), endpoint("GET", "/api/v1/items/{item_id}/"),
             endpoint("GET", "/api/v1/orders/"), endpoint("GET", "/api/v1/orders/{order_id}/"),
             endpoint("GET", "/api/v1/users/"), endpoint("GET", "/health")]
    with_slash = endpoint("POST", "/api/v1/tags/", line=50)
    without = endpoint("POST", "/api/v1/carts", line=60)
    export = endpoint("GET", "/api/v1/exports/{export_id}.csv", line=70)
    hits = [h for h in path_rules.naming([*house, with_slash, without, export]) if h.rule == "AD004"]
    assert [(h.title, h.subject, h.line) for h in sorted(hits, key=lambda h: h.line or 0)] == [
        ("No trailing slash in /api/v1/carts", "path /api/v1/carts", 60),
        ("File extension in /api/v1/exports/{export_id}.csv", "path /api/v1/exports/{export_id}.csv", 70)]
    assert "but this project's paths do (6 of 8, 75 %); serve /api/v1/carts/ to follow the house style" in \
        hits[0].message


def test_in_a_project_without_trailing_slashes_a_slash_is_reported_with_the_share_that_has_none() -> None:
    house = [endpoint("GET", f"/api/v1/{name}") for name in ("items", "orders", "users", "carts", "tags")]
    [hit] = path_rules.naming([*house, endpoint("GET", "/api/v1/things/", line=9)])
    assert (hit.rule, hit.title) == ("AD004", "Trailing slash in /api/v1/things/")
    assert hit.message.startswith("GET /api/v1/things/ ends with a slash; 5 of 6 endpoints (83 %) of this project "
                                  "do not.")


def test_in_a_house_whose_creates_answer_200_a_200_or_201_create_is_fine_but_another_code_is_not() -> None:
    names = ("orders", "carts", "tags", "users", "notes")
    house = [e for name in names for e in (endpoint("POST", f"/api/v1/{name}"),
                                           endpoint("GET", f"/api/v1/{name}/{{item_id}}"))]
    created = endpoint("POST", "/api/v1/invoices", handler="app.api:create_invoice", status_codes=[201])
    no_content = endpoint("POST", "/api/v1/labels", handler="app.api:create_label", status_codes=[204], line=9)
    [hit] = path_rules.status_codes([*house, created, no_content])
    assert (hit.rule, hit.endpoint, hit.title) == ("AD006", "POST /api/v1/labels", "Create answers 204, not 201")
    assert "while this project's creates answer 200 (5 of 7, 71 %); answer 200 like them, or 201" in hit.message
    hits = path_rules.status_codes(house[:8])  # 4 creates answering 200 are too few for a house style
    assert sorted(h.endpoint or "" for h in hits) == [f"POST /api/v1/{name}" for name in sorted(names[:4])]
    assert "as 0 of 4 creates (0 %) of this project do" in hits[0].message


def test_a_snake_case_house_accepts_its_style_and_kebab_case_but_reports_camel_case_in_its_spelling() -> None:
    house = [endpoint("GET", f"/api/v1/{name}/{{item_id}}")
             for name in ("order_items", "line_items", "user_accounts", "billing_addresses", "shipping_methods")]
    kebab = endpoint("GET", "/api/v1/gift-cards/{card_id}")
    camel = endpoint("GET", "/api/v1/giftWraps/{wrap_id}", line=9)
    [hit] = path_rules.naming([*house, kebab, camel])
    assert (hit.rule, hit.title, hit.subject) == ("AD003", "camelCase segment in /api/v1/giftWraps",
                                                   "path prefix /api/v1/giftWraps")
    assert "this project's multi-word path segments are snake_case (5 of 7, 71 %); write 'gift_wraps'" in hit.message
    few = path_rules.naming(house[:4])  # four segments are too few: the standard applies
    assert [h.rule for h in few] == ["AD003"] * 4
    assert "lower kebab case ('order-items'), as 0 of 4 multi-word path segments (0 %) of this project are" in \
        few[0].message


def test_a_house_of_singular_collection_names_gets_no_singular_collection_findings() -> None:
    house = [endpoint("GET", f"/api/v1/{name}/{{item_id}}") for name in ("user", "order", "product", "cart")]
    plural = endpoint("GET", "/api/v1/tags/{tag_id}")
    assert [h.rule for h in path_rules.naming(house)] == ["AD002"] * 4  # too few for a house style
    assert "0 of 4 collection names (0 %) of this project are plural" in path_rules.naming(house)[0].message
    assert path_rules.naming([*house, endpoint("GET", "/api/v1/invoice/{invoice_id}"), plural]) == []


def test_action_segments_are_not_collections_unless_their_parameter_is_named_after_them() -> None:
    actions = [endpoint(method, path) for method, path in (
        ("POST", "/api/v1/password-recovery/{email}"), ("POST", "/api/v1/password-reset/{token}"),
        ("GET", "/api/v1/email-verification/{token}"), ("GET", "/api/v1/oauth/callback/{provider}"),
        ("GET", "/api/v1/jobs/{job_id}/status"), ("GET", "/api/v1/status/{job_id}"),
        ("GET", "/api/v1/download/<path:file_id>"))]
    assert path_rules.naming(actions) == []
    counted = [endpoint("GET", "/api/v1/status/{status_id}"), endpoint("GET", "/api/v1/export/{export_id}"),
               endpoint("GET", "/api/v1/subscription/{subscription_id}"), endpoint("GET", "/api/v1/webhook/{hook_id}")]
    assert sorted(h.subject or "" for h in path_rules.naming(counted)) == [
        "path prefix /api/v1/export", "path prefix /api/v1/status", "path prefix /api/v1/subscription",
        "path prefix /api/v1/webhook"]


def test_the_house_style_takes_at_least_five_cases_and_sixty_percent_of_them() -> None:
    def slashes(with_slash: int, without: int) -> path_rules.Convention:
        eps = [endpoint("GET", f"/api/v1/a{i}/") for i in range(with_slash)]
        eps += [endpoint("GET", f"/api/v1/b{i}") for i in range(without)]
        return path_rules.house_style(eps).slash

    assert (slashes(3, 2).house, slashes(3, 2).share("trailing slash")) == ("trailing slash", "3 of 5, 60 %")
    assert slashes(4, 0).house == "no trailing slash"  # four endpoints are too few
    assert slashes(5, 4).house == "no trailing slash"  # 55 %: no clear majority
    assert not slashes(5, 4).differs and slashes(5, 0).differs
    style = path_rules.house_style([endpoint("GET", "/health/"), endpoint("GET", "/api/v1/order_items/{item_id}"),
                                    endpoint("GET", "/api/v1/order_items", response_model="list[Item]")])
    assert (style.slash.measured, style.case.counts, style.plural.counts, style.version_prefix) == (
        2, (("kebab-case", 0), ("snake_case", 1), ("camelCase", 0)), (("plural", 1), ("singular", 0)), "/api/v1")


def test_a_house_style_held_by_half_the_cases_and_twice_the_standard_counts_too() -> None:
    camel = [endpoint("GET", f"/api/v2/{name}/{{item_id}}")
             for name in ("dagRuns", "taskInstances", "importErrors", "eventLogs", "xcomEntries")]
    snake = [endpoint("GET", f"/ui/{name}/{{item_id}}") for name in ("dag_stats", "latest_run", "next_runs")]
    kebab = [endpoint("GET", "/api/v2/state-store/{key}")]
    style = path_rules.house_style([*camel, *snake, *kebab])
    assert (style.case.house, style.case.share("camelCase")) == ("camelCase", "5 of 9, 55 %")
    new = endpoint("GET", "/api/v2/dags/{dag_id}/activeRuns", line=9)
    assert [h for h in path_rules.naming([*camel, *snake, *kebab, new]) if "activeRuns" in h.message] == []


def test_an_rpc_style_house_accepts_verbs_in_paths_and_a_resource_house_reports_them() -> None:
    rpc = [endpoint("POST", f"/api/project/{{name}}/{what}") for what in
           ("volumes/list", "volumes/get", "volumes/delete", "runs/get_plan", "fleets/apply", "secrets/get")]
    new = endpoint("POST", "/api/project/{name}/volumes/list_all", line=9)
    assert [h.rule for h in path_rules.naming([*rpc, new]) if h.rule == "AD001"] == []
    nouns = [endpoint("GET", f"/api/v1/{what}") for what in ("orders", "products", "users", "carts", "invoices")]
    [hit] = [h for h in path_rules.naming([*nouns, endpoint("POST", "/api/v1/orders/cancel")]) if h.rule == "AD001"]
    assert "5 of 6 endpoints (83 %) of this project use nouns" in hit.message
