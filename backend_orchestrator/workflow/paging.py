"""Offset cursors for paginated lists (tasks, registry entries)."""

from __future__ import annotations

from typing import TypeVar

from ..errors import InvalidArgument

T = TypeVar("T")
MAX_PAGE = 200


def paginate(items: list[T], cursor: str | None, limit: int) -> tuple[list[T], str | None]:
    """The page of ``items`` starting at ``cursor`` and the cursor of the next page (None at the end)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"limit {limit!r} is out of range; use 1..{MAX_PAGE}")
    if cursor not in (None, "") and not str(cursor).isdigit():
        raise InvalidArgument(f"invalid cursor {cursor!r}: pass the next_cursor of the previous page")
    start = int(cursor or 0)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else None)
