"""The base tree a change is judged against: exported from git, scanned and checked like the current tree.

A task is judged against the commit it was received at (``base_commit``); a whole-project run with
``--baseline REF`` against that ref. The base is **never** the user's working tree: ``git archive``
exports the commit (the project's folder of it, when the project lies in a subfolder of the
repository) into ``ai-state/active/backend/.cache/baseline/<commit>/tree`` (git-ignored), with the
working copy's git-ignored ``.env`` files copied beside it so the base app imports the way the
current one does. There it is scanned in the mode the current tree was (static, or dynamic when the
current app imported), and the gates that compare by fingerprint (the static ones and ``database``;
see :data:`CHECKED_AT_BASE`) run on it. A tree scanned statically is exported in part first — what
a static scan and the static gates read: Python files, configuration files, the top-level files, env
and key files, .gitignore files — and whole when a gate runs the base's code (its tests, its
migrations). Everything is cached per base commit — the tree and the scan once, each
gate's result per gate configuration — and reused by later runs and other tasks with the
same base; the cache keeps the newest :data:`KEEP` commits.

What cannot be prepared (git missing, an unknown commit, a base app that no longer imports while the
current one does, a gate that crashes on the base) raises :class:`BaseUnavailable`: the run then
judges on every finding and says why (never a silent pass).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import target_python
from ..contracts.config import ProjectConfig
from ..contracts.registry import EndpointRegistry, ModelRegistry, ServiceRegistry
from ..contracts.report import GateResult
from ..errors import ConfigError, InvalidArgument
from ..gates.base import GateContext, Registries

CACHE = Path(".cache") / "baseline"
KEEP = 4
# compared by fingerprint with the same gate run on the base; the other runtime gates are judged by
# what the change touched (see judge.py), and ``contract`` compares with the base itself
CHECKED_AT_BASE = ("api-design", "security", "architecture", "docs", "database")
_REF = re.compile(r"^[0-9A-Za-z._/~^@{}-]{1,200}$")
_ENV_FILES = re.compile(r"^\.env(\..+)?$|^.+\.env$")


class BaseUnavailable(Exception):
    """Why the base tree could not be prepared or checked."""


def _git(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise BaseUnavailable("git is not installed")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    env.pop("GIT_DIR", None)
    return subprocess.run([git, *args], cwd=root, capture_output=True, text=True, timeout=timeout, check=False,
                          env=env)


def is_checkout(root: Path) -> bool:
    try:
        done = _git(root, "rev-parse", "--is-inside-work-tree", timeout=15)
    except (BaseUnavailable, OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def resolve(root: Path, ref: str) -> str:
    """The commit ``ref`` names in the project's repository; an error naming ``ref`` when it names none."""
    if not _REF.match(ref) or ref.startswith("-"):
        raise InvalidArgument(f"baseline {ref[:80]!r} is not a git revision (a branch, tag or commit such as "
                              "'origin/main', 'v1.2' or 'HEAD~1')")
    done = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", timeout=15)
    if done.returncode != 0 or not done.stdout.strip():
        raise InvalidArgument(f"baseline {ref!r} is not a commit of the project's repository; name a branch, tag "
                              "or commit it has (git branch -a, git log --oneline), e.g. 'origin/main' or 'HEAD~1'")
    return done.stdout.strip()


@dataclass
class BaseTree:
    """A base commit exported and scanned: what the base's gates run on."""

    commit: str
    folder: Path  # the commit's cache folder
    tree: Path  # the exported project
    config: ProjectConfig  # the project's config, with its interpreter made absolute
    registries: Registries
    mode: str  # static or dynamic: how the tree was scanned
    openapi: Path | None = None  # the base's OpenAPI document (dynamic scans)
    cached: bool = False
    seconds: float = 0.0
    complete: bool = True  # False: only what the static gates read was exported (see prepare)
    root: Path | None = None  # the project the tree was exported from
    _results: dict[str, GateResult] = field(default_factory=dict)

    def ensure_complete(self) -> None:
        """The whole tree, for the gates that run the base's code (its tests, its migrations, its app)."""
        from filelock import FileLock

        if self.complete:
            return
        assert self.root is not None
        with FileLock(str(self.folder.parent / f".{self.commit}.lock"), timeout=600):
            if (self.folder / "tree.ok").read_text(encoding="utf-8").split()[-1:] != ["complete"]:
                started = time.perf_counter()
                _export(self.root, self.commit, self.tree)
                (self.folder / "tree.ok").write_text(f"{self.commit} complete\n", encoding="utf-8")
                self.seconds += time.perf_counter() - started
        self.complete = True

    def context(self, gate_id: str) -> GateContext:
        evidence = self.folder / "evidence" / gate_id
        shutil.rmtree(evidence, ignore_errors=True)
        evidence.mkdir(parents=True, exist_ok=True)
        return GateContext(root=self.tree, config=self.config, evidence_dir=evidence, _registries=self.registries)


def _prefix(root: Path) -> str:
    done = _git(root, "rev-parse", "--show-prefix", timeout=15)
    if done.returncode != 0:
        raise BaseUnavailable(f"the project is not a git checkout: {done.stderr.strip()[:200]}")
    return done.stdout.strip()


_READ_SUFFIXES = (".py", ".pyi", ".ini", ".cfg", ".toml")


def _read_statically(name: str) -> bool:
    """Whether a static scan or a static gate reads this file of a tree: its Python files and the
    configuration beside them (alembic.ini, pyproject.toml, setup.cfg), the files at the top, every env
    and private-key file (the security gate looks for them anywhere) and the .gitignore files that say
    which are ignored — not templates, assets, translations or data, which can be most of its bytes."""
    from ..gates.security_secrets import secret_file_kind

    base = name.rstrip("/").rsplit("/", 1)[-1]
    return ("/" not in name.rstrip("/") or name.endswith(_READ_SUFFIXES) or secret_file_kind(base) is not None
            or base == ".gitignore")


def _export(root: Path, commit: str, tree: Path, partial: bool = False) -> None:
    """The project's folder at ``commit`` (``git archive``, streamed) into ``tree``, replaced whole, never
    partly; ``partial``: only the files a static scan and the static gates read (:func:`_read_statically`)."""
    prefix = _prefix(root)
    git = shutil.which("git")
    assert git is not None  # _prefix ran git
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=tree.parent))
    unpacked = staging / "tree"
    try:
        with subprocess.Popen([git, "archive", "--format=tar", f"{commit}:{prefix}"], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as archive:
            assert archive.stdout is not None
            try:
                with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                    for member in tar:
                        if member.isdir() or not partial or _read_statically(member.name):
                            tar.extract(member, unpacked, filter="data")  # no absolute paths, links out, devices
            except tarfile.TarError as exc:
                archive.kill()
                raise BaseUnavailable(f"the export of {commit[:12]} could not be read: {exc}") from None
            error = archive.stderr.read().decode(errors="replace") if archive.stderr else ""
        if archive.returncode != 0:
            raise BaseUnavailable(f"git archive of {commit[:12]} failed: {error.strip()[:200]}")
        unpacked.mkdir(exist_ok=True)  # an empty tree is still a tree
        shutil.rmtree(unpacked / "ai-state", ignore_errors=True)  # the base's own state is not its code
        for name in os.listdir(root):  # the working copy's ignored env files: the base app imports like ours
            env = root / name
            if _ENV_FILES.match(name) and env.is_file() and not env.is_symlink() and not (unpacked / name).exists():
                shutil.copyfile(env, unpacked / name)
        shutil.rmtree(tree, ignore_errors=True)
        unpacked.replace(tree)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _registries(data: dict[str, Any]) -> Registries:
    return Registries(EndpointRegistry.model_validate(data["endpoints"]), ModelRegistry.model_validate(data["models"]),
                      ServiceRegistry.model_validate(data["services"]))


def _scan(tree: Path, config: ProjectConfig, mode: str, folder: Path) -> tuple[Registries, dict[str, Any] | None]:
    """The base's registries, scanned in ``mode``; its OpenAPI document when the app was imported."""
    from ..discovery import scan
    from ..discovery.dynamic import discover, drift

    found = scan(tree, config)
    regs = Registries(found.endpoints.model_copy(deep=True), found.models.model_copy(deep=True),
                      found.services.model_copy(deep=True))
    document = None
    if mode == "dynamic":
        try:
            dynamic, _ = discover(tree, config, found.endpoints, mode="dynamic", folder=folder,
                                  log_shown=str(folder / "probe.log"), keep=lambda _file: True)
        except InvalidArgument as exc:
            raise BaseUnavailable(f"the base's app did not import, while the current one did ({exc})") from None
        assert dynamic is not None
        regs.endpoints = dynamic.endpoints
        if dynamic.models:
            names = {m.name for m in dynamic.models}
            regs.models.models = sorted([*dynamic.models, *(m for m in regs.models.models if m.name not in names)],
                                        key=lambda m: (m.name, m.file))
        document = dynamic.openapi
        regs.endpoints.drift = drift.endpoint_drift(regs.endpoints.endpoints, document, [], tree,
                                                    source="openapi.json", external=dynamic.external_routes)
    return regs, document


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


def _evict(cache: Path, keep: Path) -> None:
    folders = sorted((p for p in cache.iterdir() if p.is_dir() and p != keep and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[KEEP - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def base_config(root: Path, config: ProjectConfig) -> ProjectConfig:
    """The project's config for the base tree: the same, with the target's interpreter found from the project."""
    try:
        python = target_python(root, config)
    except ConfigError as exc:
        raise BaseUnavailable(str(exc)) from None
    return config.model_copy(update={"python": python})


def prepare(root: Path, state_dir: Path, commit: str, config: ProjectConfig, mode: str) -> BaseTree:
    """The base tree of ``commit``, exported and scanned in ``mode`` (from the cache when an earlier run did it)."""
    from filelock import FileLock

    started = time.perf_counter()
    cache = state_dir / CACHE
    folder = cache / commit
    folder.mkdir(parents=True, exist_ok=True)
    config = base_config(root, config)
    with FileLock(str(cache / f".{commit}.lock"), timeout=600):
        os.utime(folder)
        _evict(cache, folder)
        tree = folder / "tree"
        marker = folder / "tree.ok"
        cached = marker.is_file() and tree.is_dir()
        partial = mode == "static"  # a dynamic scan imports the base: all of it
        if not cached or (not partial and marker.read_text(encoding="utf-8").split()[-1:] != ["complete"]):
            marker.unlink(missing_ok=True)
            _export(root, commit, tree, partial)
            marker.write_text(f"{commit} {'static' if partial else 'complete'}\n", encoding="utf-8")
            cached = False
        complete = marker.read_text(encoding="utf-8").split()[-1:] == ["complete"]
        scan_file = folder / f"scan-{mode}-{_key(__version__, config.model_dump(mode='json'))}.json"
        if scan_file.is_file():
            data = json.loads(scan_file.read_text(encoding="utf-8"))
            if data.get("failure"):
                raise BaseUnavailable(data["failure"])
            regs = _registries(data)
        else:
            cached = False
            try:
                regs, document = _scan(tree, config, mode, folder / "scan")
            except BaseUnavailable as exc:
                _write(scan_file, {"failure": str(exc)})
                raise
            if document is not None:
                _write(folder / "openapi.json", document)
            _write(scan_file, {"endpoints": regs.endpoints.model_dump(mode="json"),
                               "models": regs.models.model_dump(mode="json"),
                               "services": regs.services.model_dump(mode="json")})
    openapi = folder / "openapi.json"
    return BaseTree(commit=commit, folder=folder, tree=tree, config=config, registries=regs, mode=mode,
                    openapi=openapi if mode == "dynamic" and openapi.is_file() else None, cached=cached,
                    seconds=round(time.perf_counter() - started, 3), complete=complete, root=root)


def _write(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def run_at_base(base: BaseTree, gate_id: str) -> GateResult:
    """``gate_id`` run on the base tree now, not cached (a measurement of this machine at this time)."""
    from ..gates import get_gate, run_gate

    base.ensure_complete()
    started = time.perf_counter()
    result = run_gate(get_gate(gate_id), base.context(gate_id))
    base.seconds += time.perf_counter() - started
    return result


def gate_result(base: BaseTree, gate_id: str) -> GateResult:
    """``gate_id`` run on the base tree (cached per gate configuration); the base's findings to compare with."""
    from filelock import FileLock

    from ..gates import get_gate, run_gate

    if gate_id in base._results:
        return base._results[gate_id]
    key = _key(__version__, gate_id, base.mode, base.config.model_dump(mode="json"))
    path = base.folder / "gates" / f"{gate_id}-{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=900):
        if path.is_file():
            result = GateResult.model_validate_json(path.read_text(encoding="utf-8"))
        else:
            if get_gate(gate_id).runtime:  # it runs the base's code: the whole tree, not the static gates' part
                base.ensure_complete()
            started = time.perf_counter()
            result = run_gate(get_gate(gate_id), base.context(gate_id))
            base.seconds += time.perf_counter() - started
            base.cached = False
            if result.status != "error":
                _write(path, result.model_dump(mode="json"))
    if result.status == "error":
        raise BaseUnavailable(f"the {gate_id} gate failed on the base tree: {result.summary}")
    base._results[gate_id] = result
    return result
