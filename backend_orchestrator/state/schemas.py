"""JSON Schema validation of everything written and read, against the files in schemas/.

Validators are compiled once per schema and ``jsonschema`` is imported on first use, so that
starting the server does not pay for it.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from typing import Any

from ..errors import StateError
from ..resources import schemas_dir

_lock = threading.Lock()


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    path = schemas_dir() / f"{name}.schema.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(f"schema file {path} is missing: the installation is incomplete") from None
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validator(name: str) -> Any:
    with _lock:
        return _validator(name)


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
