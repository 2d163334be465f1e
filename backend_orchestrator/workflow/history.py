"""Finished validation runs side by side: the key metrics of each report.json, to compare runs.

Reads ``artifacts/<owner>/runs/*/report.json`` (owner: a task id, or ``project``), oldest first. Only
reports count: a run that died before writing one has nothing to compare. Each row keeps the
commit, the machine and the load profile next to the numbers, because a p95 measured on 2 CPUs
with 4 users is not the p95 of 16 CPUs with 50.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contracts.report import ValidationReport
from ..state import Project
from . import runs

# (gate, metric) pairs a row shows, under the metric's own name
COLUMNS = (("tests", "coverage_percent"), ("tests", "changed_lines_coverage_percent"),
           ("tests", "query_p95_ms"), ("performance", "p50_ms"), ("performance", "p95_ms"),
           ("performance", "p99_ms"), ("performance", "error_rate"), ("performance", "rps"),
           ("performance", "query_p95_ms"), ("database", "migration_round_trip"))
HEADERS = {"coverage_percent": "cov %", "changed_lines_coverage_percent": "changed %", "p50_ms": "p50",
           "p95_ms": "p95", "p99_ms": "p99", "error_rate": "err %", "rps": "rps", "migration_round_trip": "migr"}


def _row(report: ValidationReport) -> dict[str, Any]:
    gates = {g.gate: g for g in report.gates}
    metrics: dict[str, Any] = {}
    for gate_id, name in COLUMNS:
        if gate_id in gates and gates[gate_id].metrics.get(name) is not None:
            metrics[f"{gate_id}.{name}"] = gates[gate_id].metrics[name]
    env = report.environment
    return {
        "run_id": report.run_id, "task_id": report.task_id, "started_at": report.started_at.isoformat(),
        "duration_s": round((report.finished_at - report.started_at).total_seconds(), 1),
        "commit": report.commit, "dirty": report.dirty, "verdict": report.verdict,
        "gates": {g.gate: {"status": g.status, "duration_s": g.duration_s, "new": g.counts.new,
                           "existing": g.counts.existing, "fixed": g.counts.fixed} for g in report.gates},
        "scope": report.scope, "baseline": report.baseline.commit if report.baseline else None,
        "cpu_count": env.cpu_count if env else None, "python": env.python if env else None,
        "load": report.load.model_dump(mode="json") if report.load else None, "metrics": metrics,
    }


def latest_report(project: Project, task_id: str | None) -> Path | None:
    """The report.json of the newest finished run of ``task_id`` (None: whole-project runs), if any."""
    for path, _ in reversed(runs.records(project.store, task_id or "project")):
        report: Path = path.parent / "report.json"
        if report.is_file():
            return report
    return None


def history(project: Project, task_id: str | None, limit: int = 20) -> list[dict[str, Any]]:
    """One row per finished run of ``task_id`` (None: whole-project runs), the newest ``limit``."""
    owner = task_id or "project"
    if task_id is not None:
        project.store.load_task(task_id)  # an unknown id is an error that lists the known ones
    rows = []
    for path, _ in runs.records(project.store, owner):
        report = path.parent / "report.json"
        try:
            rows.append(_row(ValidationReport.model_validate_json(report.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # no report (the run died) or one this version cannot read
    return rows[-max(1, limit):]


def _cell(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def table(rows: list[dict[str, Any]]) -> str:
    """A fixed-width table of ``rows`` (columns without any value are left out)."""
    shown = [(g, m) for g, m in COLUMNS if any(f"{g}.{m}" in r["metrics"] for r in rows)]
    head = ["run", "started", "commit", "verdict", "time s", "cpus", "load"] + [
        ("q95 tests" if (g, m) == ("tests", "query_p95_ms") else "q95 load" if m == "query_p95_ms" else HEADERS[m])
        for g, m in shown]
    body = []
    for r in rows:
        load = r["load"]
        commit = (r["commit"] or "-")[:10] + ("+" if r["dirty"] else "")
        body.append([r["run_id"], r["started_at"][:19].replace("T", " "), commit, r["verdict"], _cell(r["duration_s"]),
                     _cell(r["cpu_count"]), f"{load['users']}u×{load['seconds']}s" if load else "-"]
                    + [_cell(r["metrics"].get(f"{g}.{m}")) for g, m in shown])
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in [head, *body]]
    return "\n".join(lines)
