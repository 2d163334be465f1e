"""Gate ``architecture``: the mission's anti-patterns (BS-AP-*), read with ``ast`` from the route handlers the
endpoint registry names and from every source file. Nothing is imported or run.

What it does
    Finds the handlers through the endpoint registry (file, line) and checks them for database access (a
    session's ``execute``/``scalars``/``add``/``commit``/..., also one held by another object such as
    ``calibre_db.session.query()``, ``select()``, ``engine.connect()``, Flask-SQLAlchemy's ``Model.query...``,
    ``db.session``, ``db.get_or_404``/``first_or_404``/``one_or_404``/``paginate``), size and
    branching, swallowed exceptions and slow side effects (email, SMS, payment calls in a loop, ``time.sleep``).
    In every ``async def`` (and the same-module functions it calls, one level) it finds blocking calls:
    ``time.sleep``, ``requests``, sync httpx, ``urlopen``, ``subprocess``, ``open()``, ``smtplib``, a synchronous
    SQLAlchemy session. Everywhere it finds outbound calls without a timeout or without error handling, and
    hardcoded configuration: URLs, hosts and ports in module or class constants and client arguments, URLs with
    passwords, and environment reads or settings fields that fall back to a secret.
Why it matters
    These are what AI-written backends get wrong and tests rarely catch: untestable handlers, an event loop
    stalled for every request, a worker pool exhausted by one slow upstream, an upstream blip turned into a 500,
    and configuration that cannot differ per environment (standards BS-AP-001 to BS-AP-006, BS-AP-009).
Rules
    AR001 database access in a route handler (medium; low when most of the project's handlers do it: house
    style) · AR002 business logic in a route handler: more than 25
    statements or cyclomatic complexity above 8 (low) · AR003 hardcoded URL, host or port (medium) · AR004
    hardcoded credential: a password in a URL, a secret as an environment default (high) · AR005 external call
    without error handling (medium) · AR006 exception swallowed in a route handler (medium) · AR007 outbound
    call without a timeout: requests, urlopen, smtplib wait forever (medium) · AR008 HTTP client on its default
    timeout: httpx 5 s, aiohttp 5 min (low) · AR009 blocking call in async code (high) · AR010 slow side effect
    in the request path (low)
Use instead
    Handlers that parse, call one service function and map the result; repositories for queries; settings read
    from the environment with no usable secret as a default; explicit timeouts and specific ``except`` clauses
    around every upstream call; async clients (or ``def`` handlers) in async code; ``BackgroundTasks`` or a queue
    for email, SMS and reports.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..contracts.common import Severity
from ..contracts.report import Finding, GateResult
from .base import Gate, GateContext, Rule

if TYPE_CHECKING:
    from .architecture_scan import Hit


class ArchitectureGate(Gate):
    id = "architecture"
    title = "Architecture anti-patterns"
    max_statements = 25
    max_complexity = 8
    rules = (
        Rule("AR001", "Database access in a route handler", "medium", "db-in-route", clause="BS-AP-001",
             help="The handler runs queries or commits itself. Move the database work into a repository or service "
                  "function that takes the session, and call that from the handler."),
        Rule("AR002", "Business logic in a route handler", "low", "logic-in-route", clause="BS-AP-002",
             help="The handler is long or branchy (more than 25 statements, or cyclomatic complexity above 8). Keep "
                  "it to parsing, one service call and mapping the result; move the logic into a service function."),
        Rule("AR003", "Hardcoded configuration", "medium", "hardcoded-config", clause="BS-AP-003",
             help="A URL, host or port is written into the code. Read it from settings or the environment so that "
                  "each environment can set its own.", confidence="low"),
        Rule("AR004", "Hardcoded credential in configuration", "high", "hardcoded-config", clause="BS-AP-003",
             cwe=798,
             help="A password in a URL, or an environment read or settings field that falls back to a secret. Read "
                  "secrets from the environment or a secret manager with no usable default, and rotate the leaked "
                  "one."),
        Rule("AR005", "External call without error handling", "medium", "missing-error-handling", clause="BS-AP-004",
             help="An HTTP, payment, SMS or mail call with no try/except for the client's errors (or only a bare or "
                  "silent one). Catch the client's exception and map it to a domain error or a 502/503/504.",
             confidence="low"),
        Rule("AR006", "Exception swallowed in a route handler", "medium", "missing-error-handling",
             clause="BS-AP-004",
             help="A bare `except:` or an `except Exception: pass` in a handler hides failures. Catch specific "
                  "exceptions and map each to a documented status code."),
        Rule("AR007", "Outbound call without a timeout", "medium", "missing-timeout", clause="BS-AP-005", cwe=400,
             help="requests, urllib's urlopen and smtplib have no timeout by default: pass `timeout=` on every call."),
        Rule("AR008", "HTTP client on its default timeout", "low", "missing-timeout", clause="BS-AP-005", cwe=400,
             help="httpx (5 s) and aiohttp (5 min) have defaults, but not ones chosen for this upstream: set "
                  "`timeout=` explicitly."),
        Rule("AR009", "Blocking call in async code", "high", "blocking-call-in-async", clause="BS-AP-006",
             help="time.sleep, requests, sync httpx, urlopen, subprocess, open() or a synchronous SQLAlchemy session "
                  "inside `async def` stalls the event loop for every request. Use the async equivalent, "
                  "`run_in_threadpool`, or a `def` handler."),
        Rule("AR010", "Slow side effect in the request path", "low", "slow-side-effect", clause="BS-AP-009",
             help="Sending email or SMS, calling a payment provider in a loop or sleeping while the client waits. "
                  "Hand the work to BackgroundTasks or a queue and answer 202 if the client must wait."),
    )

    def not_applicable(self, ctx: GateContext) -> str | None:
        return None if ctx.source_files() else "no Python source files in the project"

    def run(self, ctx: GateContext) -> GateResult:
        from .architecture_config import config_hits
        from .architecture_rules import Handler, blocking_hits, error_handling_hits, handler_hits, timeout_hits
        from .architecture_scan import Project

        project = Project(ctx.root, ctx.source_files())
        endpoints = ctx.registries().endpoints.endpoints
        handlers: dict[tuple[str, int], Handler] = {}
        missing: list[str] = []
        for endpoint in endpoints:
            module = project.by_path.get(endpoint.file)
            fn = module.handler(endpoint.line, endpoint.handler.rsplit(":", 1)[-1].rsplit(".", 1)[-1]) \
                if module else None
            if module is None or fn is None:
                missing.append(endpoint.ref)
            elif (module.rel, fn.lineno) not in handlers:
                handlers[(module.rel, fn.lineno)] = Handler(endpoint.ref, module, fn)
        hits: list[Hit] = []
        measures = []
        for handler in handlers.values():
            found, measured = handler_hits(handler, self.max_statements, self.max_complexity)
            hits.extend(found)
            measures.append(measured)
        for module in project.modules:
            if ctx.cancelled.is_set():
                return self.result("error", "cancelled")
            calls = [c for scope in (module.tree, *module.defs()) for c in module.calls(scope)]
            hits.extend(blocking_hits(module))
            hits.extend(timeout_hits(module, calls))
            hits.extend(config_hits(module, calls))
        hits.extend(error_handling_hits(project))
        house = _db_in_handlers_style(measures)
        findings = self._findings(hits, house)
        out = ctx.evidence_dir / self.id
        out.mkdir(parents=True, exist_ok=True)
        (out / "handlers.json").write_text(json.dumps({"handlers": measures, "not_found": missing}, indent=2) + "\n",
                                           encoding="utf-8")
        counts = {s: sum(1 for f in findings if f.severity == s) for s in ("high", "medium", "low")}
        summary = (f"{len(findings)} finding(s) ({counts['high']} high, {counts['medium']} medium, "
                   f"{counts['low']} low) in {len(project.modules)} files and {len(handlers)} route handlers")
        if missing:
            summary += f"; {len(missing)} handler(s) not found where the registry points (rescan?)"
        metrics: dict[str, float | int | str | bool | None] = {
            "files": len(project.modules), "handlers": len(handlers), "handlers_not_found": len(missing),
            **{f"{s}_findings": n for s, n in counts.items()},
            "handlers_with_db_access": sum(1 for m in measures if m["db_access"]),
        }
        if house:
            summary += f"; house style: {house} (AR001 is advisory here)"
        return self.report(summary, findings=findings, metrics=metrics, evidence=[ctx.rel(out / "handlers.json")])

    def _findings(self, hits: list[Hit], house: str | None) -> list[Finding]:
        unique: dict[tuple[str, str, int], Hit] = {}
        for hit in hits:
            unique.setdefault((hit.rule, hit.path, hit.line), hit)
        findings = []
        for h in unique.values():
            message: str = h.message
            severity: Severity | None = None
            if h.rule == "AR001" and house:
                message += f" This project's {house}: an advisory finding (low) that follows the house style."
                severity = "low"
            findings.append(self.finding(h.rule, message, title=h.title, path=h.path, line=h.line,
                                         evidence=h.evidence, endpoint=h.endpoint, severity=severity))
        return findings


HOUSE_MIN, HOUSE_SHARE = 5, 0.6  # the same bar as api-design's house style (api_design_paths)


def _db_in_handlers_style(measures: list[dict[str, object]]) -> str | None:
    """Database access in route handlers is a legitimate style of small services (FastAPI's own tutorial);
    when most of the project's handlers do it (at least 5 handlers, 60 %), AR001 follows the house style
    and stays advisory. Returns the style in words, or None when the project does not have it."""
    with_db = sum(1 for m in measures if m["db_access"])
    if len(measures) >= HOUSE_MIN and with_db / len(measures) >= HOUSE_SHARE:
        return f"handlers query the database themselves ({with_db} of {len(measures)}, {with_db / len(measures):.0%})"
    return None
