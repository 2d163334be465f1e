"""What a schemathesis run found, as the ``contract-tests`` gate reports it; and keeping secrets out of it.

:class:`Outcome` reads the driver's ``result.json`` (one entry per failed check of a test case, one per
operation schemathesis could not test) and folds it into one finding per rule and operation, with the
statuses seen, the first failure's message and a request that reproduces it (schemathesis's curl line,
credentials already masked by its sanitiser). :func:`redact_tree` replaces any header value of the seed
step left anywhere in the evidence (``secret_files.redact`` over the whole tree, reports included).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contracts.registry import Endpoint
from ..contracts.report import Finding
from .secret_files import redact

if TYPE_CHECKING:
    from .base import Gate

RULE_OF_CHECK = {
    "not_a_server_error": "CTT001", "response_schema_conformance": "CTT002", "status_code_conformance": "CTT003",
    "content_type_conformance": "CTT004", "ignored_auth": "CTT005", "negative_data_rejection": "CTT006",
}
OTHER_CHECK = "CTT007"
# schemathesis's titles for errors where the app gave no answer; any other error is an untestable operation
NO_ANSWER = ("Network Error", "Unresponsive Operation", "Server Unavailable", "Unhealthy API")
SHORT = 320


def redact_tree(folder: Path, headers: Mapping[str, str]) -> None:
    """Replace every header value left in any file under ``folder`` (reports, logs, the driver's result)."""
    redact(folder, headers, recursive=True)


def _short(message: str) -> str:
    """schemathesis's multi-line failure message on one line: its first lines, without the schema dump."""
    lines = [line.strip() for line in message.split("Schema at", 1)[0].splitlines() if line.strip()]
    text = "; ".join(lines)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _last_request(curl: str) -> str:
    """The failing request of a reproduction (a stateful one lists the requests leading to it first)."""
    requests = [line.strip() for line in curl.splitlines() if line.strip().startswith("curl ")]
    return requests[-1] if requests else curl.strip().splitlines()[0]


@dataclass
class _Group:
    rule_id: str
    operation: str
    check: str
    code: str
    title: str
    message: str
    curl: str | None
    cases: int = 0
    statuses: set[int] = field(default_factory=set)


@dataclass
class Outcome:
    cases: dict[str, int]
    failures: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    running_time_s: float | None
    exit_code: int | None

    @classmethod
    def load(cls, path: Path) -> Outcome:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(cases=dict(data.get("cases") or {}), failures=list(data.get("failures") or []),
                   errors=list(data.get("errors") or []), running_time_s=data.get("running_time_s"),
                   exit_code=data.get("exit_code"))

    def _groups(self) -> list[_Group]:
        groups: dict[tuple[str, str], _Group] = {}
        crashed = {str(f["operation"]) for f in self.failures if f["check"] == "not_a_server_error"}
        for failure in self.failures:
            check = str(failure["check"])
            if (check == "status_code_conformance" and str(failure["operation"]) in crashed
                    and int(failure.get("status") or 0) >= 500):
                continue  # the 5xx is reported once, as a server error
            key = (check, str(failure["operation"]))
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(RULE_OF_CHECK.get(check, OTHER_CHECK), key[1], check,
                                             str(failure["code"]), str(failure["title"]),
                                             _short(str(failure["message"] or "")), failure.get("curl"))
            group.cases += 1
            if failure.get("status") is not None:
                group.statuses.add(int(failure["status"]))
        return sorted(groups.values(), key=lambda g: (g.rule_id, g.operation, g.check))

    def findings(self, gate: Gate, endpoints: Mapping[str, Endpoint]) -> list[Finding]:
        found = []
        for g in self._groups():
            ep = endpoints.get(g.operation)
            answered = f" answered {', '.join(str(s) for s in sorted(g.statuses))}" if g.statuses else ""
            parts = [f"{g.operation}{answered} in {g.cases} test case(s): {g.title} ({g.code}, check {g.check}).",
                     g.message if g.message.endswith((".", "`")) else f"{g.message}." if g.message else "",
                     f"Reproduce: {_last_request(g.curl)}" if g.curl else "",
                     f"Handler: {ep.handler}." if ep else ""]
            found.append(gate.finding(
                g.rule_id, " ".join(part for part in parts if part),
                title=f"{gate.rule(g.rule_id).title}: {g.operation}", path=ep.file if ep else None,
                line=ep.line if ep else None, evidence=g.curl, endpoint=g.operation or None,
                subject=None if g.operation else f"{g.check}: {g.title}"))
        seen: set[tuple[str, str]] = set()
        for error in self.errors:
            label, title = str(error.get("label") or ""), str(error.get("title") or "Error")
            rule_id = "CTT008" if title in NO_ANSWER else "CTT009"
            if not label or (rule_id, label) in seen:
                continue
            seen.add((rule_id, label))
            ep = endpoints.get(label)
            found.append(gate.finding(
                rule_id, f"{label}: {title}. {_short(str(error.get('message') or ''))}",
                title=f"{gate.rule(rule_id).title}: {label}", path=ep.file if ep else None,
                line=ep.line if ep else None, endpoint=label if ep else None, subject=None if ep else label))
        return found

    def metrics(self, operations: int, max_examples: int) -> dict[str, float | int | str | bool | None]:
        per_check: dict[str, int] = {}
        for g in self._groups():
            per_check[g.check] = per_check.get(g.check, 0) + 1
        return {
            "operations": operations, "operations_tested": len(self.cases),
            "test_cases": sum(self.cases.values()), "max_examples": max_examples,
            "failing_operations": len({g.operation for g in self._groups()}),
            "errors": len(self.errors), "duration_s": self.running_time_s,
            **{f"failures_{check}": count for check, count in sorted(per_check.items())},
        }
