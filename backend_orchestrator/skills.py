"""Sub-skills: a SKILL.md (the prompt) plus a manifest.yaml (tools, gates, standards, routing).

Manifests are validated against schemas/skill-manifest.schema.json when loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .contracts.skill import SkillManifest
from .errors import NotFound, choices_hint
from .resources import skills_dir

_FRONTMATTER = re.compile(r"\A---\n(.*?)\n---\n?(.*)\Z", re.S)
FRONTMATTER_KEYS = frozenset({"name", "description", "license", "compatibility", "metadata", "allowed-tools"})


@dataclass(frozen=True)
class Skill:
    name: str
    frontmatter: dict[str, Any]
    body: str
    manifest: SkillManifest

    @property
    def description(self) -> str:
        return str(self.frontmatter.get("description", ""))


def split_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    import yaml

    match = _FRONTMATTER.match(text)
    if not match:
        raise ValueError("SKILL.md must start with YAML frontmatter between '---' lines")
    data = yaml.safe_load(match.group(1))
    if not isinstance(data, dict):
        raise ValueError("SKILL.md frontmatter must be a YAML mapping")
    return data, match.group(2).strip() + "\n"


def frontmatter_problems(folder_name: str, data: dict[str, Any]) -> list[str]:
    """What makes ``data`` invalid under the Agent Skills format (empty when valid)."""
    problems = [f"unexpected key {k!r}" for k in sorted(set(data) - FRONTMATTER_KEYS)]
    name = data.get("name")
    if name != folder_name:
        problems.append(f"name {name!r} must equal the folder name {folder_name!r}")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) or len(name) > 64:
        problems.append("name must be lowercase letters, digits and single hyphens, at most 64 characters")
    desc = data.get("description")
    if not isinstance(desc, str) or not desc.strip() or len(desc) > 1024:
        problems.append("description must be a non-empty string of at most 1024 characters")
    elif "use when" not in desc.lower():
        problems.append("description must say when to use the skill ('Use when ...')")
    if "compatibility" in data and (not isinstance(data["compatibility"], str) or len(data["compatibility"]) > 500):
        problems.append("compatibility must be a string of at most 500 characters")
    if "metadata" in data and not (
        isinstance(data["metadata"], dict) and all(isinstance(k, str) for k in data["metadata"])
    ):
        problems.append("metadata must be a mapping with string keys")
    if "allowed-tools" in data and not isinstance(data["allowed-tools"], str):
        problems.append("allowed-tools must be a space-separated string")
    return problems


def _load(name: str) -> Skill:
    import yaml

    from .state.schemas import check

    folder = skills_dir() / name
    frontmatter, body = split_frontmatter((folder / "SKILL.md").read_text(encoding="utf-8"))
    problems = frontmatter_problems(name, frontmatter)
    if problems:
        raise RuntimeError(f"skills/{name}/SKILL.md frontmatter is invalid: " + "; ".join(problems))
    raw = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    check("skill-manifest", raw, where=f"skills/{name}/manifest.yaml")
    manifest = SkillManifest.model_validate(raw)
    return Skill(name=name, frontmatter=frontmatter, body=body, manifest=manifest)


@cache
def all_skills() -> dict[str, Skill]:
    root = skills_dir()
    names = sorted(p.name for p in root.iterdir() if (p / "SKILL.md").is_file())
    return {name: _load(name) for name in names}


def skill_names() -> list[str]:
    return sorted(p.name for p in skills_dir().iterdir() if (p / "SKILL.md").is_file())


def get_skill(name: str) -> Skill:
    skills = all_skills()
    if name not in skills:
        raise NotFound(f"unknown skill {name!r}; {choices_hint(name, skills)}")
    return skills[name]
