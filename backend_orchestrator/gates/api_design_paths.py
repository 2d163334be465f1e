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
- actions (API-001): a segment whose last word names a process rather than a countable resource
  (:data:`ACTIONS`: ``/password-recovery/{email}``, ``/email-verification/{token}``,
  ``/oauth/callback/{provider}``, ``/status/{job_id}``) is not a collection, unless the parameter
  after it is named after it (``/status/{status_id}``, ``/export/{export_id}``: then it is one).
  Words for things that are counted (subscription, webhook, payment) are deliberately not on it.
- probes (API-026): health, readiness, metrics and docs paths, and the root (`/`, `/api/v1`), are
  exempt from naming and versioning.

House style. Where good APIs legitimately differ, an endpoint is judged against the project's own
majority convention (:func:`house_style`, measured over the non-probe endpoints the rules receive),
and every message names that convention and its share. A dimension has a house convention that
differs from the standard when at least :data:`HOUSE_MIN` cases are measured and at least
:data:`HOUSE_PERCENT` % of them follow one alternative (or at least half of them do, twice as many as
follow the standard: a camelCase public API beside a few snake_case UI routes); otherwise the
standard applies. The choice
the standard makes is never reported, even against a house that does otherwise, unless mixing the
two breaks the clients of that house (only the trailing slash does):

- trailing slash (AD004; measured per endpoint): standard none. A slash house reports a path
  *without* the slash (clients build URLs by the pattern, and frameworks redirect, which drops a
  POST body, or 404 the other spelling); paths ending in a file extension are left to the
  extension part, which is absolute (content negotiation, whatever the house).
- collection names (AD002; measured per distinct collection prefix): standard plural. A singular
  house reports nothing: a plural name in it is the standard and breaks no client.
- create status (AD006; measured per create, see :func:`creates`): standard 201 (or 202). A
  200 house accepts 200; 201 and 202 are never wrong (every client treats 2xx as success), and
  any other code (204 and the like) is reported in every house.
- segment case (AD003; measured per distinct multi-word segment, single words fit every style):
  standard lower kebab case. A snake_case or camelCase house accepts its style; kebab case is
  never reported; the other style, upper case and odd spellings are, with the house's spelling.
- verbs in paths (AD001; measured per endpoint: does any segment start with a verb): standard
  nouns. An RPC-style house (``POST /volumes/list``, ``/runs/get_plan``) accepts verbs: the HTTP
  method does not carry the action there, and renaming one endpoint to a noun would be the odd one.
- version prefix (AD005; measured per endpoint): standard versioned. An unversioned house gets
  one whole-API hit (its known debt, not a defect of each endpoint); so does an API with no
  versioned endpoint at all. Otherwise every unversioned endpoint is reported, naming the prefix
  most endpoints share; a versioned endpoint is never reported.

Identities (fingerprints): a prefix-level naming hit carries ``subject="path prefix /a/b"`` (not
the endpoint it is anchored at), AD004 ``subject="path /a/b/"``, the whole-API AD005 ``subject=
"API version prefix"``; per-endpoint AD005, AD006 and AD007 carry ``endpoint="METHOD /path"``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
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
# the last word of a segment that names a process, not a countable resource (see the module docstring)
ACTIONS = frozenset({
    "recovery", "reset", "verification", "confirmation", "activation", "registration", "login", "logout",
    "signup", "signin", "callback", "authorize", "authorization", "status", "health", "search", "export",
    "import", "upload", "download", "checkout", "preview", "refresh",
})
PROBE = re.compile(r"^(health|healthz|healthcheck|health-check|livez|readyz|live|liveness|ready|readiness|ping|"
                   r"metrics|docs|redoc|openapi(\.json|\.yaml)?|favicon\.ico)$")
VERSION = re.compile(r"^v\d+(\.\d+)?$")
LIST_MODEL = re.compile(r"^(typing\.|collections\.abc\.|t\.)?(list|List|Sequence|Iterable|set|Set|frozenset|tuple)\[")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
CAMEL = re.compile(r"^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$")
EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,4}$")
# the last segments of token/login endpoints: a POST there answers 200 by convention (RFC 6749 §5.1)
AUTH_ACTIONS = frozenset({"token", "login", "logout", "refresh", "signin", "signout"})
CREATE_HANDLER = re.compile(r"^(create|add|new|insert|register|place)(_|$)")

HOUSE_MIN = 5  # cases a dimension needs before the project's own convention can differ from the standard
HOUSE_PERCENT = 60  # the share of them one alternative needs

# the choices of each house-style dimension; the first is the standard
NO_SLASH, SLASH = "no trailing slash", "trailing slash"
PLURAL, SINGULAR = "plural", "singular"
CREATED, OK = "201", "200"
KEBAB_CASE, SNAKE_CASE, CAMEL_CASE = "kebab-case", "snake_case", "camelCase"
VERSIONED, UNVERSIONED = "versioned", "unversioned"
NOUNS, VERBS_IN_PATHS = "resource nouns", "verbs (RPC style)"


@dataclass(frozen=True)
class Hit:
    """One rule broken at one place: what the gate turns into a finding.

    ``endpoint`` ('METHOD /path') marks a hit about an endpoint as a whole, ``subject`` one about
    something that is not a place in the code; both give the finding a fingerprint of its own."""

    rule: str
    message: str
    title: str
    path: str | None
    line: int | None
    evidence: str | None = None
    endpoint: str | None = None
    subject: str | None = None

    def key(self) -> tuple[str, int, str, str]:
        return (self.path or "", self.line or 0, self.rule, self.message)


@dataclass(frozen=True)
class Convention:
    """How the project answers one style question: ``counts`` holds (choice, cases) with the standard
    first; ``measured`` counts every case, including those that take none of the choices."""

    what: str  # what was counted, plural: "endpoints", "creates", ...
    counts: tuple[tuple[str, int], ...]
    measured: int

    @property
    def standard(self) -> str:
        return self.counts[0][0]

    @property
    def house(self) -> str:
        """The alternative the project clearly follows instead of the standard, else the standard."""
        if self.measured >= HOUSE_MIN:
            for choice, n in self.counts[1:]:
                if 100 * n >= HOUSE_PERCENT * self.measured or (2 * n >= self.measured and n >= 2 * self.counts[0][1]):
                    return choice
        return self.standard

    @property
    def differs(self) -> bool:
        return self.house != self.standard

    def count(self, choice: str) -> int:
        return dict(self.counts).get(choice, 0)

    def percent(self, choice: str) -> int:
        """The share of the measured cases that take ``choice``, rounded down (never claims 60 % at 59.7)."""
        return 100 * self.count(choice) // self.measured if self.measured else 0

    def share(self, choice: str) -> str:
        """``14 of 15, 93 %``."""
        return f"{self.count(choice)} of {self.measured}, {self.percent(choice)} %"

    def tally(self, choice: str) -> str:
        """``38 of 40 endpoints (95 %)``."""
        return f"{self.count(choice)} of {self.measured} {self.what} ({self.percent(choice)} %)"

    @classmethod
    def of(cls, what: str, standard: str, alternatives: Iterable[str], cases: Iterable[str]) -> Convention:
        tally = Counter(cases)
        others = sorted(alternatives, key=lambda c: -tally[c])
        return cls(what, tuple((c, tally[c]) for c in (standard, *others)), sum(tally.values()))


@dataclass(frozen=True)
class HouseStyle:
    """The project's conventions on the five questions good APIs answer differently."""

    slash: Convention  # no trailing slash (standard) | trailing slash
    plural: Convention  # plural | singular collection names
    create: Convention  # 201 (or 202) | 200 on creates
    case: Convention  # kebab-case | snake_case | camelCase, multi-word segments
    version: Convention  # versioned | unversioned
    verbs: Convention  # resource nouns | verbs in paths (an RPC-style API: /volumes/list, /runs/get_plan)
    version_prefix: str | None = None  # the prefix most versioned endpoints share (/api/v1)


def segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def is_param(segment: str) -> bool:
    return segment.startswith(("{", "<")) and segment.endswith(("}", ">"))


def param_name(segment: str) -> str:
    """``{order_id}``, ``{order_id:int}``, ``<int:order_id>`` -> order_id."""
    inner = segment[1:-1]
    return inner.partition(":")[0] if segment.startswith("{") else inner.rpartition(":")[2]


def words(segment: str) -> list[str]:
    """`getWidgetCount` -> get, widget, count; `order_items` -> order, items."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", segment)
    return [w.lower() for w in re.split(r"[-_.\s]+", spaced) if w]


def segment_case(segment: str) -> str:
    """kebab-case (single lower-case words too), snake_case, camelCase, else upper case or an unusual spelling."""
    if KEBAB.match(segment):
        return KEBAB_CASE
    if SNAKE.match(segment):
        return SNAKE_CASE
    if CAMEL.match(segment):
        return CAMEL_CASE
    return "upper case" if segment != segment.lower() else "an unusual spelling"


def spelled(parts: list[str], case: str) -> str:
    """The words of a segment written in ``case`` (kebab-case unless snake_case or camelCase)."""
    if case == SNAKE_CASE:
        return "_".join(parts)
    if case == CAMEL_CASE:
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    return "-".join(parts)


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


@dataclass(frozen=True)
class _Segment:
    """A named (not parameter, not version, not `api`) segment of an endpoint's path."""

    text: str
    bare: str  # without a file extension
    parts: list[str]  # its words (of `bare` for the last segment)
    prefix: str  # the path up to and including it
    collection: bool  # a collection that AD002 judges


def _names_items_of(param: str, word: str) -> bool:
    """Whether a path parameter is the id of a ``word``: ``{status_id}``, ``<int:export_id>``, ``{exportId}``."""
    name = words(param_name(param))
    return len(name) >= 2 and name[-1] == "id" and name[-2] == word


def _named_segments(ep: Endpoint) -> Iterator[_Segment]:
    segs = segments(ep.path)
    for i, seg in enumerate(segs):
        if is_param(seg) or "{" in seg or seg == "api" or VERSION.match(seg):
            continue
        last = i == len(segs) - 1
        bare = EXTENSION.sub("", seg)
        parts = words(bare) if last else words(seg)
        following = None if last else segs[i + 1]
        by_id = following is not None and is_param(following)
        collection = (by_id or (last and ep.method == "GET" and returns_list(ep))) and bool(parts) \
            and parts[0] not in VERBS and seg.lower() not in NOT_COLLECTIONS
        if collection and parts[-1] in ACTIONS:  # a process, unless its parameter names items of it
            collection = following is not None and by_id and _names_items_of(following, parts[-1])
        yield _Segment(seg, bare, parts, "/" + "/".join(segs[: i + 1]), collection)


def _version_prefix(ep: Endpoint) -> str | None:
    segs = segments(ep.path)
    at = next((i for i, s in enumerate(segs) if VERSION.match(s)), None)
    return None if at is None else "/" + "/".join(segs[: at + 1])


def house_style(endpoints: list[Endpoint]) -> HouseStyle:
    """The project's conventions, measured over its non-probe endpoints (see the module docstring).

    :func:`naming`, :func:`versioning` and :func:`status_codes` measure it themselves from the endpoints
    they receive; a caller running all three may measure it once and pass it as ``style``."""
    api = [e for e in endpoints if not is_probe(e.path)]
    plural: dict[str, str] = {}
    case: dict[str, str] = {}
    for ep in api:
        for seg in _named_segments(ep):
            if seg.collection:
                plural[seg.prefix] = PLURAL if _plural(seg.parts[-1]) else SINGULAR
            if len(seg.parts) > 1:
                case[seg.prefix] = segment_case(seg.bare)
    codes = [success_code(e) for e in creates(endpoints) if not is_probe(e.path)]
    verbed = [VERBS_IN_PATHS if any(s.parts and s.parts[0] in VERBS for s in _named_segments(e)) else NOUNS
              for e in api]
    prefixes = Counter(p for e in api if (p := _version_prefix(e)))
    return HouseStyle(
        slash=Convention.of("endpoints", NO_SLASH, [SLASH], (SLASH if e.path.endswith("/") else NO_SLASH for e in api)),
        plural=Convention.of("collection names", PLURAL, [SINGULAR], plural.values()),
        create=Convention.of("creates", CREATED, [OK], (CREATED if c in (201, 202) else OK if c == 200 else str(c)
                                                        for c in codes)),
        case=Convention.of("multi-word path segments", KEBAB_CASE, [SNAKE_CASE, CAMEL_CASE], case.values()),
        version=Convention.of("endpoints", VERSIONED, [UNVERSIONED],
                              (VERSIONED if is_versioned(e) else UNVERSIONED for e in api)),
        verbs=Convention.of("endpoints", NOUNS, [VERBS_IN_PATHS], verbed),
        version_prefix=min(prefixes, key=lambda p: (-prefixes[p], p)) if prefixes else None)


def naming(endpoints: list[Endpoint], style: HouseStyle | None = None) -> list[Hit]:
    """AD001 verbs, AD002 singular collections, AD003 case, AD004 trailing slash or file extension.

    One hit per offending path prefix (anchored at its first handler), not one per method; AD002,
    AD003 and AD004's slash follow the house style."""
    style = style or house_style(endpoints)
    seen: dict[tuple[str, str], Hit] = {}

    def add(rule: str, prefix: str, endpoint: Endpoint, message: str, title: str, subject: str) -> None:
        key = (rule, prefix)
        path, line = _where(endpoint)
        hit = Hit(rule, message, title, path, line, evidence=endpoint.ref, subject=subject)
        if key not in seen or hit.key() < seen[key].key():
            seen[key] = hit

    slash, plural, case, verbs = style.slash, style.plural, style.case, style.verbs
    for ep in sorted(endpoints, key=lambda e: (e.file, e.line, e.method)):
        if is_probe(ep.path):
            continue
        segs = segments(ep.path)
        extension = bool(segs and EXTENSION.search(segs[-1]))
        where = f"path {ep.path}"
        if ep.path.endswith("/") and slash.house == NO_SLASH:
            add("AD004", ep.path, ep, f"{ep.ref} ends with a slash; {slash.tally(NO_SLASH)} of this project do "
                f"not. Serve one canonical path without it ({ep.path.rstrip('/')}) so caches, rate limits and docs "
                "agree.", f"Trailing slash in {ep.path}", where)
        elif not ep.path.endswith("/") and slash.house == SLASH and not extension:
            add("AD004", ep.path, ep, f"{ep.ref} does not end with a slash, but this project's paths do "
                f"({slash.share(SLASH)}); serve {ep.path}/ to follow the house style (or drop the slash from all "
                "of them together): clients build URLs by the pattern, and the other spelling is redirected, "
                "which loses a POST body, or not found.", f"No trailing slash in {ep.path}", where)
        if extension:
            bare = EXTENSION.sub("", ep.path)
            add("AD004", ep.path, ep, f"{ep.ref} carries a file extension; serve {bare} and choose the format "
                "with the Accept header (content negotiation).", f"File extension in {ep.path}", where)
        for seg in _named_segments(ep):
            subject = f"path prefix {seg.prefix}"
            if seg.parts and seg.parts[0] in VERBS and verbs.house == NOUNS:
                add("AD001", seg.prefix, ep, f"Path segment {seg.text!r} of {ep.ref} is a verb; name the resource "
                    "with a noun and let the HTTP method say the action (GET /orders, not /getOrders; "
                    "POST /orders/{order_id}/cancellation, not /cancel)"
                    + (f"; {verbs.tally(NOUNS)} of this project use nouns." if verbs.measured else "."),
                    f"Verb in path {seg.prefix}", subject)
            spelling = segment_case(seg.bare)
            if spelling not in (KEBAB_CASE, case.house):
                title = f"{spelling} segment in {seg.prefix}"
                if case.differs:
                    add("AD003", seg.prefix, ep, f"Path segment {seg.text!r} of {ep.ref} is {spelling}, but this "
                        f"project's multi-word path segments are {case.house} ({case.share(case.house)}); write "
                        f"{spelled(seg.parts, case.house)!r} to follow the house style (or lower kebab case, "
                        f"{spelled(seg.parts, KEBAB_CASE)!r}, the standard).", title, subject)
                else:
                    like = f", as {case.tally(KEBAB_CASE)} of this project are" if case.measured else ""
                    add("AD003", seg.prefix, ep, f"Path segment {seg.text!r} of {ep.ref} is {spelling}; write path "
                        f"segments in lower kebab case ({spelled(seg.parts, KEBAB_CASE)!r}){like}.", title, subject)
            if seg.collection and not _plural(seg.parts[-1]) and plural.house == PLURAL:
                add("AD002", seg.prefix, ep, f"Collection segment {seg.text!r} of {ep.ref} is singular; name "
                    f"collections with plural nouns ({'-'.join([*seg.parts[:-1], seg.parts[-1] + 's'])!r}, or the "
                    f"right plural) and items by id under them; {plural.tally(PLURAL)} of this project are "
                    "plural.", f"Singular collection name in {seg.prefix}", subject)
    return list(seen.values())


def versioning(endpoints: list[Endpoint], app: tuple[str | None, int | None],
               style: HouseStyle | None = None) -> list[Hit]:
    """AD005: one hit for the whole API when it has no version prefix as its house style (or at all);
    otherwise one per endpoint outside the version prefix (probes exempt)."""
    style = style or house_style(endpoints)
    version = style.version
    unversioned = sorted((e for e in endpoints if not is_probe(e.path) and not is_versioned(e)),
                         key=lambda e: (e.file, e.line, e.method))
    if not unversioned:
        return []
    if version.house == UNVERSIONED or not version.count(VERSIONED):
        house = (" That is this project's house style, so its endpoints are not reported one by one: this "
                 "finding stands for the API as a whole.") if version.differs else ""
        return [Hit("AD005", f"{version.tally(UNVERSIONED)} have no version prefix (e.g. {unversioned[0].ref}); "
                    f"mount the routers under a versioned prefix such as /api/v1.{house}",
                    "The API has no version prefix", app[0], app[1], subject="API version prefix")]
    prefix = style.version_prefix or "/api/vN"
    return [Hit("AD005", f"{ep.ref} is outside the version prefix {prefix} that {version.tally(VERSIONED)} of "
                "this project share; mount its router under it (health, metrics and docs probes are exempt).",
                f"Unversioned endpoint {ep.path}", ep.file, ep.line, evidence=ep.ref, endpoint=ep.ref)
            for ep in unversioned]


def creates(endpoints: list[Endpoint]) -> list[Endpoint]:
    """The POSTs that create a resource: the handler is named so (create_, add_, place_, ...), or the POST
    goes to a collection (a list GET on the same path, or items by id under it); not token/login endpoints."""
    list_reads = {o.path.rstrip("/") for o in endpoints if o.method == "GET" and returns_list(o)}
    item_parents = {"/" + "/".join(segs[:i]) for segs in (segments(o.path) for o in endpoints)
                    for i, seg in enumerate(segs) if i and is_param(seg)}
    found = []
    for ep in endpoints:
        segs = segments(ep.path)
        if ep.method != "POST" or not segs or is_param(segs[-1]) or segs[-1].lower() in AUTH_ACTIONS:
            continue
        if CREATE_HANDLER.match(function_name(ep)) or ep.path.rstrip("/") in list_reads \
                or "/" + "/".join(segs) in item_parents:
            found.append(ep)
    return found


def status_codes(endpoints: list[Endpoint], style: HouseStyle | None = None) -> list[Hit]:
    """AD006 a create that does not answer 201 or 202 (or 200, in a house whose creates answer 200);
    AD007 a delete that answers other than 204/200/202."""
    create = (style or house_style(endpoints)).create
    made = {id(e) for e in creates(endpoints)}
    hits = []
    for ep in endpoints:
        code = success_code(ep)
        if id(ep) in made and code not in (201, 202) and not (code == 200 and create.house == OK):
            if create.differs:
                message = (f"{ep.ref} creates a resource but answers {code}, while this project's creates answer "
                           f"200 ({create.share(OK)}); answer 200 like them, or 201 Created (the standard).")
            else:
                message = (f"{ep.ref} creates a resource but answers {code}; answer 201 Created (`status_code=201`) "
                           "with a Location header, or 202 when the work completes later, as "
                           f"{create.tally(CREATED)} of this project do.")
            hits.append(Hit("AD006", message, f"Create answers {code}, not 201", ep.file, ep.line,
                            evidence=ep.ref, endpoint=ep.ref))
        if ep.method == "DELETE" and code not in (200, 202, 204):
            hits.append(Hit("AD007", f"{ep.ref} answers {code}; a delete answers 204 No Content "
                            "(`status_code=204`), or 200 with a body, or 202 when it completes later.",
                            f"Delete answers {code}", ep.file, ep.line, evidence=ep.ref, endpoint=ep.ref))
    return hits


def collection_reads(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """GETs that read a collection: no path parameter at the end, not a probe."""
    return [e for e in endpoints if e.method == "GET" and not is_probe(e.path)
            and (segs := segments(e.path)) and not is_param(segs[-1])]
