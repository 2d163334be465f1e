"""Generate schemas/*.schema.json (JSON Schema 2020-12) from the pydantic contracts.

Run ``backend-orchestrator schemas`` after changing a contract; ``--check`` (used by the test
suite) fails when a file on disk differs from what the contracts generate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import SCHEMA_MODELS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://backend-orchestrator.dev/schemas/"


def generate() -> dict[str, dict[str, Any]]:
    out = {}
    for stem, model in sorted(SCHEMA_MODELS.items()):
        schema = model.model_json_schema(mode="serialization")
        out[f"{stem}.schema.json"] = {"$schema": DIALECT, "$id": f"{ID_BASE}{stem}.schema.json", **schema}
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def drift(directory: Path) -> list[str]:
    """Names of schema files that are missing, stale, or no longer generated."""
    wanted = generate()
    stale = [name for name, schema in wanted.items()
             if not (directory / name).is_file()
             or (directory / name).read_text(encoding="utf-8") != render(schema)]
    extra = [p.name for p in directory.glob("*.schema.json") if p.name not in wanted]
    return sorted(stale + extra)


def write(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in generate().items():
        path = directory / name
        text = render(schema)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(name)
    for path in directory.glob("*.schema.json"):
        if path.name not in generate():
            path.unlink()
            written.append(path.name)
    return sorted(written)
