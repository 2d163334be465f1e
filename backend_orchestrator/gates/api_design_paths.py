"""The `api-design` gate's rules over the endpoint registry alone: naming, versioning, status codes.

Pure functions of the registry (no files read), each returning :class:`Hit` values that the gate
turns into findings. The word lists are deliberately small and documented here, because a wrong
"verb" or "singular" guess is a false alarm on every run:

- verbs (API-003): a path segment whose first word is one of :data:`VERBS` (``getUsers``,
  ``create-order``, ``/orders/{id}/cancel``). ``search``, ``login``/``logout`` and ``token`` are
  not on the list: they are the accepted names of a query resource and of the auth endpoints.
- plurals (API-001): only segments that are certainly collections are checked (followed by a
  ``{param}``, or the last segment of a GET that returns a list); the last word must end in ``s``
  (but not ``ss``/``us``/``is``) or be an uncountable or irregular plural (:data:`PLURAL_WORDS`).
- probes (API-026): health, readiness, metrics and docs paths, and the root (`/`, `/api/v1`), are
  exempt from naming and versioning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..contracts.registry import Endpoint

VERBS = frozenset({
    "get", "fetch", "retrieve", "list", "find", "create", "add", "insert", "make", "update", "edit", "modify",
    "delete", "remove", "destroy", "save", "upsert", "execute", "perform", "submit", "send", "cancel", "do",
})
PLURAL_WORDS = frozenset({
    "data", "media", "metadata", "people", "children", "men", "women", "feet", "teeth", "mice", "criteria",
    "series", "species", "news", "information", "feedback", "equipment", "staff", "analytics", "software",
})
# namespaces and query resources that are not collections, so never need a plural
NOT_COLLECTIONS = frozenset({"api", "auth", "oauth", "oauth2", "admin", "internal", "public", "me", "self", "search"})
PROBE = re.compile(r"^(health|healthz|healthcheck|health-check|livez|readyz|live|liveness|ready|readiness|ping|"
                   r"metrics|docs|redoc|openapi(\.json|\.yaml)?|favicon\.ico)$")
VERSION = re.compile(r"^v\d+(\.\d+)?$")
LIST_MODEL = re.compile(r"^(typing\.|collections\.abc\.|t\.)?(list|List|Sequence|Iterable|set|Set|frozenset|tuple)\[")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")
# the last segments of token/login endpoints: a POST there answers 200 by convention (RFC 6749 §5.1)
AUTH_ACTIONS = frozenset({"token", "login", "logout", "refresh", "signin", "signout"})
CREATE_HANDLER = re.compile(r"^(create|add|new|insert|register|place)(_|$)")


@dataclass(frozen=True)
class Hit:
    """One rule broken at one place: what the gate turns into a finding."""

    rule: str
    message: str
    title: str
    path: str | None
    line: int | None
    evidence: str | None = None

    def key(self) -> tuple[str, int, str, str]:
        return (self.path or "", self.line or 0, self.rule, self.message)


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def is_param(segment: str) -> bool:
    return segment.startswith(("{", "<")) and segment.endswith(("}", ">"))


def words(segment: str) -> list[str]:
    """`getWidgetCount` -> get, widget, count; `order_items` -> order, items."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", segment)
    return [w.lower() for w in re.split(r"[-_.\s]+", spaced) if w]


def is_probe(path: str) -> bool:
    meaningful = [s for s in segments(path) if s != "api" and not VERSION.match(s)]
    return not meaningful or bool(PROBE.match(meaningful[0]))  # the root (`/`, `/api/v1`) is a probe too


def is_versioned(endpoint: Endpoint) -> bool:
    return endpoint.version is not None or any(VERSION.match(s) for s in segments(endpoint.path))


def returns_list(endpoint: Endpoint) -> bool:
    return bool(endpoint.response_model and LIST_MODEL.match(endpoint.response_model))


def success_code(endpoint: Endpoint) -> int:
    """The status a successful call answers: the lowest 2xx/3xx the registry lists, else FastAPI's 200."""
    return min((c for c in endpoint.status_codes if 200 <= c < 400), default=200)


def function_name(endpoint: Endpoint) -> str:
    return endpoint.handler.rpartition(":")[2].rpartition(".")[2]


def _plural(word: str) -> bool:
    """Whether an English word reads as plural; a word with digits (`sub0`, `v2beta`) cannot be judged."""
    if not word.isalpha():
        return True
    return word in PLURAL_WORDS or (word.endswith("s") and not word.endswith(("ss", "us", "is")))


def _where(endpoint: Endpoint) -> tuple[str, int]:
    return endpoint.file, endpoint.line


def naming(endpoints: list[Endpoint]) -> list[Hit]:
    """AD001 verbs, AD002 singular collections, AD003 case, AD004 trailing slash or file extension.

    One hit per offending path prefix (anchored at its first handler), not one per method."""
    seen: dict[tuple[str, str], Hit] = {}

    def add(rule: str, prefix: str, endpoint: Endpoint, message: str, title: str) -> None:
        key = (rule, prefix)
        path, line = _where(endpoint)
        hit = Hit(rule, message, title, path, line, evidence=endpoint.ref)
        if key not in seen or hit.key() < seen[key].key():
            seen[key] = hit

    for ep in sorted(endpoints, key=lambda e: (e.file, e.line, e.method)):
        if is_probe(ep.path):
            continue
        segs = segments(ep.path)
        if ep.path != "/" and ep.path.endswith("/"):
            add("AD004", ep.path, ep, f"{ep.ref} ends with a slash; serve one canonical path without it "
                f"({ep.path.rstrip('/')}) so caches, rate limits and docs agree.", f"Trailing slash in {ep.path}")
        if segs and EXTENSION.search(segs[-1]):
            bare = EXTENSION.sub("", ep.path)
            add("AD004", ep.path, ep, f"{ep.ref} carries a file extension; serve {bare} and choose the format "
                "with the Accept header (content negotiation).", f"File extension in {ep.path}")
        for i, seg in enumerate(segs):
            if is_param(seg) or "{" in seg or seg == "api" or VERSION.match(seg):
                continue
            prefix = "/" + "/".join(segs[: i + 1])
            parts = words(EXTENSION.sub("", seg)) if i == len(segs) - 1 else words(seg)
            if parts and parts[0] in VERBS:
                add("AD001", prefix, ep, f"Path segment {seg!r} of {ep.ref} is a verb; name the resource with a "
                    "noun and let the HTTP method say the action (GET /orders, not /getOrders; "
                    "POST /orders/{order_id}/cancellation, not /cancel).", f"Verb in path {prefix}")
            bare_seg = EXTENSION.sub("", seg)
            if not KEBAB.match(bare_seg):
                style = "snake_case" if "_" in bare_seg else "camelCase" if re.search(r"[a-z][A-Z]", bare_seg) \
                    else "upper case" if bare_seg != bare_seg.lower() else "an unusual spelling"
                add("AD003", prefix, ep, f"Path segment {seg!r} of {ep.ref} is {style}; write path segments in "
                    f"lower kebab case ({'-'.join(words(bare_seg))!r}).", f"{style} segment in {prefix}")
            collection = (i + 1 < len(segs) and is_param(segs[i + 1])) or (
                i == len(segs) - 1 and ep.method == "GET" and returns_list(ep))
            if collection and parts and parts[0] not in VERBS and seg.lower() not in NOT_COLLECTIONS \
                    and not _plural(parts[-1]):
                add("AD002", prefix, ep, f"Collection segment {seg!r} of {ep.ref} is singular; name collections "
                    f"with plural nouns ({'-'.join([*parts[:-1], parts[-1] + 's'])!r}, or the right plural) and "
                    "items by id under them.", f"Singular collection name in {prefix}")
    return list(seen.values())


def versioning(endpoints: list[Endpoint], app: tuple[str | None, int | None]) -> list[Hit]:
    """AD005: once most endpoints carry a version prefix, every one must (probes exempt); when most do
    not, one hit for the whole API."""
    api = [e for e in endpoints if not is_probe(e.path)]
    unversioned = sorted((e for e in api if not is_versioned(e)), key=lambda e: (e.file, e.line, e.method))
    if not unversioned:
        return []
    if 2 * len(unversioned) >= len(api):
        return [Hit("AD005", f"{len(unversioned)} of {len(api)} endpoints have no version prefix (e.g. "
                    f"{unversioned[0].ref}); mount the routers under a versioned prefix such as /api/v1.",
                    "The API has no version prefix", app[0], app[1])]
    hits: dict[str, Hit] = {}
    for ep in unversioned:
        hits.setdefault(ep.path, Hit(
            "AD005", f"{ep.ref} is outside the versioned prefix that the other endpoints share; mount its "
            "router under the same /api/vN prefix (health, metrics and docs probes are exempt).",
            f"Unversioned endpoint {ep.path}", ep.file, ep.line, evidence=ep.ref))
    return list(hits.values())


def _is_create(ep: Endpoint, endpoints: list[Endpoint]) -> bool:
    segs = segments(ep.path)
    if ep.method != "POST" or not segs or is_param(segs[-1]) or segs[-1].lower() in AUTH_ACTIONS:
        return False
    if CREATE_HANDLER.match(function_name(ep)):
        return True
    base = ep.path.rstrip("/")
    return any((o.method == "GET" and o.path.rstrip("/") == base and returns_list(o))
               or (o.path.startswith(base + "/") and len(rest := segments(o.path)) > len(segs)
                   and is_param(rest[len(segs)]))
               for o in endpoints if o is not ep)


def status_codes(endpoints: list[Endpoint]) -> list[Hit]:
    """AD006 a create that does not answer 201 (or 202); AD007 a delete that answers other than 204/200/202."""
    hits = []
    for ep in endpoints:
        code = success_code(ep)
        if _is_create(ep, endpoints) and code not in (201, 202):
            hits.append(Hit("AD006", f"{ep.ref} creates a resource but answers {code}; answer 201 Created "
                            "(`status_code=201`) with a Location header, or 202 when the work completes later.",
                            f"Create answers {code}, not 201", ep.file, ep.line, evidence=ep.ref))
        if ep.method == "DELETE" and code not in (200, 202, 204):
            hits.append(Hit("AD007", f"{ep.ref} answers {code}; a delete answers 204 No Content "
                            "(`status_code=204`), or 200 with a body, or 202 when it completes later.",
                            f"Delete answers {code}", ep.file, ep.line, evidence=ep.ref))
    return hits


def collection_reads(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """GETs that read a collection: no path parameter at the end, not a probe."""
    return [e for e in endpoints if e.method == "GET" and not is_probe(e.path)
            and (segs := segments(e.path)) and not is_param(segs[-1])]
