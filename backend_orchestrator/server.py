"""The MCP server: thin adapters from tools, resources and prompts to ``workflow``.

Errors the model can fix (``OrchestratorError``) become tool errors whose text names the valid
choices; a corrupt state file or a bad config is an operator fault and becomes a protocol error.
Any other exception is a crash, and still never the SDK's bare "Error executing tool X": its
traceback goes to ``ai-state/active/backend/logs/errors.log`` (``crash.py``), the call answers with
a tool error saying what failed and where the traceback is (``[crash] ...``; a resource with a
``ResourceError`` saying the same), the audit line records ``crash`` and the server keeps serving.
Heavy modules (jsonschema, discovery, gates) load on first use, not at start-up.
"""

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from mcp.server import MCPServer
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ResourceNotFoundError,
    ToolError,
    UnexpectedResourceError,
    UnexpectedToolError,
)
from mcp.shared.exceptions import MCPError
from mcp.types import INTERNAL_ERROR, CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import AnyUrl, Field

from . import __version__
from .audit import audited
from .contracts.assignment import Assignment
from .contracts.event import Event
from .contracts.report import RunStatus
from .contracts.task import Task, TaskView
from .contracts.tools import ContextResult, EventPage, ReceiveResult, RegistryPage, ScanResult, TaskPage
from .errors import ConfigError, InternalError, NotFound, OrchestratorError, StateError
from .state import Project

CORE_TOOLS = ("receive_task", "prepare_context", "assign_skill", "validate_results", "get_task")
ALL_TOOLS = (*CORE_TOOLS, "list_tasks", "update_task", "scan_project", "query_registry", "publish_event",
             "poll_events")
TIERS = {"core": CORE_TOOLS, "all": ALL_TOOLS}

INSTRUCTIONS = (
    "Coordinates backend work on this project and measures it. Workflow: receive_task → prepare_context → "
    "assign_skill (follow the returned instructions) → validate_results (call again while it says 'running'). "
    "A task is done only when validate_results passes."
)

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
IDEMPOTENT_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                   open_world_hint=False)

HEARTBEAT_S = 5.0
TaskIdArg = Annotated[str, Field(description="Task id, e.g. 'task-002-api'")]


def crashed(project: Project, where: str, exc: BaseException, task_id: str | None = None) -> InternalError:
    """Log an unexpected exception's traceback (``crash.py``) and return the one-line error to answer with."""
    from .crash import record

    return record(project, where, exc, task_id)


def crash_text(crash: InternalError) -> str:
    return f"[{crash.kind}] {crash}"


class OrchestratorServer(MCPServer):
    """The MCPServer, with a net under every tool and resource: whatever crash escapes the tool's own
    ``call`` wrapper (a lazy import, an argument validator, the conversion of the result, a tool or
    resource without a wrapper) reaches the client as a tool error or a ``ResourceError`` that says
    what failed and where its traceback was logged, never as the SDK's bare "Error executing tool"."""

    def __init__(self, project: Project, **options: Any) -> None:
        super().__init__(**options)
        self.project = project

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[Any, Any] | None = None) -> CallToolResult | InputRequiredResult:
        started = time.perf_counter()
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            from .audit import write_entry
            from .crash import task_of

            # the tool's `call` did not see this crash, so no audit line says "crash" yet (a result that fails
            # conversion after `call` recorded "ok" gets this second line)
            task_id = task_of(arguments.get("task_id"))
            crash = await anyio.to_thread.run_sync(crashed, self.project, name, _root_cause(exc), task_id)
            write_entry(self.project, name, task_id, crash.kind, started)
            raise ToolError(f"Error executing tool {name}: {crash_text(crash)}") from exc

    async def read_resource(self, uri: AnyUrl | str, context: Context[Any, Any] | None = None,
                            ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        try:
            return await super().read_resource(uri, context)
        except UnexpectedResourceError as exc:
            where = "resource " + _template_of(str(uri), await self.list_resource_templates())
            crash = await anyio.to_thread.run_sync(crashed, self.project, where, _root_cause(exc))
            raise ResourceError(crash_text(crash)) from exc


def _root_cause(exc: BaseException) -> BaseException:
    """The exception the SDK wrapped (through nested tool or resource wrappers)."""
    while isinstance(exc, UnexpectedToolError | UnexpectedResourceError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _template_of(uri: str, templates: Iterable[Any]) -> str:
    """The resource template ``uri`` matches (its variables are arguments: not logged), else the URI."""
    for template in templates:
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template.uri_template))
        if re.fullmatch(pattern, uri):
            return str(template.uri_template)
    return uri


def create_server(project: Project, tools: str = "core", **server_options: Any) -> MCPServer:
    """An MCPServer for ``project`` exposing the ``tools`` tier ('core' or 'all')."""
    if tools not in TIERS:
        raise ConfigError(f"unknown tool tier {tools!r}; valid choices: {', '.join(TIERS)}")
    mcp = OrchestratorServer(project, name="backend-orchestrator", version=__version__, instructions=INSTRUCTIONS,
                             **server_options)
    enabled = set(TIERS[tools])

    def tool(annotations: ToolAnnotations, title: str) -> Any:
        def register(fn: Any) -> Any:
            if fn.__name__ in enabled:
                mcp.tool(title=title, annotations=annotations)(fn)
            return fn
        return register

    @contextmanager
    def call(name: str, task_id: str | None = None) -> Iterator[None]:
        try:
            with audited(project, name, task_id):
                yield
        except (StateError, ConfigError) as exc:
            raise MCPError(INTERNAL_ERROR, f"backend-orchestrator cannot use its state: {exc}") from exc
        except OrchestratorError as exc:
            raise ToolError(f"[{exc.kind}] {exc}") from exc
        except (ToolError, MCPError):
            raise
        except Exception as exc:  # a crash: logged, answered in one line, audited as "crash"
            raise ToolError(crash_text(crashed(project, name, exc, task_id))) from exc

    # -- the four steps ---------------------------------------------------------------------------
    @tool(WRITES, "Receive a backend task")
    def receive_task(
        description: Annotated[str, Field(description="What to build or change, in plain words")],
        title: str | None = None,
        kind: Annotated[Literal["api", "database", "service", "auth", "testing"] | None,
                        Field(description="Inferred from the description when left out")] = None,
        endpoints: Annotated[list[str] | None, Field(description="'METHOD /path' entries")] = None,
        models: list[str] | None = None,
        requirements: Annotated[list[str] | None, Field(description="Acceptance criteria")] = None,
        depends_on: Annotated[list[str] | None, Field(description="Task ids that must be done first")] = None,
        priority: Literal["low", "medium", "high", "critical"] = "medium",
        source_event: Annotated[str | None, Field(
            description="Id of the event this task answers, e.g. a frontend.api.request from poll_events")] = None,
    ) -> ReceiveResult:
        """Create a task from a description: infers kind, endpoints, models and acceptance criteria
        (marked as inferred), checks dependencies (unfinished ones block it) and reports names the
        registry does not know. Next: prepare_context."""
        from .workflow import receive_task as run

        with call("receive_task"):
            return run(project, description, title, kind, endpoints, models, requirements, depends_on, priority,
                       source_event)

    @tool(IDEMPOTENT_WRITE, "Prepare the context package")
    def prepare_context(
        task_id: TaskIdArg,
        token_budget: Annotated[int | None, Field(description="Token limit; default from config (4000)")] = None,
        include: Annotated[list[str] | None, Field(
            description="Extra items at full detail: 'METHOD /path', 'model:Name', 'service:name', "
                        "'file:path.py', 'standard:ID'")] = None,
    ) -> ContextResult:
        """Build the task's context package: relevant endpoints, tables, indexes, migrations head,
        services, standards clauses, test requirements and source outlines, within a token budget.
        What was left out is in budget.omitted; budget.more says how to get it. Next: assign_skill."""
        from .workflow import prepare_context as run

        with call("prepare_context", task_id):
            return run(project, task_id, token_budget, include)

    @tool(IDEMPOTENT_WRITE, "Assign the task to a sub-skill")
    def assign_skill(
        task_id: TaskIdArg,
        skill: Annotated[str | None, Field(
            description="api-development, database, service-integration, auth or testing; routed when left out",
        )] = None,
    ) -> Assignment:
        """Route the task to a sub-skill (or the one named) and return its bundle: instructions to
        follow, allowed tools, the context package and the success criteria (gates, thresholds,
        checklist). Do the work, then call validate_results."""
        from .workflow import assign_skill as run

        with call("assign_skill", task_id):
            return run(project, task_id, skill)

    @tool(WRITES, "Validate the work with quality gates")
    async def validate_results(
        task_id: TaskIdArg,
        ctx: Context,
        gates: Annotated[list[str] | None, Field(description="Gate ids; default: the assignment's gates")] = None,
        wait_seconds: Annotated[float | None, Field(
            description="How long to wait before returning 'running' (0-50, default 40)")] = None,
        cancel: Annotated[bool, Field(description="Stop the task's running validation instead")] = False,
        scope: Annotated[Literal["change", "project"] | None, Field(
            description="change (default): judge what the task changed since it was received, existing debt "
                        "does not block; project: every finding counts")] = None,
    ) -> RunStatus:
        """Run the quality gates on the target project (real tests, coverage, ...). Returns the report,
        or status 'running' with a run id: call again with the same task_id to attach. Only findings
        the change brought decide (baseline_state 'new'); existing debt is counted, not listed. Pass
        moves the task to done only when every gate the assignment requires ran and passed; a subset
        of gates is informative ('incomplete'). Fail lists the new findings with path:line and the
        fix. cancel=true stops the running validation (the task goes back to in_progress)."""
        from .workflow.validate import cancel as stop
        from .workflow.validate import check_wait, start_validation, status_of

        with call("validate_results", task_id):
            wait = check_wait(wait_seconds)
            if cancel:
                return await anyio.to_thread.run_sync(stop, project, task_id, wait)
            run, attached = await anyio.to_thread.run_sync(start_validation, project, task_id, gates, scope)
            deadline = time.monotonic() + wait
            reported, last_sent = None, 0.0
            while not run.finished() and time.monotonic() < deadline:
                progress = run.progress
                # on every change, and every few seconds as a heartbeat for clients that time out on silence
                if (progress.done, progress.current) != reported or time.monotonic() - last_sent > HEARTBEAT_S:
                    reported, last_sent = (progress.done, progress.current), time.monotonic()
                    await ctx.report_progress(progress.done, progress.total,
                                              (f"running {progress.current}" if progress.current else "starting")
                                              + f" ({progress.done}/{progress.total} done)")
                await anyio.sleep(0.1)
            return status_of(run, attached, full=False)

    # -- monitoring ---------------------------------------------------------------------------------
    @tool(READ_ONLY, "Get a task")
    async def get_task(task_id: TaskIdArg) -> TaskView:
        """A task with its status, history, assignment and latest validation summary; `stale` says
        whether the project's files changed since that validation ran."""
        from .workflow.tasks import get_task as run

        with call("get_task", task_id):
            return run(project, task_id)

    @tool(READ_ONLY, "List tasks")
    async def list_tasks(
        status: Literal["received", "context_ready", "assigned", "in_progress", "validating", "done", "failed",
                        "blocked", "cancelled"] | None = None,
        kind: Literal["api", "database", "service", "auth", "testing"] | None = None,
        cursor: Annotated[str | None, Field(description="next_cursor of the previous page")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> TaskPage:
        """Tasks in id order, optionally filtered by status and kind; paginated."""
        from .workflow.tasks import list_tasks as run

        with call("list_tasks"):
            return run(project, status, kind, cursor, limit)

    @tool(WRITES, "Update a task")
    def update_task(
        task_id: TaskIdArg,
        status: Annotated[str | None, Field(description="New status along the state machine, e.g. in_progress, "
                                                        "blocked, cancelled")] = None,
        note: Annotated[str | None, Field(description="A progress note for the history")] = None,
    ) -> Task:
        """Move a task along the status machine and/or record a progress note. done and failed are set
        only by validate_results."""
        from .workflow.tasks import update_task as run

        with call("update_task", task_id):
            return run(project, task_id, status, note)

    # -- registries and events ------------------------------------------------------------------------
    @tool(IDEMPOTENT_WRITE, "Scan the project into the registries")
    def scan_project(
        path: Annotated[str, Field(description="Folder inside the project to rescan; default the whole project")] = ".",
        mode: Annotated[Literal["auto", "static", "dynamic"], Field(
            description="static: read the code; dynamic: import the app in a subprocess; auto: dynamic if "
                        "the app imports, else static")] = "auto",
    ) -> ScanResult:
        """Rebuild endpoints.json, models.json and services.json from the code and report what was added,
        removed or changed, the mode used and why, what could not be resolved, and drift (hidden or
        undocumented routes, code gone, tables missing from the database)."""
        from .workflow import scan_project as run

        with call("scan_project"):
            return run(project, path, mode)

    @tool(READ_ONLY, "Query a registry")
    async def query_registry(
        registry: Literal["endpoints", "models", "services"],
        query: Annotated[str, Field(description="Words every returned entry contains, e.g. 'GET products'")] = "",
        cursor: str | None = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 50,
    ) -> RegistryPage:
        """Entries of the endpoints, models or services registry matching all words of the query; paginated."""
        from .workflow import query_registry as run

        with call("query_registry"):
            return run(project, registry, query, cursor, limit)

    @tool(WRITES, "Publish an event")
    def publish_event(
        type: Annotated[str, Field(description="e.g. backend.api.ready, frontend.api.request, backend.task.note")],
        payload: dict[str, Any],
    ) -> Event:
        """Append an event to ai-state/events.jsonl for other orchestrators; the seed events'
        payloads are schema-checked."""
        from .events import publish

        with call("publish_event"):
            return publish(project, type, payload)

    @tool(READ_ONLY, "Poll events")
    async def poll_events(
        after: Annotated[str | None, Field(description="Event id or next_cursor from the last poll")] = None,
        types: Annotated[list[str] | None, Field(description="Only these event types")] = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> EventPage:
        """Events newer than `after`, oldest first (e.g. frontend.api.request from a frontend orchestrator)."""
        from .events import poll

        with call("poll_events"):
            return poll(project, after, types, limit)

    _resources(mcp, project)
    _prompts(mcp)
    return mcp


def _resources(mcp: MCPServer, project: Project) -> None:
    import json

    def guarded(fn: Any, *args: Any) -> str:
        try:
            return str(fn(*args))
        except (OrchestratorError, KeyError) as exc:
            raise ResourceNotFoundError(str(exc)) from exc

    def report_of(task_id: str) -> Path:
        """The task's latest report file; NotFound when it was never validated or the report is gone
        (artifacts are git-ignored: a fresh clone has the task's validation but not its report)."""
        from .state.paths import confined

        found = project.store.load_task(task_id)
        if found.validation is None:
            raise NotFound(f"{task_id} has not been validated yet")
        path = confined(project.root, found.validation.report_path)
        if not path.is_file():
            raise NotFound(f"the latest report of {task_id}, {found.validation.report_path}, is no longer on disk "
                           "(artifacts are not kept in git): call validate_results to produce a new one")
        return path

    @mcp.resource("backend://registry/{name}", mime_type="application/json", title="Registry")
    def registry(name: str) -> str:
        """The endpoints, models or services registry, as stored under ai-state/."""
        def read(name: str) -> str:
            from .workflow.registry import load_registries

            regs, _ = load_registries(project, scan_if_missing=False)
            if name not in ("endpoints", "models", "services"):
                raise NotFound(f"unknown registry {name!r}; valid choices: endpoints, models, services")
            return json.dumps(getattr(regs, name).model_dump(mode="json"), indent=2, sort_keys=True)
        return guarded(read, name)

    @mcp.resource("backend://tasks/{task_id}", mime_type="application/json", title="Task")
    def task(task_id: str) -> str:
        """One task file."""
        return guarded(lambda: project.store.load_task(task_id).model_dump_json(indent=2))

    @mcp.resource("backend://reports/{task_id}/latest", mime_type="application/json", title="Latest report")
    def latest_report(task_id: str) -> str:
        """The latest validation report of a task."""
        def read() -> str:
            return report_of(task_id).read_text(encoding="utf-8")
        return guarded(read)

    @mcp.resource("backend://reports/{task_id}/findings/{state}/{page}", mime_type="application/json",
                  title="Findings of the latest report")
    def findings(task_id: str, state: str, page: str) -> str:
        """One page (50) of the latest report's findings of a task (or 'project'): state new, existing
        (debt the base had too), fixed or all."""
        def read() -> str:
            from .contracts.report import ValidationReport
            from .workflow.digest import findings_page

            if not page.isdigit():
                raise NotFound(f"page {page[:20]!r} is not a page number (1, 2, ...)")
            if task_id == "project":
                from .workflow.history import latest_report

                path = latest_report(project, None)
                if path is None or not path.is_file():
                    raise NotFound(f"no validation report of {task_id} yet")
            else:
                path = report_of(task_id)
            report = ValidationReport.model_validate_json(path.read_text(encoding="utf-8"))
            return json.dumps(findings_page(report, state, int(page)), indent=2, sort_keys=True)
        return guarded(read)

    @mcp.resource("backend://standards/{name}", mime_type="text/markdown", title="Standard")
    def standard(name: str) -> str:
        """A standard (backend-standard, api-design, database, security, testing) with clause ids."""
        from .docs import standard_text

        return guarded(standard_text, name)

    @mcp.resource("backend://skills/{name}", mime_type="text/markdown", title="Sub-skill")
    def skill(name: str) -> str:
        """A sub-skill's SKILL.md."""
        from .skills import get_skill

        def read(name: str) -> str:
            from .resources import skills_dir

            get_skill(name)
            return (skills_dir() / name / "SKILL.md").read_text(encoding="utf-8")
        return guarded(read, name)

    @mcp.resource("backend://workflow", mime_type="text/markdown", title="Orchestration workflow")
    def workflow() -> str:
        """The orchestrator's own SKILL.md: how to run a task from receive to validate."""
        from .resources import orchestrator_skill

        return orchestrator_skill().read_text(encoding="utf-8")


def _prompts(mcp: MCPServer) -> None:
    @mcp.prompt(name="orchestrate", title="Run a backend task end to end")
    def orchestrate(description: str) -> str:
        """The orchestration workflow applied to one piece of backend work."""
        from .resources import orchestrator_skill
        from .skills import split_frontmatter

        _, body = split_frontmatter(orchestrator_skill().read_text(encoding="utf-8"))
        return f"{body}\n---\nThe work to coordinate now:\n\n{description}\n"

    from .skills import skill_names

    for name in skill_names():
        def make(skill_name: str) -> Any:
            def prompt(task_id: str) -> str:
                from .skills import get_skill

                body = get_skill(skill_name).body
                return (f"{body}\n---\nYou are assigned {task_id}. Call get_task and prepare_context for it, "
                        "follow the procedure above, then call validate_results.\n")
            prompt.__doc__ = f"Instructions of the {skill_name} sub-skill for one task."
            return prompt
        mcp.prompt(name=name, title=f"Sub-skill: {name}")(make(name))
