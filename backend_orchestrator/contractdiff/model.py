"""What a contract diff produces: :class:`Change` values with a :class:`Level`, ordered for stable reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How a change affects an existing consumer (oasdiff's ERR / WARN / INFO)."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for breaking, 1 for warning, 2 for info: sorts the worst first."""
        return _RANK[self]


_RANK = {Level.BREAKING: 0, Level.WARNING: 1, Level.INFO: 2}


@dataclass(frozen=True)
class Change:
    """One difference between two OpenAPI documents that a consumer may notice.

    ``id`` is a stable rule id (see :mod:`.rules`); ``operation`` is ``"METHOD /path"`` (``None`` for
    document-level changes); ``location`` is a JSON pointer into the document that holds the change (the
    revision, or the base for something removed), following the operation rather than ``$ref`` targets;
    ``base_line`` / ``revision_line`` are 1-based source lines of the definition when known.
    """

    id: str
    level: Level
    operation: str | None
    location: str
    message: str
    base_line: int | None = None
    revision_line: int | None = None

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        method, _, path = (self.operation or "").partition(" ")
        return (self.level.rank, path, method, self.location, self.id, self.message)

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "level": self.level.value,
            "operation": self.operation,
            "location": self.location,
            "message": self.message,
            "base_line": self.base_line,
            "revision_line": self.revision_line,
        }
