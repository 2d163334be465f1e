"""The ``database`` gate's side of the database: where it is, a verified backup, and a scratch copy.

Nothing here writes to the configured database: an SQLite file is opened read-only (``mode=ro``)
and copied with SQLite's online backup API, which gives a consistent snapshot even while the
application writes to it (a plain file copy can catch a half-written page or miss the WAL).
"""

from __future__ import annotations

import configparser
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

_CREDENTIALS = re.compile(r"://([^:/@\s]+):[^@\s]*@")
_PASSWORD_PARAM = re.compile(r"\b(password|passwd|pwd)=([^&\s'\"]+)", re.IGNORECASE)


def mask_url(text: str) -> str:
    """``user:password@`` → ``user:***@`` and ``password=…`` → ``password=***`` anywhere in ``text``."""
    return _PASSWORD_PARAM.sub(r"\1=***", _CREDENTIALS.sub(r"://\1:***@", text))


def alembic_ini(root: Path, configured: str | None) -> Path | None:
    """The alembic config: as configured, else ``alembic.ini`` or Flask-Migrate's ``migrations/alembic.ini``."""
    candidates = [configured] if configured else ["alembic.ini", "migrations/alembic.ini"]
    for name in candidates:
        path = (root / name).resolve()
        if path.is_file() and path.is_relative_to(root):
            return path
    return None


def ini_url(ini: Path) -> str | None:
    """``sqlalchemy.url`` of an alembic.ini, with ``%(here)s`` expanded; None when absent."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
        raw = parser.get("alembic", "sqlalchemy.url", fallback="").strip()
    except configparser.Error:
        return None
    if not raw or raw.startswith("driver://"):  # alembic's template placeholder
        return None
    return raw.replace("%(here)s", str(ini.parent)).replace("%%", "%")


def sqlite_file(url: str, root: Path) -> Path | None:
    """The file of an ``sqlite://`` URL (relative paths are relative to the project root); None for
    in-memory databases."""
    match = re.match(r"^sqlite(?:\+\w+)?:///(.*)$", url)
    if not match:
        return None
    name = match.group(1).split("?", 1)[0]
    if name in ("", ":memory:"):
        return None
    path = Path(name)
    return (path if path.is_absolute() else root / path).resolve()


def sqlite_url(path: Path) -> str:
    return "sqlite:///" + quote(str(path), safe="/:")


@dataclass
class Snapshot:
    tables: dict[str, int]  # table -> row count
    integrity: str


def snapshot(path: Path) -> Snapshot:
    """Tables, their row counts and ``PRAGMA integrity_check`` of an SQLite file, read-only."""
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {n: int(conn.execute(f'SELECT count(*) FROM "{n.replace(chr(34), chr(34) * 2)}"').fetchone()[0])
                  for n in names}
        integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()
    return Snapshot(counts, integrity)


def copy_sqlite(source: Path, dest: Path) -> None:
    """Copy ``source`` (opened read-only) to a fresh ``dest`` with the online backup API."""
    dest.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()


def backup_and_restore(database: Path, backup: Path, restored: Path) -> tuple[bool, str]:
    """Back ``database`` up to ``backup``, restore that into ``restored`` and compare the restored copy
    with the original: same tables, same row counts, integrity ``ok``. (verified, explanation)."""
    copy_sqlite(database, backup)
    copy_sqlite(backup, restored)
    original, copy = snapshot(database), snapshot(restored)
    if copy.integrity != "ok":
        return False, f"the restored copy fails PRAGMA integrity_check: {copy.integrity[:200]}"
    if original.tables != copy.tables:
        differ = sorted(set(original.tables.items()) ^ set(copy.tables.items()))
        return False, f"the restored copy differs from the database (table, rows): {differ[:5]}"
    rows = sum(original.tables.values())
    return True, f"backup restored and compared: {len(original.tables)} tables, {rows} rows, integrity ok"
