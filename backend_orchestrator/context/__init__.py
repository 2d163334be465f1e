"""Context packages: what a sub-skill needs for a task, within a token budget."""

from .builder import build_package
from .tokens import estimate_tokens

__all__ = ["build_package", "estimate_tokens"]
