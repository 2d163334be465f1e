"""Discovery and the static gates on real backends nobody here wrote, against hand-checked labels (issue 11).

For each app of the corpus (benchmarks/corpus/apps.yaml, fetched from PyPI into a cache outside the
repository), on a fresh copy of its unpacked distribution with `backend-orchestrator.toml` naming its `source`:

  routes   the static scan's routes under `source` (`discovery.scan`) against the inventory of
           `corpus/labels/<app>.routes.yaml` (the app's real routes, listed by importing it in its own venv —
           `corpus/fetch.py --enumerate` — and checked by reading): recall = found∩inventory / inventory,
           precision = found∩inventory / found, matched on the method and the path with parameter names
           normalised to `{}`; the first 15 missed and extra routes;
  rules    `validate --gates api-design,security,architecture,docs --scope project --format json`; each finding
           matched to `corpus/labels/<app>.findings.yaml` by fingerprint (else rule + path + line). Per rule over
           all apps: labelled true / false, precision = true / (true + false), unlabelled, its severity and
           confidence (from the gate classes). A rule that blocks by default (severity at or above its gate's
           `blocks_at`, confidence not low) is flagged below 0.8 (high, critical) or 0.6 (medium);
  crashes  a gate whose status is `error`, a traceback on stderr, an exit status other than 0 and 1 (a failed
           verdict), or a scan that raises;
  speed    the static scan from process start (`python -m backend_orchestrator scan --mode static` in a fresh
           process on a fresh copy: no discovery cache) against the parse-everything floor (a fresh process that
           reads and `ast.parse`s every .py file under `source`): medians of `--repeat` (3) interleaved runs.

Acceptance (issue 11): static route recall and precision >= 0.95 on every app, every rule that blocks by
default at or above its bar on its triaged sample, no crash. A missing labels file is no error: its routes are
not scored (`inventory: null`) and its findings are all unlabelled.

Each rule's `rated` confidence is what its triaged sample gives (`gates.base.measured_confidence`: high at a
precision >= 0.8, medium >= 0.6, else low; none below 5 triaged findings); a declared confidence that differs is
listed under `confidence_not_as_measured`. `--save` records the counts in corpus/precision.json, which
tests/gates/test_rule_confidence.py holds the declarations to.

Prints JSON; `--markdown` prints the README's tables instead.

usage: python benchmarks/real_code.py [--cache DIR] [--markdown] [--repeat 3] [--save] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
LABELS = HERE / "corpus" / "labels"
PRECISION = HERE / "corpus" / "precision.json"
sys.path.insert(0, str(HERE / "corpus"))

from fetch import default_cache, fetch, load_apps  # noqa: E402

STATIC = ["api-design", "security", "architecture", "docs"]
BARS = {"critical": 0.8, "high": 0.8, "medium": 0.6}
FLOOR = ("import ast, pathlib, sys\n"
         "for folder in sys.argv[1:]:\n"
         "    for path in sorted(pathlib.Path(folder).rglob('*.py')):\n"
         "        try:\n"
         "            ast.parse(path.read_bytes(), filename=str(path))\n"
         "        except SyntaxError:\n"
         "            pass\n")
_PARAM = re.compile(r"\{[^{}]*\}")


def _run(argv: list[str], cwd: Path, timeout: float = 1800) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return time.perf_counter() - started, done


def _copy(app: dict[str, Any], cache: Path, into: Path) -> Path:
    """A fresh copy of the app's root with its `source` configured (no ai-state, so no cache)."""
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(fetch(app["name"], cache), into, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (into / "backend-orchestrator.toml").write_text(f"source = {json.dumps(app['source'])}\n", encoding="utf-8")
    return into


def _labels(name: str, kind: str) -> dict[str, Any] | None:
    path = LABELS / f"{name}.{kind}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def _key(route: str) -> str:
    method, _, path = route.strip().partition(" ")
    return f"{method.upper()} {_PARAM.sub('{}', path.strip())}"


def _under(file: str | None, source: list[str]) -> bool:
    return bool(file) and any(str(file).startswith(folder.rstrip("/") + "/") for folder in source)


def _left(routes: list[str], over: Counter[str]) -> list[str]:
    """The routes (as written) behind the keys counted in `over`, the last ones of each key."""
    out = []
    for route in reversed(routes):
        if over[_key(route)] > 0:
            over[_key(route)] -= 1
            out.append(route)
    return sorted(out)


def routes(app: dict[str, Any], root: Path) -> dict[str, Any]:
    """The static scan's routes under `source` against the labelled inventory."""
    from backend_orchestrator.contracts.config import ProjectConfig
    from backend_orchestrator.discovery import scan

    found_routes = sorted({f"{e.method} {e.path}" for e in scan(root, ProjectConfig(source=app["source"])).endpoints
                           .endpoints if _under(e.file, app["source"])})
    labels = _labels(app["name"], "routes")
    out: dict[str, Any] = {"found": len(found_routes), "inventory": None, "labels": None}
    if labels is None:
        return out
    inventory = sorted(set(labels.get("inventory") or []))
    # multisets: two routes whose paths differ only in parameter names (/read/{id}/{fmt}, /read/{sort}/{id}) count twice
    wanted, got = Counter(map(_key, inventory)), Counter(map(_key, found_routes))
    both = wanted & got
    missed, extra = _left(inventory, wanted - got), _left(found_routes, got - wanted)
    matched = sum(both.values())
    out.update({
        "labels": labels.get("source"), "inventory": len(inventory), "matched": matched,
        "recall": round(matched / len(inventory), 3) if inventory else None,
        "precision": round(matched / len(found_routes), 3) if found_routes else None,
        "missed": missed[:15], "missed_count": len(missed), "extra": extra[:15], "extra_count": len(extra),
    })
    return out


def _crashes(what: str, done: subprocess.CompletedProcess[str], ok: tuple[int, ...]) -> list[str]:
    out = []
    if done.returncode not in ok:
        out.append(f"{what}: exit {done.returncode}: {(done.stderr.strip().splitlines() or ['no output'])[-1][:300]}")
    if "Traceback (most recent call last)" in done.stderr:
        out.append(f"{what}: traceback: {done.stderr[done.stderr.rfind('Traceback'):][-600:]}")
    return out


def _verdict(label: dict[Any, Any]) -> bool | None:
    """The label's `true:` (YAML 1.1 reads that key as the boolean True); None when it has none."""
    value = label.get(True, label.get("true"))
    return None if value is None else bool(value)


def findings(app: dict[str, Any], root: Path) -> dict[str, Any]:
    """The static gates on the whole project: findings with their label, status per gate, crashes, seconds, and
    the labels no finding matched (stale: the code or the rule changed since they were written)."""
    report_file = root.parent / f"{root.name}-report.json"
    seconds, done = _run([sys.executable, "-m", "backend_orchestrator", "validate", "--gates", ",".join(STATIC),
                          "--scope", "project", "--format", "json", "--output", str(report_file),
                          "--project", str(root)], root)
    out: dict[str, Any] = {"findings": [], "gates": {}, "crashes": _crashes("validate", done, (0, 1)),
                           "validate_s": round(seconds, 1), "labels_unmatched": None}
    if not report_file.is_file():
        out["crashes"].append("validate wrote no report")
        return out
    report = json.loads(report_file.read_text(encoding="utf-8"))
    out["gates"] = {g["gate"]: g["status"] for g in report["gates"]}
    out["crashes"] += [f"gate {g['gate']}: error: {g.get('summary', '')[:300]}" for g in report["gates"]
                       if g["status"] == "error"]
    labelled = (_labels(app["name"], "findings") or {}).get("findings") or []
    by_print = {str(x["fingerprint"]): i for i, x in enumerate(labelled) if x.get("fingerprint")}
    by_place = {(x["rule"], x.get("path"), x.get("line")): i for i, x in enumerate(labelled)}
    used: set[int] = set()
    for gate in report["gates"]:
        for f in gate["findings"]:
            at = by_print.get(f.get("fingerprint") or "", by_place.get((f["rule_id"], f.get("path"), f.get("line"))))
            used.update([] if at is None else [at])
            out["findings"].append({"rule": f["rule_id"], "gate": gate["gate"], "path": f.get("path"),
                                    "line": f.get("line"), "true": None if at is None else _verdict(labelled[at])})
    out["labels_unmatched"] = len(labelled) - len(used)
    return out


def speed(app: dict[str, Any], cache: Path, work: Path, repeat: int) -> tuple[dict[str, Any], list[str]]:
    """Fresh-process static scans of fresh copies against the parse-everything floor, interleaved."""
    scans, floors, crashes = [], [], []
    for _ in range(repeat):
        root = _copy(app, cache, work / f"{app['name']}-speed")
        seconds, done = _run([sys.executable, "-m", "backend_orchestrator", "scan", "--mode", "static",
                              "--format", "json", "--project", str(root)], root)
        scans.append(seconds)
        crashes += [c for c in _crashes("scan", done, (0,)) if c not in crashes]
        seconds, done = _run([sys.executable, "-c", FLOOR, *app["source"]], root)
        floors.append(seconds)
    scan_s, floor_s = statistics.median(scans), statistics.median(floors)
    return {"scan_s": round(scan_s, 2), "floor_s": round(floor_s, 2), "ratio": round(scan_s / floor_s, 2),
            "runs": {"scan": [round(s, 2) for s in scans], "floor": [round(s, 2) for s in floors]}}, crashes


def measure(app: dict[str, Any], cache: Path, work: Path, repeat: int) -> dict[str, Any]:
    row: dict[str, Any] = {"app": app["name"], "version": app["version"], "framework": app["framework"]}
    root = _copy(app, cache, work / app["name"])
    crashes: list[str] = []
    try:
        row["routes"] = routes(app, root)
    except Exception as exc:  # a crash of static discovery is a result
        row["routes"] = {"found": None, "inventory": None}
        crashes.append(f"discovery.scan: {type(exc).__name__}: {exc}"[:600])
    gated = findings(app, root)
    crashes += gated.pop("crashes")
    row.update(gated)
    row["speed"], more = speed(app, cache, work, repeat)
    row["crashes"] = crashes + more
    shutil.rmtree(root, ignore_errors=True)
    return row


def rule_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rule over all apps: labelled true/false, precision, unlabelled, and whether it fails its bar."""
    from backend_orchestrator.contracts.common import SEVERITIES
    from backend_orchestrator.gates import GATES
    from backend_orchestrator.gates.base import measured_confidence

    meta = {rule.id: (gate, rule) for gate in GATES for rule in gate.rules}
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        for f in row.get("findings", []):
            counts.setdefault(f["rule"], Counter())["unlabelled" if f["true"] is None else str(f["true"]).lower()] += 1
    table = []
    for rule_id in sorted(counts, key=lambda r: (meta[r][0].id if r in meta else "~", r)):
        c = counts[rule_id]
        gate, rule = meta.get(rule_id, (None, None))
        severity, confidence = (rule.severity, rule.confidence) if rule else ("?", "?")
        blocks = gate is not None and rule is not None and confidence != "low" \
            and SEVERITIES.index(severity) <= SEVERITIES.index(gate.blocks_at)
        labelled = c["true"] + c["false"]
        precision = round(c["true"] / labelled, 3) if labelled else None
        bar = BARS.get(severity) if blocks else None
        rated = measured_confidence(c["true"], c["false"])
        table.append({"rule": rule_id, "gate": gate.id if gate else None, "severity": severity,
                      "confidence": confidence, "rated": rated, "blocks_by_default": blocks,
                      "true": c["true"], "false": c["false"],
                      "precision": precision, "unlabelled": c["unlabelled"], "bar": bar,
                      "below_bar": bar is not None and precision is not None and precision < bar})
    return table


def save(table: list[dict[str, Any]]) -> None:
    """The triaged counts per rule, which each rule's declared confidence is held to (test_rule_confidence.py)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    record = {
        "about": "per rule, the findings of benchmarks/real_code.py on the corpus, as triaged in corpus/labels "
                 "(true/false) or not (unlabelled); written by `real_code.py --save`",
        "measured_on": f"{commit.strip()}{' + working tree' if dirty else ''}, {time.strftime('%Y-%m-%d')}",
        "rules": {t["rule"]: {k: t[k] for k in ("true", "false", "precision", "unlabelled")} for t in table},
    }
    PRECISION.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(rows: list[dict[str, Any]], table: list[dict[str, Any]]) -> str:
    lines = ["| app | routes (labelled) | found statically | recall | precision | crashes | scan / floor (s) | ratio |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['app']} | error: {r['error'][:80]} | | | | | | |")
            continue
        routes_, s = r["routes"], r["speed"]
        lines.append(f"| {r['app']} {r['version']} ({r['framework']}) | {routes_.get('inventory') or '–'} "
                     f"| {routes_.get('found') if routes_.get('found') is not None else '–'} "
                     f"| {_pct(routes_.get('recall'))} | {_pct(routes_.get('precision'))} | {len(r['crashes'])} "
                     f"| {s['scan_s']} / {s['floor_s']} | {s['ratio']}× |")
    lines += ["", "| rule | severity | confidence | blocks | true | false | precision | unlabelled |",
              "|---|---|---|---|---|---|---|---|"]
    for t in table:
        mark = " **below its bar**" if t["below_bar"] else ""
        if t["rated"] is not None and t["rated"] != t["confidence"]:
            mark += f" (rates {t['rated']})"
        elif t["rated"] is None and t["true"] + t["false"]:
            mark += " (too few to rate)"
        lines.append(f"| {t['rule']} ({t['gate']}) | {t['severity']} | {t['confidence']} "
                     f"| {'yes' if t['blocks_by_default'] else 'no'} | {t['true']} | {t['false']} "
                     f"| {_pct(t['precision'])}{mark} | {t['unlabelled']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed scans and floors per app (median reported)")
    parser.add_argument("--save", action="store_true",
                        help=f"write the per-rule counts to {PRECISION.relative_to(HERE.parent)} (whole corpus only)")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    if args.save and args.names:
        parser.error("--save measures the whole corpus: name no app")
    apps = [a for a in load_apps() if not args.names or a["name"] in args.names]
    cache = args.cache or default_cache()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bo-real-code-") as work:
        for app in apps:
            try:
                rows.append(measure(app, cache, Path(work), args.repeat))
            except Exception as exc:  # one app's failure is a result, not the end of the benchmark
                rows.append({"app": app["name"], "error": f"{type(exc).__name__}: {exc}"[:1000], "crashes": [str(exc)]})
            print(f"{app['name']}: done", file=sys.stderr, flush=True)
    table = rule_table(rows)
    if args.save:
        save(table)
    if args.markdown:
        print(markdown(rows, table))
        return 0
    scored = [r for r in rows if r.get("routes", {}).get("inventory")]
    acceptance = {
        "routes_below_0.95": [r["app"] for r in scored
                              if (r["routes"]["recall"] or 0) < 0.95 or (r["routes"]["precision"] or 0) < 0.95],
        "routes_unlabelled": [r["app"] for r in rows if r not in scored],
        "rules_below_bar": [t["rule"] for t in table if t["below_bar"]],
        "rules_blocking_unmeasured": [t["rule"] for t in table if t["blocks_by_default"] and t["precision"] is None],
        "confidence_not_as_measured": [t["rule"] for t in table if t["rated"] not in (None, t["confidence"])],
        "crashes": sum(len(r.get("crashes", [])) for r in rows),
    }
    slim = [{k: v for k, v in r.items() if k != "findings"} | {"findings": len(r.get("findings", []))} for r in rows]
    print(json.dumps({"apps": slim, "rules": table, "acceptance": acceptance, "python": sys.version.split()[0]},
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
