"""schemas/ is generated from the contracts and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from backend_orchestrator.contracts import SCHEMA_MODELS
from backend_orchestrator.contracts.export import drift, generate

REPO = Path(__file__).resolve().parents[1]


def test_schema_files_match_the_contracts() -> None:
    assert drift(REPO / "schemas") == [], "run `backend-orchestrator schemas` and commit the result"


def test_every_schema_is_valid_json_schema_2020_12() -> None:
    for name, schema in generate().items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", name
        Draft202012Validator.check_schema(schema)
        on_disk = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
        assert on_disk == schema


def test_every_contract_forbids_unknown_keys() -> None:
    for stem, model in SCHEMA_MODELS.items():
        assert model.model_json_schema().get("additionalProperties") is False, stem


def test_public_all_is_sorted() -> None:
    import backend_orchestrator.contracts as contracts
    import backend_orchestrator.workflow as workflow

    for module in (contracts, workflow):
        assert module.__all__ == sorted(module.__all__), module.__name__
