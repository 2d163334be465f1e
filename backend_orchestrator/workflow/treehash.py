"""A content hash of the project's files: what a validation ran on, so a later change is noticed.

The hash covers the files a change is made of — source, tests, migrations, configuration and
templates (by suffix, :data:`SUFFIXES`) — that git tracks or would track (untracked files that are
not ignored), ``ai-state/`` left out. Outside a git checkout, the same suffixes found by walking the
project, virtualenvs, caches and ``ai-state/`` left out. Database files, logs and coverage data are
not part of it, so a test run that writes them does not make its own run stale.

Each file's digest is kept per (path, size, mtime) for the life of the process, so asking again
costs a ``git ls-files`` and a ``stat`` per file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from pathlib import Path

SUFFIXES = frozenset({".py", ".pyi", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json", ".sql", ".mako", ".html",
                      ".jinja", ".jinja2", ".j2", ".txt", ".in", ".lock", ".env"})
_SKIP_DIRS = frozenset({".git", "ai-state", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", ".nox",
                        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "build", "dist", "site-packages"})
_digests: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _listed(root: Path) -> list[str] | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others",
                               "--exclude-standard", "--", ".", ":(exclude)ai-state"], cwd=root, capture_output=True,
                              timeout=60, check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return sorted({name for name in done.stdout.decode("utf-8", "replace").split("\0") if name})


def _walked(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        base = Path(folder)
        found += [(base / f).relative_to(root).as_posix() for f in files]
    return sorted(found)


def _digest(path: Path) -> str | None:
    try:
        info = path.stat()
    except OSError:
        return None
    key = (str(path), info.st_size, info.st_mtime_ns)
    with _lock:
        known = _digests.get(key)
    if known is not None:
        return known
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    with _lock:
        if len(_digests) > 100_000:
            _digests.clear()
        _digests[key] = digest
    return digest


def content_hash(root: Path) -> str:
    """``sha256:<hex>`` over the project's change-relevant files (relative path and content)."""
    root = root.resolve()
    names = _listed(root)
    if names is None:
        names = _walked(root)
    total = hashlib.sha256()
    for name in names:
        if Path(name).suffix not in SUFFIXES or name.startswith("ai-state/"):
            continue
        path = root / name
        if path.is_symlink() or not path.is_file():
            continue
        digest = _digest(path)
        if digest is not None:
            total.update(f"{name}\0{digest}\n".encode())
    return "sha256:" + total.hexdigest()
