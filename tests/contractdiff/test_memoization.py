"""Shared and recursive components: memoized walks report exactly what fresh walks report."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from backend_orchestrator.contractdiff import Change, diff, walk

from .specs import api, obj


def _random_api(seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Components that refer to each other (cycles included), used by several operations; then one or two
    changes deep inside them."""
    rnd = random.Random(seed)
    names = [f"C{i}" for i in range(8)]
    schemas: dict[str, Any] = {}
    for name in names:
        props: dict[str, Any] = {f"v{j}": {"type": "string", "maxLength": 50} for j in range(3)}
        for k in range(rnd.randint(0, 3)):
            target = {"$ref": f"#/components/schemas/{rnd.choice(names)}"}
            props[f"r{k}"] = target if rnd.random() < 0.6 else {"type": "array", "items": target}
        schemas[name] = obj(props, ["v0"])
    paths: dict[str, Any] = {}
    for i in range(6):
        ref = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{rnd.choice(names)}"}}}}
        paths[f"/p{i}"] = {"post": {"requestBody": ref, "responses": {"200": {"description": "ok", **ref}}}}
    base = api(paths, components={"schemas": schemas})
    revision = copy.deepcopy(base)
    for _ in range(rnd.randint(1, 2)):
        changed = revision["components"]["schemas"][rnd.choice(names)]["properties"]
        changed[f"v{rnd.randint(0, 2)}"]["maxLength"] = rnd.choice([10, 99])
    return base, revision


def _key(changes: list[Change]) -> list[tuple[object, ...]]:
    return sorted((c.id, c.operation, c.location, c.message, c.base_line) for c in changes)


@pytest.mark.parametrize("seed", range(60))
def test_memoized_walks_report_the_same_changes_as_fresh_walks(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    base, revision = _random_api(seed)
    memoized = diff(base, revision)
    monkeypatch.setattr(walk.SchemaWalks, "memoize", False)
    assert _key(memoized) == _key(diff(base, revision))


def test_a_change_inside_mutually_recursive_components_is_reported_for_every_operation() -> None:
    def spec(max_length: int) -> dict[str, Any]:
        user = obj({"name": {"type": "string", "maxLength": max_length},
                    "orders": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}})
        order = obj({"buyer": {"$ref": "#/components/schemas/User"}, "total": {"type": "integer"}})
        body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}
        user_body = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}
        return api({"/users": {"get": {"responses": {"200": {"description": "ok", **user_body}}}},
                    "/orders": {"get": {"responses": {"200": {"description": "ok", **body}}}}},
                   components={"schemas": {"User": user, "Order": order}})

    changes = diff(spec(50), spec(80))
    assert [(c.operation, c.message.split(":")[0]) for c in changes] == [
        ("GET /orders", "response property 'buyer/name'"), ("GET /users", "response property 'name'")]


def test_schemas_nested_deeper_than_the_limit_are_reported_as_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(walk, "MAX_DEPTH", 2)
    deep = obj({"a": obj({"b": obj({"c": {"type": "string", "maxLength": 5}})})})
    deeper = copy.deepcopy(deep)
    deeper["properties"]["a"]["properties"]["b"]["properties"]["c"]["maxLength"] = 1
    body = api({"/x": {"get": {"responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": deep}}}}}}})
    changed = copy.deepcopy(body)
    changed["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = deeper
    assert [c.id for c in diff(body, changed)] == ["schema-depth-limit-reached"]
