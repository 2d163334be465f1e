"""The command line: the same workflow functions as the MCP server, for people and CI jobs.

Exit codes:

    0  success (validate: pass)
    1  validate: fail, error or incomplete; `schemas --check`: a schema is out of date; `contract diff`: a
       change at the --fail-on level
    2  usage or configuration error, or anything else the caller can fix (the message says what)
    3  internal error: an unexpected exception. One line says what failed (the command, the exception's type and
       message) and where its traceback was appended (ai-state/active/backend/logs/errors.log of the project);
       BO_DEBUG=1 also prints the traceback
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .errors import OrchestratorError


def _dump(model: Any) -> str:
    data = model.model_dump(mode="json") if hasattr(model, "model_dump") else model
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


def _project(args: argparse.Namespace) -> Any:
    from .state import Project

    return Project.open(args.project)


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


# -- commands ----------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from .transport import serve

    return serve(_project(args), tools=args.tools, transport=args.transport, host=args.host, port=args.port,
                 token=args.token)


def cmd_init(args: argparse.Namespace) -> int:
    from .init import init_project

    print(init_project(Path(args.path or args.project)))
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from . import scan_replay

    static = args.mode == "static"
    if static:  # nothing it read changed since the last static scan: its output, without importing anything
        output = scan_replay.replay(args.project, args.path, args.mode, args.format)
        if output is not None:
            sys.stdout.write(output)
            return 0
    root = scan_replay.project_root(args.project)
    scan_replay.forget(root)
    before = _replay_before(root) if static else {}
    project = _project(args)
    if static:  # read by the migrations' scan: hashed before it, with the config it is named in
        from .discovery.alembic_head import migration_paths

        located = migration_paths(project.root, project.config.alembic_config)
        if located is not None:
            before[str(located[0])] = scan_replay.file_entry(str(located[0]))

    from .workflow import scan_project

    result = scan_project(project, args.path, args.mode)
    sys.stdout.write(render_scan(result, args.format))
    if static:
        try:
            _record_replay(project, args.path, result, before)
        except OSError:  # only a shortcut for the next scan: without it, that one is a real scan
            scan_replay.forget(root)
    return 0


def render_scan(result: Any, output_format: str) -> str:
    """What `scan` prints for a ScanResult."""
    if output_format == "json":
        return _dump(result) + "\n"
    lines = [f"{result.framework} ({result.mode}): {result.endpoints} endpoints, {result.models} models, "
             f"{result.services} services; migrations head {result.migrations_head or '-'}",
             f"  mode: {result.mode_reason}"]
    if result.openapi:
        lines.append(f"  openapi: {result.openapi}")
    if result.database:
        lines.append(f"  database: {result.database}")
    for label, items in (("added", result.changes.added), ("removed", result.changes.removed),
                         ("changed", result.changes.changed)):
        if items:
            lines.append(f"  {label}: {', '.join(items)}")
    lines += [f"  unresolved: {line}" for line in result.unresolved]
    lines += [f"  drift: {line}" for line in result.drift]
    lines.append("  wrote " + ", ".join(result.files))
    return "\n".join(lines) + "\n"


def _replay_before(root: str) -> dict[str, Any]:
    """The config files and the recorded OpenAPI document, hashed before the scan reads them."""
    import os

    from .scan_replay import STATE, file_entry

    names = ("backend-orchestrator.toml", "pyproject.toml", os.path.join(STATE, "openapi.json"))
    return {path: file_entry(path) for path in (os.path.join(root, name) for name in names)}


def _record_replay(project: Any, path: str, result: Any, before: dict[str, Any]) -> None:
    """Record what this static scan read, and the output a rescan of the same inputs prints (see
    `scan_replay.py`); nothing when that output cannot be vouched for."""
    import os

    from . import scan_replay
    from .discovery import files as discovery_files
    from .discovery.alembic_head import migration_paths, revision_files

    config = project.config
    # a live database is read on every scan; an endpoint reported gone is not reported by the next scan
    if config.database_url or any(line.startswith("gone: ") for line in result.drift):
        return
    root, store = project.root, project.store
    located = migration_paths(root, config.alembic_config)
    if located is None:
        return
    try:
        index = json.loads((store.dir / ".cache" / "discovery" / "index.json").read_bytes()).get("files")
    except (OSError, ValueError, AttributeError):
        return
    sources, _ = discovery_files.source_paths(root, config.source)
    revisions = [p for folder in located[1][1:] for p in revision_files(root, folder)]
    read = {str(p) for p in [*sources, *revisions]}
    if not isinstance(index, dict) or set(index) != read:
        return  # the discovery cache does not hold what this scan read (a file came or went meanwhile)
    files: dict[str, Any] = {name: index[name] for name in sorted(read)}
    for name, entry in before.items():  # unchanged since before the scan read them
        after = scan_replay.file_entry(name)
        same = (entry is None and after is None) or (isinstance(entry, list) and isinstance(after, list)
                                                     and entry[:5] == after[:5])
        files[name] = entry if same else False
    for kind in ("endpoints", "models", "services"):  # what the store wrote (or found) there in this scan
        file = store.registry_path(kind)
        recorded = store.recorded_digest(file, kind)
        files[str(file)] = scan_replay.file_entry(str(file), digest=recorded) if recorded else False
    tops = [root / entry for entry in config.source] or [root]
    folders: list[str] = []
    for top in tops:
        if top.is_dir():
            folders += discovery_files.walked_folders(top)
        parent = top.parent
        while parent != root and parent.is_relative_to(root):  # their __init__.py name the modules
            folders.append(str(parent))
            parent = parent.parent
    for folder in located[1]:  # the scripts folder and the version folders, all the way down
        folders.append(str(folder))
        for top_folder, subfolders, _ in os.walk(folder):
            subfolders[:] = [d for d in subfolders if d not in scan_replay.SKIPPED]
            folders.append(top_folder)
    target = root / path
    outputs = {fmt: render_scan(result.model_copy(update={"changes": type(result.changes)()}), fmt)
               for fmt in ("text", "json")}
    scan_replay.record(
        str(root), path, "static", outputs, files=files, dirs=sorted(set(folders)),
        exists=[str(store.tasks_dir), str(store.dir / ".gitignore")],
        links=sorted({str(root / scan_replay.STATE), str(target), *(str(top) for top in tops)}),
    )


def cmd_task(args: argparse.Namespace) -> int:
    from . import workflow

    project = _project(args)
    if args.task_command == "add":
        result = workflow.receive_task(
            project, args.description, title=args.title, kind=args.kind, endpoints=args.endpoint,
            models=args.model, requirements=args.requirement, depends_on=args.depends_on, priority=args.priority,
            source_event=args.source_event)
        if args.json:
            print(_dump(result))
        else:
            task = result.task
            print(f"{task.id}  [{task.status}]  {task.title}")
            print(f"  kind {task.kind}; endpoints {', '.join(task.endpoints) or '-'}; "
                  f"models {', '.join(task.models) or '-'}")
            for req in task.requirements:
                print(f"  - {req}")
            for note in result.notes:
                print(f"  note: {note}")
    elif args.task_command == "list":
        page = workflow.list_tasks(project, args.status, args.kind, limit=200)
        if args.json:
            print(_dump(page))
        else:
            for row in page.tasks:
                print(f"{row.id:24} {row.status:14} {row.priority:8} {row.title}")
            if not page.tasks:
                print("no tasks")
    elif args.task_command == "show":
        print(_dump(workflow.get_task(project, args.task_id)))
    else:  # update
        print(_dump(workflow.update_task(project, args.task_id, args.status, args.note)))
    return 0


def cmd_context(args: argparse.Namespace) -> int:
    from .workflow import prepare_context

    result = prepare_context(_project(args), args.task_id, args.budget, args.include)
    print(_dump(result.package))
    print(f"wrote {result.path}", file=sys.stderr)
    return 0


class Progress:
    """The validate progress bar: redrawn in place on a terminal, one plain line per change otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self.last: tuple[int, int, str | None] | None = None
        self.drawn = False
        self.shown = ""

    def __call__(self, run: Any) -> None:
        p = run.progress
        finished = run.finished()
        state = (p.done, p.total, p.current)
        elapsed = time.monotonic() - self.started
        bar = "#" * p.done + "." * max(0, p.total - p.done)
        doing = " — done" if finished else (f" — running {p.current}" if p.current else "")
        line = f"[{bar}] {p.done}/{p.total} gates, {elapsed:.0f} s{doing}"
        if self.tty:
            import shutil

            width = shutil.get_terminal_size((100, 20)).columns - 1
            if line[:width] != self.shown or finished:
                self.stream.write("\r" + line[:width] + "\x1b[K" + ("\n" if finished else ""))
                self.stream.flush()
            self.shown, self.drawn = line[:width], not finished
        elif finished or (state != self.last and p.done < p.total):  # the last gate's line is the "done" one
            print(line, file=self.stream, flush=True)
        self.last = state

    def close(self) -> None:
        if self.drawn:  # interrupted mid-line: leave the cursor on a fresh line
            self.stream.write("\n")
            self.drawn = False


def _gate_list(value: str | None) -> list[str] | None:
    if value is not None and value.strip() == "all":
        from .gates import gate_ids

        return gate_ids()
    return _csv(value)


def cmd_validate(args: argparse.Namespace) -> int:
    from .gates.measured import render as measured
    from .gates.render import RENDERERS
    from .workflow.validate import validate_results

    project = _project(args)
    progress = Progress(sys.stderr)
    try:
        status = validate_results(project, args.task_id, _gate_list(args.gates), None, progress,
                                  scope=args.scope, baseline=args.baseline, compare_base=args.compare_base)
    finally:
        progress.close()
    if status.report is None:
        print(f"error: {status.message}", file=sys.stderr)
        return 1
    text = RENDERERS[args.format](status.report)
    summary = measured(status.report, project.root)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"verdict {status.report.verdict}; report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    # the key numbers follow a text report on stdout; beside any other format they go to stderr, so
    # `--format json` stays one JSON document on stdout
    (sys.stdout if args.format == "text" and not args.output else sys.stderr).write(summary)
    print(f"evidence and report.json: {status.report_path}", file=sys.stderr)
    return 0 if status.report.verdict == "pass" else 1


def cmd_assign(args: argparse.Namespace) -> int:
    from .workflow import assign_skill

    assignment = assign_skill(_project(args), args.task_id, args.skill)
    if args.json:
        print(_dump(assignment))
        return 0
    best = assignment.why[0] if assignment.why else None
    print(f"{args.task_id} → {assignment.skill}" + (f" (score {best.score:g}: {'; '.join(best.reasons)})"
                                                     if best else ""))
    print(f"  gates: {', '.join(assignment.success_criteria.gates)}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from .workflow.history import history, table

    rows = history(_project(args), args.task_id, args.limit)
    if args.format == "json":
        print(json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print(table(rows) if rows else f"no finished runs for {args.task_id or 'the whole project'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(clean=args.clean)


def cmd_contract(args: argparse.Namespace) -> int:
    from .contractdiff.cli import main as contract_main

    return contract_main(list(args.arguments))


def cmd_schemas(args: argparse.Namespace) -> int:
    from .contracts.export import drift, write
    from .resources import schemas_dir

    directory = Path(args.dir) if args.dir else schemas_dir()
    if args.check:
        stale = drift(directory)
        for name in stale:
            print(f"out of date: {directory / name}")
        return 1 if stale else 0
    for name in write(directory):
        print(f"wrote {directory / name}")
    return 0


# -- parser ------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a sub-command's own --project must not reset one given before the sub-command
    common.add_argument("--project", default=argparse.SUPPRESS,
                        help="the target project's root (default: current directory)")
    parser = argparse.ArgumentParser(
        prog="backend-orchestrator", parents=[common],
        description="Coordinate backend work on a project and validate it with real quality gates.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add("serve", cmd_serve, "run the MCP server (stdio by default)")
    p.add_argument("--tools", choices=["core", "all"], default="core",
                   help="tool tier: core = the four steps + get_task; all = every tool")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP: address to bind (off loopback needs --token)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", help="HTTP: bearer token clients must send (or env BACKEND_ORCHESTRATOR_TOKEN)")

    p = add("init", cmd_init, "write the config, ai-state skeleton and .mcp.json into a project")
    p.add_argument("path", nargs="?", help="project root (default: --project)")

    p = add("scan", cmd_scan, "rebuild the registries from the code")
    p.add_argument("--path", default=".", help="folder inside the project to rescan (entries elsewhere are kept)")
    p.add_argument("--mode", choices=["auto", "static", "dynamic"], default="auto",
                   help="static: read the code; dynamic: import the app in a subprocess with the project's "
                        "interpreter; auto (default): dynamic when the app imports, else static")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--json", dest="format", action="store_const", const="json", help=argparse.SUPPRESS)

    p = add("task", cmd_task, "add, list, show or update tasks")
    tasks = p.add_subparsers(dest="task_command", required=True, metavar="ACTION")
    t = tasks.add_parser("add", parents=[common], help="receive a task")
    t.add_argument("description")
    t.add_argument("--title")
    t.add_argument("--kind", choices=["api", "database", "service", "auth", "testing"])
    t.add_argument("--endpoint", action="append", help="'METHOD /path' (repeatable)")
    t.add_argument("--model", action="append", help="model name (repeatable)")
    t.add_argument("--requirement", action="append", help="acceptance criterion (repeatable)")
    t.add_argument("--depends-on", action="append", help="task id (repeatable)")
    t.add_argument("--priority", choices=["low", "medium", "high", "critical"], default="medium")
    t.add_argument("--source-event", help="id of the event the task answers (e.g. a frontend.api.request)")
    t.add_argument("--json", action="store_true")
    t = tasks.add_parser("list", parents=[common], help="list tasks")
    t.add_argument("--status")
    t.add_argument("--kind")
    t.add_argument("--json", action="store_true")
    t = tasks.add_parser("show", parents=[common], help="show one task as JSON")
    t.add_argument("task_id")
    t = tasks.add_parser("update", parents=[common], help="change a task's status or add a note")
    t.add_argument("task_id")
    t.add_argument("--status")
    t.add_argument("--note")

    p = add("context", cmd_context, "prepare and print a task's context package")
    p.add_argument("task_id")
    p.add_argument("--budget", type=int, help="token budget (default from config)")
    p.add_argument("--include", action="append", metavar="ITEM",
                   help="an item at full detail (repeatable): 'METHOD /path', 'model:Name', 'service:name', "
                        "'file:path.py', 'standard:ID'")

    p = add("assign", cmd_assign, "route a task to a sub-skill (assign_skill): its instructions and gates")
    p.add_argument("task_id")
    p.add_argument("--skill", help="choose the sub-skill instead of routing")
    p.add_argument("--json", action="store_true", help="print the whole assignment")

    p = add("validate", cmd_validate, "run the quality gates for a task, or the whole project")
    p.add_argument("task_id", nargs="?", help="task id; leave out to validate the whole project")
    p.add_argument("--gates", help="comma-separated gate ids, or 'all' (default: the assignment's, or all)")
    p.add_argument("--format", choices=["text", "json", "markdown", "sarif"], default="text")
    p.add_argument("--output", help="write the report here instead of stdout")
    p.add_argument("--scope", choices=["change", "project"],
                   help="change: judge only what the change brought (a task: since it was received; the whole "
                        "project: since --baseline); project: every finding counts (default: verdict.scope for a "
                        "task, project for the whole project)")
    p.add_argument("--baseline", metavar="REF",
                   help="whole-project runs: judge the change since this git ref (e.g. origin/main on a pull "
                        "request); existing findings are reported, not blocking")
    p.add_argument("--compare-base", action="store_true", default=None,
                   help="also load the base tree in the performance gate and report each endpoint's p95 change")

    p = add("runs", cmd_runs, "list finished validation runs with their key numbers, newest last, to compare them")
    p.add_argument("task_id", nargs="?", help="task id; leave out for the whole-project runs")
    p.add_argument("--limit", type=int, default=20, help="the newest N runs (default 20)")
    p.add_argument("--format", choices=["text", "json"], default="text")

    p = add("demo", cmd_demo, "run the whole flow on a copy of examples/shop over a real MCP session")
    p.add_argument("--clean", action="store_true", help="remove the temporary copy afterwards")

    p = add("contract", cmd_contract, "compare OpenAPI contracts: contract diff BASE REV [--format json|text]")
    p.add_argument("arguments", nargs=argparse.REMAINDER, help="diff BASE REV [--format json|text]")

    p = add("schemas", cmd_schemas, "regenerate schemas/*.schema.json from the contracts")
    p.add_argument("--check", action="store_true", help="exit 1 when a schema file is out of date")
    p.add_argument("--dir", help="folder to write (default: the package's schemas/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "project"):  # not given before or after the command
        args.project = "."
    try:
        return int(args.func(args))
    except OrchestratorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return _internal_error(args, exc)


# commands that work on the project at --project (the others, e.g. contract or demo, have none to log into)
PROJECT_COMMANDS = {"serve", "init", "scan", "task", "context", "validate", "assign", "runs"}


def _internal_error(args: argparse.Namespace, exc: Exception) -> int:
    """An unexpected exception: its traceback to the project's errors.log, one line to stderr, exit 3."""
    import os
    import traceback

    from .crash import record

    command = " ".join(str(part) for part in (args.command, getattr(args, "task_command", None)) if part)
    project = None
    if args.command in PROJECT_COMMANDS:
        from .state import Project

        try:
            project = Project.open(args.path if args.command == "init" and args.path else args.project)
        except Exception:  # no project to log into: the message says so
            project = None
    crash = record(project, command, exc, getattr(args, "task_id", None))
    print(f"internal error: {crash}", file=sys.stderr)
    if os.environ.get("BO_DEBUG") == "1":
        traceback.print_exception(exc, file=sys.stderr)
    elif crash.log is None:
        print("set BO_DEBUG=1 to print the traceback", file=sys.stderr)
    return 3


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
