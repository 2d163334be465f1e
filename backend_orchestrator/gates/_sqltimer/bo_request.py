"""The request being served, for the SQL timer (runs in the TARGET's interpreter, stdlib only).

The runtime gates serve the app through a wrapper that sets ``current`` to a label such as
``"GET /api/v1/orders #17"`` for the duration of each request; ``sitecustomize``'s timer tags every
statement with it, so N+1 patterns can be counted per request under load, as they are per test.
"""

from __future__ import annotations

import contextvars

current: contextvars.ContextVar[str | None] = contextvars.ContextVar("bo_request", default=None)
