"""Fetch the corpus of real backends (apps.yaml) into a cache outside the repository.

Each app's pinned file is downloaded from PyPI with `pip download --no-deps` (nothing is installed: the gates
only read the source), its sha256 checked (a mismatch is an error naming both hashes) and unpacked into
`<cache>/<name>-<version>/` (wheels are zips, sdists tarballs read with `filter="data"`). Idempotent: an
unpacked copy whose marker names the expected hash is reused without asking PyPI. Prints JSON: a list of
{name, path, files, lines} (path is the project root; files and lines count the `.py` files of `source`).

Cache: --cache, else $BO_CORPUS_CACHE, else ~/.cache/backend-orchestrator/corpus.
Other benchmarks: `sys.path.insert(0, "benchmarks/corpus")`, then `load_apps()`, `fetch(name)` and
`apply_change(root, app, variant)` ("good" or a key of `change.bad`) on a copy of the root.

usage: python benchmarks/corpus/fetch.py [--cache DIR] [NAME ...]
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

APPS = Path(__file__).resolve().parent / "apps.yaml"
MARKER = ".corpus-sha256"


class CorpusError(Exception):
    """An unknown app, a download that failed or did not match its pinned sha256, a missing root."""


def load_apps() -> list[dict[str, Any]]:
    """The apps of apps.yaml, in file order."""
    apps: list[dict[str, Any]] = yaml.safe_load(APPS.read_text(encoding="utf-8"))["apps"]
    return apps


def default_cache() -> Path:
    env = os.environ.get("BO_CORPUS_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "backend-orchestrator" / "corpus"


def _app(name: str) -> dict[str, Any]:
    apps = {app["name"]: app for app in load_apps()}
    if name not in apps:
        raise CorpusError(f"unknown app {name!r}; apps.yaml has {sorted(apps)}")
    return apps[name]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(app: dict[str, Any], downloads: Path) -> Path:
    """The pinned file in `downloads`, fetched with pip unless it is already there with the right hash."""
    target = Path(downloads, app["filename"])
    if not (target.is_file() and _sha256(target) == app["sha256"]):
        wheel = target.name.endswith(".whl")
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python", "--quiet",
                "--only-binary=:all:" if wheel else "--no-binary=:all:", "-d", str(downloads),
                f"{app['pypi']}=={app['version']}"]
        subprocess.run(argv, check=True, timeout=900)
        if not target.is_file():
            raise CorpusError(f"{app['name']}: pip did not save {target.name} in {downloads}")
    found = _sha256(target)
    if found != app["sha256"]:
        raise CorpusError(f"{app['name']}: sha256 of {target} is {found}, apps.yaml pins {app['sha256']}")
    return target


def _unpack(archive: Path, into: Path) -> None:
    if archive.name.endswith(".whl") or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(into)
    else:
        with tarfile.open(archive) as tarred:
            tarred.extractall(into, filter="data")


def fetch(name: str, cache: Path | None = None) -> Path:
    """Download, verify and unpack one app (once); return its project root."""
    app = _app(name)
    cache = (cache or default_cache()).expanduser().resolve()
    folder = cache / f"{app['name']}-{app['version']}"
    marker = folder / MARKER
    if not (marker.is_file() and marker.read_text(encoding="utf-8").strip() == app["sha256"]):
        cache.mkdir(parents=True, exist_ok=True)
        archive = _download(app, cache / "downloads")
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=cache))
        try:
            _unpack(archive, staging)
            (staging / MARKER).write_text(app["sha256"] + "\n", encoding="utf-8")
            staging.chmod(0o755)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    root = Path(folder, app["root"]).resolve()
    if not root.is_dir():
        raise CorpusError(f"{app['name']}: root {app['root']!r} is not a folder of {folder}")
    return root


def apply_change(root: Path, app: dict[str, Any], variant: str = "good") -> Path:
    """Write the change's `good` code (or `bad[variant]["code"]`) into `root`; return the file it changed.

    The code is appended at the end of the file, or inserted after the line `anchor` when one is set.
    Run it on a copy: it edits `root` in place. Raises SyntaxError if the result does not parse.
    """
    change = app["change"]
    code = change["good"] if variant == "good" else change["bad"][variant]["code"]
    path = Path(root, change["file"])
    text = path.read_text(encoding="utf-8")
    anchor = change.get("anchor")
    if anchor:
        lines = text.splitlines(keepends=True)
        at = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == anchor]
        if len(at) != 1:
            raise ValueError(f"{app['name']}: anchor found {len(at)} times in {change['file']}: {anchor!r}")
        text = "".join([*lines[: at[0] + 1], "\n", code, *lines[at[0] + 1 :]])
    else:
        text = text.rstrip("\n") + "\n\n\n" + code
    ast.parse(text, filename=str(path))
    path.write_text(text, encoding="utf-8")
    return path


def _count(root: Path, source: list[str]) -> tuple[int, int]:
    files = [p for folder in source for p in (root / folder).rglob("*.py")]
    return len(files), sum(len(p.read_bytes().splitlines()) for p in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="default: $BO_CORPUS_CACHE, else ~/.cache/backend-orchestrator/…")
    parser.add_argument("names", nargs="*", help="apps to fetch (default: all)")
    args = parser.parse_args(argv)
    names = args.names or [app["name"] for app in load_apps()]
    out = []
    for name in names:
        try:
            root = fetch(name, args.cache)
        except (CorpusError, subprocess.CalledProcessError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        files, lines = _count(root, _app(name)["source"])
        out.append({"name": name, "path": str(root), "files": files, "lines": lines})
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
