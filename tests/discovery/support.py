"""Helpers shared by the discovery tests: fixture paths, writing small projects, the compared dump."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from backend_orchestrator.contracts.registry import Endpoint
from backend_orchestrator.discovery import Discovery

FIXTURES = Path(__file__).parent / "fixtures"

# the fields static discovery fills; the others (drift, the live database, ...) belong to other steps
OWNED = {
    "endpoints": {"framework", "mode", "endpoints", "unresolved", "resolved"},
    "models": {"models", "migrations", "unresolved", "resolved"},
    "services": {"services", "unresolved"},
}


def dump(discovery: Discovery) -> dict[str, object]:
    return {
        name: getattr(discovery, name).model_dump(mode="json", include=fields)
        for name, fields in OWNED.items()
    }


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def endpoint(discovery: Discovery, ref: str) -> Endpoint:
    matches = [e for e in discovery.endpoints.endpoints if e.ref == ref]
    assert len(matches) == 1, f"{ref}: {[e.ref for e in discovery.endpoints.endpoints]}"
    return matches[0]


def refs(discovery: Discovery) -> list[str]:
    return [e.ref for e in discovery.endpoints.endpoints]


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The file contents (bytes) `ast.parse` is called on from now on."""
    parsed: list[bytes] = []
    real = ast.parse

    def counting(source: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, bytes):
            parsed.append(source)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    return parsed
