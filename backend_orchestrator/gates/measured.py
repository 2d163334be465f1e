"""The key numbers of a validation report, for people: what ``validate`` prints after the gates.

Coverage and changed-lines coverage (``tests``), the migration round trip (``database``), latency
percentiles, error rate and throughput under load (``performance``), the SQL p95 of each gate that
timed queries, and the slowest statements, read from the gates' ``sql-stats.json`` evidence when a
project root is given (see ``querytiming.py`` for its shape; it is read defensively: keys may be
missing or added). A number a gate did not measure says why instead of showing a blank.

A run judged on a change also shows what it was judged against (the base commit, whether the base's
findings came from the cache, the seconds spent on the base in this run) and each gate's findings
split into new / existing / fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contracts.report import GateResult, ValidationReport

TOP = 5
MEASURING = ("tests", "performance", "database")  # the gates whose metrics the key numbers are
ICON = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skipped": "SKIP", "not-applicable": "N/A", "error": "ERROR"}


@dataclass(frozen=True)
class SlowQuery:
    gate: str
    p95_ms: float
    count: int
    sql: str
    site: str | None = None
    full_scan: str | None = None  # the table its plan reads whole


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def _short(sql: str, limit: int = 80) -> str:
    flat = re.sub(r"\s+", " ", sql).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _full_scan(row: dict[str, Any]) -> str | None:
    """The table the statement's plan reads whole (``full_scan``: a table name, or true), else None."""
    scan = row.get("full_scan")
    if isinstance(scan, str) and scan:
        return scan
    return "a table" if scan is True else None


def slowest_queries(report: ValidationReport, root: Path, top: int = TOP) -> list[SlowQuery]:
    """The application statements with the highest p95 over every gate's sql-stats.json."""
    found: list[SlowQuery] = []
    for gate in report.gates:
        files = [e for e in gate.evidence if e.endswith("sql-stats.json")]
        for rel in files or [f"{report.evidence_dir}/{gate.gate}/sql-stats.json"]:
            try:
                data = json.loads((root / rel).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            rows = data.get("statements") if isinstance(data, dict) else None
            for row in rows if isinstance(rows, list) else []:
                if not isinstance(row, dict) or row.get("application") is False:
                    continue
                try:
                    query = SlowQuery(gate.gate, float(row["p95_ms"]), int(row["count"]), str(row["sql"]),
                                      str(row["site"]) if row.get("site") else None,
                                      _full_scan(row))
                except (KeyError, TypeError, ValueError):
                    continue
                found.append(query)
    found.sort(key=lambda q: (-q.p95_ms, -q.count, q.gate, q.sql))
    return found[:top]


def _gate(report: ValidationReport, gate_id: str) -> GateResult | None:
    return next((g for g in report.gates if g.gate == gate_id), None)


def _missing(report: ValidationReport, gate_id: str, metric: str) -> tuple[GateResult | None, Any, str]:
    """The gate, its metric, and why it is missing (empty when measured)."""
    gate = _gate(report, gate_id)
    if gate is None:
        return None, None, f"not measured: the {gate_id} gate was not run"
    value = gate.metrics.get(metric)
    if value is None and gate.status in ("skipped", "not-applicable", "error"):
        status = "not applicable" if gate.status == "not-applicable" else gate.status
        return gate, None, f"not measured: {gate_id} {status} ({gate.summary})"
    return gate, value, "" if value is not None else f"not measured by the {gate_id} gate"


def key_numbers(report: ValidationReport) -> list[tuple[str, str]]:
    """(label, value) rows: the numbers the issue asks every run to show, from the gates' metrics."""
    th = report.thresholds
    rows: list[tuple[str, str]] = []
    gate, value, why = _missing(report, "tests", "coverage_percent")
    rows.append(("coverage", why or f"{_num(value)} %  (must exceed {_num(th.get('coverage_percent', 80))} %)"))
    changed = gate.metrics.get("changed_lines_coverage_percent") if gate else None
    if changed is not None and gate is not None:
        rows.append(("changed-lines coverage", f"{_num(changed)} %  ({_num(gate.metrics.get('changed_lines'))} "
                                               "measurable changed lines)"))
    elif gate is not None and not why:
        note = gate.metrics.get("changed_lines_note") or "no changed line under the measured sources"
        rows.append(("changed-lines coverage", f"not measured: {note}"))
    else:
        rows.append(("changed-lines coverage", why))
    gate, trip, why = _missing(report, "database", "migration_round_trip")
    if gate is not None and not why:
        extra = f"; alembic check {gate.metrics.get('alembic_check')}" if gate.metrics.get("alembic_check") else ""
        reason = f" ({gate.summary})" if trip != "pass" else ""
        rows.append(("migration round trip", f"{trip}{extra}{reason}"))
    else:
        rows.append(("migration round trip", why))
    gate, p95, why = _missing(report, "performance", "p95_ms")
    if gate is not None and not why:
        m = gate.metrics
        rows.append(("latency p50 / p95 / p99", f"{_num(m.get('p50_ms'))} / {_num(p95)} / {_num(m.get('p99_ms'))} ms"
                                                 f"  (p95 must stay below {_num(th.get('api_p95_ms', 200))} ms; "
                                                 f"{_num(m.get('users'))} users for {_num(m.get('seconds'))} s)"))
        rows.append(("error rate", f"{_num(m.get('error_rate'))} %  ({_num(m.get('failures'))} of "
                                   f"{_num(m.get('requests'))} requests; must stay below "
                                   f"{_num(th.get('error_rate_percent', 0.1))} %)"))
        rows.append(("throughput", f"{_num(m.get('rps'))} requests/s"))
    else:
        rows += [("latency p50 / p95 / p99", why), ("error rate", why), ("throughput", why)]
    timed = [f"{_num(g.metrics['query_p95_ms'])} ms ({g.gate}, {_num(g.metrics.get('queries'))} statements)"
             for g in report.gates if g.metrics.get("query_p95_ms") is not None]
    rows.append(("query p95", ", ".join(timed) + f"  (must stay below {_num(th.get('db_query_ms', 50))} ms)"
                 if timed else "not measured: no gate ran SQL statements through SQLAlchemy"))
    return rows


def baseline_line(report: ValidationReport) -> str | None:
    """What a change was judged against, and what that cost; None for a run judged on the whole project."""
    base = report.baseline
    if report.scope != "change" or base is None:
        return None
    origin = "the task's base commit" if report.task_id else f"--baseline {base.ref}"
    how = (f"base findings from the cache ({base.seconds:.1f} s)" if base.cached
           else f"base checked in this run ({base.seconds:.1f} s)")
    scan = f", {base.scan_mode} scan" if base.scan_mode else ""
    return f"{base.commit[:12]} ({origin}); {how}{scan}"


def split_line(report: ValidationReport) -> str | None:
    """Each gate's findings as new / existing / fixed, for a run judged on a change; None otherwise.
    Gates with none are named together at the end; a gate that did not judge findings (skipped, not
    applicable, error) is left out; one judged on the whole project (its base could not tell) shows its
    findings as ``N (whole project)``."""
    if report.scope != "change":
        return None
    parts, clean = [], []
    for gate in report.gates:
        if gate.status not in ("pass", "warn", "fail"):
            continue
        c = gate.counts
        if gate.judged != "change":
            parts.append(f"{gate.gate} {len(gate.findings) + gate.omitted} (whole project)")
        elif c.new or c.existing or c.fixed:
            blocking = f" ({c.blocking} blocking)" if c.blocking else ""
            parts.append(f"{gate.gate} {c.new}{blocking} / {c.existing} / {c.fixed}")
        else:
            clean.append(gate.gate)
    if clean:
        parts.append(f"none in {', '.join(clean)}")
    return ", ".join(parts) if parts else "no gate judged findings"


def _fold(head: str, text: str, width: int = 120, indent: str = "    ") -> list[str]:
    """``head`` + ``text`` over lines of at most ``width``, broken only after a comma."""
    lines, line = [], head
    for i, piece in enumerate(text.split(", ")):
        piece = piece if i == 0 else f", {piece}"
        if len(line) + len(piece) > width and line.strip() and line != head:
            lines.append(line + ",")
            line = indent + piece[2:]
        else:
            line += piece
    return [*lines, line]


def render(report: ValidationReport, root: Path | None = None) -> str:
    """The measured summary as text: the run, each gate in one line, the key numbers, the slowest SQL."""
    env = report.environment
    seconds = (report.finished_at - report.started_at).total_seconds()
    where = [f"{seconds:g} s"]
    if env is not None:
        where.append(f"{env.cpu_count or '?'} CPUs, Python {env.python}"
                     + (f" (target {env.target_python})" if env.target_python and env.target_python != env.python
                        else ""))
    if report.commit:
        where.append(f"commit {report.commit[:12]}" + (" + local changes" if report.dirty else ""))
    lines = [f"measured — run {report.run_id}: {', '.join(where)}"]
    base = baseline_line(report)
    if base is not None:
        lines.append(f"  {'baseline':14} {base}")
    for gate in report.gates:
        summary = gate.summary if len(gate.summary) <= 110 else gate.summary[:109] + "…"
        lines.append(f"  {gate.gate:14} {ICON.get(gate.status, gate.status.upper()):5} {gate.duration_s:7.1f} s  "
                     f"{summary}")
    split = split_line(report)
    if split is not None:
        lines += _fold("  new / existing / fixed: ", split)
    if not any(g.gate in MEASURING for g in report.gates):
        return "\n".join(lines) + "\n"
    numbers = key_numbers(report)
    width = max(len(label) for label, _ in numbers)
    lines += [f"  {label:{width}}  {value}" for label, value in numbers]
    if root is not None:
        slow = slowest_queries(report, root)
        label = "slowest queries"
        if not slow:
            lines.append(f"  {label:{width}}  none recorded (no gate timed SQL statements)")
        else:
            lines.append(f"  {label} (p95, runs, gate, call site):")
            for q in slow:
                where_ = f"  {q.site}" if q.site else ""
                scan = f"  [full scan of {q.full_scan}]" if q.full_scan else ""
                lines.append(f"    {q.p95_ms:8.3f} ms ×{q.count:<6} {q.gate:12}{where_}{scan}  {_short(q.sql)}")
    return "\n".join(lines) + "\n"


__all__ = ["ICON", "MEASURING", "SlowQuery", "baseline_line", "key_numbers", "render", "slowest_queries",
           "split_line"]
