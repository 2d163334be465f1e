"""The checks, one module per area, run in the order of :data:`CHECKS`."""

from __future__ import annotations

from collections.abc import Callable

from ..engine import Differ
from .paths import check_paths
from .security import check_document_security

CHECKS: tuple[Callable[[Differ], None], ...] = (
    check_paths,  # operations, and within each: parameters, request body, responses, security
    check_document_security,
)
