"""Context packages on a generated 1,000-endpoint / 200-model project: recall, size, latency, tokens.

The project (generated in a temporary folder, FastAPI + SQLAlchemy 2, never imported here): 200
resources ``/api/v1/res{k}`` with five endpoints each (list, create, read, update, delete) in 40
router modules of five resources; a model ``Res{k}`` (table ``res{k}``) with a foreign key to another
resource's table for 199 of them; schemas ``Res{k}Read``/``Res{k}Create``; 20 outbound service
modules, each used by two router modules; one test file per resource calling its routes; planted
secrets (a settings default, a module constant, a parameter default, a ``.env`` file).

Tasks (60, generated from a fixed seed) name one endpoint, two endpoints, or one model. Each has
known required items, taken from the generator (not from our graph):
  named    — the endpoints and models the task names;
  one hop  — for a named endpoint: its model's table, its handler file, its test file, the services
             its router module uses; for a named model: the tables it references and that reference it.

Reported (JSON): recall of named items (target 100 %) and of one-hop items (target >= 90 %) at the
default budget (4,000); package sizes against the budget (no package may exceed it) and against a
naive full dump (the three registries); whether any planted secret reached a package; latency of
a warm ``prepare_context`` in-process and over a real stdio MCP session (median; target <= 50 ms);
and the token estimate's error against a real tokenizer (the Claude tokenizer the ``anthropic``
SDK shipped offline up to 0.38, read with HF ``tokenizers``; taken from the wheel's cache or
downloaded once with ``pip download anthropic==0.38.0``; set BO_TOKENIZER_JSON to use another file).

usage: python benchmarks/context.py [--keep DIR] [--tasks N] [--calls N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

RESOURCES, PER_MODULE, SERVICES = 200, 5, 20
SECRETS = ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "dev-secret-3f9a1c77e2b54d0c", "hunter2-rotate-me-now-77",
           "AKIAIOSFODNN7EXAMPLEKEY1")


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def parent(k: int) -> int | None:
    """The resource whose table ``res{k}`` references (None for res0): an earlier one, spread evenly."""
    return None if k == 0 else random.Random(k).randrange(k)


def module_of(k: int) -> int:
    return k // PER_MODULE


def services_of(module: int) -> list[int]:
    return sorted({module % SERVICES, (module * 3 + 1) % SERVICES})


def generate(root: Path, resources: int = RESOURCES) -> None:
    _write(root, "pyproject.toml", '[project]\nname = "big"\nversion = "0"\n\n[tool.backend-orchestrator]\n'
           'app = "app.main:app"\nsource = ["app"]\n')
    _write(root, ".env", f"SECRET_KEY={SECRETS[1]}\nSTRIPE_KEY={SECRETS[0]}\n")
    _write(root, "app/__init__.py", "")
    _write(root, "app/settings.py", f'''import os

SECRET_KEY = os.getenv("SECRET_KEY", "{SECRETS[1]}")
PARTNER_URL = os.getenv("PARTNER_URL", "http://127.0.0.1:9000")
''')
    _write(root, "app/db.py", '''from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


def get_session():
    yield Session()


SessionDep = Annotated[Session, Depends(get_session)]
''')
    _write(root, "app/services/__init__.py", "")
    for j in range(SERVICES):
        _write(root, f"app/services/s{j}.py", f'''import httpx

from app import settings

STRIPE_KEY = "{SECRETS[0]}"
client{j} = httpx.Client(base_url=settings.PARTNER_URL, timeout=5.0)


def notify{j}(item_id: int, token: str = "{SECRETS[3]}") -> None:
    client{j}.post("/notify", json={{"id": item_id}})
''')
    models = ["from sqlalchemy import ForeignKey, String\nfrom sqlalchemy.orm import Mapped, mapped_column\n\n"
              "from app.db import Base\n"]
    schemas = ["from pydantic import BaseModel\n"]
    for k in range(resources):
        p = parent(k)
        fk = (f'    parent_id: Mapped[int] = mapped_column(ForeignKey("res{p}.id"))\n' if p is not None else "")
        models.append(f'''

class Res{k}(Base):
    __tablename__ = "res{k}"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), index=True)
{fk}''')
        schemas.append(f'''

class Res{k}Create(BaseModel):
    name: str
    status: str = "new"


class Res{k}Read(Res{k}Create):
    id: int
''')
    _write(root, "app/models.py", "".join(models))
    _write(root, "app/schemas.py", "".join(schemas))
    includes = []
    for m in range(math.ceil(resources / PER_MODULE)):
        svc = services_of(m)
        lines = ["from fastapi import APIRouter, HTTPException\n\n"
                 "from app.db import SessionDep\nfrom app import schemas\n"]
        lines += [f"from app.services.s{j} import notify{j}\n" for j in svc]
        lines.append("\nrouter = APIRouter(prefix=\"/api/v1\")\n")
        for k in range(m * PER_MODULE, min(resources, (m + 1) * PER_MODULE)):
            lines.append(f'''

@router.get("/res{k}", response_model=list[schemas.Res{k}Read])
def list_res{k}(session: SessionDep, limit: int = 20):
    return []


@router.post("/res{k}", response_model=schemas.Res{k}Read, status_code=201)
def create_res{k}(data: schemas.Res{k}Create, session: SessionDep):
    notify{svc[0]}(1)
    return data


@router.get("/res{k}/{{item_id}}", response_model=schemas.Res{k}Read)
def read_res{k}(item_id: int, session: SessionDep):
    raise HTTPException(404)


@router.patch("/res{k}/{{item_id}}", response_model=schemas.Res{k}Read)
def update_res{k}(item_id: int, data: schemas.Res{k}Create, session: SessionDep):
    raise HTTPException(404)


@router.delete("/res{k}/{{item_id}}", status_code=204)
def delete_res{k}(item_id: int, session: SessionDep):
    return None
''')
            _write(root, f"tests/test_res{k}.py", f'''from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_list_res{k}_returns_a_page():
    assert client.get("/api/v1/res{k}").status_code == 200


def test_create_res{k}_returns_201():
    assert client.post("/api/v1/res{k}", json={{"name": "a"}}).status_code == 201


def test_read_res{k}_unknown_id_is_404():
    assert client.get(f"/api/v1/res{k}/{{999}}").status_code == 404


def test_update_and_delete_res{k}():
    assert client.patch("/api/v1/res{k}/1", json={{"name": "b"}}).status_code in (200, 404)
    assert client.delete("/api/v1/res{k}/1").status_code in (204, 404)
''')
        _write(root, f"app/api/m{m}.py", "".join(lines))
        includes.append(f"from app.api import m{m}\napp.include_router(m{m}.router)\n")
    _write(root, "app/api/__init__.py", "")
    _write(root, "app/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n\n" + "".join(includes))


def tasks(count: int, resources: int = RESOURCES, seed: int = 6) -> list[dict[str, object]]:
    """Generated tasks with their required items (named, one hop) taken from the generator."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(count):
        k = rng.randrange(resources)
        shape = i % 3
        if shape == 0:
            eps = [f"GET /api/v1/res{k}"]
            spec = {"description": f"Add filtering by status to the res{k} list", "endpoints": eps, "models": []}
        elif shape == 1:
            eps = [f"POST /api/v1/res{k}", f"PATCH /api/v1/res{k}/{{item_id}}"]
            spec = {"description": f"Validate names on create and update of res{k} (max 80 characters)",
                    "endpoints": eps, "models": []}
        else:
            eps = []
            spec = {"description": f"Add a unique index on the name of Res{k}", "endpoints": [],
                    "models": [f"Res{k}"], "kind": "database"}
        hop: set[str] = set()
        if eps:
            m = module_of(k)
            hop |= {f"table:res{k}", f"file:app/api/m{m}.py", f"test:tests/test_res{k}.py"}
            hop |= {f"service:{s}" for s in _service_names(services_of(m))}
        else:
            p = parent(k)
            if p is not None:
                hop.add(f"table:res{p}")
            hop |= {f"table:res{c}" for c in range(resources) if parent(c) == k}
        named = {f"endpoint:{e}" for e in eps} | {f"table:res{k}" for _ in spec["models"]}  # type: ignore[union-attr]
        out.append({"spec": spec, "named": sorted(named), "one_hop": sorted(hop - named)})
    return out


def _service_names(indices: list[int]) -> list[str]:
    return [f"client{j}" for j in indices]


def contents(package: dict) -> set[str]:
    """The items a package holds, in the task's vocabulary."""
    items = {f"endpoint:{e['method']} {e['path']}" for e in package["endpoints"]["relevant"]}
    items |= {f"table:{t['table']}" for t in package["database"]["tables"]}
    items |= {f"service:{s['name']}" for s in package["services"]}
    for f in package["source"]:
        items.add(("test:" if f["path"].startswith("tests/") else "file:") + f["path"])
    return items


def _tokenizer():  # -> tokenizers.Tokenizer | None, with the reason when None
    try:
        from tokenizers import Tokenizer  # type: ignore[import-not-found]
    except ImportError:
        return None, "pip install tokenizers to measure the estimate's error"
    path = os.environ.get("BO_TOKENIZER_JSON")
    if not path:
        cache = Path.home() / ".cache" / "backend-orchestrator" / "claude-tokenizer.json"
        if not cache.is_file():
            with tempfile.TemporaryDirectory() as tmp:
                got = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                                      "anthropic==0.38.0"], capture_output=True, text=True, timeout=300)
                wheels = list(Path(tmp).glob("anthropic-0.38.0-*.whl"))
                if got.returncode != 0 or not wheels:
                    return None, f"could not fetch anthropic 0.38.0 for its tokenizer: {got.stderr.strip()[-200:]}"
                cache.parent.mkdir(parents=True, exist_ok=True)
                with zipfile.ZipFile(wheels[0]) as whl:
                    cache.write_bytes(whl.read("anthropic/tokenizer.json"))
        path = str(cache)
    return Tokenizer.from_file(path), path


def _mcp_latency(root: Path, task_id: str, calls: int) -> list[float]:
    sys.path.insert(0, str(Path(__file__).parent))
    from startup import session  # the raw JSON-RPC client of the start-up benchmark

    cmd = [sys.executable, "-m", "backend_orchestrator", "serve", "--project", str(root)]
    _, latencies, last = session(cmd, root, "prepare_context", {"task_id": task_id}, calls)
    if not last or last.get("result", {}).get("isError"):
        raise RuntimeError(f"prepare_context over MCP failed: {json.dumps(last)[:400]}")
    return latencies


def measure(root: Path, count: int, calls: int) -> dict[str, object]:
    from backend_orchestrator.context.tokens import compact, estimate_tokens
    from backend_orchestrator.state import Project
    from backend_orchestrator.workflow import prepare_context, receive_task, scan_project

    project = Project.open(root)
    started = time.perf_counter()
    scan_project(project)
    scan_s = time.perf_counter() - started
    generated = tasks(count)
    named_hit = named_all = hop_hit = hop_all = over = leaked = 0
    sizes, cold, warm, missing, errors = [], [], [], [], []
    packages = []
    for case in generated:
        spec = dict(case["spec"])  # type: ignore[arg-type]
        task = receive_task(project, spec.pop("description"), **spec).task  # type: ignore[arg-type]
        t = time.perf_counter()
        package = prepare_context(project, task.id).package.model_dump(mode="json")
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        prepare_context(project, task.id)
        warm.append(time.perf_counter() - t)
        packages.append(package)
        held = contents(package)
        named, hop = set(case["named"]), set(case["one_hop"])  # type: ignore[arg-type]
        named_hit += len(named & held)
        named_all += len(named)
        hop_hit += len(hop & held)
        hop_all += len(hop)
        missing += [f"{task.id}: {item}" for item in sorted(hop - held)]
        used = package["budget"]["used_tokens"]
        sizes.append(used)
        over += used > package["budget"]["limit_tokens"] or estimate_tokens(package) > package["budget"]["limit_tokens"]
        text = compact(package)
        leaked += any(secret in text for secret in SECRETS)
    regs = [json.loads((root / f"ai-state/active/backend/{n}.json").read_text()) for n in ("endpoints", "models",
                                                                                            "services")]
    naive = estimate_tokens(regs)
    tokenizer, where = _tokenizer()
    token_error: dict[str, object] = {"measured": False, "why": where}
    if tokenizer is not None:
        errors = [(estimate_tokens(p) - len(tokenizer.encode(compact(p)).ids)) / len(tokenizer.encode(compact(p)).ids)
                  for p in packages]
        real = [len(tokenizer.encode(compact(p)).ids) for p in packages]
        token_error = {"measured": True, "tokenizer": "anthropic 0.38.0 tokenizer.json (Claude, offline)",
                       "mean_error_percent": round(100 * statistics.fmean(errors), 2),
                       "worst_under_percent": round(100 * min(errors), 2),
                       "worst_over_percent": round(100 * max(errors), 2),
                       "packages_over_budget_by_real_count": sum(r > 4000 for r in real)}
    mcp = _mcp_latency(root, "task-001-api", calls) if calls else []
    return {
        "project": {"endpoints": len(regs[0]["endpoints"]), "models": len(regs[1]["models"]),
                    "services": len(regs[2]["services"]), "scan_s": round(scan_s, 2)},
        "tasks": count,
        "recall_named_percent": round(100 * named_hit / named_all, 2) if named_all else None,
        "recall_one_hop_percent": round(100 * hop_hit / hop_all, 2) if hop_all else None,
        "one_hop_missing": missing[:10],
        "packages_over_budget": over,
        "packages_with_a_planted_secret": leaked,
        "package_tokens": {"median": statistics.median(sizes), "max": max(sizes), "budget": 4000},
        "naive_full_dump_tokens": naive,
        "latency_ms": {"cold_median": round(1000 * statistics.median(cold), 2),
                       "warm_in_process_median": round(1000 * statistics.median(warm), 2),
                       "warm_mcp_median": round(1000 * statistics.median(mcp), 2) if mcp else None,
                       "warm_mcp_p95": round(1000 * sorted(mcp)[int(0.95 * (len(mcp) - 1))], 2) if mcp else None},
        "token_estimate": token_error,
        "targets": {"named_100": named_hit == named_all, "one_hop_90": hop_all == 0 or hop_hit / hop_all >= 0.9,
                    "never_over_budget": over == 0, "no_secret": leaked == 0,
                    "warm_mcp_50ms": bool(mcp) and statistics.median(mcp) <= 0.050},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--calls", type=int, default=40, help="warm MCP calls to time (0: skip)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bo-context-"))
    try:
        if args.keep and root.exists():
            shutil.rmtree(root)
        generate(root)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        print(json.dumps(measure(root, args.tasks, args.calls), indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
