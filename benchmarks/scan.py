"""Static discovery on a generated 1,000-route / 200-model FastAPI project, against importing the app.

In one run, each measurement in a new process (timed from spawn to exit, and inside by the process
itself around the `scan()` call), in this order:
  - cold: static scan with an empty disk cache;
  - no change: static scan again (disk cache warm), then a second scan in the same process;
  - baseline: `from app.main import app; app.openapi()` with our interpreter (the first run compiles
    the project's bytecode, the later ones reuse it and are what the cold scan is compared with);
  - touched: one router module rewritten (one route added), then static scan (the disk cache holds
    the old result, so every file is parsed again), then another module rewritten and a second scan
    in the same process (its parse cache skips the unchanged files).
The project is generated in a temporary folder: 50 router modules in a package, included through
three levels of `include_router` with prefixes, 20 routes each, plus `/health`; 200 SQLAlchemy 2
models in 20 modules, 199 of them with a foreign key. Only fastapi, sqlalchemy and pydantic are needed.

Cold, no change and baseline are repeated (--repeat, 3 by default) and their medians reported, so a
busy machine does not decide the outcome. Targets (issue #3): cold static <= 2 s (from spawn);
no-change rescan <= 10 % of the cold scan (the scan call, in a new process); cold static faster than
the import+openapi baseline (both from spawn; the baseline with its bytecode compiled).

usage: python benchmarks/scan.py [--keep DIR] [--repeat N]
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
import textwrap
import time
from pathlib import Path

GROUPS, RESOURCES_PER_GROUP, SUBRESOURCES = 5, 10, 4  # 50 routers x 4 sub-resources x 5 methods = 1,000
MODEL_MODULES, MODELS_PER_MODULE = 20, 10
EXPECTED_ROUTES, EXPECTED_MODELS, EXPECTED_FOREIGN_KEYS = 1_001, 200, 199
TOUCHED, TOUCHED_AGAIN = "app/api/resources/r7.py", "app/api/resources/r8.py"

# runs in the measured subprocess: argv = root, cache_dir, actions ("scan" or "touch:<rel>:<route>")
RUNNER = """
import json, sys, time
from pathlib import Path
from backend_orchestrator.contracts.config import ProjectConfig
from backend_orchestrator.discovery import scan
root, cache_dir, results = Path(sys.argv[1]), Path(sys.argv[2]), []
for action in sys.argv[3:]:
    if action.startswith("touch:"):
        _, rel, route = action.split(":")
        path = root / rel
        path.write_text(path.read_text() + f"\\n@router.get('/{route}')\\ndef {route}():\\n    return None\\n")
        continue
    started = time.perf_counter()
    found = scan(root, ProjectConfig(), cache_dir=cache_dir)
    seconds = time.perf_counter() - started
    results.append({
        "scan_seconds": round(seconds, 4),
        "routes": len(found.endpoints.endpoints),
        "models": len(found.models.models),
        "foreign_keys": sum(1 for m in found.models.models for c in m.columns if c.foreign_key),
        "unresolved": len(found.endpoints.unresolved) + len(found.models.unresolved),
        "framework": found.endpoints.framework,
    })
print(json.dumps(results))
"""

BASELINE = """
import json
from app.main import app
spec = app.openapi()
print(json.dumps({"operations": sum(len(item) for item in spec["paths"].values())}))
"""


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def _resource(k: int) -> str:
    module = k % MODEL_MODULES
    lines = [
        "from typing import Annotated",
        "",
        "from fastapi import APIRouter, Depends, HTTPException, status",
        "from pydantic import BaseModel",
        "from sqlalchemy import select",
        "from sqlalchemy.orm import Session",
        "",
        "from app.deps import get_current_user, get_db",
        f"from app.models.m{module} import Model{module}_0",
        "",
        f"router = APIRouter(prefix='/r{k}', tags=['r{k}'])",
        "",
        "",
        f"class Item{k}Create(BaseModel):\n    name: str\n    size: int = 0\n\n",
        f"class Item{k}Out(BaseModel):\n    id: int\n    name: str\n\n",
    ]
    for n in range(SUBRESOURCES):
        base = f"/sub{n}"
        lines += [
            f"@router.get('{base}', response_model=list[Item{k}Out])",
            f"def list_sub{n}(db: Session = Depends(get_db), limit: int = 50):",
            f'    """List sub-resource {n}."""',
            f"    return db.scalars(select(Model{module}_0).limit(limit)).all()\n\n",
            f"@router.post('{base}', status_code=status.HTTP_201_CREATED, response_model=Item{k}Out)",
            f"def create_sub{n}(body: Item{k}Create, user: Annotated[str, Depends(get_current_user)]):",
            "    return {'id': 1, 'name': body.name}\n\n",
            f"@router.get('{base}/{{item_id}}', response_model=Item{k}Out)",
            f"def get_sub{n}(item_id: int, db: Session = Depends(get_db)):",
            "    if item_id < 0:\n        raise HTTPException(status_code=404, detail='missing')",
            "    return {'id': item_id, 'name': 'x'}\n\n",
            f"@router.put('{base}/{{item_id}}', response_model=Item{k}Out)",
            f"def update_sub{n}(item_id: int, body: Item{k}Create, user: str = Depends(get_current_user)):",
            "    return {'id': item_id, 'name': body.name}\n\n",
            f"@router.delete('{base}/{{item_id}}', status_code=204)",
            f"def delete_sub{n}(item_id: int, user: str = Depends(get_current_user)) -> None:",
            "    return None\n\n",
        ]
    return "\n".join(lines)


def _models(m: int) -> str:
    lines = [
        "from datetime import datetime",
        "",
        "from sqlalchemy import DateTime, ForeignKey, String",
        "from sqlalchemy.orm import Mapped, mapped_column",
        "",
        "from app.models.base import Base",
        "",
    ]
    for i in range(MODELS_PER_MODULE):
        lines += [
            f"\nclass Model{m}_{i}(Base):",
            f"    __tablename__ = 'table_{m}_{i}'",
            "    id: Mapped[int] = mapped_column(primary_key=True)",
            "    name: Mapped[str] = mapped_column(String(100), index=True)",
            "    note: Mapped[str | None]",
            "    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))",
        ]
        if i > 0:
            lines.append(f"    parent_id: Mapped[int] = mapped_column(ForeignKey('table_{m}_{i - 1}.id'))")
        elif m > 0:
            lines.append(
                f"    other_id: Mapped[int | None] = mapped_column(ForeignKey('table_{m - 1}_0.id'))"
            )
    return "\n".join(lines) + "\n"


def generate(root: Path) -> None:
    """The synthetic project: app -> api router -> 5 group routers -> 50 resource routers."""
    for package in ("app", "app/models", "app/api", "app/api/groups", "app/api/resources"):
        _write(root, f"{package}/__init__.py", "")
    _write(
        root,
        "app/deps.py",
        """
        from collections.abc import Iterator

        from fastapi import Depends
        from fastapi.security import OAuth2PasswordBearer

        oauth2 = OAuth2PasswordBearer(tokenUrl="token")


        def get_db() -> Iterator[None]:
            yield None


        def get_current_user(token: str = Depends(oauth2)) -> str:
            return token
        """,
    )
    _write(
        root,
        "app/models/base.py",
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n",
    )
    for m in range(MODEL_MODULES):
        _write(root, f"app/models/m{m}.py", _models(m))
    k = 0
    for g in range(GROUPS):
        imports: list[str] = []
        includes: list[str] = []
        for j in range(RESOURCES_PER_GROUP):
            _write(root, f"app/api/resources/r{k}.py", _resource(k))
            imports.append(f"from app.api.resources import r{k}")
            includes.append(f"router.include_router(r{k}.router, prefix='/v{j}')")
            k += 1
        header = "from fastapi import APIRouter\n\n" + "\n".join(imports)
        _write(
            root,
            f"app/api/groups/g{g}.py",
            f"{header}\n\nrouter = APIRouter(prefix='/g{g}')\n" + "\n".join(includes),
        )
    groups = ", ".join(f"g{g}" for g in range(GROUPS))
    group_includes = "\n".join(f"api_router.include_router(g{g}.router)" for g in range(GROUPS))
    _write(
        root,
        "app/api/router.py",
        f"from fastapi import APIRouter\n\nfrom app.api.groups import {groups}\n\n"
        f"api_router = APIRouter()\n{group_includes}\n",
    )
    _write(
        root,
        "app/main.py",
        """
        from fastapi import FastAPI

        from app.api.router import api_router

        app = FastAPI(title="synthetic")
        app.include_router(api_router, prefix="/api")


        @app.get("/health")
        def health() -> dict[str, str]:
            return {"status": "ok"}
        """,
    )


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, object]:
    """(seconds from spawn to exit, the JSON the process printed)."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed:\n{done.stderr}")
    return round(seconds, 4), json.loads(done.stdout)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


def _summary(runs: list[dict[str, object]], walls: list[float] | None = None) -> dict[str, object]:
    """Medians of the repeated runs (wall time when measured from spawn), the counts, every run's times."""
    scans = [float(r["scan_seconds"]) for r in runs]  # type: ignore[arg-type]
    counts = {k: v for k, v in runs[0].items() if k != "scan_seconds"}
    times: dict[str, object] = {"scan_seconds": _median(scans)}
    if walls:
        times = {"wall_seconds": _median(walls), **times, "wall_runs": walls}
    return {
        **times,
        **counts,
        "scan_runs": scans,
        "same_counts_every_run": all(
            {k: v for k, v in r.items() if k != "scan_seconds"} == counts for r in runs
        ),
    }


def measure(root: Path, repeat: int) -> dict[str, object]:
    caches = root / "ai-state" / "active" / "backend" / ".cache"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def static(cache_dir: Path, *actions: str) -> tuple[float, list[dict[str, object]]]:
        seconds, results = _run(
            [sys.executable, "-c", RUNNER, str(root), str(cache_dir), *actions], root, env
        )
        assert isinstance(results, list)
        return seconds, results

    cold_walls, cold_runs, warm_walls, warm_runs, again_runs = [], [], [], [], []
    for i in range(repeat):  # each repetition starts from its own empty cache
        wall, (cold,) = static(caches / f"discovery-{i}", "scan")
        cold_walls.append(wall)
        cold_runs.append(cold)
        wall, (warm, again) = static(caches / f"discovery-{i}", "scan", "scan")
        warm_walls.append(wall)
        warm_runs.append(warm)
        again_runs.append(again)
    baseline_env = {**os.environ, "PYTHONPATH": str(root)}
    baseline_walls, specs = [], []
    for _ in range(repeat):  # the first run writes the project's __pycache__, the others reuse it
        wall, spec = _run([sys.executable, "-c", BASELINE], root, baseline_env)
        baseline_walls.append(wall)
        specs.append(spec)
    touched_wall, (touched, touched_again) = static(
        caches / "discovery-0",
        f"touch:{TOUCHED}:extra_one",
        "scan",
        f"touch:{TOUCHED_AGAIN}:extra_two",
        "scan",
    )
    cold_summary, warm_summary = _summary(cold_runs, cold_walls), _summary(warm_runs, warm_walls)
    cold_wall, cold_scan = float(cold_summary["wall_seconds"]), float(cold_summary["scan_seconds"])  # type: ignore[arg-type]
    warm_wall, warm_scan = float(warm_summary["wall_seconds"]), float(warm_summary["scan_seconds"])  # type: ignore[arg-type]
    baseline_best = _median(baseline_walls[1:] or baseline_walls)
    cold = cold_runs[0]
    operations = [s["operations"] if isinstance(s, dict) else None for s in specs]
    return {
        "project": {
            "files": sum(1 for _ in (root / "app").rglob("*.py")),
            "routes_expected": EXPECTED_ROUTES,
            "models_expected": EXPECTED_MODELS,
            "foreign_keys_expected": EXPECTED_FOREIGN_KEYS,
            "repeat": repeat,
        },
        "cold_static": cold_summary,
        "no_change_new_process": warm_summary,
        "no_change_same_process": _summary(again_runs),
        "touched_one_file_new_process": {"wall_seconds_incl_second_scan": touched_wall, **touched},
        "touched_another_file_same_process": touched_again,
        "baseline_import_openapi": {
            "wall_seconds_first": baseline_walls[0],
            "wall_seconds_bytecode_cached": baseline_best,
            "wall_runs": baseline_walls,
            "operations": operations[0],
        },
        "ratios": {
            "no_change_scan_over_cold_scan": round(warm_scan / cold_scan, 4),
            "no_change_wall_over_cold_wall": round(warm_wall / cold_wall, 4),
            "cold_wall_over_baseline_wall": round(cold_wall / baseline_best, 4),
        },
        "correct": {
            "cold": (cold["routes"], cold["models"], cold["foreign_keys"], cold["unresolved"])
            == (EXPECTED_ROUTES, EXPECTED_MODELS, EXPECTED_FOREIGN_KEYS, 0),
            "every_run_same_counts": bool(cold_summary["same_counts_every_run"])
            and bool(warm_summary["same_counts_every_run"])
            and all(w["routes"] == cold["routes"] for w in [*warm_runs, *again_runs]),
            "touched_sees_the_new_routes": (touched["routes"], touched_again["routes"])
            == (EXPECTED_ROUTES + 1, EXPECTED_ROUTES + 2),
            "baseline_agrees": operations == [EXPECTED_ROUTES] * repeat,
        },
        "targets": {
            "cold_static_within_2s": cold_wall <= 2.0,
            "no_change_within_10_percent_of_cold": warm_scan <= 0.10 * cold_scan,
            "cold_static_faster_than_baseline": cold_wall < baseline_best,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="generate the project here and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (medians reported)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="scan-bench-"))
    try:
        if root.exists() and any(root.iterdir()):
            raise SystemExit(f"{root} is not empty")
        generate(root)
        print(json.dumps(measure(root, max(1, args.repeat)), indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
