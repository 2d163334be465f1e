"""Gate ``performance``: latency and error rate of the running app under load (locust against uvicorn).

What it does
    Serves the configured app (``app``, e.g. ``shop.main:app``) through ``appserver``: a subprocess of
    the target's interpreter on 127.0.0.1 and a free port, in its own process group — uvicorn for an
    ASGI app; gunicorn, waitress or uvicorn's WSGI interface for a WSGI app (Flask, Django), whichever
    the target has (``serve.interface``: ``auto``, ``asgi`` or ``wsgi``); the summary and the metrics
    ``server``/``interface`` say which. It waits until the app listens, then drives it with locust
    headless (``performance_locust.py``, a subprocess of OUR interpreter: locust monkey-patches the
    standard library) for a bounded time and user count, and reads per target and in total: requests,
    failures, answers by status code, rps, p50/p95/p99 and the error rate. Raw numbers go to
    ``<evidence>/performance/stats.json``; logs of the seed, the server and the driver beside it.

    Targets (``performance_targets``): every safe GET (no path parameters, no authentication, not a
    docs route) plus the requests of ``load.requests`` (method, path with ``{placeholders}``, optional
    ``json`` body, ``auth``, ``weight``, ``name``). A configured request whose method and path match an
    endpoint counts as that endpoint. With a task, only the task's endpoints among them are loaded
    (all of them when none of the task's can be). A placeholder the seed did not return, or a request
    marked ``auth`` without headers from the seed, is an ``error`` naming it.

    Database and seed (``appserver``): when the config has ``alembic_config`` and a *relative* SQLite
    ``database_url`` (``sqlite:///./shop.db``), the app and ``alembic upgrade head`` run with a scratch
    folder under the evidence folder as their working directory (the project is put on
    ``PYTHONPATH``), so the relative URL lands on a fresh, migrated copy there: the project's own
    database is never touched. ``DATABASE_URL`` is set to that scratch database too, and so is the
    variable named by ``database_env`` (e.g. ``SHOP_DATABASE_URL``). Any other database URL is left
    as the environment gives it. Then ``serve.seed`` (``module:function`` in the target's code) runs
    there before the server starts; it may return ``{"headers": {...}, "values": {...}}``: the headers
    (credentials) are sent with requests marked ``auth`` and reach the driver only through a 0600 file
    in the scratch folder, deleted after the run; never a log, the spec, stats or the report. The
    values fill the placeholders.

    Load profile: ``load.users`` (default 10, also the spawn rate), ``load.seconds`` (default 15) and
    ``load.startup_s`` (default 30, the wait for the server); ``BO_LOAD_USERS``, ``BO_LOAD_SECONDS`` and
    ``BO_STARTUP_SECONDS`` override them for one run. Users run a closed loop without think time,
    picking targets in proportion to their ``weight``; the load starts one second (``WARMUP_S``)
    before the measured seconds, and that second is not measured.
Why it matters
    The mission's success metrics are p95 < 200 ms per endpoint (BS-MET-001) and an error rate below
    0.1 % under load (BS-MET-005); both only mean something measured on the served app.
Rules
    PF001 an endpoint's p95 at or above ``thresholds.api_p95_ms`` (high) · PF002 the error rate
    (5xx, connection errors, timeouts) at or above ``thresholds.error_rate_percent`` (high) ·
    PF003 an endpoint answered 429: reported as rate limited and left out of the p95 verdict (low) ·
    PF004 a SQL statement's p95 under load at or above ``thresholds.db_query_ms`` (high), timed by
    SQLAlchemy cursor events injected into the server (``querytiming``; log ``sql-timing.jsonl``) ·
    PF005 N+1: a route's requests run one SELECT ≥ 10 times each, at the median (medium) · PF006 a
    SELECT's plan (EXPLAIN) reads a table in full although the statement filters it (low) · PF007 half
    or more of a target's requests answered 4xx (not 429): the request is misconfigured and its
    latency is the error path's (medium). The slowest statements and their plans are in
    ``sql-stats.json``.
Use instead
    Move slow work out of the request (background jobs, caching, indexes, pagination); fix the 5xx
    the driver log lists; exempt loopback or the load profile from the rate limiter to measure it.

More machines
    The same load profile runs distributed with locust's master/worker mode: start
    ``locust -f backend_orchestrator/gates/performance_locust.py --master --headless -u USERS -r USERS
    -t SECONDSs --expect-workers N --host http://HOST:PORT`` on one machine and
    ``locust -f ... --worker --master-host MASTER`` on each load machine (the locustfile then needs the
    targets, and the seed's headers for ``auth`` requests, on each worker instead of the SPEC file and
    its 0600 headers file). Users are split across workers and the master
    aggregates the stats. It is pointless on a 2-core box, where the generator and the server already
    compete for the same CPUs: add machines, not processes. This gate itself only loads 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import process
from ..contracts.config import ProjectConfig
from ..contracts.registry import Endpoint
from ..contracts.report import Finding, GateResult
from . import appserver, querytiming
from .base import Gate, GateContext, Rule
from .performance_targets import Target, fill, seed_problem, seedless_problem, select_targets

__all__ = ["PerformanceGate", "Profile", "select_targets"]

DRIVER = Path(__file__).with_name("performance_locust.py")
MARGIN_S = 90.0  # migrations, interpreter start-up, driver start and teardown
WARMUP_S = 1.0  # load before the measured seconds: the first requests pay for imports, caches and pools


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = default
    return max(low, min(high, value))


@dataclass(frozen=True)
class Profile:
    users: int
    seconds: int
    startup_s: int

    @classmethod
    def from_config(cls, config: ProjectConfig) -> Profile:
        """The config's ``load`` profile; ``BO_LOAD_USERS``/``BO_LOAD_SECONDS``/``BO_STARTUP_SECONDS``
        override it for one run (CI, tests)."""
        load = config.load
        return cls(users=_env_int("BO_LOAD_USERS", load.users, 1, 200),
                   seconds=_env_int("BO_LOAD_SECONDS", load.seconds, 1, 600),
                   startup_s=_env_int("BO_STARTUP_SECONDS", load.startup_s, 1, 300))


class PerformanceGate(Gate):
    id = "performance"
    title = "Latency and error rate under load"
    runtime = True
    blocks_at = "high"
    rules = (
        Rule("PF001", "p95 latency above the threshold", "high", "latency", clause="BS-MET-001",
             help="An endpoint's 95th percentile response time under the load profile is at or above "
                  "thresholds.api_p95_ms (200 ms by default). Move slow work out of the request (background "
                  "job), add the missing index or pagination, cache, or make blocking calls asynchronous."),
        Rule("PF002", "Error rate above the threshold", "high", "error-rate", clause="BS-MET-005",
             help="Too many requests under load ended in a 5xx, a connection error or a timeout (threshold "
                  "thresholds.error_rate_percent, 0.1 % by default). Fix the errors listed in the driver log; "
                  "4xx answers do not count."),
        Rule("PF003", "Rate limited: latency not measured", "low", "rate-limiting", clause="API-022",
             help="The endpoint answered 429 under the load profile, so its latency would measure the rate "
                  "limiter, not the endpoint; it is left out of the p95 verdict. Exempt loopback or the load "
                  "profile from the limiter to measure it."),
        Rule("PF004", "Slow SQL statement under load", "high", "slow-query", clause="BS-MET-002",
             help="A normalised SQL statement's p95 while the app served the load profile is at or above "
                  "thresholds.db_query_ms (50 ms by default). Check its plan with EXPLAIN: add the missing index, "
                  "paginate, or select fewer rows."),
        # Medium, not high: N+1 is the cause, not the measured harm. The latency it costs is judged by
        # PF001 (high); PF005 says why, and warns before the data grows enough for PF001 to fire.
        Rule("PF005", "N+1 queries per request under load", "medium", "slow-query", clause="DB-018",
             help="Requests of one route run the same SELECT 10 times or more each (median over the route's "
                  "requests under load): a lazy relationship or a query in a loop, so the statement count grows "
                  "with the data. Eager-load what the response needs (selectinload/joinedload) or fetch in one "
                  "query; set lazy=\"raise\" on relationships that must never load lazily."),
        Rule("PF006", "Full scan of a filtered table under load", "low", "missing-index", clause="DB-017",
             help="The query plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL) of a SELECT the app ran "
                  "under load reads a whole table although the statement filters it: no index serves the WHERE, "
                  "so its cost grows with the table. Index the filtered columns (with a migration)."),
        Rule("PF007", "Load request mostly refused", "medium", "load-profile", clause="TEST-021",
             help="Half or more of a target's requests under load were answered with a 4xx other than 429 "
                  "(a wrong id in its path, a body the app rejects, missing or expired credentials), so its "
                  "latency measures the error path, not the endpoint. Fix the configured request: the seed's "
                  "values for its {placeholders}, its json body, auth = true and the seed's headers."),
    )

    def time_limit(self, config: ProjectConfig) -> float:
        profile = Profile.from_config(config)
        seed_s = config.serve.seed_timeout_s if config.serve.seed else 0
        return profile.seconds + profile.startup_s + seed_s + MARGIN_S

    def skip_reason(self, ctx: GateContext) -> str | None:
        if not ctx.config.app:
            return "no `app` in the config (e.g. app = \"shop.main:app\"): nothing to serve"
        if not select_targets(ctx)[0]:
            return ("no GET endpoint without path parameters or authentication to load: configure the requests to "
                    "load in [[tool.backend-orchestrator.load.requests]] (method, path, auth)")
        return None

    def run(self, ctx: GateContext) -> GateResult:
        import importlib.util

        if importlib.util.find_spec("locust") is None:  # find_spec does not import (no monkey-patching)
            return self.result("error", "locust is not installed next to backend-orchestrator: "
                               "pip install 'backend-orchestrator[load]'")
        profile = Profile.from_config(ctx.config)
        targets, origin = select_targets(ctx)
        problem = seedless_problem(ctx, targets)
        if problem is not None:
            return self.result("error", problem)
        out = ctx.evidence_dir / "performance"
        out.mkdir(parents=True, exist_ok=True)
        for stale in ("stats.json", "locust.log", "load-spec.json"):
            (out / stale).unlink(missing_ok=True)
        evidence: list[str] = []
        try:
            with appserver.serve(ctx, out, profile.startup_s) as served:
                evidence = served.evidence
                problem = seed_problem(ctx, targets, served.values, served.headers)
                if problem is not None:
                    return self.result("error", problem, evidence=evidence)
                stats = self._drive(ctx, out, profile, targets, served, evidence)
                if isinstance(stats, GateResult):
                    return stats
                sql_log = served.sql_log
        except appserver.ServeError as exc:
            return self.result("error", str(exc), evidence=exc.evidence)
        queries = querytiming.analyse(sql_log)
        if sql_log.is_file():
            (out / "sql-stats.json").write_text(queries.to_json(ctx.config.thresholds.db_query_ms), encoding="utf-8")
            evidence += [ctx.rel(sql_log), ctx.rel(out / "sql-stats.json")]
        result = self._verdict(ctx, list[Endpoint](targets), origin, profile, stats, evidence, queries)
        result.metrics.update(server=served.server, interface=served.interface)
        result.summary += f"; served by {served.server} ({', '.join(filter(None, [served.interface, served.detail]))})"
        return result

    def _drive(self, ctx: GateContext, out: Path, profile: Profile, targets: list[Target],
               served: appserver.Served, evidence: list[str]) -> dict[str, Any] | GateResult:
        """Run the locust driver against ``served``: its stats, or the error result."""
        secret = served.scratch / ".bo-headers.json"  # the only place the credentials are written
        spec = {"host": served.url, "users": profile.users, "spawn_rate": profile.users, "seconds": profile.seconds,
                "warmup_seconds": WARMUP_S, "headers_file": None,
                "targets": [{"name": t.name, "method": t.method, "path": fill(t.path, served.values),
                             "auth": t.send_auth, "weight": t.weight,
                             **({"json": t.body} if t.body is not None else {})} for t in targets]}
        try:
            if any(t.send_auth for t in targets):
                appserver.write_private(secret, served.headers)
                spec["headers_file"] = str(secret)
            (out / "load-spec.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
            stats_path = out / "stats.json"
            driven = process.run([sys.executable, str(DRIVER), str(out / "load-spec.json"), str(stats_path)],
                                 cwd=out, timeout=profile.seconds + 60, log=out / "locust.log",
                                 env=process.target_env(), cancelled=ctx.cancelled)
        finally:
            secret.unlink(missing_ok=True)
        evidence += [ctx.rel(out / "load-spec.json"), ctx.rel(out / "locust.log")]
        if driven.cancelled:
            return self.result("error", "cancelled", evidence=evidence)
        if driven.timed_out or driven.returncode != 0 or not stats_path.is_file():
            why = "did not finish in time" if driven.timed_out else f"exited {driven.returncode}"
            return self.result("error", f"the locust driver {why}: {appserver.tail(out / 'locust.log', 8)}",
                               evidence=evidence)
        if not served.alive():
            return self.result("error", f"the server exited during the load run: "
                               f"{appserver.tail(out / 'server.log')}", evidence=evidence)
        evidence.append(ctx.rel(stats_path))
        stats: dict[str, Any] = json.loads(stats_path.read_text(encoding="utf-8"))
        return stats

    def _verdict(self, ctx: GateContext, targets: list[Endpoint], origin: str, profile: Profile,
                 stats: dict[str, Any], evidence: list[str],
                 queries: querytiming.QueryStats | None = None) -> GateResult:
        th = ctx.config.thresholds
        by_ref = {ep.ref: ep for ep in targets}
        findings: list[Finding] = []
        queries = queries or querytiming.QueryStats()
        for slow in queries.slow(th.db_query_ms):
            path, line = querytiming.split_site(slow.site)
            findings.append(self.finding(
                "PF004", f"Under load the statement `{querytiming.short(slow.sql, 200)}` has p95 {slow.p95_ms:g} ms "
                         f"(p50 {slow.p50_ms:g} ms, max {slow.max_ms:g} ms, {slow.count} runs); it must stay below "
                         f"{th.db_query_ms:g} ms.{querytiming.plan_note(slow)} Add the missing index, paginate, or "
                         "select fewer rows.",
                title=f"Slow SQL statement under load: p95 {slow.p95_ms:g} ms", path=path, line=line,
                evidence=slow.sql))
        for repeated in queries.scope("route"):
            path, line = querytiming.split_site(repeated.site)
            route = by_ref.get(repeated.context)
            findings.append(self.finding(
                "PF005", f"{querytiming.n_plus_one_message(repeated)} Load the related rows in one query "
                         "(selectinload/joinedload, or an IN query) instead of one per parent row.",
                title=f"N+1 under load: {repeated.context} runs one SELECT {repeated.count}× per request",
                path=path or (route.file if route else None), line=line or (route.line if route else None),
                evidence=repeated.sql, endpoint=repeated.context if route else None))
        for scan in queries.full_scans():
            path, line = querytiming.split_site(scan.site)
            findings.append(self.finding(
                "PF006", f"{querytiming.full_scan_message(scan)} (p95 {scan.p95_ms:g} ms over {scan.count} runs "
                         "under load).", title=f"Full scan of {scan.full_scan} although filtered", path=path,
                line=line, evidence="\n".join(scan.plan or [])))
        for row in stats["endpoints"]:
            ep = by_ref[row["name"]]
            if row["rate_limited"]:
                findings.append(self.finding(
                    "PF003", f"{ep.ref} answered 429 to {row['rate_limited']} of {row['requests']} requests "
                             f"(limited while asked about {row['rps']:g} rps by {profile.users} users); its latency "
                             "was not measured and it is left out of the p95 verdict. Exempt loopback or the load "
                             "profile from the rate limiter to measure the endpoint itself.",
                    title=f"Rate limited: {ep.ref}", path=ep.file, line=ep.line,
                    evidence=json.dumps(row, sort_keys=True), endpoint=ep.ref))
                continue
            refused = {code: n for code, n in row.get("answers", {}).items()
                       if code.startswith("4") and code != "429"}
            if row["requests"] and 2 * sum(refused.values()) >= row["requests"]:
                codes = ", ".join(f"{code} ×{n}" for code, n in sorted(refused.items()))
                findings.append(self.finding(
                    "PF007", f"{ep.ref} was answered {codes} to {sum(refused.values())} of its {row['requests']} "
                             "requests under load: its latency measures the error path, not the endpoint. Check the "
                             "configured request (load.requests): the seed's values for its {placeholders}, its "
                             "json body, and auth = true with the seed's headers.",
                    title=f"Load request mostly refused: {ep.ref}", path=ep.file, line=ep.line,
                    evidence=json.dumps(row, sort_keys=True), endpoint=ep.ref))
            p95 = row["p95_ms"]
            if p95 is not None and p95 >= th.api_p95_ms:
                findings.append(self.finding(
                    "PF001", f"{ep.ref} has p95 {p95:g} ms (p50 {row['p50_ms']:g} ms, p99 {row['p99_ms']:g} ms, "
                             f"{row['requests']} requests at {row['rps']:g} rps, {profile.users} users); it must "
                             f"stay below {th.api_p95_ms:g} ms. Move slow or blocking work out of the handler "
                             f"({ep.handler}): a background job, an index, pagination or a cache.",
                    title=f"p95 {ep.ref} at or above {th.api_p95_ms:g} ms", path=ep.file, line=ep.line,
                    evidence=json.dumps(row, sort_keys=True), endpoint=ep.ref))
        total = stats["total"]
        requests, failures = int(total["requests"]), int(total["failures"])
        error_rate = round(100.0 * failures / requests, 3) if requests else 0.0
        if failures and error_rate >= th.error_rate_percent:
            worst = sorted((r for r in stats["endpoints"] if r["failures"]), key=lambda r: -r["failures"])
            listed = ", ".join(f"{r['name']} {r['failures']}/{r['requests']}" for r in worst[:5])
            samples = "; ".join(f"{e['name']}: {e['error']} ×{e['occurrences']}" for e in stats["errors"][:3])
            top = by_ref.get(worst[0]["name"]) if worst else None
            findings.append(self.finding(
                "PF002", f"{failures} of {requests} requests failed under load ({error_rate:g} %, 5xx, connection "
                         f"errors and timeouts); the error rate must stay below {th.error_rate_percent:g} %. "
                         f"Failing: {listed}. Fix the errors the server log shows ({samples}).",
                title=f"Error rate {error_rate:g} % at or above {th.error_rate_percent:g} %",
                path=top.file if top else None, line=top.line if top else None, evidence=samples or None,
                endpoint=top.ref if top else None, subject=None if top else "error rate under load"))
        if requests == 0:
            return self.result("error", "the load run sent no request (see locust.log)", evidence=evidence)
        measured = stats["measured"]
        metrics: dict[str, float | int | str | bool | None] = {
            "p50_ms": measured["p50_ms"], "p95_ms": measured["p95_ms"], "p99_ms": measured["p99_ms"],
            "rps": total["rps"], "error_rate": error_rate, "requests": requests, "failures": failures,
            "users": profile.users, "seconds": profile.seconds, "endpoints": len(targets),
            "rate_limited_endpoints": sum(1 for r in stats["endpoints"] if r["rate_limited"]),
            "api_p95_threshold_ms": th.api_p95_ms, "error_rate_threshold_percent": th.error_rate_percent,
            **queries.metrics(),
        }
        p95 = "n/a" if measured["p95_ms"] is None else f"{measured['p95_ms']:g} ms"
        summary = (f"{len(targets)} endpoint(s) ({origin}), {profile.users} users for {profile.seconds} s: "
                   f"{requests} requests at {total['rps']:g} rps, p95 {p95}, error rate {error_rate:g} %")
        if queries.summary():
            summary += f"; {queries.summary()}"
        return self.report(summary, findings=findings, metrics=metrics, evidence=evidence)
