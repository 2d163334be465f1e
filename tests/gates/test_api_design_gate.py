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
from backend_orchestrator.gates.api_design import ApiDesignGate, verdict
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
             "title": f.title} for f in findings]
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
    assert verdict([]) == "pass"


def test_a_project_without_endpoints_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    result = run(tmp_path)
    assert (result.status, result.summary) == ("skipped", "no endpoints discovered")


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
    endpoints = [endpoint("GET", "/orders"), endpoint("GET", "/products"), endpoint("GET", "/api/v1/users"),
                 endpoint("GET", "/health")]
    [hit] = path_rules.versioning(endpoints, ("app/main.py", 3))
    assert (hit.rule, hit.path, hit.line) == ("AD005", "app/main.py", 3)
    assert hit.message.startswith("2 of 3 endpoints have no version prefix")


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
