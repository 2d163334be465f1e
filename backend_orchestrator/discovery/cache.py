"""The scan's on-disk cache: a result reused across processes while the code it came from is unchanged.

Under the caller's `cache_dir` (git-ignored):

- `index.json`: per file, its stat signature and content hash (sha256), and per revision-file hash,
  the revision it declares;
- `result.json`: the key, then the registries the source files determined for it, one JSON line each.

`key` is the sha256 of the cache version, the config discovery reads and the (path, content hash)
of every source file. When it matches, no source file is parsed: a rescan is a directory walk and
one `stat` per file. A file's hash is reused while its size, mtime, ctime and inode are unchanged
and it was hashed at least `RACY_NS` after it last changed (else a change within the same clock
tick could go unseen, so it is read and hashed again). The bytes read to hash a file are the ones
parsed when the result must be rebuilt: a cold scan reads each file once, and the stored result is
exactly that of the contents its key names.

What is not cached, and why (measured on the 1,000-route benchmark project): pickled syntax trees
load ~40 % slower than `ast.parse` rebuilds them, so after a change the files are parsed again
(the in-process cache in `files.py` still skips unchanged files within one process).

Every file carries `version` (cache format, package, Python and discovery code); another version, a
read error or malformed content means "no cache", never a failure. Writes go to a temporary file
renamed into place, so a concurrent or interrupted scan cannot leave a torn file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..contracts.config import ProjectConfig
from ..contracts.registry import EndpointRegistry, ModelRegistry, ServiceRegistry, Unresolved
from . import Discovery, files
from .alembic_head import Revision, read_revision, scan_migrations
from .analysis import Analysis, combine, settle

FORMAT = 1
RACY_NS = 2_000_000_000
UNREADABLE = "unreadable"


def cache_version() -> str:
    """Cache format, package version, Python version and the discovery code itself: a cache written by
    other code (an upgrade, or a development install edited without a version bump) is not reused."""
    return f"{FORMAT}:{__version__}:{sys.implementation.cache_tag}:{_code_fingerprint()}"


@functools.cache
def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cached_analysis(root: Path, config: ProjectConfig, cache_dir: Path) -> Analysis:
    """`analysis.analyse(root, config)`, reusing what `cache_dir` holds for unchanged files."""
    cache = DiskCache(cache_dir)
    found, problems = files.source_paths(root, config.source)
    digests = [(path.relative_to(root).as_posix(), cache.digest(path)) for path in found]
    key = _key(config, digests, problems)
    code = cache.load_result(key)
    if code is None:
        from .code_scan import scan_code

        code = scan_code(root, config, found, problems, cache.contents)
        cache.store_result(key, code)
    cache.contents.clear()
    migrations = scan_migrations(root, config.alembic_config, cache.revision)
    cache.save()
    found_all = combine(code, *migrations)
    settle()
    return found_all


def _key(config: ProjectConfig, digests: list[tuple[str, str]], problems: list[Unresolved]) -> str:
    text = json.dumps(
        [
            cache_version(),
            config.model_dump(mode="json", include={"source", "auth_dependencies"}),
            digests,
            [u.model_dump(mode="json") for u in problems],
        ],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _read_bytes(path: Path) -> bytes:
    return path.read_bytes()


class DiskCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.version = cache_version()
        index = self._load_json("index.json")
        files_ = index.get("files")
        revisions = index.get("revisions")
        self.files: dict[str, list[Any]] = files_ if isinstance(files_, dict) else {}
        self.revisions: dict[str, Any] = revisions if isinstance(revisions, dict) else {}
        self._used_files: set[str] = set()
        self._used_revisions: set[str] = set()
        self._dirty = not index
        self.contents: dict[Path, bytes] = {}  # what `digest` read, for the parse that may follow

    # -- content hashes ------------------------------------------------------------------------

    def digest(self, path: Path) -> str:
        """The sha256 of `path`'s content, from the stat memo when the file cannot have changed."""
        name = str(path)
        self._used_files.add(name)
        try:
            st = path.stat()
        except OSError:
            return UNREADABLE
        signature = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = self.files.get(name)
        if (
            isinstance(entry, list)
            and len(entry) == 6
            and entry[:4] == signature
            and isinstance(entry[4], str)
            and isinstance(entry[5], int)
            and entry[5] - max(st.st_mtime_ns, st.st_ctime_ns) >= RACY_NS
        ):
            return entry[4]
        try:
            data = _read_bytes(path)
        except OSError:
            return UNREADABLE
        self.contents[path] = data  # parsed from these very bytes: the result matches its key
        digest = hashlib.sha256(data).hexdigest()
        self.files[name] = [*signature, digest, time.time_ns()]
        self._dirty = True
        return digest

    # -- the code's registries -----------------------------------------------------------------

    def load_result(self, key: str) -> Discovery | None:
        """The registries stored for `key`: a header line, then one JSON line per registry."""
        try:
            with open(self.directory / "result.json", "rb") as stored:
                header = json.loads(stored.readline())
                if header != {"version": self.version, "key": key}:
                    return None
                lines = stored.read().splitlines()
            if len(lines) != 3:  # endpoints, models, services
                return None
            endpoints = EndpointRegistry.model_validate_json(lines[0])
            models = ModelRegistry.model_validate_json(lines[1])
            services = ServiceRegistry.model_validate_json(lines[2])
        except (OSError, ValueError):  # a ValidationError is a ValueError
            return None
        return Discovery(endpoints=endpoints, models=models, services=services)

    def store_result(self, key: str, code: Discovery) -> None:
        header = json.dumps({"version": self.version, "key": key})
        lines = [
            header,
            code.endpoints.model_dump_json(),
            code.models.model_dump_json(),
            code.services.model_dump_json(),
        ]
        self._write("result.json", "\n".join(lines) + "\n")

    # -- migrations ----------------------------------------------------------------------------

    def revision(self, path: Path) -> Revision:
        """What `read_revision(path)` answers, remembered by the file's content hash."""
        digest = self.digest(path)
        known = self.revisions.get(digest)
        if digest != UNREADABLE:
            self._used_revisions.add(digest)
        if isinstance(known, str):
            return known
        if (
            isinstance(known, list)
            and len(known) == 2
            and isinstance(known[0], str)
            and isinstance(known[1], list)
            and all(isinstance(d, str) for d in known[1])
        ):
            return known[0], list(known[1])
        found = read_revision(path)
        if digest != UNREADABLE:
            self.revisions[digest] = found if isinstance(found, str) else [found[0], found[1]]
            self._dirty = True
        return found

    # -- storage -------------------------------------------------------------------------------

    def save(self) -> None:
        """Write the index when it changed, without entries for files this scan did not read."""
        stale_files = set(self.files) - self._used_files
        stale_revisions = set(self.revisions) - self._used_revisions
        if not (self._dirty or stale_files or stale_revisions):
            return
        for name in stale_files:
            del self.files[name]
        for digest in stale_revisions:
            del self.revisions[digest]
        self._write(
            "index.json",
            json.dumps({"version": self.version, "files": self.files, "revisions": self.revisions}),
        )

    def _load_json(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / name).read_bytes())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("version") == self.version else {}

    def _write(self, name: str, text: str) -> None:
        """Atomically replace `name`; a cache that cannot be written is skipped, not an error."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.")
        except OSError:
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.directory / name)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
