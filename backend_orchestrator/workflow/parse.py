"""Reading a task description: kind, endpoints, models and acceptance criteria.

Deterministic keyword and pattern rules (no model call): what the caller states wins, and what
is inferred here is marked as inferred on the task so an agent knows to check it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..contracts.common import TASK_KINDS

ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(/[A-Za-z0-9_\-./{}:]*)")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\[[ x]\])\s+(.+?)\s*$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MODAL = re.compile(r"\b(must|should|shall|needs? to|has to|have to|returns?|rejects?|supports?)\b", re.I)

# Weighted words per kind. Multi-word phrases count once each; an explicit endpoint adds to api.
KIND_WORDS: dict[str, dict[str, float]] = {
    "api": {"endpoint": 2, "route": 2, "api": 1.5, "pagination": 2, "paginate": 2, "filter": 1.5,
            "filtering": 1.5, "sort": 1, "sorting": 1, "response": 1, "request": 1, "rest": 1,
            "openapi": 1.5, "status code": 1.5, "query parameter": 1.5, "crud": 1.5, "versioning": 1},
    "database": {"migration": 3, "alembic": 3, "table": 2, "column": 2, "index": 2, "schema": 1.5,
                 "foreign key": 2.5, "constraint": 2, "query": 1, "database": 2, "sql": 1.5,
                 "n+1": 2, "slow query": 2, "normalize": 1.5, "backfill": 2},
    "service": {"integrate": 2.5, "integration": 2.5, "webhook": 3, "third-party": 2.5, "client": 1,
                "queue": 2.5, "celery": 3, "worker": 2, "email": 2.5, "payment": 3, "stripe": 3,
                "redis": 2, "cache": 2, "retry": 1.5, "s3": 2, "external": 1.5, "kafka": 3},
    "auth": {"auth": 2.5, "authentication": 3, "authorization": 3, "login": 3, "logout": 3,
             "token": 2, "jwt": 3, "oauth": 3, "permission": 2.5, "role": 2, "password": 2.5,
             "session": 1.5, "sign up": 2, "signup": 2, "rbac": 3, "api key": 2.5, "2fa": 3},
    "testing": {"test": 2, "tests": 2, "coverage": 3, "pytest": 3, "fixture": 2.5, "flaky": 3,
                "unit test": 3, "integration test": 3, "load test": 3, "contract test": 3},
}


def _count(text: str, word: str) -> int:
    return len(re.findall(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text))


def kind_scores(text: str) -> dict[str, float]:
    lowered = text.lower()
    scores = {kind: sum(weight * min(_count(lowered, w), 3) for w, weight in words.items())
              for kind, words in KIND_WORDS.items()}
    scores["api"] += 2.0 * len(ENDPOINT.findall(text))
    return scores


def infer_kind(text: str) -> tuple[str, dict[str, float]]:
    scores = kind_scores(text)
    best = max(TASK_KINDS, key=lambda k: (scores[k], -TASK_KINDS.index(k)))
    return (best if scores[best] > 0 else "api"), scores


def find_endpoints(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for method, path in ENDPOINT.findall(text):
        path = path.rstrip(".,;:)") or "/"
        seen[f"{method} {path}"] = None
    return list(seen)


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def find_models(text: str, known: Iterable[tuple[str, str]]) -> list[str]:
    """Model class names whose name or table is mentioned (singular or plural, any case)."""
    words = {_singular(w) for w in re.findall(r"[a-z][a-z0-9_]*", text.lower())}
    words |= {w.replace("_", "") for w in words}
    found = []
    for name, table in known:
        keys = {_singular(name.lower()), _singular(table.lower()), _singular(table.lower()).replace("_", "")}
        if keys & words:
            found.append(name)
    return found


def acceptance_criteria(text: str) -> list[str]:
    """Bullets if the description has them, else sentences that state an obligation, else the text."""
    bullets = [m.group(1) for line in text.splitlines() if (m := _BULLET.match(line))]
    if bullets:
        return bullets
    sentences = [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]
    stated = [s for s in sentences if _MODAL.search(s)]
    return stated or [" ".join(text.split())]


def title_from(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), text.strip())
    first = _SENTENCE.split(first)[0].rstrip(".")
    return first if len(first) <= 80 else first[:77].rstrip() + "..."
