"""Live database introspection (read-only) of the configured ``database_url``, in a subprocess with
the target's interpreter and SQLAlchemy. The URL's password is masked everywhere it is shown."""

from __future__ import annotations

from pathlib import Path

from ...contracts.registry import Column, Index, LiveDatabase, LiveTable
from .runner import ProbeFailed, probe_database, redact


def sqlite_file(url: str, root: Path) -> Path | None:
    """The file of an SQLite URL, relative paths taken from the project root; None for other
    databases. ``sqlite:///./shop.db`` -> ROOT/shop.db, ``sqlite:////abs/x.db`` -> /abs/x.db."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0].lower() != "sqlite":
        return None
    path = rest.split("?", 1)[0].removeprefix("/")
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        return Path(":memory:")
    path = path.removeprefix("file:")
    return (root / path).resolve()


def introspect(root: Path, url: str, python: str, *, folder: Path, timeout: float) -> LiveDatabase:
    shown = redact(url)
    file = sqlite_file(url, root)
    if file is not None:
        if file == Path(":memory:"):
            return LiveDatabase(url=shown, status="missing", error="an in-memory database has nothing to read")
        if not file.is_relative_to(root):
            return LiveDatabase(url=shown, status="error",
                                error=f"the SQLite file {file} is outside the project root; not read")
        if not file.is_file():
            return LiveDatabase(url=shown, status="missing",
                                error=f"{file.relative_to(root).as_posix()} is not created yet (no migration applied)")
        url = f"sqlite:///{file}"
    try:
        data = probe_database(root, python, url, folder=folder, timeout=timeout)
    except ProbeFailed as exc:
        return LiveDatabase(url=shown, status="error", error=str(exc))
    tables = [LiveTable(name=t["name"], columns=[Column(**c) for c in t["columns"]],
                        indexes=[Index(**i) for i in t["indexes"]]) for t in data.get("tables", [])]
    return LiveDatabase(url=shown, status="read", dialect=data.get("dialect"), tables=tables)


def summary(database: LiveDatabase | None) -> str | None:
    """One line for ScanResult."""
    if database is None:
        return None
    if database.status == "read":
        return f"{database.url}: {len(database.tables)} tables ({database.dialect})"
    return f"{database.url}: {database.status} — {database.error}"
