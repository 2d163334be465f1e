"""The CLI's no-change path for `scan --mode static`: replay the last output when nothing it read changed.

Standard library only (os, json, hashlib, sys): `cli.main` asks `replay` before importing pydantic, the
contracts, the discovery engine or the store, so a rescan of an unchanged project costs the interpreter's
start, one manifest read and one `stat` per input.

After a static scan, `record` writes `ai-state/active/backend/.cache/scan-replay.json` (git-ignored) with
what the output was computed from, and the output a rescan would print (the same result, no changes):

- `files`: every file the scan read: the source files and migration revisions (with the content hash the
  discovery cache parsed them under), the config files (backend-orchestrator.toml, pyproject.toml, the
  alembic config), the registries it compared with and wrote, the recorded OpenAPI document. Each as
  [size, mtime_ns, ctime_ns, inode, sha256, hashed_at], or null for a file that must still be missing;
- `dirs`: every folder the scan walked (sources, their parent packages, the migration folders), with the
  names of its sub-folders and `.py` files (`__pycache__` left out), or null for one that must be missing;
- `exists`: what the store's layout needs (its tasks folder and .gitignore), `links`: where the project,
  its state folder and each `source` entry resolve to;
- `code`: the installed package's files (name, size, mtime) and the interpreter; `key`: the options.

`replay` answers only when every one matches: a file's content is trusted from its stat signature when it
was hashed at least `RACY_NS` after it last changed (as the discovery cache does), else it is read and
hashed again. Anything else — a file added, removed, edited or touched, a config change, another option,
a registry edited by hand, a package upgrade — and the real scan runs (and records the manifest again).
`--mode auto` and `dynamic` never replay: the import of the app depends on more than the files read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from typing import Any

FORMAT = 1
RACY_NS = 2_000_000_000
STATE = os.path.join("ai-state", "active", "backend")
MANIFEST = os.path.join(STATE, ".cache", "scan-replay.json")
SKIPPED = frozenset({"__pycache__"})


def project_root(project: str) -> str:
    """What `Project.open` resolves `--project` to."""
    return os.path.realpath(os.path.expanduser(project))


def key(root: str, path: str, mode: str) -> list[str]:
    return [root, path, mode]


# -- fingerprints -----------------------------------------------------------------------------------------
def code_fingerprint() -> str:
    """The package's files (name, size, mtime) and the interpreter: other code means another output."""
    package = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{sys.executable}\0{package}".encode())
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED)
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            digest.update(f"{folder}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def listing(folder: str) -> list[str] | None:
    """The sub-folders (with a trailing /; symlinks marked @) and `.py` files of `folder`; None when it is
    missing. A superset of what the discovery walk looks at in a folder."""
    try:
        entries = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return None
    names = []
    with entries:
        for entry in entries:
            name = entry.name
            if name in SKIPPED:
                continue
            try:
                is_dir = entry.is_dir()
                link = entry.is_symlink()
            except OSError:
                is_dir, link = False, True
            if is_dir or name.endswith(".py"):
                names.append(name + ("@" if link else "") + ("/" if is_dir else ""))
    return sorted(names)


def sha256_file(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def signature(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _kind(path: str) -> str | None:
    if os.path.isdir(path):
        return "dir"
    return "file" if os.path.lexists(path) else None


# -- replay -----------------------------------------------------------------------------------------------
def _file_matches(path: str, entry: Any) -> bool:
    if entry is None:
        return not os.path.lexists(path)
    if not (isinstance(entry, list) and len(entry) == 6 and all(isinstance(v, int) for v in entry[:4])
            and isinstance(entry[4], str) and isinstance(entry[5], int)):
        return False
    if signature(path) == entry[:4] and entry[5] - max(entry[1], entry[2]) >= RACY_NS:
        return True  # unchanged since it was hashed, and not changed in the same clock tick as that hash
    return bool(sha256_file(path) == entry[4])  # racy, or touched: the content decides


def load(root: str) -> dict[str, Any] | None:
    try:
        with open(os.path.join(root, MANIFEST), "rb") as handle:
            manifest = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def replay(project: str, path: str, mode: str, output_format: str) -> str | None:
    """The output of `scan` when nothing it read has changed since the last recorded scan, else None."""
    if mode != "static":
        return None
    root = project_root(project)
    manifest = load(root)
    if manifest is None or manifest.get("key") != key(root, path, mode):
        return None
    output = (manifest.get("outputs") or {}).get(output_format)
    files, dirs = manifest.get("files"), manifest.get("dirs")
    exists, links = manifest.get("exists"), manifest.get("links")
    if not (isinstance(output, str) and isinstance(files, dict) and isinstance(dirs, dict)
            and isinstance(exists, dict) and isinstance(links, dict)):
        return None
    if manifest.get("code") != code_fingerprint():
        return None
    if any(os.path.realpath(p) != target for p, target in links.items()):
        return None
    if any(_kind(p) != kind for p, kind in exists.items()):
        return None
    if any(listing(d) != names for d, names in dirs.items()):
        return None
    if not all(_file_matches(p, entry) for p, entry in files.items()):
        return None
    return output


# -- record -----------------------------------------------------------------------------------------------
def file_entry(path: str, *, digest: str | None = None) -> list[Any] | bool | None:
    """The manifest entry of a file as it is now: None when missing, False when it cannot be vouched for
    (unreadable, changing, or not holding `digest`, the content hash the caller knows it must hold)."""
    sig = signature(path)
    if sig is None:
        return None if not os.path.lexists(path) else False
    hashed_at = time.time_ns()
    actual = sha256_file(path)
    if actual is None or (digest is not None and actual != digest) or signature(path) != sig:
        return False
    return [*sig, actual, hashed_at]


def record(root: str, path: str, mode: str, outputs: dict[str, str], *, files: dict[str, Any],
           dirs: Iterable[str], exists: Iterable[str], links: Iterable[str]) -> bool:
    """Write the manifest (atomically); False when it cannot be (then the next scan is a real one)."""
    target = os.path.join(root, MANIFEST)
    if any(entry is False for entry in files.values()):
        _remove(target)
        return False
    manifest = {
        "format": FORMAT,
        "key": key(root, path, mode),
        "code": code_fingerprint(),
        "outputs": outputs,
        "links": {p: os.path.realpath(p) for p in links},
        "exists": {p: _kind(p) for p in exists},
        "dirs": {d: listing(d) for d in dirs},
        "files": files,
    }
    import tempfile

    folder = os.path.dirname(target)
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".scan-replay.", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(manifest, out)
        os.replace(temporary, target)
    except OSError:
        _remove(temporary)
        return False
    return True


def forget(root: str) -> None:
    """Drop the manifest (before a scan that will not record one)."""
    _remove(os.path.join(root, MANIFEST))


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
