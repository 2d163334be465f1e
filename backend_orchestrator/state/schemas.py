"""Validation of everything written and read: the pydantic contracts and the files in schemas/.

Two validators of the same rules (`backend-orchestrator schemas` generates schemas/ from the
contracts, and `schemas --check` keeps them equal):

- what is written is checked against its contract (`check_contract`): pydantic's compiled
  validator, in strict JSON mode, on the exact text that goes to disk (a few milliseconds for a
  registry of a thousand endpoints);
- a file read that was not known to be valid is checked against schemas/ with ``jsonschema``
  (`check`, `problems`): the published schema, whose error paths name the field. Its validators
  are compiled once per schema and ``jsonschema`` is imported on first use, so that starting the
  server does not pay for it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from ..errors import StateError
from ..resources import schemas_dir

if TYPE_CHECKING:
    from pydantic import BaseModel

_lock = threading.Lock()


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(_schema_bytes(name))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _schema_bytes(name: str) -> bytes:
    path = schemas_dir() / f"{name}.schema.json"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise RuntimeError(f"schema file {path} is missing: the installation is incomplete") from None


def validator(name: str) -> Any:
    with _lock:
        return _validator(name)


@cache
def fingerprint(name: str) -> str:
    """The sha256 of ``schemas/<name>.schema.json``: what a record of a validated file names."""
    return hashlib.sha256(_schema_bytes(name)).hexdigest()


def problems(name: str, document: Any) -> list[str]:
    """Every way ``document`` fails ``schemas/<name>.schema.json``, as readable lines."""
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    lines = []
    for error in errors[:10]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        lines.append(f"{where}: {error.message}")
    return lines


def check(name: str, document: Any, *, where: str) -> None:
    """Raise :class:`StateError` naming ``where`` when ``document`` fails its schema."""
    found = problems(name, document)
    if found:
        raise StateError(f"{where} does not match schemas/{name}.schema.json: " + "; ".join(found))


def contract(name: str) -> type[BaseModel]:
    """The pydantic contract ``schemas/<name>.schema.json`` is generated from."""
    from ..contracts import schema_model

    return schema_model(name)


def contract_problems(name: str, text: str | bytes) -> list[str]:
    """Every way the JSON ``text`` fails the contract of ``name`` (strict: no coercion, as the schema)."""
    from pydantic import ValidationError

    try:
        contract(name).model_validate_json(text, strict=True)
    except ValidationError as exc:
        return [
            f"{'/'.join(str(p) for p in error['loc']) or '(root)'}: {error['msg']}"
            for error in exc.errors(include_url=False)[:10]
        ]
    return []


def check_contract(name: str, text: str | bytes, *, where: str) -> None:
    """Raise :class:`StateError` naming ``where`` when the JSON ``text`` fails the contract of ``name``."""
    found = contract_problems(name, text)
    if found:
        raise StateError(f"{where} does not match schemas/{name}.schema.json: " + "; ".join(found))
