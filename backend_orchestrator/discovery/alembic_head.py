"""Alembic migrations: where they live, how many revisions, and the head(s) of the revision graph.

The config is `config.alembic_config` or `alembic.ini` at the root (`[alembic] script_location`,
`%(here)s` supported), else `[tool.alembic]` in pyproject.toml. Revision files are parsed, never run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias

from ..contracts.registry import Migrations, Unresolved
from .files import parse_file


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _settings(root: Path, alembic_config: str | None) -> tuple[dict[str, str], Path, str] | Unresolved | None:
    """The [alembic] options, the folder they are relative to, and the config's path."""
    candidate = root / (alembic_config or "alembic.ini")
    rel = alembic_config or "alembic.ini"
    if candidate.is_file() and _inside(candidate, root):
        import configparser

        parser = configparser.ConfigParser(defaults={"here": str(candidate.parent)})
        try:
            parser.read(candidate, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            return Unresolved(file=rel, line=1, reason=f"cannot read the alembic config: {exc}")
        if not parser.has_section("alembic"):
            return Unresolved(file=rel, line=1, reason="the alembic config has no [alembic] section")
        try:
            return dict(parser.items("alembic")), candidate.parent, rel
        except configparser.Error as exc:
            return Unresolved(file=rel, line=1, reason=f"cannot read the alembic config: {exc}")
    if alembic_config:
        return Unresolved(
            file=rel, line=1, reason=f"alembic_config {alembic_config!r} is not a file in the project"
        )
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("alembic")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            return Unresolved(file="pyproject.toml", line=1, reason=f"cannot read pyproject.toml: {exc}")
        if isinstance(table, dict) and isinstance(table.get("script_location"), str):
            here = str(root)
            values = {k: v.replace("%(here)s", here) for k, v in table.items() if isinstance(v, str)}
            return values, root, "pyproject.toml"
    return None


def _literal_revisions(node: ast.expr | None) -> list[str] | None:
    """`"abc"` -> ["abc"], `None` -> [], `("a", "b")` -> ["a", "b"]; None when not a literal."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, str)):
        return [node.value] if node.value else []
    if isinstance(node, ast.Tuple | ast.List) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


Revision: TypeAlias = tuple[str, list[str]] | str


def read_revision(path: Path) -> Revision:
    """(revision, down revisions) of one revision file, or the reason it cannot be read."""
    parsed = parse_file(path)
    tree = parsed.tree
    if tree is None:
        return parsed.error
    found: dict[str, ast.expr | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            found[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            found[stmt.target.id] = stmt.value
    revision = _literal_revisions(found.get("revision"))
    down = _literal_revisions(found.get("down_revision")) if "down_revision" in found else []
    if not revision or len(revision) != 1 or down is None:
        return "revision or down_revision is not a literal"
    return revision[0], down


def _locate(root: Path, alembic_config: str | None) -> tuple[Path, list[Path]] | Unresolved | None:
    """The scripts folder and the folders of revision files, or why there are none."""
    settings = _settings(root, alembic_config)
    if settings is None or isinstance(settings, Unresolved):
        return settings
    options, base, config_rel = settings
    location = options.get("script_location", "").strip()
    if ":" in location and not Path(location).is_absolute() and not re.match(r"^[A-Za-z]:[\\/]", location):
        location = location.replace(".", "/").replace(":", "/")  # package:path resource form
    scripts = (base / location) if location else None
    if scripts is None or not scripts.is_dir() or not _inside(scripts, root):
        return Unresolved(
            file=config_rel,
            line=1,
            reason=(f"script_location {location!r} is not a folder inside the project"),
        )
    folders = [scripts / "versions"]
    if options.get("version_locations"):
        folders = [base / p for p in re.split(r"[\s,;]+", options["version_locations"].strip()) if p]
    return scripts, folders


def revision_files(root: Path, folder: Path) -> list[Path]:
    """The revision files of one version folder, in the order they are read."""
    if not folder.is_dir() or not _inside(folder, root):
        return []
    return [
        path
        for path in sorted(folder.rglob("*.py"))
        if path.name != "__init__.py" and "__pycache__" not in path.parts and _inside(path, root)
    ]


def migration_paths(root: Path, alembic_config: str | None) -> tuple[Path, list[Path]] | None:
    """What `scan_migrations` reads besides the revision files: (the config file it looks for, the folders
    whose presence and contents decide the result), for the CLI's replay manifest (`scan_replay.py`).
    None when the config points nowhere (what would have to appear is not known)."""
    config = root / (alembic_config or "alembic.ini")
    located = _locate(root, alembic_config)
    if isinstance(located, Unresolved):
        return None
    if located is None:
        return config, []
    scripts, folders = located
    return config, [scripts, *folders]


def scan_migrations(
    root: Path, alembic_config: str | None, revision_of: Callable[[Path], Revision] = read_revision
) -> tuple[Migrations, list[Unresolved]]:
    """The migrations; `revision_of` reads one revision file (`cache.py` passes a cached reader)."""
    located = _locate(root, alembic_config)
    if located is None:
        return Migrations(), []
    if isinstance(located, Unresolved):
        return Migrations(), [located]
    scripts, folders = located
    revisions: dict[str, list[str]] = {}
    unresolved: list[Unresolved] = []
    for folder in folders:
        for path in revision_files(root, folder):
            result = revision_of(path)
            rel = path.resolve().relative_to(root).as_posix()
            if isinstance(result, str):
                unresolved.append(Unresolved(file=rel, line=1, reason=f"migration not read: {result}"))
            else:
                revisions[result[0]] = result[1]
    pointed_to = {down for downs in revisions.values() for down in downs}
    heads = sorted(r for r in revisions if r not in pointed_to)
    directory = scripts.resolve().relative_to(root).as_posix()
    return Migrations(
        tool="alembic",
        directory=directory,
        head=heads[0] if len(heads) == 1 else None,
        heads=heads,
        revisions=len(revisions),
    ), unresolved
