"""Where the shipped data lives: skills/, schemas/, standards/, examples/shop, SKILL.md.

In a wheel they sit under ``backend_orchestrator/_bundled/`` (see pyproject's force-include);
in a source checkout they are at the repository root, next to the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    bundled = _PACKAGE / "_bundled"
    if (bundled / "schemas").is_dir():
        return bundled
    checkout = _PACKAGE.parent
    if (checkout / "schemas").is_dir():
        return checkout
    raise RuntimeError(
        f"backend-orchestrator's data folders (schemas/, skills/, standards/) are missing from "
        f"{bundled} and {checkout}: the installation is incomplete; reinstall the package"
    )


def schemas_dir() -> Path:
    return data_root() / "schemas"


def skills_dir() -> Path:
    return data_root() / "skills"


def standards_dir() -> Path:
    return data_root() / "standards"


def example_dir(name: str = "shop") -> Path:
    return data_root() / "examples" / name


def orchestrator_skill() -> Path:
    return data_root() / "SKILL.md"
