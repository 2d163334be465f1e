"""Rendering a list of changes as JSON (for tools) or text (for people). Evaluation lives elsewhere."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from .model import Change, Level

SCHEMA_VERSION = 1


def summary(changes: Sequence[Change]) -> dict[str, int]:
    counts = Counter(change.level for change in changes)
    return {level.value: counts.get(level, 0) for level in Level}


def to_json(changes: Sequence[Change], *, base: str, revision: str) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "base": base,
        "revision": revision,
        "summary": summary(changes),
        "changes": [change.to_dict() for change in changes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_text(changes: Sequence[Change], *, base: str, revision: str) -> str:
    counts = summary(changes)
    lines = [f"{base} -> {revision}: {counts['breaking']} breaking, {counts['warning']} warning, "
             f"{counts['info']} info"]
    for change in changes:
        where = change.operation or "(document)"
        source = f" (line {change.revision_line or change.base_line})" if (
            change.revision_line or change.base_line) else ""
        lines.append(f"{change.level.value.upper():8} {where}  {change.message}  [{change.id}]{source}")
    return "\n".join(lines) + "\n"
