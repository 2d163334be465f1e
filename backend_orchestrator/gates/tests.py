"""Gate ``tests``: the target's pytest suite under coverage, in the target's interpreter.

What it does
    Runs ``python -m coverage run -m pytest`` in a subprocess of the target's interpreter, with a
    timeout, writing JUnit XML and a coverage JSON report as evidence; counts results from the
    JUnit XML and reads total line coverage from the JSON. When the project is a git checkout, the
    lines changed since the task's ``base_commit`` (a whole-project run: since HEAD, i.e. the
    uncommitted work) — ``git diff --unified=0 --relative`` against the working tree, untracked files
    included — are intersected with the coverage report: coverage of the changed lines. Every SQL
    statement the suite runs is timed by SQLAlchemy cursor events injected into the subprocess
    (``querytiming``), tagged with the running test.
Why it matters
    An agent's "done" means nothing until the project's own tests pass, and untested code is
    where regressions hide (standards TEST-*, BS-MET coverage > 80 %).
Rules
    TST001 a test failed or errored (high) · TST002 coverage at or below the threshold (medium) ·
    TST003 no tests were collected (high; the gate is then ``skipped``: a task cannot be done without
    tests) · TST004 a SQL statement's p95 at or above
    ``thresholds.db_query_ms`` (high) · TST005 N+1: the same SELECT run ≥ 10 times within one test
    (medium) · TST006 coverage of the changed lines at or below the threshold (medium) · TST007 a
    SELECT's plan (EXPLAIN, logged by the timer) reads a table in full although the statement filters
    it (low, advisory: the gate warns). Plans and the slowest statements are in ``sql-stats.json``.
Use instead
    Fix the failing test or the code; add tests for the uncovered lines the report lists; add the
    missing index or eager-load the relationship (``selectinload``) the statement repeats.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import process
from ..config import target_python
from ..contracts.config import ProjectConfig
from ..contracts.report import Finding, GateResult
from . import changed_lines, querytiming
from .base import Gate, GateContext, Rule

MODULE_PROBE = ("import importlib.util as u, sys; "
                "sys.exit(0 if all(u.find_spec(m) for m in ('pytest', 'coverage')) else 3)")


def _source_packages(root: Path, configured: list[str], tests_dir: str) -> list[str]:
    if configured:
        return configured
    found = sorted(p.name for p in root.iterdir()
                   if p.is_dir() and (p / "__init__.py").is_file() and p.name not in (tests_dir, "tests"))
    return found or ["."]


def node_id(name: str, file: str) -> str:
    """pytest's node id of a JUnit test case (``tests/test_a.py::TestK::test_x[1]``) from its
    ``classname::name`` and file; the name alone when the report gave no file."""
    classname, _, test = name.rpartition("::")
    if not file:
        return name
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
    return "::".join([file, *(c for c in classes.split(".") if c), test])


def _junit_counts(path: Path) -> tuple[dict[str, int], list[tuple[str, str, int | None, str]]]:
    """Totals and (test id, file, line, message) of each failure or error."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed = []
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, 0))
        for case in suite.iter("testcase"):
            for tag in ("failure", "error"):
                node = case.find(tag)
                if node is not None:
                    name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
                    line = case.get("line")
                    message = (node.get("message") or node.text or tag).strip().splitlines()[0][:300]
                    failed.append((name, case.get("file", ""), int(line) + 1 if line else None, message))
    return counts, failed


class TestsGate(Gate):
    id = "tests"
    title = "Tests and coverage"
    runtime = True
    rules = (
        Rule("TST001", "Test failed", "high", "test-failure", clause="TEST-023",
             help="A test of the project's suite fails or errors. Fix the code or the test; never skip or "
                  "delete a failing test to get a pass."),
        Rule("TST002", "Coverage at or below the threshold", "medium", "coverage", clause="BS-MET-003",
             help="Line coverage of the application package must exceed the configured threshold (80 % by "
                  "default). Add tests for the least covered files the message lists."),
        Rule("TST003", "No tests", "high", "missing-tests", clause="TEST-023",
             help="The project has no test suite, or pytest collected no tests from it. Add tests named "
                  "test_*.py under the configured tests folder."),
        Rule("TST004", "Slow SQL statement", "high", "slow-query", clause="BS-MET-002",
             help="A normalised SQL statement's p95 during the test run is at or above thresholds.db_query_ms "
                  "(50 ms by default). Check its plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE): add the missing "
                  "index, select fewer rows or columns, or move the work out of the query."),
        Rule("TST005", "N+1 query pattern", "medium", "slow-query", clause="DB-018",
             help="The same SELECT ran 10 times or more within one test: a lazy relationship or a query in a "
                  "loop. Eager-load what the response needs (selectinload/joinedload) or fetch in one query; "
                  "set lazy=\"raise\" on relationships that must never load lazily."),
        Rule("TST007", "Full scan of a filtered table", "low", "missing-index", clause="DB-017",
             help="The query plan of a SELECT the tests ran (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on "
                  "PostgreSQL) reads a whole table although the statement filters it: no index serves the "
                  "WHERE. Small test tables hide the cost; it grows with the table. Index the filtered columns."),
        Rule("TST006", "Changed lines not covered", "medium", "coverage", clause="TEST-002",
             help="Coverage of the lines the task changed (git diff against the task's base commit) is at or "
                  "below the coverage threshold. Add tests that execute the listed lines, error branches "
                  "included."),
    )

    def time_limit(self, config: ProjectConfig) -> float:
        return config.timeouts.tests_s + 180  # the suite's own limit, plus the probe and the coverage report

    def run(self, ctx: GateContext) -> GateResult:
        root, cfg = ctx.root, ctx.config
        python = target_python(root, cfg)
        out = ctx.evidence_dir / "tests"
        out.mkdir(parents=True, exist_ok=True)
        probe = process.run([python, "-c", MODULE_PROBE], cwd=root, timeout=60, log=out / "probe.log",
                            cancelled=ctx.cancelled)
        if probe.returncode != 0:
            return self.result("error", f"pytest and coverage must be importable by the target's interpreter "
                               f"{python}: install them there with `{python} -m pip install pytest coverage`",
                               metrics={"python": python})
        tests_dir = root / cfg.tests
        if not tests_dir.is_dir():
            return self.result("skipped", f"no tests folder {cfg.tests!r} in the project: write the tests under "
                               f"{cfg.tests}/ (or set `tests` in the config)", findings=[self.finding(
                "TST003", f"Create the test suite under {cfg.tests}/ (or set `tests` in the config).",
                subject="the test suite")])
        junit, data, cov_json = out / "junit.xml", out / ".coverage", out / "coverage.json"
        for stale in (junit, data, cov_json):
            stale.unlink(missing_ok=True)
        sources = _source_packages(root, cfg.source, cfg.tests)
        sql_log = out / "sql-timing.jsonl"
        env = querytiming.timer_env(sql_log, root, process.target_env(
            {"COVERAGE_FILE": str(data), "HYPOTHESIS_STORAGE_DIRECTORY": str(out / "hypothesis")}))
        argv = [python, "-m", "coverage", "run", f"--data-file={data}", f"--source={','.join(sources)}",
                "-m", "pytest", cfg.tests, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                "-o", "junit_family=xunit1"]
        done = process.run(argv, cwd=root, timeout=cfg.timeouts.tests_s, log=out / "pytest.log", env=env,
                           cancelled=ctx.cancelled)
        evidence = [ctx.rel(out / "pytest.log")]
        if done.cancelled:
            return self.result("error", "cancelled", evidence=evidence)
        if done.timed_out:
            return self.result("error", f"the test suite did not finish within {cfg.timeouts.tests_s:g} s "
                               "(timeouts.tests_s); it was stopped", evidence=evidence)
        if done.returncode == 5:
            return self.result("skipped", f"pytest collected no tests under {cfg.tests}/: add tests named "
                               "test_*.py", evidence=evidence, findings=[self.finding(
                "TST003", f"pytest found no tests under {cfg.tests}/; add tests named test_*.py.",
                title="No tests collected", path=cfg.tests, subject="the test suite")])
        if not junit.is_file():
            tail = "\n".join(done.output.strip().splitlines()[-5:])
            return self.result("error", f"pytest exited {done.returncode} without a JUnit report: {tail}",
                               evidence=evidence)
        counts, failed = _junit_counts(junit)
        evidence.append(ctx.rel(junit))
        process.run([python, "-m", "coverage", "json", f"--data-file={data}", "-o", str(cov_json)],
                    cwd=root, timeout=120, log=out / "coverage.log", env=env, cancelled=ctx.cancelled)
        findings = [self.finding(
            "TST001", f"{name} fails: {message}. Fix the code or the test, then validate again.",
            title=f"Test failed: {name}", path=file or None, line=line, evidence=message,
            subject=f"test {node_id(name, file)}",
        ) for name, file, line, message in failed]
        metrics: dict[str, float | int | str | bool | None] = {
            "tests": counts["tests"], "failed": counts["failures"], "errors": counts["errors"],
            "skipped": counts["skipped"],
            "passed": counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"],
            "coverage_threshold_percent": cfg.thresholds.coverage_percent, "python": python,
        }
        if cov_json.is_file():
            evidence.append(ctx.rel(cov_json))
            report = json.loads(cov_json.read_text(encoding="utf-8"))
            percent = round(float(report["totals"]["percent_covered"]), 2)
            metrics["coverage_percent"] = percent
            findings += self._changed_lines(ctx, report, metrics)
            if percent <= cfg.thresholds.coverage_percent:
                worst = sorted(report.get("files", {}).items(),
                               key=lambda kv: kv[1]["summary"]["percent_covered"])[:5]
                listed = ", ".join(f"{name} {info['summary']['percent_covered']:.0f} %" for name, info in worst)
                findings.append(self.finding(
                    "TST002", f"Total line coverage is {percent:.1f} %; it must exceed "
                              f"{cfg.thresholds.coverage_percent:g} %. Least covered: {listed}.",
                    title=f"Coverage {percent:.1f} % is not above {cfg.thresholds.coverage_percent:g} %",
                    subject="total coverage"))
        else:
            metrics["coverage_percent"] = None
            return self.result("error", "coverage produced no report (see coverage.log)", metrics=metrics,
                               findings=findings, evidence=evidence)
        query_findings, slowest = self._queries(ctx, sql_log, out, metrics, evidence)
        findings += query_findings
        summary = (f"{metrics['passed']}/{counts['tests']} passed, coverage {metrics['coverage_percent']} % "
                   f"(threshold > {cfg.thresholds.coverage_percent:g} %)")
        changed = metrics.get("changed_lines_coverage_percent")
        if changed is not None:
            summary += f", changed lines {changed} %"
        elif metrics.get("changed_lines_note"):
            summary += f", changed lines not measured: {metrics['changed_lines_note']}"
        if metrics.get("queries"):
            summary += f", {metrics['queries']} SQL statements (p95 {metrics['query_p95_ms']} ms)"
            summary += f"; {slowest}" if slowest else ""
        return self.report(summary, metrics=metrics, findings=findings, evidence=evidence)

    def _changed_lines(self, ctx: GateContext, report: dict[str, object],
                       metrics: dict[str, float | int | str | bool | None]) -> list[Finding]:
        """TST006, and the ``changed_lines_coverage_percent`` metric (None with a note when not measured)."""
        metrics["changed_lines_coverage_percent"] = None
        # a task: since its base commit; a whole-project run: the uncommitted changes (since HEAD)
        base = ctx.task.base_commit if ctx.task is not None else "HEAD"
        if not base:
            metrics["changed_lines_note"] = "the task has no base commit"
            return []
        changed, reason = changed_lines.changed_lines(ctx.root, base, ctx.evidence_dir / "tests", ctx.cancelled)
        if changed is None:
            metrics["changed_lines_note"] = reason
            return []
        measured = changed_lines.intersect(changed, report)
        metrics["changed_lines_coverage_percent"] = measured.percent
        metrics["changed_lines"] = measured.measurable
        if measured.percent is None:
            metrics["changed_lines_note"] = measured.note
            return []
        threshold = ctx.config.thresholds.coverage_percent
        if measured.percent > threshold:
            return []
        listed = "; ".join(f"{path} lines {changed_lines.ranges(lines)}" for path, lines in measured.uncovered.items())
        first = next(iter(measured.uncovered.items()), None)
        return [self.finding(
            "TST006", f"Only {measured.covered} of the {measured.measurable} lines changed since {base[:12]} are "
                      f"covered ({measured.percent:g} %); it must exceed {threshold:g} %. Not executed by any "
                      f"test: {listed}. Add tests that run them, error branches included.",
            title=f"Changed lines coverage {measured.percent:g} % is not above {threshold:g} %",
            path=first[0] if first else None, line=first[1][0] if first else None, evidence=listed or None,
            subject="changed-lines coverage")]

    def _queries(self, ctx: GateContext, sql_log: Path, out: Path,
                 metrics: dict[str, float | int | str | bool | None],
                 evidence: list[str]) -> tuple[list[Finding], str]:
        """TST004, TST005 and TST007 from the timer's log, the query metrics and the slowest statements."""
        stats = querytiming.analyse(sql_log)
        metrics.update(stats.metrics())
        if not sql_log.is_file():
            return [], ""
        threshold = ctx.config.thresholds.db_query_ms
        (out / "sql-stats.json").write_text(stats.to_json(threshold), encoding="utf-8")
        evidence += [ctx.rel(sql_log), ctx.rel(out / "sql-stats.json")]
        findings: list[Finding] = []
        for slow in stats.slow(threshold):
            path, line = querytiming.split_site(slow.site)
            findings.append(self.finding(
                "TST004", f"The statement `{querytiming.short(slow.sql, 200)}` has p95 {slow.p95_ms:g} ms "
                          f"(p50 {slow.p50_ms:g} ms, max {slow.max_ms:g} ms, {slow.count} runs) during the tests; "
                          f"it must stay below {threshold:g} ms.{querytiming.plan_note(slow)} Add the missing "
                          "index, select fewer rows, or move the work out of the query.",
                title=f"Slow SQL statement: p95 {slow.p95_ms:g} ms", path=path, line=line, evidence=slow.sql))
        for repeated in stats.scope("test"):
            path, line = querytiming.split_site(repeated.site)
            findings.append(self.finding(
                "TST005", f"{querytiming.n_plus_one_message(repeated)} Load the related rows in one query "
                          "(selectinload/joinedload, or an IN query) instead of one per parent.",
                title=f"N+1 pattern: the same SELECT {repeated.count}× in one test", path=path, line=line,
                evidence=repeated.sql))
        for scan in stats.full_scans():
            path, line = querytiming.split_site(scan.site)
            findings.append(self.finding(
                "TST007", f"{querytiming.full_scan_message(scan)} (p95 {scan.p95_ms:g} ms over {scan.count} runs "
                          "in the tests, on test-sized data).",
                title=f"Full scan of {scan.full_scan} although filtered", path=path, line=line,
                evidence="\n".join(scan.plan or [])))
        return findings, stats.summary()
