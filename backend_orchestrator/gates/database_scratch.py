"""Which server database the ``database`` gate may migrate, and keeping its passwords out of every file.

The gate migrates a non-SQLite database only through the scratch URL (``BO_SCRATCH_DATABASE_URL``
for one run, else ``scratch_database_url``) and refuses one that names a database the application
uses: the configured ``database_url``, alembic.ini's ``sqlalchemy.url`` and the app's database
variable (``database_env``) as set in our environment. Two URLs name the same database when the
backend, the server and the database name agree; every loopback name and unix socket counts as the
same local server, so ``localhost`` and ``127.0.0.1`` cannot be used to slip past the check.

The gate itself never connects to any database (it has no driver); the probe does, in the target's
interpreter, and on PostgreSQL works in a fresh schema of the scratch database that it drops at the
end (see ``database_probe.py``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..contracts.config import ProjectConfig
from .database_backup import mask_url

SCRATCH_ENV = "BO_SCRATCH_DATABASE_URL"
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "ip6-localhost"}
# psycopg's, psycopg2's and asyncpg's module names → what to pip install for them
_DRIVER_PACKAGES = {"psycopg2": "psycopg2-binary", "psycopg": "'psycopg[binary]'", "asyncpg": "asyncpg",
                    "pg8000": "pg8000", "MySQLdb": "mysqlclient", "pymysql": "pymysql", "pyodbc": "pyodbc"}


def scratch_url(config: ProjectConfig) -> str | None:
    return os.environ.get(SCRATCH_ENV, "").strip() or config.scratch_database_url or None


def backend(url: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql`` (``postgres`` is an alias)."""
    name = url.split(":", 1)[0].split("+", 1)[0].lower()
    return "postgresql" if name == "postgres" else name


def identity(url: str) -> tuple[str, str, int | None, str]:
    """(backend, server, port, database) of a URL, the server being ``local`` for loopback and sockets."""
    parts = urlsplit(url)
    kind = backend(url)
    query = parse_qs(parts.query)
    host = (parts.hostname or (query.get("host") or [""])[0] or "").lower()
    server = "local" if host in _LOCAL_HOSTS or host.startswith("/") or host.startswith("127.") else host
    try:
        port = parts.port or _DEFAULT_PORTS.get(kind)
    except ValueError:
        port = None
    database = unquote(parts.path.lstrip("/")) or (query.get("dbname") or [""])[0] or unquote(parts.username or "")
    return kind, server, port, database


def refusal(scratch: str, protected: dict[str, str]) -> str | None:
    """Why ``scratch`` must not be migrated, or None: it names one of the ``protected`` databases, or it
    is not of the same kind as the first of them (the database the gate checks the migrations for)."""
    mine = identity(scratch)
    for n, (label, url) in enumerate(protected.items()):
        theirs = identity(url)
        if n == 0 and theirs[0] != mine[0]:
            return (f"the scratch database {mask_url(scratch)} is {mine[0]} but {label} is {theirs[0]}: the round "
                    "trip must run on the same kind of database; point the scratch URL at an empty "
                    f"{theirs[0]} database")
        if theirs == mine:
            return (f"the scratch database {mask_url(scratch)} is the database {label} names ({mask_url(url)}): the "
                    "gate migrates only a separate, throwaway database; point the scratch URL at one "
                    "(e.g. `CREATE DATABASE shop_scratch` on the same server)")
    return None


def protected_urls(config: ProjectConfig, ini_value: str | None) -> dict[str, str]:
    """The server databases the application may use, by where they were found, the configured one first."""
    found = {"database_url": config.database_url or "", "alembic.ini's sqlalchemy.url": ini_value or ""}
    name = config.database_env or os.environ.get("BO_DATABASE_ENV", "").strip()
    if name:
        found[f"${name}"] = os.environ.get(name, "").strip()
    return {label: value for label, value in found.items() if value and not value.startswith("sqlite")}


def driver_hint(missing: str, python: str) -> str:
    """``No module named 'psycopg2'`` → the pip command that installs it into the target's interpreter."""
    match = re.search(r"No module named '([\w.]+)'", missing)
    module = match.group(1).split(".")[0] if match else ""
    package = _DRIVER_PACKAGES.get(module, module or "<the driver>")
    hint = f"`{python} -m pip install {package}`"
    if module == "psycopg2":
        hint += " (or name psycopg 3 in the URL, `postgresql+psycopg://…`, and install 'psycopg[binary]')"
    return hint


def passwords(*urls: str | None) -> list[str]:
    """The passwords in ``urls``, as written and decoded (to scrub files the gate did not write itself)."""
    found: set[str] = set()
    for url in urls:
        if not url:
            continue
        raw = re.match(r"^[^:]+://[^:/@\s]+:([^@\s]*)@", url)
        if raw and len(raw.group(1)) >= 3:
            found |= {raw.group(1), unquote(raw.group(1))}
    return sorted(found, key=len, reverse=True)


def scrub(path: Path, secrets: list[str]) -> None:
    """Mask URL credentials and the literal ``secrets`` in an evidence file written by the target's code."""
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    clean = mask_url(text)
    for secret in secrets:
        clean = clean.replace(secret, "***")
    if clean != text:
        path.write_text(clean, encoding="utf-8")
