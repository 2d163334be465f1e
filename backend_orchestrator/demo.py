"""``backend-orchestrator demo``: the whole flow on a copy of examples/shop, over a real MCP session.

Starts ``backend-orchestrator serve`` as a subprocess, connects with the MCP SDK's ``Client`` over
stdio, and runs scan_project → receive_task → prepare_context → assign_skill → the change an agent
would make (``demo_change.py``: pagination, with tests) → validate_results, printing what was decided
and why: the verdict judges the change, the shop's planted debt is reported as existing. Exits 0 when
the flow worked, whatever the verdict.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

DEMO_TASK = "Add pagination and filtering to GET /api/v1/products"


def _say(text: str = "") -> None:
    print(text, flush=True)


def _step(number: int, title: str) -> None:
    _say(f"\n── {number}. {title} " + "─" * max(0, 60 - len(title)))


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)


def _show_gate(gate: dict[str, Any]) -> None:
    """One gate of the MCP result (a digest): its status, the split new / existing / fixed, the findings
    that decide (the new ones, or all when the gate was judged on the whole project; up to 5) and the
    existing debt by rule."""
    _say(f"   [{gate['status']}] {gate['gate']}: {gate['summary']}")
    counts = gate.get("counts") or {}
    change = gate.get("judged") == "change"
    if change:
        blocking = f" ({counts.get('blocking', 0)} blocking)" if counts.get("blocking") else ""
        _say(f"      new {counts.get('new', 0)}{blocking} · existing {counts.get('existing', 0)} · "
             f"fixed {counts.get('fixed', 0)}")
    findings = gate["findings"]
    for finding in findings[:5]:
        where = f" ({finding['path']}:{finding['line']})" if finding.get("path") else ""
        mark = " [blocking]" if finding.get("blocking") else ""
        _say(_wrap(f"{finding['severity']} {finding['rule_id']} {finding['title']}{where}{mark}", "      "))
    more = len(findings) - 5 + (0 if change else gate.get("omitted", 0))
    if more > 0:
        _say(f"      … and {more} more")
    by_rule = gate.get("existing_by_rule") or {}
    if change and by_rule:
        ranked = sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
        _say(_wrap(f"existing debt (not blocking): {', '.join(f'{rule} ×{n}' for rule, n in ranked)}", "      "))


async def _flow(project: Path) -> int:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "backend_orchestrator", "serve", "--tools", "all", "--project", str(project)],
        cwd=str(project),
    )
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        _say(f"connected over stdio: {len(tools)} tools ({', '.join(t.name for t in tools)})")

        async def call(name: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
            result = await client.call_tool(name, args, **kw)
            if result.is_error:
                text = result.content[0].text if result.content else "(no message)"  # type: ignore[union-attr]
                raise RuntimeError(f"{name} failed: {text}")
            return result.structured_content or {}

        _step(1, "scan_project — derive the registries from the code")
        scan = await call("scan_project", {})
        _say(f"   {scan['framework']} ({scan['mode']} scan): {scan['endpoints']} endpoints, {scan['models']} models, "
             f"{scan['services']} services; alembic head {scan['migrations_head']}")
        _say(f"   wrote {', '.join(scan['files'])}")

        _step(2, f'receive_task — "{DEMO_TASK}"')
        received = await call("receive_task", {"description": DEMO_TASK})
        task = received["task"]
        task_id = task["id"]
        _say(f"   {task_id}: kind {task['kind']}, endpoints {task['endpoints']}, models {task['models']}")
        _say(f"   inferred from the description: {', '.join(task['inferred'])}")
        for note in received["notes"]:
            _say(_wrap(f"note: {note}"))
        for req in task["requirements"]:
            _say(f"   acceptance: {req}")

        _step(3, "prepare_context — what the sub-skill needs, within a budget")
        ctx = await call("prepare_context", {"task_id": task_id})
        pkg = ctx["package"]
        budget = pkg["budget"]
        _say(f"   {len(pkg['endpoints']['relevant'])} relevant endpoints: "
             + ", ".join(f"{e['method']} {e['path']}" for e in pkg["endpoints"]["relevant"]))
        _say(f"   {len(pkg['endpoints']['existing'])} other endpoints as one-liners; conventions:")
        for pattern in pkg["endpoints"]["patterns"]:
            _say(f"     · {pattern}")
        _say(f"   tables: {', '.join(t['table'] for t in pkg['database']['tables']) or '-'}; migrations head "
             f"{pkg['database']['migrations']['head']}")
        _say(f"   {len(pkg['standards'])} standards clauses, {len(pkg['source'])} source outlines, "
             f"{pkg['redactions']} secret values withheld")
        _say(f"   budget: {budget['used_tokens']}/{budget['limit_tokens']} tokens"
             + (f"; omitted {', '.join(budget['omitted'])}" if budget["omitted"] else ""))
        _say(f"   saved at {ctx['path']}")

        _step(4, "assign_skill — route to a sub-skill")
        assignment = await call("assign_skill", {"task_id": task_id})
        best = assignment["why"][0]
        _say(f"   → {assignment['skill']} (score {best['score']:g}: {'; '.join(best['reasons'])})")
        for other in assignment["why"][1:3]:
            _say(f"     runner-up {other['skill']} ({other['score']:g})")
        criteria = assignment["success_criteria"]
        checklist = ", ".join(c["id"] for c in criteria["checklist"])
        _say(f"   gates: {', '.join(criteria['gates'])}; checklist: {checklist}")
        _say(f"   thresholds: coverage > {criteria['thresholds']['coverage_percent']:g} %, API p95 < "
             f"{criteria['thresholds']['api_p95_ms']:g} ms, DB query < {criteria['thresholds']['db_query_ms']:g} ms")
        _say(f"   allowed tools: {', '.join(assignment['allowed_tools'])}")

        _step(5, "the change — what an agent following the skill would write")
        from .demo_change import apply_pagination

        for changed in apply_pagination(project):
            _say(f"   edited {changed}")
        _say("   GET /api/v1/products takes limit (1-100, default 20) and offset; two tests cover it")

        _step(6, "validate_results — run the gates for real, and judge the change")

        async def progress(done: float, total: float | None, message: str | None) -> None:
            _say(f"   … {message}")

        status = await call("validate_results", {"task_id": task_id, "wait_seconds": 45}, progress_callback=progress)
        while status["status"] == "running":
            _say(f"   still running ({status['message']}); attaching again")
            status = await call("validate_results", {"task_id": task_id, "wait_seconds": 45},
                                progress_callback=progress)
        report = status["report"]
        verdict = f"verdict {status['status']}; "
        how = status["message"][len(verdict):] if status["message"].startswith(verdict) else status["message"]
        _say(textwrap.fill(f"verdict: {status['status'].upper()} — {how}", width=100, initial_indent="   ",
                           subsequent_indent="     ", break_long_words=False, break_on_hyphens=False))
        for gate in report["gates"] if report else []:
            _show_gate(gate)
        if report:
            from .contracts.report import ValidationReport
            from .gates.measured import render

            _say("")
            _say(textwrap.indent(render(ValidationReport.model_validate(report), project).rstrip(), "   "))
        final = await call("get_task", {"task_id": task_id})
        _say(f"   task {task_id} is now {final['status']!r}")
        _say(f"   report: {project / status['report_path']}" if status.get("report_path") else "")
    return 0


def _commit(project: Path) -> None:
    """Make the copy a git checkout with one commit, as a real project is: the task then records its
    base commit and the tests gate measures coverage of the lines changed since it."""
    git = shutil.which("git")
    if git is None:
        return
    ident = ["-c", "user.name=backend-orchestrator demo", "-c", "user.email=demo@localhost",
             "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-q", "-m", "examples/shop"]):
        if subprocess.run([git, *args], cwd=project, capture_output=True, timeout=60).returncode != 0:
            return  # the demo still runs; changed-lines coverage then says why it was not measured


def run_demo(clean: bool = False) -> int:
    import anyio

    from .resources import example_dir

    source = example_dir("shop")
    workdir = Path(tempfile.mkdtemp(prefix="backend-orchestrator-demo-"))
    project = workdir / "shop"
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("__pycache__", "*.db", ".coverage", "ai-state"))
    _say(f"backend-orchestrator demo: a copy of examples/shop at {project}")
    _commit(project)
    try:
        code = anyio.run(_flow, project)
        _say("\nThe flow completed. Everything it wrote is under " f"{project / 'ai-state'}")
        return code
    except Exception as exc:
        _say(f"\ndemo failed: {exc}")
        return 1
    finally:
        if clean:
            shutil.rmtree(workdir, ignore_errors=True)
