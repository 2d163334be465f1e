"""The load driver of the ``performance`` gate: run ONLY as a subprocess, never imported by the orchestrator.

``import locust`` monkey-patches the standard library with gevent (``locust/__init__.py``), which would
break the asyncio MCP server; so the gate runs ``python performance_locust.py SPEC OUT`` in its own
process group and reads the JSON this script writes.

SPEC (JSON, written by the gate): ``host`` (must be http://127.0.0.1:PORT), ``users``, ``spawn_rate``,
``seconds``, ``warmup_seconds`` (load sent first and left out of the stats), ``headers_file`` (null,
or a 0600 JSON file of headers: credentials, never copied anywhere) and ``targets``: ``[{"name":
"GET /x/{id}", "method": "GET", "path": "/x/3", "auth": false, "weight": 1, "json": {...}}]``
(``json`` optional; ``auth`` targets get the headers). Every request also carries
``X-BO-Target: <name>``, which the server's wrapper uses to label the request's SQL.
OUT (JSON): per target (keyed by name) and in total: requests, failures, rate_limited (429s), rps,
p50/p95/p99 in ms, ``answers`` (status code -> count; 0 is no answer), plus the first error messages.
A failure is a 5xx, a connection error or a timeout (BS-MET-005); a 429 counts as rate limited,
neither a failure nor a latency sample of the endpoint's own work; any other 4xx is an answer the
profile accepts (``answers`` shows how many there were).

Users run a closed loop without think time (each sends its next request when the previous one
answered): for a given user count this is the heaviest load, so p95 here bounds the p95 of a paced
profile with the same concurrency. Each user walks the targets round robin from its own offset, each
target repeated ``weight`` times in the cycle.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2])
    host: str = spec["host"]
    if not host.startswith("http://127.0.0.1:"):  # load only loopback, whatever the spec says
        print(f"refusing to load {host!r}: only http://127.0.0.1 is allowed", file=sys.stderr)
        return 2

    import gevent  # type: ignore[import-untyped]
    from locust import FastHttpUser, constant, events, task
    from locust.env import Environment
    from locust.stats import StatsEntry

    targets: list[dict[str, Any]] = spec["targets"]
    headers: dict[str, str] = {}
    if spec.get("headers_file"):
        headers = json.loads(Path(spec["headers_file"]).read_text(encoding="utf-8"))
    for t in targets:  # the server's wrapper labels the request's SQL with it (bo_serve)
        t["tag"] = {"X-BO-Target": t["name"]} if t["name"].isascii() and t["name"].isprintable() else {}
    cycle = [t for t in targets for _ in range(max(1, int(t.get("weight", 1))))]
    offsets = itertools.count()
    limited: dict[str, int] = {t["name"]: 0 for t in targets}
    answers: dict[str, Counter[int]] = {t["name"]: Counter() for t in targets}

    class LoadUser(FastHttpUser):
        wait_time = constant(0)
        network_timeout = 10.0
        connection_timeout = 5.0
        _next = 0

        def on_start(self) -> None:
            self._next = next(offsets)

        @task
        def hit(self) -> None:
            # Round robin from a per-user offset: every endpoint gets a share even when one is slow.
            target = cycle[self._next % len(cycle)]
            self._next += 1
            extra: dict[str, Any] = {"json": target["json"]} if "json" in target else {}
            extra["headers"] = {**(headers if target.get("auth") else {}), **target["tag"]}
            with self.client.request(target["method"], target["path"], name=target["name"],
                                     catch_response=True, **extra) as response:
                code = response.status_code or 0
                answers[target["name"]][code] += 1
                if code == 429:
                    limited[target["name"]] += 1
                    response.success()
                elif code == 0 or code >= 500:
                    response.failure(f"HTTP {code}" if code else f"connection error: {response.error!r}")
                else:
                    response.success()

    LoadUser.host = host
    env = Environment(user_classes=[LoadUser], host=host, events=events)
    runner = env.create_local_runner()
    runner.start(user_count=int(spec["users"]), spawn_rate=float(spec["spawn_rate"]))
    warmup = float(spec.get("warmup_seconds", 0))
    if warmup > 0:  # first requests pay for imports, caches and pools: load, then forget them
        gevent.sleep(warmup)
        env.stats.reset_all()
        for name in limited:
            limited[name] = 0
            answers[name].clear()
    gevent.spawn_later(float(spec["seconds"]), runner.quit)
    runner.greenlet.join()

    def numbers(entry: StatsEntry) -> dict[str, Any]:
        done = entry.num_requests
        return {
            "requests": done, "failures": entry.num_failures,
            "rps": round(float(entry.total_rps), 2),
            "p50_ms": entry.get_response_time_percentile(0.5) if done else None,
            "p95_ms": entry.get_response_time_percentile(0.95) if done else None,
            "p99_ms": entry.get_response_time_percentile(0.99) if done else None,
            "max_ms": round(float(entry.max_response_time), 1) if done else None,
        }

    endpoints = []
    measured = StatsEntry(env.stats, "Measured", "", use_response_times_cache=False)
    for t in targets:
        entry = env.stats.get(t["name"], t["method"])
        row = {"name": t["name"], **numbers(entry), "rate_limited": limited[t["name"]],
               "answers": {str(code): n for code, n in sorted(answers[t["name"]].items())}}
        endpoints.append(row)
        if not limited[t["name"]]:
            measured.extend(entry)
    errors = [{"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
              for e in list(env.stats.errors.values())[:20]]
    result = {
        "host": host, "users": spec["users"], "seconds": spec["seconds"],
        "total": {**numbers(env.stats.total), "rate_limited": sum(limited.values())},
        "measured": numbers(measured),
        "endpoints": endpoints, "errors": errors,
    }
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
