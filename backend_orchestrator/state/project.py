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

    @classmethod
    def open(cls, path: str | Path = ".") -> Project:
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise InvalidArgument(f"project path {str(path)!r} is not a directory")
        return cls(root=root)

    @property
    def config(self) -> ProjectConfig:
        if self._config is None:
            self._config = load_config(self.root)
        return self._config

    def reload_config(self) -> None:
        self._config = None

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
