"""What the ``performance`` gate loads: safe GETs from the endpoint registry plus the configured requests.

Selection rule
    Candidates are every safe GET (no path parameters, no authentication, not a docs route) and every
    request in ``load.requests``. A configured request whose method and path match a registry endpoint
    (placeholder names aside) *is* that endpoint: it takes its file, line and handler, and replaces the
    safe GET of the same route. With a task that names endpoints, only the candidates among them are
    loaded; when none of them can be loaded, every candidate is (the summary says so). Without a task,
    every candidate is loaded.

Each :class:`Target` reports its stats under ``name`` (``ref`` returns it): ``METHOD /path`` by
default, or the request's configured ``name``; duplicates get `` (2)``, `` (3)``… appended.
:func:`seedless_problem` and :func:`seed_problem` say why targets cannot be sent (a placeholder no
value fills, a request marked ``auth`` without headers), naming values, never showing one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ..contracts.config import PLACEHOLDER, LoadRequest
from ..contracts.registry import Endpoint
from .base import GateContext

DOCS_PATHS = ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect")


class Target(Endpoint):
    """An endpoint as the load profile sends it."""

    name: str
    body: Any = None
    send_auth: bool = False
    weight: int = 1
    configured: bool = False

    @property
    def ref(self) -> str:  # the stats key (the verdict looks rows up by ref)
        return self.name


def loadable(ep: Endpoint) -> bool:
    return (ep.method == "GET" and not ep.path_params and "{" not in ep.path and not ep.auth
            and ep.path not in DOCS_PATHS)


def route_key(ref: str) -> str:
    """``METHOD /path`` with placeholder names dropped: ``GET /orders/{id}`` matches ``GET /orders/{order_id}``."""
    method, _, path = ref.strip().partition(" ")
    return f"{method.upper()} {PLACEHOLDER.sub('{}', path.strip())}"


def _config_line(ctx: GateContext, request: LoadRequest) -> tuple[str, int]:
    """Where a request with no registry endpoint is declared: the config file, at its path's line."""
    from ..config import config_source

    source = config_source(ctx.root)
    if source is None:
        return "pyproject.toml", 1
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if re.search(r"\bpath\s*=\s*[\"']" + re.escape(request.path) + r"[\"']", line):
            return source.name, number
    return source.name, 1


def configured_targets(ctx: GateContext, endpoints: list[Endpoint]) -> list[Target]:
    by_route = {route_key(ep.ref): ep for ep in endpoints}
    targets: list[Target] = []
    for request in ctx.config.load.requests:
        ref = f"{request.method} {request.path}"
        ep = by_route.get(route_key(ref))
        if ep is not None:
            base = {**ep.model_dump(), "path": request.path}  # the request's placeholder names: the seed's
        else:
            path, line = _config_line(ctx, request)
            base = {"method": request.method, "path": request.path, "handler": "(load.requests)", "file": path,
                    "line": line}
        targets.append(Target(**base, name=request.name or ref, body=request.body, send_auth=request.auth,
                              weight=request.weight, configured=True))
    return targets


def _unique(targets: list[Target]) -> list[Target]:
    seen: dict[str, int] = {}
    unique = []
    for target in targets:
        seen[target.name] = seen.get(target.name, 0) + 1
        count = seen[target.name]
        unique.append(target if count == 1 else target.model_copy(update={"name": f"{target.name} ({count})"}))
    return unique


def select_targets(ctx: GateContext) -> tuple[list[Target], str]:
    """The targets to load, and where they came from (for the summary)."""
    endpoints = ctx.registries().endpoints.endpoints
    configured = configured_targets(ctx, endpoints)
    covered = {route_key(f"{t.method} {t.path}") for t in configured}
    safe = [Target(**ep.model_dump(), name=ep.ref)
            for ep in sorted({ep.ref: ep for ep in endpoints if loadable(ep)}.values(), key=lambda e: e.path)
            if route_key(ep.ref) not in covered]
    every = _unique(safe + configured)
    kinds = "every safe GET without parameters or auth" + (
        f" and {len(configured)} configured request(s)" if configured else "")
    if ctx.task is not None and ctx.task.endpoints:
        wanted = {route_key(ref) for ref in ctx.task.endpoints}
        mine = [t for t in every if route_key(f"{t.method} {t.path}") in wanted]
        if mine:
            return mine, "the task's endpoints"
        return every, f"{kinds}: none of the task's endpoints can be loaded (add them to load.requests)"
    return every, kinds


def unresolved(targets: list[Target], values: dict[str, str]) -> dict[str, list[str]]:
    """Target name -> the placeholders of its path that ``values`` does not fill."""
    return {t.name: missing for t in targets
            if (missing := [name for name in PLACEHOLDER.findall(t.path) if name not in values])}


def fill(path: str, values: dict[str, str]) -> str:
    """The path with each ``{name}`` replaced by its value, URL-quoted."""
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), path)


def _needs(missing: dict[str, list[str]]) -> list[str]:
    return [f"{name} needs {', '.join('{' + p + '}' for p in names)}" for name, names in missing.items()]


def seedless_problem(ctx: GateContext, targets: list[Target]) -> str | None:
    """Why the targets cannot be sent when the config has no seed to provide values and headers."""
    if ctx.config.serve.seed:
        return None
    needs = _needs(unresolved(targets, {})) + [f"{t.name} is marked auth" for t in targets if t.send_auth]
    if not needs:
        return None
    return (f"load.requests: {'; '.join(needs)}, but the config has no serve.seed (\"module:function\") "
            "to return the values and headers")


def seed_problem(ctx: GateContext, targets: list[Target], values: dict[str, str],
                 headers: dict[str, str]) -> str | None:
    """Why the targets cannot be sent with what the seed returned (names only, never a value)."""
    missing = unresolved(targets, values)
    if missing:
        return (f"load.requests: {'; '.join(_needs(missing))}, which the seed {ctx.config.serve.seed!r} did not "
                f"return (it returned: {', '.join(sorted(values)) or 'no values'})")
    if not headers and (auth := [t.name for t in targets if t.send_auth]):
        return (f"load.requests: {', '.join(auth)} marked auth, but the seed {ctx.config.serve.seed!r} returned "
                "no headers (return {\"headers\": {\"Authorization\": \"Bearer …\"}})")
    return None
