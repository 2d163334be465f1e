"""A target project: its root, settings, store, and the injected clock and id source."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from ..config import load_config
from ..contracts.config import ProjectConfig
from ..errors import InvalidArgument
from .store import Store


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def random_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass
class Project:
    root: Path
    clock: Callable[[], datetime] = utcnow
    new_id: Callable[[str], str] = random_id
    _config: ProjectConfig | None = field(default=None, repr=False)
    _config_key: tuple[tuple[int, int], ...] = field(default=(), repr=False)

    @classmethod
    def open(cls, path: str | Path = ".") -> Project:
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise InvalidArgument(f"project path {str(path)!r} is not a directory")
        return cls(root=root)

    @property
    def config(self) -> ProjectConfig:
        """The settings, re-read when a config file changed (a long-lived server sees edits)."""
        key = tuple(self._stamp(name) for name in ("backend-orchestrator.toml", "pyproject.toml"))
        if self._config is None or key != self._config_key:
            self._config = load_config(self.root)
            self._config_key = key
        return self._config

    def _stamp(self, name: str) -> tuple[int, int]:
        try:
            stat = (self.root / name).stat()
        except OSError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)

    @cached_property
    def store(self) -> Store:
        return Store(self.root)

    def git_head(self) -> str | None:
        """The target's git HEAD, or None when it is not a git checkout (or git is missing)."""
        if not (self.root / ".git").exists():
            return None
        try:
            out = subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=self.root, capture_output=True, text=True, timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        head = out.stdout.strip()
        return head if out.returncode == 0 and head else None
