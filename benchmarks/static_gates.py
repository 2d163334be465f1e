"""The static gates on a generated ~50,000-line FastAPI project, and on examples/shop: per-gate wall time.

In one run, in this process (as `validate` runs them):
  - generate the project in a temporary folder: per resource a router (six handlers: paginated list, read,
    create, update, delete, an action), a service, pydantic schemas and SQLAlchemy 2 models, plus settings,
    dependencies and the app; one resource in ten carries planted anti-patterns (database access, a blocking
    call or a big handler in a route, outbound calls without timeout or error handling, hardcoded URLs and a
    fallback secret, an unauthenticated DELETE, SQL built with an f-string, email sent in the request), so the
    gates have real work to do. The project imports: its OpenAPI document is recorded under ai-state/ before
    two breaking changes are made, so the `contract` gate has a base to compare with;
  - one static scan (`discovery.scan`), timed: the registries every gate then shares;
  - each gate of GATE_IDS through `run_gate`, with a fresh GateContext each. A gate whose module exists but is
    not yet in `GATES` runs too, marked `"registered": false`; a gate with no module is "not registered".
    `contract` is listed by the issue but imports the app in a subprocess (that is part of its time).
Prints JSON. Targets (issue #4): all static gates together (with the scan) within 30 s on the generated
project; the architecture gate well under 10 s.

usage: python benchmarks/static_gates.py [--keep DIR] [--resources N]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

GATE_IDS = ["api-design", "contract", "security", "architecture", "docs"]
RESOURCES = 80
EVIDENCE = Path("ai-state") / "active" / "backend" / "artifacts" / "static-gates-bench"

OPENAPI = """
import json, sys
sys.path.insert(0, ".")
from app.main import app
json.dump(app.openapi(), open(sys.argv[1], "w", encoding="utf-8"), indent=1)
"""


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def _model(k: int) -> str:
    fields = "\n".join(f"    attr_{n}: Mapped[str | None] = mapped_column(String(80), default=None)" for n in range(8))
    return f'''
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class Res{k}(Base):
    """Resource {k}."""

    __tablename__ = "res_{k}"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
{fields}
    notes: Mapped[list["Res{k}Note"]] = relationship(back_populates="parent", cascade="all, delete-orphan")


class Res{k}Note(Base):
    """A note on resource {k}."""

    __tablename__ = "res_{k}_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("res_{k}.id"), index=True)
    body: Mapped[str] = mapped_column(String(2000))
    parent: Mapped[Res{k}] = relationship(back_populates="notes")
'''


def _schemas(k: int, head: bool) -> str:
    required = "    reason: str = Field(min_length=3)\n" if head and k == 1 else ""  # breaking: new required field
    attrs = "\n".join(f"    attr_{n}: str | None = Field(None, max_length=80)" for n in range(8))
    return f'''
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Res{k}Create(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    price_cents: int = Field(0, ge=0)
    stock: int = Field(0, ge=0)
{required}{attrs}


class Res{k}Update(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=120)
    price_cents: int | None = Field(None, ge=0)
    stock: int | None = Field(None, ge=0)
    status: Literal["draft", "active", "archived"] | None = None


class Res{k}Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    price_cents: int
    stock: int
    status: str
    created_at: datetime | None = None
{attrs}


class Res{k}Page(BaseModel):
    items: list[Res{k}Read]
    total: int
    limit: int
    offset: int
'''


def _helpers(k: int, count: int) -> str:
    """Plain, realistic service code: validation and computation helpers."""
    blocks = []
    for n in range(count):
        blocks.append(f'''
def score_{n}(price_cents: int, stock: int, status: str) -> int:
    """A ranking score for listing resource {k} (variant {n})."""
    base = price_cents // 100 + stock * {n + 1}
    if status == "archived":
        return 0
    if status == "draft":
        base //= 2
    bonus = sum(1 for ch in str(price_cents) if ch in "79")
    return max(0, base + bonus - {n})


def normalise_{n}(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned[:80] or None
''')
    return "".join(blocks)


def _service(k: int) -> str:
    planted = ""
    if k % 10 == 4:  # hardcoded URL, outbound call with no timeout and no error handling
        planted = '''
import requests

PARTNER_URL = "https://partner.example.com/api"


def partner_price(name: str) -> int:
    response = requests.get(f"{PARTNER_URL}/prices/{name}")
    return int(response.json()["price_cents"])
'''
    elif k % 10 == 5:  # SQL built with an f-string
        planted = '''
from sqlalchemy import text


def search_by_name(session: Session, name: str) -> list[int]:
    rows = session.execute(text(f"SELECT id FROM res_''' + str(k) + ''' WHERE name = '{name}'"))
    return [row[0] for row in rows]
'''
    elif k % 10 == 7:  # a fallback secret
        planted = '''
import os

PARTNER_TOKEN = os.getenv("PARTNER_TOKEN", "tok-partner-live-8f2a9c")
'''
    return f'''
"""Service for resource {k}: the only place that queries it."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.m{k} import Res{k}
from app.schemas.sc{k} import Res{k}Create, Res{k}Update
{planted}

class Res{k}NotFound(LookupError):
    """No such resource {k}."""


def list_res(session: Session, limit: int, offset: int) -> tuple[Sequence[Res{k}], int]:
    total = session.scalar(select(func.count()).select_from(Res{k})) or 0
    rows = session.scalars(select(Res{k}).order_by(Res{k}.id).limit(limit).offset(offset)).all()
    return rows, total


def get_res(session: Session, item_id: int) -> Res{k}:
    item = session.get(Res{k}, item_id)
    if item is None:
        raise Res{k}NotFound(item_id)
    return item


def create_res(session: Session, owner_id: int, data: Res{k}Create) -> Res{k}:
    item = Res{k}(owner_id=owner_id, **data.model_dump())
    item.name = normalise_0(item.name) or item.name
    session.add(item)
    session.commit()
    session.refresh(item)
    return item


def update_res(session: Session, item_id: int, data: Res{k}Update) -> Res{k}:
    item = get_res(session, item_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    session.commit()
    session.refresh(item)
    return item


def delete_res(session: Session, item_id: int) -> None:
    session.delete(get_res(session, item_id))
    session.commit()


def activate_res(session: Session, item_id: int) -> Res{k}:
    item = get_res(session, item_id)
    item.status = "active" if item.stock > 0 else "draft"
    session.commit()
    return item
{_helpers(k, 24)}'''


def _router(k: int, head: bool) -> str:
    lines = [
        "import smtplib\nimport time\nimport urllib.request\n" if k % 10 in (2, 6) else "",
        "from typing import Annotated\n",
        "from fastapi import APIRouter, Depends, HTTPException, Query, status",
        "from sqlalchemy import select" if k % 10 == 1 else "",
        "",
        "from app.deps import CurrentUser, SessionDep",
        f"from app.models.m{k} import Res{k}" if k % 10 == 1 else "",
        f"from app.schemas.sc{k} import Res{k}Create, Res{k}Page, Res{k}Read, Res{k}Update",
        f"from app.services import s{k} as service",
        "",
        f'router = APIRouter(prefix="/res-{k}", tags=["res-{k}"])',
        "",
        "",
    ]
    if k % 10 == 1:  # database access in the handler
        lines.append(f'''
@router.get("", response_model=list[Res{k}Read], summary="List resource {k}")
def list_res(session: SessionDep) -> list[Res{k}]:
    return list(session.scalars(select(Res{k})).all())
''')
    else:
        lines.append(f'''
@router.get("", response_model=Res{k}Page, summary="List resource {k}")
def list_res(session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 20,
             offset: Annotated[int, Query(ge=0)] = 0) -> Res{k}Page:
    rows, total = service.list_res(session, limit, offset)
    return Res{k}Page(items=[Res{k}Read.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)
''')
    if k % 10 == 2:  # blocking calls in an async handler
        lines.append(f'''
@router.get("/{{item_id}}", response_model=Res{k}Read, summary="Read resource {k}")
async def read_res(item_id: int, session: SessionDep) -> Res{k}Read:
    time.sleep(0.01)
    urllib.request.urlopen("http://inventory.internal/ping")
    try:
        return Res{k}Read.model_validate(service.get_res(session, item_id))
    except service.Res{k}NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from exc
''')
    else:
        lines.append(f'''
@router.get("/{{item_id}}", response_model=Res{k}Read, summary="Read resource {k}",
            responses={{404: {{"description": "Not found"}}}})
def read_res(item_id: int, session: SessionDep) -> Res{k}Read:
    try:
        return Res{k}Read.model_validate(service.get_res(session, item_id))
    except service.Res{k}NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from exc
''')
    if k % 10 == 3:  # a big handler with a bare except
        checks = "\n".join(f"    if data.stock > {n * 10} and data.price_cents < {n * 100}:\n        score += {n}"
                           for n in range(10))
        lines.append(f'''
@router.post("", response_model=Res{k}Read, status_code=status.HTTP_201_CREATED, summary="Create resource {k}")
def create_res(data: Res{k}Create, session: SessionDep, user: CurrentUser) -> Res{k}Read:
    score = 0
{checks}
    try:
        item = service.create_res(session, user, data)
    except:  # noqa: E722
        raise HTTPException(status.HTTP_409_CONFLICT, "conflict")
    return Res{k}Read.model_validate(item)
''')
    else:
        lines.append(f'''
@router.post("", response_model=Res{k}Read, status_code=status.HTTP_201_CREATED, summary="Create resource {k}")
def create_res(data: Res{k}Create, session: SessionDep, user: CurrentUser) -> Res{k}Read:
    return Res{k}Read.model_validate(service.create_res(session, user, data))
''')
    lines.append(f'''
@router.patch("/{{item_id}}", response_model=Res{k}Read, summary="Update resource {k}")
def update_res(item_id: int, data: Res{k}Update, session: SessionDep, user: CurrentUser) -> Res{k}Read:
    try:
        return Res{k}Read.model_validate(service.update_res(session, item_id, data))
    except service.Res{k}NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from exc
''')
    auth = "" if k % 10 == 5 else ", user: CurrentUser"  # an unauthenticated DELETE
    lines.append(f'''
@router.delete("/{{item_id}}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete resource {k}")
def delete_res(item_id: int, session: SessionDep{auth}) -> None:
    try:
        service.delete_res(session, item_id)
    except service.Res{k}NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from exc
''')
    if not (head and k == 0):  # breaking: an operation removed after the contract was recorded
        mail = "    _notify(user)\n" if k % 10 == 6 else ""
        lines.append(f'''
@router.post("/{{item_id}}/activation", response_model=Res{k}Read, summary="Activate resource {k}")
def activate_res(item_id: int, session: SessionDep, user: CurrentUser) -> Res{k}Read:
{mail}    try:
        return Res{k}Read.model_validate(service.activate_res(session, item_id))
    except service.Res{k}NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found") from exc
''')
    if k % 10 == 6:  # email sent in the request path
        lines.append('''
def _notify(user: int) -> None:
    with smtplib.SMTP("smtp.example.com") as smtp:
        smtp.sendmail("noreply@example.com", [f"user{user}@example.com"], "activated")
''')
    return "\n".join(lines)


def generate(root: Path, resources: int, head: bool = True) -> None:
    for package in ("app", "app/models", "app/schemas", "app/services", "app/routers"):
        _write(root, f"{package}/__init__.py", "")
    _write(root, "app/settings.py", '''
        from pydantic_settings import BaseSettings, SettingsConfigDict


        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="SYN_")

            database_url: str = "sqlite:///./synthetic.db"
            secret_key: str = ""
            page_size_max: int = 100


        settings = Settings()
    ''')
    _write(root, "app/models/base.py", '''
        from sqlalchemy import String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"

            id: Mapped[int] = mapped_column(primary_key=True)
            email: Mapped[str] = mapped_column(String(200), unique=True)
    ''')
    _write(root, "app/deps.py", '''
        from collections.abc import Iterator
        from typing import Annotated

        from fastapi import Depends, HTTPException, status
        from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session, sessionmaker

        from app.settings import settings

        engine = create_engine(settings.database_url)
        SessionLocal = sessionmaker(bind=engine)
        bearer = HTTPBearer()


        def get_session() -> Iterator[Session]:
            with SessionLocal() as session:
                yield session


        def get_current_user(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> int:
            if not credentials.credentials.isdigit():
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token")
            return int(credentials.credentials)


        SessionDep = Annotated[Session, Depends(get_session)]
        CurrentUser = Annotated[int, Depends(get_current_user)]
    ''')
    for k in range(resources):
        _write(root, f"app/models/m{k}.py", _model(k))
        _write(root, f"app/schemas/sc{k}.py", _schemas(k, head))
        _write(root, f"app/services/s{k}.py", _service(k))
        _write(root, f"app/routers/r{k}.py", _router(k, head))
    imports = "\n".join(f"from app.routers import r{k}" for k in range(resources))
    includes = "\n".join(f"api.include_router(r{k}.router)" for k in range(resources))
    app = 'app = FastAPI(title="synthetic", version="1.0.0")\napi = APIRouter(prefix="/api/v1")\n'
    _write(root, "app/main.py", f"from fastapi import APIRouter, FastAPI\n\n{imports}\n\n{app}{includes}\n"
                                "app.include_router(api)\n")


def record_contract(root: Path) -> bool:
    """The app's OpenAPI document as the last scan would record it (the contract gate's base)."""
    target = root / "ai-state" / "active" / "backend" / "openapi.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", OPENAPI, str(target)], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    return done.returncode == 0


def gate_classes() -> dict[str, tuple[type, bool] | None]:
    """gate id -> (class, registered in GATES), or None when no module defines it."""
    from backend_orchestrator.gates import GATES
    from backend_orchestrator.gates.base import Gate

    registered = {g.id: g for g in GATES}
    found: dict[str, tuple[type, bool] | None] = {}
    for gate_id in GATE_IDS:
        if gate_id in registered:
            found[gate_id] = (registered[gate_id], True)
            continue
        try:
            module = importlib.import_module(f"backend_orchestrator.gates.{gate_id.replace('-', '_')}")
        except ImportError:
            found[gate_id] = None
            continue
        classes = [c for c in vars(module).values()
                   if isinstance(c, type) and issubclass(c, Gate) and getattr(c, "id", None) == gate_id]
        found[gate_id] = (classes[0], False) if classes else None
    return found


def measure(root: Path, source: list[str]) -> dict[str, object]:
    from backend_orchestrator.contracts.config import ProjectConfig
    from backend_orchestrator.discovery import scan
    from backend_orchestrator.gates.base import GateContext, Registries, run_gate

    config = ProjectConfig(source=source)
    files = [p for s in source for p in (root / s).rglob("*.py")]
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in files)
    started = time.perf_counter()
    found = scan(root, config)
    scan_s = time.perf_counter() - started
    registries = Registries(found.endpoints, found.models, found.services)
    gates: dict[str, object] = {}
    total = scan_s
    for gate_id, entry in gate_classes().items():
        if entry is None:
            gates[gate_id] = {"status": "not registered"}
            continue
        cls, registered = entry
        ctx = GateContext(root=root.resolve(), config=config, evidence_dir=root / EVIDENCE)
        ctx._registries = registries
        started = time.perf_counter()
        result = run_gate(cls(), ctx)
        seconds = time.perf_counter() - started
        total += seconds
        by_severity: dict[str, int] = {}
        for finding in result.findings:
            by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
        gates[gate_id] = {"registered": registered, "status": result.status, "seconds": round(seconds, 3),
                          "findings": len(result.findings), "by_severity": by_severity,
                          "summary": result.summary[:300]}
    ran = [g for g in gates.values() if isinstance(g, dict) and "seconds" in g]
    return {
        "project": {"files": len(files), "lines": lines, "routes": len(found.endpoints.endpoints),
                    "models": len(found.models.models)},
        "scan_seconds": round(scan_s, 3),
        "gates": gates,
        "findings_total": sum(int(g["findings"]) for g in ran),
        "total_seconds_incl_scan": round(total, 3),
        "all_static_gates_within_30_s": total <= 30.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="generate the project here and keep it")
    parser.add_argument("--resources", type=int, default=RESOURCES, help="resources (4 files each)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="static-gates-bench-"))
    shop = Path(tempfile.mkdtemp(prefix="static-gates-shop-")) / "shop"
    try:
        if root.exists() and any(root.iterdir()):
            raise SystemExit(f"{root} is not empty")
        generate(root, args.resources, head=False)
        recorded = record_contract(root)
        generate(root, args.resources, head=True)  # two breaking changes since the recorded contract
        synthetic = measure(root, ["app"])
        synthetic["contract_recorded"] = recorded
        architecture = synthetic["gates"]["architecture"]  # type: ignore[index]
        synthetic["architecture_within_10_s"] = isinstance(architecture, dict) and float(
            architecture.get("seconds", 99)) < 10.0
        from backend_orchestrator.resources import example_dir

        shutil.copytree(example_dir("shop"), shop, ignore=shutil.ignore_patterns(
            "__pycache__", "*.db", ".coverage", "ai-state", ".ruff_cache"))
        print(json.dumps({"generated": synthetic, "examples/shop": measure(shop, ["shop"])}, indent=2))
    finally:
        shutil.rmtree(shop.parent, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
