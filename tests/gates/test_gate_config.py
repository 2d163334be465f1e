"""Gate settings come from [tool.backend-orchestrator]; environment variables override them for one run."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from backend_orchestrator.config import load_config
from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.contracts.task import Task
from backend_orchestrator.errors import ConfigError
from backend_orchestrator.gates import get_gate
from backend_orchestrator.gates.base import GateContext
from backend_orchestrator.gates.performance import Profile, select_targets


def test_the_load_profile_comes_from_the_config_and_bounds_the_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BO_LOAD_USERS", "BO_LOAD_SECONDS", "BO_STARTUP_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    config = ProjectConfig.model_validate({"load": {"users": 4, "seconds": 30, "startup_s": 20}})
    assert Profile.from_config(config) == Profile(users=4, seconds=30, startup_s=20)
    assert get_gate("performance").time_limit(config) >= 50
    monkeypatch.setenv("BO_LOAD_SECONDS", "3")
    assert Profile.from_config(config).seconds == 3


def test_database_settings_are_validated() -> None:
    assert ProjectConfig.model_validate({"database_env": "SHOP_DATABASE_URL"}).database_env == "SHOP_DATABASE_URL"
    with pytest.raises(ValueError):
        ProjectConfig.model_validate({"database_env": "not a variable"})
    with pytest.raises(ValueError):
        ProjectConfig.model_validate({"load": {"users": 0}})


def test_the_serve_section_and_load_requests_come_from_the_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [tool.backend-orchestrator]
        app = "shop.main:app"
        [tool.backend-orchestrator.serve]
        interface = "wsgi"
        seed = "shop.seed:seed"
        [[tool.backend-orchestrator.load.requests]]
        method = "post"
        path = "/api/v1/orders/{order_id}/items"
        json = {product_id = 1, quantity = 2}
        auth = true
        weight = 3
    """), encoding="utf-8")
    config = load_config(tmp_path)
    assert (config.serve.interface, config.serve.seed) == ("wsgi", "shop.seed:seed")
    [request] = config.load.requests
    assert (request.method, request.path, request.body, request.auth, request.weight, request.name) == (
        "POST", "/api/v1/orders/{order_id}/items", {"product_id": 1, "quantity": 2}, True, 3, None)
    assert request.placeholders() == ["order_id"]


@pytest.mark.parametrize(("table", "named"), [
    ('[tool.backend-orchestrator.serve]\ninterface = "rsgi"',
     ["serve.interface", "'rsgi'", "'auto', 'asgi' or 'wsgi'"]),
    ('[tool.backend-orchestrator.serve]\nseed = "python -c boom"',
     ["serve.seed", "'python -c boom'", "'module:function'", "never a command"]),
    ('[[tool.backend-orchestrator.load.requests]]\nmethod = "FETCH"\npath = "/x"',
     ["load.requests.0.method", "'FETCH'", "'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD' or 'OPTIONS'"]),
    ('[[tool.backend-orchestrator.load.requests]]\nmethod = "GET"\npath = "api/v1/x"',
     ["load.requests.0.path", "'api/v1/x' must start with '/'"]),
    ('[[tool.backend-orchestrator.load.requests]]\nmethod = "GET"\npath = "/x/{order id}"',
     ["load.requests.0.path", "{order id}", "an identifier"]),
    ('[[tool.backend-orchestrator.load.requests]]\nmethod = "GET"\npath = "/x/{id"',
     ["load.requests.0.path", "'/x/{id'", "unbalanced braces"]),
    ('[[tool.backend-orchestrator.load.requests]]\nmethod = "GET"\npath = "/x"\nweight = 0',
     ["load.requests.0.weight", "greater than or equal to 1", "(got 0)"]),
    ('[[tool.backend-orchestrator.load.requests]]\nmethod = "GET"\npath = "/x"\njsno = {}',
     ["unknown key 'load.requests.0.jsno'", "auth, json, method, name, path, weight", "did you mean 'json'?"]),
])
def test_a_bad_serve_or_load_setting_is_an_error_naming_the_value_and_the_choices(
        tmp_path: Path, table: str, named: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[tool.backend-orchestrator]\napp = "a.b:app"\n{table}\n',
                                             encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    for text in named:
        assert text in str(raised.value)


def test_a_seed_adds_its_timeout_to_the_gate_s_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BO_LOAD_USERS", "BO_LOAD_SECONDS", "BO_STARTUP_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    plain = ProjectConfig()
    seeded = ProjectConfig.model_validate({"serve": {"seed": "shop.seed:seed", "seed_timeout_s": 40}})
    gate = get_gate("performance")
    assert gate.time_limit(seeded) - gate.time_limit(plain) == 40


def task_naming(*endpoints: str) -> Task:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    return Task(schema_version=1, id="task-001-api", title="Speed up orders", description="Make it fast.",
                kind="api", status="in_progress", endpoints=list(endpoints), created_at=now, updated_at=now)


def test_the_load_targets_are_the_safe_gets_and_configured_requests_or_the_task_s_among_them(shop: Path) -> None:
    config = load_config(shop)
    every = ["GET /api/v1/products", "GET /health", "GET /api/v1/products/{product_id}", "GET /api/v1/orders",
             "GET /api/v1/orders/{order_id}", "GET /api/v1/users/me"]
    targets, origin = select_targets(GateContext(root=shop, config=config, evidence_dir=shop / "evidence"))
    assert [t.name for t in targets] == every and origin.endswith("and 4 configured request(s)")
    order = targets[4]  # a configured request counts as the endpoint it matches
    assert (order.file, order.handler, order.send_auth, order.configured) == (
        "shop/routers/orders.py", "shop.routers.orders:read_order", True, True)
    task = task_naming("GET /health", "GET /api/v1/orders/{order_id}")
    ctx = GateContext(root=shop, config=config, evidence_dir=shop / "evidence", task=task)
    assert select_targets(ctx) == (targets[1:2] + targets[4:5], "the task's endpoints")
    ctx = GateContext(root=shop, config=config, evidence_dir=shop / "evidence",
                      task=task_naming("DELETE /api/v1/products/{product_id}"))
    targets, origin = select_targets(ctx)
    assert [t.name for t in targets] == every and "none of the task's endpoints can be loaded" in origin


def test_a_configured_request_replaces_the_safe_get_of_the_same_route(shop: Path) -> None:
    config = ProjectConfig.model_validate({**load_config(shop).model_dump(by_alias=True), "load": {
        "requests": [{"method": "GET", "path": "/api/v1/products", "weight": 3, "name": "catalogue"}]}})
    targets, _ = select_targets(GateContext(root=shop, config=config, evidence_dir=shop / "evidence"))
    assert [(t.name, t.path, t.weight) for t in targets] == [("GET /health", "/health", 1),
                                                              ("catalogue", "/api/v1/products", 3)]
