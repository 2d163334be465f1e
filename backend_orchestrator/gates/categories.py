"""The fixed vocabulary of finding categories, documented in standards/finding-categories.md."""

from __future__ import annotations

import re
from functools import cache

from ..resources import standards_dir

_ROW = re.compile(r"^\| `([a-z][a-z-]*)` \| (.+?) \| ([A-Z0-9, -]+) \|$")


@cache
def categories() -> dict[str, tuple[str, tuple[str, ...]]]:
    """category -> (meaning, clause ids), read from the standard so the two cannot disagree."""
    text = (standards_dir() / "finding-categories.md").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        if match := _ROW.match(line.strip()):
            clauses = tuple(c.strip() for c in match.group(3).split(",") if c.strip())
            found[match.group(1)] = (match.group(2), clauses)
    return found
