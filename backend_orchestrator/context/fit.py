"""Fit a context package to its budget: add candidates tier by tier, best-ranked first, while the
running estimate fits; then make ``used_tokens`` exact and, if the running sum was optimistic, take the
last additions back out. What was left out is listed in ``budget.omitted``, grouped so the list stays
short on large projects, with ``budget.more`` saying how to get it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..contracts.context import ContextPackage
from ..errors import InvalidArgument
from .tokens import compact, estimate_tokens, text_tokens


@dataclass
class Candidate:
    tier: int
    rank: tuple[float, str]
    label: str  # how it is named in budget.omitted
    add: Callable[[], None]
    remove: Callable[[], None]
    tokens: float



_GROUPS = ("related endpoint ", "neighbour table ", "standard ", "source ", "endpoint ", "table ", "service ",
           "test_requirements.")


def _omitted(labels: list[str], skipped: list[str]) -> list[str]:
    """``budget.omitted``: what was left out, best first, grouped so the list stays short."""
    groups: dict[str, list[str]] = {}
    for label in labels:
        head = next((g for g in _GROUPS if label.startswith(g)), label)
        names = groups.setdefault(head, [])
        if head != label and label[len(head):] not in names:
            names.append(label[len(head):])
        elif head == label:
            names.append("")
    out = []
    for head, names in groups.items():
        if head not in _GROUPS:
            out.append(f"{head} ({len(names)} items)" if len(names) > 1 else head)
            continue
        shown = ", ".join(names[:8]) + (f", … {len(names) - 8} more" if len(names) > 8 else "")
        out.append(f"{head.rstrip(' .')}: {shown}")
    by_need: dict[str, list[str]] = {}
    for item in skipped:  # 'API-015 (needs a collection read)'
        clause_id, _, need = item.partition(" ")
        by_need.setdefault(need, []).append(clause_id)
    if by_need:
        out.append("standards that do not apply: " + "; ".join(f"{', '.join(ids)} {need}"
                                                              for need, ids in by_need.items()))
    return out


def _fill(package: ContextPackage, cands: list[Candidate], budget: int,
          skipped: list[str]) -> tuple[list[Candidate], list[str]]:
    """Add candidates tier by tier, best-ranked first, while the running estimate fits; return the
    droppable ones that were added (in the order they were added) and the labels left out."""
    cands.sort(key=lambda c: (c.tier, c.rank))
    base = text_tokens(compact(package.model_dump(mode="json"))) + 40  # the budget block's own numbers
    used = base
    added: list[Candidate] = []
    left_out: list[str] = []
    for cand in cands:
        if cand.tier == 0 or used + cand.tokens <= budget:
            cand.add()
            used += cand.tokens
            if cand.tier:
                added.append(cand)
        else:
            left_out.append(cand.label)
    package.budget.omitted = _omitted(left_out, skipped)
    needed = math.ceil(base + sum(c.tokens for c in cands) * 1.02)
    if left_out:
        package.budget.more = [
            f"token_budget={needed} holds everything ranked for this task",
            "include=['GET /path', 'model:Name', 'service:name', 'file:path.py', 'standard:ID'] adds named items "
            "at full detail",
        ]
    return added, left_out


def _settle(package: ContextPackage, budget: int, added: list[Candidate], left_out: list[str],
            skipped: list[str]) -> ContextPackage:
    """Make ``used_tokens`` exact; if the running estimate was optimistic, drop the last additions."""
    while True:
        package.budget.used_tokens = budget  # a stand-in with (nearly always) the digits of the result
        estimate = estimate_tokens(package.model_dump(mode="json"))
        package.budget.used_tokens = estimate
        if len(str(estimate)) != len(str(budget)):  # its own digits are part of the package
            package.budget.used_tokens = estimate_tokens(package.model_dump(mode="json"))
        if package.budget.used_tokens <= budget or not added:
            break
        last = added.pop()
        last.remove()
        left_out.insert(0, last.label)
        package.budget.omitted = _omitted(left_out, skipped)
    if package.budget.used_tokens > budget:
        raise InvalidArgument(
            f"token_budget {budget} is too small for what {package.task_id} names: its endpoints and tables "
            f"alone need {package.budget.used_tokens} tokens; pass token_budget={package.budget.used_tokens} or more"
        )
    return package


def fit(package: ContextPackage, cands: list[Candidate], budget: int, skipped: list[str]) -> ContextPackage:
    """Fill ``package`` from ``cands`` within ``budget``; ``skipped``: standards that do not apply."""
    added, left_out = _fill(package, cands, budget, skipped)
    return _settle(package, budget, added, left_out, skipped)
