"""Memoized schema walks: each base/revision schema pair is compared once and replayed where it is reused.

A document's components refer to each other: one schema is reached from many operations, from many places
in one body, and sometimes from itself. Walking every path would be exponential, so:

* What comparing a pair yields is **recorded** relative to where the walk entered it — its own changes
  (:class:`Emission`), the memoized subschema pairs it reached (:class:`Subschema`), and the walks folded into
  it (:class:`Inline`) — and **replayed** wherever the pair is reached again, in the same structure a fresh
  walk would follow (a replay stops at a pair being compared further up, like a fresh walk does).
* Within one top-level schema (a request body, a response, a parameter) each pair is **reported once**, at
  the first path that reaches it.
* A **recursive** schema stops where it meets itself. A walk whose recursion went back to one of its
  ancestors is not replayable on its own; it is folded into that ancestor's recording (:class:`Inline`).
* Pairs below which nothing changed are remembered as **silent** and skipped.
* Nesting deeper than :data:`MAX_DEPTH` is not compared (one warning per top-level schema), which also keeps
  the walk clear of Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Site

MAX_DEPTH = 64
MemoKey = tuple[Any, ...]  # starts with the ids of the base and revision schema (the pair)
Pair = tuple[int, int]


@dataclass(frozen=True)
class Emission:
    """A change, relative to the schema whose recording holds it; ``function(differ, site, *args)`` emits it."""

    function: Callable[..., None]
    args: tuple[Any, ...]
    path: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True)
class Subschema:
    """A memoized subschema pair reached here: its recording applies at this relative place."""

    key: MemoKey
    path: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True)
class Inline:
    """A subschema walk that recursed into an ancestor, folded into that ancestor's recording."""

    key: MemoKey
    items: tuple[Emission | Subschema | Inline, ...]
    path: tuple[str, ...] = ()
    location: str = ""


Item = Emission | Subschema | Inline
_NO_CUT = 1 << 30


class SchemaWalks:
    """The walk state of a :class:`~.engine.Differ`."""

    memoize = True  # False: walk every top-level schema afresh (the tests compare both ways)

    def __init__(self) -> None:
        self.memo: dict[MemoKey, tuple[Item, ...]] = {}  # pairs below which something changed
        self._silent: set[MemoKey] = set()  # pairs below which nothing changed
        # Within one top-level schema: the pairs reached so far; for each walk a recursion left incomplete, the
        # ancestor pair it went back to and its items; the pairs being walked, outermost first; the shallowest depth a
        # recursion inside the current walk went back to; whether the depth warning was given.
        self._seen: set[MemoKey] = set()
        self._partial: dict[MemoKey, tuple[Pair | None, tuple[Item, ...]]] = {}
        self._stack: list[Pair] = []
        self._depth: dict[Pair, int] = {}
        self._cut = _NO_CUT
        self._too_deep = False
        self._recorders: list[tuple[Site, list[Item]]] = []
        self._replaying = 0

    def emit(self, rule_id: str, message: str, *, operation: str | None, location: str,
             base_pointer: str | None = None, revision_pointer: str | None = None) -> None:
        raise NotImplementedError  # pragma: no cover - the Differ's

    def count_schema_pair(self) -> None:
        raise NotImplementedError  # pragma: no cover - the Differ's

    def walk(self, site: Site, key: MemoKey, run: Callable[[], None]) -> None:
        """Compare the schema pair ``key`` identifies, at ``site``, by calling ``run`` — or replay it, or skip it
        (see the module docstring)."""
        if not self._stack and not self._recorders:  # a new top-level schema
            self._seen, self._partial, self._cut, self._too_deep = set(), {}, _NO_CUT, False
        pair: Pair = (key[0], key[1])
        if pair in self._depth:  # recursion: the walk of that pair covers what follows
            self._cut = min(self._cut, self._depth[pair])
            return
        if self._deep(site) or key in self._silent:
            return
        if key in self._seen:  # reported already in this top-level schema, at an earlier path
            if key in self.memo:
                self._append(site, Subschema(key))
            elif key in self._partial:  # a walk folded into an ancestor: refer to its (shared) items
                target, items = self._partial[key]
                self._append(site, Inline(key, items))
                self._cut = min(self._cut, self._depth.get(target, -1) if target else -1)
            else:  # walking without memoization
                self._cut = -1
            return
        if key in self.memo:
            self._append(site, Subschema(key))
            self._replay_pair(site, key, self.memo[key])
            return
        self._seen.add(key)
        depth = len(self._stack)
        outer_cut, self._cut = self._cut, _NO_CUT
        self._push(pair)
        recording: list[Item] = []
        self._recorders.append((site, recording))
        try:
            run()
        finally:
            self._recorders.pop()
            self._pop(pair)
        if not self.memoize:
            self._cut = min(outer_cut, self._cut)
        elif self._cut >= depth:  # every recursion it met closes inside it: replayable anywhere
            if recording:
                self.memo[key] = tuple(recording)
                self._append(site, Subschema(key))
            else:
                self._silent.add(key)
            self._cut = outer_cut
        else:
            items = tuple(recording)
            self._partial[key] = (self._stack[self._cut] if self._cut >= 0 else None, items)
            self._append(site, Inline(key, items))
            self._cut = min(outer_cut, self._cut)

    def record(self, site: Site, function: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Note that ``function(self, site, *args)`` emitted a change, in the recording in progress."""
        self._append(site, Emission(function, args))

    def _append(self, site: Site, item: Item) -> None:
        if not self._recorders or self._replaying:
            return
        entry, recording = self._recorders[-1]
        recording.append(replace(item, path=site.path[len(entry.path):], location=site.location[len(entry.location):]))

    def _deep(self, site: Site) -> bool:
        if len(self._stack) < MAX_DEPTH:
            return False
        self._cut = -1  # nothing above is complete
        if not self._too_deep:
            self._too_deep = True
            self.emit("schema-depth-limit-reached", f"schemas nest deeper than {MAX_DEPTH} levels here; what is "
                      "below was not compared", operation=site.operation, location=site.location)
        return True

    def _push(self, pair: Pair) -> None:
        self._depth[pair] = len(self._stack)
        self._stack.append(pair)

    def _pop(self, pair: Pair) -> None:
        self._stack.pop()
        del self._depth[pair]

    def _replay_pair(self, site: Site, key: MemoKey, items: tuple[Item, ...]) -> None:
        pair: Pair = (key[0], key[1])
        if pair in self._depth or key in self._seen or self._deep(site):
            return
        self._seen.add(key)
        self._push(pair)
        self._replaying += 1
        try:
            for item in items:
                at = site.extend(item.path, item.location)
                if isinstance(item, Emission):
                    self.count_schema_pair()
                    item.function(self, at, *item.args)
                elif isinstance(item, Subschema):
                    self._replay_pair(at, item.key, self.memo[item.key])
                else:
                    self._replay_pair(at, item.key, item.items)
        finally:
            self._replaying -= 1
            self._pop(pair)
