"""The registry graph and the relevance walk over it.

Nodes are ``endpoint:GET /path``, ``model:Name``, ``service:name``, ``file:rel/path.py`` and
``test:tests/x.py``. Edges, each with a cost (1 = one hop):

    endpoint → its request/response models, the model behind its resource, its handler file, the
               tests that send requests to it, the services its handler module uses (1);
               the other endpoints of its resource (2)
    model    → the models it references or is referenced by (foreign keys, relationships) (1);
               the file defining it, the endpoints serving it (2)
    service  → the file defining it (2)

The walk is a shortest-path search from what the task names (cost 0) and, more weakly, from the
registry names its words mention (cost 1.5). Its output is every reachable node with its cost, hop
count and the reason of its first edge, in a deterministic order: cost, then key.
"""

from __future__ import annotations

import heapq
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

from ..contracts.registry import Endpoint, EndpointRegistry, Model, ModelRegistry, Service, ServiceRegistry
from .tests_index import TestIndex

_SCHEMA_SUFFIX = re.compile(r"(Create|Update|Read|Out|In|Response|Request|Public|Detail|List|Page|Schema)$")
_WORD = re.compile(r"[a-z][a-z0-9_]+")
WORD_SEED_COST = 1.5
MAX_COST = 3.0  # beyond this nothing is ranked: the rest of the API is background, ordered by name
T = TypeVar("T")


def resource(path: str) -> str:
    """The first path segment that names a resource: ``/api/v1/orders/{id}/items`` → ``orders``."""
    for part in path.split("/"):
        if part and not part.startswith("{") and part != "api" and not re.fullmatch(r"v\d+", part):
            return part
    return ""


def _singular(word: str) -> str:
    return word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word


@dataclass(frozen=True)
class Ranked:
    key: str
    cost: float
    hops: int
    reason: str


@dataclass
class Graph:
    endpoints: dict[str, Endpoint]
    models: dict[str, Model]
    services: dict[str, Service]
    tests: TestIndex
    edges: dict[str, list[tuple[str, float, str]]] = field(default_factory=dict)
    by_table: dict[str, str] = field(default_factory=dict)
    by_resource: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, list[str]] = field(default_factory=dict)  # a word of the task → nodes it names
    derived: dict[str, object] = field(default_factory=dict)  # see memo()

    def add(self, src: str, dst: str, cost: float, reason: str) -> None:
        if src != dst:
            self.edges.setdefault(src, []).append((dst, cost, reason))

    def model_key(self, name: str) -> str | None:
        """``model:Name`` for a model name or a table name, or None."""
        if name in self.models:
            return f"model:{name}"
        if name in self.by_table:
            return f"model:{self.by_table[name]}"
        return None

    def walk(self, seeds: Iterable[tuple[str, float, str]], max_cost: float = MAX_COST) -> list[Ranked]:
        """Every node within ``max_cost`` of a seed, cheapest first (ties by key)."""
        best: dict[str, Ranked] = {}
        # (cost, hops, key, reason, the node it came from): the reason is formatted only when kept
        queue: list[tuple[float, int, str, str, str]] = []
        for key, cost, reason in seeds:
            heapq.heappush(queue, (cost, 0, key, reason, ""))
        while queue:
            cost, hops, key, reason, source = heapq.heappop(queue)
            if key in best:
                continue
            best[key] = Ranked(key, cost, hops, f"{reason} {_label(source)}" if source else reason)
            for dst, step, why in self.edges.get(key, ()):
                if dst not in best and cost + step <= max_cost:
                    heapq.heappush(queue, (cost + step, hops + 1, dst, why, key))
        return sorted(best.values(), key=lambda r: (r.cost, r.key))

    def memo(self, name: str, make: Callable[[], T]) -> T:
        """A value derived from the graph alone, computed once per graph."""
        if name not in self.derived:
            self.derived[name] = make()
        return cast(T, self.derived[name])


def _label(key: str) -> str:
    return key.split(":", 1)[1]


def _models_named(schema: str | None, models: dict[str, Model]) -> list[str]:
    if not schema:
        return []
    found: list[str] = []
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        for name in (word, _SCHEMA_SUFFIX.sub("", word)):
            if name in models and name not in found:
                found.append(name)
    return found


def build(root: Path, endpoints: EndpointRegistry, models: ModelRegistry, services: ServiceRegistry,
          tests_dir: str) -> Graph:
    g = Graph(endpoints={e.ref: e for e in endpoints.endpoints}, models={m.name: m for m in models.models},
              services={s.name: s for s in services.services}, tests=TestIndex(root, tests_dir))
    g.by_table = {m.table: m.name for m in models.models}
    by_module: dict[str, list[str]] = {}
    for s in services.services:
        for module in {*s.used_by, s.module}:
            by_module.setdefault(module, []).append(s.name)
        g.add(f"service:{s.name}", f"file:{s.file}", 2, "defines service")
    for m in models.models:
        key = f"model:{m.name}"
        g.add(key, f"file:{m.file}", 2, "defines model")
        linked = {g.by_table.get((c.foreign_key or "").split(".")[0]) for c in m.columns}
        linked |= {r.target for r in m.relations if r.target in g.models}
        for other in sorted(n for n in linked if n):
            g.add(key, f"model:{other}", 1, "linked by a foreign key or relationship to")
            g.add(f"model:{other}", key, 1, "linked by a foreign key or relationship to")
        for word in {m.name.lower(), m.table.lower(), _singular(m.table.lower())}:
            g.words.setdefault(word, []).append(key)
    for e in endpoints.endpoints:
        key = f"endpoint:{e.ref}"
        res = resource(e.path)
        g.by_resource.setdefault(res, []).append(e.ref)
        behind = _models_named(e.request_model, g.models) + _models_named(e.response_model, g.models)
        table_model = g.by_table.get(res) or g.by_table.get(_singular(res))
        if table_model and table_model not in behind:
            behind.append(table_model)
        for name in behind:
            g.add(key, f"model:{name}", 1, "model behind")
            g.add(f"model:{name}", key, 2, "serves model")
        g.add(key, f"file:{e.file}", 1, "handler of")
        for test in g.tests.tests_for(e):
            g.add(key, f"test:{test}", 1, "sends requests to")
        module = e.handler.split(":", 1)[0]
        for name in by_module.get(module, ()):
            g.add(key, f"service:{name}", 1, "used by the handler module of")
        if res:
            for word in {res.lower(), _singular(res.lower())}:
                g.words.setdefault(word, []).append(key)
    for refs in g.by_resource.values():
        if len(refs) <= 12:  # a resource this big is a whole API; its siblings are not "near"
            for a in refs:
                for b in refs:
                    g.add(f"endpoint:{a}", f"endpoint:{b}", 2, "same resource as")
    return g


# root -> (the registry objects and test-file signature it was built from, the graph). The objects are
# held, not their ids, so a freed registry's id cannot be mistaken for a live one.
_cache: dict[str, tuple[tuple[object, ...], tuple[object, ...], Graph]] = {}
_lock = threading.Lock()


def graph_for(root: Path, endpoints: EndpointRegistry, models: ModelRegistry, services: ServiceRegistry,
              tests_dir: str) -> Graph:
    """The graph of these registries, rebuilt only when a registry object or a test file changed."""
    folder = root / tests_dir
    signature: list[object] = [tests_dir]
    if folder.is_dir():
        for path in sorted(folder.rglob("*.py")):
            st = path.stat()
            signature.append((path.as_posix(), st.st_mtime_ns, st.st_size))
    objects = (endpoints, models, services)
    with _lock:
        cached = _cache.get(str(root))
    if cached and all(a is b for a, b in zip(cached[0], objects, strict=True)) and cached[1] == tuple(signature):
        return cached[2]
    graph = build(root, endpoints, models, services, tests_dir)
    with _lock:
        _cache[str(root)] = (objects, tuple(signature), graph)
    return graph


def seeds(graph: Graph, endpoint_refs: list[str], model_names: list[str], text: str) -> list[tuple[str, float, str]]:
    """Start nodes: what the task names (cost 0), then registry names its words mention."""
    out: list[tuple[str, float, str]] = []
    for ref in endpoint_refs:
        if ref in graph.endpoints:
            out.append((f"endpoint:{ref}", 0.0, "named by the task"))
    for name in model_names:
        key = graph.model_key(name)
        if key:
            out.append((key, 0.0, "named by the task"))
    for word in sorted(set(_WORD.findall(text.lower()))):
        for key in graph.words.get(word, ()):
            out.append((key, WORD_SEED_COST, f"the task mentions '{word}'"))
    return out
