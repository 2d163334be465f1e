"""Total validation time of examples/shop, and the gates' overhead beyond the work they wrap.

Needs the performance gate's load generator and the shop's dependencies in this interpreter:
``pip install -e '.[demo,load]'`` (or ``.[test]``). Then ``python benchmarks/validate.py``.

In one run, on a temporary copy of examples/shop (git-initialised and committed, so the report
records a commit; ``scan`` first, so the OpenAPI-based gates have a document):
  - baseline: the shop's own test run, the way the tests gate runs it but without the gate, in the
    same interpreter and folder: ``python -m pytest tests -q -p no:cacheprovider`` (no coverage) and
    ``python -m coverage run --source=shop -m pytest ...`` (with coverage); the fastest of --repeat;
  - ``backend-orchestrator validate --gates all`` through the console script, like a user, with the
    shop's load profile (``--users``/``--seconds`` override it through BO_LOAD_USERS/BO_LOAD_SECONDS);
    its wall time includes the CLI's start-up and the report writing;
  - from the run's report.json and run.json: each gate's duration and when it ran.

How overhead is counted. The static gates run in threads *next to* the runtime gates (tests →
performance → database → contract-tests, one after another), so the wall time is about the runtime
chain plus the CLI's own start and finish; summing every gate's duration would count the parallel
static gates twice. Hence:
  - ``overhead_s`` = total wall − (the shop's own pytest run without coverage + the configured load
    seconds): everything validation adds beyond the target's own test run and the load it asked for
    (coverage, SQL timing, starting the app, migrations, the database round trip, the static gates
    where they are not hidden behind the runtime chain, start-up, reports);
  - ``overhead_vs_coverage_run_s`` the same against the pytest run *with* coverage;
  - per gate ``overhead_s`` = duration − its intrinsic work: the pytest-with-coverage baseline for
    ``tests``, the load seconds for ``performance``, nothing for the other gates (all their time is
    the gate's own work: there is no target run to subtract);
  - ``outside_gates_s`` = total wall − the span from the first gate's start to the last gate's end
    (interpreter start, imports, environment record, report writing).
The machine is shared and noisy: baseline and validation run minutes apart; repeat to see the spread.
Prints JSON. Target (issue 5): the whole validation with the default load profile ≤ 120 s.

usage: python benchmarks/validate.py [--users N] [--seconds S] [--repeat 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 120.0
CLI = str(Path(sys.executable).parent / "backend-orchestrator")


def _timed(argv: list[str], cwd: Path, env: dict[str, str],
           timeout: float = 900) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - started, done


def _copy_shop(dest: Path) -> Path:
    shop = dest / "shop"
    shutil.copytree(REPO / "examples" / "shop", shop,
                    ignore=shutil.ignore_patterns("__pycache__", "*.db", ".coverage", "ai-state"))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    if shutil.which("git"):
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "shop"]):
            subprocess.run(git + args, cwd=shop, check=True, capture_output=True, timeout=60)
    return shop


def _baseline(shop: Path, env: dict[str, str], repeat: int) -> dict[str, float]:
    """The shop's own test run, without and with coverage (the fastest of ``repeat``)."""
    plain = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]
    covered = [sys.executable, "-m", "coverage", "run", f"--data-file={shop / '.coverage.bench'}", "--source=shop",
               "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]
    best: dict[str, float] = {}
    for name, argv in (("pytest_s", plain), ("pytest_with_coverage_s", covered)):
        for _ in range(max(1, repeat)):
            seconds, done = _timed(argv, shop, env)
            if done.returncode != 0:
                raise SystemExit(f"the shop's own test run failed ({' '.join(argv[1:4])}…):\n{done.stdout[-2000:]}")
            best[name] = min(best.get(name, seconds), seconds)
        (shop / ".coverage.bench").unlink(missing_ok=True)
    return {k: round(v, 2) for k, v in best.items()}


def measure(shop: Path, repeat: int) -> dict[str, object]:
    from backend_orchestrator.workflow.runs import RUNTIME_GATES

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    scan_s, scanned = _timed([CLI, "scan", "--project", str(shop)], shop, env)
    if scanned.returncode != 0:
        raise SystemExit(f"scan failed: {scanned.stderr[-2000:]}")
    baseline = _baseline(shop, env, repeat)
    total_s, done = _timed([CLI, "validate", "--gates", "all", "--format", "json", "--project", str(shop)], shop, env)
    found = re.search(r"evidence and report\.json: (\S+)", done.stderr)
    if done.returncode not in (0, 1) or not found:
        raise SystemExit(f"validate failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads((shop / found[1]).read_text(encoding="utf-8"))
    record = json.loads((shop / found[1]).with_name("run.json").read_text(encoding="utf-8"))
    times = record.get("gate_progress", {})
    starts = [t["started"] for t in times.values() if "started" in t]
    ends = [t["finished"] for t in times.values() if "finished" in t]
    gates_span = (max(ends) - min(starts)) if starts and ends else None
    load = report.get("load") or {}
    load_s = float(load.get("seconds", 0)) if any(g["gate"] == "performance" for g in report["gates"]) else 0.0
    intrinsic = {"tests": baseline["pytest_with_coverage_s"], "performance": load_s}
    gates = {}
    for gate in report["gates"]:
        span = times.get(gate["gate"], {})
        gates[gate["gate"]] = {
            "status": gate["status"], "duration_s": gate["duration_s"],
            "runtime": gate["gate"] in RUNTIME_GATES,
            "started_after_s": round(span["started"] - min(starts), 2) if "started" in span and starts else None,
            "intrinsic_s": intrinsic.get(gate["gate"], 0.0),
            "overhead_s": round(gate["duration_s"] - intrinsic.get(gate["gate"], 0.0), 2),
        }
    runtime_chain = sum(g["duration_s"] for g in gates.values() if g["runtime"])
    static_longest = max((g["duration_s"] for g in gates.values() if not g["runtime"]), default=0.0)
    perf = next((g["metrics"] for g in report["gates"] if g["gate"] == "performance"), {})
    return {
        "total_s": round(total_s, 2),
        "within_target": total_s <= TARGET_S, "target_s": TARGET_S,
        "verdict": report["verdict"],
        "load": load, "load_seconds": load_s,
        "own_test_run": baseline,
        "overhead_s": round(total_s - baseline["pytest_s"] - load_s, 2),
        "overhead_vs_coverage_run_s": round(total_s - baseline["pytest_with_coverage_s"] - load_s, 2),
        "gates_span_s": round(gates_span, 2) if gates_span is not None else None,
        "outside_gates_s": round(total_s - gates_span, 2) if gates_span is not None else None,
        "runtime_chain_s": round(runtime_chain, 2), "longest_static_gate_s": round(static_longest, 2),
        "serial_sum_s": round(sum(g["duration_s"] for g in gates.values()), 2),
        "gates": gates,
        "performance": {k: perf.get(k) for k in ("p50_ms", "p95_ms", "p99_ms", "error_rate", "rps", "requests")},
        "scan_s": round(scan_s, 2),
        "environment": report.get("environment"),
        "machine_load_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, help="load users (default: the shop's load profile)")
    parser.add_argument("--seconds", type=int, help="load seconds (default: the shop's load profile)")
    parser.add_argument("--repeat", type=int, default=1, help="baseline runs; the fastest counts")
    parser.add_argument("--keep", help="work in this folder and keep it")
    args = parser.parse_args()
    for name, value in (("BO_LOAD_USERS", args.users), ("BO_LOAD_SECONDS", args.seconds)):
        if value is not None:
            os.environ[name] = str(value)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bo-validate-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(json.dumps(measure(_copy_shop(work), args.repeat), indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
