"""Verdicts about the change on real backends nobody here wrote (issue 10): does a good change pass on a
project with old debt, and does the same change with one planted defect fail on it alone?

For each app of the corpus (benchmarks/corpus/apps.yaml, fetched from PyPI into a cache outside the
repository), on a copy of its unpacked distribution made a git repository with one commit:

  1. `backend-orchestrator.toml`: its `source`, and `gates.api` = the static gates (api-design, security,
     architecture, docs) — the runtime gates need the app's dependencies, which are not installed;
  2. `scan`, `task add` (an api task naming the new endpoint), `assign`;
  3. the corpus's *good* change (a new endpoint in the file's own style), then, `--repeat` times (3), a new
     task validated three ways: judged on the whole project (`--scope project`: what the same run costs
     without a baseline), on the change with an empty baseline cache (cold), and again (warm: the base's
     findings cached); the medians are reported;
  4. each *bad* variant (the same change with one planted defect), on a reset tree, a new task: the verdict
     and the findings judged new.

Prints JSON: per app the existing debt the project has (findings per gate), the good change's verdict
and new findings, each variant's verdict and new findings (and whether they are exactly the planted
rule), and the cost (wall seconds of the three validations, cold/warm ratios to the project-scope run).
`--markdown` prints the README's table instead.

usage: python benchmarks/brownfield.py [--cache DIR] [--markdown] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "corpus"))

from fetch import apply_change, default_cache, fetch, load_apps  # noqa: E402

STATIC = ["api-design", "security", "architecture", "docs"]
PLANTED = {"sql_fstring": "SC202", "unauthenticated_delete": "SC201", "unpaginated_list": "AD010"}
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"]


def _run(argv: list[str], cwd: Path, timeout: float = 900) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return time.perf_counter() - started, done


def _cli(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    return _run([sys.executable, "-m", "backend_orchestrator", *args, "--project", str(root)], root)


def _prepare(app: dict[str, Any], cache: Path, work: Path) -> Path:
    source = fetch(app["name"], cache)
    root = work / app["name"]
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (root / "backend-orchestrator.toml").write_text(
        f"source = {json.dumps(app['source'])}\n\n[gates]\napi = {json.dumps(STATIC)}\n", encoding="utf-8")
    for argv in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", f"{app['name']} {app['version']}"]):
        subprocess.run([*GIT, *argv], cwd=root, check=True, capture_output=True, timeout=600)
    _, scanned = _cli(root, "scan", "--mode", "static")
    if scanned.returncode != 0:
        raise RuntimeError(f"{app['name']}: scan failed: {scanned.stderr[-500:]}")
    return root


def _reset(root: Path) -> None:
    subprocess.run([*GIT, "checkout", "-q", "--", "."], cwd=root, check=True, timeout=120)
    subprocess.run([*GIT, "clean", "-qfd", "-e", "ai-state", "-e", "backend-orchestrator.toml"], cwd=root, check=True,
                   timeout=120)


def _task(root: Path, app: dict[str, Any], endpoint: str) -> str:
    _, added = _cli(root, "task", "add", f"Add {endpoint} to {app['name']}", "--kind", "api", "--endpoint", endpoint)
    if added.returncode != 0:
        raise RuntimeError(f"{app['name']}: task add failed: {added.stderr[-500:]}")
    task_id = added.stdout.split()[0]
    _cli(root, "assign", task_id)
    return task_id


def _validate(root: Path, task_id: str, *extra: str) -> tuple[float, dict[str, Any]]:
    out = root.parent / f"{root.name}-report.json"
    seconds, done = _cli(root, "validate", task_id, "--format", "json", "--output", str(out), *extra)
    if not out.is_file():
        raise RuntimeError(f"validate {task_id} wrote no report (exit {done.returncode}): {done.stderr[-800:]}")
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return round(seconds, 2), report


def _new(report: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(({"rule": f["rule_id"], "path": f.get("path"), "line": f.get("line"), "blocking": f["blocking"]}
                   for g in report["gates"] for f in g["findings"] if f.get("baseline_state") == "new"),
                  key=lambda f: (str(f["path"]), f["line"] or 0, f["rule"]))


def _shown(new: list[dict[str, Any]]) -> list[str]:
    return [f"{f['rule']} {f['path']}:{f['line']}" + (" (blocking)" if f["blocking"] else "") for f in new]


def _added_lines(root: Path, file: str) -> set[int]:
    """Lines of ``file`` the change added (git diff against the commit)."""
    from backend_orchestrator.gates.changed_lines import parse_diff

    diff = subprocess.run([*GIT, "diff", "--unified=0", "HEAD", "--", file], cwd=root, capture_output=True,
                          text=True, check=True, timeout=120).stdout
    return parse_diff(diff).get(file, set())


def _debt(report: dict[str, Any]) -> dict[str, int]:
    return {g["gate"]: len(g["findings"]) for g in report["gates"]}


def measure(app: dict[str, Any], cache: Path, work: Path, repeat: int = 1) -> dict[str, Any]:
    root = _prepare(app, cache, work)
    change = app["change"]
    row: dict[str, Any] = {"app": app["name"], "framework": app["framework"], "version": app["version"]}
    apply_change(root, app, "good")
    cache = root / "ai-state" / "active" / "backend" / ".cache" / "baseline"
    project_times, cold_times, warm_times = [], [], []
    for _ in range(repeat):  # interleaved, so that a busy moment of the machine spreads over all three
        project_s, whole = _validate(root, _task(root, app, change["endpoint"]), "--scope", "project")
        shutil.rmtree(cache, ignore_errors=True)
        cold_s, cold = _validate(root, _task(root, app, change["endpoint"]), "--scope", "change")
        warm_s, _ = _validate(root, _task(root, app, change["endpoint"]), "--scope", "change")
        project_times.append(project_s)
        cold_times.append(cold_s)
        warm_times.append(warm_s)
    project_s, cold_s, warm_s = (statistics.median(t) for t in (project_times, cold_times, warm_times))
    row["endpoints"] = next((g["metrics"].get("endpoints") for g in whole["gates"] if g["gate"] == "docs"), None)
    row["findings_whole_project"] = _debt(whole)
    existing = sum(g["counts"]["existing"] for g in cold["gates"])
    row["good"] = {"verdict": cold["verdict"], "new": _shown(_new(cold)), "existing": existing,
                   # every finding of the whole-project run is either existing debt or new in the change run
                   "debt_counted_right": existing + len(_new(cold)) == sum(_debt(whole).values()),
                   "fixed": sum(g["counts"]["fixed"] for g in cold["gates"]), "notes": cold["notes"]}
    row["cost"] = {"project_s": project_s, "cold_s": cold_s, "warm_s": warm_s, "repeat": repeat,
                   "cold_ratio": round(cold_s / project_s, 2), "warm_ratio": round(warm_s / project_s, 2),
                   "runs": {"project": project_times, "cold": cold_times, "warm": warm_times}}
    row["bad"] = {}
    for variant in change.get("bad", {}):
        _reset(root)
        apply_change(root, app, variant)
        task = _task(root, app, change["bad"][variant].get("endpoint", change["endpoint"]))
        _, report = _validate(root, task)
        new = _new(report)
        added = _added_lines(root, change["file"])
        planted = PLANTED.get(variant, "")
        elsewhere = [f for f in new if f["path"] != change["file"] or f["line"] not in added]
        # the verdict fails because of the planted defect, and every new finding lies in the code the variant added
        row["bad"][variant] = {"verdict": report["verdict"], "new": _shown(new), "planted": planted,
                               "planted_seen": any(f["rule"] == planted and f["blocking"] for f in new),
                               "planted_advisory": any(f["rule"] == planted and not f["blocking"] for f in new),
                               "outside_the_change": _shown(elsewhere),
                               "fails_on_it_alone": report["verdict"] == "fail" and not elsewhere
                               and any(f["rule"] == planted and f["blocking"] for f in new)}
    shutil.rmtree(root, ignore_errors=True)
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| app | endpoints | existing debt (findings) | good change | SQL f-string | unauthenticated route | "
             "unpaginated list | cold / warm vs no baseline |", "|---|---|---|---|---|---|---|---|"]
    def cell(row: dict[str, Any], variant: str) -> str:
        bad = row["bad"].get(variant)
        if bad is None:
            return "–"
        mark = ("fails on it alone" if bad["fails_on_it_alone"] else "fails, with findings elsewhere"
                if bad["planted_seen"] else "seen, advisory only" if bad.get("planted_advisory") else "**not seen**")
        return f"{bad['verdict']}: {mark}"

    for r in rows:
        good = r["good"]
        lines.append(f"| {r['app']} {r['version']} ({r['framework']}) | {r['endpoints'] or '–'} | {good['existing']} "
                     f"| {good['verdict']} ({len(good['new'])} new, {good['fixed']} fixed) "
                     f"| {cell(r, 'sql_fstring')} | {cell(r, 'unauthenticated_delete')} "
                     f"| {cell(r, 'unpaginated_list')} | "
                     f"{r['cost']['cold_ratio']}× / {r['cost']['warm_ratio']}× |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed validations of each kind (median reported)")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    apps = [a for a in load_apps() if not args.names or a["name"] in args.names]
    cache = args.cache or default_cache()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bo-brownfield-") as work:
        for app in apps:
            try:
                rows.append(measure(app, cache, Path(work), args.repeat))
            except Exception as exc:  # one app's failure is a result, not the end of the benchmark
                rows.append({"app": app["name"], "error": f"{type(exc).__name__}: {exc}"[:1000]})
            print(f"{app['name']}: done", file=sys.stderr, flush=True)
    if args.markdown:
        print(markdown([r for r in rows if "error" not in r]))
        for r in rows:
            if "error" in r:
                print(f"\n{r['app']}: {r['error']}")
    else:
        print(json.dumps({"apps": rows, "python": sys.version.split()[0]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
