"""The store: atomic, locked, schema-validated JSON under ai-state/."""

from .project import Project
from .store import Store

__all__ = ["Project", "Store"]
