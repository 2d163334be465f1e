"""What dynamic discovery imports: the configured app, a Django settings module, or the app that a
static look at the code finds (``app = FastAPI()`` / ``Flask(__name__)`` / ``def create_app()``)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...contracts.config import ProjectConfig
from ...contracts.registry import EndpointRegistry

APP_SPEC = re.compile(r"^[\w.]+:[\w.]+$")
MODULE = re.compile(r"^[\w.]+$")
_SETTINGS = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")
_APP_CLASSES = frozenset({"FastAPI", "Flask"})
_FACTORIES = ("create_app", "make_app", "app_factory", "get_app")
_ENTRY_FILES = ("main.py", "app.py", "asgi.py", "wsgi.py", "application.py", "server.py", "api.py", "__init__.py")


@dataclass(frozen=True)
class Target:
    """``kind`` app: ``value`` is ``module:attribute``; kind django: ``value`` is the settings module."""

    kind: Literal["app", "django"]
    value: str
    source: str  # where it came from, for mode_reason

    def __str__(self) -> str:
        return self.value if self.kind == "app" else f"Django settings {self.value}"


def find_target(root: Path, config: ProjectConfig, static: EndpointRegistry) -> Target | None:
    """The configured app or Django settings; else one found in manage.py or in the code."""
    if config.app:
        return Target("app", config.app, "config `app`")
    if config.django_settings:
        return Target("django", config.django_settings, "config `django_settings`")
    settings = _manage_py_settings(root)
    if settings:
        return Target("django", settings, "manage.py")
    for file in _candidates(root, config, static):
        spec = _app_in(root, file)
        if spec:
            return Target("app", spec, f"found in {file.relative_to(root).as_posix()}")
    return None


def _manage_py_settings(root: Path) -> str | None:
    manage = root / "manage.py"
    if not manage.is_file():
        return None
    match = _SETTINGS.search(manage.read_text(encoding="utf-8", errors="replace"))
    return match.group(1) if match else None


def _candidates(root: Path, config: ProjectConfig, static: EndpointRegistry) -> Iterator[Path]:
    """Files likely to create the app: the static handlers' files, then entry-point files (main.py,
    app.py, ...) in their folders and parents, the configured source folders, src/ and the root."""
    folders: list[Path] = []
    for endpoint in static.endpoints:
        folder = (root / endpoint.file).parent
        while folder != root and folder.is_relative_to(root):
            folders.append(folder)
            folder = folder.parent
    folders += [root / s for s in config.source] + [root / "src", root]
    folders += sorted(p for p in root.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    seen: set[Path] = set()
    for file in dict.fromkeys((root / e.file).resolve() for e in static.endpoints):
        if file.suffix == ".py" and file.is_file() and file.is_relative_to(root):
            seen.add(file)
            yield file
    for folder in _unique(root, folders):
        for name in _ENTRY_FILES:
            file = folder / name
            if file not in seen and file.is_file():
                seen.add(file)
                yield file


def _unique(root: Path, paths: Iterable[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for path in paths:
        path = path.resolve()
        if path not in seen and path.is_dir() and path.is_relative_to(root):  # never read outside the root
            seen.add(path)
            yield path


def _app_in(root: Path, file: Path) -> str | None:
    """``module:name`` of a module-level ``name = FastAPI(...)``/``Flask(...)`` or app factory in ``file``."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return None
    module = _module_name(root, file)
    if module is None:
        return None
    factory = None
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if name in _APP_CLASSES and len(targets) == 1 and isinstance(targets[0], ast.Name):
                return f"{module}:{targets[0].id}"
        if isinstance(node, ast.FunctionDef) and node.name in _FACTORIES and factory is None:
            factory = f"{module}:{node.name}"
    return factory


def _module_name(root: Path, file: Path) -> str | None:
    """The import name of ``file``: from the root, or from ``src/`` in a src layout."""
    rel = file.relative_to(root)
    if rel.parts[0] == "src" and len(rel.parts) > 1:
        rel = rel.relative_to("src")
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    name = ".".join(parts)
    return name if parts and MODULE.match(name) and all(p.isidentifier() for p in parts) else None


def sys_paths(root: Path) -> list[str]:
    """Folders the probe puts first on ``sys.path``: the root, and ``src/`` in a src layout."""
    return [str(root)] + ([str(root / "src")] if (root / "src").is_dir() else [])
