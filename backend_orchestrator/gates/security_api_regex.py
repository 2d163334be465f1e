"""Whether a regular expression can backtrack catastrophically (ReDoS), read from its parsed form.

A repeat is dangerous when its body can match the same text in more than one way, so that a failing
match tries every split of the input: an inner repeat with nothing that separates its iterations
(`(a+)+`, `(\\w+\\s?)*`, `(.*a){3,}`), or alternatives that can start with the same character
(`(\\d|[0-5]x)*`; the parser already factors common prefixes, `(ab|ac)` into `a[bc]`). A body is
separated when it must contain a character the inner repeats cannot match (`([a-z]+\\.)+`,
`([^,]+,)*` are linear). Characters are compared over a sample alphabet (ASCII and a few others).
The pattern is parsed with CPython's own parser (`re._parser`), so what counts as a group, a class
or a repeat is exactly what `re` compiles.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache
from typing import Any

_ALPHABET = frozenset(chr(c) for c in range(128)) | frozenset("\u00e9\u00a0\u0663\u2028\u4e2d")
_CATEGORIES = {
    "CATEGORY_DIGIT": frozenset(c for c in _ALPHABET if c.isdecimal()),
    "CATEGORY_SPACE": frozenset(c for c in _ALPHABET if c.isspace()),
    "CATEGORY_WORD": frozenset(c for c in _ALPHABET if c.isalnum() or c == "_"),
    "CATEGORY_LINEBREAK": frozenset("\n"),
}
_CATEGORIES.update({f"CATEGORY_NOT_{k.removeprefix('CATEGORY_')}": _ALPHABET - v for k, v in list(_CATEGORIES.items())})
_INNER_MANY = 16  # an inner repeat that can take more than this many steps counts as unbounded
_OUTER_MANY = 3  # an outer repeat of at least this many iterations multiplies the ways to split the input


@cache
def _parser() -> Any:
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - CPython < 3.11 or another implementation
        return None


@cache
def redos_risk(pattern: str) -> str | None:
    """What makes `pattern` backtrack catastrophically (a repeat over a body that can match the same text in
    more than one way: `(a+)+`, `(\\w+\\s?)*`, `(.*a){3,}`, `(a|a)*`), or None when it looks linear."""
    parser = _parser()
    if parser is None:
        return None
    try:
        parsed = parser.parse(pattern)
    except Exception:  # not a valid pattern (or one written for another engine): nothing to judge
        return None
    return _risky(list(parsed))


def _op(item: tuple[Any, Any]) -> str:
    return str(item[0])


def _risky(items: list[tuple[Any, Any]]) -> str | None:
    for item in items:
        op, av = _op(item), item[1]
        if op in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, body = av
            inner = list(body)
            if high >= _OUTER_MANY and _ambiguous(_flatten(inner), high > _INNER_MANY):
                return f"repeat `{_quantifier(low, high)}` wraps a body that can match the same text in several ways"
            found = _risky(inner)
        elif op == "SUBPATTERN":
            found = _risky(list(av[3]))
        elif op == "BRANCH":
            found = next((r for alt in av[1] if (r := _risky(list(alt))) is not None), None)
        elif op in ("ASSERT", "ASSERT_NOT"):
            found = _risky(list(av[1]))
        else:
            found = None
        if found is not None:
            return found
    return None


def _quantifier(low: int, high: int) -> str:
    if high < _parser().MAXREPEAT:
        return f"{{{low},{high}}}"
    return {0: "*", 1: "+"}.get(low, f"{{{low},}}")


def _flatten(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """A body that is one group: the group's items."""
    while len(items) == 1 and _op(items[0]) == "SUBPATTERN":
        items = list(items[0][1][3])
    return items


def _ambiguous(body: list[tuple[Any, Any]], unbounded_outer: bool) -> bool:
    repeats = _unbounded(body)
    if not repeats:
        if unbounded_outer and len(body) == 1 and _op(body[0]) == "BRANCH":
            firsts = [_first(list(alt)) for alt in body[0][1][1]]
            return any(a & b for i, a in enumerate(firsts) for b in firsts[i + 1:])
        return False
    inside = frozenset().union(*repeats)
    return not any(chars is not None and not chars & inside for chars in _mandatory(body))


def _unbounded(items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
    """The characters of every repeat in `items` that can take many steps (groups and branches entered)."""
    out: list[frozenset[str]] = []
    for item in items:
        op, av = _op(item), item[1]
        if op in ("MAX_REPEAT", "MIN_REPEAT"):
            if av[1] > _INNER_MANY:
                out.append(_all(list(av[2])))
            else:
                out.extend(_unbounded(list(av[2])))
        elif op == "SUBPATTERN":
            out.extend(_unbounded(list(av[3])))
        elif op == "BRANCH":
            for alt in av[1]:
                out.extend(_unbounded(list(alt)))
    return out


def _mandatory(items: list[tuple[Any, Any]]) -> Iterator[frozenset[str] | None]:
    """The character sets of the single characters every match of `items` must contain."""
    for item in items:
        op, av = _op(item), item[1]
        chars = _single(op, av)
        if chars is not None:
            yield chars
        elif op in ("MAX_REPEAT", "MIN_REPEAT") and av[0] >= 1:
            yield from _mandatory(list(av[2]))
        elif op == "SUBPATTERN":
            yield from _mandatory(list(av[3]))


def _single(op: str, av: Any) -> frozenset[str] | None:
    """The characters a one-character item matches (over a sample alphabet), or None."""
    if op == "LITERAL":
        return frozenset({chr(av)})
    if op == "NOT_LITERAL":
        return _ALPHABET - {chr(av)}
    if op == "ANY":
        return _ALPHABET - {"\n"}
    if op == "CATEGORY":
        return _CATEGORIES.get(str(av), _ALPHABET)
    if op == "IN":
        negate, chars = False, set()
        for inner_op, inner_av in av:
            kind = str(inner_op)
            if kind == "NEGATE":
                negate = True
            elif kind == "LITERAL":
                chars.add(chr(inner_av))
            elif kind == "RANGE":
                chars |= {c for c in _ALPHABET if inner_av[0] <= ord(c) <= inner_av[1]}
            elif kind == "CATEGORY":
                chars |= _CATEGORIES.get(str(inner_av), _ALPHABET)
        return _ALPHABET - chars if negate else frozenset(chars)
    return None


def _all(items: list[tuple[Any, Any]]) -> frozenset[str]:
    out: set[str] = set()
    for item in items:
        op, av = _op(item), item[1]
        chars = _single(op, av)
        if chars is not None:
            out |= chars
        elif op in ("MAX_REPEAT", "MIN_REPEAT"):
            out |= _all(list(av[2]))
        elif op == "SUBPATTERN":
            out |= _all(list(av[3]))
        elif op == "BRANCH":
            for alt in av[1]:
                out |= _all(list(alt))
        elif op in ("GROUPREF", "GROUPREF_EXISTS"):
            out |= _ALPHABET
    return frozenset(out)


def _first(items: list[tuple[Any, Any]]) -> frozenset[str]:
    """The characters a match of `items` can start with (approximately)."""
    out: set[str] = set()
    for item in items:
        op, av = _op(item), item[1]
        chars = _single(op, av)
        if chars is not None:
            return frozenset(out | chars)
        if op in ("MAX_REPEAT", "MIN_REPEAT"):
            out |= _first(list(av[2]))
            if av[0] >= 1:
                return frozenset(out)
        elif op == "SUBPATTERN":
            return frozenset(out | _first(list(av[3])))
        elif op == "BRANCH":
            return frozenset(out.union(*(_first(list(alt)) for alt in av[1])))
    return frozenset(out)
