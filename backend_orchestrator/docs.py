"""The standards: clauses with stable ids, parsed from standards/*.md.

A clause is one line ``- **PREFIX-NNN** text`` under a ``##`` section heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .errors import NotFound, choices_hint
from .resources import standards_dir

CLAUSE = re.compile(r"^- \*\*([A-Z]+(?:-[A-Z]+)*-\d{3})\*\* (.+)$")


@dataclass(frozen=True)
class Clause:
    id: str
    section: str
    text: str
    source: str


@cache
def clauses() -> dict[str, Clause]:
    """Every clause of every standard, by id."""
    found: dict[str, Clause] = {}
    for path in sorted(standards_dir().glob("*.md")):
        section = ""
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                section = line[3:].strip()
            elif match := CLAUSE.match(line):
                clause_id = match.group(1)
                if clause_id in found:
                    raise RuntimeError(f"standards: clause {clause_id} appears twice ({path.name})")
                found[clause_id] = Clause(clause_id, section, match.group(2).strip(), f"standards/{path.name}")
    return found


def clause(clause_id: str) -> Clause:
    known = clauses()
    if clause_id not in known:
        raise NotFound(f"unknown standards clause {clause_id!r}; {choices_hint(clause_id, known)}")
    return known[clause_id]


def standard_names() -> list[str]:
    return sorted(p.stem for p in standards_dir().glob("*.md"))


def standard_text(name: str) -> str:
    names = standard_names()
    if name not in names:
        raise NotFound(f"unknown standard {name!r}; {choices_hint(name, names)}")
    return (standards_dir() / f"{name}.md").read_text(encoding="utf-8")
