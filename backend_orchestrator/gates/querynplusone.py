"""N+1 patterns in the SQL timer's log: the same SELECT repeated within one test or one request.

The timer tags each statement with its context: a pytest node id (``tests/test_api.py::test_x``)
or, under load, a request label set by the serving wrapper (``"GET /api/v1/orders #17"``: the
route, then the request's counter). A test that runs one SELECT ``N_PLUS_ONE`` times or more is
reported once per statement (the test that repeats it most). Requests are grouped by route: a
route is reported when the MEDIAN count over its requests reaches ``N_PLUS_ONE``, so one odd
request does not make a pattern and requests that did not run the statement count as zero
(requests that ran no SQL at all are not seen). Only SELECTs are counted (the caller filters).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

N_PLUS_ONE = 10
REQUEST = re.compile(r"(.+) #\d+")


@dataclass
class NPlusOne:
    sql: str
    context: str  # the pytest node id (scope "test") or the route, e.g. "GET /api/v1/orders" (scope "route")
    count: int  # runs within the test; per request, the median over the route's requests
    site: str | None = None  # the most frequent project call site, "path:line"
    scope: Literal["test", "route"] = "test"
    requests: int | None = None  # scope "route": requests of the route that ran SQL
    max_per_request: int | None = None


def n_plus_one_message(n: NPlusOne, limit: int = 200) -> str:
    """What an N+1 pattern is, in one sentence: per test, or per request of a route under load."""
    sql = n.sql if len(n.sql) <= limit else n.sql[: limit - 1] + "…"
    if n.scope == "route":
        return (f"{n.context} runs `{sql}` {n.count}× per request (median over its {n.requests} requests; "
                f"at most {n.max_per_request}×).")
    return f"N+1 pattern: `{sql}` ran {n.count} times in {n.context}."


def _top(counter: Counter[str]) -> str | None:
    return counter.most_common(1)[0][0] if counter else None


@dataclass
class Repeats:
    """Counts of SELECTs per context, fed line by line while the log is read."""

    per_context: Counter[tuple[str, str]] = field(default_factory=Counter)  # (test or request, SELECT) → runs
    sites: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    requests: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # route → request labels

    def seen(self, context: str) -> None:
        """A statement of any kind ran in ``context``: a request that ran SQL counts for its route."""
        request = REQUEST.fullmatch(context)
        if request:
            self.requests[request.group(1)].add(context)

    def add(self, context: str, sql: str, site: str | None) -> None:
        self.per_context[(context, sql)] += 1
        if site:
            self.sites[(context, sql)][site] += 1

    def patterns(self) -> list[NPlusOne]:
        """Every pattern found, most repeats first."""
        found = self._per_test() + self._per_route()
        return sorted(found, key=lambda n: (-n.count, n.context, n.sql))

    def _per_test(self) -> list[NPlusOne]:
        worst: dict[str, NPlusOne] = {}
        for (context, sql), count in sorted(self.per_context.items()):
            if REQUEST.fullmatch(context) or count < N_PLUS_ONE:
                continue
            if sql not in worst or count > worst[sql].count:
                worst[sql] = NPlusOne(sql, context, count, _top(self.sites[(context, sql)]))
        return list(worst.values())

    def _per_route(self) -> list[NPlusOne]:
        routes = sorted({(m.group(1), sql) for context, sql in self.per_context
                         if (m := REQUEST.fullmatch(context))})
        found = []
        for route, sql in routes:
            labels = sorted(self.requests[route])
            counts = sorted(self.per_context.get((label, sql), 0) for label in labels)
            median = counts[max(0, math.ceil(len(counts) / 2) - 1)]  # nearest rank, as the latency percentiles
            if median >= N_PLUS_ONE:
                sites: Counter[str] = Counter()
                for label in labels:
                    sites.update(self.sites.get((label, sql), Counter()))
                found.append(NPlusOne(sql, route, median, _top(sites), "route", len(labels), counts[-1]))
        return found
