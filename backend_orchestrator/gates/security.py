"""Gate ``security``: bandit, detect-secrets, and our own rules over the discovered routes.

What it does
    Runs bandit (a subprocess of our interpreter, in the background) over the source files and
    detect-secrets (as a library) over them plus any env and private-key files in the project, and
    checks the routes and code itself, statically: mutating endpoints without an authentication dependency,
    decorator, hook or check in the handler or its ``dispatch`` (those public by design, visibly changing
    nothing, or behind a project middleware that refuses anonymous requests, are listed in
    ``security/unauthenticated-endpoints.json`` with the reason instead), request data flowing into SQL
    strings, shell commands or outbound URLs (a small taint analysis from request data only: handler
    parameters and request objects, never CLI arguments), object access by id without an ownership check, CORS
    ``*`` with credentials, debug mode, and secret literals in code. Findings different tools report for the
    same line and category are merged (ours first, then
    detect-secrets, then bandit). Evidence: ``security/bandit.json`` and ``security/detect-secrets.json``
    (locations and types only; secret values are never written). A line a reviewer marked ``# nosec``
    (or ``# pragma: allowlist secret``) reports nothing (counted in ``suppressed``); test modules and
    folders are not the backend and are not scanned.
Why it matters
    These are what AI-written backends get wrong most (standards SEC-*, BS-SEC-*); the mission allows
    zero high or critical security findings (BS-MET-004).
Rules
    SC101-SC109 bandit's issues by category (see ``security_bandit``) · SC201 mutating endpoint without
    authentication (high) · SC202 SQL built from strings (high with request data, else medium) · SC203
    shell command from request data (high) · SC204 SSRF (high) · SC205 object by id without an
    ownership check (medium, heuristic) · SC206 CORS ``*`` with credentials (high) · SC207 debug mode
    (medium; high for ``app.run(debug=True)``) · SC301 secret literal in code (high; low for a
    placeholder default) · SC302 detect-secrets hit · SC303 committed env or private-key file · SC208-SC214 the
    OWASP API flaws of ``security_api``: JWT not verified, JWT key in code, mass assignment, user enumeration,
    ReDoS, back doors in authentication, login without a brute-force limit.
    High and critical findings block (``policy.py``), beyond ``thresholds.max_high_findings``
    (default 0); medium or low findings alone give ``warn``.
Use instead
    Authentication dependencies on routers, bound SQL parameters, argument lists without a shell,
    allowlisted outbound hosts, queries scoped to the caller, explicit CORS origins, debug off by
    default, and secrets from the environment through a settings object with no usable default.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from ..contracts.common import SEVERITIES
from ..contracts.config import ProjectConfig
from ..contracts.report import GateResult
from .base import Gate, GateContext, Rule
from .security_common import Code, Hit

_BANDIT_HELP = ("bandit reported it; the message carries bandit's own text and test id. Fix the code, or mark a "
                "reviewed false positive with `# nosec <test id>` on the line.")


def _reviewed_lines(root: Path, hits: list[Hit]) -> set[tuple[str, int | None]]:
    """(path, line) of hits whose line carries a reviewer's mark: bandit's ``# nosec`` (honoured for every
    security rule on that line, as the project's own review of it) or detect-secrets'
    ``# pragma: allowlist secret``."""
    marked: set[tuple[str, int | None]] = set()
    lines: dict[str, list[str]] = {}
    for hit in hits:
        if not hit.path or not hit.line or not hit.path.endswith(".py"):
            continue
        if hit.path not in lines:
            try:
                lines[hit.path] = (root / hit.path).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines[hit.path] = []
        text = lines[hit.path][hit.line - 1] if 0 < hit.line <= len(lines[hit.path]) else ""
        comment = text.partition("#")[2]
        if "nosec" in comment or "pragma: allowlist secret" in comment:
            marked.add((hit.path, hit.line))
    return marked


def _rank(rule_id: str) -> int:
    """Who wins when tools report the same line: our rules, then detect-secrets, then bandit."""
    return 2 if rule_id.startswith("SC1") else 1 if rule_id == "SC302" else 0


class SecurityGate(Gate):
    id = "security"
    title = "Security"
    blocks_at = "high"
    rules = (
        Rule("SC101", "bandit: SQL built from strings", "medium", "sql-injection", _BANDIT_HELP, "SEC-009", 89),
        Rule("SC102", "bandit: shell or subprocess call", "medium", "command-injection", _BANDIT_HELP, "SEC-010", 78,
             confidence="low"),
        Rule("SC103", "bandit: hardcoded password", "low", "hardcoded-secret", _BANDIT_HELP, "SEC-014", 259,
             confidence="low"),
        Rule("SC104", "bandit: weak cryptography or TLS", "medium", "insecure-config", _BANDIT_HELP, "SEC-023", 327,
             confidence="low"),
        Rule("SC105", "bandit: unsafe deserialisation or eval", "medium", "unsafe-deserialization", _BANDIT_HELP,
             "SEC-011", 502),
        Rule("SC106", "bandit: request without a timeout", "low", "missing-timeout", _BANDIT_HELP, "BS-AP-005", 400),
        Rule("SC107", "bandit: archive extracted without a member filter", "high", "path-traversal", _BANDIT_HELP,
             "SEC-013", 22),
        Rule("SC108", "bandit: URL opened with unchecked schemes", "medium", "ssrf", _BANDIT_HELP, "SEC-012", 918),
        Rule("SC109", "bandit: other insecure code or setting", "medium", "insecure-config", _BANDIT_HELP,
             "BS-SEC-009", confidence="low"),
        Rule("SC201", "Mutating endpoint without authentication", "high", "missing-auth",
             "A POST, PUT, PATCH or DELETE endpoint has no authentication dependency, decorator, mixin, "
             "`before_request` hook or refusal in its handler (`abort(401)`, `raise HTTPException(403)`, a redirect "
             "to the login page) or, for a class-based view, in a `dispatch` of its own or of a project base class "
             "before it hands the request on. Not reported, and listed with the reason in the evidence: endpoints "
             "public by design (login, logout, token, sign-up, password recovery and reset, health, a link whose URL "
             "carries its secret), handlers that visibly change nothing (an RPC-style read sent as POST, a redirect, "
             "a handler that answers GET the same way), and Django views a project middleware of "
             "settings.MIDDLEWARE refuses anonymous requests for (the URL prefix or namespace it tests; every route, "
             "as 'a middleware may protect it', when its conditions cannot be read). Add one, preferably on the "
             "router or blueprint; medium for Django views, whose project-wide auth the registry cannot always "
             "see.", "SEC-001", 306,
             confidence="medium"),
        Rule("SC202", "SQL built from strings", "high", "sql-injection",
             "An f-string, `%`, `+` or `.format()` builds SQL that reaches execute()/text()/a cursor. High when "
             "request data (a handler's parameters, `request.args/form/json`, Django's `request.GET/POST`) flows "
             "into it and no allowlist or validator guards it, medium otherwise. Bind parameters (`text(':name')` "
             "with a dict, or `select()`).", "SEC-009", 89),
        Rule("SC203", "Shell command built from request data", "high", "command-injection",
             "Request data reaches `os.system`, `os.popen` or a `subprocess` call with `shell=True` (command-line "
             "arguments of click, typer or argparse commands are not request data). Pass an argument list of "
             "allowlisted values without a shell.", "SEC-010", 78),
        Rule("SC204", "Outbound request to a URL from request data", "high", "ssrf",
             "The scheme or host of an outbound HTTP request comes from request data. Allowlist hosts, refuse "
             "private and metadata addresses, and build URLs from a fixed base.", "SEC-012", 918),
        Rule("SC205", "Object access by id without an ownership check", "medium", "broken-object-authorization",
             "An authenticated handler loads an object that has an owner (an owner column, or a per-user scoping "
             "function the project applies elsewhere) by a path id, and neither compares its owner with the "
             "current user, calls that scoping, nor declares an authorisation dependency for the object "
             "(heuristic: models without an owner are not reported). Scope the query to the caller and answer "
             "404.", "SEC-006", 639, confidence="low"),
        Rule("SC206", "CORS allows any origin with credentials", "high", "insecure-config",
             "CORSMiddleware (or flask-cors) allows `*` origins together with credentials. List origins "
             "explicitly.", "SEC-017", 942),
        Rule("SC207", "Debug mode on", "medium", "insecure-config",
             "`debug=True` on the app or its run call, or `DEBUG = True` in a settings module. Default to off and "
             "enable it through the environment in local development only.", "SEC-016", 489),
        Rule("SC301", "Hardcoded secret", "high", "hardcoded-secret",
             "A secret-like name (SECRET, PASSWORD, TOKEN, API_KEY, ...) is assigned a string literal at module or "
             "class level, or as an `os.getenv` default. Read it from the environment with no default; "
             "placeholders are reported low.", "SEC-014", 798),
        Rule("SC302", "Possible secret (detect-secrets)", "high", "hardcoded-secret",
             "detect-secrets found a secret by pattern or entropy. Remove and rotate it, or mark a reviewed false "
             "positive with `# pragma: allowlist secret`.", "SEC-014", 798, confidence="low"),
        Rule("SC303", "Secret file committed", "high", "hardcoded-secret",
             "An env file with values, or a private key, is part of the project. Remove it from the repository, "
             "rotate what it held, and commit a `.env.example` with placeholders.", "SEC-015", 540),
        Rule("SC208", "JWT accepted without verifying its signature", "high", "broken-authentication",
             '`jwt.decode` with `options={"verify_signature": False}`, `verify=False` or `algorithms` allowing '
             "`none`, or claims taken from `get_unverified_claims`, in request or auth code: anyone can forge the "
             'token. Decode with the key and a pinned list (`algorithms=["HS256"]`). Medium for a decode without '
             "`algorithms=` (the token's header picks the algorithm) and in a helper outside request and auth code.",
             "SEC-003", 347, confidence="high"),
        Rule("SC209", "JWT key written in the code", "medium", "hardcoded-secret",
             "A JWT is signed or verified with a string literal, a module constant holding one, or the literal "
             "fallback of `os.getenv` (the message says when it is under the 32 bytes HS256 needs). Read a random "
             "key of 32 bytes or more from the environment through a settings field without a default, and rotate "
             "the one in the code.", "SEC-014", 321, confidence="medium"),
        Rule("SC210", "Mass assignment from the request body", "medium", "mass-assignment",
             "A model is built or updated from the whole request body (`Model(**request.json)`, "
             "`Model(**body.model_dump())`, `obj.__dict__.update(...)`, a query's `.update(...)`, a `setattr` loop "
             "over the body's items): raw request data, or a request schema that non-admins send and that declares "
             "privilege, owner or balance fields (`is_admin`, `role`, `owner_id`, `balance`) or accepts extra "
             'fields (heuristic). Use explicit create/update schemas without them (`extra="forbid"`) and set those '
             "fields on the server.", "SEC-008", 915, confidence="low"),
        Rule("SC211", "User enumeration by distinct login answers", "medium", "broken-authentication",
             "Login or password-reset code answers an unknown user with another message or status than a wrong "
             "password, or with a message saying the account does not exist (heuristic). Answer every failure the "
             'same way (401 "Invalid credentials"; "if the account exists, we sent an email") and keep the timing '
             "alike.", "SEC-004", 204, confidence="low"),
        Rule("SC212", "Regular expression open to catastrophic backtracking", "medium", "resource-consumption",
             "Request data is matched against a pattern with nested or overlapping quantifiers (`(a+)+`, "
             "`(\\w+\\s?)*`, `(.*a){3,}`), or a pattern is compiled from request data (ReDoS). Rewrite the pattern "
             "without ambiguity, bound repetitions and input length, `re.escape()` user text, or use a linear-time "
             "engine (`re2`).", "SEC-024", 1333, confidence="medium"),
        Rule("SC213", "Back door in authentication", "high", "broken-authentication",
             "Authentication code compares a password, token, OTP or key with a string literal, or lets a request "
             "through when a client-sent header or parameter (`X-Debug`, `?test=1`) or a debug or test setting "
             "(`settings.DEBUG`, `TESTING`; medium) is set. Remove the bypass; tests override dependencies or log "
             "in through fixtures.", "SEC-025", 912, confidence="medium"),
        Rule("SC214", "Login endpoint without a brute-force limit", "medium", "rate-limiting",
             "A login, token, OTP/PIN or password-reset endpoint has no rate-limit decorator or dependency "
             "(slowapi, fastapi-limiter, flask-limiter, django-ratelimit, DRF throttles) and no lockout counter "
             "(heuristic); low when a global limiter covers it. Limit it per client and per account, and lock or "
             "slow down an account after repeated failures.", "SEC-004", 307, confidence="low"),
    )

    def not_applicable(self, ctx: GateContext) -> str | None:
        return None if ctx.source_files() else "no Python source files to scan"

    def allowance(self, config: ProjectConfig) -> int:
        return config.thresholds.max_high_findings

    def run(self, ctx: GateContext) -> GateResult:
        with tempfile.TemporaryDirectory(prefix="bo-security-") as work:
            return self._run(ctx, Path(work))

    def _run(self, ctx: GateContext, work: Path) -> GateResult:
        from . import security_bandit
        from .security_api import api_hits
        from .security_flow import flow_hits
        from .security_rules import Unauthenticated, config_hits, missing_auth, object_access
        from .security_secrets import code_secrets, detect, detected_hits, file_hits, secret_files

        out = ctx.evidence_dir / "security"
        out.mkdir(parents=True, exist_ok=True)
        paths = ctx.source_files()
        titles = {r.id: r.title.removeprefix("bandit: ") for r in self.rules}
        bandit = security_bandit.Bandit(ctx.root, paths, work, self.time_limit(ctx.config), ctx.cancelled,
                                        titles).start()  # runs while the rest of the gate works
        registries = ctx.registries()
        endpoints = registries.endpoints.endpoints
        code = Code(ctx.root, paths)
        unauthenticated: list[Unauthenticated] = []
        hits = [*missing_auth(code, endpoints, registries.endpoints.framework, unauthenticated),
                *object_access(code, endpoints, registries.models.models, ctx.config.auth_dependencies),
                *config_hits(code), *flow_hits(code, endpoints), *code_secrets(code)]
        hits += api_hits(code, registries, ctx.config)
        files = secret_files(ctx.root)
        metrics: dict[str, float | int | str | bool | None] = {
            "files_scanned": len(paths) + len(files.env) + len(files.keys), "python_files": len(paths),
            "env_files": len(files.env), "key_files": len(files.keys), "git_ignored_secret_files": len(files.ignored),
            "endpoints": len(endpoints)}
        evidence: list[str] = [self._write(ctx, out / "unauthenticated-endpoints.json", {"endpoints": [
            {"endpoint": u.endpoint, "handler": u.handler, "decision": u.decision, "why": u.why}
            for u in unauthenticated]})]
        metrics.update({f"unauthenticated.{d}": sum(1 for u in unauthenticated if u.decision == d)
                        for d in ("finding", "public by design", "checked in the handler", "changes nothing",
                                  "protected by middleware")})
        try:
            detected = detect(code, [*files.env, *files.keys], work / "detect-secrets", ctx.cancelled)
        except Exception as exc:  # detect-secrets' own failure: say so, keep what the rest found
            ran = bandit.result()
            return self._done(ctx, hits + ran.hits, metrics, evidence,
                              f"detect-secrets failed: {type(exc).__name__}: {exc}")
        ran = bandit.result()
        if detected is None or ran.cancelled:
            return self.result("error", "cancelled", metrics=metrics)
        evidence.append(self._write(ctx, out / "detect-secrets.json", {"results": [
            {"path": d.path, "line": d.line, "type": d.type, "placeholder": d.placeholder} for d in detected]}))
        metrics["secrets_detected"] = len(detected)
        skip = {p.relative_to(ctx.root).as_posix() for p in (*files.env, *files.keys)}
        hits += detected_hits(detected, skip) + file_hits(ctx.root, files, detected)
        if ran.failure is not None:
            return self._done(ctx, hits, metrics, evidence, ran.failure)
        evidence.append(self._write(ctx, out / "bandit.json", {"issues": ran.raw, "errors": ran.errors}))
        metrics.update(bandit_issues=len(ran.raw), bandit_noise_dropped=ran.noise, bandit_files_skipped=len(ran.errors))
        return self._done(ctx, hits + ran.hits, metrics, evidence, None)

    def _done(self, ctx: GateContext, hits: list[Hit], metrics: dict[str, float | int | str | bool | None],
              evidence: list[str], failure: str | None) -> GateResult:
        reviewed = _reviewed_lines(ctx.root, hits)
        kept = [h for h in hits if (h.path, h.line) not in reviewed]
        metrics["suppressed"] = len(hits) - len(kept)
        findings = [self.finding(h.rule_id, h.message, title=h.title, path=h.path, line=h.line, evidence=h.evidence,
                                 severity=h.severity, cwe=h.cwe, endpoint=h.endpoint) for h in self._merge(kept)]
        severities = Counter(f.severity for f in findings)
        metrics.update({level: severities.get(level, 0) for level in ("critical", "high", "medium", "low", "info")})
        metrics.update({f"category.{c}": n for c, n in sorted(Counter(f.category for f in findings).items())})
        high = severities["critical"] + severities["high"]
        summary = (f"{len(findings)} findings ({high} high/critical, {severities['medium']} medium, "
                   f"{severities['low']} low) in {metrics['files_scanned']} files")
        if failure is not None:
            return self.result("error", f"{failure}; {summary} so far", findings=findings, metrics=metrics,
                               evidence=evidence)
        return self.report(summary, findings=findings, metrics=metrics, evidence=evidence, config=ctx.config)

    def _merge(self, hits: list[Hit]) -> list[Hit]:
        """One finding per line and category: a tool's hit on a line an earlier-ranked rule already
        reported is folded into that finding's evidence."""
        kept: list[Hit] = []
        claimed: dict[tuple[str, str, int], Hit] = {}

        def key(h: Hit) -> tuple[int, str, int, int, str, str, str]:
            level = SEVERITIES.index(h.severity or self.rule(h.rule_id).severity)
            return _rank(h.rule_id), h.path, h.line or 0, level, h.rule_id, h.source, h.message

        for hit in sorted(hits, key=key):
            category = self.rule(hit.rule_id).category
            lines = range(hit.line or 0, max(hit.line or 0, hit.end_line or 0) + 1)
            owner = next((claimed[k] for n in lines if (k := (hit.path, category, n)) in claimed), None)
            if owner is not None and (hit.source or _rank(owner.rule_id) < _rank(hit.rule_id)):
                also = f"also reported by {hit.source or hit.rule_id}"
                if also not in (owner.evidence or ""):
                    owner.evidence = f"{owner.evidence}; {also}" if owner.evidence else also
                continue
            kept.append(hit)
            for n in lines:
                claimed.setdefault((hit.path, category, n), hit)
        return kept

    @staticmethod
    def _write(ctx: GateContext, path: Path, data: object) -> str:
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return ctx.rel(path)

