"""Tiny OpenAPI documents for the contract-diff tests."""

from __future__ import annotations

import copy
from typing import Any

from backend_orchestrator.contractdiff import Change, Level


def api(paths: dict[str, Any] | None = None, *, version: str = "3.0.3", **extra: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths or {}, **extra}


def with_request(schema: dict[str, Any], *, version: str = "3.0.3", **extra: Any) -> dict[str, Any]:
    """``POST /items`` with a JSON request body of ``schema``."""
    operation = {"requestBody": {"required": True, "content": {"application/json": {"schema": copy.deepcopy(schema)}}},
                 "responses": {"201": {"description": "created"}}}
    return api({"/items": {"post": operation}}, version=version, **extra)


def with_response(schema: dict[str, Any], *, version: str = "3.0.3", **extra: Any) -> dict[str, Any]:
    """``GET /items`` answering 200 with a JSON body of ``schema``."""
    operation = {"responses": {"200": {"description": "ok",
                                       "content": {"application/json": {"schema": copy.deepcopy(schema)}}}}}
    return api({"/items": {"get": operation}}, version=version, **extra)


def with_parameters(*parameters: dict[str, Any], path: str = "/items") -> dict[str, Any]:
    operation = {"parameters": [copy.deepcopy(p) for p in parameters], "responses": {"200": {"description": "ok"}}}
    return api({path: {"get": operation}})


def ids(changes: list[Change]) -> set[str]:
    return {c.id for c in changes}


def at(changes: list[Change], level: Level) -> set[str]:
    return {c.id for c in changes if c.level is level}


def obj(properties: dict[str, Any], required: list[str] | None = None, /, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema
